//! Webhook settings: the retry policy's two knobs and where `secret_env` names are looked up.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::config::Secret;

/// How webhooks are retried, and where their secrets come from.
#[derive(Debug, Clone)]
pub struct WebhookConfig {
    /// The wait after the first failed attempt; it doubles after each further one.
    pub retry_base: Duration,
    /// How long after its first attempt a message is given up on.
    pub give_up_after: Duration,
    pub secrets: SecretSource,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        WebhookConfig {
            retry_base: Duration::from_secs(1),
            give_up_after: Duration::from_secs(24 * 60 * 60),
            secrets: SecretSource::Environment,
        }
    }
}

/// Where a form's `secret_env` names are looked up.
#[derive(Debug, Clone, Default)]
pub enum SecretSource {
    /// The process environment, as `serve` has it.
    #[default]
    Environment,
    /// These values only: for tests that run the server in their own process.
    Given(BTreeMap<String, Secret>),
}

impl SecretSource {
    /// The secret in variable `name`; unset, empty or blank counts as none. Surrounding
    /// whitespace is dropped, as a secret pasted from a file often ends in a newline.
    pub fn get(&self, name: &str) -> Option<Secret> {
        let value = match self {
            SecretSource::Environment => std::env::var(name).ok()?,
            SecretSource::Given(values) => values.get(name)?.expose().to_string(),
        };
        let value = value.trim();
        (!value.is_empty()).then(|| Secret::new(value))
    }
}

impl WebhookConfig {
    /// From `FIELDNOTES_WEBHOOK_RETRY_MS` and `FIELDNOTES_WEBHOOK_GIVE_UP_S` (read through
    /// `var`), which tests set to run the retry policy in seconds; secrets from the
    /// environment.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<WebhookConfig, String> {
        let number = |name: &str| -> Result<Option<u64>, String> {
            let Some(text) = var(name).filter(|v| !v.trim().is_empty()) else {
                return Ok(None);
            };
            match text.trim().parse::<u64>() {
                Ok(n) if n > 0 => Ok(Some(n)),
                _ => Err(format!(
                    "{name} must be a whole number above 0, not '{}'",
                    text.trim()
                )),
            }
        };
        let mut config = WebhookConfig::default();
        if let Some(ms) = number("FIELDNOTES_WEBHOOK_RETRY_MS")? {
            config.retry_base = Duration::from_millis(ms);
        }
        if let Some(s) = number("FIELDNOTES_WEBHOOK_GIVE_UP_S")? {
            config.give_up_after = Duration::from_secs(s);
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::vars;

    #[test]
    fn webhook_retry_settings() {
        let config = WebhookConfig::from_vars(vars(&[])).unwrap();
        assert_eq!(config.retry_base, Duration::from_secs(1));
        assert_eq!(config.give_up_after, Duration::from_secs(86_400));
        let config = WebhookConfig::from_vars(vars(&[
            ("FIELDNOTES_WEBHOOK_RETRY_MS", "50"),
            ("FIELDNOTES_WEBHOOK_GIVE_UP_S", " 3 "),
        ]))
        .unwrap();
        assert_eq!(config.retry_base, Duration::from_millis(50));
        assert_eq!(config.give_up_after, Duration::from_secs(3));
        let err =
            WebhookConfig::from_vars(vars(&[("FIELDNOTES_WEBHOOK_RETRY_MS", "soon")])).unwrap_err();
        assert!(err.contains("FIELDNOTES_WEBHOOK_RETRY_MS"), "{err}");
        assert!(WebhookConfig::from_vars(vars(&[("FIELDNOTES_WEBHOOK_GIVE_UP_S", "0")])).is_err());
    }

    #[test]
    fn given_secrets_are_trimmed_and_blank_ones_are_unset() {
        let source = SecretSource::Given(BTreeMap::from([
            ("A".to_string(), Secret::new(" s3cret\n")),
            ("B".to_string(), Secret::new("  ")),
        ]));
        assert_eq!(
            source.get("A").map(|s| s.expose().to_string()),
            Some("s3cret".into())
        );
        assert!(source.get("B").is_none() && source.get("C").is_none());
        assert!(!format!("{source:?}").contains("s3cret"));
    }
}
