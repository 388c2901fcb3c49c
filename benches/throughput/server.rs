//! The processes of a measurement: `fieldnotes serve` (the release binary a user runs) on a
//! data directory, and the load generator (this executable in load mode), each with its CPU
//! and memory read from `/proc`.

use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::load;

/// The researcher token the bench's server is started with.
pub const TOKEN: &str = "bench-researcher-token";

pub struct Server {
    child: Child,
    /// `127.0.0.1:port`
    pub host: String,
}

impl Server {
    /// Starts `fieldnotes serve` on `data` (with the shipped forms and reports) on a free
    /// port, without the per-client submission budget (every load client is one address).
    /// With `FIELDNOTES_TEST_BACKEND=postgres` the store is a fresh database on the
    /// PostgreSQL that `FIELDNOTES_TEST_POSTGRES` names, as for the test suite.
    /// `FIELDNOTES_BENCH_SERVER` names another build of the binary to measure, so that a
    /// change can be measured against the build before it in one run.
    pub fn start(data: &Path) -> Server {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let binary = std::env::var_os("FIELDNOTES_BENCH_SERVER")
            .unwrap_or_else(|| env!("CARGO_BIN_EXE_fieldnotes").into());
        let mut command = Command::new(binary);
        command.args(["serve", "--addr", "127.0.0.1:0", "--data"]);
        command.arg(data);
        for (name, value) in crate::postgres::store_env(data) {
            command.env(name, value);
        }
        let mut child = command
            .arg("--forms")
            .arg(root.join("forms"))
            .arg("--reports")
            .arg(root.join("reports"))
            .env("FIELDNOTES_RESEARCHER_TOKEN", TOKEN)
            .env("FIELDNOTES_RATE_LIMIT", "off")
            .env("RUST_LOG", "info,poem=warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("fieldnotes serve starts");
        let stdout = child.stdout.take().expect("its output");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let marker = "listening on http://";
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if let Some(at) = line.find(marker) {
                    let host = line[at + marker.len()..].trim().to_string();
                    let _ = tx.send(host);
                }
            }
        });
        let host = rx
            .recv_timeout(Duration::from_secs(600))
            .expect("the server says where it listens");
        Server { child, host }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        status_kib(self.pid(), "VmRSS:")
    }

    pub fn cpu_seconds(&self) -> f64 {
        cpu_seconds(self.pid())
    }

    /// Runs the load generator against this server and returns its JSON line, with the
    /// server's CPU over the same time as `server_cpu_s`.
    pub fn load(&self, scenario: &str, connections: usize, seconds: f64, extra: &[&str]) -> Value {
        let before = self.cpu_seconds();
        let mut result = run_load(scenario, &self.host, connections, seconds, extra);
        result["server_cpu_s"] = (self.cpu_seconds() - before).into();
        result
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM, the stop the server handles, then wait so the store is closed.
        // SAFETY: kill only sends a signal to our own child.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGTERM)
        };
        let _ = self.child.wait();
    }
}

/// Runs this executable as the load generator and parses the line it prints.
pub fn run_load(
    scenario: &str,
    host: &str,
    connections: usize,
    seconds: f64,
    extra: &[&str],
) -> Value {
    let exe = std::env::current_exe().expect("this executable");
    let output = Command::new(exe)
        .env(load::MODE, scenario)
        .arg(host)
        .arg(connections.to_string())
        .arg(seconds.to_string())
        .args(extra)
        .stderr(Stdio::inherit())
        .output()
        .expect("the load generator runs");
    assert!(output.status.success(), "the load generator failed");
    let text = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(text.trim()).expect("the load generator's JSON line")
}

pub fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// User and system CPU of a process from `/proc/PID/stat`.
pub fn cpu_seconds(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // The command name is in parentheses and may hold spaces: count fields after it.
    let Some(after) = stat.rfind(')').map(|at| &stat[at + 1..]) else {
        return 0.0;
    };
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the name and state.
    // SAFETY: sysconf reads a constant.
    #[allow(unsafe_code)]
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    (ticks(11) + ticks(12)) / per_second
}

/// Samples `pid`'s resident memory every few milliseconds until `done` returns true;
/// returns the highest seen.
pub fn peak_rss_while(pid: u32, mut done: impl FnMut() -> bool) -> u64 {
    let mut peak = 0;
    loop {
        peak = peak.max(status_kib(pid, "VmRSS:"));
        if done() {
            return peak;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Seconds since `at`, for the "[took ...]" notes.
pub fn since(at: Instant) -> f64 {
    at.elapsed().as_secs_f64()
}
