//! The writes to report aggregates in sled, run inside the transaction of each response or
//! note write (and of each rebuild batch). The trees and keys are described in
//! `sled_aggregates`.

use std::collections::BTreeMap;

use sled::transaction::{ConflictableTransactionError, TransactionalTree};
use uuid::Uuid;

use super::RebuildProgress;
use crate::tally::{Contribution, DayTally, INTERVIEW, SegmentStats, Tally};

pub(super) type TxResult<T> = Result<T, ConflictableTransactionError<String>>;

pub(super) fn abort(message: impl Into<String>) -> ConflictableTransactionError<String> {
    ConflictableTransactionError::Abort(message.into())
}

pub(super) fn key(parts: &[&[u8]]) -> Vec<u8> {
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

pub(super) const DAY: &[u8] = b"d";
pub(super) const SUBMITTED: &[u8] = b"t";
pub(super) const JOB: &[u8] = b"j";
pub(super) const SURVEY_TEXT: &[u8] = b"q";

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
            let state: RebuildProgress =
                serde_json::from_slice(&bytes).map_err(|e| abort(e.to_string()))?;
            if state.counts(response) {
                self.add(contribution, sign)?;
            }
        }
        Ok(())
    }

    pub(super) fn add(&self, contribution: &Contribution, sign: i64) -> TxResult<()> {
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
            // Survey answers and outside texts are found by segment for the cards (interview
            // notes are read from their interviews).
            let pointer = (text.record.source != INTERVIEW).then(|| {
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
    fn add_evidence(&self, report: &[u8], tally: &Tally, sign: i64) -> TxResult<()> {
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
