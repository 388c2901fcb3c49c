//! Form translations: the bank's merged under the form's own, every missing text reported, the
//! page's texts falling back to the default's, and revisions of untranslated forms unchanged.

use crate::form::{Problem, load_dir_lenient};

/// Loads `files` (name, text) as a forms directory.
fn load(files: &[(&str, &str)]) -> (crate::form::Catalog, Vec<Problem>) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("a form file");
    }
    load_dir_lenient(dir.path())
}

const BANK: &str = r#"
[[questions]]
id = "role"
type = "single"
text = "Your role?"
options = ["Founder", "Engineer"]

[questions.translations.de]
text = "Ihre Rolle?"
options = ["Gründer/in", "Ingenieur/in"]
"#;

const FORM: &str = r#"
id = "f"
kind = "survey"
title = "Title"
languages = ["en", "de"]

[[questions]]
use = "role"

[[questions]]
id = "why"
type = "text"
text = "Why?"

[translations.de]
title = "Titel"
[translations.de.questions.why]
text = "Warum?"
[translations.de.questions.role]
text = "Was machen Sie?"
"#;

#[test]
fn the_bank_fills_what_the_form_leaves_out() {
    let (catalog, problems) = load(&[("bank.toml", BANK), ("f.toml", FORM)]);
    assert!(problems.is_empty(), "{problems:?}");
    let form = catalog.get("f").expect("the form");
    let role = form.question("role").expect("role");
    let de = form.texts("de");
    assert_eq!(de.title(), "Titel");
    // The form's own text wins; the options come from the bank.
    assert_eq!(de.text(role), "Was machen Sie?");
    assert_eq!(de.option(role, 0), "Gründer/in");
    assert_eq!(de.option_of(role, "Engineer"), "Ingenieur/in");
    assert_eq!(de.option_of(role, "typed in"), "typed in");
    // The default language, and one the form lacks, read the form's own texts.
    for lang in ["en", "fr"] {
        assert_eq!(form.texts(lang).text(role), "Your role?");
        assert_eq!(form.texts(lang).option(role, 1), "Engineer");
    }
    assert_eq!(form.default_language(), "en");
}

#[test]
fn a_translation_is_part_of_the_revision_and_no_languages_leave_it_alone() {
    let (catalog, _) = load(&[("bank.toml", BANK), ("f.toml", FORM)]);
    let before = catalog.get("f").expect("the form").revision.clone();
    let edited = FORM.replace("Warum?", "Wieso?");
    let (catalog, _) = load(&[("bank.toml", BANK), ("f.toml", &edited)]);
    assert_ne!(catalog.get("f").expect("the form").revision, before);

    // Without languages, neither the bank's translations nor new keys reach the snapshot.
    let plain = "id = \"p\"\nkind = \"survey\"\ntitle = \"T\"\n[[questions]]\nuse = \"role\"\n";
    let (catalog, problems) = load(&[("bank.toml", BANK), ("p.toml", plain)]);
    assert!(problems.is_empty(), "{problems:?}");
    let json = serde_json::to_value(&*catalog.get("p").expect("the form")).expect("json");
    assert!(
        json.get("languages").is_none() && json.get("translations").is_none(),
        "{json}"
    );
}

#[test]
fn language_lists_and_stray_tables_are_problems() {
    let cases = [
        ("languages = [\"en\", \"en\"]", "'en' is listed twice"),
        (
            "languages = [\"en\", \"not a tag\"]",
            "'not a tag' is not a language tag",
        ),
        (
            "[translations.de]\ntitle = \"T\"",
            "translations need `languages",
        ),
    ];
    for (extra, needle) in cases {
        // `languages` is a key, so it goes before the first table; a table goes last.
        let text = if extra.starts_with("languages") {
            format!(
                "id = \"g\"\nkind = \"survey\"\ntitle = \"T\"\n{extra}\n[[questions]]\nid = \"a\"\ntype = \"text\"\ntext = \"A\"\n"
            )
        } else {
            format!(
                "id = \"g\"\nkind = \"survey\"\ntitle = \"T\"\n[[questions]]\nid = \"a\"\ntype = \"text\"\ntext = \"A\"\n{extra}\n"
            )
        };
        let (_, problems) = load(&[("g.toml", &text)]);
        assert!(
            problems.iter().any(|p| p.message.contains(needle)),
            "{needle}: {problems:?}"
        );
    }
}

#[test]
fn a_form_question_is_translated_at_form_level_only() {
    let inline = FORM.replace(
        "[[questions]]\nid = \"why\"",
        "[[questions]]\nid = \"why\"\ntranslations = { de = { text = \"Warum?\" } }",
    );
    let (_, problems) = load(&[("bank.toml", BANK), ("f.toml", &inline)]);
    assert!(
        problems
            .iter()
            .any(|p| p.message.contains("[translations.LANG.questions.ID]")),
        "{problems:?}"
    );
}
