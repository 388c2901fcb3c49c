//! The `fieldnotes` command line: serve, check, report, export, backup, restore.

#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use fieldnotes::analysis::summary::text_summary;
use fieldnotes::analysis::{ReportOutcome, rebuild, report_figures};
use fieldnotes::app::{self, TokenOrigin};
use fieldnotes::backup::{command, restore_file, restore_into};
use fieldnotes::config::{
    Config, DEFAULT_ADDR, DEFAULT_MIN_FREE_BYTES, LimitsConfig, MailConfig, Secret, WebhookConfig,
};
use fieldnotes::contacts::columns::ContactColumns;
use fieldnotes::contacts::command::{ImportCommand, run_import};
use fieldnotes::export::{ExportFormat, ExportOptions, with_partials, write_responses};
use fieldnotes::form::load_dir;
use fieldnotes::mail::{Delivered, Occasion, Summaries};
use fieldnotes::profiles::ProfileService;
use fieldnotes::store::StoreUrl;

/// mimalloc rather than the system allocator: see BENCHMARKS.md for what it bought.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "fieldnotes",
    version,
    about = "Survey and interview capture for customer profiling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct Dirs {
    /// Data directory (the sled store, the generated token, the mail outbox)
    #[arg(long, env = "FIELDNOTES_DATA", default_value = "data")]
    data: PathBuf,
    /// Directory of form files (*.toml, with bank.toml)
    #[arg(long, env = "FIELDNOTES_FORMS", default_value = "forms")]
    forms: PathBuf,
    /// Directory of report files (*.toml)
    #[arg(long, env = "FIELDNOTES_REPORTS", default_value = "reports")]
    reports: PathBuf,
    #[command(flatten)]
    store: StoreArg,
}

#[derive(Args, Clone)]
struct StoreArg {
    /// Where the records live: sled:PATH or postgres://user:password@host:port/database
    /// (default: sled in the data directory, DATA/db)
    #[arg(long = "store", env = "FIELDNOTES_STORE")]
    url: Option<StoreUrl>,
}

impl Dirs {
    fn offline(self) -> fieldnotes::offline::Dirs {
        fieldnotes::offline::Dirs {
            data: self.data,
            store: self.store.url,
            forms: self.forms,
            reports: self.reports,
        }
    }
}

