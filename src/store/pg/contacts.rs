//! Contacts in PostgreSQL. Each process stages its import under its own stage id, so two
//! nodes importing at once never see each other's rows; a batch of the commit is one
//! transaction that locks the contacts it merges into (`FOR UPDATE`), so two imports touching
//! one contact apply one after the other rather than one overwriting the other's merge.

use std::collections::{BTreeSet, HashMap};

use super::{PgStore, backend, corrupt};
use crate::store::StoreError;
use crate::store::contacts::{Contact, ContactStore, ImportCounts, Merge, StagedRow};

/// Stages left behind by a process that died mid-import, older than this, are removed by the
/// next import of any process.
const ABANDONED: &str = "1 day";

fn line(n: u64) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(corrupt)
}

impl PgStore {
    fn staged_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<(String, StagedRow)>, StoreError> {
        let rows: Vec<(String, i64, serde_json::Value)> = self.run(async {
            sqlx::query_as(
                "SELECT key, line, row_cells FROM contact_stage
                 WHERE stage = $1 AND ($2::text IS NULL OR key > $2)
                 ORDER BY key LIMIT $3",
            )
            .bind(self.node)
            .bind(after)
            .bind(i64::try_from(limit).map_err(corrupt)?)
            .fetch_all(self.pool())
            .await
            .map_err(backend)
        })?;
        rows.into_iter()
            .map(|(key, line, cells)| {
                Ok((
                    key,
                    StagedRow {
                        line: u64::try_from(line).map_err(corrupt)?,
                        cells: serde_json::from_value(cells).map_err(corrupt)?,
                    },
                ))
            })
            .collect()
    }

    /// One batch merged into the contacts with the pii columns, in one transaction.
    fn commit_batch(
        &self,
        rows: &[(String, StagedRow)],
        pii: &BTreeSet<String>,
        merge: Merge,
    ) -> Result<ImportCounts, StoreError> {
        let keys: Vec<&str> = rows.iter().map(|(key, _)| key.as_str()).collect();
        let columns: Vec<&str> = pii.iter().map(String::as_str).collect();
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            sqlx::query(
                "INSERT INTO contact_pii (name) SELECT UNNEST($1::text[]) ON CONFLICT DO NOTHING",
            )
            .bind(&columns)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            let existing: Vec<(String, serde_json::Value)> = sqlx::query_as(
                "SELECT key, record FROM contacts WHERE key = ANY($1) ORDER BY key FOR UPDATE",
            )
            .bind(&keys)
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
            let mut existing: HashMap<String, Contact> = existing
                .into_iter()
                .map(|(key, record)| Ok((key, serde_json::from_value(record).map_err(corrupt)?)))
                .collect::<Result<_, StoreError>>()?;
            let mut counts = ImportCounts::default();
            let mut records = Vec::with_capacity(rows.len());
            for (key, row) in rows {
                let stored = existing.remove(key);
                match stored {
                    Some(_) => counts.updated += 1,
                    None => counts.created += 1,
                }
                let contact = merge(stored, key, row.clone());
                records.push(serde_json::to_value(&contact).map_err(corrupt)?);
            }
            sqlx::query(
                "INSERT INTO contacts (key, record) SELECT * FROM UNNEST($1::text[], $2::jsonb[])
                 ON CONFLICT (key) DO UPDATE SET record = EXCLUDED.record",
            )
            .bind(&keys)
            .bind(&records)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
            tx.commit().await.map_err(backend)?;
            Ok(counts)
        })
    }
}

impl ContactStore for PgStore {
    fn contact(&self, key: &str) -> Result<Option<Contact>, StoreError> {
        self.record_by("SELECT record FROM contacts WHERE key = $1", key)
    }

