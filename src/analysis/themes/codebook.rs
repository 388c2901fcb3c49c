//! A report's codebook, ready to use: the compiled matcher and the stop words of its language.

use std::collections::HashSet;
use std::fmt;

use super::matcher::{Found, Matcher, language};
use crate::report::Theme;

pub const DEFAULT_LANGUAGE: &str = "english";

pub struct Codebook {
    pub matcher: Matcher,
    pub names: Vec<String>,
    stop_words: HashSet<String>,
}

impl fmt::Debug for Codebook {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Codebook")
            .field("themes", &self.names)
            .finish()
    }
}

/// What one text holds: the themes it mentions or, when none, its candidate terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextAnalysis {
    pub found: Vec<Found>,
    /// Words and two-word phrases (stop words left out), one entry per occurrence; only for
    /// texts that mention no theme.
    pub uncoded_terms: Vec<String>,
}

impl Codebook {
    pub fn new(themes: &[Theme], language_name: &str) -> Result<Codebook, Vec<String>> {
        let Some((algorithm, iso)) = language(language_name) else {
            let known: Vec<&str> = super::matcher::LANGUAGES
                .iter()
                .map(|(n, _, _)| *n)
                .collect();
            return Err(vec![format!(
                "language '{language_name}' is not one of {}",
                known.join(", ")
            )]);
        };
        let matcher = Matcher::new(themes, algorithm)?;
        let stop_words = stop_words::get(iso)
            .into_iter()
            .map(|w| super::matcher::fold(&w))
            .collect();
        Ok(Codebook {
            matcher,
            names: themes.iter().map(|t| t.name.clone()).collect(),
            stop_words,
        })
    }

    fn is_term(&self, word: &str) -> bool {
        word.chars().count() > 1
            && word.chars().any(char::is_alphabetic)
            && !self.stop_words.contains(word)
    }

    pub fn analyse(&self, text: &str) -> TextAnalysis {
        let words = self.matcher.words(text);
        let found = self.matcher.find_in(&words);
        if !found.is_empty() {
            return TextAnalysis {
                found,
                uncoded_terms: Vec::new(),
            };
        }
        let mut terms = Vec::new();
        for (i, word) in words.iter().enumerate() {
            if !self.is_term(&word.folded) {
                continue;
            }
            terms.push(word.folded.clone());
            if let Some(next) = words.get(i + 1).filter(|n| self.is_term(&n.folded)) {
                terms.push(format!("{} {}", word.folded, next.folded));
            }
        }
        TextAnalysis {
            found,
            uncoded_terms: terms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uncoded_terms_leave_out_stop_words_and_themed_texts() {
        let themes = vec![Theme {
            name: "Price".into(),
            patterns: vec!["price".into()],
            description: None,
        }];
        let codebook = Codebook::new(&themes, "english").unwrap();
        let plain =
            codebook.analyse("The onboarding call was great, and the onboarding call helped.");
        assert_eq!(
            plain.uncoded_terms,
            vec![
                "onboarding",
                "onboarding call",
                "call",
                "great",
                "onboarding",
                "onboarding call",
                "call",
                "call helped",
                "helped"
            ]
        );
        let themed = codebook.analyse("The onboarding call was great but the price hurt.");
        assert!(themed.uncoded_terms.is_empty());
        assert_eq!(themed.found.len(), 1);
        assert!(Codebook::new(&themes, "klingon").is_err());
    }
}
