//! Reading `forms/*.toml`: parse strictly, resolve `use` against the bank, check everything,
//! and report every problem as `file: problem` rather than stopping at the first.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::consent::check_consent;
use super::model::{
    Form, FormKind, FormStatus, NUMBER_LIMIT as SCALE_LIMIT, Question, QuestionType, Section,
};
use super::retention::{check_partial_days, check_retain_days};
use super::show_if::{self, Expr, Literal};
use super::translations::{self, BankTranslations, QuestionTranslation, Translation};
use super::webhooks::{RawWebhook, check_webhooks};

pub const BANK_FILE: &str = "bank.toml";

/// Query parameters of the survey's own links (`?lang=`, the resume link's `?t=`), which a
/// hidden field of the same name would take for its value.
const RESERVED_HIDDEN: &[&str] = &["t", "lang"];

/// One thing wrong with one file, printed as `file: message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

/// Every form of a forms directory, by id.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    forms: BTreeMap<String, Arc<Form>>,
}

impl Catalog {
    pub fn get(&self, id: &str) -> Option<Arc<Form>> {
        self.forms.get(id).cloned()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Form>> {
        self.forms.values()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    #[serde(rename = "use")]
    use_: Option<String>,
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<QuestionType>,
    text: Option<String>,
    help: Option<String>,
    required: Option<bool>,
    options: Option<Vec<String>>,
    other: Option<bool>,
    min: Option<f64>,
    max: Option<f64>,
    labels: Option<Vec<String>>,
    rows: Option<Vec<String>>,
    max_ranked: Option<i64>,
    shuffle: Option<bool>,
    keep_last: Option<Vec<String>>,
    integer: Option<bool>,
    show_if: Option<String>,
    tags: Option<Vec<String>>,
    pii: Option<bool>,
    /// Only in the bank: the question's texts by language, used by forms that list them.
    translations: Option<BTreeMap<String, QuestionTranslation>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBank {
    #[serde(default)]
    questions: Vec<RawQuestion>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawForm {
    id: String,
    kind: FormKind,
    title: String,
    intro: Option<String>,
    thanks: Option<String>,
    #[serde(default)]
    status: FormStatus,
    #[serde(default)]
    hidden: Vec<String>,
    #[serde(default)]
    questions: Vec<RawQuestion>,
    #[serde(default)]
    sections: Vec<RawSection>,
    #[serde(default)]
    webhooks: Vec<RawWebhook>,
    retain_days: Option<toml::Value>,
    partial_days: Option<toml::Value>,
    contact_key: Option<String>,
    consent: Option<String>,
    #[serde(default)]
    quotas: Vec<super::quota::RawQuota>,
    #[serde(default)]
    languages: Vec<String>,
    #[serde(default)]
    translations: BTreeMap<String, Translation>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSection {
    id: String,
    title: String,
    minutes: Option<u32>,
    #[serde(default)]
    prompts: Vec<String>,
}

/// Collects problems for one file.
pub(crate) struct ProblemLog<'a> {
    pub file: &'a str,
    pub problems: &'a mut Vec<Problem>,
}

impl ProblemLog<'_> {
    pub fn add(&mut self, message: impl Into<String>) {
        self.problems.push(Problem {
            file: self.file.to_string(),
            message: message.into(),
        });
    }
}

/// Loads every form in `dir`; `Err` carries every problem found in any file.
pub fn load_dir(dir: &Path) -> Result<Catalog, Vec<Problem>> {
    let (catalog, problems) = load_dir_lenient(dir);
    if problems.is_empty() {
        Ok(catalog)
    } else {
        Err(problems)
    }
}

/// Loads what can be loaded and lists every problem: `check` uses the valid forms to go on
/// checking the report files that refer to them.
pub fn load_dir_lenient(dir: &Path) -> (Catalog, Vec<Problem>) {
    let mut problems = Vec::new();
    let files = match list_toml_files(dir) {
        Ok(files) => files,
        Err(message) => {
            let problem = Problem {
                file: dir.display().to_string(),
                message,
            };
            return (Catalog::default(), vec![problem]);
        }
    };
    let bank_path = dir.join(BANK_FILE);
    let bank = if bank_path.exists() {
        load_bank(&bank_path, &mut problems)
    } else {
        Bank::default()
    };
    let mut forms: BTreeMap<String, Arc<Form>> = BTreeMap::new();
    let mut files_by_id: BTreeMap<String, String> = BTreeMap::new();
    for path in files
        .iter()
        .filter(|p| p.file_name() != Some(BANK_FILE.as_ref()))
    {
        let file = display_name(path);
        let mut report = ProblemLog {
            file: &file,
            problems: &mut problems,
        };
        let Some(form) = load_form(path, &bank, &mut report) else {
            continue;
        };
        if let Some(first) = files_by_id.get(&form.id) {
            report.add(format!("form id '{}' is already used by {first}", form.id));
            continue;
        }
        files_by_id.insert(form.id.clone(), file.clone());
        forms.insert(form.id.clone(), Arc::new(form));
    }
    (Catalog { forms }, problems)
}

pub(crate) fn list_toml_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read this directory: {e}"))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    Ok(files)
}

pub(crate) fn display_name(path: &Path) -> String {
    path.display().to_string()
}

pub(crate) fn read_toml<T: serde::de::DeserializeOwned>(
    path: &Path,
    report: &mut ProblemLog,
) -> Option<T> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) => {
            report.add(format!("cannot read: {e}"));
            return None;
        }
    };
    match toml::from_str::<T>(&text) {
        Ok(value) => Some(value),
        Err(e) => {
            let line = e.span().map(|span| {
                text.as_bytes()[..span.start.min(text.len())]
                    .iter()
                    .filter(|&&b| b == b'\n')
                    .count()
                    + 1
            });
            match line {
                Some(line) => report.add(format!("line {line}: {}", e.message())),
                None => report.add(e.message().to_string()),
            }
            None
        }
    }
}

