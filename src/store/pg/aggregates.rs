//! Report aggregates in PostgreSQL (tables in the first migration): counters summed over
//! their shards on read, theme texts and the cards' evidence as rows. The rebuild protocol is
//! that of `store::aggregates`, with row locks in place of sled's writers' lock: writers read
//! a report's progress `FOR SHARE`, a rebuild step `FOR UPDATE`. The writes are in
//! `aggregate_writes`.

use std::collections::BTreeMap;

use sqlx::Row;
use uuid::Uuid;

use super::aggregate_writes::{add, progress_for_update, put_progress};
use super::{Paged, PgStore, backend, corrupt};
use crate::store::{
    AggregateState, AggregateStore, ContributionsOf, DatedText, NotesOf, RebuildProgress,
    SegmentEvidence, StoreError, ThemeTextIter,
};
use crate::tally::{DayTally, JobStatement, SegmentStats, ThemeTextRecord};

pub(super) const STATS: &str = "s";
pub(super) const DAYS: &str = "d";
pub(super) const TERMS: &str = "t";

pub(super) fn path_text(path: &[&str]) -> String {
    serde_json::Value::from(path.to_vec()).to_string()
}

fn path_of(text: &str) -> Result<Vec<String>, StoreError> {
    serde_json::from_str(text).map_err(corrupt)
}

/// The sum of each counter of one kind, by segment, from the text PostgreSQL gives a numeric.
async fn sums(
    pool: &sqlx::PgPool,
    report: &str,
    kind: &str,
    segment: Option<&str>,
) -> Result<Vec<(String, Vec<String>, i128)>, StoreError> {
    let rows = sqlx::query(
        "SELECT segment, path, SUM(value)::text FROM aggregate_counters
         WHERE report = $1 AND kind = $2::\"char\" AND ($3::text IS NULL OR segment = $3)
         GROUP BY segment, path",
    )
    .bind(report)
    .bind(kind)
    .bind(segment)
    .fetch_all(pool)
    .await
    .map_err(backend)?;
    rows.into_iter()
        .map(|row| {
            let (segment, path, sum): (String, String, String) =
                (row.get(0), row.get(1), row.get(2));
            let value = sum.parse::<i128>().map_err(corrupt)?;
            Ok((segment, path_of(&path)?, value))
        })
        .collect()
}

/// The time in a text's sort key: the priority byte, then the response id (UUID v7).
fn time_of(order: &[u8]) -> Option<chrono::DateTime<chrono::Utc>> {
    let id = Uuid::from_slice(order.get(1..17)?).ok()?;
    let (secs, nanos) = id.get_timestamp()?.to_unix();
    chrono::DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
}

impl AggregateStore for PgStore {
    fn aggregates(&self, report: &str, key: &str) -> Result<AggregateState, StoreError> {
        self.run(async {
            let row: Option<(serde_json::Value,)> =
                sqlx::query_as("SELECT progress FROM aggregate_progress WHERE report = $1")
                    .bind(report)
                    .fetch_optional(self.pool())
                    .await
                    .map_err(backend)?;
            let Some(progress) = row
                .map(|(p,)| serde_json::from_value::<RebuildProgress>(p).map_err(corrupt))
                .transpose()?
                .filter(|p| p.key == key)
            else {
                return Ok(AggregateState::Missing);
            };
            if !progress.ready {
                return Ok(progress.state());
            }
            let mut by_segment: BTreeMap<String, Vec<(Vec<String>, i128)>> = BTreeMap::new();
            for (segment, path, value) in sums(self.pool(), report, STATS, None).await? {
                by_segment.entry(segment).or_default().push((path, value));
            }
            let mut segments = BTreeMap::new();
            for (segment, counters) in by_segment {
                let stats = SegmentStats::from_counters(counters).map_err(StoreError::Corrupt)?;
                if !stats.is_empty() {
                    segments.insert(segment, stats);
                }
            }
            Ok(AggregateState::Ready(segments))
        })
    }

