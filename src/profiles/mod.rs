//! Profile cards and the ideal customer profile (templates 1 and 2 of the method), drafted
//! from a report's aggregates, its evidence index and the stored interview notes, so that
//! they cost the same for a thousand responses or a million; plus the team's words beside
//! them. Nothing here knows about HTTP.

pub mod card;
pub mod compare;
pub mod icp;
pub mod markdown;
pub mod model;
pub mod signals;
pub mod team;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::analysis::aggregate::NO_ANSWER;
use crate::analysis::evidence::pmf_question;
use crate::analysis::figures;
use crate::contacts::Directory;
use crate::form::{Catalog, FieldErrors, Form};
use crate::interview::{Interview, Note};
use crate::report::ReportDef;
use crate::store::{AggregateState, CardNotes, InterviewStore, ProfileStore, Store, StoreError};
use crate::tally::SegmentStats;

use card::SegmentInterview;
pub use model::*;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("report '{0}' has no segment '{1}'")]
    UnknownSegment(String, String),
    #[error("segment '{0}' is suppressed: it has fewer than {1} responses, so it has no card yet")]
    Suppressed(String, u32),
    #[error("{0}")]
    NotFound(String),
    #[error("invalid input")]
    Invalid(FieldErrors),
    #[error("the report's aggregates are being rebuilt")]
    Rebuilding { done: u64, total: u64 },
    #[error("{0}")]
    Store(#[from] StoreError),
}

type InterviewNotes = (Interview, Vec<Note>);

/// Drafts cards and keeps what the team says about them.
pub struct ProfileService {
    store: Arc<dyn Store>,
    interviews: Arc<dyn InterviewStore>,
    notes: Arc<dyn ProfileStore>,
    /// Where interviews linked to a contact find their segment in reports by contact.
    contacts: Directory,
}

/// A report's aggregates and which segments are shown (and carded).
struct Basis {
    form: Arc<Form>,
    aggregates: BTreeMap<String, SegmentStats>,
    /// Unsuppressed segments, in report order, with their index in the report's list.
    shown: Vec<(usize, String)>,
    suppressed: Vec<String>,
}

impl Basis {
    fn cards(&self) -> impl Iterator<Item = &(usize, String)> {
        self.shown.iter().filter(|(_, name)| name != NO_ANSWER)
    }
}

impl ProfileService {
    pub fn new(
        store: Arc<dyn Store>,
        interviews: Arc<dyn InterviewStore>,
        notes: Arc<dyn ProfileStore>,
    ) -> Self {
        ProfileService {
            store,
            interviews,
            notes,
            contacts: Directory::default(),
        }
    }

    /// The same, placing interviews linked to contacts in their contact's segment.
    pub fn with_contacts(self, contacts: Directory) -> Self {
        ProfileService { contacts, ..self }
    }

    fn basis(&self, catalog: &Catalog, report: &ReportDef) -> Result<Basis, ProfileError> {
        let form = catalog.get(&report.form).ok_or_else(|| {
            StoreError::Corrupt(format!("report {} names a form that is gone", report.id))
        })?;
        let aggregates = match self.store.aggregates(&report.id, &report.aggregate_key)? {
            AggregateState::Ready(aggregates) => aggregates,
            AggregateState::Building { done, total } => {
                return Err(ProfileError::Rebuilding { done, total });
            }
            AggregateState::Missing => return Err(ProfileError::Rebuilding { done: 0, total: 0 }),
        };
        let segments = figures::compute(report, &form, &aggregates).segments;
        let mut shown = Vec::new();
        let mut suppressed = Vec::new();
        for (i, s) in segments.into_iter().enumerate() {
            if s.suppressed {
                suppressed.push(s.name);
            } else {
                shown.push((i, s.name));
            }
        }
        Ok(Basis {
            form,
            aggregates,
            shown,
            suppressed,
        })
    }

    /// The segment, if it has a card; 404-worthy errors otherwise.
    fn card_segment(
        &self,
        catalog: &Catalog,
        report: &ReportDef,
        segment: &str,
    ) -> Result<(), ProfileError> {
        let basis = self.basis(catalog, report)?;
        if basis.cards().any(|(_, name)| name == segment) {
            return Ok(());
        }
        if basis.suppressed.iter().any(|s| s == segment) {
            return Err(ProfileError::Suppressed(segment.into(), report.min_cell));
        }
        let form_has = basis
            .form
            .question(&report.segment_by)
            .is_some_and(|q| q.options.iter().any(|o| o == segment));
        if form_has && segment != NO_ANSWER {
            // An option nobody has chosen yet: as good as suppressed.
            return Err(ProfileError::Suppressed(segment.into(), report.min_cell));
        }
        Err(ProfileError::UnknownSegment(
            report.id.clone(),
            segment.into(),
        ))
    }

