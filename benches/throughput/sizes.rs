//! Per store size: the store filled through the library, then its bytes on disk against the
//! CSV's, the offline export in every format against the csv crate alone, report and
//! profile-card latency over HTTP against the smallest store's, the `serve` process's growth
//! while it streams the CSV, and a full rebuild of the report's aggregates.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use fieldnotes::analysis::rebuild;
use fieldnotes::app;
use fieldnotes::config::Config;
use fieldnotes::form::Answers;
use fieldnotes::responses;
use fieldnotes::store::{AggregateStore, SledStore, Store};

use crate::figures::Figures;
use crate::offline::{self, FORMATS};
use crate::sample::{self, FORM};
use crate::server::{self, Server, TOKEN};

fn config(data: &Path) -> Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Config {
        data_dir: data.to_path_buf(),
        forms_dir: root.join("forms"),
        reports_dir: root.join("reports"),
        ..Config::default()
    }
}

/// Fills a store directly through the domain, 64 writers at a time so flushes are shared,
/// keeping the shipped report's aggregates up to date as the server would.
fn fill_store(data: &Path, rows: usize) {
    let config = config(data);
    let (catalog, reports) = app::load_files(&config).expect("forms and reports");
    let (catalog, reports) = (Arc::new(catalog), Arc::new(reports));
    let store: Arc<dyn Store> = Arc::new(SledStore::open(&config.db_dir()).expect("store"));
    for stale in rebuild::stale_reports(store.as_ref(), &reports).expect("stale") {
        rebuild::rebuild(store.as_ref(), store.as_ref(), &catalog, &reports, stale)
            .expect("rebuild");
    }
    let writers = 64;
    std::thread::scope(|scope| {
        for writer in 0..writers {
            let (store, catalog, reports) = (store.clone(), catalog.clone(), reports.clone());
            scope.spawn(move || {
                for i in (writer..rows).step_by(writers) {
                    let answers: Answers =
                        serde_json::from_value(sample::answers(i)).expect("answers");
                    responses::submit(
                        store.as_ref(),
                        &catalog,
                        &reports,
                        FORM,
                        &answers,
                        &Default::default(),
                        Default::default(),
                    )
                    .expect("submit");
                }
            });
        }
    });
}