    fn contacts_after(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Contact>, StoreError> {
        let rows: Vec<(serde_json::Value,)> = self.run(async {
            sqlx::query_as(
                "SELECT record FROM contacts WHERE ($1::text IS NULL OR key > $1)
                 ORDER BY key LIMIT $2",
            )
            .bind(after)
            .bind(i64::try_from(limit).map_err(corrupt)?)
            .fetch_all(self.pool())
            .await
            .map_err(backend)
        })?;
        super::decode_rows(rows)
    }

    fn pii_columns(&self) -> Result<BTreeSet<String>, StoreError> {
        let rows: Vec<(String,)> = self.run(async {
            sqlx::query_as("SELECT name FROM contact_pii")
                .fetch_all(self.pool())
                .await
                .map_err(backend)
        })?;
        Ok(rows.into_iter().map(|(name,)| name).collect())
    }

    fn stage_contacts(
        &self,
        rows: &[(String, StagedRow)],
    ) -> Result<Option<(String, u64, u64)>, StoreError> {
        let mut keys = Vec::with_capacity(rows.len());
        let mut lines = Vec::with_capacity(rows.len());
        let mut cells = Vec::with_capacity(rows.len());
        for (key, row) in rows {
            keys.push(key.as_str());
            lines.push(line(row.line)?);
            cells.push(serde_json::to_value(&row.cells).map_err(corrupt)?);
        }
        // UNNEST keeps the file's order, so of two rows with one key the first is staged and
        // the second is the one not returned.
        let staged: Vec<(String,)> = self.run(async {
            sqlx::query_as(
                "INSERT INTO contact_stage (stage, key, line, row_cells)
                 SELECT $1, * FROM UNNEST($2::text[], $3::bigint[], $4::jsonb[])
                 ON CONFLICT (stage, key) DO NOTHING RETURNING key",
            )
            .bind(self.node)
            .bind(&keys)
            .bind(&lines)
            .bind(&cells)
            .fetch_all(self.pool())
            .await
            .map_err(backend)
        })?;
        if staged.len() == rows.len() {
            return Ok(None);
        }
        let mut fresh: HashMap<String, usize> = HashMap::new();
        for (key,) in staged {
            *fresh.entry(key).or_default() += 1;
        }
        for (key, row) in rows {
            match fresh.get_mut(key) {
                Some(left) if *left > 0 => *left -= 1,
                _ => {
                    let first: (i64,) = self.run(async {
                        sqlx::query_as(
                            "SELECT line FROM contact_stage WHERE stage = $1 AND key = $2",
                        )
                        .bind(self.node)
                        .bind(key)
                        .fetch_one(self.pool())
                        .await
                        .map_err(backend)
                    })?;
                    let first = u64::try_from(first.0).map_err(corrupt)?;
                    return Ok(Some((key.clone(), first, row.line)));
                }
            }
        }
        Ok(None)
    }

    fn clear_stage(&self) -> Result<(), StoreError> {
        self.run(async {
            sqlx::query(
                "DELETE FROM contact_stage WHERE stage = $1 OR staged_at < now() - $2::interval",
            )
            .bind(self.node)
            .bind(ABANDONED)
            .execute(self.pool())
            .await
            .map_err(backend)?;
            Ok(())
        })
    }

    fn commit_stage(
        &self,
        pii: &BTreeSet<String>,
        merge: Merge,
        batch: usize,
    ) -> Result<ImportCounts, StoreError> {
        let mut total = ImportCounts::default();
        let mut after: Option<String> = None;
        loop {
            let rows = self.staged_after(after.as_deref(), batch.max(1))?;
            if rows.is_empty() {
                break;
            }
            let counts = self.commit_batch(&rows, pii, merge)?;
            total.created += counts.created;
            total.updated += counts.updated;
            after = rows.last().map(|(key, _)| key.clone());
        }
        // A file with no rows still marks its pii columns.
        if total == ImportCounts::default() && !pii.is_empty() {
            self.commit_batch(&[], pii, merge)?;
        }
        self.clear_stage()?;
        Ok(total)
    }

    fn delete_contact(&self, key: &str) -> Result<bool, StoreError> {
        self.write(async {
            let removed = sqlx::query("DELETE FROM contacts WHERE key = $1")
                .bind(key)
                .execute(self.pool())
                .await
                .map_err(backend)?;
            Ok(removed.rows_affected() > 0)
        })
    }
}
