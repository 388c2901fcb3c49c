//! The run's headline ratios, collected as the parts print them, then set against the
//! issue's targets in one table at the end. The quick mode checks that every part it ran
//! recorded its figures (that it ran), never what they are.

use std::collections::BTreeMap;

#[derive(Default)]
pub struct Figures {
    values: BTreeMap<String, f64>,
}

/// (figure, what it is, the target, whether higher is better)
const TARGETS: &[(&str, &str, f64, bool)] = &[
    (
        "ingest_64",
        "durable ingest at 64 connections / GET /healthz",
        0.4,
        true,
    ),
    (
        "flow_requests",
        "page-flow requests / GET / requests",
        0.5,
        true,
    ),
    (
        "flow_respondents",
        "page-flow respondents/s per GET / per s",
        0.06,
        true,
    ),
    (
        "export_csv_largest",
        "CSV export rows/s / csv crate alone, largest store",
        0.5,
        true,
    ),
    (
        "export_peak_mib_largest",
        "CSV export peak RSS (MiB), largest store",
        64.0,
        false,
    ),
    (
        "serve_growth_mib_largest",
        "serve's growth streaming the CSV (MiB), largest store",
        16.0,
        false,
    ),
    (
        "export_store_writes",
        "files of the store an offline export changed",
        0.0,
        false,
    ),
    (
        "report_ratio",
        "report latency, largest / smallest store",
        2.0,
        false,
    ),
    (
        "cards_ratio",
        "profile-card latency, largest / smallest store",
        2.0,
        false,
    ),
    (
        "disk_ratio_largest",
        "bytes on disk / CSV bytes per response, largest store",
        2.0,
        false,
    ),
    (
        "observer_p99_ms",
        "note-to-observer p99 (ms), 50 observers",
        50.0,
        false,
    ),
];

impl Figures {
    pub fn record(&mut self, name: &str, value: f64) {
        assert!(value.is_finite(), "{name} is not a number: {value}");
        self.values.insert(name.to_string(), value);
    }

    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.get(name).copied()
    }

    /// Prints each target with the run's figure; returns the figures recorded.
    pub fn summary(&self) -> usize {
        println!("targets (issue 13), this run:");
        for (name, what, target, higher) in TARGETS {
            let Some(value) = self.get(name) else {
                continue;
            };
            let met = match higher {
                true => value >= *target,
                false => value <= *target,
            };
            let sign = if *higher { ">=" } else { "<=" };
            println!(
                "  {what:<58} {value:>9.3} (target {sign} {target}): {}",
                if met { "met" } else { "NOT met" }
            );
        }
        self.values.len()
    }
}