    /// Every interview of the report's guides, with its notes, by segment.
    fn interviews_by_segment(
        &self,
        catalog: &Catalog,
        report: &ReportDef,
    ) -> Result<BTreeMap<String, Vec<InterviewNotes>>, StoreError> {
        let mut by_segment: BTreeMap<String, Vec<InterviewNotes>> = BTreeMap::new();
        for guide_id in &report.interviews {
            let guide = catalog.get(guide_id);
            for interview in self.interviews.interviews(Some(guide_id)) {
                let interview = interview?;
                let segment = crate::analysis::interview_segment(
                    &self.contacts,
                    report,
                    guide.as_deref(),
                    &interview,
                );
                let notes = self
                    .interviews
                    .notes(interview.id)
                    .collect::<Result<Vec<_>, _>>()?;
                by_segment
                    .entry(segment)
                    .or_default()
                    .push((interview, notes));
            }
        }
        Ok(by_segment)
    }

    /// The report's cards, similar segments and ICP as they stand now.
    pub fn draft(
        &self,
        catalog: &Catalog,
        report: &ReportDef,
        now: DateTime<Utc>,
    ) -> Result<Profiles, ProfileError> {
        let basis = self.basis(catalog, report)?;
        let form = basis.form.as_ref();
        let empty = SegmentStats::default();
        let stats_of = |name: &str| basis.aggregates.get(name).unwrap_or(&empty);
        let shown: Vec<(&str, &SegmentStats)> = basis
            .shown
            .iter()
            .map(|(_, name)| (name.as_str(), stats_of(name)))
            .collect();
        let carded: Vec<(&str, &SegmentStats)> = basis
            .cards()
            .map(|(_, name)| (name.as_str(), stats_of(name)))
            .collect();
        let total: i64 = shown.iter().map(|(_, s)| s.responses.max(0)).sum();
        let interviews = self.interviews_by_segment(catalog, report)?;
        let settings = &report.profiles;
        let mut cards = Vec::new();
        for (index, name) in basis.cards() {
            let mine = stats_of(name);
            let rest = compare::others(&shown, name);
            let n = mine.responses.max(0) as u64;
            let segment_interviews: Vec<SegmentInterview> = interviews
                .get(name)
                .map(|list| {
                    list.iter()
                        .map(|(interview, notes)| SegmentInterview { interview, notes })
                        .collect()
                })
                .unwrap_or_default();
            let evidence_index = self.store.segment_evidence(&report.id, name, card::JOBS)?;
            let themes = card::themes(mine, &report.codebook.names);
            let mut survey_texts = Vec::new();
            for theme in themes.iter().take(card::TOP) {
                let texts =
                    self.store
                        .segment_theme_texts(&report.id, name, &theme.name, card::QUOTES)?;
                survey_texts.push((theme.name.clone(), texts));
            }
            let quotes = signals::quotes(report, &segment_interviews, &themes, &survey_texts);
            let period = signals::period(&segment_interviews, &evidence_index);
            let stale = signals::is_stale(&period, settings.stale_after, now);
            // A card is never drawn for `No answer`: a contact segment's responses all have
            // their contact.
            let contacts = crate::contacts::segment_attribute(&report.segment_by).is_some();
            let evidence = signals::evidence(report, n, &segment_interviews, contacts, &mine.texts);
            let rhythm =
                signals::rhythm(&segment_interviews, settings.interviews_per_half_year, now);
            let warnings = signals::warnings(&signals::WarningInput {
                evidence: &evidence,
                quotes: quotes.len(),
                stale,
                stale_after: &settings.stale_after_text,
                period_to: period.to.as_deref(),
                rhythm: &rhythm,
            });
            let notes: CardNotes = self.notes.card_notes(&report.id, name)?;
            cards.push(Card {
                segment: name.clone(),
                index: u32::try_from(*index).unwrap_or(u32::MAX),
                label: notes.label.clone(),
                notes: notes.notes.clone(),
                n,
                share: if total > 0 {
                    100.0 * n as f64 / total as f64
                } else {
                    0.0
                },
                stale,
                loyalty: card::loyalty(form, mine),
                fields: card::fields(form, report, mine, &rest, &shown),
                distinctive: compare::distinctive(
                    form,
                    &report.segment_by,
                    name,
                    mine,
                    &rest,
                    &shown,
                    settings.alpha,
                ),
                jtbd: signals::jobs(&segment_interviews, &evidence_index),
                themes,
                quotes,
                period,
                evidence,
                rhythm,
                warnings,
                reviews: team::review_views(&notes),
                contradictions: team::contradictions(&notes.reviews),
                activations: team::activation_views(
                    &notes.activations,
                    &evidence_index.days,
                    pmf_question(form).is_some(),
                ),
            });
        }
        Ok(Profiles {
            report: report.id.clone(),
            title: report.title.clone(),
            alpha: settings.alpha,
            segment_by: report.segment_by.clone(),
            drafted_at: now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            similar_segments: compare::similar_segments(
                form,
                &report.segment_by,
                &carded,
                settings.alpha,
            ),
            icp: report
                .icp
                .as_ref()
                .map(|settings| icp::icp(report, settings, form, &carded)),
            cards,
        })
    }

