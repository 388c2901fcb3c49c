//! The PostgreSQL backend, for several `serve` processes sharing one database. Every write
//! that sled does in one transaction is one PostgreSQL transaction here, committed (its WAL
//! flushed, with PostgreSQL's default `synchronous_commit`) before the method returns.
//!
//! The store traits are synchronous, called from tokio's blocking threads; the backend owns a
//! small runtime of its own that drives the connection pool, and each method blocks on it.
//! The schema is in `migrations/postgres`, applied at connect.
//!
//! Every store trait is implemented here (responses, aggregates, logins, the health probe,
//! card notes, the email bookkeeping, the webhook outbox, partial responses, interviews,
//! contacts, backups); `store::StoreUrl` opens it for `--store postgres://…`.

mod aggregate_writes;
mod aggregates;
mod backup;
mod contacts;
mod events;
mod interviews;
mod invitations;
mod leases;
mod partials;
mod records;
mod responses;
mod texts;
mod webhooks;

use std::future::Future;
use std::sync::Mutex;
use std::time::Instant;

use std::str::FromStr;
use std::time::Duration;

use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use super::{HealthStore, SessionStore, StoreError};
use crate::auth::Session;

/// Connections per process: the blocking threads that may call at once mostly wait on
/// commits, which PostgreSQL groups.
const POOL_SIZE: u32 = 16;
/// How long a call waits for a free connection before it fails (the store is then unwell).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

pub struct PgStore {
    pool: PgPool,
    runtime: Option<tokio::runtime::Runtime>,
    last_write: Mutex<Option<(Instant, Result<(), String>)>>,
    /// This process among those sharing the database: where it stages a contacts import (see
    /// `contacts`), and the sender named in its notifications (see `events`).
    node: uuid::Uuid,
    /// How to connect again: a lease keeps a connection of its own, outside the pool.
    options: PgConnectOptions,
    leases: leases::Leases,
}

/// PostgreSQL's SQLSTATE for a full disk (class 53, insufficient resources).
const DISK_FULL: &str = "53100";

pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.code().as_deref() == Some(DISK_FULL)
    {
        return StoreError::Full(e.to_string());
    }
    match e {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e.to_string()),
        // 57P01–57P03: the server is shutting down or starting; 08xxx: the connection failed.
        sqlx::Error::Database(ref db)
            if db
                .code()
                .is_some_and(|c| c.starts_with("08") || c.starts_with("57P")) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Backend(e.to_string()),
    }
}

pub(crate) fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

/// The records of rows that hold only a JSON record.
pub(crate) fn decode_rows<T: serde::de::DeserializeOwned>(
    rows: Vec<(serde_json::Value,)>,
) -> Result<Vec<T>, StoreError> {
    rows.into_iter()
        .map(|(record,)| serde_json::from_value(record).map_err(corrupt))
        .collect()
}

impl PgStore {
    /// The JSON record of the one row `sql` selects by `key` (its `$1`), if any.
    pub(crate) fn one_record<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        key: &str,
    ) -> Result<Option<T>, StoreError> {
        let rows: Vec<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(sql)
                .bind(key)
                .fetch_all(self.pool())
                .await
                .map_err(backend)
        })?;
        Ok(decode_rows(rows)?.into_iter().next())
    }

    /// Connects to `url` (`postgres://user:pass@host:port/db`) and applies the migrations.
    pub fn connect(url: &str) -> Result<PgStore, StoreError> {
        // On a thread of its own: the caller may be async code (a server started inside a
        // runtime), where blocking on another runtime is refused.
        std::thread::scope(|scope| {
            scope
                .spawn(|| Self::connect_here(url))
                .join()
                .unwrap_or_else(|_| Err(StoreError::Backend("connecting panicked".into())))
        })
    }

    fn connect_here(url: &str) -> Result<PgStore, StoreError> {
        let open = |reason: String| StoreError::Open {
            path: redacted(url),
            reason,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("fieldnotes-postgres")
            .enable_all()
            .build()
            .map_err(|e| open(e.to_string()))?;
        let options = PgConnectOptions::from_str(url).map_err(|e| open(e.to_string()))?;
        let pool = runtime.block_on(async {
            // One connection first: an unreachable server is a clear error at once, rather
            // than after the pool's patience runs out.
            PgConnection::connect_with(&options)
                .await
                .map_err(|e| open(e.to_string()))?
                .close()
                .await
                .map_err(|e| open(e.to_string()))?;
            let pool = PgPoolOptions::new()
                .max_connections(POOL_SIZE)
                .acquire_timeout(ACQUIRE_TIMEOUT)
                .connect_with(options.clone())
                .await
                .map_err(|e| open(e.to_string()))?;
            sqlx::migrate!("./migrations/postgres")
                .run(&pool)
                .await
                .map_err(|e| open(format!("applying the migrations: {e}")))?;
            Ok::<_, StoreError>(pool)
        })?;
        Ok(PgStore {
            pool,
            runtime: Some(runtime),
            last_write: Mutex::new(None),
            node: uuid::Uuid::new_v4(),
            options,
            leases: leases::Leases::default(),
        })
    }

    /// Runs `work` to the end on the backend's runtime, from a thread that may block.
    pub(crate) fn run<T>(
        &self,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match &self.runtime {
            Some(runtime) => wait_for(runtime.handle(), work),
            None => Err(StoreError::Backend("the store is closed".into())),
        }
    }

    /// Runs a write and remembers its outcome for the health check.
    pub(crate) fn write<T>(
        &self,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let result = self.run(work);
        let outcome = result.as_ref().map(|_| ()).map_err(ToString::to_string);
        *self
            .last_write
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((Instant::now(), outcome));
        result
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The JSON record that `query` (`SELECT record … WHERE … = $1`) finds for `key`.
    pub(crate) fn record_by<T, K>(
        &self,
        query: &'static str,
        key: K,
    ) -> Result<Option<T>, StoreError>
    where
        T: serde::de::DeserializeOwned,
        K: for<'q> sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send,
    {
        let row: Option<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(query)
                .bind(key)
                .fetch_optional(&self.pool)
                .await
                .map_err(backend)
        })?;
        row.map(|(record,)| serde_json::from_value(record).map_err(corrupt))
            .transpose()
    }
}

