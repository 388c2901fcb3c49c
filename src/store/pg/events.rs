//! Interview events across processes: each write of an event also sends a PostgreSQL
//! notification (delivered when its transaction commits, never for one rolled back) naming
//! the sending process, the interview and the event; every process listens and hands the
//! others' events to its observers. The notification carries no text, so the event is read
//! from the database, which stays the one record of what happened.

use std::time::Duration;

use sqlx::PgConnection;
use sqlx::postgres::PgListener;
use uuid::Uuid;

use super::{PgStore, backend};
use crate::store::{RemoteEvents, StoreError};

const CHANNEL: &str = "fieldnotes_interview_events";
/// How long a listener that lost its connection waits before it connects again.
const RECONNECT: Duration = Duration::from_secs(1);

/// Sends the notification of one event, inside the transaction that writes it.
pub(super) async fn announce(
    tx: &mut PgConnection,
    node: Uuid,
    interview: Uuid,
    event: u64,
) -> Result<(), StoreError> {
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(format!("{node}/{interview}/{event}"))
        .execute(tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// The interview and event of a notification another process sent.
fn parse(payload: &str, own: Uuid) -> Option<(Uuid, u64)> {
    let mut parts = payload.split('/');
    let node = Uuid::parse_str(parts.next()?).ok()?;
    let interview = Uuid::parse_str(parts.next()?).ok()?;
    let event = parts.next()?.parse().ok()?;
    (node != own).then_some((interview, event))
}

impl PgStore {
    pub(super) fn listen_for_events(&self, notify: RemoteEvents) -> Result<(), StoreError> {
        let Some(runtime) = &self.runtime else {
            return Err(StoreError::Backend("the store is closed".into()));
        };
        let (pool, node) = (self.pool().clone(), self.node);
        runtime.spawn(async move {
            loop {
                let mut listener = match PgListener::connect_with(&pool).await {
                    Ok(listener) => listener,
                    Err(e) => {
                        tracing::warn!("cannot listen for other nodes' interview events: {e}");
                        tokio::time::sleep(RECONNECT).await;
                        continue;
                    }
                };
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!("cannot listen for other nodes' interview events: {e}");
                    tokio::time::sleep(RECONNECT).await;
                    continue;
                }
                // recv reconnects by itself after a lost connection; an error here is the
                // pool closing, when the store goes.
                while let Ok(notification) = listener.recv().await {
                    if let Some((interview, event)) = parse(notification.payload(), node) {
                        let notify = notify.clone();
                        // The observer side reads the event from the store: a blocking call.
                        tokio::task::spawn_blocking(move || notify(interview, event));
                    }
                }
                if pool.is_closed() {
                    return;
                }
                tokio::time::sleep(RECONNECT).await;
            }
        });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    #[test]
    fn a_process_ignores_its_own_notifications_and_malformed_ones() {
        let (own, other, interview) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        assert_eq!(
            super::parse(&format!("{other}/{interview}/7"), own),
            Some((interview, 7))
        );
        assert_eq!(super::parse(&format!("{own}/{interview}/7"), own), None);
        assert_eq!(super::parse("garbage", own), None);
        assert_eq!(super::parse(&format!("{other}/{interview}/-1"), own), None);
    }
}
