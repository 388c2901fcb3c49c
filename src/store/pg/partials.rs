//! Partial responses in PostgreSQL (`partials`, in the fourth migration). A completion
//! stores the response exactly as `ResponseStore::insert_response` does and replaces the
//! partial by its completion mark in the same transaction.

use std::collections::BTreeMap;

use sqlx::{Acquire, PgConnection};
use uuid::Uuid;

use super::responses::write_response;
use super::{Paged, PgStore, backend, corrupt};
use crate::form::Form;
use crate::store::{
    Completion, PartialIter, PartialResponse, PartialState, PartialStore, StoreError,
    StoredResponse, WebhookMessage,
};
use crate::tally::Contribution;

/// The token's record, locked until the transaction ends; an unreadable one counts as none
/// (it is replaced like any other).
async fn locked(
    tx: &mut PgConnection,
    token_sha256: &str,
) -> Result<Option<PartialState>, StoreError> {
    let row: Option<(serde_json::Value,)> =
        sqlx::query_as("SELECT record FROM partials WHERE token_sha256 = $1 FOR UPDATE")
            .bind(token_sha256)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
    Ok(row.and_then(|(record,)| serde_json::from_value(record).ok()))
}

async fn put(
    tx: &mut PgConnection,
    token_sha256: &str,
    state: &PartialState,
) -> Result<(), StoreError> {
    let id = match state {
        PartialState::Open(partial) => Some(partial.id),
        PartialState::Completed { .. } => None,
    };
    sqlx::query(
        "INSERT INTO partials (token_sha256, form, id, saved_at, record) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (token_sha256) DO UPDATE SET form = EXCLUDED.form, id = EXCLUDED.id,
         saved_at = EXCLUDED.saved_at, record = EXCLUDED.record",
    )
    .bind(token_sha256)
    .bind(state.form())
    .bind(id)
    .bind(state.saved_at())
    .bind(serde_json::to_value(state).map_err(corrupt)?)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    Ok(())
}

async fn remove(tx: &mut PgConnection, token_sha256: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM partials WHERE token_sha256 = $1")
        .bind(token_sha256)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    Ok(())
}

impl PartialStore for PgStore {
    fn save_partial(
        &self,
        token_sha256: &str,
        partial: &PartialResponse,
    ) -> Result<bool, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            if let Some(PartialState::Completed { .. }) = locked(&mut tx, token_sha256).await? {
                return Ok(false);
            }
            put(&mut tx, token_sha256, &PartialState::Open(partial.clone())).await?;
            tx.commit().await.map_err(backend)?;
            Ok(true)
        })
    }

    fn partial(&self, token_sha256: &str) -> Result<Option<PartialState>, StoreError> {
        self.record_by(
            "SELECT record FROM partials WHERE token_sha256 = $1",
            token_sha256,
        )
    }

    fn delete_partial(&self, token_sha256: &str) -> Result<(), StoreError> {
        self.write(async {
            // Only an open partial: a completion mark stays, so the last page is not stored twice.
            sqlx::query("DELETE FROM partials WHERE token_sha256 = $1 AND id IS NOT NULL")
                .bind(token_sha256)
                .execute(self.pool())
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn partials(&self, form_id: &str) -> PartialIter {
        let (pool, form) = (self.pool().clone(), form_id.to_string());
        Box::new(Paged::new(self, move |after: Option<&Uuid>, limit| {
            let (pool, form, after) = (pool.clone(), form.clone(), after.copied());
            async move {
                let rows: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
                    "SELECT id, record FROM partials
                     WHERE form = $1 AND id IS NOT NULL AND ($2::uuid IS NULL OR id > $2)
                     ORDER BY id LIMIT $3",
                )
                .bind(&form)
                .bind(after)
                .bind(limit)
                .fetch_all(&pool)
                .await
                .map_err(backend)?;
                let mut open = Vec::with_capacity(rows.len());
                for (id, record) in rows {
                    if let PartialState::Open(partial) =
                        serde_json::from_value(record).map_err(corrupt)?
                    {
                        open.push((id, partial));
                    }
                }
                Ok(open)
            }
        }))
    }

    fn complete_partial(
        &self,
        token_sha256: &str,
        response: &StoredResponse,
        form: &Form,
        contributions: &[Contribution],
        webhooks: &[WebhookMessage],
    ) -> Result<Completion, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            if let Some(PartialState::Completed { response, .. }) =
                locked(&mut tx, token_sha256).await?
            {
                return Ok(Completion::AlreadyStored(response));
            }
            // A savepoint: a quota without a place left undoes the response's writes but not
            // the erasure of the partial (a respondent screened out leaves nothing behind).
            let mut attempt = tx.begin().await.map_err(backend)?;
            match write_response(&mut attempt, response, form, contributions, webhooks).await {
                Ok(()) => attempt.commit().await.map_err(backend)?,
                Err(StoreError::QuotaFull(quota)) => {
                    attempt.rollback().await.map_err(backend)?;
                    remove(&mut tx, token_sha256).await?;
                    tx.commit().await.map_err(backend)?;
                    return Err(StoreError::QuotaFull(quota));
                }
                Err(e) => return Err(e),
            }
            let mark = PartialState::Completed {
                form: response.form.clone(),
                response: response.id,
                saved_at: response.submitted_at.clone(),
            };
            put(&mut tx, token_sha256, &mark).await?;
            tx.commit().await.map_err(backend)?;
            Ok(Completion::Stored)
        })
    }

    fn erase_stale_partials(
        &self,
        stale: &dyn Fn(&str, &str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows: Vec<(String, String, String)> = self.run(async {
            sqlx::query_as("SELECT token_sha256, form, saved_at FROM partials")
                .fetch_all(self.pool())
                .await
                .map_err(backend)
        })?;
        let mut erased = BTreeMap::new();
        for (token, form, saved_at) in rows {
            if !stale(&form, &saved_at) {
                continue;
            }
            // Erased only if untouched since it was read: a page kept meanwhile wins.
            let done = self.write(async {
                sqlx::query("DELETE FROM partials WHERE token_sha256 = $1 AND saved_at = $2")
                    .bind(&token)
                    .bind(&saved_at)
                    .execute(self.pool())
                    .await
                    .map_err(backend)
            })?;
            if done.rows_affected() > 0 {
                *erased.entry(form).or_insert(0) += 1;
            }
        }
        Ok(erased)
    }
}
