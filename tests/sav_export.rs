//! The SPSS export, read back by other programs: a store built with the library API, a
//! `.sav` written with `write_responses_sav`, then read with pyreadstat (ReadStat, which
//! R's haven uses too) and with GNU PSPP, and compared with what was stored.
//!
//! Needs `python3` with `pyreadstat`, and `pspp` (`.ci/run` installs both when missing).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use fieldnotes::store::ResponseStore;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use fieldnotes::export::{ExportOptions, sav_variable_names, write_responses_sav};
use fieldnotes::form::{Form, load_dir};
use fieldnotes::store::{SledStore, StoredResponse};
use serde_json::{Value, json};
use uuid::Uuid;

const LONG_ID: &str =
    "what_is_the_single_most_important_outcome_you_expect_from_us_over_the_next_year";

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sav")
}

fn form() -> Arc<Form> {
    let catalog = load_dir(&fixture_dir()).unwrap_or_else(|p| panic!("fixture forms: {p:?}"));
    catalog.get("kundenprofil").expect("the fixture form")
}

/// 5,000 characters of accented text and emoji, ending on a letter (SPSS pads strings with
/// blanks, so trailing blanks do not come back).
fn story() -> String {
    let text: String = "Ünïcödé wörds 😀 and more, "
        .chars()
        .cycle()
        .take(4_999)
        .collect();
    format!("{text}x")
}

/// What each response's answers were, by id; the submitted_at times differ.
fn responses() -> Vec<(String, BTreeMap<String, String>, Value)> {
    let hidden = |s: &str| BTreeMap::from([("source".to_string(), s.to_string())]);
    vec![
        (
            "2026-03-01T09:15:30.123Z".into(),
            hidden("newsletter ✉"),
            json!({
                "plan": "Профи",
                "tools": ["Slack", "日本語", "Trello 🧰"],
                "ease": 5, "effort": 10, "nps": 9,
                "seats": 9_007_199_254_740_992u64, // 2^53: the largest integer f64 holds exactly
                "budget": 1234.56,
                "with": "Ana & Bob — café ☕",
                "story": story(),
                (LONG_ID): "Grow 📈",
                "contact_email": "ana@example.com",
            }),
        ),
        (
            "2026-03-02T23:59:59.999Z".into(),
            BTreeMap::new(),
            json!({
                "plan": "Something else ✨",
                "tools": [],
                "ease": 1, "effort": 0, "nps": 0,
                "seats": -3,
                "budget": 0.001,
                "story": "short",
            }),
        ),
        (
            "2026-03-03T00:00:00.000Z".into(),
            BTreeMap::new(),
            json!({}),
        ),
    ]
}

/// A store with the fixture's responses, exported; returns the directory and the file.
fn export(include_pii: bool) -> (tempfile::TempDir, PathBuf, Vec<StoredResponse>) {
    let dir = tempfile::tempdir().expect("temp dir");
    // Where `fieldnotes export --data DIR` looks for the store.
    let store = SledStore::open(&dir.path().join("data/db")).expect("store");
    let form = form();
    let mut stored = Vec::new();
    for (n, (at, hidden, answers)) in responses().into_iter().enumerate() {
        let Value::Object(answers) = answers else {
            unreachable!("answers are objects")
        };
        let response = StoredResponse {
            // Increasing ids: the store lists responses in id order.
            id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n as u128),
            form: form.id.clone(),
            form_revision: form.revision.clone(),
            submitted_at: at,
            hidden,
            answers: answers.into_iter().collect(),
            receipt_sha256: "0".repeat(64),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        };
        store
            .insert_response(&response, &form, &[], &[])
            .expect("insert");
        stored.push(response);
    }
    let path = dir.path().join("kundenprofil.sav");
    let file = std::fs::File::create(&path).expect("create the .sav");
    let revisions = store.revisions(&form.id).expect("revisions");
    let options = ExportOptions {
        include_pii,
        ..ExportOptions::default()
    };
    write_responses_sav(file, &form, &revisions, store.responses(&form.id), options)
        .expect("write the .sav");
    (dir, path, stored)
}

const READ_WITH_PYREADSTAT: &str = r#"
import json, math, sys
import pandas, pyreadstat

df, meta = pyreadstat.read_sav(sys.argv[1])

