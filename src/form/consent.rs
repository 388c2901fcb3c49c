//! `consent = "..."` in a form file: the text a respondent must agree to before their answers
//! are kept. Checked here; the page shows it and `crate::responses` refuses a submission
//! without it.

use super::load::ProblemLog;
use super::model::{FormKind, Question};

/// The field an API submission's agreement travels in, and the key of its error; a question
/// of that id would make `fields.consent` mean two things.
pub const CONSENT_FIELD: &str = "consent";

/// The consent text, or `None` when the form has none; a problem for a blank text, for one on
/// an interview guide, and for a question whose id is the consent field's.
pub(super) fn check_consent(
    raw: Option<String>,
    kind: FormKind,
    questions: &[Question],
    report: &mut ProblemLog,
) -> Option<String> {
    let text = raw?;
    if kind == FormKind::Interview {
        report.add("consent is shown on a hosted survey, not on an interview guide");
        return None;
    }
    if text.trim().is_empty() {
        report.add("consent is empty: write the text respondents agree to, or leave consent out");
        return None;
    }
    if questions.iter().any(|q| q.id == CONSENT_FIELD) {
        report.add(format!(
            "question id '{CONSENT_FIELD}' is taken by the consent of a form with consent text: rename the question"
        ));
        return None;
    }
    Some(text)
}

/// The consent text's paragraphs, as a page shows them: split at blank lines.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Problem;

    fn check(raw: &str, kind: FormKind, question_ids: &[&str]) -> (Option<String>, Vec<Problem>) {
        let questions: Vec<Question> = question_ids
            .iter()
            .map(|id| {
                serde_json::from_value(serde_json::json!({"id": id, "type": "text", "text": id}))
                    .expect("a question")
            })
            .collect();
        let mut problems = Vec::new();
        let mut report = ProblemLog {
            file: "f.toml",
            problems: &mut problems,
        };
        let text = check_consent(Some(raw.to_string()), kind, &questions, &mut report);
        (text, problems)
    }

    #[test]
    fn a_text_is_kept_as_written() {
        let (text, problems) = check("I agree.\n", FormKind::Survey, &["role"]);
        assert_eq!(text.as_deref(), Some("I agree.\n"));
        assert!(problems.is_empty());
    }

    #[test]
    fn blank_guide_and_clashing_ids_are_problems() {
        for (raw, kind, ids, needle) in [
            ("  \n", FormKind::Survey, &[][..], "consent is empty"),
            ("I agree", FormKind::Interview, &[][..], "interview guide"),
            ("I agree", FormKind::Survey, &["consent"][..], "rename"),
        ] {
            let (text, problems) = check(raw, kind, ids);
            assert_eq!(text, None);
            assert_eq!(problems.len(), 1, "{problems:?}");
            assert!(problems[0].message.contains(needle), "{problems:?}");
        }
    }

    #[test]
    fn forms_without_consent_keep_their_revision_and_a_consent_text_changes_it() {
        let fixtures =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/forms");
        let catalog = crate::form::load_dir(&fixtures).expect("the fixtures load");
        let plain = catalog.get("all-types").expect("all-types");
        // The revision all-types had before forms could carry consent text.
        assert_eq!(plain.revision, "96195cadf2b9");

        let dir = tempfile::tempdir().expect("a temp dir");
        for name in ["bank.toml", "all-types.toml"] {
            let text = std::fs::read_to_string(fixtures.join(name)).expect("a fixture");
            let text = if name == "bank.toml" {
                text
            } else {
                format!("consent = \"I agree.\"\n{text}")
            };
            std::fs::write(dir.path().join(name), text).expect("written");
        }
        let catalog = crate::form::load_dir(dir.path()).expect("the copy loads");
        let with_consent = catalog.get("all-types").expect("all-types");
        assert_eq!(with_consent.consent.as_deref(), Some("I agree."));
        assert_ne!(with_consent.revision, plain.revision);
    }

    #[test]
    fn paragraphs_split_at_blank_lines() {
        assert_eq!(
            paragraphs("First line\nsame paragraph.\n\n\nSecond.\n"),
            vec!["First line\nsame paragraph.", "Second."]
        );
    }
}
