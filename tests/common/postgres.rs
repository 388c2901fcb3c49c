//! The PostgreSQL the suite runs against: `scripts/test` starts a throwaway cluster and sets
//! `FIELDNOTES_TEST_POSTGRES`; `FIELDNOTES_TEST_BACKEND=postgres` runs the servers the tests
//! start on it, each data directory on a database of its own (named in a file inside it, so
//! that a restarted server finds the same records).

use std::path::Path;

use fieldnotes::store::StoreUrl;

/// The variable that puts the suite on PostgreSQL.
pub const BACKEND: &str = "FIELDNOTES_TEST_BACKEND";
const DATABASE_FILE: &str = "test-database-url";

pub fn suite_on_postgres() -> bool {
    std::env::var(BACKEND).is_ok_and(|v| v == "postgres")
}

/// A new, empty database on the throwaway server.
pub fn fresh_database() -> String {
    let admin = std::env::var("FIELDNOTES_TEST_POSTGRES").expect(
        "FIELDNOTES_TEST_POSTGRES names the PostgreSQL to test against (scripts/test starts one)",
    );
    let name = format!("fieldnotes_{}", uuid::Uuid::new_v4().simple());
    // Its own thread and runtime: callers may be async tests.
    let create = name.clone();
    let admin_url = admin.clone();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            use sqlx::Connection;
            let mut connection = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {create}")))
                .execute(&mut connection)
                .await
                .unwrap();
        });
    })
    .join()
    .expect("the database is created");
    let (base, _) = admin.rsplit_once('/').unwrap();
    format!("{base}/{name}")
}

/// The store a server on `data` uses: `None` (sled in it) unless the suite is on PostgreSQL.
pub fn store_for(data: &Path) -> Option<StoreUrl> {
    if !suite_on_postgres() {
        return None;
    }
    let file = data.join(DATABASE_FILE);
    let url = match std::fs::read_to_string(&file) {
        Ok(url) => url,
        Err(_) => {
            let url = fresh_database();
            std::fs::create_dir_all(data).unwrap();
            std::fs::write(&file, &url).unwrap();
            url
        }
    };
    Some(StoreUrl::Postgres(url.trim().to_string()))
}

/// What an offline command run on `data` needs in its environment to find the same store a
/// server there used: nothing on sled, `FIELDNOTES_STORE` on PostgreSQL.
pub fn store_env(data: &Path) -> Vec<(&'static str, String)> {
    match store_for(data) {
        Some(StoreUrl::Postgres(url)) => vec![("FIELDNOTES_STORE", url)],
        _ => Vec::new(),
    }
}

/// The store a server on `data` used, opened for a test to read or write directly (the
/// server must be stopped when it is sled).
pub fn open_store(data: &Path) -> std::sync::Arc<dyn fieldnotes::store::Backend> {
    store_for(data)
        .unwrap_or_else(|| StoreUrl::sled_in(data))
        .open_for_one_pass()
        .expect("the store opens")
}
