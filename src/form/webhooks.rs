//! `[[webhooks]]` in a form file: where to post which events, and which environment variable
//! holds the signing secret. Checked here without the secrets, since `check` runs without
//! them; `serve` looks the variables up when it starts.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;

use super::load::ProblemLog;
use super::model::FormKind;

/// What a webhook can report. A survey's responses are created and erased; an interview
/// guide's notes are created and edited, and its interviews end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventType {
    ResponseCreated,
    ResponseErased,
    NoteCreated,
    NoteEdited,
    InterviewEnded,
}

impl EventType {
    pub const ALL: [EventType; 5] = [
        EventType::ResponseCreated,
        EventType::ResponseErased,
        EventType::NoteCreated,
        EventType::NoteEdited,
        EventType::InterviewEnded,
    ];

    /// The name in form files and in the body's `type`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::ResponseCreated => "response.created",
            EventType::ResponseErased => "response.erased",
            EventType::NoteCreated => "note.created",
            EventType::NoteEdited => "note.edited",
            EventType::InterviewEnded => "interview.ended",
        }
    }

    pub fn parse(text: &str) -> Option<EventType> {
        EventType::ALL.into_iter().find(|e| e.as_str() == text)
    }

    /// The kind of form on which this event can happen.
    pub fn form_kind(self) -> FormKind {
        match self {
            EventType::ResponseCreated | EventType::ResponseErased => FormKind::Survey,
            EventType::NoteCreated | EventType::NoteEdited | EventType::InterviewEnded => {
                FormKind::Interview
            }
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One endpoint declared by a form. It names the secret's variable, never the secret, so it
/// may be printed, stored and shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Webhook {
    /// As written in the file (trimmed); with the form id it identifies the endpoint.
    pub url: String,
    /// Distinct, in the order written.
    pub events: Vec<EventType>,
    pub secret_env: String,
}

impl Webhook {
    pub fn wants(&self, event: EventType) -> bool {
        self.events.contains(&event)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebhook {
    url: String,
    events: Vec<String>,
    secret_env: String,
}

/// Whether a name can be an environment variable (letters, digits and `_`, not starting
/// with a digit): all `check` can say about a secret it never sees.
fn is_env_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// An http(s) URL with a host and no credentials: a password in the URL would end up in the
/// logs and in `GET /api/webhooks`, which show the URL; the secret belongs in `secret_env`.
fn check_url(url: &str) -> Result<(), String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("url '{url}' is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!(
            "url '{url}' must start with http:// or https://, not {}:",
            parsed.scheme()
        ));
    }
    if !parsed.has_host() || parsed.host_str().is_some_and(str::is_empty) {
        return Err(format!("url '{url}' has no host"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!(
            "url '{}://…@{}' carries credentials; a webhook is authenticated by its signature (secret_env), so leave them out",
            parsed.scheme(),
            parsed.host_str().unwrap_or_default()
        ));
    }
    Ok(())
}

/// Checks every declaration of a form of `kind`, adding one problem per mistake; returns
/// the declarations once they are all good.
pub(super) fn check_webhooks(
    raw: Vec<RawWebhook>,
    kind: FormKind,
    report: &mut ProblemLog,
) -> Vec<Webhook> {
    let before = report.problems.len();
    let mut urls = HashSet::new();
    let mut webhooks = Vec::new();
    for (index, raw) in raw.into_iter().enumerate() {
        let url = raw.url.trim().to_string();
        let label = format!("webhook {}", index + 1);
        if let Err(message) = check_url(&url) {
            report.add(format!("{label}: {message}"));
        } else if !urls.insert(url.clone()) {
            report.add(format!(
                "{label}: url '{url}' is declared twice; list every event in one [[webhooks]]"
            ));
        }
        let mut events = Vec::new();
        if raw.events.is_empty() {
            report.add(format!("{label}: events is empty; name at least one"));
        }
        for name in &raw.events {
            match EventType::parse(name) {
                None => report.add(format!(
                    "{label}: unknown event '{name}'; expected one of {}",
                    names(&EventType::ALL)
                )),
                Some(event) if event.form_kind() != kind => report.add(format!(
                    "{label}: event '{name}' cannot happen on {}; it takes {}",
                    kind_phrase(kind),
                    names(&possible(kind))
                )),
                Some(event) if events.contains(&event) => {
                    report.add(format!("{label}: event '{name}' is listed twice"))
                }
                Some(event) => events.push(event),
            }
        }
        let secret_env = raw.secret_env.trim().to_string();
        if !is_env_name(&secret_env) {
            report.add(format!(
                "{label}: secret_env '{secret_env}' is not an environment variable name (letters, digits and '_', such as CRM_WEBHOOK_SECRET)"
            ));
        }
        webhooks.push(Webhook {
            url,
            events,
            secret_env,
        });
    }
    if report.problems.len() > before {
        return Vec::new();
    }
    webhooks
}

fn possible(kind: FormKind) -> Vec<EventType> {
    EventType::ALL
        .into_iter()
        .filter(|e| e.form_kind() == kind)
        .collect()
}

fn kind_phrase(kind: FormKind) -> &'static str {
    match kind {
        FormKind::Survey => "a survey",
        FormKind::Interview => "an interview guide",
    }
}

fn names(events: &[EventType]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::Problem;

    fn check(kind: FormKind, toml_text: &str) -> (Vec<Webhook>, Vec<String>) {
        #[derive(Deserialize)]
        struct Doc {
            webhooks: Vec<RawWebhook>,
        }
        let doc: Doc = toml::from_str(toml_text).expect("the test TOML parses");
        let mut problems: Vec<Problem> = Vec::new();
        let mut log = ProblemLog {
            file: "f.toml",
            problems: &mut problems,
        };
        let hooks = check_webhooks(doc.webhooks, kind, &mut log);
        (hooks, problems.into_iter().map(|p| p.message).collect())
    }

    #[test]
    fn a_good_declaration_is_kept() {
        let (hooks, problems) = check(
            FormKind::Survey,
            r#"[[webhooks]]
               url = " https://crm.example.com/hooks/fieldnotes "
               events = ["response.created", "response.erased"]
               secret_env = "CRM_SECRET""#,
        );
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(hooks[0].url, "https://crm.example.com/hooks/fieldnotes");
        assert_eq!(
            hooks[0].events,
            [EventType::ResponseCreated, EventType::ResponseErased]
        );
    }

    #[test]
    fn every_mistake_is_named() {
        let (hooks, problems) = check(
            FormKind::Interview,
            r#"[[webhooks]]
               url = "ftp://example.com/x"
               events = ["note.created", "note.created", "response.created", "note.deleted"]
               secret_env = "1BAD-NAME"
               [[webhooks]]
               url = "https://user:pw@example.com/"
               events = []
               secret_env = "OK""#,
        );
        assert!(hooks.is_empty());
        assert_eq!(problems.len(), 7, "{problems:#?}");
        assert!(problems[0].contains("must start with http:// or https://"));
        assert!(problems[1].contains("'note.created' is listed twice"));
        assert!(problems[2].contains("cannot happen on an interview guide"));
        assert!(problems[3].contains("unknown event 'note.deleted'"));
        assert!(problems[4].contains("not an environment variable name"));
        assert!(problems[5].contains("carries credentials"));
        assert!(!problems[5].contains("pw"), "{}", problems[5]);
        assert!(problems[6].contains("events is empty"));
    }
}