/// The bank's questions by id, and their translations apart: a form takes those of the
/// languages it lists.
#[derive(Debug, Default)]
struct Bank {
    questions: BTreeMap<String, Question>,
    translations: BankTranslations,
}

fn load_bank(path: &Path, problems: &mut Vec<Problem>) -> Bank {
    let file = display_name(path);
    let mut report = ProblemLog {
        file: &file,
        problems,
    };
    let Some(raw) = read_toml::<RawBank>(path, &mut report) else {
        return Bank::default();
    };
    let mut bank = BTreeMap::new();
    let mut bank_translations = BankTranslations::new();
    for (index, mut raw_question) in raw.questions.into_iter().enumerate() {
        let translated = raw_question.translations.take();
        if raw_question.use_.is_some() {
            report.add(format!(
                "question {}: the bank cannot `use` other questions",
                index + 1
            ));
            continue;
        }
        let Some(question) = full_question(raw_question, index, &mut report) else {
            continue;
        };
        if bank.contains_key(&question.id) {
            report.add(format!("duplicate question id '{}'", question.id));
            continue;
        }
        if let Some(translated) = translated {
            bank_translations.insert(question.id.clone(), translated);
        }
        bank.insert(question.id.clone(), question);
    }
    // Bank questions may only refer to each other in forms, where order is known.
    for question in bank.values() {
        if question.show_if.is_some() {
            report.add(format!(
                "question '{}': show_if belongs in the form that uses the question, not in the bank",
                question.id
            ));
        }
    }
    Bank {
        questions: bank,
        translations: bank_translations,
    }
}

