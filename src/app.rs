//! Putting the server together: one launch path shared by `fieldnotes serve` and the tests.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use poem::http::{Method, StatusCode};
use poem::middleware::{CatchPanic, CookieJarManager, Tracing};
use poem::{
    Body, Endpoint, EndpointExt, IntoEndpoint, IntoResponse, Request, Response, Route, handler,
};

use crate::analysis::{ReportOutcome, rebuild, report_figures};
use crate::auth::{Tokens, load_or_generate_token};
use crate::config::Config;
use crate::form::{Catalog, Problem, load_dir_lenient};
use crate::interview::Interviews;
use crate::limits::{self, Limits};
use crate::mail::{MailError, Summaries, scheduler};
use crate::profiles::ProfileService;
use crate::report::{ReportDef, Reports, load_reports};
use crate::store::{BackupStore, ContactStore, PartialStore, Store, StoreError};
use crate::webhooks::{self, SetupError, Webhooks};
use crate::{allow, api, web};

/// How long requests under way may take to finish once a stop is asked for.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Request bodies above this are refused with 413 before anything reads them.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a request body may take to arrive (64 KiB in 30 s is 2 KiB/s, slower than any
/// phone that can load the page): past it, 408. The head has its own limit, `HEADER_TIMEOUT`.
pub const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub struct AppState {
    pub catalog: Catalog,
    pub reports: Reports,
    pub store: Arc<dyn Store>,
    /// Unfinished hosted-survey responses, kept page by page.
    pub partials: Arc<dyn PartialStore>,
    pub tokens: Tokens,
    pub interviews: Arc<Interviews>,
    /// Report summaries by email: the transport, the sender and what was sent when.
    pub mail: Arc<Summaries>,
    /// Profile cards, drafted on request, and the team's words on them.
    pub profiles: Arc<ProfileService>,
    /// The health check, answered without writing on the request path.
    pub health: crate::health::Health,
    /// The data directory: exports that must be written whole before they are sent (XLSX)
    /// spool there rather than in memory or a possibly small `/tmp`.
    pub data_dir: PathBuf,
    /// The forms' webhook endpoints, with their secrets, and their outbox.
    pub webhooks: Arc<Webhooks>,
    /// Every record of the store, for `POST /api/backup`.
    pub backup: Arc<dyn BackupStore>,
    /// The budget of public submissions per client address.
    pub limits: Limits,
    /// Contacts imported from a CRM export.
    pub contacts: Arc<dyn ContactStore>,
    /// Outside texts of the reports' sources, and the responses that place them.
    pub texts: Arc<dyn crate::texts::TextBackend>,
    /// Personal invitations to surveys, their sending and their links.
    pub invitations: Arc<crate::invitations::Invitations>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{}", problems_text(.0))]
    InvalidFiles(Vec<Problem>),
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("cannot keep the researcher token in {path}: {source}")]
    Token {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot listen on {addr}: {reason}")]
    Bind { addr: String, reason: String },
    #[error("mail settings: {0}")]
    Mail(#[from] MailError),
    #[error("{0}")]
    Webhooks(#[from] SetupError),
}

fn problems_text(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(Problem::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

/// How the researcher token came to be, so `serve` can tell the person starting it.
pub enum TokenOrigin {
    Environment,
    Generated(PathBuf),
    Kept(PathBuf),
}

pub struct Prepared {
    pub state: Arc<AppState>,
    pub token_origin: TokenOrigin,
    /// The generated token, to be printed once by `serve`; `None` otherwise.
    pub new_token: Option<String>,
}

/// Loads and checks forms and reports: `check` and `serve` report the same problems.
pub fn load_files(config: &Config) -> Result<(Catalog, Reports), StartError> {
    let (catalog, mut problems) = load_dir_lenient(&config.forms_dir);
    match load_reports(&config.reports_dir, &catalog) {
        Ok(reports) if problems.is_empty() => Ok((catalog, reports)),
        Ok(_) => Err(StartError::InvalidFiles(problems)),
        Err(more) => {
            problems.extend(more);
            Err(StartError::InvalidFiles(problems))
        }
    }
}

/// Starts, on background threads, the rebuild of every report whose aggregates are stale;
/// until one finishes, its report answers 503 with the progress.
pub fn start_rebuilds(state: &Arc<AppState>) -> Result<(), StoreError> {
    let stale: Vec<String> = rebuild::stale_reports(state.store.as_ref(), &state.reports)?
        .into_iter()
        .map(|r| r.id.clone())
        .collect();
    for id in stale {
        let state = state.clone();
        std::thread::spawn(move || {
            let Some(report) = state.reports.get(&id) else {
                return;
            };
            tracing::info!(report = %id, "rebuilding aggregates from stored responses");
            if let Err(e) = rebuild::rebuild(
                state.store.as_ref(),
                state.store.as_ref(),
                &state.catalog,
                &state.reports,
                &report,
            ) {
                tracing::error!(report = %id, "rebuilding aggregates failed: {e}");
            }
        });
    }
    Ok(())
}

/// Counts each note's themes into the reports that read its guide.
fn note_counter(catalog: &Catalog, reports: &Reports) -> crate::interview::NoteCounter {
    let (catalog, reports) = (catalog.clone(), reports.clone());
    Arc::new(move |interview, note| {
        crate::analysis::note_contributions(&catalog, &reports, interview, note)
    })
}

/// Reports each change to an interview to the webhooks of its guide.
fn interview_webhooks(catalog: &Catalog) -> crate::interview::WebhookEvents {
    let catalog = catalog.clone();
    Arc::new(
        move |interview, change, at| match catalog.get(&interview.guide) {
            Some(guide) => webhooks::interview_change(&guide, interview, change, at),
            None => Vec::new(),
        },
    )
}

/// Loads forms, opens the store and settles the tokens: everything that can fail before serving.
pub fn prepare(config: &Config) -> Result<Prepared, StartError> {
    let (catalog, reports) = load_files(config)?;
    let store = config.store_url().open_for_serving(config.min_free_bytes)?;
    let reports = reports.with_contacts(crate::contacts::Directory::new(store.clone()));
    let profiles = Arc::new(
        ProfileService::new(store.clone(), store.clone(), store.clone())
            .with_contacts(reports.contacts().clone()),
    );
    let webhooks = Webhooks::new(&catalog, &config.webhooks, store.clone())?;
    let mail = Summaries::new(&config.mail, config.outbox_dir(), store.clone())?;
    let (researcher, token_origin, new_token) = match &config.researcher_token {
        Some(token) => (token.clone(), TokenOrigin::Environment, None),
        None => {
            let path = config.researcher_token_file();
            let (token, generated) =
                load_or_generate_token(&path).map_err(|source| StartError::Token {
                    path: path.clone(),
                    source,
                })?;
            let shown = generated.then(|| token.expose().to_string());
            let origin = if generated {
                TokenOrigin::Generated(path)
            } else {
                TokenOrigin::Kept(path)
            };
            (token, origin, shown)
        }
    };
    let interviews = Arc::new(
        Interviews::new(store.clone())
            .with_note_counter(note_counter(&catalog, &reports))
            .with_webhooks(interview_webhooks(&catalog)),
    );
    let mail = Arc::new(mail);
    let invitations = Arc::new(crate::invitations::Invitations::new(
        store.clone(),
        catalog.clone(),
        mail.clone(),
    ));
    let state = AppState {
        catalog,
        reports,
        store: store.clone(),
        partials: store.clone(),
        tokens: Tokens::new(researcher, config.interviewer_token.clone()),
        interviews,
        mail,
        profiles,
        health: crate::health::Health::new(store.clone()),
        data_dir: config.data_dir.clone(),
        webhooks: Arc::new(webhooks),
        backup: store.clone(),
        limits: Limits::new(
            config.limits.rate_limit,
            config.limits.trusted_proxies.clone(),
        ),
        contacts: store.clone(),
        texts: store.clone(),
        invitations,
    };
    Ok(Prepared {
        state: Arc::new(state),
        token_origin,
        new_token,
    })
}

#[handler]
async fn healthz(state: poem::web::Data<&Arc<AppState>>) -> Response {
    match api::health_check(&state).await {
        Ok(ok) => ok.into_response(),
        Err(e) => e.into_response(),
    }
}

/// Every route of the application.
pub fn routes(state: Arc<AppState>) -> impl Endpoint {
    let api_service = api::service(state.clone());
    let document = api::document(&api_service);
    let docs = api_service.swagger_ui();
    let methods = Arc::new(method_index(&document));
    Route::new()
        .at("/healthz", poem::get(healthz))
        .at(
            "/api/openapi.json",
            poem::get(poem::endpoint::make_sync(move |_| {
                document
                    .clone()
                    .with_content_type("application/json; charset=utf-8")
            })),
        )
        .nest("/api/docs", docs)
        .nest(
            "/api",
            api_service
                .into_endpoint()
                .catch_all_error(api::to_json_error),
        )
        .nest("/", web::routes())
        .around(move |next, req| allow::answer(next, req, methods.clone()))
        .around(limit_body)
        // Before the body is read, and inside the cookie jar, which tells staff logins apart.
        .around(limits::limit_submissions)
        .with(CookieJarManager::new())
        .with(CatchPanic::new())
        .with(Tracing)
        .data(state)
}

/// The methods of every route, for the `Allow` of a 405: the API's from its OpenAPI
/// document, the pages' from their table.
fn method_index(api_spec: &str) -> allow::MethodIndex {
    let mut index = allow::MethodIndex::default();
    match serde_json::from_str(api_spec) {
        Ok(spec) => index.add_openapi("/api", &spec),
        Err(e) => tracing::error!("the API's own OpenAPI document did not parse: {e}"),
    }
    index.add("/healthz", &["GET"]);
    index.add("/api/openapi.json", &["GET"]);
    for (path, methods) in web::PAGE_METHODS {
        index.add(path, methods);
    }
    index
}

/// Reads bodies up front with a hard cap so an oversized request gets a clean 413
/// whether or not it declares its length, and a body that trickles in gets 408.
async fn limit_body<E: Endpoint>(next: E, mut req: Request) -> poem::Result<Response> {
    // The CSV imports stream their bodies, under their own cap.
    if matches!(*req.method(), Method::POST | Method::PUT | Method::PATCH)
        && !api::streams_body(req.uri().path())
    {
        let body = req.take_body();
        match tokio::time::timeout(BODY_TIMEOUT, body.into_bytes_limit(MAX_BODY_BYTES)).await {
            Ok(Ok(bytes)) => req.set_body(Body::from(bytes)),
            Ok(Err(poem::error::ReadBodyError::PayloadTooLarge)) => {
                return Ok(too_large_response(req.uri().path()));
            }
            Ok(Err(e)) => return Ok(api::ApiError::bad_request(e.to_string()).into_response()),
            Err(_) => return Ok(too_slow_response(req.uri().path())),
        }
    }
    Ok(next.call(req).await?.into_response())
}

fn too_slow_response(path: &str) -> Response {
    if path.starts_with("/api/") {
        api::ApiError::too_slow().into_response()
    } else {
        web::message_page(
            StatusCode::REQUEST_TIMEOUT,
            "The connection is too slow",
            "What you sent did not arrive in time. Please go back and send it again.",
        )
    }
}

fn too_large_response(path: &str) -> Response {
    if path.starts_with("/api/") {
        api::ApiError::too_large().into_response()
    } else {
        web::message_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too much text",
            "What you sent is over 64 KiB. Please shorten your longest answers and try again.",
        )
    }
}

/// Serves until `shutdown` resolves. The listener is bound by the caller (tests bind port 0).
/// The summary scheduler, the webhook deliveries and the retention task run alongside and
/// stop with the server.
pub async fn serve(
    state: Arc<AppState>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    let starting = state.clone();
    crate::store::blocking(move || start_rebuilds(&starting))
        .await
        .map_err(std::io::Error::other)?;
    tracing::info!("fieldnotes listening on http://{addr}");
    tracing::info!("report summaries are sent {}", state.mail.describe());
    tracing::info!("{}", state.webhooks.describe());
    let scheduler = scheduler::start(&state.reports, state.mail.clone(), state.clone());
    let deliveries = webhooks::start(state.webhooks.clone());
    let retention = crate::retention::start(state.clone());
    let forgetting = limits::start_forgetting(state.clone());
    let invitations = state.invitations.spawn_sender();
    let served = limits::serve(listener, routes(state), shutdown, SHUTDOWN_GRACE).await;
    forgetting.abort();
    invitations.abort();
    scheduler.stop().await;
    deliveries.stop().await;
    retention.stop().await;
    served
}

/// Binds the configured address, naming it in the error when it is taken.
pub async fn bind(addr: &str) -> Result<tokio::net::TcpListener, StartError> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| StartError::Bind {
            addr: addr.to_string(),
            reason: match e.kind() {
                std::io::ErrorKind::AddrInUse => {
                    "the address is already in use (is another server running?)".into()
                }
                _ => e.to_string(),
            },
        })
}

impl scheduler::SummarySource for AppState {
    fn figures(&self, report: &ReportDef) -> Result<ReportOutcome, StoreError> {
        report_figures(self.store.as_ref(), &self.catalog, report)
    }

    fn cards(&self, report: &ReportDef) -> Option<crate::profiles::Profiles> {
        self.profiles.draft_for_summary(&self.catalog, report)
    }
}
