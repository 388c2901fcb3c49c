//! The webhook outbox in PostgreSQL: `webhook_queue` (filled in the transaction of the change
//! a message reports, see `responses::enqueue`), and the endpoint's recent finished and
//! given-up messages in `webhook_log` and `webhook_failures`.

use sqlx::PgConnection;

use super::{PgStore, backend, corrupt};
use crate::store::{FinishedWebhook, QueuedWebhook, StoreError, WebhookStore};

fn seq(seq: u64) -> Result<i64, StoreError> {
    i64::try_from(seq).map_err(corrupt)
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Records a finished message in one of the two lists and keeps its newest `keep`.
async fn record_finished(
    tx: &mut PgConnection,
    (insert, trim): (&'static str, &'static str),
    endpoint: &str,
    finished: &FinishedWebhook,
    keep: usize,
) -> Result<(), StoreError> {
    sqlx::query(insert)
        .bind(endpoint)
        .bind(seq(finished.seq)?)
        .bind(serde_json::to_value(finished).map_err(corrupt)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    sqlx::query(trim)
        .bind(endpoint)
        .bind(limit(keep))
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    Ok(())
}

const LOG: (&str, &str) = (
    "INSERT INTO webhook_log (endpoint, seq, record) VALUES ($1, $2, $3)
     ON CONFLICT (endpoint, seq) DO UPDATE SET record = EXCLUDED.record",
    "DELETE FROM webhook_log WHERE endpoint = $1 AND seq NOT IN
     (SELECT seq FROM webhook_log WHERE endpoint = $1 ORDER BY seq DESC LIMIT $2)",
);

const FAILURES: (&str, &str) = (
    "INSERT INTO webhook_failures (endpoint, seq, record) VALUES ($1, $2, $3)
     ON CONFLICT (endpoint, seq) DO UPDATE SET record = EXCLUDED.record",
    "DELETE FROM webhook_failures WHERE endpoint = $1 AND seq NOT IN
     (SELECT seq FROM webhook_failures WHERE endpoint = $1 ORDER BY seq DESC LIMIT $2)",
);

impl PgStore {
    fn newest(
        &self,
        query: &'static str,
        endpoint: &str,
        n: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError> {
        let rows: Vec<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(query)
                .bind(endpoint)
                .bind(limit(n))
                .fetch_all(self.pool())
                .await
                .map_err(backend)
        })?;
        super::decode_rows(rows)
    }
}

impl WebhookStore for PgStore {
    fn hold_endpoint(&self, endpoint: &str) -> Result<bool, StoreError> {
        self.hold(format!("webhooks:{endpoint}"))
    }

    fn webhook_head(&self, endpoint: &str) -> Result<Option<QueuedWebhook>, StoreError> {
        let row: Option<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(
                "SELECT record FROM webhook_queue WHERE endpoint = $1 ORDER BY seq LIMIT 1",
            )
            .bind(endpoint)
            .fetch_optional(self.pool())
            .await
            .map_err(backend)
        })?;
        row.map(|(record,)| serde_json::from_value(record).map_err(corrupt))
            .transpose()
    }

    fn webhook_queue_len(&self, endpoint: &str) -> Result<u64, StoreError> {
        let (count,): (i64,) = self.run(async {
            sqlx::query_as("SELECT count(*) FROM webhook_queue WHERE endpoint = $1")
                .bind(endpoint)
                .fetch_one(self.pool())
                .await
                .map_err(backend)
        })?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    fn update_webhook(&self, queued: &QueuedWebhook) -> Result<(), StoreError> {
        let record = serde_json::to_value(queued).map_err(corrupt)?;
        self.write(async {
            // A message no longer queued (finished meanwhile) is left alone: no row matches.
            sqlx::query("UPDATE webhook_queue SET record = $3 WHERE endpoint = $1 AND seq = $2")
                .bind(&queued.message.endpoint)
                .bind(seq(queued.seq)?)
                .bind(&record)
                .execute(self.pool())
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn finish_webhook(
        &self,
        endpoint: &str,
        finished: &FinishedWebhook,
        keep: usize,
    ) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            sqlx::query("DELETE FROM webhook_queue WHERE endpoint = $1 AND seq = $2")
                .bind(endpoint)
                .bind(seq(finished.seq)?)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            record_finished(&mut tx, LOG, endpoint, finished, keep).await?;
            if !finished.delivered {
                record_finished(&mut tx, FAILURES, endpoint, finished, keep).await?;
            }
            tx.commit().await.map_err(backend)
        })
    }

    fn finished_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError> {
        self.newest(
            "SELECT record FROM webhook_log WHERE endpoint = $1 ORDER BY seq DESC LIMIT $2",
            endpoint,
            limit,
        )
    }

    fn failed_webhooks(
        &self,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<FinishedWebhook>, StoreError> {
        self.newest(
            "SELECT record FROM webhook_failures WHERE endpoint = $1 ORDER BY seq DESC LIMIT $2",
            endpoint,
            limit,
        )
    }
}
