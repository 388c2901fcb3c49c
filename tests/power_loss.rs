//! Power loss: a 201 means the write reached stable storage, so a power cut right after it
//! loses nothing.
//!
//! The data directory is on LazyFS (tests/lazyfs), a FUSE filesystem that keeps everything
//! written since the last fsync in memory and throws it away at a simulated crash. Each round
//! mounts it, runs the real `fieldnotes` binary on it, lets concurrent clients submit survey
//! responses, hosted survey pages (each kept as a partial response) and interview notes, cuts
//! the power (the filesystem drops what was not synced,
//! then the server is killed with SIGKILL), remounts and restarts on what reached the
//! backing directory, and looks for every acknowledged write. A SIGKILL alone cannot show
//! this: the kernel's page cache outlives the process, but not a power cut.
//!
//! Three rounds by default; `FIELDNOTES_POWER_LOSS_ROUNDS=50 cargo test --test power_loss`
//! runs more. The control test shows the filesystem does lose what a program did not sync,
//! so a server that acknowledged before its fsync would fail here.
//!
//! Needs FUSE: /dev/fuse, and root or Debian's fuse3 (fusermount3), which scripts/test and
//! .ci/run install.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;
mod lazyfs;

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::survey::token_of;
use common::{INTERVIEWER, RESEARCHER, ServerProcess, free_port, parse_csv, shipped_forms};
use lazyfs::{LazyFs, ORPHANS};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const FORM: &str = "customer-profile";
const RESPONSE_CLIENTS: usize = 6;
const NOTE_CLIENTS: usize = 2;
const PAGE_CLIENTS: usize = 1;
const LOAD: Duration = Duration::from_millis(1500);

/// Mounts LazyFS, or fails (never skips) saying what is missing.
fn mount(backing: &Path, mountpoint: &Path) -> LazyFs {
    const HOW: &str = "the power-loss test needs FUSE: the /dev/fuse device, and root or \
        Debian's fuse3 package (fusermount3), which scripts/test and .ci/run install";
    assert!(
        Path::new("/dev/fuse").exists(),
        "/dev/fuse does not exist (no FUSE module in this kernel or container?): {HOW}"
    );
    LazyFs::mount(backing, mountpoint).unwrap_or_else(|e| {
        panic!(
            "cannot mount LazyFS at {} over {}: {e}; {HOW}",
            mountpoint.display(),
            backing.display()
        )
    })
}

fn sync_dir(path: &Path) {
    File::open(path).unwrap().sync_all().unwrap();
}

