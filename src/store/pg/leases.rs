//! Jobs one process at a time does among those sharing the database (a report's summary
//! schedule, an endpoint's webhook queue): each is a session advisory lock, taken on a
//! connection this process keeps for it. The lock lasts while the connection does, so a
//! process that stops or dies lets it go and another takes the job over at its next look.

use std::collections::HashMap;

use sqlx::Connection;
use sqlx::postgres::PgConnection;

use super::{PgStore, backend};
use crate::store::StoreError;

/// The connection of each job this process holds or waits for, and whether it holds it:
/// one connection per job, kept, so that waiting costs one query per look rather than a
/// new connection.
#[derive(Default)]
pub(crate) struct Leases(tokio::sync::Mutex<HashMap<String, (PgConnection, bool)>>);

impl PgStore {
    /// Whether this process holds `job`, taking it when nobody does.
    pub(super) fn hold(&self, job: String) -> Result<bool, StoreError> {
        self.run(async {
            let mut leases = self.leases.0.lock().await;
            if let Some((connection, held)) = leases.get_mut(&job) {
                let alive = match held {
                    // Still ours while its connection lives.
                    true => connection.ping().await.is_ok(),
                    false => match try_lock(connection, &job).await {
                        Ok(taken) => {
                            *held = taken;
                            return Ok(taken);
                        }
                        Err(_) => false,
                    },
                };
                if alive {
                    return Ok(true);
                }
                // A lost connection lost its lock too: start again with a new one.
                leases.remove(&job);
            }
            let mut connection = PgConnection::connect_with(&self.options)
                .await
                .map_err(backend)?;
            let taken = try_lock(&mut connection, &job).await?;
            leases.insert(job, (connection, taken));
            Ok(taken)
        })
    }
}

async fn try_lock(connection: &mut PgConnection, job: &str) -> Result<bool, StoreError> {
    let (taken,): (bool,) = sqlx::query_as("SELECT pg_try_advisory_lock(hashtextextended($1, 0))")
        .bind(job)
        .fetch_one(connection)
        .await
        .map_err(backend)?;
    Ok(taken)
}
