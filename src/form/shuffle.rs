//! `shuffle = true`: each respondent sees a question's options (a matrix's rows) in an order
//! of their own, with `other` and any option of `keep_last` after the rest.
//!
//! The order is derived from a per-respondent seed and the question id alone, so it is the
//! same on every page, after Back and after a reload, wherever the seed is carried; the
//! order shown is stored with the response.

use std::collections::{BTreeMap, HashSet};

use sha2::{Digest, Sha256};

use super::load::ProblemLog;
use super::model::{Form, Question, QuestionType};
use super::validate::{Answers, visible_questions};

/// The column that carries the order in exports is `question_id[order]`, so no option of a
/// shuffled question may be called that.
pub const ORDER: &str = "order";

/// A fresh seed for a new respondent.
pub fn new_seed() -> u64 {
    let bytes = uuid::Uuid::new_v4().into_bytes();
    u64::from_le_bytes([
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
    ])
}

/// What a shuffle reorders: a matrix's rows, any other question's options.
fn items(q: &Question) -> &[String] {
    if q.kind == QuestionType::Matrix {
        &q.rows
    } else {
        &q.options
    }
}

pub(super) fn check(q: &Question, label: &str, report: &mut ProblemLog) {
    let shuffles = matches!(
        q.kind,
        QuestionType::Single | QuestionType::Multi | QuestionType::Ranking | QuestionType::Matrix
    );
    if q.shuffle && !shuffles {
        report.add(format!(
            "{label}: shuffle applies to single, multi, ranking and matrix questions"
        ));
    }
    if !q.shuffle && !q.keep_last.is_empty() {
        report.add(format!(
            "{label}: keep_last only applies with shuffle = true"
        ));
    }
    for kept in &q.keep_last {
        if !items(q).contains(kept) {
            report.add(format!(
                "{label}: keep_last '{kept}' is not one of its {}",
                if q.kind == QuestionType::Matrix {
                    "rows"
                } else {
                    "options"
                }
            ));
        }
    }
    if q.shuffle && items(q).iter().any(|o| o == ORDER) {
        report.add(format!(
            "{label}: a shuffled question may not have an option or row named '{ORDER}' (its column {}[{ORDER}] holds the order shown)",
            q.id
        ));
    }
}

/// SplitMix64: small, fast and good enough to deal cards; seeded from a hash of the
/// respondent's seed and the question id, so questions shuffle independently.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// The positions of the question's options (or rows) in the order this respondent sees them;
/// `None` for a question that is not shuffled.
pub fn permutation(q: &Question, seed: u64) -> Option<Vec<usize>> {
    if !q.shuffle {
        return None;
    }
    let digest = Sha256::new()
        .chain_update(seed.to_le_bytes())
        .chain_update(q.id.as_bytes())
        .finalize();
    let mut state = [0u8; 8];
    state.copy_from_slice(&digest[..8]);
    let mut rng = SplitMix(u64::from_le_bytes(state));
    let kept: HashSet<&str> = q.keep_last.iter().map(String::as_str).collect();
    let mut moving: Vec<usize> = (0..items(q).len())
        .filter(|&i| !kept.contains(items(q)[i].as_str()))
        .collect();
    // Fisher–Yates; the modulo bias over at most a few hundred options is negligible.
    for i in (1..moving.len()).rev() {
        // Below i + 1, so it fits.
        let j = usize::try_from(rng.next() % (i as u64 + 1)).unwrap_or(i);
        moving.swap(i, j);
    }
    moving.extend(
        q.keep_last
            .iter()
            .filter_map(|k| items(q).iter().position(|o| o == k)),
    );
    Some(moving)
}

/// The order shown of every shuffled question these answers show, by question id.
pub fn orders(form: &Form, answers: &Answers, seed: u64) -> BTreeMap<String, Vec<String>> {
    visible_questions(form, answers)
        .into_iter()
        .filter_map(|q| {
            let shown = permutation(q, seed)?;
            Some((
                q.id.clone(),
                shown.into_iter().map(|i| items(q)[i].clone()).collect(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn shuffled(keep_last: &[&str]) -> Question {
        serde_json::from_value(json!({
            "id": "tools", "type": "multi", "text": "Tools",
            "options": ["A", "B", "C", "D", "E", "None of these"],
            "shuffle": true, "keep_last": keep_last,
        }))
        .unwrap()
    }

    #[test]
    fn one_seed_one_order_and_kept_options_last() {
        let q = shuffled(&["None of these"]);
        let first = permutation(&q, 42).unwrap();
        assert_eq!(
            permutation(&q, 42).unwrap(),
            first,
            "the same seed, the same order"
        );
        assert_eq!(first.last(), Some(&5));
        let mut sorted = first.clone();
        sorted.sort();
        assert_eq!(sorted, (0..6).collect::<Vec<_>>(), "a permutation");
        let distinct: HashSet<Vec<usize>> = (0..200).map(|s| permutation(&q, s).unwrap()).collect();
        // 120 orders of five; 200 seeds landing on fewer than 50 of them would be a broken
        // generator, not bad luck (the expected number is about 97).
        assert!(distinct.len() > 50, "{}", distinct.len());
        assert!(distinct.iter().all(|p| p[5] == 5));
    }
}
