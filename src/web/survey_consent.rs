//! The consent box of a hosted survey: shown on the first page above the first question,
//! read from that page's post, and required before the respondent goes on.

use chrono::{DateTime, Utc};

use crate::form::consent::{CONSENT_FIELD, paragraphs};
use crate::form::invalid::Invalid;
use crate::form::{FieldErrors, Form};
use crate::i18n::Locale;

/// The checkbox's field name; an underscore, like the page's own fields, so that it can never
/// be taken for a question's answer (`q.<id>`).
pub const CONSENT_INPUT: &str = "_consent";

/// The id of the checkbox, where the error summary's link leads.
pub const CONSENT_ANCHOR: &str = "consent-input";

/// The first page's consent, as the template sees it.
pub struct ConsentView {
    pub paragraphs: Vec<String>,
    pub checked: bool,
    pub error: Option<String>,
}

/// Consent belongs to the first page: every survey has one (its first question can have no
/// `show_if`, there being nothing earlier to read), so everyone passes it.
fn on_consent_page(form: &Form, page_index: usize) -> bool {
    page_index == 0 && form.consent.is_some()
}

/// Reads the box from the first page's post. The time is the first tick's: going back to the
/// page and on again does not move it, while unticking withdraws it.
pub fn read(
    form: &Form,
    page_index: usize,
    fields: &[(String, String)],
    consent_at: &mut Option<DateTime<Utc>>,
) {
    if !on_consent_page(form, page_index) {
        return;
    }
    let ticked = fields.iter().any(|(k, v)| k == CONSENT_INPUT && v == "yes");
    if !ticked {
        *consent_at = None;
    } else if consent_at.is_none() {
        *consent_at = Some(Utc::now());
    }
}

/// Adds the consent error, in the page's language, to a page's errors when its box has to be
/// ticked and is not (the API has its own words, about `"consent": true`).
pub fn check(
    form: &Form,
    page_index: usize,
    consent_at: Option<DateTime<Utc>>,
    locale: &Locale,
    errors: &mut FieldErrors,
) {
    if on_consent_page(form, page_index) && consent_at.is_none() {
        errors.insert(CONSENT_FIELD.into(), Invalid::ConsentUnticked.text(locale));
    }
}

/// The box as the page shows it; `text` is the consent in the page's language, `errors` are
/// already in that language.
pub fn view(
    text: Option<&str>,
    page_index: usize,
    consent_at: Option<DateTime<Utc>>,
    errors: &FieldErrors,
) -> Option<ConsentView> {
    let text = text.filter(|_| page_index == 0)?;
    Some(ConsentView {
        paragraphs: paragraphs(text),
        checked: consent_at.is_some(),
        error: errors.get(CONSENT_FIELD).cloned(),
    })
}
