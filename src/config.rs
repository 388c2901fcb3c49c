//! Settings for a running server: embedded defaults, overridden by environment and flags (in main).

use std::fmt;
use std::num::NonZeroU32;
use std::path::PathBuf;

use crate::store::StoreUrl;

pub use crate::limits::TrustedProxies;
pub use crate::webhooks::{SecretSource, WebhookConfig};

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// The sender when `FIELDNOTES_MAIL_FROM` is not set.
pub const DEFAULT_MAIL_FROM: &str = "fieldnotes <fieldnotes@localhost>";
/// Where links in summaries point when `FIELDNOTES_PUBLIC_URL` is not set.
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:8080";
/// Below this much free space on the data directory's filesystem, writes are refused (507):
/// sled then never meets a full disk in the middle of a write (see `store::guarded`).
pub const DEFAULT_MIN_FREE_BYTES: u64 = 64 * 1024 * 1024;

/// A token or password: printed nowhere by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub data_dir: PathBuf,
    pub forms_dir: PathBuf,
    pub reports_dir: PathBuf,
    pub researcher_token: Option<Secret>,
    pub interviewer_token: Option<Secret>,
    pub mail: MailConfig,
    pub webhooks: WebhookConfig,
    pub limits: LimitsConfig,
    /// Writes are refused while the data directory's filesystem has less free than this.
    pub min_free_bytes: u64,
    /// `--store`: where the records live; `None` is sled in the data directory.
    pub store: Option<StoreUrl>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: DEFAULT_ADDR.into(),
            data_dir: "data".into(),
            forms_dir: "forms".into(),
            reports_dir: "reports".into(),
            researcher_token: None,
            interviewer_token: None,
            mail: MailConfig::default(),
            webhooks: WebhookConfig::default(),
            limits: LimitsConfig::default(),
            min_free_bytes: DEFAULT_MIN_FREE_BYTES,
            store: None,
        }
    }
}

impl Config {
    /// Where sled keeps its files, inside the data directory.
    pub fn db_dir(&self) -> PathBuf {
        self.data_dir.join("db")
    }

    /// The store `--store` names, else sled in the data directory.
    pub fn store_url(&self) -> StoreUrl {
        self.store
            .clone()
            .unwrap_or_else(|| StoreUrl::sled_in(&self.data_dir))
    }

    pub fn researcher_token_file(&self) -> PathBuf {
        self.data_dir.join("researcher-token")
    }

    /// Where summaries go, one `.eml` file each, when no SMTP server is configured.
    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }
}

/// Who may submit how often, and whose word on the client's address counts.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitsConfig {
    /// Public submissions per minute per client address; `None` takes any number.
    pub rate_limit: Option<NonZeroU32>,
    pub trusted_proxies: TrustedProxies,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            rate_limit: Some(crate::limits::DEFAULT_RATE_LIMIT),
            trusted_proxies: TrustedProxies::default(),
        }
    }
}

impl LimitsConfig {
    /// From `FIELDNOTES_RATE_LIMIT` (a number, or `off`) and `FIELDNOTES_TRUSTED_PROXIES`
    /// (comma-separated addresses and networks), read through `var`; empty values count as
    /// unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<LimitsConfig, String> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let rate_limit = match var("FIELDNOTES_RATE_LIMIT") {
            None => Some(crate::limits::DEFAULT_RATE_LIMIT),
            Some(text) => crate::limits::parse_rate_limit(&text)?,
        };
        let trusted_proxies = match var("FIELDNOTES_TRUSTED_PROXIES") {
            None => TrustedProxies::default(),
            Some(text) => TrustedProxies::parse(&text)?,
        };
        Ok(LimitsConfig {
            rate_limit,
            trusted_proxies,
        })
    }
}

/// How summaries leave: through an SMTP server when one is configured, else into the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct MailConfig {
    pub smtp: Option<SmtpConfig>,
    /// The From of every summary, `Name <address>` or a bare address.
    pub from: String,
    /// The address people open the server at, for the link to the report page; no trailing `/`.
    pub public_url: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            smtp: None,
            from: DEFAULT_MAIL_FROM.into(),
            public_url: DEFAULT_PUBLIC_URL.into(),
        }
    }
}

/// When to encrypt an SMTP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://…?tls=none`: never, for a trusted relay whose certificate cannot be checked.
    Plain,
    /// `smtp://…`: STARTTLS when the server offers it, plain otherwise.
    StartTlsWhenOffered,
    /// `smtp://…?tls=required`: STARTTLS or no mail.
    StartTlsRequired,
    /// `smtps://…`: TLS from the first byte.
    Implicit,
}

