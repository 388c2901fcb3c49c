//! Languages: the server's own words (buttons, progress, every validation message, the
//! thank-you and closed pages) from the Fluent message files in `locales/LANG/*.ftl`, and the
//! page language a respondent gets (`?lang=`, Accept-Language, or the form's default).
//!
//! Adding a server string: one line `my-id = Text` in each `locales/*/survey.ftl` (or
//! `validation.ftl`), then `locale.t("my-id")` (or `t_args` with `{ $name }` placeholders).
//! `tests/translations.rs` fails while any language lacks an id that English has.

mod negotiate;

use std::borrow::Cow;
use std::collections::HashMap;

use fluent_templates::Loader;
use fluent_templates::fluent_bundle::FluentValue;
use unic_langid::{CharacterDirection, LanguageIdentifier};

pub use negotiate::{default_of, pick};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // Unicode isolation marks around every placeable would end up in HTML attributes,
        // CSV-bound error texts and test assertions; the pages set `dir` instead.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The languages whose server strings ship with fieldnotes, English first (the fallback).
pub const SHIPPED: &[&str] = &["en", "de", "fr", "es"];

/// The language a form is in when it declares none.
pub const DEFAULT_LANGUAGE: &str = "en";

/// One page's language: the tag as the form file writes it, and what it takes to print in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Locale {
    tag: String,
    id: LanguageIdentifier,
}

impl Locale {
    /// A locale for a tag such as `de` or `pt-BR`; `None` when it is no language tag.
    pub fn parse(tag: &str) -> Option<Self> {
        let id: LanguageIdentifier = tag.parse().ok()?;
        Some(Self {
            tag: tag.to_string(),
            id,
        })
    }

    /// English: staff pages and forms without `languages`.
    pub fn english() -> Self {
        Self {
            tag: DEFAULT_LANGUAGE.to_string(),
            id: unic_langid::langid!("en"),
        }
    }

    /// The tag as the form writes it: the `lang` attribute, the stored `language`, `?lang=`.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// `rtl` for scripts written right to left (Arabic, Hebrew, …), else `ltr`; from the
    /// language's likely script, so a new rtl language needs no code.
    pub fn dir(&self) -> &'static str {
        match self.id.character_direction() {
            CharacterDirection::RTL => "rtl",
            _ => "ltr",
        }
    }

    /// The language's name in itself ("Deutsch"), for the switch; the tag where no message
    /// file names it.
    pub fn native_name(&self) -> String {
        LOCALES
            .lookup_single_language::<&str>(&self.id, "language-name", None)
            .unwrap_or_else(|_| self.tag.clone())
    }

    /// The server string `id` in this language, else in English.
    pub fn t(&self, id: &str) -> String {
        LOCALES.lookup(&self.id, id)
    }

    /// `t` with `{ $name }` placeholders filled.
    pub fn t_args(&self, id: &str, args: &[(&'static str, Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.to_fluent()))
            .collect();
        LOCALES.lookup_with_args(&self.id, id, &args)
    }

    /// The string `id` in exactly this language, without falling back: for the tests that
    /// every shipped language has every string.
    pub fn t_exact(&self, id: &str, args: &[(&'static str, Arg)]) -> Option<String> {
        let args: HashMap<&str, FluentValue> = args
            .iter()
            .map(|(name, value)| (*name, value.to_fluent()))
            .collect();
        LOCALES
            .lookup_single_language(&self.id, id, Some(&args))
            .ok()
    }
}

/// A value for a placeholder: text printed as it is, or a count that picks a plural form.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Text(String),
    Count(u64),
}

impl Arg {
    fn to_fluent(&self) -> FluentValue<'static> {
        match self {
            Arg::Text(text) => FluentValue::from(text.clone()),
            Arg::Count(n) => FluentValue::from(*n),
        }
    }
}

impl From<&str> for Arg {
    fn from(text: &str) -> Self {
        Arg::Text(text.to_string())
    }
}

impl From<String> for Arg {
    fn from(text: String) -> Self {
        Arg::Text(text)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Self {
        Arg::Count(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_follows_the_script() {
        for (tag, dir) in [("en", "ltr"), ("de", "ltr"), ("ar", "rtl"), ("he", "rtl")] {
            assert_eq!(Locale::parse(tag).map(|l| l.dir()), Some(dir), "{tag}");
        }
        assert_eq!(Locale::parse("not a tag!"), None);
    }

    #[test]
    fn strings_fall_back_to_english() {
        let italian = Locale::parse("it").expect("a tag");
        assert_eq!(italian.t("survey-next"), Locale::english().t("survey-next"));
        assert_eq!(italian.native_name(), "it");
        assert_eq!(
            Locale::parse("de").map(|l| l.t("survey-next")).as_deref(),
            Some("Weiter")
        );
    }

    #[test]
    fn placeholders_and_plurals() {
        let en = Locale::english();
        let page = en.t_args(
            "survey-progress",
            &[("number", 2usize.into()), ("count", 5usize.into())],
        );
        assert_eq!(page, "Page 2 of 5");
        assert_eq!(
            en.t_args("survey-error-summary", &[("count", 1usize.into())]),
            "Please check this answer"
        );
        assert_eq!(
            en.t_args("survey-error-summary", &[("count", 3usize.into())]),
            "Please check these 3 answers"
        );
    }
}