    /// The cards for a summary: a summary still goes out without them when they cannot be
    /// drafted (a rebuild under way, a read failure, which is logged).
    pub fn draft_for_summary(&self, catalog: &Catalog, report: &ReportDef) -> Option<Profiles> {
        match self.draft(catalog, report, Utc::now()) {
            Ok(profiles) => Some(profiles),
            Err(ProfileError::Rebuilding { .. }) => None,
            Err(e) => {
                tracing::error!(report = %report.id, "profile cards for the summary: {e}");
                None
            }
        }
    }

    pub fn set_label(
        &self,
        catalog: &Catalog,
        report: &ReportDef,
        segment: &str,
        label: Option<&str>,
        notes: &str,
        now: DateTime<Utc>,
    ) -> Result<CardNotes, ProfileError> {
        let (label, notes) = team::check_label(label, notes).map_err(ProfileError::Invalid)?;
        self.card_segment(catalog, report, segment)?;
        Ok(self
            .notes
            .update_card_notes(&report.id, segment, &mut |record| {
                record.label = label.clone();
                record.notes = notes.clone();
                record.updated_at = Some(now);
            })?)
    }

    pub fn add_review(
        &self,
        catalog: &Catalog,
        report: &ReportDef,
        segment: &str,
        review: crate::store::Review,
    ) -> Result<crate::store::Review, ProfileError> {
        self.card_segment(catalog, report, segment)?;
        self.notes
            .update_card_notes(&report.id, segment, &mut |record| {
                if !record.reviews.iter().any(|r| r.id == review.id) {
                    record.reviews.push(review.clone());
                }
            })?;
        Ok(review)
    }

    pub fn add_activation(
        &self,
        catalog: &Catalog,
        report: &ReportDef,
        segment: &str,
        activation: crate::store::Activation,
    ) -> Result<crate::store::Activation, ProfileError> {
        self.card_segment(catalog, report, segment)?;
        self.notes
            .update_card_notes(&report.id, segment, &mut |record| {
                if !record.activations.iter().any(|a| a.id == activation.id) {
                    record.activations.push(activation.clone());
                }
            })?;
        Ok(activation)
    }

    /// Removes a review (`activation` false) or an activation by id.
    pub fn delete(
        &self,
        catalog: &Catalog,
        report: &ReportDef,
        segment: &str,
        id: &str,
        activation: bool,
    ) -> Result<(), ProfileError> {
        self.card_segment(catalog, report, segment)?;
        let mut found = false;
        self.notes
            .update_card_notes(&report.id, segment, &mut |record| {
                let before = record.reviews.len() + record.activations.len();
                if activation {
                    record.activations.retain(|a| a.id != id);
                } else {
                    record.reviews.retain(|r| r.id != id);
                }
                found = record.reviews.len() + record.activations.len() < before;
            })?;
        if found {
            Ok(())
        } else {
            let what = if activation { "activation" } else { "review" };
            Err(ProfileError::NotFound(format!(
                "the card of '{segment}' has no {what} '{id}'"
            )))
        }
    }
}
