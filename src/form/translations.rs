//! `languages = ["en", "de"]` and `[translations.LANG]` in form files (and per question in the
//! bank): parsed, merged with the bank's, checked so that `check` names every missing text,
//! and looked up by the pages through `Form::texts`.
//!
//! Lists (`options`, `labels`, `rows`, `prompts`) are in the default language's order: a
//! translated option is shown in its place, and the answer stored is still the default's.

use std::collections::{BTreeMap, HashSet};

use serde::{Deserialize, Serialize};

use super::load::ProblemLog;
use super::model::{Form, Question, Section};

/// One language's texts of a form. Every field is optional in the file; `check` reports each
/// one a form needs and lacks.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanks: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sections: BTreeMap<String, SectionTranslation>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub questions: BTreeMap<String, QuestionTranslation>,
    /// `quotas.NAME.message`, the screen-out message of each of the form's quotas.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quotas: BTreeMap<String, QuotaTranslation>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SectionTranslation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompts: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionTranslation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Matrix rows, in the default language's order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaTranslation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// The column and field that hold a response's language.
const LANGUAGE: &str = "language";

/// The bank's translations: question id, then language.
pub(super) type BankTranslations = BTreeMap<String, BTreeMap<String, QuestionTranslation>>;

/// Sets `form.languages` and `form.translations` from the file, the bank's translations of the
/// questions the form uses filling what the form's own tables leave out; reports every
/// problem, each missing text on a line of its own.
pub(super) fn resolve(
    form: &mut Form,
    languages: Vec<String>,
    mut translations: BTreeMap<String, Translation>,
    bank: &BankTranslations,
    report: &mut ProblemLog,
) {
    check_language_list(&languages, report);
    if languages.is_empty() {
        if !translations.is_empty() {
            report.add("translations need `languages = [...]`, the default language first");
        }
        return;
    }
    // Exports of a form with languages have a `language` column, and the API takes
    // `"language"` beside the answers: a question or hidden field of that name would clash.
    if form.question(LANGUAGE).is_some() || form.hidden.iter().any(|h| h == LANGUAGE) {
        report.add(format!(
            "'{LANGUAGE}' names the response's language in a form with languages: rename the question or hidden field"
        ));
    }
    for lang in translations.keys() {
        if languages.first() == Some(lang) {
            report.add(format!(
                "translations.{lang}: '{lang}' is the default language, whose texts are the form's own"
            ));
        } else if !languages.contains(lang) {
            report.add(format!("translations.{lang}: '{lang}' is not in languages"));
        }
    }
    for lang in languages.iter().skip(1) {
        let table = translations.entry(lang.clone()).or_default();
        for q in &form.questions {
            let Some(from_bank) = bank.get(&q.id).and_then(|by_lang| by_lang.get(lang)) else {
                continue;
            };
            let own = table.questions.entry(q.id.clone()).or_default();
            fill(&mut own.text, &from_bank.text);
            fill(&mut own.help, &from_bank.help);
            fill(&mut own.options, &from_bank.options);
            fill(&mut own.rows, &from_bank.rows);
            fill(&mut own.labels, &from_bank.labels);
        }
        check_translation(form, lang, table, report);
    }
    translations.retain(|lang, _| languages.iter().skip(1).any(|l| l == lang));
    form.languages = languages;
    form.translations = translations;
}

fn fill<T: Clone>(own: &mut Option<T>, from_bank: &Option<T>) {
    if own.is_none() {
        own.clone_from(from_bank);
    }
}

fn check_language_list(languages: &[String], report: &mut ProblemLog) {
    let mut seen = HashSet::new();
    for tag in languages {
        if tag.parse::<unic_langid::LanguageIdentifier>().is_err() || tag.trim() != tag {
            report.add(format!(
                "languages: '{tag}' is not a language tag such as 'en', 'de' or 'pt-BR'"
            ));
        }
        if !seen.insert(tag.to_ascii_lowercase()) {
            report.add(format!("languages: '{tag}' is listed twice"));
        }
    }
}