/// An SMTP server, from `FIELDNOTES_SMTP_URL` (and the user and password variables).
#[derive(Clone, PartialEq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub user: Option<String>,
    pub password: Option<Secret>,
}

/// The server as logs and errors name it: never the credentials.
impl fmt::Display for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.security {
            SmtpSecurity::Implicit => "smtps",
            _ => "smtp",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        write!(f, "{scheme}://{host}:{}", self.port)
    }
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("server", &self.to_string())
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &self.password)
            .finish()
    }
}

fn percent_decoded(text: &str, what: &str) -> Result<String, String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| format!("FIELDNOTES_SMTP_URL: the {what} is not UTF-8"))
}

impl SmtpConfig {
    /// Reads `smtp://[user[:password]@]host[:port][?tls=none|required]` or
    /// `smtps://[user[:password]@]host[:port]`. `user` and `password` (from their own
    /// variables) take the place of those in the URL. Errors never repeat the URL, which
    /// may hold a password.
    pub fn parse(
        text: &str,
        user: Option<String>,
        password: Option<Secret>,
    ) -> Result<SmtpConfig, String> {
        let url = url::Url::parse(text.trim()).map_err(|e| {
            format!("FIELDNOTES_SMTP_URL is not a URL ({e}); expected smtp://host:port or smtps://host:port")
        })?;
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtp", None | Some("opportunistic")) => SmtpSecurity::StartTlsWhenOffered,
            ("smtp", Some("none")) => SmtpSecurity::Plain,
            ("smtp", Some("required")) => SmtpSecurity::StartTlsRequired,
            ("smtps", None) => SmtpSecurity::Implicit,
            ("smtp" | "smtps", Some(other)) => {
                return Err(format!(
                    "FIELDNOTES_SMTP_URL: tls={other} is not one of none, opportunistic, required (smtp://) or absent (smtps://)"
                ));
            }
            (scheme, _) => {
                return Err(format!(
                    "FIELDNOTES_SMTP_URL: the scheme must be smtp or smtps, not '{scheme}'"
                ));
            }
        };
        let host = match url.host() {
            Some(url::Host::Ipv6(ip)) => ip.to_string(),
            Some(host) => host.to_string(),
            None => return Err("FIELDNOTES_SMTP_URL has no host".into()),
        };
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::Implicit => 465,
            SmtpSecurity::StartTlsRequired => 587,
            _ => 25,
        });
        let url_user = match url.username() {
            "" => None,
            name => Some(percent_decoded(name, "user name")?),
        };
        let url_password = match url.password() {
            None => None,
            Some(p) => Some(Secret::new(percent_decoded(p, "password")?)),
        };
        let user = user.or(url_user);
        let password = password.or(url_password);
        if password.is_some() && user.is_none() {
            return Err("an SMTP password is set but no user: set FIELDNOTES_SMTP_USER or put the user in FIELDNOTES_SMTP_URL".into());
        }
        Ok(SmtpConfig {
            host,
            port,
            security,
            user,
            password,
        })
    }
}

