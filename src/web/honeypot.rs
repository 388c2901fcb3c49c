//! The hosted pages' honeypot: a text input that people never see (moved off screen, hidden
//! from screen readers and out of the tab order) but form-filling bots do, and fill.
//!
//! A page posted with it filled is answered exactly as a real submission would be, with a
//! thank-you page and a receipt, so that a bot learns nothing; nothing of it is stored. Each
//! catch is logged with a running count, so that operators see how many there were.

use std::sync::atomic::{AtomicU64, Ordering};

use poem::Response;
use uuid::Uuid;

use super::thanks_page;
use crate::form::Form;
use crate::i18n::Locale;
use crate::responses::Receipt;

/// The input's name: one that bots expect to fill, and no question's (those are `q.*`).
pub const FIELD: &str = "website";

static CAUGHT: AtomicU64 = AtomicU64::new(0);

/// Whether a posted page filled the honeypot.
pub fn is_filled(fields: &[(String, String)]) -> bool {
    fields
        .iter()
        .any(|(name, value)| name == FIELD && !value.trim().is_empty())
}

/// The thank-you page a bot gets, with a receipt for a response that does not exist.
pub fn caught(form: &Form, locale: &Locale) -> Response {
    let count = CAUGHT.fetch_add(1, Ordering::Relaxed) + 1;
    tracing::warn!(
        form = %form.id,
        caught_since_start = count,
        "a survey page filled the honeypot field: answered as a success, nothing stored"
    );
    let receipt = Receipt {
        id: Uuid::now_v7(),
        receipt: Uuid::new_v4().simple().to_string(),
    };
    thanks_page(form, locale, &receipt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_filled_field_counts() {
        let field = |v: &str| vec![(FIELD.to_string(), v.to_string())];
        assert!(is_filled(&field("http://spam.example")));
        assert!(!is_filled(&field("  ")));
        assert!(!is_filled(&[("q.name".to_string(), "x".to_string())]));
    }
}