/// A full rebuild of the shipped report's aggregates from every stored response: the report
/// is given a new aggregate key, as an edit of its file would.
fn full_rebuild(data: &Path) -> f64 {
    let config = config(data);
    let (catalog, reports) = app::load_files(&config).expect("forms and reports");
    let store = SledStore::open(&config.db_dir()).expect("store");
    let mut report = (*reports.get(FORM).expect("the shipped report")).clone();
    report.aggregate_key.push_str("+bench");
    let marked = store
        .begin_rebuild(&report.id, &report.aggregate_key, &report.form)
        .expect("marked");
    assert!(marked, "a new key makes the report stale");
    let started = Instant::now();
    rebuild::rebuild(&store, &store, &catalog, &reports, &report).expect("rebuild");
    started.elapsed().as_secs_f64()
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn run(sizes: &[usize], seconds: f64, figures: &mut Figures) {
    println!("per store size, {FORM}:");
    let mut first_latency: Option<(f64, f64)> = None;
    let largest = sizes.iter().copied().max().unwrap_or(0);
    for &rows in sizes {
        let data = tempfile::tempdir().expect("temp dir");
        let db = config(data.path()).db_dir();
        let filled = Instant::now();
        fill_store(data.path(), rows);
        println!(
            "  {rows} responses [filled through the library in {:.0} s]",
            server::since(filled)
        );

        let disk = offline::disk_bytes(&db);
        let open = offline::export(data.path(), "icp-qualification", "csv");
        let before = offline::snapshot(&db);
        let exports: Vec<_> = FORMATS
            .iter()
            .map(|format| (*format, offline::export(data.path(), FORM, format)))
            .collect();
        let changed = offline::changed(&before, &offline::snapshot(&db));
        let csv = &exports[0].1;
        let (alone, alone_rows) = offline::csv_alone(&csv.out);
        assert_eq!(alone_rows, rows, "the CSV has a row per response");
        let alone_rate = rows as f64 / alone.as_secs_f64();
        println!(
            "    csv crate alone, writing the CSV's rows from memory: {alone_rate:>9.0} rows/s (baseline)"
        );
        for (format, export) in &exports {
            let rate = rows as f64 / export.elapsed.as_secs_f64();
            println!(
                "    export {format:<5} {rate:>9.0} rows/s ({:.3}x the baseline), peak RSS {:>6.1} MiB ({:+.1} MiB over opening the store), {:>7.1} MiB written",
                rate / alone_rate,
                mib(export.peak_kib),
                mib(export.peak_kib) - mib(open.peak_kib),
                export.bytes as f64 / 1048576.0,
            );
        }
        let export_rate = rows as f64 / csv.elapsed.as_secs_f64();
        let syncs = offline::syncs_of_export(data.path(), FORM)
            .map_or("strace not installed".to_string(), |n| n.to_string());
        println!(
            "    the offline exports changed {changed} files of the store; syncs in one CSV export: {syncs}"
        );
        let csv_per_row = csv.bytes as f64 / rows as f64;
        let disk_per_row = disk as f64 / rows as f64;
        println!(
            "    on disk {:.1} MiB, {disk_per_row:.0} bytes per response against {csv_per_row:.0} CSV bytes (baseline): {:.2}x",
            disk as f64 / 1048576.0,
            disk_per_row / csv_per_row
        );
        figures.record(&format!("export_csv_{rows}"), export_rate / alone_rate);
        figures.record("export_store_writes", changed as f64);
        if rows == largest {
            figures.record("export_csv_largest", export_rate / alone_rate);
            figures.record("export_peak_mib_largest", mib(csv.peak_kib));
            figures.record("disk_ratio_largest", disk_per_row / csv_per_row);
        }

        let serve = Server::start(data.path());
        let report = serve.load("get", 1, seconds, &["/api/reports/customer-profile", TOKEN]);
        let cards = serve.load(
            "get",
            1,
            seconds,
            &["/api/reports/customer-profile/profiles", TOKEN],
        );
        for (what, r) in [("report", &report), ("cards", &cards)] {
            assert_eq!(
                r["errors"].as_u64(),
                Some(0),
                "{what}: {}",
                r["first_error"]
            );
        }
        let (report_ms, cards_ms) = (
            report["p50_ms"].as_f64().unwrap_or(0.0),
            cards["p50_ms"].as_f64().unwrap_or(0.0),
        );
        let (base_report, base_cards) = *first_latency.get_or_insert((report_ms, cards_ms));
        println!(
            "    GET /api/reports/{FORM} p50 {report_ms:.3} ms ({:.2}x the smallest store's), its profile cards p50 {cards_ms:.3} ms ({:.2}x)",
            report_ms / base_report,
            cards_ms / base_cards
        );
        figures.record("report_ratio", report_ms / base_report);
        figures.record("cards_ratio", cards_ms / base_cards);

        // Twice: the first download also fills sled's page cache (bounded, 64 MiB in the
        // server) with the pages it reads; the second shows what streaming itself holds.
        for pass in ["first", "second"] {
            let idle = serve.rss_kib();
            let host = serve.host.clone();
            let download = std::thread::spawn(move || {
                let path = format!("/api/forms/{FORM}/responses.csv");
                server::run_load("get", &host, 1, 0.0, &[&path, TOKEN])
            });
            let peak = server::peak_rss_while(serve.pid(), || download.is_finished());
            let streamed = download.join().expect("the download");
            assert_eq!(
                streamed["errors"].as_u64(),
                Some(0),
                "{}",
                streamed["first_error"]
            );
            let growth = mib(peak.saturating_sub(idle));
            println!(
                "    serve streaming the CSV over HTTP ({:.1} MiB), {pass} time: resident {:.1} MiB before, grew by {growth:.1} MiB",
                streamed["bytes"].as_f64().unwrap_or(0.0) / 1048576.0,
                mib(idle)
            );
            if rows == largest && pass == "first" {
                figures.record("serve_growth_mib_largest", growth);
            }
        }
        drop(serve);

        let rebuilt = full_rebuild(data.path());
        println!(
            "    full rebuild of the report's aggregates: {rebuilt:.2} s, {:.0} s per million responses",
            rebuilt * 1e6 / rows as f64
        );
        figures.record(
            &format!("rebuild_per_million_{rows}"),
            rebuilt * 1e6 / rows as f64,
        );
    }
}