def plain(v):
    if isinstance(v, str):
        return v
    if pandas.isna(v):
        return None
    if isinstance(v, float):
        return v
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return str(v)

def key(k):
    return str(int(k)) if float(k).is_integer() else str(k)

print(json.dumps({
    "names": list(meta.column_names),
    "labels": dict(zip(meta.column_names, meta.column_labels)),
    "value_labels": {n: {key(k): v for k, v in l.items()}
                     for n, l in meta.variable_value_labels.items()},
    "measure": meta.variable_measure,
    "formats": meta.original_variable_types,
    "rows": meta.number_rows,
    "encoding": meta.file_encoding,
    "file_label": meta.file_label,
    "data": [{c: plain(v) for c, v in row.items()} for row in df.to_dict("records")],
}, ensure_ascii=False))
"#;

fn read_with_pyreadstat(path: &Path) -> Value {
    let output = Command::new("python3")
        .arg("-c")
        .arg(READ_WITH_PYREADSTAT)
        .arg(path)
        .output()
        .expect("python3 must be installed (with pyreadstat: pip install pyreadstat)");
    assert!(
        output.status.success(),
        "pyreadstat could not read the file (pip install pyreadstat if it is missing): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the reader prints JSON")
}

fn expected_names(include_pii: bool) -> Vec<String> {
    let mut names: Vec<String> = [
        "response_id",
        "submitted_at",
        "form_revision",
        "source",
        "plan",
        "plan_other",
        "tools_Slack",
        "tools_Cafe_Notes",
        "tools_3",
        "tools_Jira_Confluence",
        "tools_other",
        "ease",
        "effort",
        "nps",
        "seats",
        "budget",
        "with_",
        "story",
        &LONG_ID[..64],
    ]
    .map(String::from)
    .to_vec();
    if include_pii {
        names.push("contact_email".into());
    }
    names
}

