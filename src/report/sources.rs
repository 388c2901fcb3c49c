//! `[[sources]]` of a report file: the outside texts (support tickets, reviews, sales-call
//! notes) that join its theme counts, each named and placed on one of the method's three
//! angles.

use std::collections::HashSet;

use serde::Deserialize;

use crate::form::{ProblemLog, is_slug};
use crate::tally::{INTERVIEW, SURVEY};

/// Which of the method's three angles (PROFILING.md, step 3) a source's texts speak from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Angle {
    Internal,
    Analytics,
    Voice,
}

impl Angle {
    pub fn as_str(self) -> &'static str {
        match self {
            Angle::Internal => "internal",
            Angle::Analytics => "analytics",
            Angle::Voice => "voice",
        }
    }

    fn parse(text: &str) -> Option<Angle> {
        match text {
            "internal" => Some(Angle::Internal),
            "analytics" => Some(Angle::Analytics),
            "voice" => Some(Angle::Voice),
            _ => None,
        }
    }
}

/// One declared source of outside texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub angle: Angle,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSource {
    name: String,
    angle: String,
}

/// The sources of a report, every problem logged: a name must be a url-safe slug, unique,
/// and neither `survey` nor `interview` (the sources texts already come from).
pub(super) fn check_sources(raw: Vec<RawSource>, log: &mut ProblemLog) -> Vec<Source> {
    let mut seen = HashSet::new();
    let mut sources = Vec::new();
    for source in raw {
        let name = source.name;
        let mut good = true;
        if !is_slug(&name, true) {
            log.add(format!(
                "source '{name}' must be a url-safe name: lowercase letters, digits, '-' and '_', starting with a letter"
            ));
            good = false;
        } else if name == SURVEY || name == INTERVIEW {
            log.add(format!(
                "source '{name}' is reserved: survey answers and interview notes are sources already; pick another name"
            ));
            good = false;
        } else if !seen.insert(name.clone()) {
            log.add(format!("source '{name}' is declared twice"));
            good = false;
        }
        let angle = Angle::parse(&source.angle);
        if angle.is_none() {
            log.add(format!(
                "source '{name}': angle = \"{}\" must be internal, analytics or voice",
                source.angle
            ));
        }
        if let (true, Some(angle)) = (good, angle) {
            sources.push(Source { name, angle });
        }
    }
    sources
}
