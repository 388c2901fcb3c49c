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

/// The fixture forms with their webhook URLs pointed at `receiver`, in a temporary directory.
pub fn forms_for(receiver: &Receiver) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = super::repo_path("tests/fixtures/webhooks/forms");
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
