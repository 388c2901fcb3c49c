//! Report aggregates in sled. Trees and keys:
//! - `aggregates`: report id, 0xFF, segment -> `SegmentStats` as JSON
//! - `aggregate_state`: report id -> `RebuildState` as JSON
//! - `theme_texts`: report id, 0xFF, theme, 0xFF, order -> `ThemeTextRecord` as JSON
//!   (the quotes and the drill-down; `order` puts interview quotes first)
//! - `terms`: report id, 0xFF, segment, 0xFF, term -> count (i64, big-endian)
//! - `evidence`: report id, 0xFF, segment, 0xFF, a kind byte, 0xFF, then by kind:
//!   `d` day -> `DayTally` as JSON; `t` response id -> submitted_at (the card's period);
//!   `j` response id, question, place -> `JobStatement` as JSON; `q` theme, 0xFF, theme-text
//!   order -> empty (a segment's survey texts of a theme, newest last, pointing into
//!   `theme_texts`). Cards read these by segment, so their cost does not grow with responses.
//!
//! Writers (responses, notes) and rebuild batches take `aggregate_lock`, so a rebuild's cursor
//! and the writers agree on what it has already folded in: a response at or before the cursor
//! is updated incrementally, one after it is left for the rebuild to pick up. Notes are folded
//! in by the rebuild's last step, all at once, so a note only counts incrementally once the
//! aggregates are ready.

use std::collections::BTreeMap;
use std::ops::Bound;

use serde::{Deserialize, Serialize};
use sled::Transactional;
use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use uuid::Uuid;

use super::sled_store::{
    SledStore, backend, decode, encode, form_key, form_prefix, transaction_error,
};
use super::{AggregateState, Contribution, Contributors, DatedText, SegmentEvidence, StoreError};
use crate::tally::{DayTally, JobStatement};
use crate::tally::{SURVEY, SegmentStats, ThemeTextRecord};

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

fn key(parts: &[&[u8]]) -> Vec<u8> {
    let mut key = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            key.push(0xFF);
        }
        key.extend_from_slice(part);
    }
    key
}

/// The five aggregate trees, inside one transaction.
pub(super) struct AggregateTx<'a> {
    pub aggregates: &'a TransactionalTree,
    pub states: &'a TransactionalTree,
    pub theme_texts: &'a TransactionalTree,
    pub terms: &'a TransactionalTree,
    pub evidence: &'a TransactionalTree,
}

const DAY: &[u8] = b"d";
const SUBMITTED: &[u8] = b"t";
const JOB: &[u8] = b"j";
const SURVEY_TEXT: &[u8] = b"q";

/// Which writes a report's aggregates take in now: a response (by id) or a note (`None`).
fn counted(state: &RebuildState, response: Option<Uuid>) -> bool {
    state.ready || response.is_some_and(|id| state.cursor.is_some_and(|cursor| id <= cursor))
}

impl AggregateTx<'_> {
    /// Applies contributions (`sign` 1 adds, -1 takes back) to the reports that count them now.
    pub fn apply(
        &self,
        contributions: &[Contribution],
        response: Option<Uuid>,
        sign: i64,
    ) -> TxResult<()> {
        for contribution in contributions {
            let Some(bytes) = self.states.get(contribution.report.as_bytes())? else {
                continue;
            };
            let state: RebuildState =
                serde_json::from_slice(&bytes).map_err(|e| abort(e.to_string()))?;
            if counted(&state, response) {
                self.add(contribution, sign)?;
            }
        }
        Ok(())
    }

    fn add(&self, contribution: &Contribution, sign: i64) -> TxResult<()> {
        let report = contribution.report.as_bytes();
        let tally = &contribution.tally;
        let segment_key = key(&[report, tally.segment.as_bytes()]);
        let mut stats: SegmentStats = match self.aggregates.get(&segment_key)? {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| abort(e.to_string()))?,
            None => SegmentStats::default(),
        };
        stats.add(&tally.stats, sign);
        if stats.is_empty() {
            self.aggregates.remove(segment_key)?;
        } else {
            let bytes = serde_json::to_vec(&stats).map_err(|e| abort(e.to_string()))?;
            self.aggregates.insert(segment_key, bytes)?;
        }
        let segment = tally.segment.as_bytes();
        for text in &tally.texts {
            let text_key = key(&[report, text.theme.as_bytes(), &text.order]);
            let pointer = (text.record.source == SURVEY).then(|| {
                key(&[
                    report,
                    segment,
                    SURVEY_TEXT,
                    text.theme.as_bytes(),
                    &text.order,
                ])
            });
            if sign > 0 {
                let bytes = serde_json::to_vec(&text.record).map_err(|e| abort(e.to_string()))?;
                self.theme_texts.insert(text_key, bytes)?;
                if let Some(pointer) = pointer {
                    self.evidence.insert(pointer, &[] as &[u8])?;
                }
            } else {
                self.theme_texts.remove(text_key)?;
                if let Some(pointer) = pointer {
                    self.evidence.remove(pointer)?;
                }
            }
        }
        self.add_evidence(report, tally, sign)?;
        let mut terms: BTreeMap<&str, i64> = BTreeMap::new();
        for term in &tally.terms {
            *terms.entry(term).or_default() += sign;
        }
        for (term, delta) in terms {
            let term_key = key(&[report, tally.segment.as_bytes(), term.as_bytes()]);
            let current = match self.terms.get(&term_key)? {
                Some(bytes) => i64::from_be_bytes(
                    bytes
                        .as_ref()
                        .try_into()
                        .map_err(|_| abort("bad term count"))?,
                ),
                None => 0,
            };
            let next = current + delta;
            if next <= 0 {
                self.terms.remove(term_key)?;
            } else {
                self.terms.insert(term_key, &next.to_be_bytes())?;
            }
        }
        Ok(())
    }
}

