//! Backups in PostgreSQL: every table of records read in one REPEATABLE READ transaction, so
//! the records are the database at one instant while writers carry on; a restore writes them
//! back, with the columns they imply, in one transaction.
//!
//! jsonb keeps a record's meaning, not its bytes (key order and spacing are PostgreSQL's), so
//! a record read back is the same JSON value as the one stored, not the same text. A form
//! revision is carried as sled carries it, `{"first_response": ID, "form": DEFINITION}`.

use std::ops::ControlFlow;

use futures_util::TryStreamExt;
use serde::Deserialize;
use serde_json::value::RawValue;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::{PgStore, backend, corrupt};
use crate::interview::InterviewEvent;
use crate::store::StoreError;
use crate::store::backup::{
    BackupStore, CampaignKeys, ContactKeys, InterviewKeys, Json, NoteKeys, Record, ResponseKeys,
    TextKeys,
};
use crate::store::invitations::Invitation;

fn json(text: String) -> Result<Json, StoreError> {
    RawValue::from_string(text).map_err(corrupt)
}

fn signed(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(corrupt)
}

fn value(record: &Json) -> Result<serde_json::Value, StoreError> {
    serde_json::from_str(record.get()).map_err(corrupt)
}

/// The rows of one table as records: the query, and how a row (its text columns, with the
/// numbers and ids cast to text) becomes a record.
struct Table {
    query: &'static str,
    make: fn(Vec<String>) -> Result<Record, StoreError>,
}

fn parts<const N: usize>(row: Vec<String>) -> Result<[String; N], StoreError> {
    row.try_into()
        .map_err(|_| StoreError::Corrupt("a backup query gave the wrong columns".into()))
}

fn id(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(corrupt)
}

fn number(text: &str) -> Result<u64, StoreError> {
    text.parse().map_err(corrupt)
}

