//! schemathesis (from PyPI, installed by `scripts/test`) fuzzes the real server from its own
//! OpenAPI document with every check it has (`--checks all`: no 5xx, responses as the
//! document says, auth really required, unsupported methods refused with `Allow`, bad data
//! refused, good data accepted, ...): once as a stranger, once with the researcher token.
//!
//! Each run is bounded to `FIELDNOTES_SCHEMATHESIS_SECONDS` (45 by default) so CI stays
//! quick; raise it for a longer hunt. The test fails, never skips, without schemathesis.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

mod common;

use std::process::Command;

use common::{RESEARCHER, ServerProcess, free_port, shipped_forms};

fn seconds() -> String {
    std::env::var("FIELDNOTES_SCHEMATHESIS_SECONDS").unwrap_or_else(|_| "45".into())
}

fn run(base: &str, token: Option<&str>) -> (bool, String) {
    let mut command = Command::new("schemathesis");
    command
        .arg("--config-file")
        .arg(common::repo_path("tests/schemathesis.toml"))
        .arg("run")
        .arg(format!("{base}/api/openapi.json"))
        .args(["--checks", "all"])
        .args(["--max-time", &seconds()])
        .args(["--request-timeout", "10"])
        .args(["--max-examples", "60"])
        .args(["--seed", "1"])
        .arg("--no-color")
        // The event stream stays open by design; a fuzzer would only wait on it.
        .args(["--exclude-path", "/interviews/{id}/events"])
        .current_dir(std::env::temp_dir());
    if let Some(token) = token {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let output = command.output().unwrap_or_else(|e| {
        panic!("cannot run schemathesis ({e}): `python3 -m pip install schemathesis`, or run scripts/test")
    });
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[test]
fn schemathesis_finds_nothing_as_a_stranger_or_as_a_researcher() {
    let data = tempfile::tempdir().expect("temp dir");
    let port = free_port();
    let server = ServerProcess::start(data.path(), &shipped_forms(), port);
    let mut failures = Vec::new();
    for (who, token) in [("a stranger", None), ("the researcher", Some(RESEARCHER))] {
        let (ok, output) = run(&server.base, token);
        if !ok {
            failures.push(format!("as {who}:\n{output}"));
        }
    }
    server.kill();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
