//! A full disk: the data directory is on a small tmpfs that a filler file and the
//! submissions fill. Writes must answer 507 `storage_full` (a page on the hosted survey),
//! reads and the CSV export keep working, every acknowledged response stays intact, and once
//! the filler is deleted writes succeed again in the same process, without a restart.
//!
//! Two ways to fill: slowly, where the store's free-space floor refuses writes before sled
//! ever meets the full disk; and to the last byte with no floor, where sled does meet ENOSPC
//! and the store must reopen it once space is back.
//!
//! Needs root, to mount the tmpfs; it fails, never skips, without it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{RESEARCHER, TestServer, fixture_forms, parse_csv, reports_for};
use serde_json::{Value, json};

const FORM: &str = "all-types";
const MIB: u64 = 1024 * 1024;

/// A tmpfs of `size_mib` on a fresh directory, unmounted when dropped (even after a failed
/// assertion); lazily, since the server may still be closing its files.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size_mib: u64) -> Tmpfs {
        let dir = tempfile::tempdir().unwrap();
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size_mib}m"), "tmpfs"])
            .arg(dir.path())
            .status();
        assert!(
            mounted.is_ok_and(|s| s.success()),
            "cannot mount a tmpfs at {}: the full-disk test needs root (mount -t tmpfs)",
            dir.path().display()
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn free(&self) -> u64 {
        let stats = rustix::fs::statvfs(self.path()).unwrap();
        stats.f_bavail * stats.f_frsize
    }

    /// Writes a file of about `bytes`, or until the filesystem is full.
    fn fill(&self, name: &str, bytes: u64) -> PathBuf {
        let path = self.path().join(name);
        let mut file = std::fs::File::create(&path).unwrap();
        let chunk = vec![0xA5u8; 64 * 1024];
        let mut written = 0;
        while written < bytes {
            match file.write_all(&chunk) {
                Ok(()) => written += chunk.len() as u64,
                Err(e) if e.kind() == std::io::ErrorKind::StorageFull => break,
                Err(e) => panic!("filling {}: {e}", path.display()),
            }
        }
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

async fn start(fs: &Tmpfs, min_free_bytes: u64) -> TestServer {
    let forms = fixture_forms();
    let data = tempfile::tempdir_in(fs.path()).unwrap();
    TestServer::start_configured(&forms, &reports_for(&forms), data, |config| {
        config.min_free_bytes = min_free_bytes;
    })
    .await
}

/// A response of a few KiB, numbered so that each one is told apart in the export.
fn submission(n: usize) -> Value {
    json!({"answers": {
        "team_size": "6-20",
        "nps": 9,
        "seats": n % 10_000 + 1,
        "comment": format!("response {n} {}", "x".repeat(4000)),
    }})
}

/// Submits until the first refusal; returns what was acknowledged (id -> number) and the
/// refusal.
async fn fill_with_submissions(s: &TestServer) -> (BTreeMap<String, usize>, reqwest::Response) {
    let mut acknowledged = BTreeMap::new();
    for n in 0..20_000 {
        let sent = s.submit(FORM, submission(n)).await;
        if sent.status() != 201 {
            return (acknowledged, sent);
        }
        let body: Value = sent.json().await.unwrap();
        acknowledged.insert(body["id"].as_str().unwrap().to_string(), n);
    }
    panic!("20,000 submissions and the disk never filled");
}

async fn assert_storage_full(refused: reqwest::Response) {
    assert_eq!(refused.status(), 507);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "storage_full", "{body}");
}

/// Every acknowledged response is in the CSV export, with its own answers.
async fn assert_all_there(s: &TestServer, acknowledged: &BTreeMap<String, usize>) -> usize {
    let csv = s
        .get_as(&format!("/api/forms/{FORM}/responses.csv"), RESEARCHER)
        .await;
    assert_eq!(csv.status(), 200);
    let (_, rows) = parse_csv(&csv.bytes().await.unwrap());
    let by_id: BTreeMap<&str, _> = rows
        .iter()
        .map(|row| (row["response_id"].as_str(), row))
        .collect();
    for (id, n) in acknowledged {
        let row = by_id
            .get(id.as_str())
            .unwrap_or_else(|| panic!("{id} is gone"));
        let comment = format!("response {n} {}", "x".repeat(4000));
        assert_eq!(row["comment"], comment, "{id}");
        assert_eq!(row["seats"], (n % 10_000 + 1).to_string(), "{id}");
    }
    rows.len()
}

/// The hosted survey, page after page with every answer, until it is refused or thanked.
async fn submit_hosted(s: &TestServer) -> (u16, String) {
    let url = s.url(&format!("/s/{FORM}"));
    let mut html = s.http.get(&url).send().await.unwrap().text().await.unwrap();
    let mut page = "0".to_string();
    for _ in 0..10 {
        let state_at = html.find("name=\"_state\" value=\"").expect("a page") + 21;
        let state = &html[state_at..state_at + html[state_at..].find('"').unwrap()];
        let state = state.replace("&quot;", "\"").replace("&#34;", "\"");
        let fields = [
            ("_state", state.as_str()),
            ("_page", page.as_str()),
            ("_action", "next"),
            ("q.team_size", "6-20"),
            ("q.nps", "9"),
        ];
        let sent = s.http.post(&url).form(&fields).send().await.unwrap();
        let status = sent.status().as_u16();
        html = sent.text().await.unwrap();
        if status != 200 || html.contains("Thank you") {
            return (status, html);
        }
        let at = html.find("name=\"_page\" value=\"").unwrap() + 20;
        page = html[at..at + html[at..].find('"').unwrap()].to_string();
    }
    panic!("the survey never ended");
}

#[tokio::test]
async fn a_filling_disk_refuses_writes_keeps_reads_and_recovers_when_space_is_freed() {
    let fs = Tmpfs::mount(48);
    let s = start(&fs, 4 * MIB).await;
    // Leave the store about 6 MiB above its floor.
    let filler = fs.fill("filler", fs.free().saturating_sub(10 * MIB));
    let (acknowledged, refused) = fill_with_submissions(&s).await;
    assert!(acknowledged.len() > 100, "{} got in", acknowledged.len());
    assert_storage_full(refused).await;

    let (status, html) = submit_hosted(&s).await;
    assert_eq!(status, 507, "{html}");
    assert!(html.contains("run out of room"), "{html}");
    assert!(html.contains("team_size"), "the answers stay with the page");

    // The floor keeps sled clear of the full disk; now take the last byte too.
    let top_up = fs.fill("top-up", u64::MAX);
    assert_eq!(
        assert_all_there(&s, &acknowledged).await,
        acknowledged.len()
    );
    let jsonl = s
        .get_as(&format!("/api/forms/{FORM}/responses.jsonl"), RESEARCHER)
        .await;
    assert_eq!(jsonl.status(), 200);
    assert_eq!(
        jsonl.text().await.unwrap().lines().count(),
        acknowledged.len()
    );
    // The XLSX is written whole in the data directory before it is sent: no room, 507.
    let xlsx = s
        .get_as(&format!("/api/forms/{FORM}/responses.xlsx"), RESEARCHER)
        .await;
    assert_storage_full(xlsx).await;
    let health = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(
        health.status(),
        503,
        "a store that takes no writes is not healthy"
    );

    std::fs::remove_file(top_up).unwrap();
    std::fs::remove_file(filler).unwrap();
    let sent = s.submit(FORM, submission(99_999)).await;
    assert_eq!(sent.status(), 201, "writes work again once space is freed");
    let (status, html) = submit_hosted(&s).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Thank you"));
    assert_eq!(
        assert_all_there(&s, &acknowledged).await,
        acknowledged.len() + 2
    );
    let xlsx = s
        .get_as(&format!("/api/forms/{FORM}/responses.xlsx"), RESEARCHER)
        .await;
    assert_eq!(xlsx.status(), 200);
    s.stop().await;
}

#[tokio::test]
async fn when_sled_itself_meets_the_full_disk_the_store_reopens_once_space_is_back() {
    let fs = Tmpfs::mount(32);
    // No floor: sled writes until the filesystem says ENOSPC.
    let s = start(&fs, 0).await;
    let filler = fs.fill("filler", fs.free().saturating_sub(6 * MIB));
    let (acknowledged, refused) = fill_with_submissions(&s).await;
    assert!(acknowledged.len() > 100, "{} got in", acknowledged.len());
    assert_storage_full(refused).await;
    // sled now refuses every write until it is reopened.
    assert_storage_full(s.submit(FORM, submission(1)).await).await;
    // sled may need to write to read (it splits and merges its nodes as it goes), so until
    // it is reopened a download may break midway: then as an error, never as a short file.
    let csv = s
        .get_as(&format!("/api/forms/{FORM}/responses.csv"), RESEARCHER)
        .await;
    assert_eq!(csv.status(), 200);
    match csv.bytes().await {
        Ok(bytes) => assert!(parse_csv(&bytes).1.len() >= acknowledged.len()),
        Err(e) => assert!(e.is_decode() || e.is_body(), "{e}"),
    }

    std::fs::remove_file(filler).unwrap();
    let started = Instant::now();
    let again = loop {
        let sent = s.submit(FORM, submission(99_999)).await;
        if sent.status() == 201 || started.elapsed() > Duration::from_secs(15) {
            break sent;
        }
        assert_storage_full(sent).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(again.status(), 201, "writes work again without a restart");
    // A refused write may or may not have reached the disk, whole: never half of one.
    let rows = assert_all_there(&s, &acknowledged).await;
    assert!(rows > acknowledged.len(), "{rows} rows");
    let health = s.http.get(s.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    s.stop().await;
}
