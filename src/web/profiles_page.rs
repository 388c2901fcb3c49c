//! `GET /r/{id}/profiles`: the cards a team pins on a wall, one per printed page, every
//! sentence with its figure or its quote.

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};

use super::PageError;
use super::{deny_unless_staff, message_page, render};
use crate::app::AppState;
use crate::auth::Role;
use crate::profiles::compare::p_text;
use crate::profiles::markdown::entry_text;
use crate::profiles::{Card, ProfileError, Profiles};

pub struct FieldView {
    pub title: &'static str,
    pub lines: Vec<(String, String)>,
}

pub struct CardView {
    pub index: u32,
    pub title: String,
    pub segment: Option<String>,
    pub facts: Vec<String>,
    pub notes: String,
    pub fields: Vec<FieldView>,
    pub distinctive: Vec<String>,
    pub quotes: Vec<(String, String)>,
    pub jobs: Vec<String>,
    pub evidence: String,
    pub warnings: Vec<String>,
    pub reviews: Vec<String>,
    pub contradictions: Vec<String>,
    pub activations: Vec<String>,
    pub similar: Vec<String>,
}

#[derive(Template)]
#[template(path = "profiles.html")]
struct ProfilesPage {
    id: String,
    title: String,
    intro: String,
    cards: Vec<CardView>,
    similar: Vec<String>,
    icp: Option<IcpView>,
}

pub struct IcpView {
    pub outcome: String,
    pub rows: Vec<(String, String, bool)>,
    pub verdict: String,
    pub firmographics: Vec<(String, String)>,
}

fn field_title(tag: &str) -> &'static str {
    match tag {
        "goal" => "Goals",
        "pain" => "Pain points",
        "trigger" => "Triggers — why now",
        "driver" => "Decision drivers",
        "objection" => "Objections",
        "channel" => "Channels",
        "proof" => "Proof they need",
        _ => "Context",
    }
}

fn number(v: Option<f64>, digits: usize) -> String {
    v.map_or("—".into(), |v| format!("{v:.digits$}"))
}

fn share(v: Option<f64>) -> String {
    v.map_or("—".into(), |v| format!("{v:.1}%"))
}

fn card_view(c: &Card, all: &Profiles) -> CardView {
    let mut facts = vec![format!(
        "{} responses, {:.1}% of everyone shown in this report.",
        c.n, c.share
    )];
    if let (Some(from), Some(to)) = (&c.period.from, &c.period.to) {
        facts.push(format!(
            "Evidence from {} to {}{}.",
            &from[..10],
            &to[..10],
            if c.stale { " — stale" } else { "" }
        ));
    }
    if let (Some(nps), Some(ci)) = (c.loyalty.nps, &c.loyalty.nps_ci95) {
        facts.push(format!(
            "NPS {nps:.1} (95% CI {:.1} to {:.1}, n = {}).",
            ci[0],
            ci[1],
            c.loyalty.nps_n.unwrap_or(0)
        ));
    }
    if let Some(pmf) = &c.loyalty.pmf {
        facts.push(format!(
            "{:.1}% would be “{}” without the product (95% CI {:.1}–{:.1}%, n = {}).",
            pmf.percent, pmf.option, pmf.ci95[0], pmf.ci95[1], pmf.n
        ));
    }
    let fields = c
        .fields
        .all()
        .into_iter()
        .filter(|(_, entries)| !entries.is_empty())
        .map(|(tag, entries)| FieldView {
            title: field_title(tag),
            lines: entries
                .iter()
                .map(|e| (e.text.clone().unwrap_or_default(), entry_text(e)))
                .collect(),
        })
        .collect();
    let activations = c
        .activations
        .iter()
        .map(|a| {
            let p = |v: Option<f64>| v.map_or("no test".into(), p_text);
            format!(
                "{} ({}, from {}): before, {} responses, NPS {}, PMF {}; since, {} responses, NPS {}, PMF {} (promoters {}, PMF {}).",
                a.title,
                a.kind,
                a.started,
                a.before.n,
                number(a.before.nps, 1),
                share(a.before.pmf_percent),
                a.since.n,
                number(a.since.nps, 1),
                share(a.since.pmf_percent),
                p(a.p_value_promoters),
                p(a.p_value_pmf)
            )
        })
        .collect();
    CardView {
        index: c.index,
        title: c.title().to_string(),
        segment: c.label.as_ref().map(|_| c.segment.clone()),
        facts,
        notes: c.notes.clone(),
        fields,
        distinctive: c.distinctive.iter().map(|d| d.sentence.clone()).collect(),
        quotes: c
            .quotes
            .iter()
            .map(|q| {
                let about = q
                    .theme
                    .as_ref()
                    .map(|t| format!(", on {t}"))
                    .unwrap_or_default();
                (
                    q.text.clone(),
                    format!("{}{about}, {}", q.source, &q.at[..10]),
                )
            })
            .collect(),
        jobs: c
            .jtbd
            .iter()
            .map(|j| format!("When {}, I want to {}, so I can {}.", j.when, j.want, j.so))
            .collect(),
        evidence: format!(
            "Rests on {} responses, {} interviews and {} notes; {} interview{} in the last half year (rhythm: {}).",
            c.evidence.responses,
            c.evidence.interviews,
            c.evidence.notes,
            c.rhythm.interviews_last_half_year,
            if c.rhythm.interviews_last_half_year == 1 {
                ""
            } else {
                "s"
            },
            c.rhythm.target
        ),
        warnings: c.warnings.iter().map(|w| w.message.clone()).collect(),
        reviews: c
            .reviews
            .iter()
            .map(|r| {
                let comment = if r.comment.is_empty() {
                    String::new()
                } else {
                    format!(": “{}”", r.comment)
                };
                format!("{} {} on {}{comment}", r.team, r.verdict, r.field)
            })
            .collect(),
        contradictions: c
            .contradictions
            .iter()
            .map(|x| {
                format!(
                    "On {}, {} agree{} but {} disagree{}: that is the work.",
                    x.field,
                    x.agree.join(" and "),
                    if x.agree.len() == 1 { "s" } else { "" },
                    x.disagree.join(" and "),
                    if x.disagree.len() == 1 { "s" } else { "" }
                )
            })
            .collect(),
        activations,
        similar: all
            .similar_segments
            .iter()
            .filter(|s| s.segments.contains(&c.segment))
            .filter_map(|s| s.segments.iter().find(|o| **o != c.segment).cloned())
            .collect(),
    }
}

