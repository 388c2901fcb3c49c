//! Starts the real application on a random loopback port with a temporary data directory,
//! through the same `prepare` and `serve` that `fieldnotes serve` uses.
#![allow(dead_code)]

pub mod backup;
pub mod chrome;
pub mod interviews;
pub mod postgres;
pub mod profiles;
pub mod smtp;
pub mod survey;
pub mod webhooks;
pub mod xlsx;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fieldnotes::app;
use fieldnotes::config::{Config, MailConfig, Secret};
use tokio::sync::oneshot;

pub const RESEARCHER: &str = "researcher-test-token";
pub const INTERVIEWER: &str = "interviewer-test-token";

/// Logs in through the login page as a browser would; returns the `name=value` cookie pair.
pub async fn login_cookie(base: &str, token: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client
        .post(format!("{base}/login"))
        .form(&[("token", token), ("next", "/")])
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 303, "logging in");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .expect("a cookie")
        .to_string();
    cookie.split(';').next().unwrap_or_default().to_string()
}

/// A CSV parsed back with the csv crate: its header and each row as header -> cell.
pub fn parse_csv(bytes: &[u8]) -> (Vec<String>, Vec<std::collections::HashMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let headers: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_string)
        .collect();
    let rows = reader
        .records()
        .map(|r| {
            let record = r.expect("a CSV record");
            headers
                .iter()
                .cloned()
                .zip(record.iter().map(str::to_string))
                .collect()
        })
        .collect();
    (headers, rows)
}

pub fn repo_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

pub fn fixture_forms() -> PathBuf {
    repo_path("tests/fixtures/forms")
}

pub fn shipped_forms() -> PathBuf {
    repo_path("forms")
}

/// The shipped reports go with the shipped forms; fixture forms get none.
pub fn reports_for(forms: &Path) -> PathBuf {
    if forms == shipped_forms() {
        repo_path("reports")
    } else {
        repo_path("tests/fixtures/no-reports")
    }
}

pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    pub data: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    pub async fn start(forms: &Path) -> TestServer {
        Self::start_with(forms, &reports_for(forms), MailConfig::default()).await
    }

    /// With a reports directory and mail settings of the test's choosing.
    pub async fn start_with(forms: &Path, reports: &Path, mail: MailConfig) -> TestServer {
        let data = tempfile::tempdir().expect("temp dir");
        Self::start_configured(forms, reports, data, |config| config.mail = mail).await
    }

    /// In a data directory of the test's choosing, with the settings `configure` makes. The
    /// rate limit is off unless it is turned on there: tests submit faster than people.
    pub async fn start_configured(
        forms: &Path,
        reports: &Path,
        data: tempfile::TempDir,
        configure: impl FnOnce(&mut Config),
    ) -> TestServer {
        let mut config = Config {
            addr: "127.0.0.1:0".into(),
            data_dir: data.path().to_path_buf(),
            forms_dir: forms.to_path_buf(),
            reports_dir: reports.to_path_buf(),
            researcher_token: Some(Secret::new(RESEARCHER)),
            interviewer_token: Some(Secret::new(INTERVIEWER)),
            ..Config::default()
        };
        config.limits.rate_limit = None;
        config.store = postgres::store_for(data.path());
        configure(&mut config);
        let prepared = app::prepare(&config).expect("app prepares");
        let (stop, stopped) = oneshot::channel::<()>();
        let (bound, listening) = oneshot::channel::<SocketAddr>();
        // Bound inside the task: a listener belongs to the runtime that made it.
        let serving = async move {
            let listener = app::bind("127.0.0.1:0").await.expect("bind");
            let _ = bound.send(listener.local_addr().expect("local addr"));
            let shutdown = async {
                let _ = stopped.await;
            };
            app::serve(prepared.state, listener, shutdown)
                .await
                .expect("server runs");
        };
        // On PostgreSQL the server gets a multi-thread runtime of its own, as `serve` has:
        // the backend waits on its queries there, which a test's single-thread runtime
        // refuses.
        let runtime = postgres::suite_on_postgres().then(|| {
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("the server's runtime starts")
        });
        let task = match &runtime {
            Some(runtime) => runtime.spawn(serving),
            None => tokio::spawn(serving),
        };
        let addr = listening.await.expect("the server binds");
        TestServer {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            data,
            stop: Some(stop),
            task: Some(task),
            runtime,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn submit(&self, form: &str, body: serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(&format!("/api/forms/{form}/responses")))
            .json(&body)
            .send()
            .await
            .expect("request")
    }

    pub async fn get_as(&self, path: &str, token: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Posts `csv` as a researcher (a contacts or texts import) and insists on a 200.
    #[allow(dead_code)] // Not every test binary imports.
    pub async fn import_csv(&self, path: &str, csv: &str) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(RESEARCHER)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .expect("request");
        let status = response.status();
        assert_eq!(
            status,
            200,
            "{path}: {}",
            response.text().await.unwrap_or_default()
        );
    }

    /// The report JSON once its aggregates are ready: an import may have started a rebuild,
    /// during which the report answers 503 (given 30 s).
    #[allow(dead_code)]
    pub async fn ready_report(&self, id: &str) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let response = self.get_as(&format!("/api/reports/{id}"), RESEARCHER).await;
            match response.status().as_u16() {
                200 => return response.json().await.expect("report JSON"),
                503 if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                status => panic!(
                    "report {id}: {status} {}",
                    response.text().await.unwrap_or_default()
                ),
            }
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Dropped from async code: a runtime dropped there would block on its threads.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// The real `fieldnotes` binary, run as a child process (for restarts and SIGKILL).
pub struct ServerProcess {
    pub child: Child,
    pub base: String,
}

/// The variables that decide where mail goes.
pub const MAIL_VARIABLES: [&str; 5] = [
    "FIELDNOTES_SMTP_URL",
    "FIELDNOTES_SMTP_USER",
    "FIELDNOTES_SMTP_PASSWORD",
    "FIELDNOTES_MAIL_FROM",
    "FIELDNOTES_PUBLIC_URL",
];

/// A port nobody listens on, never the same twice in one test binary: tests run in parallel
/// threads, and the OS may hand a just-released port to the next caller, so two servers could
/// otherwise be told to use one port.
pub fn free_port() -> u16 {
    static GIVEN: std::sync::Mutex<Vec<u16>> = std::sync::Mutex::new(Vec::new());
    loop {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let mut given = GIVEN
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !given.contains(&port) {
            given.push(port);
            return port;
        }
    }
}

impl ServerProcess {
    pub fn start(data: &Path, forms: &Path, port: u16) -> ServerProcess {
        Self::start_with_reports(data, forms, &reports_for(forms), port)
    }

    pub fn start_with_reports(
        data: &Path,
        forms: &Path,
        reports: &Path,
        port: u16,
    ) -> ServerProcess {
        Self::start_with_env(data, forms, reports, port, &[], None)
    }

    /// With extra environment variables (mail settings) and, when `log` is given, standard
    /// output and error appended to that file. Mail variables of the test's own environment
    /// are never passed on, so a developer's settings cannot send test mail anywhere.
    pub fn start_with_env(
        data: &Path,
        forms: &Path,
        reports: &Path,
        port: u16,
        env: &[(&str, &str)],
        log: Option<&Path>,
    ) -> ServerProcess {
        let output = |log: Option<&Path>| match log {
            Some(path) => std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map(Stdio::from)
                .expect("the log file opens"),
            None => Stdio::null(),
        };
        let mut command = Command::new(env!("CARGO_BIN_EXE_fieldnotes"));
        command
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .arg("--data")
            .arg(data)
            .arg("--forms")
            .arg(forms)
            .arg("--reports")
            .arg(reports)
            .env("FIELDNOTES_RESEARCHER_TOKEN", RESEARCHER)
            .env("FIELDNOTES_INTERVIEWER_TOKEN", INTERVIEWER)
            // Tests submit faster than people; a test about the limit passes its own.
            .env("FIELDNOTES_RATE_LIMIT", "off");
        for name in MAIL_VARIABLES {
            command.env_remove(name);
        }
        command.env_remove("FIELDNOTES_STORE");
        if let Some(store) = postgres::store_for(data) {
            command.arg("--store").arg(match store {
                fieldnotes::store::StoreUrl::Postgres(url) => url,
                fieldnotes::store::StoreUrl::Sled(dir) => dir.display().to_string(),
            });
        }
        let child = command
            .envs(env.iter().copied())
            .stdout(output(log))
            .stderr(output(log))
            .spawn()
            .expect("the fieldnotes binary starts");
        let mut server = ServerProcess {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready();
        server
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let addr = self.base.trim_start_matches("http://").to_string();
        while Instant::now() < deadline {
            // A server that exited (a taken port, bad files) must not pass for one that runs.
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("fieldnotes exited before listening on {addr}: {status}");
            }
            if std::net::TcpStream::connect(&addr).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("fieldnotes did not start listening on {addr}");
    }

    /// SIGKILL: no shutdown code runs, as after a power cut of the process.
    pub fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
