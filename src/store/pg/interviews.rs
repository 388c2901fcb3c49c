//! Interviews in PostgreSQL (the fifth migration): each change to an interview (its record
//! and counters, the note, the event, the theme counts and the webhook messages) is one
//! transaction, refused when the stored record moved on since the change was computed.

use sqlx::PgConnection;
use uuid::Uuid;

use super::aggregate_writes::apply;
use super::responses::enqueue;
use super::{Paged, PgStore, backend, corrupt};
use crate::interview::{Interview, InterviewEvent, Note};
use crate::store::{
    InterviewIter, InterviewStore, InterviewWrite, NoteIter, NoteWrite, StoreError,
};

fn number(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(corrupt)
}

/// Only the counter a write checks.
#[derive(serde::Deserialize)]
struct Counters {
    #[serde(default)]
    last_event_id: u64,
}

fn refused(reason: &str) -> StoreError {
    StoreError::Backend(format!("interview write refused: {reason}"))
}

async fn apply_change(
    tx: &mut PgConnection,
    change: &InterviewWrite<'_>,
) -> Result<(), StoreError> {
    let id = change.interview.id;
    let stored: Option<(serde_json::Value,)> =
        sqlx::query_as("SELECT record FROM interviews WHERE id = $1 FOR UPDATE")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
    let (stored,) = stored.ok_or_else(|| refused("the interview is not stored"))?;
    let counters: Counters = serde_json::from_value(stored).map_err(corrupt)?;
    if counters.last_event_id != change.expected_last_event_id {
        return Err(refused("the interview changed during the write"));
    }
    sqlx::query("UPDATE interviews SET record = $2 WHERE id = $1")
        .bind(id)
        .bind(serde_json::to_value(change.interview).map_err(corrupt)?)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    match change.note {
        NoteWrite::Unchanged => {}
        NoteWrite::Put(note) => {
            sqlx::query(
                "INSERT INTO notes (interview, seq, client_id, record) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (interview, seq) DO UPDATE
                 SET client_id = EXCLUDED.client_id, record = EXCLUDED.record",
            )
            .bind(id)
            .bind(number(note.seq)?)
            .bind(&note.client_id)
            .bind(serde_json::to_value(note).map_err(corrupt)?)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        NoteWrite::Remove(note) => {
            // The note, its idempotency key with it, and the earlier events that carry its
            // text: deleted words are gone for good.
            for query in [
                "DELETE FROM notes WHERE interview = $1 AND seq = $2",
                "DELETE FROM interview_events WHERE interview = $1 AND note_seq = $2",
            ] {
                sqlx::query(query)
                    .bind(id)
                    .bind(number(note.seq)?)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
        }
    }
    let note_seq = change.event.change.seq().map(number).transpose()?;
    sqlx::query(
        "INSERT INTO interview_events (interview, id, note_seq, record) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(number(change.event.id)?)
    .bind(note_seq)
    .bind(serde_json::to_value(change.event).map_err(corrupt)?)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    apply(tx, change.retract, None, -1).await?;
    apply(tx, change.add, None, 1).await?;
    enqueue(tx, change.webhooks).await
}

impl InterviewStore for PgStore {
    fn insert_interview(&self, interview: &Interview) -> Result<(), StoreError> {
        let record = serde_json::to_value(interview).map_err(corrupt)?;
        self.write(async {
            sqlx::query("INSERT INTO interviews (id, guide, record) VALUES ($1, $2, $3)")
                .bind(interview.id)
                .bind(&interview.guide)
                .bind(&record)
                .execute(self.pool())
                .await
                .map_err(backend)?;
            Ok(())
        })
    }

    fn interview(&self, id: Uuid) -> Result<Option<Interview>, StoreError> {
        self.record_by("SELECT record FROM interviews WHERE id = $1", id)
    }

    fn interviews(&self, guide: Option<&str>) -> InterviewIter {
        let (pool, guide) = (self.pool().clone(), guide.map(str::to_string));
        // Newest first: pages go backwards from the last id seen.
        Box::new(Paged::new(self, move |before: Option<&Uuid>, limit| {
            let (pool, guide, before) = (pool.clone(), guide.clone(), before.copied());
            async move {
                let rows: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
                    "SELECT id, record FROM interviews
                     WHERE ($1::text IS NULL OR guide = $1) AND ($2::uuid IS NULL OR id < $2)
                     ORDER BY id DESC LIMIT $3",
                )
                .bind(&guide)
                .bind(before)
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

    fn notes(&self, interview: Uuid) -> NoteIter {
        let pool = self.pool().clone();
        Box::new(Paged::new(self, move |after: Option<&i64>, limit| {
            let (pool, after) = (pool.clone(), after.copied());
            async move {
                let rows: Vec<(i64, serde_json::Value)> = sqlx::query_as(
                    "SELECT seq, record FROM notes
                     WHERE interview = $1 AND ($2::bigint IS NULL OR seq > $2)
                     ORDER BY seq LIMIT $3",
                )
                .bind(interview)
                .bind(after)
                .bind(limit)
                .fetch_all(&pool)
                .await
                .map_err(backend)?;
                rows.into_iter()
                    .map(|(seq, record)| {
                        let note: Note = serde_json::from_value(record).map_err(corrupt)?;
                        Ok((seq, note))
                    })
                    .collect()
            }
        }))
    }

    fn note(&self, interview: Uuid, seq: u64) -> Result<Option<Note>, StoreError> {
        let row: Option<(serde_json::Value,)> = self.run(async {
            sqlx::query_as("SELECT record FROM notes WHERE interview = $1 AND seq = $2")
                .bind(interview)
                .bind(number(seq)?)
                .fetch_optional(self.pool())
                .await
                .map_err(backend)
        })?;
        row.map(|(record,)| serde_json::from_value(record).map_err(corrupt))
            .transpose()
    }

    fn note_for_client_id(
        &self,
        interview: Uuid,
        client_id: &str,
    ) -> Result<Option<u64>, StoreError> {
        let row: Option<(i64,)> = self.run(async {
            sqlx::query_as(
                "SELECT seq FROM notes WHERE interview = $1 AND client_id = $2
                 ORDER BY seq DESC LIMIT 1",
            )
            .bind(interview)
            .bind(client_id)
            .fetch_optional(self.pool())
            .await
            .map_err(backend)
        })?;
        row.map(|(seq,)| u64::try_from(seq).map_err(corrupt))
            .transpose()
    }

    fn write(&self, change: &InterviewWrite) -> Result<(), StoreError> {
        PgStore::write(self, async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            apply_change(&mut tx, change).await?;
            super::events::announce(&mut tx, self.node, change.interview.id, change.event.id)
                .await?;
            tx.commit().await.map_err(backend)
        })
    }

    fn on_remote_events(&self, notify: crate::store::RemoteEvents) -> Result<(), StoreError> {
        self.listen_for_events(notify)
    }

    fn events_after(&self, interview: Uuid, after: u64) -> Result<Vec<InterviewEvent>, StoreError> {
        let Ok(after) = i64::try_from(after) else {
            return Ok(Vec::new());
        };
        let rows: Vec<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(
                "SELECT record FROM interview_events WHERE interview = $1 AND id > $2 ORDER BY id",
            )
            .bind(interview)
            .bind(after)
            .fetch_all(self.pool())
            .await
            .map_err(backend)
        })?;
        super::decode_rows(rows)
    }
}
