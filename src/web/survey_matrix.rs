//! Matrix and ranking questions on the hosted page, which work with JavaScript off: a matrix
//! is one labelled group of radios per row, a ranking a rank to choose for each option (no
//! dragging, which neither keyboards nor screen readers can do).
//!
//! Inputs are named by position, `q.ID.INDEX`, so that no row or option text has to survive
//! being a form field name.

use std::collections::BTreeMap;

use serde_json::{Number, Value};

use super::survey_view::ChoiceView;
use crate::form::Question;
use crate::form::translations::Texts;

/// One row of a matrix: a group of radios, labelled by the row.
pub struct MatrixRowView {
    pub label: String,
    pub label_id: String,
    pub name: String,
    pub choices: Vec<ChoiceView>,
}

/// One option of a ranking and the rank chosen for it.
pub struct RankView {
    pub label: String,
    pub name: String,
    pub dom_id: String,
    /// The rank chosen, 1 being the best; 0 for none.
    pub rank: usize,
}

/// The column headings of a matrix and its rows.
pub fn matrix_view(
    q: &Question,
    texts: &Texts,
    answer: Option<&Value>,
) -> (Vec<String>, Vec<MatrixRowView>) {
    let points = matrix_points(q, texts);
    let headers = points.iter().map(|(_, label)| label.clone()).collect();
    let rows = q
        .rows
        .iter()
        .enumerate()
        .map(|(r, row)| {
            let picked = answer.and_then(|a| a.get(row));
            MatrixRowView {
                label: texts.row(q, r).to_string(),
                label_id: format!("q-{}-row-{r}", q.id),
                name: format!("q.{}.{r}", q.id),
                choices: points
                    .iter()
                    .enumerate()
                    .map(|(c, (value, label))| ChoiceView {
                        value: value.clone(),
                        label: label.clone(),
                        checked: picked.is_some_and(|p| cell_text(p) == *value),
                        dom_id: format!("q-{}-{r}-{c}", q.id),
                    })
                    .collect(),
            }
        })
        .collect();
    (headers, rows)
}

/// (value, label) of each column: the options, or the scale's points with their labels.
fn matrix_points(q: &Question, texts: &Texts) -> Vec<(String, String)> {
    if !q.is_scale_matrix() {
        return (q.options.iter().enumerate())
            .map(|(i, o)| (o.clone(), texts.option(q, i).to_string()))
            .collect();
    }
    let (min, max) = q.whole_bounds((0, 0));
    let named = q.labels.len() as i64 == max - min + 1;
    let ends = q.labels.len() == 2;
    (min..=max)
        .enumerate()
        .map(|(i, point)| {
            let label = if named {
                format!("{point} — {}", texts.label(q, i))
            } else if ends && point == min {
                format!("{point} — {}", texts.label(q, 0))
            } else if ends && point == max {
                format!("{point} — {}", texts.label(q, 1))
            } else {
                point.to_string()
            };
            (point.to_string(), label)
        })
        .collect()
}

fn cell_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Each option with its rank: from a list (best first), or from the ranks the page sent
/// that could not be put in order.
pub fn ranking_view(q: &Question, texts: &Texts, answer: Option<&Value>) -> Vec<RankView> {
    q.options
        .iter()
        .enumerate()
        .map(|(i, option)| {
            let rank = match answer {
                Some(Value::Array(_)) => answer
                    .and_then(|a| crate::form::ranking::rank_of(a, option))
                    .unwrap_or(0),
                Some(Value::Object(ranks)) => ranks
                    .get(option)
                    .and_then(Value::as_u64)
                    .map_or(0, |r| usize::try_from(r).unwrap_or(usize::MAX)),
                _ => 0,
            };
            RankView {
                label: texts.option(q, i).to_string(),
                name: format!("q.{}.{i}", q.id),
                dom_id: format!("q-{}-rank-{i}", q.id),
                rank,
            }
        })
        .collect()
}

/// The value posted for position `index` of a question.
fn posted<'a>(q: &Question, index: usize, fields: &'a [(String, String)]) -> Option<&'a str> {
    let name = format!("q.{}.{index}", q.id);
    fields
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// A matrix answer from the page: each row's chosen option or point.
pub fn read_matrix(q: &Question, fields: &[(String, String)]) -> Option<Value> {
    let mut rows = serde_json::Map::new();
    for (r, row) in q.rows.iter().enumerate() {
        if let Some(value) = posted(q, r, fields) {
            let cell = if q.is_scale_matrix() {
                value
                    .parse::<i64>()
                    .map_or_else(|_| Value::String(value.into()), |n| Value::Number(n.into()))
            } else {
                Value::String(value.into())
            };
            rows.insert(row.clone(), cell);
        }
    }
    (!rows.is_empty()).then_some(Value::Object(rows))
}

/// A ranking answer from the page: the options in the order of their ranks. Gaps close up
/// (ranks 1 and 3 are a first and a second); a rank given twice cannot be put in order, so
/// the ranks go back as they were sent and validation asks for one option per rank.
pub fn read_ranking(q: &Question, fields: &[(String, String)]) -> Option<Value> {
    let mut by_rank: BTreeMap<usize, Vec<&String>> = BTreeMap::new();
    for (i, option) in q.options.iter().enumerate() {
        if let Some(rank) = posted(q, i, fields).and_then(|v| v.parse::<usize>().ok())
            && rank >= 1
            && rank <= q.options.len()
        {
            by_rank.entry(rank).or_default().push(option);
        }
    }
    if by_rank.is_empty() {
        return None;
    }
    if by_rank.values().any(|options| options.len() > 1) {
        let ranks = by_rank
            .iter()
            .flat_map(|(rank, options)| {
                options
                    .iter()
                    .map(move |o| ((*o).clone(), Value::Number(Number::from(*rank))))
            })
            .collect();
        return Some(Value::Object(ranks));
    }
    Some(Value::Array(
        by_rank
            .into_values()
            .flatten()
            .map(|o| Value::String(o.clone()))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::form::QuestionType;

    fn ranking() -> Question {
        let mut q: Question = serde_json::from_value(json!({
            "id": "drivers", "type": "ranking", "text": "Rank",
            "options": ["Price", "Speed", "Support"]
        }))
        .unwrap();
        q.kind = QuestionType::Ranking;
        q
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn ranks_become_a_list_best_first_and_a_shared_rank_goes_back_as_sent() {
        let q = ranking();
        let ordered = fields(&[
            ("q.drivers.0", "3"),
            ("q.drivers.1", "1"),
            ("q.drivers.2", ""),
        ]);
        assert_eq!(read_ranking(&q, &ordered), Some(json!(["Speed", "Price"])));
        let shared = fields(&[("q.drivers.0", "1"), ("q.drivers.1", "1")]);
        let answer = read_ranking(&q, &shared);
        assert_eq!(answer, Some(json!({"Price": 1, "Speed": 1})));
        let form: crate::form::Form =
            serde_json::from_value(json!({"id": "f", "kind": "survey", "title": "F"})).unwrap();
        let view = ranking_view(&q, &form.texts("en"), answer.as_ref());
        assert_eq!(view.iter().map(|r| r.rank).collect::<Vec<_>>(), [1, 1, 0]);
        assert_eq!(read_ranking(&q, &fields(&[("q.drivers.0", "9")])), None);
    }
}