#[test]
fn the_filesystem_loses_whatever_was_not_synced() {
    let backing = tempfile::tempdir().unwrap();
    let mountpoint = tempfile::tempdir().unwrap();
    let m = mountpoint.path();
    let fs = mount(backing.path(), m);

    // Synced with its name, then appended to without a sync: reads see the appended bytes.
    let mut appended = File::create(m.join("appended")).unwrap();
    appended.write_all(b"durable").unwrap();
    appended.sync_data().unwrap();
    sync_dir(m);
    appended.write_all(b" and then lost").unwrap();
    assert_eq!(
        std::fs::read(m.join("appended")).unwrap(),
        b"durable and then lost"
    );

    // Synced at 10,000 bytes, then truncated and rewritten without a sync.
    let long: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let truncated = File::create(m.join("truncated")).unwrap();
    (&truncated).write_all(&long).unwrap();
    truncated.sync_all().unwrap();
    sync_dir(m);
    truncated.set_len(10).unwrap();
    truncated.set_len(5000).unwrap();
    let read = std::fs::read(m.join("truncated")).unwrap();
    assert_eq!(read.len(), 5000);
    assert_eq!(&read[..10], &long[..10]);
    assert!(
        read[10..].iter().all(|b| *b == 0),
        "truncated bytes read as zeros"
    );

    // sync_file_range, as sled's flush ends in, with its name synced: the name survives, the
    // data does not. FUSE never sees sync_file_range: the bytes wait in LazyFS for an fsync.
    let mut ranged = File::create(m.join("ranged")).unwrap();
    ranged.write_all(b"only sync_file_range").unwrap();
    let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
        | libc::SYNC_FILE_RANGE_WRITE
        | libc::SYNC_FILE_RANGE_WAIT_AFTER;
    // SAFETY: a valid open descriptor; offset 0 and length 0 mean the whole file. No safe
    // wrapper of sync_file_range exists (neither nix nor rustix has one).
    #[allow(unsafe_code)]
    let synced = unsafe { libc::sync_file_range(ranged.as_raw_fd(), 0, 0, flags) };
    assert_eq!(synced, 0, "{}", std::io::Error::last_os_error());
    sync_dir(m);

    // Renamed and removed without a sync of the directory.
    std::fs::write(m.join("old-name"), b"renamed").unwrap();
    File::open(m.join("old-name")).unwrap().sync_all().unwrap();
    std::fs::write(m.join("removed"), b"still here").unwrap();
    File::open(m.join("removed")).unwrap().sync_all().unwrap();
    sync_dir(m);
    std::fs::rename(m.join("old-name"), m.join("new-name")).unwrap();
    std::fs::remove_file(m.join("removed")).unwrap();
    assert!(!m.join("old-name").exists() && !m.join("removed").exists());

    // Its data synced, its name never (the root is not synced again).
    let mut unnamed = File::create(m.join("unnamed")).unwrap();
    unnamed.write_all(b"data without a name").unwrap();
    unnamed.sync_all().unwrap();

    // A directory synced with its file, but its own name in the root never.
    std::fs::create_dir(m.join("sub")).unwrap();
    std::fs::write(m.join("sub/inside"), b"in a lost directory").unwrap();
    File::open(m.join("sub/inside"))
        .unwrap()
        .sync_all()
        .unwrap();
    sync_dir(&m.join("sub"));

    // Nothing unsynced has reached the backing directory yet.
    let b = backing.path();
    assert_eq!(std::fs::read(b.join("appended")).unwrap(), b"durable");
    assert!(!b.join("unnamed").exists() && !b.join("new-name").exists());
    assert_eq!(std::fs::read(b.join("ranged")).unwrap(), b"");

    drop((appended, truncated, unnamed, ranged));
    let dropped = fs.crash();
    assert!(
        dropped.dropped_bytes > 0 && dropped.dropped_dirs > 0,
        "{dropped:?}"
    );
    let error = std::fs::read_dir(m).map(|_| ()).unwrap_err();
    assert_eq!(
        error.raw_os_error(),
        Some(libc::EIO),
        "after the crash: {error}"
    );
    fs.unmount().unwrap();

    let fs = mount(b, m);
    assert_eq!(std::fs::read(m.join("appended")).unwrap(), b"durable");
    assert_eq!(std::fs::read(m.join("truncated")).unwrap(), long);
    assert!(!m.join("unnamed").exists(), "a name that was never synced");
    assert_eq!(
        std::fs::read(m.join("ranged")).unwrap(),
        b"",
        "sync_file_range"
    );
    assert_eq!(std::fs::read(m.join("old-name")).unwrap(), b"renamed");
    assert!(!m.join("new-name").exists(), "an unsynced rename");
    assert_eq!(std::fs::read(m.join("removed")).unwrap(), b"still here");
    assert!(
        !m.join("sub").exists(),
        "a directory whose name was never synced"
    );
    let names: BTreeSet<String> = std::fs::read_dir(m)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let expected = ["appended", "old-name", "ranged", "removed", "truncated"];
    assert_eq!(names, expected.iter().map(|s| s.to_string()).collect());
    let orphans = std::fs::read_dir(b.join(ORPHANS)).unwrap().count();
    assert_eq!(orphans, 0, "what no name reached is gone at the next mount");

    // What was synced, data and names, survives the next crash.
    std::fs::rename(m.join("old-name"), m.join("new-name")).unwrap();
    let mut kept = File::create(m.join("kept")).unwrap();
    kept.write_all(b"synced in time").unwrap();
    kept.sync_data().unwrap();
    sync_dir(m);
    drop(kept);
    fs.crash();
    fs.unmount().unwrap();
    let fs = mount(b, m);
    assert_eq!(std::fs::read(m.join("kept")).unwrap(), b"synced in time");
    assert_eq!(std::fs::read(m.join("new-name")).unwrap(), b"renamed");
    assert!(!m.join("old-name").exists());
    fs.unmount().unwrap();
}

fn answers(i: usize) -> Value {
    let sizes = ["Just me", "2–10", "11–50", "51–200", "201–1,000"];
    let nps = (i % 11) as i64;
    let mut answers = json!({
        "company_size": sizes[i % sizes.len()],
        "role": "Founder or owner",
        "decision_drivers": ["Price", "Trust in the company"],
        "nps": nps,
        "biggest_challenge": format!("Challenge number {i}: {}", "setup took long. ".repeat(i % 7)),
        "interview_opt_in": "No",
    });
    if nps <= 6 {
        answers["nps_reason"] = json!(format!("Reason {i}"));
    }
    answers
}

/// Submits responses until `stop`; returns the ids answered 201.
async fn respond(http: Client, base: String, client: usize, stop: Arc<AtomicBool>) -> Vec<String> {
    let url = format!("{base}/api/forms/{FORM}/responses");
    let mut acknowledged = Vec::new();
    for i in (client..).step_by(RESPONSE_CLIENTS) {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let sent = http
            .post(&url)
            .json(&json!({"answers": answers(i)}))
            .send()
            .await;
        let Ok(response) = sent else { continue };
        if response.status() == StatusCode::CREATED
            && let Ok(body) = response.json::<Value>().await
        {
            acknowledged.push(body["id"].as_str().expect("an id").to_string());
        }
    }
    acknowledged
}