fn page(p: &Profiles) -> ProfilesPage {
    let icp = p.icp.as_ref().map(|icp| IcpView {
        outcome: format!("Success: {} to “{}”.", icp.success, icp.outcome),
        rows: icp
            .segments
            .iter()
            .map(|s| {
                (
                    s.segment.clone(),
                    format!(
                        "{:.1}% ({} of {}; 95% CI {:.1}–{:.1}%)",
                        s.percent, s.successes, s.n, s.ci95[0], s.ci95[1]
                    ),
                    icp.best.as_deref() == Some(&s.segment),
                )
            })
            .collect(),
        verdict: match (&icp.best, &icp.best_vs_rest) {
            (Some(best), Some(v)) => format!(
                "Best fit: {best}, {:.1}% against {:.1}% for the rest ({}).",
                v.percent,
                v.others_percent,
                v.p_value.map_or("no test possible".into(), p_text)
            ),
            (Some(best), None) => format!("Best fit: {best}, the only segment with answers."),
            _ => "No segment has answered the outcome question yet.".into(),
        },
        firmographics: icp
            .firmographics
            .iter()
            .map(|e| (e.text.clone().unwrap_or_default(), entry_text(e)))
            .collect(),
    });
    ProfilesPage {
        id: p.report.clone(),
        title: p.title.clone(),
        intro: format!(
            "One card per segment of {} with enough responses. Differences are tested at α = {} after the Holm correction; drafted {}.",
            p.segment_by,
            p.alpha,
            &p.drafted_at[..10]
        ),
        cards: p.cards.iter().map(|c| card_view(c, p)).collect(),
        similar: p
            .similar_segments
            .iter()
            .map(|s| {
                format!(
                    "{} and {}: no test tells them apart ({} tests, smallest {} after Holm) — one profile may serve both.",
                    s.segments[0],
                    s.segments[1],
                    s.tests,
                    p_text(s.min_p_adjusted)
                )
            })
            .collect(),
        icp,
    }
}

#[handler]
pub async fn show(state: Data<&Arc<AppState>>, req: &Request, Path(id): Path<String>) -> Response {
    if let Some(denied) = deny_unless_staff(&state, req, Role::Interviewer) {
        return denied;
    }
    let Some(report) = state.reports.get(&id) else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Report not found",
            "There is no report with this name.",
        );
    };
    let state = state.0.clone();
    let drafted = super::blocking(move || {
        state
            .profiles
            .draft(&state.catalog, &report, chrono::Utc::now())
    })
    .await;
    match drafted {
        Ok(profiles) => render(StatusCode::OK, &page(&profiles)),
        Err(PageError::Failed(ProfileError::Rebuilding { .. })) => message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The cards are being redrafted",
            "The report's figures are being rebuilt after a change to its files. Reload in a moment.",
        ),
        Err(e) => super::internal_error_page(&format!("profile cards of {id}"), &e),
    }
}
