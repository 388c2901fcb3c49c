//! The hosted survey's language plumbing, apart from its page flow: which language a request
//! gets, the pages of one message in it, the switch's choices, and refusals in its words.

use poem::http::StatusCode;
use poem::{Request, Response};

use super::message_page_in;
use super::survey_render::LanguageChoice;
use crate::form::consent::CONSENT_FIELD;
use crate::form::invalid::Invalid;
use crate::form::{Answers, FieldErrors, Form, refuse_answers};
use crate::i18n::{self, Locale};

/// A page of one message, its title and text the server strings `title_id` and `text_id`.
pub fn message(locale: &Locale, status: StatusCode, title_id: &str, text_id: &str) -> Response {
    message_page_in(locale, status, &locale.t(title_id), &locale.t(text_id))
}

pub fn not_found(locale: &Locale) -> Response {
    message(
        locale,
        StatusCode::NOT_FOUND,
        "page-not-found-title",
        "page-not-found-text",
    )
}

pub fn closed(locale: &Locale) -> Response {
    message(
        locale,
        StatusCode::OK,
        "page-closed-title",
        "page-closed-text",
    )
}

pub fn accept_language(req: &Request) -> Option<&str> {
    req.header("accept-language")
}

/// The page's language: for a form, among its languages; without one (no such survey), among
/// the languages fieldnotes ships.
pub fn locale_for(form: Option<&Form>, asked: Option<&str>, req: &Request) -> Locale {
    match form {
        Some(form) => i18n::pick(&form.languages, asked, accept_language(req)),
        None => {
            let shipped: Vec<String> = i18n::SHIPPED.iter().map(|s| s.to_string()).collect();
            i18n::pick(&shipped, asked, accept_language(req))
        }
    }
}

/// Validation errors that concern the questions on one page, in the page's language.
pub fn errors_on_page(
    form: &Form,
    page: &[usize],
    answers: &Answers,
    locale: &Locale,
) -> FieldErrors {
    match refuse_answers(form, answers) {
        Ok(_) => FieldErrors::new(),
        Err(errors) => errors
            .into_iter()
            .filter(|(id, _)| page.iter().any(|&i| form.questions[i].id == *id))
            .map(|(id, why)| (id, why.text(locale)))
            .collect(),
    }
}

/// The store's refusal (in English, as the API gives it) in the page's language: the answers'
/// reasons found again by validating them, the consent as the page words it.
pub fn localized(
    form: &Form,
    answers: &Answers,
    errors: FieldErrors,
    locale: &Locale,
) -> FieldErrors {
    let reasons = refuse_answers(form, answers).err().unwrap_or_default();
    errors
        .into_iter()
        .map(|(field, english)| {
            let text = if field == CONSENT_FIELD {
                Invalid::ConsentUnticked.text(locale)
            } else {
                reasons.get(&field).map_or(english, |why| why.text(locale))
            };
            (field, text)
        })
        .collect()
}

/// The switch's languages, each named in itself; none for a form in one language.
pub fn language_choices(form: &Form, locale: &Locale) -> Vec<LanguageChoice> {
    if form.languages.len() < 2 {
        return Vec::new();
    }
    form.languages
        .iter()
        .filter_map(|tag| Locale::parse(tag))
        .map(|l| LanguageChoice {
            tag: l.tag().to_string(),
            name: l.native_name(),
            current: l.tag() == locale.tag(),
        })
        .collect()
}
