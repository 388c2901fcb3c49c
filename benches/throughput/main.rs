//! The benchmark command: every figure of issue 13, each printed as a ratio to a baseline
//! measured in the same run, then a table of the targets.
//!
//! 1. `http`: over HTTP against `fieldnotes serve` (the release binary) on a fresh store:
//!    durable ingest at 1, 16, 64 and 256 connections (p50/p99) against `GET /healthz` at the
//!    same connections; `GET /api/forms/{id}` and the hosted page flow (every page's GET and
//!    POST, as a browser without JavaScript) against `GET /`; note-to-observer latency with
//!    50 observers. The load generator is this executable run again in load mode (`load`), a
//!    process of its own whose CPU is printed with the server's.
//! 2. `flush`: what one durable flush costs on this disk, `fdatasync` against
//!    `sync_file_range`.
//! 3. `sizes`: per store size (1,000, 10,000, 100,000 and 1,000,000 responses), bytes on disk
//!    against the CSV's, the offline export in every format against the csv crate writing
//!    the same rows from memory (rows/s, peak RSS), whether the export wrote to the store,
//!    report and profile-card latency against the smallest store's, the server's growth while
//!    it streams the CSV, and a full rebuild of the aggregates per million responses.
//!
//! Run: `cargo bench --bench throughput` (figures go in BENCHMARKS.md). `FIELDNOTES_BENCH`
//! picks parts (`http,flush,sizes`), `FIELDNOTES_BENCH_ROWS` the store sizes,
//! `FIELDNOTES_BENCH_SECONDS` the length of each load run (5). Without `--bench` (as
//! `cargo test` runs it) it is the quick mode: small sizes and short runs, checking only that
//! every part produced its figures.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod figures;
mod flush;
mod http_parts;
mod load;
mod observers;
mod offline;
mod page_flow;
#[allow(dead_code)] // The suite's helpers; the bench uses the store they pick.
#[path = "../../tests/common/postgres.rs"]
mod postgres;
mod sample;
mod server;
mod sizes;

/// Which parts to run: `FIELDNOTES_BENCH=http,flush,sizes` (all by default).
fn wanted(part: &str) -> bool {
    std::env::var("FIELDNOTES_BENCH")
        .map(|parts| parts.split(',').any(|p| p.trim() == part))
        .unwrap_or(true)
}

fn sizes(quick: bool) -> Vec<usize> {
    std::env::var("FIELDNOTES_BENCH_ROWS")
        .ok()
        .map(|rows| {
            rows.split(',')
                .filter_map(|r| r.trim().parse().ok())
                .collect()
        })
        .filter(|rows: &Vec<usize>| !rows.is_empty())
        .unwrap_or_else(|| match quick {
            true => vec![100, 1_000],
            false => vec![1_000, 10_000, 100_000, 1_000_000],
        })
}

fn main() {
    if let Ok(scenario) = std::env::var(load::MODE) {
        load::run_child(&scenario);
        return;
    }
    // `cargo bench` passes --bench; `cargo test` does not, and gets the quick mode.
    let quick = !std::env::args().any(|a| a == "--bench");
    let seconds = std::env::var("FIELDNOTES_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if quick { 0.3 } else { 5.0 });
    if quick {
        println!("quick mode (no --bench): small sizes and short runs; the figures mean nothing");
    }
    let mut figures = figures::Figures::default();
    if wanted("http") {
        let plan = http_parts::Plan {
            seconds,
            connections: match quick {
                true => vec![1, 16],
                false => vec![1, 16, 64, 256],
            },
            flow_connections: if quick { 4 } else { 64 },
            observers: if quick { 5 } else { 50 },
            notes: if quick { 5 } else { 200 },
        };
        http_parts::run(&plan, &mut figures);
    }
    if wanted("flush") {
        let scratch = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("scratch dir");
        flush::run(scratch.path(), if quick { 50 } else { 1000 });
    }
    if wanted("sizes") {
        sizes::run(&sizes(quick), seconds.min(2.0), &mut figures);
    }
    let recorded = figures.summary();
    if quick {
        let expected = [
            (wanted("http"), "ingest_1"),
            (wanted("http"), "flow_respondents"),
            (wanted("http"), "observer_p99_ms"),
            (wanted("sizes"), "export_csv_largest"),
            (wanted("sizes"), "report_ratio"),
            (wanted("sizes"), "serve_growth_mib_largest"),
        ];
        for (ran, name) in expected {
            assert!(!ran || figures.get(name).is_some(), "no figure {name}");
        }
        assert!(recorded > 0 || !(wanted("http") || wanted("sizes")));
    }
}