#[test]
fn pyreadstat_reads_back_names_labels_measures_and_every_value() {
    let (_dir, path, stored) = export(true);
    let read = read_with_pyreadstat(&path);

    // Names: the documented mapping, and what the mapping function says.
    let names: Vec<String> = serde_json::from_value(read["names"].clone()).expect("names");
    assert_eq!(names, expected_names(true));
    let form = form();
    let mapped: Vec<String> = sav_variable_names(
        &form,
        &[],
        ExportOptions {
            include_pii: true,
            ..ExportOptions::default()
        },
    )
    .into_iter()
    .map(|n| n.name)
    .collect();
    assert_eq!(mapped, names);
    assert_eq!(read["rows"], 3);
    assert_eq!(read["encoding"], "UTF-8");
    assert_eq!(read["file_label"], "Kundenprofil — every type ✓");

    // Variable labels: question texts, "text: option" for multi columns.
    let labels = &read["labels"];
    let expected_labels = [
        ("response_id", "Response id"),
        ("submitted_at", "Submitted at (UTC)"),
        ("plan", "Welcher Tarif passt zu Ihnen?"),
        ("plan_other", "Welcher Tarif passt zu Ihnen?: other"),
        ("tools_Slack", "Which tools do you use?: Slack"),
        ("tools_Cafe_Notes", "Which tools do you use?: Café Notes"),
        ("tools_3", "Which tools do you use?: 日本語"),
        ("tools_other", "Which tools do you use?: other"),
        ("ease", "Wie einfach war es?"),
        ("nps", "How likely are you to recommend us?"),
        ("budget", "Monthly budget (€)"),
        ("with_", "Who do you work with?"),
        (&LONG_ID[..64], "Most important outcome"),
        ("contact_email", "Your email, if we may follow up"),
    ];
    for (name, label) in expected_labels {
        assert_eq!(labels[name], label, "label of {name}");
    }

    // Value labels.
    let value_labels = &read["value_labels"];
    assert_eq!(
        value_labels["plan"],
        json!({"1": "Básico", "2": "Профи", "3": "企業 🚀"})
    );
    for flag in [
        "tools_Slack",
        "tools_Cafe_Notes",
        "tools_3",
        "tools_Jira_Confluence",
    ] {
        assert_eq!(
            value_labels[flag],
            json!({"0": "not selected", "1": "selected"}),
            "{flag}"
        );
    }
    assert_eq!(
        value_labels["ease"],
        json!({"1": "Sehr schwer", "2": "Schwer", "3": "Mittel", "4": "Leicht", "5": "Sehr leicht 😀"})
    );
    assert_eq!(
        value_labels["effort"],
        json!({"0": "Keine Mühe", "10": "Riesige Mühe"})
    );
    for unlabelled in ["nps", "seats", "budget", "story", "submitted_at"] {
        assert!(
            value_labels.get(unlabelled).is_none(),
            "{unlabelled} has no value labels"
        );
    }

    // Measure levels.
    let measure = &read["measure"];
    for name in &names {
        let expected = match name.as_str() {
            "submitted_at" | "seats" | "budget" => "scale",
            "ease" | "effort" | "nps" => "ordinal",
            _ => "nominal",
        };
        assert_eq!(measure[name], expected, "measure of {name}");
    }
    assert_eq!(read["formats"]["submitted_at"], "DATETIME24.3");

    // Values.
    let rows = read["data"].as_array().expect("rows");
    assert_eq!(rows.len(), 3);
    let (full, other, empty) = (&rows[0], &rows[1], &rows[2]);
    for (row, response) in rows.iter().zip(&stored) {
        assert_eq!(row["response_id"], response.id.to_string());
        assert_eq!(row["form_revision"], response.form_revision);
        // pyreadstat gives the DATETIME back as a local time without zone: UTC here.
        let read_at = row["submitted_at"].as_str().expect("a datetime");
        let read_at = chrono::NaiveDateTime::parse_from_str(read_at, "%Y-%m-%dT%H:%M:%S%.f")
            .unwrap_or_else(|e| panic!("{read_at}: {e}"));
        let stored_at = chrono::DateTime::parse_from_rfc3339(&response.submitted_at)
            .expect("stored time")
            .naive_utc();
        let off = (read_at - stored_at).num_microseconds().map(i64::abs);
        assert!(off.is_some_and(|us| us < 1000), "{read_at} vs {stored_at}");
    }
    let expect_row = |row: &Value, expected: Value| {
        for (name, value) in expected.as_object().expect("an object") {
            assert_eq!(&row[name], value, "{name}");
        }
    };
    expect_row(
        full,
        json!({
            "source": "newsletter ✉",
            "plan": 2.0, "plan_other": "",
            "tools_Slack": 1.0, "tools_Cafe_Notes": 0.0, "tools_3": 1.0,
            "tools_Jira_Confluence": 0.0, "tools_other": "Trello 🧰",
            "ease": 5.0, "effort": 10.0, "nps": 9.0,
            "seats": 9_007_199_254_740_992.0, "budget": 1234.56,
            "with_": "Ana & Bob — café ☕",
            "story": story(),
            (&LONG_ID[..64]): "Grow 📈",
            "contact_email": "ana@example.com",
        }),
    );
    assert_eq!(
        full["story"].as_str().map(|s| s.chars().count()),
        Some(5_000)
    );
    expect_row(
        other,
        json!({
            "source": "",
            "plan": null, "plan_other": "Something else ✨",
            "tools_Slack": 0.0, "tools_Cafe_Notes": 0.0, "tools_3": 0.0,
            "tools_Jira_Confluence": 0.0, "tools_other": "",
            "ease": 1.0, "effort": 0.0, "nps": 0.0,
            "seats": -3.0, "budget": 0.001,
            "with_": "", "story": "short",
        }),
    );
    // Nothing answered: numbers system-missing, strings empty.
    expect_row(
        empty,
        json!({
            "source": "", "plan": null, "plan_other": "",
            "tools_Slack": null, "tools_Cafe_Notes": null, "tools_3": null,
            "tools_Jira_Confluence": null, "tools_other": "",
            "ease": null, "effort": null, "nps": null, "seats": null, "budget": null,
            "with_": "", "story": "", (&LONG_ID[..64]): "", "contact_email": "",
        }),
    );
}

#[test]
fn pii_questions_only_on_request() {
    let (_dir, path, _) = export(false);
    let read = read_with_pyreadstat(&path);
    let names: Vec<String> = serde_json::from_value(read["names"].clone()).expect("names");
    assert_eq!(names, expected_names(false));
    let rows = read["data"].as_array().expect("rows");
    assert!(rows.iter().all(|row| row.get("contact_email").is_none()));
}