/// Runs `work` on the backend's runtime and waits for it. Callers are meant to be blocking
/// threads, but a call from a worker of the server's (multi-thread) runtime is let through
/// `block_in_place`, which hands that worker's tasks to another thread while this one waits,
/// rather than refused as tokio refuses a `block_on` there.
fn wait_for<F: Future>(handle: &tokio::runtime::Handle, work: F) -> F::Output {
    match tokio::runtime::Handle::try_current().map(|current| current.runtime_flavor()) {
        Ok(tokio::runtime::RuntimeFlavor::MultiThread) => {
            tokio::task::block_in_place(|| handle.block_on(work))
        }
        _ => handle.block_on(work),
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        // Dropped from async code too (the server's state): never block a runtime thread.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Rows read per query by the lazy iterators (exports, drill-downs), so that they stay flat
/// in memory whatever the table holds.
const PAGE: i64 = 500;

type PageFuture<K, T> =
    std::pin::Pin<Box<dyn Future<Output = Result<Vec<(K, T)>, StoreError>> + Send>>;
type FetchPage<K, T> = Box<dyn FnMut(Option<&K>, i64) -> PageFuture<K, T> + Send>;

/// A lazy iterator over keyset pages: `fetch(after, limit)` gives the next rows after a key.
pub(crate) struct Paged<K, T> {
    handle: tokio::runtime::Handle,
    fetch: FetchPage<K, T>,
    after: Option<K>,
    buffer: std::vec::IntoIter<(K, T)>,
    done: bool,
}

impl<K: Send + 'static, T: Send + 'static> Paged<K, T> {
    pub(crate) fn new<F, Fut>(store: &PgStore, mut fetch: F) -> Self
    where
        F: FnMut(Option<&K>, i64) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<(K, T)>, StoreError>> + Send + 'static,
    {
        let handle = match &store.runtime {
            Some(runtime) => runtime.handle().clone(),
            None => tokio::runtime::Handle::current(),
        };
        Paged {
            handle,
            fetch: Box::new(move |after, limit| Box::pin(fetch(after, limit))),
            after: None,
            buffer: Vec::new().into_iter(),
            done: false,
        }
    }
}

impl<K, T> Iterator for Paged<K, T> {
    type Item = Result<T, StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((key, item)) = self.buffer.next() {
                self.after = Some(key);
                return Some(Ok(item));
            }
            if self.done {
                return None;
            }
            let page = wait_for(&self.handle, (self.fetch)(self.after.as_ref(), PAGE));
            match page {
                Ok(rows) => {
                    self.done = (rows.len() as i64) < PAGE;
                    self.buffer = rows.into_iter();
                }
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
    }
}

/// The URL without its password, for messages.
pub(crate) fn redacted(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| {
        let (credentials, host) = rest.rsplit_once('@')?;
        let user = credentials.split(':').next().unwrap_or_default();
        Some(format!("{scheme}://{user}@{host}"))
    }) {
        Some(shown) => shown,
        None => url.to_string(),
    }
}

impl HealthStore for PgStore {
    fn probe_write(&self) -> Result<(), StoreError> {
        let now = chrono::Utc::now().to_rfc3339();
        self.write(async {
            sqlx::query(
                "INSERT INTO meta (key, value) VALUES ('health_probe', $1)
                 ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            )
            .bind(&now)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    fn last_durable_write(&self) -> Option<(Instant, Result<(), String>)> {
        self.last_write
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

impl SessionStore for PgStore {
    fn put_session(&self, id_sha256: &str, session: &Session) -> Result<(), StoreError> {
        let record = serde_json::to_value(session).map_err(corrupt)?;
        self.write(async {
            sqlx::query(
                "INSERT INTO sessions (id_sha256, record) VALUES ($1, $2)
                 ON CONFLICT (id_sha256) DO UPDATE SET record = EXCLUDED.record",
            )
            .bind(id_sha256)
            .bind(&record)
            .execute(&self.pool)
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    fn session(&self, id_sha256: &str) -> Result<Option<Session>, StoreError> {
        self.record_by(
            "SELECT record FROM sessions WHERE id_sha256 = $1",
            id_sha256,
        )
    }

    fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query("DELETE FROM sessions WHERE id_sha256 = $1")
                .bind(id_sha256)
                .execute(&self.pool)
                .await
                .map_err(backend)?;
            Ok(())
        })
    }
}