/// What one language lacks or has too much of, each as `translations.LANG: key …`.
fn check_translation(form: &Form, lang: &str, t: &Translation, report: &mut ProblemLog) {
    let mut add = |message: String| report.add(format!("translations.{lang}: {message}"));
    let mut text = |key: &str, wanted: bool, given: &Option<String>| match (wanted, given) {
        (true, None) => add(format!("{key} is missing")),
        (true, Some(s)) if s.trim().is_empty() => add(format!("{key} is empty")),
        (false, Some(_)) => add(format!("{key} is given, but the form has no {key}")),
        _ => {}
    };
    text("title", true, &t.title);
    text("intro", form.intro.is_some(), &t.intro);
    text("thanks", form.thanks.is_some(), &t.thanks);
    text("consent", form.consent.is_some(), &t.consent);
    let mut problems = Vec::new();
    for q in &form.questions {
        let given = t.questions.get(&q.id).cloned().unwrap_or_default();
        check_question(q, &given, &mut problems);
    }
    for id in t.questions.keys() {
        if form.question(id).is_none() {
            problems.push(format!("questions.{id}: the form has no question '{id}'"));
        }
    }
    for s in &form.sections {
        let given = t.sections.get(&s.id).cloned().unwrap_or_default();
        check_section(s, &given, &mut problems);
    }
    for id in t.sections.keys() {
        if !form.sections.iter().any(|s| &s.id == id) {
            problems.push(format!("sections.{id}: the form has no section '{id}'"));
        }
    }
    check_quotas(form, t, &mut problems);
    for problem in problems {
        report.add(format!("translations.{lang}: {problem}"));
    }
}

fn check_question(q: &Question, t: &QuestionTranslation, problems: &mut Vec<String>) {
    let key = |field: &str| format!("questions.{}.{field}", q.id);
    match &t.text {
        None => problems.push(format!("{} is missing", key("text"))),
        Some(s) if s.trim().is_empty() => problems.push(format!("{} is empty", key("text"))),
        _ => {}
    }
    match (&q.help, &t.help) {
        (Some(_), None) => problems.push(format!("{} is missing", key("help"))),
        (None, Some(_)) => problems.push(format!(
            "{} is given, but the question has no help",
            key("help")
        )),
        _ => {}
    }
    check_list(&key("options"), &q.options, &t.options, problems);
    check_list(&key("labels"), &q.labels, &t.labels, problems);
    check_list(&key("rows"), question_rows(q), &t.rows, problems);
}

/// A question's matrix rows (none for other types).
fn question_rows(q: &Question) -> &[String] {
    &q.rows
}

fn check_section(s: &Section, t: &SectionTranslation, problems: &mut Vec<String>) {
    let key = |field: &str| format!("sections.{}.{field}", s.id);
    if t.title
        .as_deref()
        .is_none_or(|title| title.trim().is_empty())
    {
        problems.push(format!("{} is missing", key("title")));
    }
    check_list(&key("prompts"), &s.prompts, &t.prompts, problems);
}

/// A translated list must name every item of the default's, in its order.
fn check_list(
    key: &str,
    default: &[String],
    given: &Option<Vec<String>>,
    problems: &mut Vec<String>,
) {
    match given {
        None if !default.is_empty() => problems.push(format!("{key} is missing")),
        Some(list) if default.is_empty() => {
            problems.push(format!(
                "{key} is given ({} items), but there are none to translate",
                list.len()
            ));
        }
        Some(list) if list.len() != default.len() => problems.push(format!(
            "{key} has {} items, the default language has {}: translate each, in the same order",
            list.len(),
            default.len()
        )),
        Some(list) if list.iter().any(|item| item.trim().is_empty()) => {
            problems.push(format!("{key} has an empty item"));
        }
        _ => {}
    }
}

/// `quotas.NAME.message` for each quota of the form, required like a question's text; an
/// entry for a quota the form lacks is reported too.
fn check_quotas(form: &Form, t: &Translation, problems: &mut Vec<String>) {
    for name in t.quotas.keys() {
        if !form.quotas.iter().any(|q| q.name == *name) {
            problems.push(format!("quotas.{name}: the form has no quota '{name}'"));
        }
    }
    for quota in &form.quotas {
        let given = t.quotas.get(&quota.name).and_then(|q| q.message.as_deref());
        if given.is_none_or(|m| m.trim().is_empty()) {
            problems.push(format!("quotas.{}.message is missing", quota.name));
        }
    }
}

/// A form's texts in one of its languages, each falling back to the default's.
pub struct Texts<'a> {
    form: &'a Form,
    t: Option<&'a Translation>,
}