/// PSPP's CSV output as tables: each starts with a `Table: NAME` line (of two tables with
/// one name, the later: SYSFILE INFO and DISPLAY DICTIONARY both list "Variables").
fn pspp_tables(text: &str) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut tables: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    let mut current = String::new();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    for record in reader.records() {
        let record = record.expect("PSPP writes valid CSV");
        let fields: Vec<String> = record.iter().map(String::from).collect();
        match fields.as_slice() {
            [only] if only.starts_with("Table: ") => {
                current = only["Table: ".len()..].into();
                tables.insert(current.clone(), Vec::new());
            }
            _ => tables.entry(current.clone()).or_default().push(fields),
        }
    }
    tables
}

#[test]
fn pspp_reads_the_file_without_a_warning() {
    let (dir, path, _) = export(true);
    let syntax = dir.path().join("read.sps");
    let out = dir.path().join("out.csv");
    let file = path.display();
    std::fs::write(
        &syntax,
        format!("SYSFILE INFO FILE='{file}'.\nGET FILE='{file}'.\nDISPLAY DICTIONARY.\nLIST.\n"),
    )
    .expect("write the syntax");
    let output = Command::new("pspp")
        .arg("-o")
        .arg(&out)
        .arg(&syntax)
        .output()
        .expect("pspp must be installed (apt-get install pspp; .ci/run does)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "pspp failed: {stderr}");
    assert!(stderr.trim().is_empty(), "pspp said: {stderr}");
    let text = std::fs::read_to_string(&out).expect("pspp's output");
    let lower = text.to_lowercase();
    assert!(
        !lower.contains("warning") && !lower.contains("error"),
        "{text}"
    );
    let tables = pspp_tables(&text);

    let info: BTreeMap<&str, &str> = tables["File Information"]
        .iter()
        .filter_map(|row| Some((row.first()?.as_str(), row.get(1)?.as_str())))
        .collect();
    assert_eq!(info["Label"], "Kundenprofil — every type ✓");
    assert_eq!(info["Cases"], "3");
    assert_eq!(info["Encoding"], "UTF-8");
    assert_eq!(info["Compression"], "SAV");

    // Variables: name, position, label, measurement level, role, width, alignment, formats.
    let variables = &tables["Variables"];
    let names: Vec<&str> = variables[1..].iter().map(|row| row[0].as_str()).collect();
    assert_eq!(names, expected_names(true));
    let row = |name: &str| {
        variables
            .iter()
            .find(|row| row[0] == name)
            .unwrap_or_else(|| panic!("{name} in {variables:?}"))
    };
    let story_format = format!("A{}", story().len());
    for (name, label, measure, format) in [
        (
            "submitted_at",
            "Submitted at (UTC)",
            "Scale",
            "DATETIME24.3",
        ),
        ("plan", "Welcher Tarif passt zu Ihnen?", "Nominal", "F1.0"),
        (
            "plan_other",
            "Welcher Tarif passt zu Ihnen?: other",
            "Nominal",
            "A18",
        ),
        (
            "tools_3",
            "Which tools do you use?: 日本語",
            "Nominal",
            "F1.0",
        ),
        ("ease", "Wie einfach war es?", "Ordinal", "F1.0"),
        (
            "nps",
            "How likely are you to recommend us?",
            "Ordinal",
            "F2.0",
        ),
        ("seats", "How many seats do you pay for?", "Scale", "F17.0"),
        ("budget", "Monthly budget (€)", "Scale", "F8.3"),
        (
            "story",
            "Tell us how you found us",
            "Nominal",
            story_format.as_str(),
        ),
    ] {
        let row = row(name);
        assert_eq!(
            (row[2].as_str(), row[3].as_str()),
            (label, measure),
            "{name}"
        );
        assert_eq!(row[7], format, "{name}");
    }

    // Value labels, in file order: (value, label) pairs.
    let pairs: Vec<(&str, &str)> = tables["Value Labels"][1..]
        .iter()
        .map(|row| (row[1].as_str(), row[2].as_str()))
        .collect();
    let flag = [("0", "not selected"), ("1", "selected")];
    let mut expected = vec![("1", "Básico"), ("2", "Профи"), ("3", "企業 🚀")];
    for _ in 0..4 {
        expected.extend(flag);
    }
    expected.extend([
        ("1", "Sehr schwer"),
        ("2", "Schwer"),
        ("3", "Mittel"),
        ("4", "Leicht"),
        ("5", "Sehr leicht 😀"),
        ("0", "Keine Mühe"),
        ("10", "Riesige Mühe"),
    ]);
    assert_eq!(pairs, expected);

    // The cases as PSPP lists them (print formats applied; "." is system-missing).
    let list = &tables["Data List"];
    assert_eq!(list[0], expected_names(true));
    let cell = |case: usize, name: &str| {
        let column = list[0].iter().position(|n| n == name).expect("a column");
        list[case + 1][column].trim().to_string()
    };
    for (case, name, value) in [
        (0, "submitted_at", "01-MAR-2026 09:15:30.123"),
        (0, "plan", "2"),
        (0, "tools_3", "1"),
        (0, "tools_other", "Trello 🧰"),
        (0, "seats", "9007199254740992"),
        (0, "budget", "1234.560"),
        (0, "with_", "Ana & Bob — café ☕"),
        (0, LONG_ID, "Grow 📈"),
        (1, "submitted_at", "02-MAR-2026 23:59:59.999"),
        (1, "plan", "."),
        (1, "plan_other", "Something else ✨"),
        (1, "tools_Slack", "0"),
        (1, "seats", "-3"),
        (1, "budget", ".001"),
        (2, "tools_Slack", "."),
        (2, "nps", "."),
        (2, "story", ""),
    ] {
        let name = &name[..name.len().min(64)];
        assert_eq!(cell(case, name), value, "case {case}, {name}");
    }
    assert_eq!(cell(0, "story"), story());
}

fn form_from(dir: &Path, toml: &str) -> Arc<Form> {
    std::fs::create_dir_all(dir).expect("forms dir");
    std::fs::write(dir.join("revised.toml"), toml).expect("write the form");
    let catalog = load_dir(dir).unwrap_or_else(|p| panic!("form: {p:?}"));
    catalog.get("revised").expect("the form")
}

/// Answers collected under an older revision keep their place: its options are coded after
/// the current ones, and text answers to a question that is now a number land in `_other`.
#[test]
fn older_revisions_keep_their_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let head = "id = \"revised\"\nkind = \"survey\"\ntitle = \"Revised\"\n";
    let old = form_from(
        &dir.path().join("old"),
        &format!(
            "{head}[[questions]]\nid = \"plan\"\ntype = \"single\"\ntext = \"Plan?\"\n\
             options = [\"A\", \"B\"]\n[[questions]]\nid = \"seats\"\ntype = \"text\"\ntext = \"Seats?\"\n"
        ),
    );
    let new = form_from(
        &dir.path().join("new"),
        &format!(
            "{head}[[questions]]\nid = \"plan\"\ntype = \"single\"\ntext = \"Plan?\"\n\
             options = [\"A\", \"C\"]\n[[questions]]\nid = \"seats\"\ntype = \"number\"\ntext = \"Seats?\"\n"
        ),
    );
    assert_ne!(old.revision, new.revision);
    let store = SledStore::open(&dir.path().join("data")).expect("store");
    for (n, (form, answers)) in [
        (&old, json!({"plan": "B", "seats": "about 12"})),
        (&new, json!({"plan": "C", "seats": 12})),
    ]
    .into_iter()
    .enumerate()
    {
        let Value::Object(answers) = answers else {
            unreachable!("answers are objects")
        };
        let response = StoredResponse {
            id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n as u128),
            form: form.id.clone(),
            form_revision: form.revision.clone(),
            submitted_at: format!("2026-04-0{}T12:00:00.000Z", n + 1),
            hidden: BTreeMap::new(),
            answers: answers.into_iter().collect(),
            receipt_sha256: "0".repeat(64),
            consent: None,
            quotas: Vec::new(),
            order: Default::default(),
            language: None,
            contact: None,
        };
        store
            .insert_response(&response, form, &[], &[])
            .expect("insert");
    }
    let revisions = store.revisions("revised").expect("revisions");
    assert_eq!(revisions.len(), 2);
    let options = ExportOptions::default();
    let mapping = sav_variable_names(&new, &revisions, options);
    let names: Vec<(&str, &str, bool)> = mapping
        .iter()
        .map(|m| (m.column.as_str(), m.name.as_str(), m.other))
        .collect();
    assert_eq!(
        names[3..],
        [
            ("plan", "plan", false),
            ("seats", "seats", false),
            ("seats", "seats_other", true)
        ]
    );
    let path = dir.path().join("revised.sav");
    let file = std::fs::File::create(&path).expect("create");
    write_responses_sav(file, &new, &revisions, store.responses("revised"), options)
        .expect("write");
    let read = read_with_pyreadstat(&path);
    assert_eq!(
        read["value_labels"]["plan"],
        json!({"1": "A", "2": "C", "3": "B"})
    );
    assert_eq!(read["labels"]["seats_other"], "Seats?: other");
    let rows = read["data"].as_array().expect("rows");
    assert_eq!(
        (&rows[0]["plan"], &rows[0]["seats"], &rows[0]["seats_other"]),
        (&json!(3.0), &Value::Null, &json!("about 12"))
    );
    assert_eq!(
        (&rows[1]["plan"], &rows[1]["seats"], &rows[1]["seats_other"]),
        (&json!(2.0), &json!(12.0), &json!(""))
    );
}

