//! Responses in PostgreSQL: `responses` (one JSON record per response, indexed by form in
//! time order), `revisions`, `quota_counts`, and the webhook outbox rows that report them,
//! each response written or erased with everything it changes in one transaction.

use std::collections::BTreeMap;

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Paged, PgStore, aggregate_writes, backend, corrupt};
use crate::form::Form;
use crate::store::{
    ContributionsOf, QueuedWebhook, QuotaPlace, ResponseIter, ResponseStore, StoreError,
    StoredResponse, WebhookMessage,
};
use crate::tally::Contribution;

/// Takes a place in each quota, or none at all: the name of the first quota without a place
/// left (the caller then rolls back).
async fn claim(
    tx: &mut PgConnection,
    form: &str,
    places: &[QuotaPlace],
) -> Result<Option<String>, StoreError> {
    for place in places {
        let limit = i64::try_from(place.limit).unwrap_or(i64::MAX);
        let taken: Option<(i64,)> = sqlx::query_as(
            "INSERT INTO quota_counts (form, quota, taken) SELECT $1, $2, 1 WHERE $3 > 0
             ON CONFLICT (form, quota) DO UPDATE SET taken = quota_counts.taken + 1
             WHERE quota_counts.taken < $3
             RETURNING taken",
        )
        .bind(form)
        .bind(&place.name)
        .bind(limit)
        .fetch_optional(&mut *tx)
        .await
        .map_err(backend)?;
        if taken.is_none() {
            return Ok(Some(place.name.clone()));
        }
    }
    Ok(None)
}

