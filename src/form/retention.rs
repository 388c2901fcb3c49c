//! `retain_days` in a form file: how long a survey keeps its responses; `partial_days`: how
//! long it keeps an unfinished one since its last page. Checked here; the erasing is
//! `crate::retention`'s.

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

/// How long an unfinished response is kept when the form does not say.
pub const DEFAULT_PARTIAL_DAYS: u32 = 30;

/// The days a survey keeps an unfinished response since its last page: `DEFAULT_PARTIAL_DAYS`
/// when left out, a problem for anything but a whole number from 1 to `MAX_RETAIN_DAYS`.
pub(super) fn check_partial_days(
    raw: Option<toml::Value>,
    kind: FormKind,
    report: &mut ProblemLog,
) -> u32 {
    let Some(raw) = raw else {
        return DEFAULT_PARTIAL_DAYS;
    };
    if kind == FormKind::Interview {
        report.add(
            "partial_days applies to a survey's unfinished responses, not to an interview guide",
        );
        return DEFAULT_PARTIAL_DAYS;
    }
    match raw {
        toml::Value::Integer(days) if (1..=i64::from(MAX_RETAIN_DAYS)).contains(&days) => {
            u32::try_from(days).unwrap_or(DEFAULT_PARTIAL_DAYS)
        }
        other => {
            report.add(format!(
                "partial_days must be a whole number of days from 1 to {MAX_RETAIN_DAYS}, not {other}: unfinished responses untouched that long are erased (leave it out for {DEFAULT_PARTIAL_DAYS})"
            ));
            DEFAULT_PARTIAL_DAYS
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

    #[test]
    fn partial_days_default_to_thirty_and_take_whole_days() {
        let check = |value: Option<&str>| {
            let raw = value.map(|v| {
                let table: toml::Table = toml::from_str(&format!("partial_days = {v}")).unwrap();
                table["partial_days"].clone()
            });
            let mut problems = Vec::new();
            let mut report = ProblemLog {
                file: "f.toml",
                problems: &mut problems,
            };
            let days = check_partial_days(raw, FormKind::Survey, &mut report);
            (days, problems.len())
        };
        assert_eq!(check(None), (30, 0));
        assert_eq!(check(Some("7")), (7, 0));
        for bad in ["0", "-1", "2.5", "\"7\"", "36501"] {
            assert_eq!(check(Some(bad)), (30, 1), "{bad}");
        }
    }
}