fn load_form(path: &Path, bank: &Bank, report: &mut ProblemLog) -> Option<Form> {
    let raw = read_toml::<RawForm>(path, report)?;
    let before = report.problems.len();
    if !is_slug(&raw.id, true) {
        report.add(format!(
            "id '{}' must be a url-safe slug (lowercase letters, digits, '-' and '_')",
            raw.id
        ));
    }
    let expected = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if raw.id != expected {
        report.add(format!(
            "id '{}' should match the file name '{expected}.toml'",
            raw.id
        ));
    }
    if raw.title.trim().is_empty() {
        report.add("title is empty");
    }
    check_hidden(&raw.hidden, raw.kind, report);
    check_contact_key(raw.contact_key.as_deref(), &raw.hidden, report);
    let mut questions = resolve_questions(raw.questions, &bank.questions, report);
    check_question_ids(&questions, &raw.hidden, report);
    check_conditions(&mut questions, report);
    super::piping::check(&questions, &raw.hidden, report);
    let sections = check_sections(raw.sections, raw.kind, report);
    let webhooks = check_webhooks(raw.webhooks, raw.kind, report);
    let quotas = super::quota::check_quotas(raw.quotas, raw.kind, &questions, report);
    let retain_days = check_retain_days(raw.retain_days, raw.kind, report);
    let partial_days = check_partial_days(raw.partial_days, raw.kind, report);
    let consent = check_consent(raw.consent, raw.kind, &questions, report);
    if raw.kind == FormKind::Survey && questions.is_empty() {
        report.add("a survey needs at least one question");
    }
    if questions.len() > super::MAX_FORM_FIELDS || raw.hidden.len() > super::MAX_FORM_FIELDS {
        report.add(format!(
            "a form may have at most {} questions and {0} hidden fields",
            super::MAX_FORM_FIELDS
        ));
    }
    // Built even with problems, so that its translations are checked too: `check` names every
    // missing text at once, whatever else is wrong.
    let mut form = Form {
        id: raw.id,
        kind: raw.kind,
        title: raw.title,
        intro: raw.intro,
        thanks: raw.thanks,
        consent,
        status: raw.status,
        hidden: raw.hidden,
        questions,
        sections,
        languages: Vec::new(),
        translations: BTreeMap::new(),
        revision: String::new(),
        webhooks,
        retain_days,
        quotas,
        partial_days,
        contact_key: raw.contact_key,
    };
    translations::resolve(
        &mut form,
        raw.languages,
        raw.translations,
        &bank.translations,
        report,
    );
    if report.problems.len() > before {
        return None;
    }
    form.revision = revision_of(&form);
    Some(form)
}

/// A short hash of the resolved form, stable across runs and machines.
fn revision_of(form: &Form) -> String {
    let canonical = serde_json::to_vec(form).unwrap_or_default();
    let digest = Sha256::digest(&canonical);
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

pub fn is_slug(s: &str, allow_dash: bool) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || (allow_dash && c == '-')
        })
}

fn check_hidden(hidden: &[String], kind: FormKind, report: &mut ProblemLog) {
    let mut seen = HashSet::new();
    for name in hidden {
        if !is_slug(name, false) {
            report.add(format!(
                "hidden field '{name}' must be lowercase letters, digits and '_'"
            ));
        }
        if !seen.insert(name) {
            report.add(format!("hidden field '{name}' is listed twice"));
        }
        if RESERVED_HIDDEN.contains(&name.as_str()) {
            report.add(format!(
                "hidden field '{name}' is reserved: the survey's own links use ?{name}="
            ));
        }
    }
    if kind == FormKind::Interview && !hidden.is_empty() {
        report.add("hidden fields belong to surveys, not interview guides");
    }
}

fn check_contact_key(key: Option<&str>, hidden: &[String], report: &mut ProblemLog) {
    if let Some(key) = key
        && !hidden.iter().any(|h| h == key)
    {
        report.add(format!(
            "contact_key '{key}' must be one of the form's hidden fields"
        ));
    }
}

fn resolve_questions(
    raw: Vec<RawQuestion>,
    bank: &BTreeMap<String, Question>,
    report: &mut ProblemLog,
) -> Vec<Question> {
    let mut out = Vec::new();
    for (index, raw_question) in raw.into_iter().enumerate() {
        let resolved = match raw_question.use_.clone() {
            Some(bank_id) => use_from_bank(raw_question, &bank_id, bank, index, report),
            None => {
                if raw_question.translations.is_some() {
                    report.add(format!(
                        "question {}: a form's question is translated under [translations.LANG.questions.ID], not in the question",
                        index + 1
                    ));
                }
                full_question(raw_question, index, report)
            }
        };
        out.extend(resolved);
    }
    out
}