    fn begin_rebuild(&self, report: &str, key: &str, form_id: &str) -> Result<bool, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            if let Some(progress) = progress_for_update(&mut tx, report)
                .await?
                .filter(|p| p.key == key)
            {
                // Built already, or a rebuild a restart interrupted: it goes on from its cursor.
                return Ok(!progress.ready);
            }
            for clear in [
                "DELETE FROM aggregate_counters WHERE report = $1",
                "DELETE FROM theme_texts WHERE report = $1",
                "DELETE FROM evidence_times WHERE report = $1",
                "DELETE FROM evidence_jobs WHERE report = $1",
            ] {
                sqlx::query(clear)
                    .bind(report)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
            }
            let (total,): (i64,) = sqlx::query_as("SELECT count(*) FROM responses WHERE form = $1")
                .bind(form_id)
                .fetch_one(&mut *tx)
                .await
                .map_err(backend)?;
            let total = u64::try_from(total).unwrap_or_default();
            put_progress(&mut tx, report, &RebuildProgress::start(key, total)).await?;
            tx.commit().await.map_err(backend)?;
            Ok(true)
        })
    }

    fn rebuild_step(
        &self,
        report: &str,
        form_id: &str,
        batch: usize,
        contributions_of: ContributionsOf,
        notes: NotesOf,
    ) -> Result<bool, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await.map_err(backend)?;
            let Some(mut progress) = progress_for_update(&mut tx, report).await? else {
                return Err(StoreError::Backend(format!(
                    "no rebuild under way for report {report}"
                )));
            };
            if progress.ready {
                return Ok(true);
            }
            let rows: Vec<(Uuid, serde_json::Value)> = sqlx::query_as(
                "SELECT id, record FROM responses
                 WHERE form = $1 AND ($2::uuid IS NULL OR id > $2)
                 ORDER BY id LIMIT $3",
            )
            .bind(form_id)
            .bind(progress.cursor)
            .bind(i64::try_from(batch).unwrap_or(i64::MAX))
            .fetch_all(&mut *tx)
            .await
            .map_err(backend)?;
            let responses = rows
                .into_iter()
                .map(|(id, record)| {
                    Ok((id, Some(serde_json::from_value(record).map_err(corrupt)?)))
                })
                .collect::<Result<_, StoreError>>()?;
            for contribution in progress.fold(report, batch, responses, contributions_of, notes)? {
                add(&mut tx, &contribution, 1).await?;
            }
            put_progress(&mut tx, report, &progress).await?;
            tx.commit().await.map_err(backend)?;
            Ok(progress.ready)
        })
    }

    fn theme_texts(&self, report: &str, theme: &str) -> ThemeTextIter {
        let (pool, report, theme) = (self.pool().clone(), report.to_string(), theme.to_string());
        Box::new(Paged::new(self, move |after: Option<&Vec<u8>>, limit| {
            let (pool, report, theme) = (pool.clone(), report.clone(), theme.clone());
            let after = after.cloned();
            async move {
                let rows: Vec<(Vec<u8>, serde_json::Value)> = sqlx::query_as(
                    "SELECT ord, record FROM theme_texts
                     WHERE report = $1 AND theme = $2 AND ($3::bytea IS NULL OR ord > $3)
                     ORDER BY ord LIMIT $4",
                )
                .bind(&report)
                .bind(&theme)
                .bind(after)
                .bind(limit)
                .fetch_all(&pool)
                .await
                .map_err(backend)?;
                rows.into_iter()
                    .map(|(order, record)| {
                        let record: ThemeTextRecord =
                            serde_json::from_value(record).map_err(corrupt)?;
                        Ok((order, record))
                    })
                    .collect()
            }
        }))
    }

    fn terms(
        &self,
        report: &str,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let rows = self.run(sums(self.pool(), report, TERMS, None))?;
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        for (segment, path, count) in rows {
            if count <= 0 || !include(&segment) {
                continue;
            }
            let Some(term) = path.into_iter().next() else {
                continue;
            };
            *totals.entry(term).or_default() += u64::try_from(count).unwrap_or(u64::MAX);
        }
        Ok(totals)
    }

    fn segment_evidence(
        &self,
        report: &str,
        segment: &str,
        jobs: usize,
    ) -> Result<SegmentEvidence, StoreError> {
        self.run(async {
            let (first_at, last_at): (Option<String>, Option<String>) = sqlx::query_as(
                "SELECT (SELECT at FROM evidence_times WHERE report = $1 AND segment = $2
                         ORDER BY ord LIMIT 1),
                        (SELECT at FROM evidence_times WHERE report = $1 AND segment = $2
                         ORDER BY ord DESC LIMIT 1)",
            )
            .bind(report)
            .bind(segment)
            .fetch_one(self.pool())
            .await
            .map_err(backend)?;
            let mut days: BTreeMap<String, DayTally> = BTreeMap::new();
            for (_, path, value) in sums(self.pool(), report, DAYS, Some(segment)).await? {
                let (Some(day), Some(field)) = (path.first(), path.get(1)) else {
                    return Err(StoreError::Corrupt(format!("bad day counter {path:?}")));
                };
                let value = i64::try_from(value).map_err(corrupt)?;
                if !days
                    .entry(day.clone())
                    .or_default()
                    .add_counter(field, value)
                {
                    return Err(StoreError::Corrupt(format!("bad day counter {path:?}")));
                }
            }
            days.retain(|_, tally| !tally.is_empty());
            let rows: Vec<(serde_json::Value,)> = sqlx::query_as(
                "SELECT job FROM evidence_jobs WHERE report = $1 AND segment = $2
                 ORDER BY ord DESC LIMIT $3",
            )
            .bind(report)
            .bind(segment)
            .bind(i64::try_from(jobs).unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await
            .map_err(backend)?;
            let jobs = rows
                .into_iter()
                .map(|(job,)| serde_json::from_value::<JobStatement>(job).map_err(corrupt))
                .collect::<Result<_, _>>()?;
            Ok(SegmentEvidence {
                first_at,
                last_at,
                days,
                jobs,
            })
        })
    }

    fn segment_theme_texts(
        &self,
        report: &str,
        segment: &str,
        theme: &str,
        limit: usize,
    ) -> Result<Vec<DatedText>, StoreError> {
        let rows: Vec<(Vec<u8>, serde_json::Value)> = self.run(async {
            sqlx::query_as(
                "SELECT ord, record FROM theme_texts
                 WHERE report = $1 AND segment = $2 AND theme = $3 AND survey
                 ORDER BY ord DESC LIMIT $4",
            )
            .bind(report)
            .bind(segment)
            .bind(theme)
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(self.pool())
            .await
            .map_err(backend)
        })?;
        let mut texts = Vec::with_capacity(rows.len());
        for (order, record) in rows {
            if let Some(at) = time_of(&order) {
                texts.push(DatedText {
                    at,
                    record: serde_json::from_value(record).map_err(corrupt)?,
                });
            }
        }
        Ok(texts)
    }
}
