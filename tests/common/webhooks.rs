//! A real webhook receiver on loopback for the webhook tests: it records every request and
//! can be told to answer 500 to the next few, or always to bodies that carry a marker.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use poem::http::StatusCode;
use poem::listener::{Acceptor, TcpAcceptor};
use poem::{Request, Response, Server};
use reqwest::Method;
use serde_json::{Value, json};

use super::interviews::call;
use super::{RESEARCHER, ServerProcess, repo_path};

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub struct Received {
    pub path: String,
    /// Lower-case names.
    pub headers: BTreeMap<String, String>,
    pub body: String,
    /// What the receiver answered.
    pub status: u16,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("a webhook body is JSON")
    }
}

#[derive(Default)]
struct Inner {
    log: Mutex<Vec<Received>>,
    /// Refusals still to give, by path.
    fail_next: Mutex<HashMap<String, usize>>,
    refuse_all: AtomicBool,
    refuse_marker: Mutex<Option<String>>,
}

impl Inner {
    fn status_for(&self, path: &str, body: &str) -> u16 {
        let marker = self
            .refuse_marker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.refuse_all.load(Ordering::SeqCst)
            || marker.as_deref().is_some_and(|m| body.contains(m))
        {
            return 500;
        }
        let mut fail_next = self
            .fail_next
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match fail_next.get_mut(path) {
            Some(n) if *n > 0 => {
                *n -= 1;
                500
            }
            _ => 200,
        }
    }
}

#[derive(Clone)]
pub struct Receiver {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    inner: Arc<Inner>,
}

