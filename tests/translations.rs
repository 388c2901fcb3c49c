//! The translations themselves: every message file has the ids English has and resolves in
//! its own language, every validation code has a message in every shipped language, and
//! `check` names each missing translation of a form.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::repo_path;
use fieldnotes::form::invalid::Invalid;
use fieldnotes::i18n::{Locale, SHIPPED};

fn language_forms() -> PathBuf {
    repo_path("tests/fixtures/languages/forms")
}

/// Every validation code has its own message in every shipped language: not English, not a
/// fallback, with every placeholder filled. The codes are `Invalid::examples()`, and those
/// must be exactly the `invalid-` ids of the English file, so a new code fails here until it
/// is listed and translated.
#[test]
fn every_validation_message_is_translated_in_every_shipped_language() {
    let english_ids: BTreeSet<String> = message_ids(&repo_path("locales/en/validation.ftl"))
        .into_iter()
        .filter(|id| id.starts_with("invalid-"))
        .collect();
    let codes: BTreeSet<String> = Invalid::examples()
        .iter()
        .map(|i| i.id().to_string())
        .collect();
    assert_eq!(
        codes, english_ids,
        "Invalid::examples() and locales/en/validation.ftl differ"
    );
    let english = Locale::english();
    for tag in SHIPPED {
        let locale = Locale::parse(tag).unwrap();
        for why in Invalid::examples() {
            let text = why.text_exact(&locale).unwrap_or_else(|| {
                panic!("{tag} has no {} (or a placeholder is unfilled)", why.id())
            });
            assert!(
                !text.trim().is_empty() && !text.contains('{'),
                "{tag} {}: {text}",
                why.id()
            );
            if *tag != "en" {
                assert_ne!(
                    text,
                    why.text(&english),
                    "{tag} {} is still English",
                    why.id()
                );
            }
        }
    }
}

/// `Invalid::examples()` names every variant of `Invalid`, read from its source: a new
/// validation code cannot be left out of the translation tests above.
#[test]
fn the_examples_cover_every_validation_code() {
    let source = std::fs::read_to_string(repo_path("src/form/invalid.rs")).unwrap();
    let start = source.find("pub enum Invalid {").expect("the enum");
    let body = &source[start..start + source[start..].find("\n}").expect("its end")];
    let variants: BTreeSet<String> = body
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| l.starts_with(|c: char| c.is_ascii_uppercase()))
        .map(|l| {
            l.chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect()
        })
        .collect();
    let examples: BTreeSet<String> = Invalid::examples()
        .iter()
        .map(|i| {
            format!("{i:?}")
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect()
        })
        .collect();
    assert!(variants.len() >= 20, "{variants:?}");
    assert_eq!(
        variants, examples,
        "a validation code is missing from Invalid::examples()"
    );
}

/// The ids a Fluent file defines: a message starts at the beginning of a line.
fn message_ids(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter(|line| line.starts_with(|c: char| c.is_ascii_lowercase()))
        .filter_map(|line| line.split_once('=').map(|(id, _)| id.trim().to_string()))
        .collect()
}

#[test]
fn each_message_file_has_exactly_the_ids_of_english() {
    let english_dir = repo_path("locales/en");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&english_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    for tag in SHIPPED {
        let dir = repo_path(&format!("locales/{tag}"));
        let theirs: BTreeSet<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let ours: BTreeSet<_> = files
            .iter()
            .filter_map(|f| f.file_name().map(|n| n.to_owned()))
            .collect();
        assert_eq!(theirs, ours, "{tag} has other files than English");
        for file in &files {
            let name = file.file_name().unwrap();
            let english: Vec<String> = message_ids(file);
            let translated: Vec<String> = message_ids(&dir.join(name));
            let (e, t): (BTreeSet<_>, BTreeSet<_>) =
                (english.iter().collect(), translated.iter().collect());
            assert_eq!(
                e,
                t,
                "{tag}/{}: ids differ from English",
                name.to_string_lossy()
            );
            assert_eq!(
                translated.len(),
                t.len(),
                "{tag}/{}: an id twice",
                name.to_string_lossy()
            );
            // Every message resolves in this very language, placeholders filled (a number
            // fits both a text and a plural selector), without an error or a fallback.
            let locale = Locale::parse(tag).unwrap();
            let args = placeholders(&dir.join(name));
            for id in &english {
                let text = locale.t_exact(id, &args);
                assert!(
                    text.as_deref().is_some_and(|t| !t.trim().is_empty()),
                    "{tag}: {id} does not resolve"
                );
            }
        }
    }
}