fn use_from_bank(
    raw: RawQuestion,
    bank_id: &str,
    bank: &BTreeMap<String, Question>,
    index: usize,
    report: &mut ProblemLog,
) -> Option<Question> {
    let overridden: Vec<&str> = [
        ("id", raw.id.is_some()),
        ("type", raw.kind.is_some()),
        ("text", raw.text.is_some()),
        ("help", raw.help.is_some()),
        ("options", raw.options.is_some()),
        ("other", raw.other.is_some()),
        ("min", raw.min.is_some()),
        ("max", raw.max.is_some()),
        ("labels", raw.labels.is_some()),
        ("rows", raw.rows.is_some()),
        ("max_ranked", raw.max_ranked.is_some()),
        ("shuffle", raw.shuffle.is_some()),
        ("keep_last", raw.keep_last.is_some()),
        ("integer", raw.integer.is_some()),
        ("pii", raw.pii.is_some()),
        ("translations", raw.translations.is_some()),
    ]
    .into_iter()
    .filter_map(|(key, set)| set.then_some(key))
    .collect();
    if !overridden.is_empty() {
        report.add(format!(
            "question {} (use '{bank_id}'): a `use` entry may only override required, show_if and tags, not {}",
            index + 1,
            overridden.join(", ")
        ));
    }
    let Some(base) = bank.get(bank_id) else {
        report.add(format!(
            "question {}: unknown `use` '{bank_id}' (no such question in {BANK_FILE})",
            index + 1
        ));
        return None;
    };
    let mut question = base.clone();
    if let Some(required) = raw.required {
        question.required = required;
    }
    if raw.show_if.is_some() {
        question.show_if = raw.show_if;
    }
    if let Some(tags) = raw.tags {
        question.tags = tags;
    }
    Some(question)
}

fn full_question(raw: RawQuestion, index: usize, report: &mut ProblemLog) -> Option<Question> {
    let label = raw
        .id
        .clone()
        .map(|id| format!("question '{id}'"))
        .unwrap_or_else(|| format!("question {}", index + 1));
    let (Some(id), Some(kind), Some(text)) = (raw.id, raw.kind, raw.text) else {
        report.add(format!("{label}: needs id, type and text (or `use`)"));
        return None;
    };
    let max_ranked = super::ranking::read_max_ranked(raw.max_ranked, &label, report);
    let question = Question {
        id,
        kind,
        text,
        help: raw.help,
        required: raw.required.unwrap_or(false),
        options: raw.options.unwrap_or_default(),
        other: raw.other.unwrap_or(false),
        min: raw.min,
        max: raw.max,
        labels: raw.labels.unwrap_or_default(),
        rows: raw.rows.unwrap_or_default(),
        max_ranked,
        shuffle: raw.shuffle.unwrap_or(false),
        keep_last: raw.keep_last.unwrap_or_default(),
        integer: raw.integer.unwrap_or(false),
        show_if: raw.show_if,
        tags: raw.tags.unwrap_or_default(),
        pii: raw.pii.unwrap_or(false),
        condition: None,
    };
    // Kept even when malformed, so later checks (duplicate ids, show_if) still see it.
    check_question_shape(&question, &label, report);
    Some(question)
}