/// Sends the hosted survey's first page until `stop`, each time as a new respondent; returns
/// the token of every page answered with the next one (and so kept as a partial response).
async fn keep_pages(http: Client, base: String, stop: Arc<AtomicBool>) -> Vec<String> {
    let url = format!("{base}/s/{FORM}");
    let fields = [
        ("_state", "{}"),
        ("_page", "0"),
        ("_action", "next"),
        ("q.company_size", "2–10"),
        ("q.role", "Founder or owner"),
    ];
    let mut kept = Vec::new();
    while !stop.load(Ordering::SeqCst) {
        let Ok(response) = http.post(&url).form(&fields).send().await else {
            continue;
        };
        if response.status() == StatusCode::OK
            && let Ok(page) = response.text().await
            && let Some(token) = token_of(&page)
        {
            kept.push(token);
        }
    }
    kept
}

/// Starts an interview and adds notes until `stop`; returns the interview's id (if its 201
/// came) and each acknowledged note's number and text.
async fn take_notes(
    http: Client,
    base: String,
    name: String,
    stop: Arc<AtomicBool>,
) -> Option<(String, BTreeMap<u64, String>)> {
    let started = http
        .post(format!("{base}/api/interviews"))
        .bearer_auth(INTERVIEWER)
        .json(&json!({
            "guide": "jtbd-switch",
            "participant": name,
            "attributes": {"role": "Founder or owner", "company_size": "11–50"}
        }))
        .send()
        .await
        .ok()?;
    // Not acknowledged (the power went first): nothing to look for.
    if started.status() != StatusCode::CREATED {
        return None;
    }
    let id = started.json::<Value>().await.ok()?["id"]
        .as_str()?
        .to_string();
    let mut notes = BTreeMap::new();
    for k in 0.. {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let text = format!("{name}, note {k}: it almost stopped me");
        let sent = http
            .post(format!("{base}/api/interviews/{id}/notes"))
            .bearer_auth(INTERVIEWER)
            .json(&json!({"text": text, "kind": "quote"}))
            .send()
            .await;
        let Ok(response) = sent else { continue };
        if response.status() == StatusCode::CREATED
            && let Ok(body) = response.json::<Value>().await
        {
            notes.insert(body["seq"].as_u64().expect("a seq"), text);
        }
    }
    Some((id, notes))
}

/// Everything acknowledged, by the round it was acknowledged in.
#[derive(Default)]
struct Acknowledged {
    responses: Vec<(usize, String)>,
    interviews: Vec<(usize, String, BTreeMap<u64, String>)>,
    /// The tokens of kept pages.
    pages: Vec<(usize, String)>,
}

/// What a round lost: responses, notes, kept pages.
type Lost = (usize, usize, usize);

