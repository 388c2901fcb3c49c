//! `GET /r/{id}/themes/{theme}`: every text that mentions a theme, keyword in context,
//! the matched words highlighted (the template escapes the text around and inside them).

use std::sync::Arc;

use askama::Template;
use poem::http::StatusCode;
use poem::web::{Data, Path};
use poem::{Request, Response, handler};

use super::{deny_unless_staff, message_page, render};
use crate::analysis::themes::drill::theme_texts;
use crate::analysis::{ReportOutcome, report_figures};
use crate::app::AppState;
use crate::auth::Role;

/// Texts longer than this are shown as windows around their matches.
const FULL_TEXT_BYTES: usize = 400;
const CONTEXT_BYTES: usize = 80;

pub struct TextView {
    /// (text, highlighted) pieces, in order.
    pub parts: Vec<(String, bool)>,
    pub source: String,
    pub kind: String,
    pub segment: String,
    pub origin: String,
}

#[derive(Template)]
#[template(path = "theme.html")]
struct ThemePage {
    report_id: String,
    report_title: String,
    theme: String,
    description: Option<String>,
    patterns: Vec<String>,
    texts: Vec<TextView>,
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn ceil_boundary(text: &str, mut at: usize) -> usize {
    at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at += 1;
    }
    at
}

/// The text cut into plain and highlighted pieces; long texts keep only the context of
/// their matches, with an ellipsis where something was left out.
pub fn keyword_in_context(text: &str, spans: &[(usize, usize)]) -> Vec<(String, bool)> {
    let spans: Vec<(usize, usize)> = spans
        .iter()
        .filter(|(a, b)| {
            a < b && *b <= text.len() && text.is_char_boundary(*a) && text.is_char_boundary(*b)
        })
        .copied()
        .collect();
    let windows: Vec<(usize, usize)> = if text.len() <= FULL_TEXT_BYTES || spans.is_empty() {
        vec![(0, text.len())]
    } else {
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (a, b) in &spans {
            let window = (
                floor_boundary(text, a.saturating_sub(CONTEXT_BYTES)),
                ceil_boundary(text, b + CONTEXT_BYTES),
            );
            match merged.last_mut() {
                Some(last) if window.0 <= last.1 => last.1 = last.1.max(window.1),
                _ => merged.push(window),
            }
        }
        merged
    };
    let mut parts = Vec::new();
    for (index, (from, to)) in windows.iter().enumerate() {
        if index > 0 || *from > 0 {
            parts.push(("… ".to_string(), false));
        }
        let mut at = *from;
        for (a, b) in spans.iter().filter(|(a, b)| *a >= *from && *b <= *to) {
            if *a > at {
                parts.push((text[at..*a].to_string(), false));
            }
            parts.push((text[*a..*b].to_string(), true));
            at = *b;
        }
        if at < *to {
            parts.push((text[at..*to].to_string(), false));
        }
    }
    if windows.last().is_some_and(|(_, to)| *to < text.len()) {
        parts.push((" …".to_string(), false));
    }
    parts
}

#[handler]
pub async fn show(
    state: Data<&Arc<AppState>>,
    req: &Request,
    Path((id, theme)): Path<(String, String)>,
) -> Response {
    if let Some(denied) = deny_unless_staff(&state, req, Role::Researcher) {
        return denied;
    }
    let Some(report) = state
        .reports
        .get(&id)
        .filter(|r| r.codebook.names.contains(&theme))
    else {
        return message_page(
            StatusCode::NOT_FOUND,
            "Theme not found",
            "This report has no such theme.",
        );
    };
    let state = state.0.clone();
    let outcome = super::blocking(move || {
        let figures = match report_figures(state.store.as_ref(), &state.catalog, &report)? {
            ReportOutcome::Ready(figures) => figures,
            ReportOutcome::Building { .. } => return Ok(None),
        };
        theme_texts(state.store.as_ref(), &report, &figures, &theme)
            .map(|t| Some((t, report.title.clone())))
    })
    .await;
    match outcome {
        Ok(Some((drill, report_title))) => {
            let page = ThemePage {
                report_id: drill.report,
                report_title,
                theme: drill.theme,
                description: drill.description,
                patterns: drill.patterns,
                texts: drill
                    .texts
                    .into_iter()
                    .map(|t| TextView {
                        parts: keyword_in_context(&t.text, &t.spans),
                        source: t.source,
                        kind: t.kind,
                        segment: t.segment,
                        origin: t.origin,
                    })
                    .collect(),
            };
            render(StatusCode::OK, &page)
        }
        Ok(None) => message_page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Rebuilding the report",
            "The report is being recomputed; try again in a moment.",
        ),
        Err(e) => {
            tracing::error!("theme drill-down failed: {e}");
            message_page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The texts could not be read; the error has been logged.",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::keyword_in_context;

    #[test]
    fn short_texts_are_whole_with_matches_marked() {
        let parts = keyword_in_context("The price <was> high", &[(4, 9)]);
        assert_eq!(
            parts,
            vec![
                ("The ".to_string(), false),
                ("price".to_string(), true),
                (" <was> high".to_string(), false)
            ]
        );
    }

    #[test]
    fn long_texts_keep_the_context_of_each_match() {
        let text = format!("{}price{}", "é".repeat(300), "x".repeat(300));
        let parts = keyword_in_context(&text, &[(600, 605)]);
        assert_eq!(parts.first().unwrap().0, "… ");
        assert!(parts.iter().any(|(t, marked)| *marked && t == "price"));
        assert_eq!(parts.last().unwrap().0, " …");
        let shown: usize = parts.iter().map(|(t, _)| t.len()).sum();
        assert!(shown < 200);
    }
}
