//! Quotas: `[[quotas]]` with `name`, `when` (a `show_if` expression), `limit` and `message`.
//! Once `limit` completed responses match `when`, respondents whose answers match are
//! screened out with `message`, as soon as their answers decide it.
//!
//! The form only says which quotas a set of answers falls in; counting them is the store's,
//! in the same write as the response, so that concurrent submissions never overshoot.

use std::collections::HashSet;

use serde::Deserialize;

use super::load::{ProblemLog, check_leaf, is_slug};
use super::model::{FormKind, Question};
use super::show_if::{self, Expr};
use super::validate::Answers;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawQuota {
    name: String,
    when: String,
    limit: i64,
    message: String,
}

#[derive(Debug, Clone)]
pub struct Quota {
    pub name: String,
    pub when: String,
    pub condition: Expr,
    pub limit: u64,
    pub message: String,
}

impl Quota {
    /// Whether a complete set of answers falls in this quota.
    pub fn matches(&self, answers: &Answers) -> bool {
        self.condition.eval(answers)
    }

    /// Whether answers so far fall in it: `None` while an `open` question could tip it.
    pub fn decided(&self, answers: &Answers, open: &HashSet<&str>) -> Option<bool> {
        self.condition.eval_open(answers, open)
    }
}

pub(super) fn check_quotas(
    raw: Vec<RawQuota>,
    kind: FormKind,
    questions: &[Question],
    report: &mut ProblemLog,
) -> Vec<Quota> {
    if kind == FormKind::Interview && !raw.is_empty() {
        report.add("quotas belong to surveys, not interview guides");
        return Vec::new();
    }
    let mut seen = HashSet::new();
    let mut quotas = Vec::new();
    for quota in raw {
        let label = format!("quota '{}'", quota.name);
        let mut ok = true;
        if !is_slug(&quota.name, true) {
            report.add(format!("{label}: name must be a lowercase slug"));
            ok = false;
        }
        if !seen.insert(quota.name.clone()) {
            report.add(format!("{label}: the name is used twice"));
            ok = false;
        }
        let limit = u64::try_from(quota.limit).ok();
        if limit.is_none() {
            report.add(format!("{label}: limit must be 0 or more"));
            ok = false;
        }
        if quota.message.trim().is_empty() {
            report.add(format!("{label}: message is empty"));
            ok = false;
        }
        let condition = match show_if::parse(&quota.when) {
            Ok(expr) => {
                for leaf in expr.leaves() {
                    if let Err(message) = check_leaf(leaf, questions, "") {
                        report.add(format!("{label}: when \"{}\": {message}", quota.when));
                        ok = false;
                    }
                }
                Some(expr)
            }
            Err(e) => {
                report.add(format!(
                    "{label}: when \"{}\" does not parse: {e}",
                    quota.when
                ));
                None
            }
        };
        if let (true, Some(condition), Some(limit)) = (ok, condition, limit) {
            quotas.push(Quota {
                name: quota.name,
                when: quota.when,
                condition,
                limit,
                message: quota.message,
            });
        }
    }
    quotas
}
