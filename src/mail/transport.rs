//! Where a message goes: an SMTP server (lettre, over tokio, TLS by rustls), or the outbox
//! directory, one `.eml` file per message, so that a fresh install works with no mail server.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{MailConfig, SmtpConfig, SmtpSecurity};

/// How long one SMTP conversation may take before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// The server could not be reached, refused the message, or TLS failed.
    #[error("cannot send mail through {server}: {reason}")]
    Smtp { server: String, reason: String },
    #[error("cannot write the message into the outbox {dir}: {reason}")]
    Outbox { dir: String, reason: String },
    /// Mail settings or addresses that cannot work; found before anything is sent.
    #[error("{0}")]
    Settings(String),
}

pub enum Transport {
    Smtp {
        client: AsyncSmtpTransport<Tokio1Executor>,
        /// `smtp://host:port`, for errors and logs; never the credentials.
        server: String,
    },
    Outbox {
        dir: PathBuf,
    },
}

/// Where one message went.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivered {
    Smtp,
    /// The `.eml` file written.
    Outbox(PathBuf),
}

impl Transport {
    pub fn new(config: &MailConfig, outbox: PathBuf) -> Result<Transport, MailError> {
        match &config.smtp {
            None => Ok(Transport::Outbox { dir: outbox }),
            Some(smtp) => Ok(Transport::Smtp {
                client: smtp_client(smtp)?,
                server: smtp.to_string(),
            }),
        }
    }

    /// `smtp` or `outbox`, as the API names them.
    pub fn kind(&self) -> &'static str {
        match self {
            Transport::Smtp { .. } => "smtp",
            Transport::Outbox { .. } => "outbox",
        }
    }

    /// For logs: the server, or the outbox directory.
    pub fn describe(&self) -> String {
        match self {
            Transport::Smtp { server, .. } => format!("through {server}"),
            Transport::Outbox { dir } => format!("into the outbox {}", dir.display()),
        }
    }

    /// Sends `message`; `file_stem` names its outbox file (a timestamp and the report id).
    pub async fn send(&self, message: Message, file_stem: &str) -> Result<Delivered, MailError> {
        match self {
            Transport::Smtp { client, server } => {
                client.send(message).await.map_err(|e| MailError::Smtp {
                    server: server.clone(),
                    reason: smtp_reason(&e),
                })?;
                Ok(Delivered::Smtp)
            }
            Transport::Outbox { dir } => {
                let dir = dir.clone();
                let name = format!("{file_stem}.eml");
                let bytes = message.formatted();
                let written = tokio::task::spawn_blocking(move || {
                    write_durably(&dir, &name, &bytes).map_err(|e| MailError::Outbox {
                        dir: dir.display().to_string(),
                        reason: e.to_string(),
                    })
                })
                .await
                .map_err(|e| MailError::Outbox {
                    dir: String::new(),
                    reason: e.to_string(),
                })??;
                Ok(Delivered::Outbox(written))
            }
        }
    }
}

fn smtp_client(smtp: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let tls_parameters = || {
        TlsParameters::new(smtp.host.clone())
            .map_err(|e| MailError::Settings(format!("cannot set up TLS for {smtp}: {e}")))
    };
    let tls = match smtp.security {
        SmtpSecurity::Plain => Tls::None,
        SmtpSecurity::StartTlsWhenOffered => Tls::Opportunistic(tls_parameters()?),
        SmtpSecurity::StartTlsRequired => Tls::Required(tls_parameters()?),
        SmtpSecurity::Implicit => Tls::Wrapper(tls_parameters()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(smtp.host.clone())
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(SMTP_TIMEOUT));
    if let Some(user) = &smtp.user {
        let password = smtp
            .password
            .as_ref()
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        builder = builder.credentials(Credentials::new(user.clone(), password));
    }
    Ok(builder.build())
}

/// lettre's error with its causes, and a hint where one helps.
fn smtp_reason(e: &lettre::transport::smtp::Error) -> String {
    let mut reason = e.to_string();
    if e.is_tls() {
        reason.push_str(
            " (if the server's certificate cannot be checked, add ?tls=none to FIELDNOTES_SMTP_URL for a trusted relay)",
        );
    } else if e.is_timeout() {
        reason.push_str(&format!(" (no answer within {}s)", SMTP_TIMEOUT.as_secs()));
    }
    reason
}

/// Writes the file under a temporary name, syncs it, renames it into place and syncs the
/// directory: a `.eml` file in the outbox is always whole, and there after a crash.
fn write_durably(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    crate::durable::create_dir_all(dir)?;
    let temporary = dir.join(format!(".{name}.partial"));
    let path = dir.join(name);
    {
        let mut file = std::fs::File::create(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
    }
    std::fs::rename(&temporary, &path)?;
    std::fs::File::open(dir)?.sync_all()?;
    Ok(path)
}
