//! Which of a form's languages a page is in: the one asked for by `?lang=` (or the page's own
//! `_lang` field), else the browser's best match from Accept-Language, else the default.

use fluent_langneg::{NegotiationStrategy, accepted_languages, negotiate_languages};
use unic_langid::LanguageIdentifier;

use super::{DEFAULT_LANGUAGE, Locale};

/// The page language among `languages` (a form's list, the default first; empty: English).
/// `asked` that is not one of them is ignored rather than refused: a shared link with a stale
/// `?lang=` still opens the survey.
pub fn pick(languages: &[String], asked: Option<&str>, accept_language: Option<&str>) -> Locale {
    let offered: Vec<Locale> = if languages.is_empty() {
        vec![Locale::english()]
    } else {
        languages
            .iter()
            .filter_map(|tag| Locale::parse(tag))
            .collect()
    };
    let Some(default) = offered.first().cloned() else {
        return Locale::english();
    };
    let ids: Vec<&LanguageIdentifier> = offered.iter().map(|l| &l.id).collect();
    let best = |requested: &[LanguageIdentifier]| -> Option<Locale> {
        let found = negotiate_languages(requested, &ids, None, NegotiationStrategy::Lookup);
        let id = found.first()?;
        offered.iter().find(|l| &&l.id == *id).cloned()
    };
    if let Some(asked) = asked.and_then(|a| a.parse::<LanguageIdentifier>().ok())
        && let Some(locale) = best(&[asked])
    {
        return locale;
    }
    if let Some(header) = accept_language
        && let Some(locale) = best(&accepted_languages::parse(header))
    {
        return locale;
    }
    default
}

/// The default language of a form's list.
pub fn default_of(languages: &[String]) -> &str {
    languages.first().map_or(DEFAULT_LANGUAGE, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn langs(tags: &[&str]) -> Vec<String> {
        tags.iter().map(|t| t.to_string()).collect()
    }

    #[test]
    fn query_then_header_then_default() {
        let form = langs(&["en", "de", "fr"]);
        assert_eq!(pick(&form, Some("de"), Some("fr")).tag(), "de");
        assert_eq!(pick(&form, Some("xx"), Some("fr-CH,fr;q=0.9")).tag(), "fr");
        assert_eq!(
            pick(&form, None, Some("de-DE,de;q=0.9,en;q=0.8")).tag(),
            "de"
        );
        assert_eq!(pick(&form, None, Some("ja")).tag(), "en");
        assert_eq!(pick(&form, None, None).tag(), "en");
        assert_eq!(pick(&form, Some("de-AT"), None).tag(), "de");
    }

    #[test]
    fn a_form_without_languages_is_english() {
        assert_eq!(pick(&[], Some("de"), Some("de")).tag(), "en");
        assert_eq!(default_of(&[]), "en");
        assert_eq!(default_of(&langs(&["de", "en"])), "de");
    }
}
