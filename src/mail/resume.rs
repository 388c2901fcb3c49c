//! The resume link of a partial survey response, mailed to the address its respondent typed,
//! through the same transport as the summaries (the outbox, or SMTP when configured).

use chrono::Utc;
use lettre::Message;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;

use super::service::Summaries;
use super::transport::{Delivered, MailError};
use crate::i18n::Locale;

impl Summaries {
    /// The address people open the server at, without a trailing `/`.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Sends the link (`path`, from `/s/`) to `to`. The address is the respondent's: it is
    /// used for this message only, and neither stored nor logged.
    pub async fn send_resume_link(
        &self,
        to: &str,
        locale: &Locale,
        survey_title: &str,
        path: &str,
        partial_days: u32,
    ) -> Result<Delivered, MailError> {
        let recipient: Mailbox = to
            .parse()
            .map_err(|e| MailError::Settings(format!("the address is not usable: {e}")))?;
        // A title on several lines would make a broken header.
        let title = survey_title
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let link = format!("{}{path}", self.public_url);
        let days = usize::try_from(partial_days).unwrap_or(usize::MAX);
        let text = locale.t_args(
            "resume-mail-body",
            &[
                ("title", title.as_str().into()),
                ("link", link.into()),
                ("days", days.into()),
            ],
        ) + "\n";
        let now = Utc::now();
        let message = Message::builder()
            .from(self.from.clone())
            .to(recipient)
            .subject(locale.t_args("resume-mail-subject", &[("title", title.as_str().into())]))
            .date(now.into())
            .user_agent(format!("fieldnotes {}", env!("CARGO_PKG_VERSION")))
            .header(ContentType::TEXT_PLAIN)
            .body(text)
            .map_err(|e| MailError::Settings(format!("cannot build the message: {e}")))?;
        let stem = format!(
            "{}-resume-{}",
            now.format("%Y%m%dT%H%M%S%.3fZ"),
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        self.transport.send(message, &stem).await
    }
}
