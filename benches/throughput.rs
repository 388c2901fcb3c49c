//! Throughput benchmarks, each printed as a ratio against a baseline measured in the same run.
//!
//! 1. Durable submissions over HTTP: 1 client (baseline) against 32 concurrent clients. Every
//!    201 waits for its flush, so the ratio shows what the group-commit flusher buys.
//! 2. What a durable flush costs on this disk: `fdatasync` against `sync_file_range`.
//! 3. Per store size, 1,000 responses (baseline) against 100,000 and 1,000,000: the export in
//!    each format (CSV, JSON Lines, XLSX, SAV) with the real binary (rows per second, peak
//!    memory: flat means it barely moves while the rows grow a thousandfold; each format also
//!    against the CSV of the same store) and the report's figures from its aggregates (the
//!    same time at any size).
//!
//! Run: `cargo bench --bench throughput` (figures go in BENCHMARKS.md). `FIELDNOTES_BENCH`
//! and `FIELDNOTES_BENCH_ROWS` pick parts and sizes (see `main`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fieldnotes::analysis::{ReportOutcome, rebuild, report_figures};
use fieldnotes::app;
use fieldnotes::config::{Config, LimitsConfig, Secret};
use fieldnotes::form::Answers;
use fieldnotes::responses;
use fieldnotes::store::{SledStore, Store};
use serde_json::json;

const FORM: &str = "customer-profile";
/// The formats `fieldnotes export --format` writes, each measured at every size.
const FORMATS: [&str; 4] = ["csv", "jsonl", "xlsx", "sav"];

fn answers(i: usize) -> Answers {
    let sizes = [
        "Just me",
        "2–10",
        "11–50",
        "51–200",
        "201–1,000",
        "More than 1,000",
    ];
    let body = json!({
        "company_size": sizes[i % sizes.len()],
        "role": "Founder or owner",
        "decision_drivers": ["Price", "Trust in the company"],
        "nps": (i % 11) as i64,
        "nps_reason": if i % 11 <= 6 { json!(format!("Reason number {i}: setup took longer than we hoped.")) } else { json!(null) },
        "interview_opt_in": "No",
    });
    serde_json::from_value(body).expect("answers")
}

async fn submissions(base: &str, total: usize, clients: usize) -> f64 {
    let http = reqwest::Client::new();
    let url = format!("{base}/api/forms/{FORM}/responses");
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (http, url) = (http.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            for i in (client..total).step_by(clients) {
                let response = http
                    .post(&url)
                    .json(&json!({"answers": answers(i)}))
                    .send()
                    .await
                    .expect("request");
                assert_eq!(response.status(), 201);
            }
        }));
    }
    for task in tasks {
        task.await.expect("client");
    }
    total as f64 / started.elapsed().as_secs_f64()
}

async fn bench_submissions(forms: &Path) {
    let data = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: data.path().to_path_buf(),
        forms_dir: forms.to_path_buf(),
        reports_dir: reports_dir(),
        researcher_token: Some(Secret::new("bench")),
        // Every client here is one loopback address sending thousands a minute.
        limits: LimitsConfig {
            rate_limit: None,
            ..LimitsConfig::default()
        },
        ..Config::default()
    };
    let prepared = app::prepare(&config).expect("prepare");
    let listener = app::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    tokio::spawn(app::serve(prepared.state, listener, std::future::pending()));

    let serial = submissions(&base, 500, 1).await;
    let concurrent = submissions(&base, 4000, 32).await;
    println!("durable submissions over HTTP, {FORM}:");
    println!("  1 client (baseline):   {serial:>9.0} responses/s");
    println!(
        "  32 concurrent clients: {concurrent:>9.0} responses/s  ({:.1}x the baseline)",
        concurrent / serial
    );
}

