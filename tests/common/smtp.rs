//! A real SMTP server on loopback for the mail tests: mailin-embedded, a small SMTP server
//! library, speaking the protocol to lettre, with every message it accepts (or was told to
//! refuse) kept for the test to read.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use mailin_embedded::response::OK;
use mailin_embedded::{Handler, Response, Server, SslConfig};

#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (MAIL FROM) and recipients (RCPT TO).
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent after DATA, headers and body.
    pub data: Vec<u8>,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
struct Shared {
    accepted: Vec<Received>,
    refused: Vec<Received>,
    refuse_next: u32,
    /// Hold the message that arrives after this many were accepted, for this long, before
    /// answering its data: a sender killed meanwhile is killed mid-send.
    stall: Option<(usize, Duration)>,
    /// Set once the stalled message is being held.
    stalling: bool,
}

/// One SMTP session's state; mailin clones the prototype for every connection.
#[derive(Clone)]
struct Session {
    shared: Arc<Mutex<Shared>>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Session {
    /// Refusals come here, at the DATA command: after a refusal at the end of the data
    /// mailin stays in its data state, so the client's QUIT would go unanswered.
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_string();
        self.to = to.to_vec();
        self.data.clear();
        let mut shared = self.shared.lock().expect("sink lock");
        if shared.refuse_next > 0 {
            shared.refuse_next -= 1;
            shared.refused.push(Received {
                from: self.from.clone(),
                to: self.to.clone(),
                data: Vec::new(),
                at: Utc::now(),
            });
            return Response::custom(451, "4.3.0 Mailbox busy, try again later".into());
        }
        OK
    }

    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let stall = {
            let mut shared = self.shared.lock().expect("sink lock");
            match shared.stall {
                Some((after, wait)) if shared.accepted.len() == after => {
                    shared.stall = None;
                    shared.stalling = true;
                    Some(wait)
                }
                _ => None,
            }
        };
        if let Some(wait) = stall {
            std::thread::sleep(wait);
        }
        let received = Received {
            from: self.from.clone(),
            to: self.to.clone(),
            data: std::mem::take(&mut self.data),
            at: Utc::now(),
        };
        self.shared
            .lock()
            .expect("sink lock")
            .accepted
            .push(received);
        OK
    }
}

pub struct SmtpSink {
    pub port: u16,
    shared: Arc<Mutex<Shared>>,
}

impl SmtpSink {
    /// Listens on a random loopback port until the test process ends.
    pub fn start() -> SmtpSink {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the SMTP sink");
        let port = listener.local_addr().expect("local addr").port();
        let shared = Arc::new(Mutex::new(Shared::default()));
        let mut server = Server::new(Session {
            shared: shared.clone(),
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        });
        server
            .with_name("sink.test")
            .with_ssl(SslConfig::None)
            .expect("no TLS")
            .with_tcp_listener(listener);
        std::thread::spawn(move || {
            if let Err(e) = server.serve() {
                eprintln!("the SMTP sink stopped: {e}");
            }
        });
        SmtpSink { port, shared }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        self.shared.lock().expect("sink lock").accepted.clone()
    }

    pub fn refused(&self) -> Vec<Received> {
        self.shared.lock().expect("sink lock").refused.clone()
    }

    /// Answers 451 to the DATA command of the next `n` messages (kept, without their data).
    pub fn refuse_next(&self, n: u32) {
        self.shared.lock().expect("sink lock").refuse_next = n;
    }

    /// Holds the message after the first `after` accepted ones for `wait` before answering.
    pub fn stall_after(&self, after: usize, wait: Duration) {
        self.shared.lock().expect("sink lock").stall = Some((after, wait));
    }

    /// Whether the stalled message is being held (or was).
    pub fn stalling(&self) -> bool {
        self.shared.lock().expect("sink lock").stalling
    }

    /// Waits until `count` messages have been accepted; all of them.
    pub async fn wait_for(&self, count: usize, timeout: Duration) -> Vec<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                Instant::now() < deadline,
                "{count} message(s) expected within {timeout:?}, {} arrived",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