#[test]
fn a_form_without_responses_is_a_valid_empty_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SledStore::open(&dir.path().join("data")).expect("store");
    let form = form();
    let path = dir.path().join("empty.sav");
    let file = std::fs::File::create(&path).expect("create");
    write_responses_sav(
        file,
        &form,
        &[],
        store.responses(&form.id),
        ExportOptions::default(),
    )
    .expect("write");
    let read = read_with_pyreadstat(&path);
    assert_eq!(read["rows"], 0);
    let names: Vec<String> = serde_json::from_value(read["names"].clone()).expect("names");
    assert_eq!(names, expected_names(false));
}

/// SPSS strings hold at most 32,767 bytes: 10,000 emoji (40,000 bytes) keep 8,191 of them.
#[test]
fn a_text_past_spss_limit_is_cut_at_a_character_boundary() {
    let dir = tempfile::tempdir().expect("temp dir");
    let form = form_from(
        &dir.path().join("forms"),
        "id = \"revised\"\nkind = \"survey\"\ntitle = \"Long\"\n[[questions]]\nid = \"story\"\n\
         type = \"long_text\"\ntext = \"Story\"\n",
    );
    let store = SledStore::open(&dir.path().join("data")).expect("store");
    let response = StoredResponse {
        id: Uuid::from_u128(1),
        form: form.id.clone(),
        form_revision: form.revision.clone(),
        submitted_at: "2026-04-01T12:00:00.000Z".into(),
        hidden: BTreeMap::new(),
        answers: BTreeMap::from([("story".to_string(), json!("🦀".repeat(10_000)))]),
        receipt_sha256: "0".repeat(64),
        consent: None,
        quotas: Vec::new(),
        order: Default::default(),
        language: None,
        contact: None,
    };
    store
        .insert_response(&response, &form, &[], &[])
        .expect("insert");
    let path = dir.path().join("long.sav");
    let file = std::fs::File::create(&path).expect("create");
    write_responses_sav(
        file,
        &form,
        &[],
        store.responses("revised"),
        ExportOptions::default(),
    )
    .expect("write");
    let read = read_with_pyreadstat(&path);
    assert_eq!(read["formats"]["story"], "A32764");
    assert_eq!(read["data"][0]["story"], "🦀".repeat(8_191));
}

/// `fieldnotes export` writes the same file when --out ends in .sav (or with --format sav).
#[test]
fn the_cli_exports_sav_by_extension_or_format() {
    let (dir, _, _) = export(true);
    for (out, format) in [("cli.sav", None), ("cli.out", Some("sav"))] {
        let out = dir.path().join(out);
        let mut command = Command::new(env!("CARGO_BIN_EXE_fieldnotes"));
        command
            .args(["export", "kundenprofil", "--pii", "--out"])
            .arg(&out)
            .arg("--data")
            .arg(dir.path().join("data"))
            .arg("--forms")
            .arg(fixture_dir());
        if let Some(format) = format {
            command.args(["--format", format]);
        }
        let output = command.output().expect("run fieldnotes");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let read = read_with_pyreadstat(&out);
        let names: Vec<String> = serde_json::from_value(read["names"].clone()).expect("names");
        assert_eq!(names, expected_names(true));
        assert_eq!(read["rows"], 3);
        assert_eq!(read["data"][0]["story"], story());
    }
}