impl AggregateTx<'_> {
    fn add_evidence(&self, report: &[u8], tally: &crate::tally::Tally, sign: i64) -> TxResult<()> {
        let segment = tally.segment.as_bytes();
        for (day, delta) in &tally.days {
            let day_key = key(&[report, segment, DAY, day.as_bytes()]);
            let mut current: DayTally = match self.evidence.get(&day_key)? {
                Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| abort(e.to_string()))?,
                None => DayTally::default(),
            };
            current.add(delta, sign);
            if current.is_empty() {
                self.evidence.remove(day_key)?;
            } else {
                let bytes = serde_json::to_vec(&current).map_err(|e| abort(e.to_string()))?;
                self.evidence.insert(day_key, bytes)?;
            }
        }
        for (order, at) in &tally.submitted {
            let time_key = key(&[report, segment, SUBMITTED, order]);
            if sign > 0 {
                self.evidence.insert(time_key, at.as_bytes())?;
            } else {
                self.evidence.remove(time_key)?;
            }
        }
        for (order, job) in &tally.jobs {
            let job_key = key(&[report, segment, JOB, order]);
            if sign > 0 {
                let bytes = serde_json::to_vec(job).map_err(|e| abort(e.to_string()))?;
                self.evidence.insert(job_key, bytes)?;
            } else {
                self.evidence.remove(job_key)?;
            }
        }
        Ok(())
    }
}

