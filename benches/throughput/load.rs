//! The load generator: this bench's own executable, started again as a child process
//! (`FIELDNOTES_BENCH_LOAD` names the scenario) so that its CPU is its own and can be reported
//! beside the server's. Each simulated client is one kept-alive HTTP/1.1 connection (hyper's
//! client) sending its next request as soon as the last one is answered, for a fixed time.
//! It prints one JSON line: counts, latencies and the CPU it used (`getrusage`).

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpStream;

use crate::{observers, page_flow, sample};

/// The environment variable that makes this executable the load generator, naming the scenario.
pub const MODE: &str = "FIELDNOTES_BENCH_LOAD";

/// One kept-alive connection to the server.
pub struct Client {
    host: String,
    sender: SendRequest<Full<Bytes>>,
}

/// A response's status, its `Set-Cookie` (the first, if any) and its body.
pub struct Answer {
    pub status: u16,
    pub cookie: Option<String>,
    pub body: Bytes,
}

impl Client {
    pub async fn connect(host: &str) -> std::io::Result<Client> {
        let stream = TcpStream::connect(host).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(connection);
        Ok(Client {
            host: host.to_string(),
            sender,
        })
    }

    pub fn request(&self, method: &str, path: &str) -> hyper::http::request::Builder {
        hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.host)
    }

    /// Sends the request; its head only, with the body left to read (an event stream).
    pub async fn send_head(
        &mut self,
        request: hyper::Request<Full<Bytes>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, hyper::Error> {
        self.sender.ready().await?;
        self.sender.send_request(request).await
    }

    pub async fn send(&mut self, request: hyper::Request<Full<Bytes>>) -> Result<Answer, String> {
        let response = self.send_head(request).await.map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        let cookie = response
            .headers()
            .get("set-cookie")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_string);
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| e.to_string())?
            .to_bytes();
        Ok(Answer {
            status,
            cookie,
            body,
        })
    }
}

/// What one client recorded.
#[derive(Default)]
pub struct Tally {
    pub latencies_us: Vec<u32>,
    pub errors: u64,
    pub first_error: Option<String>,
    pub respondents: u64,
    pub bytes: u64,
}

impl Tally {
    pub fn took(&mut self, since: Instant) {
        self.latencies_us
            .push(since.elapsed().as_micros().min(u32::MAX as u128) as u32);
    }

    pub fn failed(&mut self, why: String) {
        self.errors += 1;
        self.first_error.get_or_insert(why);
    }

    fn merge(&mut self, other: Tally) {
        self.latencies_us.extend(other.latencies_us);
        self.errors += other.errors;
        self.respondents += other.respondents;
        self.bytes += other.bytes;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }
}

pub fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let at = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[at] as f64 / 1000.0
}

/// The CPU this process has used so far, user and system, in seconds.
pub fn own_cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes the struct it is given.
    #[allow(unsafe_code)]
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    #[allow(unsafe_code)]
    let rc = unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    if rc != 0 {
        return 0.0;
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// What each client of a scenario does until its deadline.
#[derive(Clone)]
enum Work {
    Get { path: String },
    Submit,
    Flow { form: String },
}

async fn client(host: String, work: Work, deadline: Instant, id: usize, token: String) -> Tally {
    let mut tally = Tally::default();
    let mut client = match Client::connect(&host).await {
        Ok(client) => client,
        Err(e) => {
            tally.failed(format!("connect: {e}"));
            return tally;
        }
    };
    let mut i = id * 1_000_000;
    // At least one request each, so a run of 0 s is one request per client (a download).
    loop {
        let outcome = match &work {
            Work::Get { path } => get(&mut client, path, &token, &mut tally).await,
            Work::Submit => submit(&mut client, i, &mut tally).await,
            Work::Flow { form } => page_flow::respondent(&mut client, form, &mut tally).await,
        };
        i += 1;
        if let Err(e) = outcome {
            tally.failed(e);
            // A broken connection is replaced, as a browser would open another.
            match Client::connect(&host).await {
                Ok(fresh) => client = fresh,
                Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
        if Instant::now() >= deadline {
            return tally;
        }
    }
}

async fn get(
    client: &mut Client,
    path: &str,
    token: &str,
    tally: &mut Tally,
) -> Result<(), String> {
    let mut request = client.request("GET", path);
    if !token.is_empty() {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request.body(Full::default()).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let answer = client.send(request).await?;
    tally.took(started);
    tally.bytes += answer.body.len() as u64;
    match answer.status {
        200 => Ok(()),
        status => Err(format!("GET {path}: {status}")),
    }
}

async fn submit(client: &mut Client, i: usize, tally: &mut Tally) -> Result<(), String> {
    let request = client
        .request("POST", &format!("/api/forms/{}/responses", sample::FORM))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(sample::submission(i))))
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let answer = client.send(request).await?;
    tally.took(started);
    match answer.status {
        201 => Ok(()),
        status => Err(format!(
            "POST responses: {status} {}",
            String::from_utf8_lossy(&answer.body)
        )),
    }
}

/// The child's entry point: reads the scenario from the environment and its arguments
/// (`host connections seconds [path-or-form] [token]`), runs it, prints its JSON line.
pub fn run_child(scenario: &str) {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).cloned().unwrap_or_default();
    let host = arg(0);
    let connections: usize = arg(1).parse().expect("connections");
    let seconds: f64 = arg(2).parse().expect("seconds");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let cpu_before = own_cpu_seconds();
    let result = runtime.block_on(async {
        if scenario == "observers" {
            return observers::run(&host, connections, arg(3).parse().expect("notes"), &arg(4))
                .await;
        }
        let work = match scenario {
            "get" => Work::Get { path: arg(3) },
            "submit" => Work::Submit,
            "flow" => Work::Flow { form: arg(3) },
            other => panic!("no load scenario {other}"),
        };
        closed_loop(&host, connections, seconds, work, arg(4)).await
    });
    let mut result = result;
    result["cpu_s"] = json!(own_cpu_seconds() - cpu_before);
    println!("{result}");
}

async fn closed_loop(
    host: &str,
    connections: usize,
    seconds: f64,
    work: Work,
    token: String,
) -> Value {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let tasks: Vec<_> = (0..connections)
        .map(|id| {
            tokio::spawn(client(
                host.to_string(),
                work.clone(),
                deadline,
                id,
                token.clone(),
            ))
        })
        .collect();
    let mut total = Tally::default();
    for task in tasks {
        total.merge(task.await.expect("client task"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    total.latencies_us.sort_unstable();
    json!({
        "requests": total.latencies_us.len(),
        "errors": total.errors,
        "first_error": total.first_error,
        "respondents": total.respondents,
        "bytes": total.bytes,
        "elapsed_s": elapsed,
        "p50_ms": percentile(&total.latencies_us, 0.50),
        "p99_ms": percentile(&total.latencies_us, 0.99),
    })
}
