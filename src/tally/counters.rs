//! Tallies as additive counters, for stores that keep them as rows summed on read.

use std::collections::BTreeMap;

use super::{DayTally, SegmentStats, Sums};

/// A counter of `SegmentStats` or `DayTally` flattened: the path to a number and the number.
/// Stores that keep tallies as rows of additive counters (so that concurrent writers add to
/// separate rows, summed on read) use these; `from_counters` undoes `counters` exactly.
pub type Counter = (Vec<String>, i128);

impl SegmentStats {
    pub fn counters(&self) -> Vec<Counter> {
        let path = |parts: &[&str]| parts.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        let mut out = vec![(path(&["responses"]), i128::from(self.responses))];
        for (id, q) in &self.questions {
            out.push((path(&["q", id, "answered"]), i128::from(q.answered)));
            for (key, count) in &q.counts {
                out.push((path(&["q", id, "count", key]), i128::from(*count)));
            }
            if let Some(sums) = &q.sums {
                out.push((path(&["q", id, "n"]), i128::from(sums.n)));
                out.push((path(&["q", id, "sum"]), sums.sum));
                out.push((path(&["q", id, "sum_sq"]), sums.sum_sq));
            }
        }
        for (theme, sources) in &self.themes {
            for (source, tally) in sources {
                out.push((
                    path(&["t", theme, source, "texts"]),
                    i128::from(tally.texts),
                ));
                out.push((
                    path(&["t", theme, source, "mentions"]),
                    i128::from(tally.mentions),
                ));
            }
        }
        for (source, count) in &self.texts {
            out.push((path(&["x", source]), i128::from(*count)));
        }
        out
    }

    /// The tally whose counters these are, a path given any number of times (its rows) being
    /// summed; counters that sum to zero count as absent, as `add` drops what falls to zero.
    /// A path it does not know is an error.
    pub fn from_counters(
        counters: impl IntoIterator<Item = Counter>,
    ) -> Result<SegmentStats, String> {
        let mut summed: BTreeMap<Vec<String>, i128> = BTreeMap::new();
        for (path, value) in counters {
            *summed.entry(path).or_default() += value;
        }
        let mut stats = SegmentStats::default();
        let small = |v: i128| i64::try_from(v).map_err(|_| format!("counter {v} out of range"));
        for (path, value) in summed {
            if value == 0 {
                continue;
            }
            let parts: Vec<&str> = path.iter().map(String::as_str).collect();
            match parts.as_slice() {
                ["responses"] => stats.responses += small(value)?,
                ["q", id, field @ ..] => {
                    let q = stats.questions.entry(id.to_string()).or_default();
                    match field {
                        ["answered"] => q.answered += small(value)?,
                        ["count", key] => {
                            *q.counts.entry(key.to_string()).or_default() += small(value)?
                        }
                        ["n"] => q.sums.get_or_insert_with(Sums::default).n += small(value)?,
                        ["sum"] => q.sums.get_or_insert_with(Sums::default).sum += value,
                        ["sum_sq"] => q.sums.get_or_insert_with(Sums::default).sum_sq += value,
                        _ => return Err(format!("unknown counter {path:?}")),
                    }
                }
                ["t", theme, source, field] => {
                    let tally = stats
                        .themes
                        .entry(theme.to_string())
                        .or_default()
                        .entry(source.to_string())
                        .or_default();
                    match *field {
                        "texts" => tally.texts += small(value)?,
                        "mentions" => tally.mentions += small(value)?,
                        _ => return Err(format!("unknown counter {path:?}")),
                    }
                }
                ["x", source] => {
                    *stats.texts.entry(source.to_string()).or_default() += small(value)?
                }
                _ => return Err(format!("unknown counter {path:?}")),
            }
        }
        Ok(stats)
    }
}

impl DayTally {
    pub fn counters(&self) -> [(&'static str, i64); 6] {
        [
            ("responses", self.responses),
            ("promoters", self.promoters),
            ("passives", self.passives),
            ("detractors", self.detractors),
            ("pmf_answered", self.pmf_answered),
            ("pmf_success", self.pmf_success),
        ]
    }

    /// Adds one counter of `counters` back; false for a name it does not know.
    pub fn add_counter(&mut self, name: &str, value: i64) -> bool {
        let field = match name {
            "responses" => &mut self.responses,
            "promoters" => &mut self.promoters,
            "passives" => &mut self.passives,
            "detractors" => &mut self.detractors,
            "pmf_answered" => &mut self.pmf_answered,
            "pmf_success" => &mut self.pmf_success,
            _ => return false,
        };
        *field += value;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::super::{QuestionTally, SURVEY, ThemeTally};
    use super::*;

    #[test]
    fn counters_give_back_the_same_tally() {
        let mut stats = SegmentStats {
            responses: 3,
            ..SegmentStats::default()
        };
        stats.questions.insert(
            "nps".into(),
            QuestionTally {
                answered: 3,
                counts: BTreeMap::from([("7".into(), 2), ("10".into(), 1)]),
                sums: Some(Sums {
                    n: 3,
                    sum: 24_000_000,
                    sum_sq: i128::from(i64::MAX) * 4,
                }),
            },
        );
        stats.themes.insert(
            "Price, \"really\"".into(),
            BTreeMap::from([(
                SURVEY.to_string(),
                ThemeTally {
                    texts: 2,
                    mentions: 5,
                },
            )]),
        );
        stats.texts.insert("support".into(), 4);
        assert_eq!(
            SegmentStats::from_counters(stats.counters()),
            Ok(stats.clone())
        );
        // Rows that cancel out leave nothing behind, as `add` does.
        let mut rows = stats.counters();
        rows.extend(stats.counters().into_iter().map(|(path, v)| (path, -v)));
        assert_eq!(
            SegmentStats::from_counters(rows),
            Ok(SegmentStats::default())
        );
    }
}
