//! The contacts import's peak memory and rate: a CRM export of 10,000, 100,000 and 1,000,000
//! rows (key, email, plan, revenue band, industry, churned) imported into a fresh store as the
//! server opens it, the process's peak resident set (VmHWM, reset before each import through
//! /proc/self/clear_refs) read after each. Constant memory means the peak stops growing with
//! the rows: the file is streamed and each row staged in the store, never held, so what grows
//! is sled's page cache, up to its bound (64 MiB for the server).
//!
//! Run: `cargo bench --bench contacts_import` (figures go in BENCHMARKS.md).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::io::{BufWriter, Write};
use std::time::Instant;

use fieldnotes::contacts::{ImportOptions, import};
use fieldnotes::report::Reports;
use fieldnotes::store::SledStore;

fn write_export(path: &std::path::Path, rows: usize) {
    let file = std::fs::File::create(path).expect("the export file");
    let mut out = BufWriter::new(file);
    writeln!(out, "customer_id,email,plan,revenue_band,industry,churned").expect("write");
    let plans = ["Free", "Pro", "Team", "Enterprise"];
    let bands = ["<10k", "10k-100k", "100k-1M", ">1M"];
    let industries = ["Retail", "Health", "Finance", "Software", "Education"];
    for i in 0..rows {
        writeln!(
            out,
            "cust-{i:08},person{i}@example.com,{},{},{},{}",
            plans[i % 4],
            bands[(i / 4) % 4],
            industries[i % 5],
            i % 9 == 0
        )
        .expect("write");
    }
    out.flush().expect("flush");
}

/// (current, peak) resident set in KiB, from /proc/self/status.
fn resident() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn reset_peak() {
    // "5" resets the peak resident set to the current one (Linux 4.0 and later).
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("cannot reset VmHWM; the peaks below include earlier work");
    }
}

fn main() {
    let scratch = tempfile::tempdir().expect("a scratch directory");
    for rows in [10_000, 100_000, 1_000_000] {
        let file = scratch.path().join(format!("crm-{rows}.csv"));
        write_export(&file, rows);
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        let data = scratch.path().join(format!("db-{rows}"));
        let store = SledStore::open(&data).expect("the store opens");
        let reports = Reports::default();
        let (before, _) = resident();
        reset_peak();
        let started = Instant::now();
        let input = std::io::BufReader::new(std::fs::File::open(&file).expect("open"));
        let counts = import(&store, &store, &reports, input, &ImportOptions::default())
            .expect("the import succeeds");
        let took = started.elapsed().as_secs_f64();
        let (_, peak) = resident();
        assert_eq!(counts.created, rows as u64);
        println!(
            "{rows:>7} rows ({:.1} MiB): {took:.2} s, {:.0} rows/s; resident before {:.1} MiB, peak during {:.1} MiB (+{:.1} MiB)",
            size as f64 / 1048576.0,
            rows as f64 / took,
            before as f64 / 1024.0,
            peak as f64 / 1024.0,
            peak.saturating_sub(before) as f64 / 1024.0,
        );
        drop(store);
    }
}