impl MailConfig {
    /// From `FIELDNOTES_SMTP_URL`, `FIELDNOTES_SMTP_USER`, `FIELDNOTES_SMTP_PASSWORD`,
    /// `FIELDNOTES_MAIL_FROM` and `FIELDNOTES_PUBLIC_URL`, read through `var` (the
    /// environment in `main`); empty values count as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<MailConfig, String> {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let smtp = match var("FIELDNOTES_SMTP_URL") {
            None => None,
            Some(url) => Some(SmtpConfig::parse(
                &url,
                var("FIELDNOTES_SMTP_USER").map(|u| u.trim().to_string()),
                var("FIELDNOTES_SMTP_PASSWORD").map(Secret::new),
            )?),
        };
        let public_url = match var("FIELDNOTES_PUBLIC_URL") {
            None => DEFAULT_PUBLIC_URL.to_string(),
            Some(text) => {
                let text = text.trim().trim_end_matches('/').to_string();
                match url::Url::parse(&text) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => text,
                    _ => {
                        return Err(format!(
                            "FIELDNOTES_PUBLIC_URL '{text}' must be an http:// or https:// address, such as https://fieldnotes.example.com"
                        ));
                    }
                }
            }
        };
        Ok(MailConfig {
            smtp,
            from: var("FIELDNOTES_MAIL_FROM")
                .map(|f| f.trim().to_string())
                .unwrap_or_else(|| DEFAULT_MAIL_FROM.into()),
            public_url,
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// An environment of the test's own, for the `from_vars` readers.
    pub(crate) fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    #[test]
    fn limits_from_the_environment() {
        assert_eq!(
            LimitsConfig::from_vars(vars(&[])).unwrap(),
            LimitsConfig::default()
        );
        let limits = LimitsConfig::from_vars(vars(&[
            ("FIELDNOTES_RATE_LIMIT", "off"),
            ("FIELDNOTES_TRUSTED_PROXIES", "10.0.0.0/8, ::1"),
        ]))
        .unwrap();
        assert_eq!(limits.rate_limit, None);
        assert!(!limits.trusted_proxies.is_empty());
        assert!(LimitsConfig::from_vars(vars(&[("FIELDNOTES_RATE_LIMIT", "0")])).is_err());
        assert!(LimitsConfig::from_vars(vars(&[("FIELDNOTES_TRUSTED_PROXIES", "nope")])).is_err());
    }

    #[test]
    fn no_smtp_url_means_the_outbox() {
        let mail = MailConfig::from_vars(vars(&[])).unwrap();
        assert_eq!(mail, MailConfig::default());
    }

    #[test]
    fn smtp_urls() {
        let smtp = |url: &str| SmtpConfig::parse(url, None, None);
        let plain = smtp("smtp://mail.example.com:2525").unwrap();
        assert_eq!(plain.security, SmtpSecurity::StartTlsWhenOffered);
        assert_eq!(plain.to_string(), "smtp://mail.example.com:2525");
        assert_eq!(smtp("smtp://mail.example.com").unwrap().port, 25);
        let tls = smtp("smtps://mail.example.com").unwrap();
        assert_eq!((tls.security, tls.port), (SmtpSecurity::Implicit, 465));
        assert_eq!(tls.to_string(), "smtps://mail.example.com:465");
        let required = smtp("smtp://mail.example.com?tls=required").unwrap();
        assert_eq!(
            (required.security, required.port),
            (SmtpSecurity::StartTlsRequired, 587)
        );
        assert_eq!(
            smtp("smtp://relay:25?tls=none").unwrap().security,
            SmtpSecurity::Plain
        );
        assert_eq!(
            smtp("smtp://[::1]:2525").unwrap().to_string(),
            "smtp://[::1]:2525"
        );
        assert!(smtp("http://mail.example.com").is_err());
        assert!(smtp("smtps://mail.example.com?tls=none").is_err());
        assert!(smtp("mail.example.com:25").is_err());
    }

    #[test]
    fn credentials_come_from_the_url_or_their_variables_and_stay_hidden() {
        let smtp = SmtpConfig::parse(
            "smtp://ana%40lab:p%40ss%2Bw0rd@mail.example.com:587",
            None,
            None,
        )
        .unwrap();
        assert_eq!(smtp.user.as_deref(), Some("ana@lab"));
        assert_eq!(
            smtp.password.as_ref().map(Secret::expose),
            Some("p@ss+w0rd")
        );
        let shown = format!("{smtp} {smtp:?}");
        assert!(!shown.contains("p@ss"), "{shown}");

        let mail = MailConfig::from_vars(vars(&[
            (
                "FIELDNOTES_SMTP_URL",
                "smtp://u:url-pass@mail.example.com:587",
            ),
            ("FIELDNOTES_SMTP_USER", "research"),
            ("FIELDNOTES_SMTP_PASSWORD", "env-pass"),
        ]))
        .unwrap();
        let smtp = mail.smtp.unwrap();
        assert_eq!(smtp.user.as_deref(), Some("research"));
        assert_eq!(smtp.password.as_ref().map(Secret::expose), Some("env-pass"));

        let err = SmtpConfig::parse("smtp://:secret-pw@mail.example.com", None, None).unwrap_err();
        assert!(!err.contains("secret-pw"), "{err}");
        let err = SmtpConfig::parse("smtp://u:secret-pw@mail example.com", None, None).unwrap_err();
        assert!(!err.contains("secret-pw"), "{err}");
    }

    #[test]
    fn public_url_and_sender() {
        let mail = MailConfig::from_vars(vars(&[
            ("FIELDNOTES_PUBLIC_URL", "https://research.example.com/"),
            ("FIELDNOTES_MAIL_FROM", "Research <research@example.com>"),
        ]))
        .unwrap();
        assert_eq!(mail.public_url, "https://research.example.com");
        assert_eq!(mail.from, "Research <research@example.com>");
        assert!(MailConfig::from_vars(vars(&[("FIELDNOTES_PUBLIC_URL", "ftp://x")])).is_err());
    }
}