fn check_question_shape(q: &Question, label: &str, report: &mut ProblemLog) {
    if !is_slug(&q.id, false) {
        report.add(format!(
            "{label}: id must start with a lowercase letter and hold only lowercase letters, digits and '_'"
        ));
    }
    if q.text.trim().is_empty() {
        report.add(format!("{label}: text is empty"));
    }
    if q.kind == QuestionType::Matrix {
        super::matrix::check_shape(q, label, report);
    } else if q.kind == QuestionType::Ranking {
        super::ranking::check_shape(q, label, report);
    } else if q.kind.has_options() {
        check_options(q, label, report);
    } else {
        if !q.options.is_empty() {
            report.add(format!(
                "{label}: options only apply to single and multi questions"
            ));
        }
        if q.other {
            report.add(format!(
                "{label}: `other` only applies to single and multi questions"
            ));
        }
    }
    super::matrix::check_not_matrix(q, label, report);
    super::ranking::check_not_ranking(q, label, report);
    super::shuffle::check(q, label, report);
    match q.kind {
        // Matrix and ranking questions check their own options, bounds and labels.
        QuestionType::Matrix | QuestionType::Ranking => {}
        QuestionType::Scale => check_scale(q, label, report),
        QuestionType::Number => {
            if let (Some(min), Some(max)) = (q.min, q.max)
                && min >= max
            {
                report.add(format!(
                    "{label}: min ({min}) must be less than max ({max})"
                ));
            }
            let limit = super::model::NUMBER_LIMIT;
            if q.min.is_some_and(|m| m < -limit) || q.max.is_some_and(|m| m > limit) {
                report.add(format!(
                    "{label}: min and max must lie within ±{limit} so that statistics stay exact"
                ));
            }
        }
        _ if q.min.is_some() || q.max.is_some() => {
            report.add(format!(
                "{label}: min and max only apply to scale and number questions"
            ));
        }
        _ => {}
    }
    if !matches!(q.kind, QuestionType::Scale | QuestionType::Matrix) && !q.labels.is_empty() {
        report.add(format!("{label}: labels only apply to scale questions"));
    }
    if q.kind != QuestionType::Number && q.integer {
        report.add(format!("{label}: integer only applies to number questions"));
    }
    for tag in &q.tags {
        if !is_slug(tag, true) {
            report.add(format!("{label}: tag '{tag}' must be a lowercase slug"));
        }
    }
}

pub(super) fn check_options(q: &Question, label: &str, report: &mut ProblemLog) {
    if q.options.is_empty() {
        report.add(format!(
            "{label}: a {} question needs options",
            q.kind.as_str()
        ));
    }
    let mut seen = HashSet::new();
    for option in &q.options {
        if option.trim().is_empty() {
            report.add(format!("{label}: an option is empty"));
        } else if !seen.insert(option.as_str()) {
            report.add(format!("{label}: option '{option}' is listed twice"));
        }
    }
}

pub(super) fn check_scale(q: &Question, label: &str, report: &mut ProblemLog) {
    let (Some(min), Some(max)) = (q.min, q.max) else {
        report.add(format!("{label}: a scale needs min and max"));
        return;
    };
    if min.fract() != 0.0 || max.fract() != 0.0 {
        report.add(format!("{label}: scale min and max must be whole numbers"));
        return;
    }
    if min >= max {
        report.add(format!(
            "{label}: min ({min}) must be less than max ({max})"
        ));
        return;
    }
    if max - min > 20.0 {
        report.add(format!("{label}: a scale may have at most 21 points"));
        return;
    }
    // Far inside the whole numbers an f64 and an i64 both hold exactly, so the pages, the
    // validation and the tallies may treat the points as integers.
    if min.abs() > SCALE_LIMIT || max.abs() > SCALE_LIMIT {
        report.add(format!(
            "{label}: scale min and max must be between -{SCALE_LIMIT} and {SCALE_LIMIT}"
        ));
        return;
    }
    let points = (1..=21)
        .take_while(|k| min + f64::from(*k - 1) <= max)
        .count();
    if !q.labels.is_empty() && q.labels.len() != 2 && q.labels.len() != points {
        report.add(format!(
            "{label}: labels must name the two ends or all {points} points, not {}",
            q.labels.len()
        ));
    }
}

fn check_question_ids(questions: &[Question], hidden: &[String], report: &mut ProblemLog) {
    let mut seen = HashSet::new();
    for q in questions {
        if !seen.insert(q.id.as_str()) {
            report.add(format!("duplicate question id '{}'", q.id));
        }
        if hidden.contains(&q.id) {
            report.add(format!("'{}' is both a question and a hidden field", q.id));
        }
    }
}