/// One contribution per segment, so a batch reads and writes each segment's record once.
fn merge_by_segment(contributions: Vec<Contribution>) -> Vec<Contribution> {
    let mut merged: BTreeMap<(String, String), Contribution> = BTreeMap::new();
    for c in contributions {
        let entry = merged
            .entry((c.report.clone(), c.tally.segment.clone()))
            .or_insert_with(|| Contribution {
                report: c.report.clone(),
                tally: crate::tally::Tally {
                    segment: c.tally.segment.clone(),
                    ..Default::default()
                },
            });
        entry.tally.stats.add(&c.tally.stats, 1);
        entry.tally.texts.extend(c.tally.texts);
        entry.tally.terms.extend(c.tally.terms);
        for (day, tally) in c.tally.days {
            entry.tally.days.entry(day).or_default().add(&tally, 1);
        }
        entry.tally.submitted.extend(c.tally.submitted);
        entry.tally.jobs.extend(c.tally.jobs);
    }
    merged.into_values().collect()
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

    /// The texts that mention a theme, in order (interview quotes first).
    pub(super) fn read_theme_texts(
        &self,
        report: &str,
        theme: &str,
    ) -> Box<dyn Iterator<Item = Result<ThemeTextRecord, StoreError>> + Send> {
        let mut prefix = key(&[report.as_bytes(), theme.as_bytes()]);
        prefix.push(0xFF);
        Box::new(
            self.theme_texts
                .scan_prefix(prefix)
                .map(|entry| entry.map_err(backend).and_then(|(_, bytes)| decode(&bytes))),
        )
    }

    /// A segment's period, loyalty by day and newest job statements.
    pub(super) fn read_segment_evidence(
        &self,
        report: &str,
        segment: &str,
        jobs: usize,
    ) -> Result<SegmentEvidence, StoreError> {
        let prefix = |kind: &[u8]| {
            let mut p = key(&[report.as_bytes(), segment.as_bytes(), kind]);
            p.push(0xFF);
            p
        };
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        let mut times = self.evidence.scan_prefix(prefix(SUBMITTED));
        let first_at = times.next().transpose().map_err(backend)?;
        let last_at = times.next_back().transpose().map_err(backend)?;
        let mut evidence = SegmentEvidence {
            first_at: first_at.as_ref().map(|(_, v)| text(v)),
            last_at: last_at.or(first_at).map(|(_, v)| text(&v)),
            ..SegmentEvidence::default()
        };
        let day_prefix = prefix(DAY);
        for entry in self.evidence.scan_prefix(&day_prefix) {
            let (k, v) = entry.map_err(backend)?;
            let day: DayTally = decode(&v)?;
            evidence.days.insert(text(&k[day_prefix.len()..]), day);
        }
        for entry in self.evidence.scan_prefix(prefix(JOB)).rev().take(jobs) {
            let (_, v) = entry.map_err(backend)?;
            evidence.jobs.push(decode::<JobStatement>(&v)?);
        }
        Ok(evidence)
    }

    /// The newest survey texts of a segment that mention a theme, newest first.
    pub(super) fn read_segment_theme_texts(
        &self,
        report: &str,
        segment: &str,
        theme: &str,
        limit: usize,
    ) -> Result<Vec<DatedText>, StoreError> {
        let mut prefix = key(&[
            report.as_bytes(),
            segment.as_bytes(),
            SURVEY_TEXT,
            theme.as_bytes(),
        ]);
        prefix.push(0xFF);
        let mut texts = Vec::new();
        for entry in self.evidence.scan_prefix(&prefix).keys().rev() {
            if texts.len() == limit {
                break;
            }
            let pointer = entry.map_err(backend)?;
            let order = &pointer[prefix.len()..];
            let text_key = key(&[report.as_bytes(), theme.as_bytes(), order]);
            // The order is the priority byte, then the response id (UUID v7: its time).
            let at = order
                .get(1..17)
                .and_then(|b| Uuid::from_slice(b).ok())
                .and_then(|id| id.get_timestamp())
                .and_then(|ts| {
                    let (secs, nanos) = ts.to_unix();
                    chrono::DateTime::from_timestamp(secs as i64, nanos)
                });
            if let (Some(bytes), Some(at)) = (self.theme_texts.get(&text_key).map_err(backend)?, at)
            {
                texts.push(DatedText {
                    at,
                    record: decode(&bytes)?,
                });
            }
        }
        Ok(texts)
    }

    /// Term counts of a report, summed over the segments `include` accepts.
    pub(super) fn read_terms(
        &self,
        report: &str,
        include: &dyn Fn(&str) -> bool,
    ) -> Result<BTreeMap<String, u64>, StoreError> {
        let prefix = form_prefix(report);
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        for entry in self.terms.scan_prefix(&prefix) {
            let (k, bytes) = entry.map_err(backend)?;
            let rest = &k[prefix.len()..];
            let Some(split) = rest.iter().position(|&b| b == 0xFF) else {
                continue;
            };
            let segment = String::from_utf8_lossy(&rest[..split]);
            if !include(&segment) {
                continue;
            }
            let term = String::from_utf8_lossy(&rest[split + 1..]).into_owned();
            let count = i64::from_be_bytes(
                bytes
                    .as_ref()
                    .try_into()
                    .map_err(|_| StoreError::Corrupt("bad term count".into()))?,
            );
            *totals.entry(term).or_default() += count.max(0) as u64;
        }
        Ok(totals)
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
        for tree in [
            &self.aggregates,
            &self.theme_texts,
            &self.terms,
            &self.evidence,
        ] {
            let mut batch = sled::Batch::default();
            for entry in tree.scan_prefix(form_prefix(report)).keys() {
                batch.remove(entry.map_err(backend)?);
            }
            tree.apply_batch(batch).map_err(backend)?;
        }
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

    /// Every note of the guides, as contributions (the rebuild's last step).
    fn note_contributions(
        &self,
        report: &str,
        contributors: &Contributors,
    ) -> Result<Vec<Contribution>, StoreError> {
        use super::InterviewStore;
        let mut all = Vec::new();
        for guide in contributors.guides {
            for interview in self.interviews(Some(guide)) {
                let interview = interview?;
                for note in self.notes(interview.id) {
                    let note = note?;
                    all.extend(
                        (contributors.note)(&interview, &note)
                            .into_iter()
                            .filter(|c| c.report == report),
                    );
                }
            }
        }
        Ok(all)
    }

    pub(super) fn rebuild_batch(
        &self,
        report: &str,
        form_id: &str,
        batch: usize,
        contributors: &Contributors,
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
        let mut contributions = Vec::new();
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
            if let Some(response) = self.load_response(id)? {
                contributions.extend(
                    (contributors.response)(&response)
                        .into_iter()
                        .filter(|c| c.report == report),
                );
            }
        }
        state.done += seen as u64;
        state.total = state.total.max(state.done);
        state.ready = seen < batch;
        if state.ready {
            contributions.extend(self.note_contributions(report, contributors)?);
        }
        let merged = merge_by_segment(contributions);
        let state_bytes = encode(&state)?;
        (
            &self.aggregates,
            &self.aggregate_state,
            &self.theme_texts,
            &self.terms,
            &self.evidence,
        )
            .transaction(|(aggregates, states, theme_texts, terms, evidence)| {
                let tx = AggregateTx {
                    aggregates,
                    states,
                    theme_texts,
                    terms,
                    evidence,
                };
                for contribution in &merged {
                    tx.add(contribution, 1)?;
                }
                states.insert(report.as_bytes(), state_bytes.as_slice())?;
                Ok(())
            })
            .map_err(transaction_error)?;
        drop(guard);
        self.flusher.wait_durable()?;
        Ok(state.ready)
    }
}