/// The acknowledged responses, notes and pages of each round that the server no longer has.
async fn missing(http: &Client, base: &str, acked: &Acknowledged) -> BTreeMap<usize, Lost> {
    let csv = http
        .get(format!("{base}/api/forms/{FORM}/responses.csv"))
        .bearer_auth(RESEARCHER)
        .send()
        .await
        .expect("the export");
    assert_eq!(csv.status(), 200);
    let (_, rows) = parse_csv(&csv.bytes().await.unwrap());
    let stored: BTreeSet<String> = rows.into_iter().map(|r| r["response_id"].clone()).collect();
    let mut lost: BTreeMap<usize, Lost> = BTreeMap::new();
    for (round, id) in &acked.responses {
        if !stored.contains(id) {
            lost.entry(*round).or_default().0 += 1;
        }
    }
    for (round, id, notes) in &acked.interviews {
        let response = http
            .get(format!("{base}/api/interviews/{id}"))
            .bearer_auth(INTERVIEWER)
            .send()
            .await
            .expect("the interview");
        if response.status() == 404 {
            lost.entry(*round).or_default().1 += notes.len().max(1);
            continue;
        }
        assert_eq!(response.status(), 200);
        let interview: Value = response.json().await.unwrap();
        let kept: BTreeMap<u64, String> = interview["notes"]
            .as_array()
            .expect("notes")
            .iter()
            .map(|n| {
                (
                    n["seq"].as_u64().unwrap(),
                    n["text"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        for (seq, text) in notes {
            if kept.get(seq) != Some(text) {
                lost.entry(*round).or_default().1 += 1;
            }
        }
    }
    for (round, token) in &acked.pages {
        let resumed = http
            .get(format!("{base}/s/{FORM}/resume/{token}"))
            .send()
            .await
            .expect("the resume link");
        let page = resumed.text().await.unwrap_or_default();
        if !page.contains("Page 2 of") {
            lost.entry(*round).or_default().2 += 1;
        }
    }
    lost
}

fn rounds() -> usize {
    match std::env::var("FIELDNOTES_POWER_LOSS_ROUNDS") {
        Ok(n) => n
            .parse()
            .expect("FIELDNOTES_POWER_LOSS_ROUNDS is a number of rounds"),
        Err(_) => 3,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_acknowledged_write_is_lost_at_a_power_cut() {
    let backing = tempfile::tempdir().unwrap();
    let mountpoint = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let data = mountpoint.path();
    let forms = shipped_forms();
    let reports = common::reports_for(&forms);
    let mut fs = mount(backing.path(), data);
    let mut acked = Acknowledged::default();
    let mut report = Vec::new();
    let rounds = rounds();
    for round in 1..=rounds {
        let log = logs.path().join(format!("round-{round}.log"));
        let server =
            ServerProcess::start_with_env(data, &forms, &reports, free_port(), &[], Some(&log));
        // One client per round: the sockets of the last one died with its server.
        let http = Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        // Checked once more at the end, where the test fails: a loss shows in every round's
        // figures, not only in the first.
        let lost_before = missing(&http, &server.base, &acked).await;
        if !lost_before.is_empty() {
            eprintln!(
                "before round {round}: lost by round (responses, notes, pages): {lost_before:?}"
            );
        }

        let stop = Arc::new(AtomicBool::new(false));
        let responders: Vec<_> = (0..RESPONSE_CLIENTS)
            .map(|c| tokio::spawn(respond(http.clone(), server.base.clone(), c, stop.clone())))
            .collect();
        let note_takers: Vec<_> = (0..NOTE_CLIENTS)
            .map(|c| {
                let name = format!("P{round}-{c}");
                tokio::spawn(take_notes(
                    http.clone(),
                    server.base.clone(),
                    name,
                    stop.clone(),
                ))
            })
            .collect();
        let page_keepers: Vec<_> = (0..PAGE_CLIENTS)
            .map(|_| tokio::spawn(keep_pages(http.clone(), server.base.clone(), stop.clone())))
            .collect();
        tokio::time::sleep(LOAD).await;

        // The power cut, in the order a real one has: the disk loses what it was not told to
        // keep, and nothing more reaches it, before the process dies.
        let dropped = fs.crash();
        stop.store(true, Ordering::SeqCst);
        server.kill();
        let (mut responses, mut notes, mut interviews, mut pages) = (0, 0, 0, 0);
        for task in responders {
            for id in task.await.unwrap() {
                acked.responses.push((round, id));
                responses += 1;
            }
        }
        for task in note_takers {
            if let Some((id, taken)) = task.await.unwrap() {
                notes += taken.len();
                interviews += 1;
                acked.interviews.push((round, id, taken));
            }
        }
        for task in page_keepers {
            for token in task.await.unwrap() {
                acked.pages.push((round, token));
                pages += 1;
            }
        }
        fs.unmount().expect("unmount after the crash");
        fs = mount(backing.path(), data);
        report.push(format!(
            "round {round}: {responses} responses, {pages} pages and {notes} notes in \
             {interviews} interviews acknowledged; the cut dropped {} KiB of unsynced pages in {} files and {} \
             unsynced directories ({} file and {} directory syncs before it)",
            dropped.dropped_bytes / 1024,
            dropped.dropped_files,
            dropped.dropped_dirs,
            dropped.file_syncs,
            dropped.dir_syncs,
        ));
    }

    let log = logs.path().join("after.log");
    let server =
        ServerProcess::start_with_env(data, &forms, &reports, free_port(), &[], Some(&log));
    let http = Client::builder().pool_max_idle_per_host(0).build().unwrap();
    let lost = missing(&http, &server.base, &acked).await;
    server.kill();
    fs.unmount().unwrap();
    let notes: usize = acked.interviews.iter().map(|(_, _, n)| n.len()).sum();
    for line in &report {
        let round: usize = line["round ".len()..]
            .split(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let (r, n, p) = lost.get(&round).copied().unwrap_or_default();
        eprintln!("{line}; lost after restart: {r} responses, {n} notes, {p} pages");
    }
    eprintln!(
        "{rounds} power cuts: {} responses, {} pages and {notes} notes acknowledged in all",
        acked.responses.len(),
        acked.pages.len()
    );
    assert!(
        !acked.responses.is_empty() && notes > 0 && !acked.pages.is_empty(),
        "the load ran"
    );
    assert!(
        lost.is_empty(),
        "acknowledged writes lost at a power cut, by round (responses, notes, pages): {lost:?}"
    );
}
