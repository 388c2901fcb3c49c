//! The drill-down of a theme: every text that mentions it, as its respondents wrote it.

use serde::Serialize;

use crate::analysis::figures::ReportFigures;
use crate::report::ReportDef;
use crate::store::{Store, StoreError};
use crate::tally::ThemeTextRecord;

#[derive(Debug, Clone, Serialize)]
pub struct ThemeTexts {
    pub report: String,
    pub theme: String,
    pub description: Option<String>,
    pub patterns: Vec<String>,
    /// Interview quotes first, then notes, then survey answers.
    pub texts: Vec<ThemeTextRecord>,
}

/// Texts of unsuppressed segments only, like every other figure of the report.
pub fn theme_texts(
    store: &dyn Store,
    report: &ReportDef,
    figures: &ReportFigures,
    theme: &str,
) -> Result<ThemeTexts, StoreError> {
    let shown: Vec<&str> = figures
        .segments
        .iter()
        .filter(|s| !s.suppressed)
        .map(|s| s.name.as_str())
        .collect();
    let mut texts = Vec::new();
    for record in store.theme_texts(&report.id, theme) {
        let record = record?;
        if shown.contains(&record.segment.as_str()) {
            texts.push(record);
        }
    }
    let definition = report.themes.iter().find(|t| t.name == theme);
    Ok(ThemeTexts {
        report: report.id.clone(),
        theme: theme.to_string(),
        description: definition.and_then(|t| t.description.clone()),
        patterns: definition.map(|t| t.patterns.clone()).unwrap_or_default(),
        texts,
    })
}
