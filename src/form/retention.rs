//! `retain_days` in a form file: how long a survey keeps its responses. Checked here; the
//! erasing is `crate::retention`'s.

use super::load::ProblemLog;
use super::model::FormKind;

/// A hundred years: past it `retain_days` means "for good", which is what leaving it out says.
pub const MAX_RETAIN_DAYS: u32 = 36_500;

/// The days a survey keeps its responses, or `None` (for good); a problem for anything but a
/// whole number from 1 to `MAX_RETAIN_DAYS`. Read as any TOML value so that `0`, `-3`, `1.5`
/// or `"30"` each get a sentence of their own rather than the parser's type error.
pub(super) fn check_retain_days(
    raw: Option<toml::Value>,
    kind: FormKind,
    report: &mut ProblemLog,
) -> Option<u32> {
    let raw = raw?;
    if kind == FormKind::Interview {
        report.add("retain_days applies to a survey's responses, not to an interview guide");
        return None;
    }
    let days = match raw {
        toml::Value::Integer(days) => days,
        other => {
            report.add(format!(
                "retain_days must be a whole number of days (such as 365), not {other}"
            ));
            return None;
        }
    };
    match u32::try_from(days) {
        Ok(days) if (1..=MAX_RETAIN_DAYS).contains(&days) => Some(days),
        _ if days < 1 => {
            report.add(format!(
                "retain_days must be at least 1, not {days}: responses older than that many days are erased (leave it out to keep them for good)"
            ));
            None
        }
        _ => {
            report.add(format!(
                "retain_days must be at most {MAX_RETAIN_DAYS} (a hundred years), not {days}; leave it out to keep responses for good"
            ));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Problem;

    fn check(value: &str, kind: FormKind) -> (Option<u32>, Vec<Problem>) {
        let raw: toml::Table = toml::from_str(&format!("retain_days = {value}")).unwrap();
        let mut problems = Vec::new();
        let mut report = ProblemLog {
            file: "f.toml",
            problems: &mut problems,
        };
        let days = check_retain_days(raw.get("retain_days").cloned(), kind, &mut report);
        (days, problems)
    }

    #[test]
    fn whole_days_from_one_to_a_hundred_years() {
        assert_eq!(check("1", FormKind::Survey), (Some(1), vec![]));
        assert_eq!(check("36500", FormKind::Survey), (Some(36_500), vec![]));
        let mut problems = Vec::new();
        let mut report = ProblemLog {
            file: "f.toml",
            problems: &mut problems,
        };
        assert_eq!(check_retain_days(None, FormKind::Survey, &mut report), None);
        assert!(problems.is_empty());
    }

    #[test]
    fn anything_else_is_a_problem_that_says_what_is_wanted() {
        for (value, says) in [
            ("0", "at least 1, not 0"),
            ("-3", "at least 1, not -3"),
            ("1.5", "a whole number of days (such as 365), not 1.5"),
            ("\"30\"", "a whole number of days (such as 365), not \"30\""),
            ("36501", "at most 36500"),
            ("99999999999", "at most 36500"),
        ] {
            let (days, problems) = check(value, FormKind::Survey);
            assert_eq!(days, None, "{value}");
            assert_eq!(problems.len(), 1, "{value}");
            assert!(
                problems[0].message.contains(says),
                "{value}: {}",
                problems[0].message
            );
        }
        let (days, problems) = check("30", FormKind::Interview);
        assert_eq!(days, None);
        assert!(problems[0].message.contains("not to an interview guide"));
    }
}
