//! Report aggregates in sled. Trees and keys:
//! - `aggregates`: report id, 0xFF, segment -> `SegmentStats` as JSON
//! - `aggregate_state`: report id -> `RebuildProgress` as JSON
//! - `theme_texts`: report id, 0xFF, theme, 0xFF, order -> `ThemeTextRecord` as JSON
//!   (the quotes and the drill-down; `order` puts interview quotes first)
//! - `terms`: report id, 0xFF, segment, 0xFF, term -> count (i64, big-endian)
//! - `evidence`: report id, 0xFF, segment, 0xFF, a kind byte, 0xFF, then by kind:
//!   `d` day -> `DayTally` as JSON; `t` response id -> submitted_at (the card's period);
//!   `j` response id, question, place -> `JobStatement` as JSON; `q` theme, 0xFF, theme-text
//!   order -> empty (a segment's survey texts and outside texts of a theme, newest last,
//!   pointing into `theme_texts`). Cards read these by segment, so their cost does not grow with responses.
//!
//! Writers (responses, notes) and rebuild batches take `aggregate_lock`, which is how this
//! backend keeps the rebuild protocol of `aggregates`: a rebuild batch and the writers agree
//! on what the cursor has already folded in. The writes themselves are in `sled_aggregate_tx`.

use std::collections::BTreeMap;
use std::ops::Bound;

use sled::Transactional;
use uuid::Uuid;

use super::sled_aggregate_tx::{AggregateTx, DAY, JOB, SUBMITTED, SURVEY_TEXT, key};
use super::sled_store::{
    SledStore, backend, decode, encode, form_key, form_prefix, transaction_error,
};
use super::{
    AggregateState, AggregateStore, ContributionsOf, DatedText, NotesOf, RebuildProgress,
    ResponseStore, SegmentEvidence, StoreError, ThemeTextIter,
};
use crate::tally::{DayTally, JobStatement};

impl SledStore {
    fn rebuild_progress(&self, report: &str) -> Result<Option<RebuildProgress>, StoreError> {
        match self
            .aggregate_state
            .get(report.as_bytes())
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }
}

impl AggregateStore for SledStore {
    fn aggregates(&self, report: &str, key: &str) -> Result<AggregateState, StoreError> {
        let Some(state) = self.rebuild_progress(report)?.filter(|s| s.key == key) else {
            return Ok(AggregateState::Missing);
        };
        if !state.ready {
            return Ok(state.state());
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
    fn theme_texts(&self, report: &str, theme: &str) -> ThemeTextIter {
        let mut prefix = key(&[report.as_bytes(), theme.as_bytes()]);
        prefix.push(0xFF);
        Box::new(
            self.theme_texts
                .scan_prefix(prefix)
                .map(|entry| entry.map_err(backend).and_then(|(_, bytes)| decode(&bytes))),
        )
    }

    /// A segment's period, loyalty by day and newest job statements.
    fn segment_evidence(
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
    fn segment_theme_texts(
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
    fn terms(
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

    fn begin_rebuild(&self, report: &str, key: &str, form_id: &str) -> Result<bool, StoreError> {
        let _guard = self.lock()?;
        if let Some(state) = self.rebuild_progress(report)?.filter(|s| s.key == key) {
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
        let state = RebuildProgress::start(key, total);
        self.aggregate_state
            .insert(report.as_bytes(), encode(&state)?)
            .map_err(backend)?;
        self.flusher.wait_durable()?;
        Ok(true)
    }

    fn rebuild_step(
        &self,
        report: &str,
        form_id: &str,
        batch: usize,
        contributions_of: ContributionsOf,
        notes: NotesOf,
    ) -> Result<bool, StoreError> {
        let guard = self.lock()?;
        let Some(mut state) = self.rebuild_progress(report)? else {
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
        let mut responses = Vec::with_capacity(batch);
        for entry in self
            .responses_by_form
            .range::<Vec<u8>, _>((start, Bound::Unbounded))
        {
            let (key, _) = entry.map_err(backend)?;
            if !key.starts_with(&prefix) || responses.len() == batch {
                break;
            }
            let id = Uuid::from_slice(&key[prefix.len()..])
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            responses.push((id, self.response(id)?));
        }
        let merged = state.fold(report, batch, responses, contributions_of, notes)?;
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
