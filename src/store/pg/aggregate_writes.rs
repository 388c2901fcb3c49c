//! The writes to report aggregates in PostgreSQL, inside the transaction of each response
//! (and of each rebuild step), and the locks on a report's rebuild progress that order them.

use std::collections::BTreeMap;

use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::aggregates::{DAYS, STATS, TERMS, path_text};
use super::{backend, corrupt};
use crate::store::{RebuildProgress, StoreError};
use crate::tally::{Contribution, INTERVIEW};

/// Rows per counter: concurrent writers to one segment mostly land on different rows.
const SHARDS: u8 = 8;

/// The progress of these reports, locked against rebuild steps until the transaction ends.
async fn progress_for_share(
    tx: &mut PgConnection,
    reports: &[&str],
) -> Result<BTreeMap<String, RebuildProgress>, StoreError> {
    let rows = sqlx::query(
        "SELECT report, progress FROM aggregate_progress WHERE report = ANY($1) FOR SHARE",
    )
    .bind(reports)
    .fetch_all(&mut *tx)
    .await
    .map_err(backend)?;
    rows.into_iter()
        .map(|row| {
            let progress: serde_json::Value = row.get(1);
            Ok((
                row.get(0),
                serde_json::from_value(progress).map_err(corrupt)?,
            ))
        })
        .collect()
}

/// Applies contributions (`sign` 1 adds, -1 takes back) to the reports that count them now,
/// inside the caller's transaction.
pub(super) async fn apply(
    tx: &mut PgConnection,
    contributions: &[Contribution],
    response: Option<Uuid>,
    sign: i64,
) -> Result<(), StoreError> {
    if contributions.is_empty() {
        return Ok(());
    }
    let reports: Vec<&str> = contributions.iter().map(|c| c.report.as_str()).collect();
    let progress = progress_for_share(tx, &reports).await?;
    for contribution in contributions {
        if progress
            .get(&contribution.report)
            .is_some_and(|p| p.counts(response))
        {
            add(tx, contribution, sign).await?;
        }
    }
    Ok(())
}

pub(super) async fn add(
    tx: &mut PgConnection,
    c: &Contribution,
    sign: i64,
) -> Result<(), StoreError> {
    let tally = &c.tally;
    let (report, segment) = (c.report.as_str(), tally.segment.as_str());
    // One delta per counter: a statement may not update one row twice.
    let mut deltas: BTreeMap<(&str, String), i128> = BTreeMap::new();
    for (path, value) in tally.stats.counters() {
        let parts: Vec<&str> = path.iter().map(String::as_str).collect();
        *deltas.entry((STATS, path_text(&parts))).or_default() += value * i128::from(sign);
    }
    for (day, counts) in &tally.days {
        for (field, value) in counts.counters() {
            *deltas.entry((DAYS, path_text(&[day, field]))).or_default() +=
                i128::from(value * sign);
        }
    }
    for term in &tally.terms {
        *deltas.entry((TERMS, path_text(&[term]))).or_default() += i128::from(sign);
    }
    deltas.retain(|_, v| *v != 0);
    if !deltas.is_empty() {
        let mut kinds = Vec::with_capacity(deltas.len());
        let mut paths = Vec::with_capacity(deltas.len());
        let mut values = Vec::with_capacity(deltas.len());
        for ((kind, path), value) in deltas {
            kinds.push(kind.to_string());
            paths.push(path);
            values.push(value.to_string());
        }
        let shard = i16::from(Uuid::new_v4().as_bytes()[0] % SHARDS);
        sqlx::query(
            "INSERT INTO aggregate_counters (report, segment, kind, path, shard, value)
             SELECT $1, $2, u.kind::\"char\", u.path, $3, u.value::numeric
             FROM UNNEST($4::text[], $5::text[], $6::text[]) AS u(kind, path, value)
             ON CONFLICT (report, segment, kind, path, shard)
             DO UPDATE SET value = aggregate_counters.value + EXCLUDED.value",
        )
        .bind(report)
        .bind(segment)
        .bind(shard)
        .bind(&kinds)
        .bind(&paths)
        .bind(&values)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
    }
    for text in &tally.texts {
        if sign > 0 {
            let record = serde_json::to_value(&text.record).map_err(corrupt)?;
            sqlx::query(
                "INSERT INTO theme_texts (report, theme, ord, segment, survey, record)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (report, theme, ord) DO UPDATE
                 SET segment = EXCLUDED.segment, survey = EXCLUDED.survey, record = EXCLUDED.record",
            )
            .bind(report)
            .bind(&text.theme)
            .bind(&text.order)
            .bind(segment)
            // `survey`: found by segment for the cards, as survey answers and outside texts are
            // (interview notes are read from their interviews).
            .bind(text.record.source != INTERVIEW)
            .bind(&record)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        } else {
            sqlx::query("DELETE FROM theme_texts WHERE report = $1 AND theme = $2 AND ord = $3")
                .bind(report)
                .bind(&text.theme)
                .bind(&text.order)
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
    }
    for (order, at) in &tally.submitted {
        let done = if sign > 0 {
            sqlx::query(
                "INSERT INTO evidence_times (report, segment, ord, at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (report, segment, ord) DO UPDATE SET at = EXCLUDED.at",
            )
            .bind(report)
            .bind(segment)
            .bind(order)
            .bind(at)
            .execute(&mut *tx)
            .await
        } else {
            sqlx::query(
                "DELETE FROM evidence_times WHERE report = $1 AND segment = $2 AND ord = $3",
            )
            .bind(report)
            .bind(segment)
            .bind(order)
            .execute(&mut *tx)
            .await
        };
        done.map_err(backend)?;
    }
    for (order, job) in &tally.jobs {
        let done = if sign > 0 {
            let job = serde_json::to_value(job).map_err(corrupt)?;
            sqlx::query(
                "INSERT INTO evidence_jobs (report, segment, ord, job) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (report, segment, ord) DO UPDATE SET job = EXCLUDED.job",
            )
            .bind(report)
            .bind(segment)
            .bind(order)
            .bind(&job)
            .execute(&mut *tx)
            .await
        } else {
            sqlx::query("DELETE FROM evidence_jobs WHERE report = $1 AND segment = $2 AND ord = $3")
                .bind(report)
                .bind(segment)
                .bind(order)
                .execute(&mut *tx)
                .await
        };
        done.map_err(backend)?;
    }
    Ok(())
}

/// A report's progress, locked against writers and other rebuild steps.
pub(super) async fn progress_for_update(
    tx: &mut PgConnection,
    report: &str,
) -> Result<Option<RebuildProgress>, StoreError> {
    let row: Option<(serde_json::Value,)> =
        sqlx::query_as("SELECT progress FROM aggregate_progress WHERE report = $1 FOR UPDATE")
            .bind(report)
            .fetch_optional(&mut *tx)
            .await
            .map_err(backend)?;
    row.map(|(p,)| serde_json::from_value(p).map_err(corrupt))
        .transpose()
}

pub(super) async fn put_progress(
    tx: &mut PgConnection,
    report: &str,
    progress: &RebuildProgress,
) -> Result<(), StoreError> {
    let value = serde_json::to_value(progress).map_err(corrupt)?;
    sqlx::query(
        "INSERT INTO aggregate_progress (report, progress) VALUES ($1, $2)
         ON CONFLICT (report) DO UPDATE SET progress = EXCLUDED.progress",
    )
    .bind(report)
    .bind(&value)
    .execute(&mut *tx)
    .await
    .map_err(backend)?;
    Ok(())
}
