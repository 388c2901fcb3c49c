//! The cards as Markdown, for a wiki: the same figures as the JSON, in sentences.

use std::fmt::Write;

use super::compare::p_text;
use super::model::{Card, FieldEntry, Profiles};

fn pct(v: f64) -> String {
    format!("{v:.1}%")
}

/// Markdown's special characters in text from people (answers, labels) are escaped, so a
/// quote cannot turn into a heading, a link or raw HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '-' | '.'
            | '!' | '|' | '<' | '>' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One field line in words, with its figures: plain text, escaped by whoever shows it.
pub fn entry_text(e: &FieldEntry) -> String {
    if let (Some(option), Some(percent)) = (&e.option, e.percent) {
        let ci = e
            .ci95
            .as_ref()
            .map(|c| format!(" (95% CI {:.1}–{:.1})", c[0], c[1]))
            .unwrap_or_default();
        let others = e
            .others_percent
            .map(|o| format!(", other segments {}", pct(o)))
            .unwrap_or_default();
        format!("{option}: {}{ci}{others}", pct(percent))
    } else if let (Some(theme), Some(responses)) = (&e.theme, e.responses) {
        format!("theme {theme}: {responses} of {} answers", e.n.unwrap_or(0))
    } else if let Some(mean) = e.mean {
        let others = e
            .others_mean
            .map(|o| format!(", other segments {o:.2}"))
            .unwrap_or_default();
        format!("mean {mean:.2}{others}")
    } else {
        String::new()
    }
}

fn card(out: &mut String, c: &Card) -> std::fmt::Result {
    writeln!(out, "## {}", escape(c.title()))?;
    writeln!(out)?;
    if c.label.is_some() {
        writeln!(out, "Segment: {}", escape(&c.segment))?;
        writeln!(out)?;
    }
    writeln!(out, "- Responses: {} ({} of all shown)", c.n, pct(c.share))?;
    if let (Some(from), Some(to)) = (&c.period.from, &c.period.to) {
        writeln!(out, "- Period: {} to {}", &from[..10], &to[..10])?;
    }
    if let (Some(nps), Some(ci)) = (c.loyalty.nps, &c.loyalty.nps_ci95) {
        writeln!(out, "- NPS: {nps:.1} (95% CI {:.1} to {:.1})", ci[0], ci[1])?;
    }
    if let Some(pmf) = &c.loyalty.pmf {
        writeln!(
            out,
            "- Product/market fit: {} would be very disappointed without it (95% CI {:.1}–{:.1})",
            pct(pmf.percent),
            pmf.ci95[0],
            pmf.ci95[1]
        )?;
    }
    if !c.notes.trim().is_empty() {
        writeln!(out)?;
        writeln!(out, "> {}", escape(&c.notes))?;
    }
    writeln!(out)?;
    for (tag, entries) in c.fields.all() {
        if entries.is_empty() {
            continue;
        }
        writeln!(out, "### {}", capitalised(tag))?;
        writeln!(out)?;
        for e in entries {
            let question = e.text.as_deref().unwrap_or(&e.question);
            writeln!(out, "- {} ({})", escape(&entry_text(e)), escape(question))?;
        }
        writeln!(out)?;
    }
    if !c.distinctive.is_empty() {
        writeln!(out, "### What sets them apart")?;
        writeln!(out)?;
        for d in &c.distinctive {
            writeln!(
                out,
                "- {}: {} against {} ({} after Holm)",
                escape(&d.option),
                pct(d.percent),
                pct(d.others_percent),
                p_text(d.p_adjusted)
            )?;
        }
        writeln!(out)?;
    }
    if !c.quotes.is_empty() {
        writeln!(out, "### In their words")?;
        writeln!(out)?;
        for q in &c.quotes {
            writeln!(out, "> “{}” ({})", escape(&q.text), q.source)?;
            writeln!(out)?;
        }
    }
    if !c.jtbd.is_empty() {
        writeln!(out, "### Jobs to be done")?;
        writeln!(out)?;
        for j in &c.jtbd {
            writeln!(
                out,
                "- When {}, I want to {}, so I can {}.",
                escape(&j.when),
                escape(&j.want),
                escape(&j.so)
            )?;
        }
        writeln!(out)?;
    }
    if !c.activations.is_empty() {
        writeln!(out, "### Activations")?;
        writeln!(out)?;
        for a in &c.activations {
            writeln!(
                out,
                "- {} ({}, since {}): {} responses before, {} since",
                escape(&a.title),
                a.kind,
                a.started,
                a.before.n,
                a.since.n
            )?;
        }
        writeln!(out)?;
    }
    if !c.warnings.is_empty() {
        writeln!(out, "### Warnings")?;
        writeln!(out)?;
        for w in &c.warnings {
            writeln!(out, "- {}", escape(&w.message))?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn capitalised(tag: &str) -> String {
    let mut chars = tag.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

pub fn render(p: &Profiles) -> String {
    let mut out = String::new();
    let _ = write_all(&mut out, p);
    out
}

fn write_all(out: &mut String, p: &Profiles) -> std::fmt::Result {
    writeln!(out, "# {} — profile cards", escape(&p.title))?;
    writeln!(out)?;
    writeln!(
        out,
        "Segmented by {}; drafted {}; differences tested at α = {} after Holm.",
        escape(&p.segment_by),
        &p.drafted_at[..10],
        p.alpha
    )?;
    writeln!(out)?;
    for c in &p.cards {
        card(out, c)?;
    }
    if !p.similar_segments.is_empty() {
        writeln!(out, "## Segments one profile may serve")?;
        writeln!(out)?;
        for s in &p.similar_segments {
            writeln!(
                out,
                "- {} and {}: no test tells them apart ({} tests, smallest {} after Holm)",
                escape(&s.segments[0]),
                escape(&s.segments[1]),
                s.tests,
                p_text(s.min_p_adjusted)
            )?;
        }
        writeln!(out)?;
    }
    if let Some(icp) = &p.icp {
        writeln!(out, "## Ideal customer profile")?;
        writeln!(out)?;
        writeln!(
            out,
            "Success: {} to {}.",
            escape(&icp.success),
            escape(&icp.outcome)
        )?;
        writeln!(out)?;
        for s in &icp.segments {
            writeln!(
                out,
                "- {}: {} of {} ({}, 95% CI {:.1}–{:.1})",
                escape(&s.segment),
                s.successes,
                s.n,
                pct(s.percent),
                s.ci95[0],
                s.ci95[1]
            )?;
        }
        writeln!(out)?;
        if let Some(best) = &icp.best {
            writeln!(out, "Best fit: {}.", escape(best))?;
            writeln!(out)?;
        }
    }
    Ok(())
}