/// Parses each `show_if` and checks it only reads earlier questions in ways their types allow.
fn check_conditions(questions: &mut [Question], report: &mut ProblemLog) {
    for index in 0..questions.len() {
        let Some(source) = questions[index].show_if.clone() else {
            continue;
        };
        let label = format!("question '{}'", questions[index].id);
        let expr = match show_if::parse(&source) {
            Ok(expr) => expr,
            Err(e) => {
                report.add(format!("{label}: show_if \"{source}\" does not parse: {e}"));
                continue;
            }
        };
        let earlier = &questions[..index];
        let mut ok = true;
        for leaf in expr.leaves() {
            if let Err(message) = check_leaf(leaf, earlier, &questions[index].id) {
                report.add(format!("{label}: show_if \"{source}\": {message}"));
                ok = false;
            }
        }
        if ok {
            questions[index].condition = Some(expr);
        }
    }
}

pub(super) fn check_leaf(leaf: &Expr, earlier: &[Question], own_id: &str) -> Result<(), String> {
    let name = match leaf {
        Expr::Compare { question, .. } | Expr::Contains { question, .. } => question,
        _ => return Ok(()),
    };
    let Some(target) = earlier.iter().find(|q| &q.id == name) else {
        return Err(if name == own_id {
            format!("'{name}' is the question itself")
        } else {
            format!("'{name}' is not a question that comes before this one")
        });
    };
    if matches!(target.kind, QuestionType::Matrix | QuestionType::Ranking) {
        return Err(format!(
            "'{name}' is a {} question, which show_if cannot read",
            target.kind.as_str()
        ));
    }
    match leaf {
        Expr::Contains { value, .. } => {
            if !target.kind.has_options() {
                return Err(format!(
                    "'in' needs a single or multi question, '{name}' is {}",
                    target.kind.as_str()
                ));
            }
            check_option_value(target, value)
        }
        Expr::Compare { value, op, .. } => match value {
            Literal::Number(_) if target.kind.is_numeric() => Ok(()),
            Literal::Number(_) => Err(format!(
                "'{name}' is {}, not a number",
                target.kind.as_str()
            )),
            Literal::Text(text) => {
                if target.kind == QuestionType::Multi {
                    return Err(format!(
                        "'{name}' is a multi question: use '{text}' in {name}"
                    ));
                }
                if target.kind.is_numeric() {
                    return Err(format!("'{name}' is numeric: compare it with a number"));
                }
                if !matches!(op, show_if::CmpOp::Eq | show_if::CmpOp::Ne) {
                    return Err(format!(
                        "text answers of '{name}' can only be compared with = or !="
                    ));
                }
                check_option_value(target, text)
            }
        },
        _ => Ok(()),
    }
}

fn check_option_value(target: &Question, value: &str) -> Result<(), String> {
    if target.kind.has_options() && !target.other && !target.options.iter().any(|o| o == value) {
        return Err(format!("'{value}' is not an option of '{}'", target.id));
    }
    Ok(())
}

fn check_sections(raw: Vec<RawSection>, kind: FormKind, report: &mut ProblemLog) -> Vec<Section> {
    if kind == FormKind::Survey {
        if !raw.is_empty() {
            report.add("sections belong to interview guides; surveys are paged automatically");
        }
        return Vec::new();
    }
    if raw.is_empty() {
        report.add("an interview guide needs at least one section");
    }
    let mut seen = HashSet::new();
    let mut sections = Vec::new();
    for section in raw {
        if !is_slug(&section.id, false) {
            report.add(format!(
                "section '{}': id must be lowercase letters, digits and '_'",
                section.id
            ));
        }
        if !seen.insert(section.id.clone()) {
            report.add(format!("duplicate section id '{}'", section.id));
        }
        if section.title.trim().is_empty() {
            report.add(format!("section '{}': title is empty", section.id));
        }
        sections.push(Section {
            id: section.id,
            title: section.title,
            minutes: section.minutes,
            prompts: section.prompts,
        });
    }
    sections
}