/// Gives back the places an erased response took.
async fn release(
    tx: &mut PgConnection,
    form: &str,
    places: &[QuotaPlace],
) -> Result<(), StoreError> {
    for place in places {
        sqlx::query(
            "UPDATE quota_counts SET taken = taken - 1 WHERE form = $1 AND quota = $2 AND taken > 0",
        )
        .bind(form)
        .bind(&place.name)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        sqlx::query("DELETE FROM quota_counts WHERE form = $1 AND quota = $2 AND taken = 0")
            .bind(form)
            .bind(&place.name)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// Queues `messages` at the end of their endpoints' queues, inside the caller's transaction.
pub(super) async fn enqueue(
    tx: &mut PgConnection,
    messages: &[WebhookMessage],
) -> Result<(), StoreError> {
    for message in messages {
        let (seq,): (i64,) = sqlx::query_as(
            "INSERT INTO webhook_sequences (endpoint, last_seq) VALUES ($1, 1)
             ON CONFLICT (endpoint) DO UPDATE SET last_seq = webhook_sequences.last_seq + 1
             RETURNING last_seq",
        )
        .bind(&message.endpoint)
        .fetch_one(&mut *tx)
        .await
        .map_err(backend)?;
        let record = QueuedWebhook {
            seq: u64::try_from(seq).map_err(corrupt)?,
            message: message.clone(),
            attempts: 0,
            first_attempt_at: None,
            last_attempt_at: None,
            last_outcome: None,
            next_attempt_at: None,
        };
        sqlx::query("INSERT INTO webhook_queue (endpoint, seq, record) VALUES ($1, $2, $3)")
            .bind(&message.endpoint)
            .bind(seq)
            .bind(serde_json::to_value(&record).map_err(corrupt)?)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
    }
    Ok(())
}

/// Stores a response with everything it changes, inside the caller's transaction.
pub(super) async fn write_response(
    tx: &mut PgConnection,
    response: &StoredResponse,
    form: &Form,
    contributions: &[Contribution],
    webhooks: &[WebhookMessage],
) -> Result<(), StoreError> {
    if let Some(full) = claim(tx, &response.form, &response.quotas).await? {
        return Err(StoreError::QuotaFull(full));
    }
    sqlx::query("INSERT INTO responses (id, form, record) VALUES ($1, $2, $3)")
        .bind(response.id)
        .bind(&response.form)
        .bind(serde_json::to_value(response).map_err(corrupt)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    // Revisions are never removed, so a revision seen once needs no snapshot again.
    sqlx::query(
        "INSERT INTO revisions (form, revision, first_response, definition)
         VALUES ($1, $2, $3, $4) ON CONFLICT (form, revision) DO NOTHING",
    )
    .bind(&form.id)
    .bind(&form.revision)
    .bind(response.id)
    .bind(serde_json::to_value(form).map_err(corrupt)?)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    aggregate_writes::apply(tx, contributions, Some(response.id), 1).await?;
    enqueue(tx, webhooks).await
}

impl ResponseStore for PgStore {
    fn insert_response(
        &self,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            // A refusal drops the transaction, which rolls everything back.
            write_response(&mut tx, response, form, contributions, webhooks).await?;
            tx.commit().await.map_err(backend)
        })
    }

    fn response(&self, id: Uuid) -> Result<Option<StoredResponse>, StoreError> {
        self.record_by("SELECT record FROM responses WHERE id = $1", id)
    }

    fn quota_counts(&self, form_id: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows: Vec<(String, i64)> = self.run(async {
            sqlx::query_as("SELECT quota, taken FROM quota_counts WHERE form = $1")
                .bind(form_id)
                .fetch_all(self.pool())
                .await
                .map_err(backend)
        })?;
        Ok(rows
            .into_iter()
            .map(|(quota, taken)| (quota, u64::try_from(taken).unwrap_or_default()))
            .collect())
    }

    fn delete_response(
        &self,
        id: Uuid,
        contributions_of: ContributionsOf,
        webhooks: &[WebhookMessage],
    ) -> Result<Option<StoredResponse>, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            let row: Option<(serde_json::Value,)> =
                sqlx::query_as("DELETE FROM responses WHERE id = $1 RETURNING record")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(backend)?;
            let Some((record,)) = row else {
                return Ok(None);
            };
            let existing: StoredResponse = serde_json::from_value(record).map_err(corrupt)?;
            aggregate_writes::apply(&mut tx, &contributions_of(&existing), Some(id), -1).await?;
            release(&mut tx, &existing.form, &existing.quotas).await?;
            enqueue(&mut tx, webhooks).await?;
            tx.commit().await.map_err(backend)?;
            Ok(Some(existing))
        })
    }

    fn responses(&self, form_id: &str) -> ResponseIter {
        let (pool, form) = (self.pool().clone(), form_id.to_string());
        Box::new(Paged::new(self, move |after: Option<&Uuid>, limit| {
            let (pool, form, after) = (pool.clone(), form.clone(), after.copied());
            async move {
                let rows: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
                    "SELECT id, record FROM responses
                     WHERE form = $1 AND ($2::uuid IS NULL OR id > $2)
                     ORDER BY id LIMIT $3",
                )
                .bind(&form)
                .bind(after)
                .bind(limit)
                .fetch_all(&pool)
                .await
                .map_err(backend)?;
                rows.into_iter()
                    .map(|(id, record)| Ok((id, serde_json::from_value(record).map_err(corrupt)?)))
                    .collect()
            }
        }))
    }

    fn count_responses(&self, form_id: &str) -> Result<u64, StoreError> {
        let (count,): (i64,) = self.run(async {
            sqlx::query_as("SELECT count(*) FROM responses WHERE form = $1")
                .bind(form_id)
                .fetch_one(self.pool())
                .await
                .map_err(backend)
        })?;
        Ok(u64::try_from(count).unwrap_or_default())
    }

    fn revisions(&self, form_id: &str) -> Result<Vec<Form>, StoreError> {
        let rows: Vec<(serde_json::Value,)> = self.run(async {
            // Ordered by first response, so that export columns stay stable.
            sqlx::query_as(
                "SELECT definition FROM revisions WHERE form = $1 ORDER BY first_response",
            )
            .bind(form_id)
            .fetch_all(self.pool())
            .await
            .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(definition,)| serde_json::from_value(definition).map_err(corrupt))
            .collect()
    }
}