/// A value for every `{ $name }` of a Fluent file.
fn placeholders(path: &Path) -> Vec<(&'static str, fieldnotes::i18n::Arg)> {
    let text = std::fs::read_to_string(path).unwrap();
    let names: BTreeSet<String> = text
        .split('$')
        .skip(1)
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect()
        })
        .collect();
    names
        .into_iter()
        .map(|name| {
            let name: &'static str = Box::leak(name.into_boxed_str());
            (name, fieldnotes::i18n::Arg::Count(2))
        })
        .collect()
}

#[test]
fn check_reports_each_missing_translation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("half.toml"),
        r#"id = "half"
kind = "survey"
title = "Half translated"
intro = "Hello"
hidden = ["lang", "t", "source"]
languages = ["en", "de", "fr"]

[[questions]]
id = "tool"
type = "single"
text = "Which tool?"
help = "Pick one."
options = ["A", "B", "C"]

[[questions]]
id = "score"
type = "scale"
text = "How good?"
min = 1
max = 5
labels = ["Bad", "Good"]

[[questions]]
id = "grid"
type = "matrix"
text = "Rate these"
rows = ["Speed", "Price"]
options = ["Low", "High"]

[[quotas]]
name = "most"
when = "tool = 'A'"
limit = 5
message = "We have enough."

[translations.de]
title = "Halb übersetzt"
[translations.de.questions.tool]
text = "Welches Werkzeug?"
options = ["A", "B"]
[translations.de.questions.grid]
text = "Bewerten Sie"
options = ["Niedrig", "Hoch"]
[translations.de.questions.gone]
text = "Weg"
[translations.de.quotas.founders]
message = "Voll"

[translations.it]
title = "Mezzo"
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args([
            "check",
            "--forms",
            dir.path().to_str().unwrap(),
            "--reports",
            repo_path("tests/fixtures/no-reports").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stdout =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    for line in [
        "translations.de: intro is missing",
        "translations.de: questions.tool.help is missing",
        "translations.de: questions.tool.options has 2 items, the default language has 3",
        "translations.de: questions.score.text is missing",
        "translations.de: questions.score.labels is missing",
        "translations.de: questions.gone: the form has no question 'gone'",
        "translations.de: quotas.founders: the form has no quota 'founders'",
        "translations.de: questions.grid.rows is missing",
        "translations.de: quotas.most.message is missing",
        "translations.fr: questions.grid.rows is missing",
        "translations.fr: quotas.most.message is missing",
        "translations.fr: title is missing",
        "translations.fr: intro is missing",
        "translations.fr: questions.tool.text is missing",
        "translations.fr: questions.tool.help is missing",
        "translations.fr: questions.tool.options is missing",
        "translations.fr: questions.score.text is missing",
        "translations.fr: questions.score.labels is missing",
        "translations.it: 'it' is not in languages",
        "hidden field 'lang' is reserved",
        "hidden field 't' is reserved",
    ] {
        assert!(stdout.contains(line), "no {line:?} in:\n{stdout}");
    }
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with(&dir.path().join("half.toml").display().to_string())),
        "{stdout}"
    );
    assert!(!stdout.contains("hidden field 'source'"), "{stdout}");
}

#[test]
fn check_passes_on_the_translated_fixtures() {
    let dir = language_forms();
    let out = Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args([
            "check",
            "--forms",
            dir.to_str().unwrap(),
            "--reports",
            repo_path("tests/fixtures/no-reports").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