const TABLES: [Table; 18] = [
    Table {
        query: "SELECT record::text FROM responses ORDER BY id",
        make: |row| {
            let [record] = parts(row)?;
            Ok(Record::Response {
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT form, revision, json_build_object('first_response', first_response,
                'form', definition)::text FROM revisions ORDER BY form, revision",
        make: |row| {
            let [form, revision, record] = parts(row)?;
            Ok(Record::Revision {
                form,
                revision,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT record::text FROM interviews ORDER BY id",
        make: |row| {
            let [record] = parts(row)?;
            Ok(Record::Interview {
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT interview::text, seq::text, record::text FROM notes ORDER BY interview, seq",
        make: |row| {
            let [interview, seq, record] = parts(row)?;
            Ok(Record::Note {
                interview: id(&interview)?,
                seq: number(&seq)?,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT interview::text, id::text, record::text FROM interview_events
                ORDER BY interview, id",
        make: |row| {
            let [interview, event, record] = parts(row)?;
            Ok(Record::InterviewEvent {
                interview: id(&interview)?,
                id: number(&event)?,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT report, segment, record::text FROM card_notes ORDER BY report, segment",
        make: |row| {
            let [report, segment, record] = parts(row)?;
            Ok(Record::CardNotes {
                report,
                segment,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT report, record::text FROM mail_state ORDER BY report",
        make: |row| {
            let [report, record] = parts(row)?;
            Ok(Record::MailState {
                report,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT id_sha256, record::text FROM sessions ORDER BY id_sha256",
        make: |row| {
            let [id_sha256, record] = parts(row)?;
            Ok(Record::Session {
                id_sha256,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT endpoint, seq::text, record::text FROM webhook_queue ORDER BY endpoint, seq",
        make: |row| {
            let [endpoint, seq, record] = parts(row)?;
            Ok(Record::WebhookQueued {
                endpoint,
                seq: number(&seq)?,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT endpoint, last_seq::text FROM webhook_sequences ORDER BY endpoint",
        make: |row| {
            let [endpoint, last] = parts(row)?;
            Ok(Record::WebhookSequence {
                endpoint,
                last: number(&last)?,
            })
        },
    },
    Table {
        query: "SELECT endpoint, seq::text, record::text FROM webhook_log ORDER BY endpoint, seq",
        make: |row| {
            let [endpoint, seq, record] = parts(row)?;
            Ok(Record::WebhookFinished {
                endpoint,
                seq: number(&seq)?,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT endpoint, seq::text, record::text FROM webhook_failures
                ORDER BY endpoint, seq",
        make: |row| {
            let [endpoint, seq, record] = parts(row)?;
            Ok(Record::WebhookFailed {
                endpoint,
                seq: number(&seq)?,
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT record::text FROM contacts ORDER BY key",
        make: |row| {
            let [record] = parts(row)?;
            Ok(Record::Contact {
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT json_agg(name ORDER BY name)::text FROM contact_pii HAVING count(*) > 0",
        make: |row| {
            let [names] = parts(row)?;
            Ok(Record::PiiColumns {
                names: serde_json::from_str(&names).map_err(corrupt)?,
            })
        },
    },
    Table {
        query: "SELECT record::text FROM outside_texts ORDER BY report, source, id",
        make: |row| {
            let [record] = parts(row)?;
            Ok(Record::Text {
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT record::text FROM invitations ORDER BY form, contact",
        make: |row| {
            let [record] = parts(row)?;
            Ok(Record::Invitation {
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT record::text FROM campaigns ORDER BY id",
        make: |row| {
            let [record] = parts(row)?;
            Ok(Record::Campaign {
                record: json(record)?,
            })
        },
    },
    Table {
        query: "SELECT contact, at FROM unsubscribed ORDER BY contact",
        make: |row| {
            let [contact, at] = parts(row)?;
            Ok(Record::Unsubscribed { contact, at })
        },
    },
];

#[derive(Deserialize)]
struct RevisionParts {
    first_response: Uuid,
    form: serde_json::Value,
}

fn keys<T: serde::de::DeserializeOwned>(record: &Json) -> Result<T, StoreError> {
    serde_json::from_str(record.get()).map_err(corrupt)
}

async fn restore_one(
    tx: &mut Transaction<'_, Postgres>,
    record: &Record,
) -> Result<(), StoreError> {
    let statement = match record {
        Record::Response { record } => {
            let keys: ResponseKeys = keys(record)?;
            for place in &keys.quotas {
                sqlx::query(
                    "INSERT INTO quota_counts (form, quota, taken) VALUES ($1, $2, 1)
                     ON CONFLICT (form, quota) DO UPDATE SET taken = quota_counts.taken + 1",
                )
                .bind(&keys.form)
                .bind(&place.name)
                .execute(&mut **tx)
                .await
                .map_err(backend)?;
            }
            sqlx::query("INSERT INTO responses (id, form, record) VALUES ($1, $2, $3)")
                .bind(keys.id)
                .bind(keys.form)
                .bind(value(record)?)
        }
        Record::Revision {
            form,
            revision,
            record,
        } => {
            let parts: RevisionParts = keys(record)?;
            sqlx::query(
                "INSERT INTO revisions (form, revision, first_response, definition)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(form)
            .bind(revision)
            .bind(parts.first_response)
            .bind(parts.form)
        }
        Record::Interview { record } => {
            let keys: InterviewKeys = keys(record)?;
            sqlx::query("INSERT INTO interviews (id, guide, record) VALUES ($1, $2, $3)")
                .bind(keys.id)
                .bind(keys.guide)
                .bind(value(record)?)
        }
        Record::Note {
            interview,
            seq,
            record,
        } => {
            let keys: NoteKeys = keys(record)?;
            sqlx::query(
                "INSERT INTO notes (interview, seq, client_id, record) VALUES ($1, $2, $3, $4)",
            )
            .bind(interview)
            .bind(signed(*seq)?)
            .bind(keys.client_id)
            .bind(value(record)?)
        }
        Record::InterviewEvent {
            interview,
            id,
            record,
        } => {
            let event: InterviewEvent = keys(record)?;
            let note_seq = event.change.seq().map(signed).transpose()?;
            sqlx::query(
                "INSERT INTO interview_events (interview, id, note_seq, record)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(interview)
            .bind(signed(*id)?)
            .bind(note_seq)
            .bind(value(record)?)
        }
        Record::CardNotes {
            report,
            segment,
            record,
        } => sqlx::query("INSERT INTO card_notes (report, segment, record) VALUES ($1, $2, $3)")
            .bind(report)
            .bind(segment)
            .bind(value(record)?),
        Record::MailState { report, record } => {
            sqlx::query("INSERT INTO mail_state (report, record) VALUES ($1, $2)")
                .bind(report)
                .bind(value(record)?)
        }
        Record::Session { id_sha256, record } => {
            sqlx::query("INSERT INTO sessions (id_sha256, record) VALUES ($1, $2)")
                .bind(id_sha256)
                .bind(value(record)?)
        }
        Record::WebhookQueued {
            endpoint,
            seq,
            record,
        } => sqlx::query("INSERT INTO webhook_queue (endpoint, seq, record) VALUES ($1, $2, $3)")
            .bind(endpoint)
            .bind(signed(*seq)?)
            .bind(value(record)?),
        Record::WebhookSequence { endpoint, last } => {
            sqlx::query("INSERT INTO webhook_sequences (endpoint, last_seq) VALUES ($1, $2)")
                .bind(endpoint)
                .bind(signed(*last)?)
        }
        Record::WebhookFinished {
            endpoint,
            seq,
            record,
        } => sqlx::query("INSERT INTO webhook_log (endpoint, seq, record) VALUES ($1, $2, $3)")
            .bind(endpoint)
            .bind(signed(*seq)?)
            .bind(value(record)?),
        Record::WebhookFailed {
            endpoint,
            seq,
            record,
        } => {
            sqlx::query("INSERT INTO webhook_failures (endpoint, seq, record) VALUES ($1, $2, $3)")
                .bind(endpoint)
                .bind(signed(*seq)?)
                .bind(value(record)?)
        }
        Record::Contact { record } => {
            let keys: ContactKeys = keys(record)?;
            sqlx::query("INSERT INTO contacts (key, record) VALUES ($1, $2)")
                .bind(keys.key)
                .bind(value(record)?)
        }
        Record::PiiColumns { names } => sqlx::query(
            "INSERT INTO contact_pii (name) SELECT UNNEST($1::text[]) ON CONFLICT DO NOTHING",
        )
        .bind(names),
        Record::Text { record } => {
            let keys: TextKeys = keys(record)?;
            sqlx::query(
                "INSERT INTO outside_texts (report, source, id, customer_id, record)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(keys.report)
            .bind(keys.source)
            .bind(keys.id)
            .bind(keys.customer_id)
            .bind(value(record)?)
        }
        Record::Invitation { record } => {
            let invitation: Invitation = keys(record)?;
            // The same write a campaign makes: the record, its pending flag, its tokens.
            return super::invitations::put(tx, &invitation).await;
        }
        Record::Campaign { record } => {
            let keys: CampaignKeys = keys(record)?;
            sqlx::query("INSERT INTO campaigns (id, record) VALUES ($1, $2)")
                .bind(keys.id)
                .bind(value(record)?)
        }
        Record::Unsubscribed { contact, at } => {
            sqlx::query("INSERT INTO unsubscribed (contact, at) VALUES ($1, $2)")
                .bind(contact)
                .bind(at)
        }
    };
    statement.execute(&mut **tx).await.map_err(backend)?;
    Ok(())
}

impl BackupStore for PgStore {
    fn each_record(
        &self,
        visit: &mut dyn FnMut(Record) -> ControlFlow<()>,
    ) -> Result<(), StoreError> {
        self.run(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
            'tables: for table in &TABLES {
                let mut rows = sqlx::query(table.query).fetch(&mut *tx);
                while let Some(row) = rows.try_next().await.map_err(backend)? {
                    let columns = (0..sqlx::Row::len(&row))
                        .map(|i| sqlx::Row::try_get::<String, _>(&row, i).map_err(backend))
                        .collect::<Result<Vec<_>, _>>()?;
                    if visit((table.make)(columns)?).is_break() {
                        break 'tables;
                    }
                }
            }
            tx.rollback().await.map_err(backend)
        })
    }

    fn restore_records(&self, records: &[Record]) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            for record in records {
                restore_one(&mut tx, record).await?;
            }
            tx.commit().await.map_err(backend)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_outside_postgres_bigint_are_refused_not_wrapped() {
        assert!(super::signed(u64::MAX).is_err());
        assert_eq!(super::signed(7).ok(), Some(7));
    }
}
