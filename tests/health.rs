//! `GET /healthz` and `GET /api/health` never write on the request path (SPEC "Health"): a
//! flood of checks costs at most one small probe write a second.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use common::{TestServer, fixture_forms};

fn store_bytes(s: &TestServer) -> u64 {
    let db = s.data.path().join("db");
    std::fs::read_dir(&db)
        .expect("the store's directory")
        .filter_map(Result::ok)
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

#[tokio::test]
async fn a_flood_of_health_checks_writes_next_to_nothing() {
    let s = TestServer::start(&fixture_forms()).await;
    // The first check probes (nothing was written yet); it must succeed.
    for path in ["/healthz", "/api/health"] {
        let r = s.http.get(s.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.text().await.unwrap(), "ok");
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let before = store_bytes(&s);
    let started = std::time::Instant::now();
    let mut checks = Vec::new();
    for i in 0..2000 {
        let (http, url) = (
            s.http.clone(),
            s.url(if i % 2 == 0 {
                "/healthz"
            } else {
                "/api/health"
            }),
        );
        checks.push(tokio::spawn(async move {
            http.get(url).send().await.unwrap().status()
        }));
    }
    for check in checks {
        assert_eq!(check.await.unwrap(), 200);
    }
    let seconds = started.elapsed().as_secs_f64();
    let grown = store_bytes(&s) - before;
    // One write a check would grow the log by some 60 bytes each, 120 kB in all; a probe a
    // second leaves it at a few hundred bytes a second.
    let allowed = 1024.0 * (seconds.ceil() + 1.0);
    assert!(
        (grown as f64) < allowed,
        "2000 checks in {seconds:.2} s grew the store by {grown} bytes"
    );
    s.stop().await;
}
