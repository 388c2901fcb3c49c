//! Jobs one process at a time does among those sharing the database (a report's summary
//! schedule, an endpoint's webhook queue): each is a session advisory lock, taken on a
//! connection this process keeps for it. The lock lasts while the connection does, so a
//! process that stops or dies lets it go and another takes the job over at its next look.

use std::collections::HashMap;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::{PgStore, backend};
use crate::store::StoreError;

/// The connections holding this process's locks, by job.
#[derive(Default)]
pub(crate) struct Leases(tokio::sync::Mutex<HashMap<String, PgConnection>>);

impl PgStore {
    /// Whether this process holds `job`, taking it when nobody does.
    pub(super) fn hold(&self, job: String) -> Result<bool, StoreError> {
        self.run(async {
            let mut held = self.leases.0.lock().await;
            if let Some(connection) = held.get_mut(&job) {
                // Still ours while its connection lives.
                if connection.ping().await.is_ok() {
                    return Ok(true);
                }
                held.remove(&job);
            }
            let mut connection = PgConnection::connect_with(&self.options)
                .await
                .map_err(backend)?;
            let (taken,): (bool,) =
                sqlx::query_as("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
                    .bind(&job)
                    .fetch_one(&mut connection)
                    .await
                    .map_err(backend)?;
            if taken {
                held.insert(job, connection);
            } else {
                let _ = connection.close().await;
            }
            Ok(taken)
        })
    }
}
