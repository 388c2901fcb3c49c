//! The parts measured over HTTP against one `fieldnotes serve` on a fresh store: durable
//! ingest against `GET /healthz`, the form's JSON and the hosted page flow against `GET /`,
//! and note-to-observer latency. Every figure is a ratio to a baseline of the same server
//! in the same run; the load generator's CPU and the server's are printed beside it because
//! they share the machine's cores.

use serde_json::Value;

use crate::figures::Figures;
use crate::sample::FORM;
use crate::server::{Server, TOKEN};

pub struct Plan {
    pub seconds: f64,
    pub connections: Vec<usize>,
    pub flow_connections: usize,
    pub observers: usize,
    pub notes: usize,
}

fn rate(r: &Value) -> f64 {
    r["requests"].as_f64().unwrap_or(0.0) / r["elapsed_s"].as_f64().unwrap_or(1.0)
}

/// "load 0.41 CPU-s (41% of a core), server 1.62 CPU-s"
fn cpu(r: &Value) -> String {
    let load = r["cpu_s"].as_f64().unwrap_or(0.0);
    let elapsed = r["elapsed_s"].as_f64().unwrap_or(1.0);
    format!(
        "[load generator {load:.2} CPU-s ({:.0}% of a core), server {:.2} CPU-s]",
        100.0 * load / elapsed,
        r["server_cpu_s"].as_f64().unwrap_or(0.0)
    )
}

fn checked(what: &str, r: Value) -> Value {
    assert_eq!(
        r["errors"].as_u64(),
        Some(0),
        "{what}: {}",
        r["first_error"]
    );
    assert!(
        r["requests"].as_u64().unwrap_or(0) > 0,
        "{what}: no requests"
    );
    r
}

pub fn run(plan: &Plan, figures: &mut Figures) {
    let data = tempfile::tempdir().expect("temp dir");
    let server = Server::start(data.path());
    let seconds = plan.seconds;
    let store = match crate::postgres::suite_on_postgres() {
        true => "PostgreSQL database",
        false => "sled store",
    };
    println!(
        "over HTTP, one `fieldnotes serve` on a fresh {store}, {seconds} s per run, load generator in its own process:"
    );
    println!(
        "  durable ingest (POST /api/forms/{FORM}/responses; each 201 after its fsync) against GET /healthz:"
    );
    for &connections in &plan.connections {
        let health = checked(
            "healthz",
            server.load("get", connections, seconds, &["/healthz"]),
        );
        let ingest = checked("ingest", server.load("submit", connections, seconds, &[]));
        let (h, i) = (rate(&health), rate(&ingest));
        println!(
            "    {connections:>3} connections: GET /healthz {h:>7.0}/s (baseline) {}",
            cpu(&health)
        );
        println!(
            "                     ingest     {i:>7.0}/s, p50 {:>6.2} ms, p99 {:>6.2} ms: {:.3}x the baseline {}",
            ingest["p50_ms"].as_f64().unwrap_or(0.0),
            ingest["p99_ms"].as_f64().unwrap_or(0.0),
            i / h,
            cpu(&ingest)
        );
        figures.record(&format!("ingest_{connections}"), i / h);
    }

    let c = plan.flow_connections;
    let home = checked("GET /", server.load("get", c, seconds, &["/"]));
    let form_json = checked(
        "form JSON",
        server.load("get", c, seconds, &[&format!("/api/forms/{FORM}")]),
    );
    let flow = checked("page flow", server.load("flow", c, seconds, &[FORM]));
    let base = rate(&home);
    println!("  pages and documents against GET / of the same server, {c} connections:");
    println!(
        "    GET /                         {base:>7.0}/s (baseline) {}",
        cpu(&home)
    );
    let forms_rate = rate(&form_json);
    println!(
        "    GET /api/forms/{FORM} {forms_rate:>7.0}/s, p50 {:.2} ms: {:.3}x the baseline {}",
        form_json["p50_ms"].as_f64().unwrap_or(0.0),
        forms_rate / base,
        cpu(&form_json)
    );
    let requests = rate(&flow);
    let respondents =
        flow["respondents"].as_f64().unwrap_or(0.0) / flow["elapsed_s"].as_f64().unwrap_or(1.0);
    assert!(respondents > 0.0, "no respondent finished the page flow");
    println!(
        "    hosted page flow              {requests:>7.0} requests/s ({:.1} per respondent), {respondents:.0} respondents/s, p50 {:.2} ms, p99 {:.2} ms: requests {:.3}x the baseline, {:.4} respondents/s per GET / per s {}",
        requests / respondents,
        flow["p50_ms"].as_f64().unwrap_or(0.0),
        flow["p99_ms"].as_f64().unwrap_or(0.0),
        requests / base,
        respondents / base,
        cpu(&flow)
    );
    figures.record("form_json", forms_rate / base);
    figures.record("flow_requests", requests / base);
    figures.record("flow_respondents", respondents / base);

    let notes = plan.notes.to_string();
    let observed = server.load("observers", plan.observers, 0.0, &[&notes, TOKEN]);
    assert_eq!(observed["missing"].as_u64(), Some(0), "{observed}");
    let p50 = observed["p50_ms"].as_f64().unwrap_or(0.0);
    let p99 = observed["p99_ms"].as_f64().unwrap_or(0.0);
    let save = observed["save_p50_ms"].as_f64().unwrap_or(0.0);
    println!(
        "  note to observer, {} observers, {} notes 20 ms apart: p50 {p50:.2} ms, p99 {p99:.2} ms, max {:.2} ms; the note's own save p50 {save:.2} ms (baseline): p99 {:.2}x it [load generator {:.2} CPU-s]",
        plan.observers,
        plan.notes,
        observed["max_ms"].as_f64().unwrap_or(0.0),
        p99 / save.max(0.001),
        observed["cpu_s"].as_f64().unwrap_or(0.0)
    );
    figures.record("observer_p99_ms", p99);
}