impl Receiver {
    /// Listens on a free loopback port, in the test's runtime.
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("the receiver binds");
        let acceptor = TcpAcceptor::from_tokio(listener).expect("an acceptor");
        let addr = acceptor.local_addr()[0]
            .as_socket_addr()
            .copied()
            .expect("a socket address");
        let inner = Arc::new(Inner::default());
        let shared = inner.clone();
        let endpoint = poem::endpoint::make(move |mut req: Request| {
            let inner = shared.clone();
            async move {
                let body = req.take_body().into_string().await.unwrap_or_default();
                let headers = req
                    .headers()
                    .iter()
                    .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").into()))
                    .collect();
                let status = inner.status_for(req.uri().path(), &body);
                inner
                    .log
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Received {
                        path: req.uri().path().to_string(),
                        headers,
                        body,
                        status,
                    });
                Response::builder()
                    .status(StatusCode::from_u16(status).unwrap_or(StatusCode::OK))
                    .finish()
            }
        });
        tokio::spawn(Server::new_with_acceptor(acceptor).run(endpoint));
        Receiver {
            base: format!("http://{addr}"),
            inner,
        }
    }

    /// Answers 500 to the next `n` requests on `path`.
    pub fn fail_next(&self, path: &str, n: usize) {
        self.inner
            .fail_next
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_string(), n);
    }

    /// Answers 500 to every request while `refuse` holds.
    pub fn refuse_all(&self, refuse: bool) {
        self.inner.refuse_all.store(refuse, Ordering::SeqCst);
    }

    /// Answers 500 to every body that contains `marker`.
    pub fn refuse_bodies_containing(&self, marker: &str) {
        *self
            .inner
            .refuse_marker
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(marker.to_string());
    }

    /// Every request so far, in the order they came.
    pub fn received(&self) -> Vec<Received> {
        self.inner
            .log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The requests it answered with 200, on `path`.
    pub fn delivered(&self, path: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.status == 200 && r.path == path)
            .collect()
    }

    /// Waits (at most `within`) until `count` requests on `path` were answered with 200.
    pub async fn wait_delivered(
        &self,
        path: &str,
        count: usize,
        within: Duration,
    ) -> Vec<Received> {
        let deadline = Instant::now() + within;
        loop {
            let delivered = self.delivered(path);
            if delivered.len() >= count {
                return delivered;
            }
            if Instant::now() > deadline {
                panic!(
                    "{count} deliveries to {path} expected within {within:?}, got {}: {:#?}",
                    delivered.len(),
                    self.received()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// The Standard Webhooks libraries' example secret, and a plain shared one.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const PLAIN: &str = "a plain shared secret";
/// The variables the fixture forms' `secret_env` name.
pub const SECRET_VAR: &str = "FIELDNOTES_TEST_WEBHOOK_SECRET";
pub const PLAIN_VAR: &str = "FIELDNOTES_TEST_PLAIN_SECRET";
/// How long any delivery a test waits for may take.
pub const WITHIN: Duration = Duration::from_secs(10);

/// A server's surroundings: the fixture forms pointed at a receiver, a data directory, a
/// port and a log file, kept across restarts.
pub struct Scene {
    forms: tempfile::TempDir,
    data: tempfile::TempDir,
    port: u16,
}

impl Scene {
    pub fn new(receiver: &Receiver) -> Scene {
        Scene {
            forms: forms_for(receiver),
            data: tempfile::tempdir().expect("temp dir"),
            port: super::free_port(),
        }
    }

    /// Everything the server wrote to standard output and error.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    /// The real binary with both secrets and a 50 ms retry base (five failures take 1.55 s),
    /// giving up `give_up_s` seconds after a message's first attempt.
    pub fn serve(&self, give_up_s: &str) -> ServerProcess {
        let env = [
            (SECRET_VAR, SECRET),
            (PLAIN_VAR, PLAIN),
            ("FIELDNOTES_WEBHOOK_RETRY_MS", "50"),
            ("FIELDNOTES_WEBHOOK_GIVE_UP_S", give_up_s),
        ];
        let (data, log) = (
            self.data.path().join("d"),
            self.data.path().join("server.log"),
        );
        let reports = repo_path("tests/fixtures/no-reports");
        ServerProcess::start_with_env(
            &data,
            self.forms.path(),
            &reports,
            self.port,
            &env,
            Some(&log),
        )
    }
}

/// Submits to the fixture survey with a hidden field; returns the 201 body.
pub async fn submit(base: &str, answers: Value) -> Value {
    let (status, body) = call(
        &reqwest::Client::new(),
        Method::POST,
        &format!("{base}/api/forms/survey/responses"),
        None,
        Some(json!({"answers": answers, "hidden": {"source": "newsletter"}})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// `GET /api/webhooks` as the researcher.
pub async fn webhooks_json(base: &str) -> Value {
    let (status, body) = call(
        &reqwest::Client::new(),
        Method::GET,
        &format!("{base}/api/webhooks"),
        Some(RESEARCHER),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The endpoint of a `GET /api/webhooks` answer whose URL ends in `path`.
pub fn endpoint<'a>(list: &'a Value, path: &str) -> &'a Value {
    list["endpoints"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find(|e| e["url"].as_str().is_some_and(|u| u.ends_with(path)))
        })
        .unwrap_or_else(|| panic!("an endpoint ending in {path}: {list}"))
}

/// The fixture forms with their webhook URLs pointed at `receiver`, in a temporary directory.
pub fn forms_for(receiver: &Receiver) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = repo_path("tests/fixtures/webhooks/forms");
    for entry in std::fs::read_dir(&fixtures).expect("the fixture forms") {
        let path = entry.expect("an entry").path();
        let text = std::fs::read_to_string(&path).expect("a fixture form");
        let name = path.file_name().expect("a file name");
        let text = text.replace("http://127.0.0.1:1", &receiver.base);
        std::fs::write(dir.path().join(name), text).expect("the form is written");
    }
    dir
}

/// Verifies a received request with the `standardwebhooks` Python package (pip install
/// standardwebhooks); returns the payload it verified, or the verifier's error.
pub fn verify_with_python(
    secret: &str,
    received: &Received,
    scratch: &Path,
) -> Result<String, String> {
    let script = scratch.join("verify.py");
    std::fs::write(
        &script,
        r#"import json, sys
from standardwebhooks.webhooks import Webhook
secret, headers, body = sys.argv[1], sys.argv[2], sys.argv[3]
headers = json.load(open(headers, encoding="utf-8"))
body = open(body, encoding="utf-8").read()
# A whsec_ secret is base64; any other is used as its bytes, which the library takes as bytes.
hook = Webhook(secret) if secret.startswith("whsec_") else Webhook(secret.encode())
print(json.dumps(hook.verify(body, headers)))
"#,
    )
    .expect("the script is written");
    let headers = scratch.join("headers.json");
    std::fs::write(
        &headers,
        serde_json::to_string(&received.headers).expect("JSON"),
    )
    .expect("headers written");
    let body = scratch.join("body.json");
    std::fs::write(&body, &received.body).expect("body written");
    let out = std::process::Command::new("python3")
        .arg(&script)
        .arg(secret)
        .arg(&headers)
        .arg(&body)
        .output()
        .map_err(|e| format!("python3 does not run: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}
