//! Report files (`reports/*.toml`): which form, how to segment it, the codebook of themes
//! and the email cadence; loaded and checked against the forms they name.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::analysis::themes::{Codebook, DEFAULT_LANGUAGE};
use crate::form::{
    Catalog, Form, FormKind, Problem, ProblemLog, QuestionType, display_name, is_slug,
    list_toml_files, read_toml,
};

mod cards;
mod sources;

pub use cards::{IcpSettings, ProfileSettings, Success};
use cards::{RawIcp, RawProfiles, check_icp, check_profiles};
pub use sources::{Angle, Source};
use sources::{RawSource, check_sources};

pub const DEFAULT_MIN_CELL: u32 = 5;

#[derive(Debug, Clone, PartialEq)]
pub struct Theme {
    pub name: String,
    pub patterns: Vec<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cadence {
    Weekly,
    Monthly,
    Quarterly,
    Every(Duration),
}

#[derive(Debug, Clone, PartialEq)]
pub struct EmailSettings {
    pub to: Vec<String>,
    pub every: Option<Cadence>,
    pub every_text: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReportDef {
    pub id: String,
    pub title: String,
    pub form: String,
    pub interviews: Vec<String>,
    pub segment_by: String,
    pub min_cell: u32,
    pub themes: Vec<Theme>,
    pub language: String,
    /// The themes compiled for matching, with the language's stop words.
    pub codebook: Arc<Codebook>,
    pub email: Option<EmailSettings>,
    pub profiles: ProfileSettings,
    pub icp: Option<IcpSettings>,
    /// The outside texts that join the theme counts (`[[sources]]`).
    pub sources: Vec<Source>,
    /// What the stored aggregates were computed for: the form and guide revisions,
    /// `segment_by`, the codebook and its language. When it changes, the aggregates are
    /// rebuilt from the stored responses and notes.
    pub aggregate_key: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    id: String,
    title: String,
    form: String,
    #[serde(default)]
    interviews: Vec<String>,
    segment_by: String,
    min_cell: Option<i64>,
    #[serde(default)]
    themes: Vec<RawTheme>,
    language: Option<String>,
    email: Option<RawEmail>,
    profiles: Option<RawProfiles>,
    icp: Option<RawIcp>,
    #[serde(default)]
    sources: Vec<RawSource>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: String,
    #[serde(rename = "match")]
    patterns: Vec<String>,
    description: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEmail {
    to: Vec<String>,
    every: Option<String>,
}

/// Every report of a reports directory, by id.
#[derive(Debug, Clone, Default)]
pub struct Reports {
    reports: BTreeMap<String, Arc<ReportDef>>,
    /// Where contact segments (`segment_by = "contact.ATTR"`) read their contacts.
    contacts: crate::contacts::Directory,
}

impl Reports {
    pub fn get(&self, id: &str) -> Option<Arc<ReportDef>> {
        self.reports.get(id).cloned()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<ReportDef>> {
        self.reports.values()
    }

    /// The same reports, placing responses in contact segments from `contacts`.
    pub fn with_contacts(mut self, contacts: crate::contacts::Directory) -> Reports {
        self.contacts = contacts;
        self
    }

    pub fn contacts(&self) -> &crate::contacts::Directory {
        &self.contacts
    }

    /// A report and one of its declared sources of outside texts.
    pub fn source(&self, report: &str, source: &str) -> Option<(Arc<ReportDef>, Source)> {
        let report = self.get(report)?;
        let source = report.source(source)?.clone();
        Some((report, source))
    }

    /// The reports that aggregate responses of this form.
    pub fn for_form<'a>(&'a self, form_id: &'a str) -> impl Iterator<Item = &'a Arc<ReportDef>> {
        self.reports.values().filter(move |r| r.form == form_id)
    }
}

impl ReportDef {
    pub fn source(&self, name: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.name == name)
    }
}

/// Loads every report in `dir`, checked against `catalog`.
pub fn load_reports(dir: &Path, catalog: &Catalog) -> Result<Reports, Vec<Problem>> {
    let mut problems = Vec::new();
    let files = match list_toml_files(dir) {
        Ok(files) => files,
        Err(message) => {
            let file = dir.display().to_string();
            return Err(vec![Problem { file, message }]);
        }
    };
    let mut reports = BTreeMap::new();
    for path in files {
        let file = display_name(&path);
        let mut log = ProblemLog {
            file: &file,
            problems: &mut problems,
        };
        let Some(report) = load_report(&path, catalog, &mut log) else {
            continue;
        };
        if reports.contains_key(&report.id) {
            log.add(format!(
                "report id '{}' is used by another report file",
                report.id
            ));
            continue;
        }
        reports.insert(report.id.clone(), Arc::new(report));
    }
    if problems.is_empty() {
        Ok(Reports {
            reports,
            contacts: crate::contacts::Directory::default(),
        })
    } else {
        Err(problems)
    }
}

fn load_report(path: &Path, catalog: &Catalog, log: &mut ProblemLog) -> Option<ReportDef> {
    let raw: RawReport = read_toml(path, log)?;
    let before = log.problems.len();
    if !is_slug(&raw.id, true) {
        log.add(format!("id '{}' must be a url-safe slug", raw.id));
    }
    let expected = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    if raw.id != expected {
        log.add(format!(
            "id '{}' should match the file name '{expected}.toml'",
            raw.id
        ));
    }
    let form = check_form(&raw.form, catalog, log);
    let guides = check_guides(&raw.interviews, catalog, log);
    if let Some(form) = &form {
        check_segment_by(&raw.segment_by, form, &guides, log);
    }
    let min_cell = check_min_cell(raw.min_cell, log);
    let themes = check_themes(raw.themes, log);
    let language = raw.language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_string());
    let codebook = match Codebook::new(&themes, &language) {
        Ok(codebook) => Some(Arc::new(codebook)),
        Err(problems) => {
            problems.into_iter().for_each(|p| log.add(p));
            None
        }
    };
    let sources = check_sources(raw.sources, log);
    let email = raw.email.and_then(|email| check_email(email, log));
    let profiles = check_profiles(raw.profiles, log);
    let icp = match (&form, raw.icp) {
        (Some(form), Some(icp)) => check_icp(icp, form, &raw.segment_by, log),
        _ => None,
    };
    let (form, codebook) = (form?, codebook?);
    if log.problems.len() > before {
        return None;
    }
    Some(ReportDef {
        aggregate_key: aggregate_key(
            &form,
            &guides,
            &raw.segment_by,
            &themes,
            &language,
            &sources,
        ),
        sources,
        language,
        codebook,
        id: raw.id,
        title: raw.title,
        form: raw.form,
        interviews: raw.interviews,
        segment_by: raw.segment_by,
        min_cell,
        themes,
        email,
        profiles,
        icp,
    })
}

fn aggregate_key(
    form: &Form,
    guides: &[Arc<Form>],
    segment_by: &str,
    themes: &[Theme],
    language: &str,
    sources: &[Source],
) -> String {
    let mut hasher = Sha256::new();
    // What the aggregates hold: bump when a new kind of tally is added, so stored data is
    // rebuilt to have it (2: per-question theme counts, days, periods, job statements).
    hasher.update(b"aggregates 2\n");
    hasher.update(format!(
        "{}\n{}\n{segment_by}\n{language}\n",
        form.id, form.revision
    ));
    for guide in guides {
        hasher.update(format!("guide {} {}\n", guide.id, guide.revision));
    }
    for theme in themes {
        hasher.update(format!("theme {}\n", theme.name));
        for pattern in &theme.patterns {
            hasher.update(format!("  {pattern}\n"));
        }
    }
    // Which sources' texts count. Hashed only when there are any, so reports without
    // sources keep the key (and the aggregates) they had before sources existed.
    for source in sources {
        hasher.update(format!("source {}\n", source.name));
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn check_form(id: &str, catalog: &Catalog, log: &mut ProblemLog) -> Option<Arc<Form>> {
    match catalog.get(id) {
        Some(form) if form.kind == FormKind::Survey => Some(form),
        Some(_) => {
            log.add(format!(
                "form '{id}' is an interview guide; list guides under `interviews`"
            ));
            None
        }
        None => {
            log.add(format!("unknown form '{id}'"));
            None
        }
    }
}

fn check_guides(ids: &[String], catalog: &Catalog, log: &mut ProblemLog) -> Vec<Arc<Form>> {
    let mut guides = Vec::new();
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            log.add(format!("interview guide '{id}' is listed twice"));
            continue;
        }
        match catalog.get(id) {
            Some(form) if form.kind == FormKind::Interview => guides.push(form),
            Some(_) => log.add(format!(
                "'{id}' in `interviews` is a survey, not an interview guide"
            )),
            None => log.add(format!("unknown interview guide '{id}'")),
        }
    }
    guides
}

/// `segment_by` must be a single-choice question of the form, or of every listed guide.
fn check_segment_by(name: &str, form: &Form, guides: &[Arc<Form>], log: &mut ProblemLog) {
    if name.starts_with("contact.") {
        match crate::contacts::segment_attribute(name) {
            None => log.add(format!(
                "segment_by '{name}' must name a contact attribute: contact.ATTR"
            )),
            Some(crate::contacts::import::EMAIL) => log.add(format!(
                "segment_by '{name}' names personal data, which never names a segment"
            )),
            Some(_) => {}
        }
        return;
    }
    let is_single = |f: &Form| f.question(name).map(|q| q.kind == QuestionType::Single);
    match is_single(form) {
        Some(true) => {}
        Some(false) => log.add(format!(
            "segment_by '{name}' must be a single-choice question; in form '{}' it is not",
            form.id
        )),
        None => log.add(format!(
            "segment_by '{name}' is not a question of form '{}'",
            form.id
        )),
    }
    for guide in guides {
        if is_single(guide) == Some(false) {
            log.add(format!(
                "segment_by '{name}' must be a single-choice attribute in guide '{}'",
                guide.id
            ));
        }
    }
}

fn check_min_cell(value: Option<i64>, log: &mut ProblemLog) -> u32 {
    match value {
        None => DEFAULT_MIN_CELL,
        Some(n) if (0..=10_000).contains(&n) => u32::try_from(n).unwrap_or(DEFAULT_MIN_CELL),
        Some(n) => {
            log.add(format!(
                "min_cell must be a whole number from 0 to 10000, not {n}"
            ));
            DEFAULT_MIN_CELL
        }
    }
}

fn check_themes(raw: Vec<RawTheme>, log: &mut ProblemLog) -> Vec<Theme> {
    let mut seen = HashSet::new();
    let mut themes = Vec::new();
    for theme in raw {
        let name = theme.name.trim().to_string();
        if name.is_empty() {
            log.add("a theme has an empty name");
        } else if !seen.insert(name.to_lowercase()) {
            log.add(format!("theme '{name}' is defined twice"));
        }
        if theme.patterns.is_empty() {
            log.add(format!("theme '{name}' has no match patterns"));
        }
        themes.push(Theme {
            name,
            patterns: theme.patterns,
            description: theme.description,
        });
    }
    themes
}

fn check_email(raw: RawEmail, log: &mut ProblemLog) -> Option<EmailSettings> {
    if raw.to.is_empty() {
        log.add("[email] needs at least one address in `to`");
    }
    for address in &raw.to {
        if !email_address::EmailAddress::is_valid(address) {
            log.add(format!("[email] '{address}' is not an email address"));
        }
    }
    let every = match raw.every.as_deref().map(parse_cadence) {
        None => None,
        Some(Ok(cadence)) => Some(cadence),
        Some(Err(message)) => {
            log.add(format!("[email] {message}"));
            return None;
        }
    };
    Some(EmailSettings {
        to: raw.to,
        every,
        every_text: raw.every,
    })
}

/// `weekly`, `monthly`, `quarterly`, or a whole number with a unit: `30s`, `10m`, `6h`, `2d`, `1w`.
pub fn parse_cadence(text: &str) -> Result<Cadence, String> {
    match text.trim() {
        "weekly" => return Ok(Cadence::Weekly),
        "monthly" => return Ok(Cadence::Monthly),
        "quarterly" => return Ok(Cadence::Quarterly),
        _ => {}
    }
    let invalid = || {
        format!(
            "every = \"{text}\" must be weekly, monthly, quarterly or a duration such as \"10s\", \"15m\", \"6h\", \"2d\""
        )
    };
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !c.is_ascii_digit())
        .ok_or_else(invalid)?;
    let (number, unit) = trimmed.split_at(split);
    let number: u64 = number.parse().map_err(|_| invalid())?;
    let seconds = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(invalid()),
    };
    if number == 0 {
        return Err(invalid());
    }
    let seconds = number.checked_mul(seconds).ok_or_else(invalid)?;
    Ok(Cadence::Every(Duration::from_secs(seconds)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cadences() {
        assert_eq!(parse_cadence("monthly"), Ok(Cadence::Monthly));
        assert_eq!(
            parse_cadence("10s"),
            Ok(Cadence::Every(Duration::from_secs(10)))
        );
        assert_eq!(
            parse_cadence("2d"),
            Ok(Cadence::Every(Duration::from_secs(172_800)))
        );
        assert!(parse_cadence("0s").is_err());
        assert!(parse_cadence("soon").is_err());
        assert!(parse_cadence("5 parsecs").is_err());
    }
}
