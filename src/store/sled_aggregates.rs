//! Report aggregates in sled. Trees and keys:
//! - `aggregates`: report id, 0xFF, segment name -> `SegmentStats` as JSON
//! - `aggregate_state`: report id -> `RebuildState` as JSON
//!
//! Writers (insert, erase) and rebuild batches take `aggregate_lock`, so a rebuild's cursor
//! and the writers agree on which responses it has already folded in: a response at or before
//! the cursor is updated incrementally, one after it is left for the rebuild to pick up.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use uuid::Uuid;

use super::sled_store::{SledStore, backend, decode, encode, form_key, form_prefix};
use super::{AggregateState, Contribution, ContributionsOf, StoreError};
use crate::analysis::aggregate::SegmentStats;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct RebuildState {
    key: String,
    ready: bool,
    /// The last response folded in by the rebuild, in the form's time order.
    cursor: Option<Uuid>,
    done: u64,
    total: u64,
}

type TxResult<T> = Result<T, ConflictableTransactionError<String>>;

fn abort(message: impl Into<String>) -> ConflictableTransactionError<String> {
    ConflictableTransactionError::Abort(message.into())
}

fn aggregate_key(report: &str, segment: &str) -> Vec<u8> {
    form_key(report, segment.as_bytes())
}

/// Applies contributions inside a write, to the reports whose aggregates should see them.
pub(super) fn apply_contributions(
    aggregates: &TransactionalTree,
    states: &TransactionalTree,
    response: Uuid,
    contributions: &[Contribution],
    sign: i64,
) -> TxResult<()> {
    for contribution in contributions {
        let Some(bytes) = states.get(contribution.report.as_bytes())? else {
            continue;
        };
        let state: RebuildState =
            serde_json::from_slice(&bytes).map_err(|e| abort(e.to_string()))?;
        let counted = state.ready || state.cursor.is_some_and(|cursor| response <= cursor);
        if counted {
            add_to_segment(aggregates, contribution, sign)?;
        }
    }
    Ok(())
}

fn add_to_segment(
    aggregates: &TransactionalTree,
    contribution: &Contribution,
    sign: i64,
) -> TxResult<()> {
    let key = aggregate_key(&contribution.report, &contribution.segment);
    let mut stats: SegmentStats = match aggregates.get(&key)? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| abort(e.to_string()))?,
        None => SegmentStats::default(),
    };
    stats.add(&contribution.stats, sign);
    if stats.is_empty() {
        aggregates.remove(key)?;
    } else {
        let bytes = serde_json::to_vec(&stats).map_err(|e| abort(e.to_string()))?;
        aggregates.insert(key, bytes)?;
    }
    Ok(())
}

impl SledStore {
    fn rebuild_state(&self, report: &str) -> Result<Option<RebuildState>, StoreError> {
        match self
            .aggregate_state
            .get(report.as_bytes())
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    pub(super) fn read_aggregates(
        &self,
        report: &str,
        key: &str,
    ) -> Result<AggregateState, StoreError> {
        let Some(state) = self.rebuild_state(report)?.filter(|s| s.key == key) else {
            return Ok(AggregateState::Missing);
        };
        if !state.ready {
            return Ok(AggregateState::Building {
                done: state.done,
                total: state.total,
            });
        }
        let prefix = form_prefix(report);
        let mut segments = BTreeMap::new();
        for entry in self.aggregates.scan_prefix(&prefix) {
            let (k, bytes) = entry.map_err(backend)?;
            let segment = String::from_utf8_lossy(&k[prefix.len()..]).into_owned();
            segments.insert(segment, decode(&bytes)?);
        }
        Ok(AggregateState::Ready(segments))
    }

    pub(super) fn start_rebuild(
        &self,
        report: &str,
        key: &str,
        form_id: &str,
    ) -> Result<bool, StoreError> {
        let _guard = self.lock()?;
        if let Some(state) = self.rebuild_state(report)?.filter(|s| s.key == key) {
            // Built already, or a rebuild a restart interrupted: it goes on from its cursor.
            return Ok(!state.ready);
        }
        let mut batch = sled::Batch::default();
        for entry in self.aggregates.scan_prefix(form_prefix(report)).keys() {
            batch.remove(entry.map_err(backend)?);
        }
        self.aggregates.apply_batch(batch).map_err(backend)?;
        let total = self
            .responses_by_form
            .scan_prefix(form_prefix(form_id))
            .count() as u64;
        let state = RebuildState {
            key: key.to_string(),
            ready: false,
            cursor: None,
            done: 0,
            total,
        };
        self.aggregate_state
            .insert(report.as_bytes(), encode(&state)?)
            .map_err(backend)?;
        self.flusher.wait_durable()?;
        Ok(true)
    }

    pub(super) fn rebuild_batch(
        &self,
        report: &str,
        form_id: &str,
        batch: usize,
        contributions_of: ContributionsOf,
    ) -> Result<bool, StoreError> {
        let guard = self.lock()?;
        let Some(mut state) = self.rebuild_state(report)? else {
            return Err(StoreError::Backend(format!(
                "no rebuild under way for report {report}"
            )));
        };
        if state.ready {
            return Ok(true);
        }
        let prefix = form_prefix(form_id);
        let start = match state.cursor {
            Some(cursor) => Bound::Excluded(form_key(form_id, cursor.as_bytes())),
            None => Bound::Included(prefix.clone()),
        };
        let mut merged: BTreeMap<String, SegmentStats> = BTreeMap::new();
        let mut seen = 0;
        for entry in self
            .responses_by_form
            .range::<Vec<u8>, _>((start, Bound::Unbounded))
        {
            let (key, _) = entry.map_err(backend)?;
            if !key.starts_with(&prefix) || seen == batch {
                break;
            }
            seen += 1;
            let id = Uuid::from_slice(&key[prefix.len()..])
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            state.cursor = Some(id);
            let Some(response) = self.load_response(id)? else {
                continue;
            };
            for contribution in contributions_of(&response)
                .into_iter()
                .filter(|c| c.report == report)
            {
                merged
                    .entry(contribution.segment)
                    .or_default()
                    .add(&contribution.stats, 1);
            }
        }
        state.done += seen as u64;
        state.total = state.total.max(state.done);
        state.ready = seen < batch;
        let state_bytes = encode(&state)?;
        (&self.aggregates, &self.aggregate_state)
            .transaction(|(aggregates, states)| {
                for (segment, stats) in &merged {
                    let contribution = Contribution {
                        report: report.to_string(),
                        segment: segment.clone(),
                        stats: stats.clone(),
                    };
                    add_to_segment(aggregates, &contribution, 1)?;
                }
                states.insert(report.as_bytes(), state_bytes.as_slice())?;
                Ok(())
            })
            .map_err(super::sled_store::transaction_error)?;
        drop(guard);
        self.flusher.wait_durable()?;
        Ok(state.ready)
    }
}
