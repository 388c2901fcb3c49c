//! Theme matching throughput, against a baseline measured in the same run: splitting texts
//! into folded, stemmed words alone (the part every approach pays) against the full analysis
//! with the shipped customer-profile codebook (matching, plus uncoded terms for texts with no
//! theme).
//!
//! Run: `cargo bench --bench themes` (figures go in BENCHMARKS.md). Without `--bench` (as
//! `cargo test` runs it) it matches 2,000 texts, checking only that both passes ran.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::path::Path;
use std::time::Instant;

use fieldnotes::app;
use fieldnotes::config::Config;

/// Realistic open-ended answers, a third of them mentioning no theme.
fn corpus(texts: usize) -> Vec<String> {
    let templates = [
        "Honestly the price was the thing that almost stopped me, but the integrations with Salesforce won us over.",
        "We switched because the old tool was slow; now reporting takes minutes instead of hours every Monday.",
        "The onboarding call was great and the team answered every question within a day.",
        "Security review took three weeks, SOC 2 and GDPR questions mostly, then procurement signed off.",
        "It is easy to set up, intuitive, and our designers picked it up without any training at all.",
        "Nothing in particular, it just works for our small team and we like the people behind it.",
    ];
    (0..texts)
        .map(|i| format!("{} (#{i})", templates[i % templates.len()]))
        .collect()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test` does not, and gets the quick mode.
    let quick = !std::env::args().any(|a| a == "--bench");
    let count = if quick { 2_000 } else { 200_000 };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = Config {
        forms_dir: root.join("forms"),
        reports_dir: root.join("reports"),
        ..Config::default()
    };
    let (_, reports) = app::load_files(&config).expect("the shipped forms and reports");
    let report = reports.get("customer-profile").expect("the shipped report");
    let codebook = &report.codebook;
    let texts = corpus(count);
    let bytes: usize = texts.iter().map(String::len).sum();

    let started = Instant::now();
    let mut words = 0;
    for text in &texts {
        words += codebook.matcher.words(text).len();
    }
    let baseline = started.elapsed().as_secs_f64();

    let started = Instant::now();
    let (mut mentions, mut terms) = (0, 0);
    for text in &texts {
        let analysis = codebook.analyse(text);
        mentions += analysis.found.iter().map(|f| f.spans.len()).sum::<usize>();
        terms += analysis.uncoded_terms.len();
    }
    let full = started.elapsed().as_secs_f64();

    let mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "theme matching, {count} texts ({mib:.1} MiB, {words} words), {} themes:",
        codebook.names.len()
    );
    println!(
        "  words only (baseline): {:>9.0} texts/s, {:>6.1} MiB/s",
        count as f64 / baseline,
        mib / baseline
    );
    println!(
        "  full analysis:         {:>9.0} texts/s, {:>6.1} MiB/s  ({:.2}x the baseline's time; {mentions} mentions, {terms} uncoded terms)",
        count as f64 / full,
        mib / full,
        full / baseline
    );
    assert!(words > 0 && mentions > 0, "both passes ran");
}
