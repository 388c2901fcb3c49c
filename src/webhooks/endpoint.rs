//! The endpoints of the forms' `[[webhooks]]`, with their secrets looked up when `serve`
//! starts: a missing secret stops the start rather than leaving events that can never be
//! signed.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::settings::SecretSource;
use super::sign::SigningKey;
use crate::form::{Catalog, EventType};

/// An endpoint's id: derived from the form and the URL, so that it stays the same across
/// restarts and edits of the file's other keys, and its queue with it. Hex, fixed length.
pub fn endpoint_id(form: &str, url: &str) -> String {
    let digest = Sha256::new()
        .chain_update(form.as_bytes())
        .chain_update([0u8])
        .chain_update(url.as_bytes())
        .finalize();
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// One declared endpoint, ready to sign. Debug shows the key as `SigningKey(..)`.
#[derive(Debug)]
pub struct Endpoint {
    pub id: String,
    pub form: String,
    pub url: String,
    pub events: Vec<EventType>,
    pub(super) key: SigningKey,
}

/// Why the endpoints cannot be set up. Names the variable and the form, never a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupError {
    pub problems: Vec<String>,
}

impl fmt::Display for SetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.problems.join("\n"))
    }
}

impl std::error::Error for SetupError {}

/// Every endpoint of every form, each with its key; lists every missing or unusable secret.
pub fn resolve(
    catalog: &Catalog,
    secrets: &SecretSource,
) -> Result<Vec<Arc<Endpoint>>, SetupError> {
    let mut endpoints = Vec::new();
    let mut problems = Vec::new();
    for form in catalog.iter() {
        for hook in &form.webhooks {
            let var = &hook.secret_env;
            let Some(secret) = secrets.get(var) else {
                problems.push(format!(
                    "webhook {} of form '{}': its secret_env {var} is not set; set {var} to the secret the receiver verifies signatures with",
                    hook.url, form.id
                ));
                continue;
            };
            match SigningKey::from_secret(secret.expose()) {
                Ok(key) => endpoints.push(Arc::new(Endpoint {
                    id: endpoint_id(&form.id, &hook.url),
                    form: form.id.clone(),
                    url: hook.url.clone(),
                    events: hook.events.clone(),
                    key,
                })),
                Err(why) => problems.push(format!(
                    "webhook {} of form '{}': the secret in {var} is not usable: {why}",
                    hook.url, form.id
                )),
            }
        }
    }
    if problems.is_empty() {
        Ok(endpoints)
    } else {
        Err(SetupError { problems })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_tell_form_and_url_apart() {
        let id = endpoint_id("survey", "https://example.com/hook");
        assert_eq!(id.len(), 16);
        assert_eq!(id, endpoint_id("survey", "https://example.com/hook"));
        assert_ne!(id, endpoint_id("surve", "yhttps://example.com/hook"));
        assert_ne!(id, endpoint_id("other", "https://example.com/hook"));
    }
}
