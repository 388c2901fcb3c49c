//! Property tests over what respondents and form authors can send: form files, `show_if`
//! rules, answers and the CSV they end up in. Nothing panics, and what is accepted is
//! written exactly (text guarded against formulas, nothing else changed).
//!
//! `PROPTEST_CASES` raises the number of cases (256 here by default) for a longer run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;

use fieldnotes::export::{ExportOptions, guard_formula, write_responses_csv};
use fieldnotes::form::{Form, load_dir, load_dir_lenient, show_if};
use fieldnotes::store::StoredResponse;
use proptest::prelude::*;
use serde_json::{Value, json};

/// Text as hostile as it gets: markup, quotes, formula starts, bidi overrides and isolates,
/// control characters and NUL, 4-byte emoji, combining marks, lone line breaks.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        Just("<script>alert(1)</script>".to_string()),
        Just("<img src=x onerror=alert(1)>".to_string()),
        Just("\"'&;".to_string()),
        Just("=HYPERLINK(\"http://x\")".to_string()),
        Just("+1".to_string()),
        Just("-2".to_string()),
        Just("@SUM(A1)".to_string()),
        Just("\u{202E}gnp.exe".to_string()),
        Just("\u{2066}\u{2067}\u{2068}\u{2069}\u{200F}".to_string()),
        Just("\u{0000}\u{0007}\u{001B}[31m".to_string()),
        Just("\t\r\n".to_string()),
        Just("🙂👩🏽‍💻𝄞".to_string()),
        Just("e\u{0301}\u{0308}".to_string()),
        "[a-zA-Z0-9 ]{0,12}",
        any::<char>().prop_map(String::from),
    ];
    prop::collection::vec(pieces, 1..6).prop_map(|v| v.concat())
}

fn shipped_form() -> Form {
    let catalog = load_dir(&common::shipped_forms()).expect("shipped forms load");
    catalog
        .get("customer-profile")
        .map(|f| f.as_ref().clone())
        .expect("customer-profile")
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(256),
        ..ProptestConfig::default()
    }
}

/// A `show_if` source built from the language's own tokens, so most cases get past the lexer.
fn show_if_source() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("company_size".to_string()),
        Just("nps".to_string()),
        Just("==".to_string()),
        Just("!=".to_string()),
        Just(">=".to_string()),
        Just("<".to_string()),
        Just("and".to_string()),
        Just("or".to_string()),
        Just("not".to_string()),
        Just("(".to_string()),
        Just(")".to_string()),
        Just("in".to_string()),
        Just("[".to_string()),
        Just("]".to_string()),
        Just(",".to_string()),
        Just("'Just me'".to_string()),
        Just("\"x".to_string()),
        Just("99999999999999999999999".to_string()),
        Just("-0.5".to_string()),
        hostile_text(),
    ];
    prop::collection::vec(token, 0..12).prop_map(|v| v.join(" "))
}

/// Answers of any shape for the shipped form's questions and for made-up ones.
fn answers() -> impl Strategy<Value = BTreeMap<String, Value>> {
    let value = prop_oneof![
        hostile_text().prop_map(Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|n| json!(n)),
        prop::collection::vec(hostile_text().prop_map(Value::String), 0..4).prop_map(Value::Array),
        Just(Value::Null),
        Just(json!(true)),
        Just(json!({"nested": "object"})),
        Just(json!("Just me")),
        Just(json!(["Price", "Trust in the company"])),
        (0i64..=10).prop_map(|n| json!(n)),
    ];
    let key = prop_oneof![
        Just("company_size".to_string()),
        Just("role".to_string()),
        Just("decision_drivers".to_string()),
        Just("nps".to_string()),
        Just("nps_reason".to_string()),
        Just("biggest_problem".to_string()),
        Just("team_users".to_string()),
        hostile_text(),
    ];
    prop::collection::btree_map(key, value, 0..8)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn show_if_never_panics_and_a_parsed_rule_evaluates(source in show_if_source(), given in answers()) {
        if let Ok(rule) = show_if::parse(&source) {
            let _ = rule.eval(&given);
        }
    }

    #[test]
    fn validation_never_panics_and_accepted_text_reaches_the_csv_exactly(given in answers()) {
        let form = shipped_form();
        let Ok(accepted) = fieldnotes::form::validate_answers(&form, &given) else {
            return Ok(());
        };
        let response = StoredResponse {
            id: uuid::Uuid::new_v4(),
            form: form.id.clone(),
            form_revision: form.revision.clone(),
            submitted_at: "2026-12-01T00:00:00Z".into(),
            hidden: BTreeMap::new(),
            answers: accepted.clone(),
            receipt_sha256: String::new(),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        };
        let mut csv = Vec::new();
        let rows: fieldnotes::store::ResponseIter = Box::new(std::iter::once(Ok(response)));
        let options = ExportOptions { include_pii: true, ..ExportOptions::default() };
        write_responses_csv(&mut csv, &form, &[], rows, options).expect("CSV written");
        let (_, rows) = common::parse_csv(&csv);
        prop_assert_eq!(rows.len(), 1);
        for (id, value) in &accepted {
            if let Value::String(text) = value {
                let is_option = form
                    .questions
                    .iter()
                    .find(|q| &q.id == id)
                    .is_some_and(|q| q.options.contains(text));
                let cell = rows[0].get(id).cloned().unwrap_or_default();
                if is_option {
                    prop_assert_eq!(&cell, text);
                } else {
                    prop_assert_eq!(&cell, &guard_formula(text));
                }
            }
        }
    }

    #[test]
    fn a_mangled_form_file_is_refused_with_problems_never_a_panic(
        cut in 0usize..4000,
        insert in hostile_text(),
    ) {
        let original = std::fs::read_to_string(common::shipped_forms().join("customer-profile.toml"))
            .expect("shipped form");
        let bank = std::fs::read_to_string(common::shipped_forms().join("bank.toml")).expect("bank");
        let mut at = cut.min(original.len());
        while !original.is_char_boundary(at) {
            at -= 1;
        }
        let mangled = format!("{}{insert}{}", &original[..at], &original[at..]);
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("bank.toml"), bank).expect("bank written");
        std::fs::write(dir.path().join("customer-profile.toml"), mangled).expect("form written");
        let (_catalog, problems) = load_dir_lenient(dir.path());
        for problem in problems {
            prop_assert!(!problem.to_string().is_empty());
        }
    }
}
