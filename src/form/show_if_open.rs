//! `show_if` with answers still to come: three-valued, so a page can tell whether a rule
//! is already decided or an answer not yet given could still open its question.

use std::collections::HashSet;

use super::show_if::Expr;
use super::validate::Answers;

impl Expr {
    /// The value the rule will have, if the answers given decide it already; `None` when an
    /// `open` question (one whose final answer is still to come) could tip it either way.
    /// Questions that are not open read as `eval` reads them, unanswered ones as false. The
    /// logic is Kleene's: a decided value stays decided however the open questions are
    /// answered, which is what keeps a page count from growing.
    pub fn eval_open(&self, answers: &Answers, open: &HashSet<&str>) -> Option<bool> {
        match self {
            Expr::Or(a, b) => match (a.eval_open(answers, open), b.eval_open(answers, open)) {
                (Some(true), _) | (_, Some(true)) => Some(true),
                (Some(false), Some(false)) => Some(false),
                _ => None,
            },
            Expr::And(a, b) => match (a.eval_open(answers, open), b.eval_open(answers, open)) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            },
            Expr::Not(inner) => inner.eval_open(answers, open).map(|v| !v),
            Expr::Compare { question, .. } | Expr::Contains { question, .. } => {
                (!open.contains(question.as_str())).then(|| self.eval(answers))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::form::show_if::parse;

    #[test]
    fn an_open_question_leaves_the_rule_undecided_unless_the_rest_decides_it() {
        let answers: Answers = [("role".to_string(), json!("Founder"))].into();
        let open: HashSet<&str> = ["nps"].into();
        let value = |rule: &str| parse(rule).unwrap().eval_open(&answers, &open);
        assert_eq!(value("nps <= 6"), None);
        assert_eq!(value("not nps <= 6"), None);
        assert_eq!(value("nps <= 6 and role = 'Engineer'"), Some(false));
        assert_eq!(value("nps <= 6 or role = 'Founder'"), Some(true));
        assert_eq!(value("nps <= 6 and role = 'Founder'"), None);
        assert_eq!(value("role = 'Founder'"), Some(true));
        // Settled and unanswered reads as `eval` reads it.
        assert_eq!(value("tools != 'x'"), Some(false));
        assert_eq!(value("not 'Slack' in tools"), Some(true));
    }
}
