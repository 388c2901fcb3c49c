//! A survey invitation (or reminder) to one contact, through the same transport as the
//! summaries. It carries RFC 8058's one-click unsubscribe headers, so that mail clients can
//! offer an unsubscribe button that works without opening the message.

use chrono::Utc;
use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MessageBuilder};

use super::service::Summaries;
use super::transport::{Delivered, MailError};

/// `List-Unsubscribe: <URL>` (RFC 2369).
#[derive(Clone)]
struct ListUnsubscribe(String);

impl Header for ListUnsubscribe {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.trim_matches(['<', '>']).to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), format!("<{}>", self.0))
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): a POST to the
/// `List-Unsubscribe` address unsubscribes with no further step.
#[derive(Clone)]
struct OneClick;

impl Header for OneClick {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }

    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(OneClick)
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// One invitation as written: who to, the subject, the text (the links included) and the
/// unsubscribe address.
pub struct InvitationMail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub text: String,
    pub unsubscribe_url: &'a str,
    /// Names the outbox file (with a timestamp before it).
    pub tag: &'a str,
}

impl Summaries {
    /// Sends one invitation; the address is the contact's, used for this message only.
    pub async fn send_invitation(&self, mail: InvitationMail<'_>) -> Result<Delivered, MailError> {
        let recipient: Mailbox = mail
            .to
            .parse()
            .map_err(|e| MailError::Settings(format!("the address is not usable: {e}")))?;
        // A subject on several lines would make a broken header.
        let subject = mail
            .subject
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let now = Utc::now();
        let builder: MessageBuilder = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(subject)
            .date(now.into())
            .user_agent(format!("fieldnotes {}", env!("CARGO_PKG_VERSION")))
            .header(ListUnsubscribe(mail.unsubscribe_url.to_string()))
            .header(OneClick)
            .header(ContentType::TEXT_PLAIN);
        let message = builder
            .body(mail.text)
            .map_err(|e| MailError::Settings(format!("cannot build the message: {e}")))?;
        let stem = format!(
            "{}-invitation-{}",
            now.format("%Y%m%dT%H%M%S%.3fZ"),
            mail.tag
        );
        self.transport.send(message, &stem).await
    }
}