impl Form {
    /// The texts in `lang`; the form's own for its default language or one it lacks.
    pub fn texts(&self, lang: &str) -> Texts<'_> {
        Texts {
            form: self,
            t: self.translations.get(lang),
        }
    }

    /// Whether the form declares its languages: then responses record theirs.
    pub fn has_languages(&self) -> bool {
        !self.languages.is_empty()
    }

    /// The default language (the first of `languages`), English for a form without any.
    pub fn default_language(&self) -> &str {
        crate::i18n::default_of(&self.languages)
    }
}

impl<'a> Texts<'a> {
    fn question(&self, q: &Question) -> Option<&'a QuestionTranslation> {
        self.t?.questions.get(&q.id)
    }

    pub fn title(&self) -> &'a str {
        self.t
            .and_then(|t| t.title.as_deref())
            .unwrap_or(&self.form.title)
    }

    pub fn intro(&self) -> Option<&'a str> {
        let own = self.form.intro.as_deref()?;
        Some(self.t.and_then(|t| t.intro.as_deref()).unwrap_or(own))
    }

    pub fn thanks(&self) -> Option<&'a str> {
        let own = self.form.thanks.as_deref()?;
        Some(self.t.and_then(|t| t.thanks.as_deref()).unwrap_or(own))
    }

    pub fn consent(&self) -> Option<&'a str> {
        let own = self.form.consent.as_deref()?;
        Some(self.t.and_then(|t| t.consent.as_deref()).unwrap_or(own))
    }

    pub fn text(&self, q: &'a Question) -> &'a str {
        self.question(q)
            .and_then(|t| t.text.as_deref())
            .unwrap_or(&q.text)
    }

    pub fn help(&self, q: &'a Question) -> Option<&'a str> {
        let own = q.help.as_deref()?;
        Some(
            self.question(q)
                .and_then(|t| t.help.as_deref())
                .unwrap_or(own),
        )
    }

    /// The label of option `index` of `q` (the value stays `q.options[index]`).
    pub fn option(&self, q: &'a Question, index: usize) -> &'a str {
        list_item(
            self.question(q).and_then(|t| t.options.as_ref()),
            &q.options,
            index,
        )
    }

    pub fn label(&self, q: &'a Question, index: usize) -> &'a str {
        list_item(
            self.question(q).and_then(|t| t.labels.as_ref()),
            &q.labels,
            index,
        )
    }

    /// The label of matrix row `index` of `q` (the answer's key stays `q.rows[index]`).
    pub fn row(&self, q: &'a Question, index: usize) -> &'a str {
        list_item(
            self.question(q).and_then(|t| t.rows.as_ref()),
            &q.rows,
            index,
        )
    }

    /// A quota's screen-out message in this language.
    pub fn quota_message(&self, quota: &'a super::quota::Quota) -> &'a str {
        self.t
            .and_then(|t| t.quotas.get(&quota.name))
            .and_then(|q| q.message.as_deref())
            .unwrap_or(&quota.message)
    }

    /// The label of an answer given in the default language: its option's translation, or
    /// the answer itself (an "other" text).
    pub fn option_of(&self, q: &'a Question, answer: &'a str) -> &'a str {
        q.options
            .iter()
            .position(|o| o == answer)
            .map_or(answer, |index| self.option(q, index))
    }

    pub fn section_title(&self, s: &'a Section) -> &'a str {
        self.t
            .and_then(|t| t.sections.get(&s.id))
            .and_then(|t| t.title.as_deref())
            .unwrap_or(&s.title)
    }

    pub fn prompts(&self, s: &'a Section) -> &'a [String] {
        self.t
            .and_then(|t| t.sections.get(&s.id))
            .and_then(|t| t.prompts.as_deref())
            .filter(|p| p.len() == s.prompts.len())
            .unwrap_or(&s.prompts)
    }
}

/// Item `index` of the translated list where it has one, else of the default's.
fn list_item<'a>(
    translated: Option<&'a Vec<String>>,
    default: &'a [String],
    index: usize,
) -> &'a str {
    translated
        .filter(|list| list.len() == default.len())
        .and_then(|list| list.get(index))
        .or_else(|| default.get(index))
        .map_or("", String::as_str)
}

#[cfg(test)]
#[path = "translations_tests.rs"]
mod tests;