impl StoreArg {
    fn or_sled_in(self, data: &std::path::Path) -> StoreUrl {
        self.url.unwrap_or_else(|| StoreUrl::sled_in(data))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Run the server
    Serve {
        /// Address to listen on
        #[arg(long, env = "FIELDNOTES_ADDR", default_value = DEFAULT_ADDR)]
        addr: String,
        #[command(flatten)]
        dirs: Dirs,
    },
    /// Check every form and report file; prints `file: problem` lines and fails on any problem
    Check {
        #[arg(long, env = "FIELDNOTES_FORMS", default_value = "forms")]
        forms: PathBuf,
        #[arg(long, env = "FIELDNOTES_REPORTS", default_value = "reports")]
        reports: PathBuf,
    },
    /// Print a report's segment statistics (the server must not be running)
    Report {
        /// The report id
        report: String,
        /// Also send the summary to the report's [email] recipients (through
        /// FIELDNOTES_SMTP_URL, or into the outbox in the data directory)
        #[arg(long)]
        email: bool,
        #[command(flatten)]
        dirs: Dirs,
    },
    /// Write a form's responses from the data directory (the server must not be running)
    Export {
        /// The form id
        form: String,
        /// Output file; `-` writes to standard output
        #[arg(long)]
        out: PathBuf,
        /// The file format. Without it, an --out name ending in .csv, .xlsx, .jsonl, .ndjson or .sav
        /// decides; any other name (and `-`) gets CSV
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        /// Include questions marked pii
        #[arg(long)]
        pii: bool,
        /// Start with a byte-order mark, for Excel
        #[arg(long)]
        bom: bool,
        /// Add the unfinished responses of the hosted survey and a last column `completed`
        #[arg(long)]
        partial: bool,
        #[arg(long, env = "FIELDNOTES_DATA", default_value = "data")]
        data: PathBuf,
        #[arg(long, env = "FIELDNOTES_FORMS", default_value = "forms")]
        forms: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Write a backup of the whole store to FILE; while a server holds the data directory,
    /// the backup is asked of it (at FIELDNOTES_ADDR, with FIELDNOTES_RESEARCHER_TOKEN or the
    /// token kept in the data directory)
    Backup {
        /// The backup file (gzip-compressed JSON Lines); one already there is replaced only
        /// once the new one is whole
        file: PathBuf,
        /// Ask this running server (such as http://10.0.0.5:8080) instead of opening the data
        /// directory
        #[arg(long)]
        server: Option<String>,
        #[arg(long, env = "FIELDNOTES_DATA", default_value = "data")]
        data: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Contacts from a CRM export (the server must not be running: while it does, use
    /// POST /api/contacts)
    Contacts {
        #[command(subcommand)]
        command: ContactsCommand,
    },
    /// Outside texts for a report's sources (the server must not be running: while it does,
    /// use POST /api/reports/{id}/sources/{name}/texts)
    Texts {
        #[command(subcommand)]
        command: TextsCommand,
    },
    /// Restore a backup into a new or empty data directory, or an empty database with
    /// --store (report aggregates are rebuilt when the server starts)
    Restore {
        /// A file written by `fieldnotes backup`
        file: PathBuf,
        #[arg(long, env = "FIELDNOTES_DATA", default_value = "data")]
        data: PathBuf,
        #[command(flatten)]
        store: StoreArg,
    },
    /// Copy every record from one store into an empty other (such as sled into PostgreSQL),
    /// recompute the report aggregates there and verify the counts
    Migrate {
        /// The store to copy from: sled:PATH or postgres://…
        #[arg(long)]
        from: StoreUrl,
        /// The empty store to copy into
        #[arg(long)]
        to: StoreUrl,
        #[arg(long, env = "FIELDNOTES_FORMS", default_value = "forms")]
        forms: PathBuf,
        #[arg(long, env = "FIELDNOTES_REPORTS", default_value = "reports")]
        reports: PathBuf,
    },
}

#[derive(Subcommand)]
enum ContactsCommand {
    /// Import contacts from a CSV file with a header row, upserting by the key column
    Import {
        /// The CSV file
        file: PathBuf,
        /// The key column
        #[arg(long, default_value = "customer_id")]
        key: String,
        /// Comma-separated personal-data columns (an `email` column always is)
        #[arg(long)]
        pii: Option<String>,
        #[command(flatten)]
        dirs: Dirs,
    },
}

#[derive(Subcommand)]
enum TextsCommand {
    /// Import texts (support tickets, reviews, sales-call notes) from a CSV file with a
    /// header row (text, and optionally id, at, customer_id) into a source of a report
    Import {
        /// The report's id
        report: String,
        /// The source's name, as declared in the report's [[sources]]
        source: String,
        /// The CSV file
        file: PathBuf,
        #[command(flatten)]
        dirs: Dirs,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve { addr, dirs } => serve(addr, dirs),
        Command::Check { forms, reports } => check(&forms, &reports),
        Command::Report {
            report,
            email,
            dirs,
        } => report_summary(&report, email, dirs),
        Command::Export {
            form,
            out,
            format,
            pii,
            bom,
            partial,
            data,
            forms,
            store,
        } => export(
            &form,
            &out,
            export_format(format, &out),
            ExportOptions {
                include_pii: pii,
                byte_order_mark: bom,
                include_partial: partial,
            },
            store.or_sled_in(&data),
            &data,
            &forms,
        ),
        Command::Backup {
            file,
            server,
            data,
            store,
        } => backup(file, server, data, store.url),
        Command::Restore { file, data, store } => restore(&file, &data, store.url),
        Command::Migrate {
            from,
            to,
            forms,
            reports,
        } => migrate(&from, &to, forms, reports),
        Command::Contacts {
            command:
                ContactsCommand::Import {
                    file,
                    key,
                    pii,
                    dirs,
                },
        } => run_import(&ImportCommand {
            file,
            key: Some(key),
            pii,
            dirs: dirs.offline(),
        })
        .map(|done| println!("{done}")),
        Command::Texts {
            command:
                TextsCommand::Import {
                    report,
                    source,
                    file,
                    dirs,
                },
        } => fieldnotes::texts::command::run_texts_import(
            &fieldnotes::texts::command::TextsCommand {
                report,
                source,
                file,
                dirs: dirs.offline(),
            },
        )
        .map(|done| println!("{done}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

fn env_secret(name: &str) -> Option<Secret> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(|v| Secret::new(v.trim()))
}

/// Mail settings from the environment; errors never repeat a password.
fn mail_config() -> Result<MailConfig, String> {
    MailConfig::from_vars(|name| std::env::var(name).ok()).map_err(|e| format!("error: {e}"))
}

fn serve(addr: String, dirs: Dirs) -> Result<(), String> {
    tracing_subscriber::fmt()
        // Colour only on a terminal: a log file or journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,poem=warn".into()),
        )
        .init();
    let config = Config {
        addr,
        data_dir: dirs.data,
        forms_dir: dirs.forms,
        reports_dir: dirs.reports,
        researcher_token: env_secret("FIELDNOTES_RESEARCHER_TOKEN"),
        interviewer_token: env_secret("FIELDNOTES_INTERVIEWER_TOKEN"),
        mail: mail_config()?,
        webhooks: WebhookConfig::from_vars(|name| std::env::var(name).ok())
            .map_err(|e| format!("error: {e}"))?,
        limits: LimitsConfig::from_vars(|name| std::env::var(name).ok())
            .map_err(|e| format!("error: {e}"))?,
        min_free_bytes: DEFAULT_MIN_FREE_BYTES,
        store: dirs.store.url,
    };
    let prepared = app::prepare(&config).map_err(|e| format!("error: {e}"))?;
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| format!("error: cannot start: {e}"))?;
    // Bound before anything is printed: a taken address is the one line a person sees.
    let listener = runtime
        .block_on(app::bind(&config.addr))
        .map_err(|e| format!("error: {e}"))?;
    match (&prepared.token_origin, &prepared.new_token) {
        (TokenOrigin::Generated(path), Some(token)) => {
            println!(
                "Researcher token (shown once, kept in {}): {token}",
                path.display()
            );
        }
        (TokenOrigin::Kept(path), _) => {
            println!("Researcher token: see {}", path.display());
        }
        _ => {}
    }
    runtime.block_on(async move {
        let shutdown = stop_signal();
        app::serve(prepared.state, listener, shutdown)
            .await
            .map_err(|e| format!("error: {e}"))
    })
}

/// Resolves at SIGINT (Ctrl-C) or SIGTERM (what systemd, Docker and Kubernetes send).
async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = interrupt => {},
                    _ = terminate.recv() => {},
                }
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM ({e}); Ctrl-C still stops the server");
                let _ = interrupt.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    tracing::info!("stopping: no new connections; requests under way get up to 10 s");
}

fn check(forms: &std::path::Path, reports: &std::path::Path) -> Result<(), String> {
    let config = Config {
        forms_dir: forms.to_path_buf(),
        reports_dir: reports.to_path_buf(),
        ..Config::default()
    };
    let (catalog, reports_found) = app::load_files(&config).map_err(|e| e.to_string())?;
    let (forms, reports) = (catalog.iter().count(), reports_found.iter().count());
    println!(
        "{forms} form{} and {reports} report{} OK",
        if forms == 1 { "" } else { "s" },
        if reports == 1 { "" } else { "s" }
    );
    Ok(())
}

fn report_summary(id: &str, email: bool, dirs: Dirs) -> Result<(), String> {
    let config = Config {
        data_dir: dirs.data,
        forms_dir: dirs.forms,
        reports_dir: dirs.reports,
        store: dirs.store.url,
        mail: if email {
            mail_config()?
        } else {
            MailConfig::default()
        },
        ..Config::default()
    };
    let (catalog, reports) = app::load_files(&config).map_err(|e| e.to_string())?;
    let report = reports.get(id).ok_or_else(|| {
        format!(
            "error: no report with id '{id}' in {}",
            config.reports_dir.display()
        )
    })?;
    if email && report.email.is_none() {
        return Err(format!(
            "error: report '{id}' has no [email] section; add one with `to = [\"you@example.com\"]` to its file"
        ));
    }
    let store = config
        .store_url()
        .open_for_one_pass()
        .map_err(|e| format!("error: {e}"))?;
    // Contact segments read the contacts while stale aggregates are rebuilt here.
    let reports = reports.with_contacts(fieldnotes::contacts::Directory::new(store.clone()));
    // Offline there is no background task: bring stale aggregates up to date right here.
    for stale in
        rebuild::stale_reports(store.as_ref(), &reports).map_err(|e| format!("error: {e}"))?
    {
        rebuild::rebuild(store.as_ref(), store.as_ref(), &catalog, &reports, stale)
            .map_err(|e| format!("error: {e}"))?;
    }
    let figures = match report_figures(store.as_ref(), &catalog, &report)
        .map_err(|e| format!("error: {e}"))?
    {
        ReportOutcome::Ready(figures) => figures,
        ReportOutcome::Building { .. } => {
            return Err("error: the report's aggregates are not ready".into());
        }
    };
    print!("{}", text_summary(&figures));
    if !email {
        return Ok(());
    }
    let summaries = Summaries::new(&config.mail, config.outbox_dir(), store.clone())
        .map_err(|e| format!("error: {e}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("error: cannot start: {e}"))?;
    let profiles = ProfileService::new(store.clone(), store.clone(), store.clone())
        .with_contacts(reports.contacts().clone())
        .draft_for_summary(&catalog, &report);
    let sent = runtime
        .block_on(summaries.send(&report, &figures, profiles.as_ref(), Occasion::OnDemand))
        .map_err(|e| format!("error: {e}"))?;
    match &sent.delivered {
        Delivered::Smtp => println!(
            "Summary sent to {} {} ({})",
            sent.to.join(", "),
            summaries.describe(),
            sent.message_id
        ),
        Delivered::Outbox(file) => println!(
            "Summary for {} written to {} (no FIELDNOTES_SMTP_URL set)",
            sent.to.join(", "),
            file.display()
        ),
    }
    Ok(())
}

/// The --format given, else the one the --out extension names, else CSV (the format the
/// command has always written). A --format that contradicts the extension wins, with a warning.
fn export_format(given: Option<ExportFormat>, out: &std::path::Path) -> ExportFormat {
    let named = ExportFormat::from_path(out);
    match (given, named) {
        (Some(given), Some(named)) if given != named => {
            eprintln!(
                "warning: writing {} into {}, as --format says",
                given.extension(),
                out.display()
            );
            given
        }
        (Some(given), _) => given,
        (None, named) => named.unwrap_or(ExportFormat::Csv),
    }
}

fn export(
    form_id: &str,
    out: &std::path::Path,
    format: ExportFormat,
    options: ExportOptions,
    store: StoreUrl,
    data: &std::path::Path,
    forms: &std::path::Path,
) -> Result<(), String> {
    let catalog = load_dir(forms).map_err(|problems| {
        problems
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    let form = catalog
        .get(form_id)
        .filter(|f| f.is_survey())
        .ok_or_else(|| {
            format!(
                "error: no survey with id '{form_id}' in {}",
                forms.display()
            )
        })?;
    let store = store
        .open_for_one_pass()
        .map_err(|e| format!("error: {e}"))?;
    // Checked before the output file is created, so a refusal leaves nothing behind.
    if let Some(limit) = format.max_rows() {
        let count = store
            .count_responses(form_id)
            .map_err(|e| format!("error: {e}"))?;
        if count > limit {
            return Err(format!(
                "error: '{form_id}' has {count} responses, more than the {limit} rows an Excel sheet holds; export them with --format csv (or --format jsonl)"
            ));
        }
    }
    let revisions = store
        .revisions(form_id)
        .map_err(|e| format!("error: {e}"))?;
    let rows = match options.include_partial {
        true => with_partials(store.responses(form_id), store.partials(form_id), &form),
        false => store.responses(form_id),
    };
    // The XLSX sheet spools its rows in the data directory, as the server does.
    let scratch = data;
    let target: Box<dyn std::io::Write + Send> = if out == std::path::Path::new("-") {
        Box::new(std::io::stdout())
    } else {
        Box::new(
            std::fs::File::create(out)
                .map_err(|e| format!("error: cannot create {}: {e}", out.display()))?,
        )
    };
    // Flushed here rather than on drop, where a write error (a full disk) would go unseen.
    let mut buffered = std::io::BufWriter::new(target);
    let columns = match format {
        ExportFormat::Csv => Some(
            ContactColumns::plan(store.clone(), store.responses(form_id), options.include_pii)
                .map_err(|e| format!("error: {e}"))?,
        ),
        _ => None,
    };
    let result = write_responses(
        format,
        &mut buffered,
        &form,
        &revisions,
        rows,
        options,
        scratch,
        columns.as_ref(),
    )
    .and_then(|()| std::io::Write::flush(&mut buffered).map_err(Into::into));
    result.map_err(|e| format!("error: {e}"))
}

fn backup(
    file: PathBuf,
    server: Option<String>,
    data: PathBuf,
    store: Option<StoreUrl>,
) -> Result<(), String> {
    let request = command::BackupRequest {
        file,
        data_dir: data,
        store,
        server,
        addr: std::env::var("FIELDNOTES_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.into()),
        token: env_secret("FIELDNOTES_RESEARCHER_TOKEN"),
    };
    let (summary, taken) = command::run(&request).map_err(|e| format!("error: {e}"))?;
    let how = match taken {
        command::Taken::Offline => String::new(),
        command::Taken::Server(url) => format!(" (taken by the server at {url})"),
    };
    println!(
        "Backed up {} to {}{how}",
        summary.describe(),
        request.file.display()
    );
    Ok(())
}

fn restore(
    file: &std::path::Path,
    data: &std::path::Path,
    store: Option<StoreUrl>,
) -> Result<(), String> {
    let (summary, into) = match store {
        Some(url @ StoreUrl::Postgres(_)) => (
            restore_into(file, &url).map_err(|e| format!("error: {e}"))?,
            url.to_string(),
        ),
        Some(StoreUrl::Sled(dir)) => {
            return Err(format!(
                "error: a restore into sled takes the data directory: --data {}",
                dir.parent().unwrap_or(&dir).display()
            ));
        }
        None => (
            restore_file(file, data).map_err(|e| format!("error: {e}"))?,
            data.display().to_string(),
        ),
    };
    println!(
        "Restored {} into {into}; report aggregates are rebuilt when the server starts",
        summary.describe(),
    );
    Ok(())
}

fn migrate(from: &StoreUrl, to: &StoreUrl, forms: PathBuf, reports: PathBuf) -> Result<(), String> {
    let config = Config {
        forms_dir: forms,
        reports_dir: reports,
        ..Config::default()
    };
    let (catalog, reports) = app::load_files(&config).map_err(|e| format!("error: {e}"))?;
    let copied = fieldnotes::migrate::run(from, to, &catalog, &reports)
        .map_err(|e| format!("error: {e}"))?;
    println!(
        "Copied {} from {from} to {to}; the counts match",
        copied.describe()
    );
    Ok(())
}