/// Fills a store directly through the domain, 64 writers at a time so flushes are shared,
/// keeping the shipped report's aggregates up to date as the server would.
fn fill_store(data: &Path, forms: &Path, rows: usize) {
    let config = Config {
        data_dir: data.to_path_buf(),
        forms_dir: forms.to_path_buf(),
        reports_dir: reports_dir(),
        ..Config::default()
    };
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
                    responses::submit(
                        store.as_ref(),
                        &catalog,
                        &reports,
                        FORM,
                        &answers(i),
                        &Default::default(),
                        Default::default(),
                    )
                    .expect("submit");
                }
            });
        }
    });
}

/// Runs `fieldnotes export` and samples its peak resident memory (VmHWM) until it exits.
fn export_peak(data: &Path, forms: &Path, form: &str, format: &str) -> (Duration, u64, u64) {
    let out = data.join(format!("export.{format}"));
    let started = Instant::now();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fieldnotes"))
        .args(["export", form, "--format", format, "--out"])
        .arg(&out)
        .arg("--data")
        .arg(data)
        .arg("--forms")
        .arg(forms)
        .spawn()
        .expect("export runs");
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        let sampled = std::fs::read_to_string(&status_path)
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find(|l| l.starts_with("VmHWM:"))
                    .and_then(|l| l.split_whitespace().nth(1))
                    .and_then(|v| v.parse::<u64>().ok())
            });
        peak_kib = peak_kib.max(sampled.unwrap_or(0));
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "export failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    (elapsed, peak_kib, bytes)
}

/// Median time of `report_figures` over repeated calls: what `GET /api/reports/{id}` costs
/// beyond HTTP.
fn report_latency(data: &Path, forms: &Path) -> Duration {
    let config = Config {
        data_dir: data.to_path_buf(),
        forms_dir: forms.to_path_buf(),
        reports_dir: reports_dir(),
        ..Config::default()
    };
    let (catalog, reports) = app::load_files(&config).expect("forms and reports");
    let store = SledStore::open(&config.db_dir()).expect("store");
    let report = reports.get(FORM).expect("the shipped report");
    let mut times: Vec<Duration> = (0..101)
        .map(|_| {
            let started = Instant::now();
            let outcome = report_figures(&store, &catalog, &report).expect("figures");
            assert!(matches!(outcome, ReportOutcome::Ready(_)));
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn bench_sizes(forms: &Path, sizes: &[usize]) {
    println!(
        "per store size, {FORM} (export with `fieldnotes export --format F`, report from its aggregates):"
    );
    // Per format, the baseline's export peak; and the baseline's report time.
    let mut baseline_peaks: Vec<u64> = Vec::new();
    let mut baseline_latency: Option<Duration> = None;
    for &rows in sizes {
        let data = tempfile::tempdir().expect("temp dir");
        let fill_started = Instant::now();
        fill_store(data.path(), forms, rows);
        let fill = fill_started.elapsed();
        // The same command on a form with no responses, in the same store: what opening the
        // store costs, so the difference is what streaming the rows adds.
        let (_, open_kib, _) = export_peak(data.path(), forms, "icp-qualification", "csv");
        let latency = report_latency(data.path(), forms);
        let against = match baseline_latency {
            None => "(baseline)".to_string(),
            Some(base) => format!(
                "({:.2}x the baseline's)",
                latency.as_secs_f64() / base.as_secs_f64()
            ),
        };
        println!(
            "  {rows:>9} responses: report {:>7.3} ms {against}  [filled in {:.0}s]",
            latency.as_secs_f64() * 1000.0,
            fill.as_secs_f64()
        );
        baseline_latency.get_or_insert(latency);
        let mut csv: Option<(Duration, u64)> = None;
        for (i, format) in FORMATS.into_iter().enumerate() {
            let (elapsed, peak_kib, bytes) = export_peak(data.path(), forms, FORM, format);
            let rate = rows as f64 / elapsed.as_secs_f64();
            let against_csv = match csv {
                None => String::new(),
                Some((time, peak)) => format!(
                    "; {:.2}x the CSV's time, {:+.1} MiB over its peak",
                    elapsed.as_secs_f64() / time.as_secs_f64(),
                    (peak_kib as f64 - peak as f64) / 1024.0
                ),
            };
            csv.get_or_insert((elapsed, peak_kib));
            let against = match baseline_peaks.get(i) {
                None => "(baseline)".to_string(),
                Some(base) => format!(
                    "({:.2}x the baseline's peak memory)",
                    peak_kib as f64 / *base as f64
                ),
            };
            println!(
                "    {format:<5} export {rate:>8.0} rows/s, peak RSS {:>6.1} MiB ({:+.1} MiB over opening the store), {:>7.1} MiB written {against}{against_csv}",
                peak_kib as f64 / 1024.0,
                (peak_kib as f64 - open_kib as f64) / 1024.0,
                bytes as f64 / (1024.0 * 1024.0),
            );
            if baseline_peaks.len() == i {
                baseline_peaks.push(peak_kib);
            }
        }
    }
}

fn reports_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("reports")
}

/// What one durable flush costs on this disk: 1.4 KiB appended to a file (about one stored
/// response) and flushed, a thousand times, with `sync_file_range` (the page cache written
/// out: what sled's flush does, and what a 201 once waited for) as the baseline against
/// `fdatasync` (the data and the file's size on stable storage: what a 201 waits for now).
fn bench_flush(dir: &Path) {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let record = [b'x'; 1400];
    let rounds = 1000;
    let run = |name: &str, sync: &dyn Fn(&std::fs::File, i64)| {
        let mut file = std::fs::File::create(dir.join(name)).expect("scratch file");
        let started = Instant::now();
        for i in 0..rounds {
            file.write_all(&record).expect("append");
            sync(&file, i * record.len() as i64);
        }
        started.elapsed().as_secs_f64() * 1e6 / rounds as f64
    };
    let range = run("range", &|file, offset| {
        let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
            | libc::SYNC_FILE_RANGE_WRITE
            | libc::SYNC_FILE_RANGE_WAIT_AFTER;
        // SAFETY: the descriptor is open for the call's duration; the range is in the file.
        // No safe wrapper of sync_file_range exists (neither nix nor rustix has one).
        #[allow(unsafe_code)]
        let rc = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, 1400, flags) };
        assert_eq!(rc, 0, "sync_file_range");
    });
    let data = run("data", &|file, _| file.sync_data().expect("fdatasync"));
    println!("one flush of a 1.4 KiB append, {rounds} times:");
    println!("  sync_file_range (baseline): {range:>8.1} µs");
    println!(
        "  fdatasync:                  {data:>8.1} µs  ({:.1}x the baseline)",
        data / range
    );
}

/// Which parts to run: `FIELDNOTES_BENCH=submissions,flush,sizes` (all by default), and the
/// store sizes with `FIELDNOTES_BENCH_ROWS=1000,100000` (1,000, 100,000 and 1,000,000).
fn wanted(part: &str) -> bool {
    std::env::var("FIELDNOTES_BENCH")
        .map(|parts| parts.split(',').any(|p| p.trim() == part))
        .unwrap_or(true)
}

fn sizes() -> Vec<usize> {
    std::env::var("FIELDNOTES_BENCH_ROWS")
        .ok()
        .map(|rows| {
            rows.split(',')
                .filter_map(|r| r.trim().parse().ok())
                .collect()
        })
        .filter(|rows: &Vec<usize>| !rows.is_empty())
        .unwrap_or_else(|| vec![1_000, 100_000, 1_000_000])
}

fn main() {
    let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    if wanted("submissions") {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(bench_submissions(&forms));
    }
    if wanted("flush") {
        let scratch = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).expect("scratch dir");
        bench_flush(scratch.path());
    }
    if wanted("sizes") {
        bench_sizes(&forms, &sizes());
    }
}
