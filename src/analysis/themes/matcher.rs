//! Finding a codebook's themes in free text.
//!
//! Both the text and the patterns go through the same steps: Unicode word segmentation
//! (unicode-segmentation), lower case, accents folded (NFD without combining marks, from
//! unicode-normalization), then Snowball stemming (rust-stemmers). A pattern word ending in
//! `*` matches any word that starts with it (before stemming); a pattern of several words
//! matches those words in a row, whatever punctuation or case lies between. Within one text,
//! a theme's matches are counted left to right without overlap, the longest pattern first.

use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;
use unicode_segmentation::UnicodeSegmentation;

use crate::report::Theme;

/// Languages a report may name with `language = "..."`: the Snowball stemmer and the ISO
/// 639-1 code of its stop-word list (NLTK's lists, through the stop-words crate).
pub const LANGUAGES: [(&str, Algorithm, &str); 17] = [
    ("arabic", Algorithm::Arabic, "ar"),
    ("danish", Algorithm::Danish, "da"),
    ("dutch", Algorithm::Dutch, "nl"),
    ("english", Algorithm::English, "en"),
    ("finnish", Algorithm::Finnish, "fi"),
    ("french", Algorithm::French, "fr"),
    ("german", Algorithm::German, "de"),
    ("greek", Algorithm::Greek, "el"),
    ("hungarian", Algorithm::Hungarian, "hu"),
    ("italian", Algorithm::Italian, "it"),
    ("norwegian", Algorithm::Norwegian, "no"),
    ("portuguese", Algorithm::Portuguese, "pt"),
    ("romanian", Algorithm::Romanian, "ro"),
    ("russian", Algorithm::Russian, "ru"),
    ("spanish", Algorithm::Spanish, "es"),
    ("swedish", Algorithm::Swedish, "sv"),
    ("turkish", Algorithm::Turkish, "tr"),
];

pub fn language(name: &str) -> Option<(Algorithm, &'static str)> {
    LANGUAGES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, algorithm, iso)| (*algorithm, *iso))
}

/// A word of a text: where it is, and its folded and stemmed forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub start: usize,
    pub end: usize,
    pub folded: String,
    pub stem: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Stem(String),
    Prefix(String),
}

#[derive(Debug, Clone)]
struct Pattern {
    theme: usize,
    steps: Vec<Step>,
}

/// A theme found in a text: its index in the codebook and the byte spans of its matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub theme: usize,
    pub spans: Vec<(usize, usize)>,
}

pub struct Matcher {
    stemmer: Stemmer,
    /// Patterns by the stem of their first word.
    by_first_stem: HashMap<String, Vec<Pattern>>,
    /// Patterns whose first word is a prefix.
    by_prefix: Vec<Pattern>,
    themes: usize,
}

pub fn fold(word: &str) -> String {
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_word(segment: &str) -> bool {
    segment.chars().any(char::is_alphanumeric)
}

impl Matcher {
    /// Compiles a codebook. `Err` lists the patterns that hold no word to match.
    pub fn new(themes: &[Theme], algorithm: Algorithm) -> Result<Matcher, Vec<String>> {
        let mut matcher = Matcher {
            stemmer: Stemmer::create(algorithm),
            by_first_stem: HashMap::new(),
            by_prefix: Vec::new(),
            themes: themes.len(),
        };
        let mut problems = Vec::new();
        for (index, theme) in themes.iter().enumerate() {
            for source in &theme.patterns {
                let steps = matcher.compile(source);
                match steps.first() {
                    None => problems.push(format!(
                        "theme '{}': pattern \"{source}\" has no word to match",
                        theme.name
                    )),
                    Some(Step::Stem(stem)) if stem.is_empty() => problems.push(format!(
                        "theme '{}': pattern \"{source}\" stems to nothing",
                        theme.name
                    )),
                    Some(Step::Stem(stem)) => {
                        let pattern = Pattern {
                            theme: index,
                            steps: steps.clone(),
                        };
                        matcher
                            .by_first_stem
                            .entry(stem.clone())
                            .or_default()
                            .push(pattern);
                    }
                    Some(Step::Prefix(_)) => matcher.by_prefix.push(Pattern {
                        theme: index,
                        steps,
                    }),
                }
            }
        }
        // Longest first, so that "save time" wins over "time" at the same place.
        for patterns in matcher.by_first_stem.values_mut() {
            patterns.sort_by_key(|p| std::cmp::Reverse(p.steps.len()));
        }
        matcher
            .by_prefix
            .sort_by_key(|p| std::cmp::Reverse(p.steps.len()));
        if problems.is_empty() {
            Ok(matcher)
        } else {
            Err(problems)
        }
    }

    fn compile(&self, source: &str) -> Vec<Step> {
        let mut steps = Vec::new();
        let segments: Vec<(usize, &str)> = source.split_word_bound_indices().collect();
        for (i, (_, segment)) in segments.iter().enumerate() {
            if !is_word(segment) {
                continue;
            }
            let folded = fold(segment);
            let wildcard = segments
                .get(i + 1)
                .is_some_and(|(_, next)| next.starts_with('*'));
            steps.push(if wildcard {
                Step::Prefix(folded)
            } else {
                Step::Stem(self.stemmer.stem(&folded).into_owned())
            });
        }
        steps
    }

    pub fn words(&self, text: &str) -> Vec<Word> {
        text.split_word_bound_indices()
            .filter(|(_, segment)| is_word(segment))
            .map(|(start, segment)| {
                let folded = fold(segment);
                let stem = self.stemmer.stem(&folded).into_owned();
                Word {
                    start,
                    end: start + segment.len(),
                    folded,
                    stem,
                }
            })
            .collect()
    }

    fn matches_at(pattern: &Pattern, words: &[Word], at: usize) -> bool {
        pattern.steps.len() <= words.len() - at
            && pattern
                .steps
                .iter()
                .zip(&words[at..])
                .all(|(step, word)| match step {
                    Step::Stem(stem) => &word.stem == stem,
                    Step::Prefix(prefix) => word.folded.starts_with(prefix.as_str()),
                })
    }

    /// Every theme the text mentions, with the spans of its mentions.
    pub fn find(&self, text: &str) -> Vec<Found> {
        self.find_in(&self.words(text))
    }

    /// The same, on words already split from `text`.
    pub fn find_in(&self, words: &[Word]) -> Vec<Found> {
        let mut spans: Vec<Vec<(usize, usize)>> = vec![Vec::new(); self.themes];
        // Per theme, the first word a new match may start at (no overlapping matches).
        let mut free_from = vec![0usize; self.themes];
        for at in 0..words.len() {
            let candidates = self
                .by_first_stem
                .get(&words[at].stem)
                .into_iter()
                .flatten()
                .chain(&self.by_prefix);
            let mut best: HashMap<usize, usize> = HashMap::new();
            for pattern in candidates {
                if at < free_from[pattern.theme] || !Self::matches_at(pattern, words, at) {
                    continue;
                }
                let len = best.entry(pattern.theme).or_insert(0);
                *len = (*len).max(pattern.steps.len());
            }
            for (theme, len) in best {
                spans[theme].push((words[at].start, words[at + len - 1].end));
                free_from[theme] = at + len;
            }
        }
        spans
            .into_iter()
            .enumerate()
            .filter(|(_, s)| !s.is_empty())
            .map(|(theme, spans)| Found { theme, spans })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn theme(name: &str, patterns: &[&str]) -> Theme {
        Theme {
            name: name.into(),
            patterns: patterns.iter().map(|p| p.to_string()).collect(),
            description: None,
        }
    }

    fn matcher(themes: &[Theme]) -> Matcher {
        Matcher::new(themes, Algorithm::English).unwrap()
    }

    fn count(m: &Matcher, text: &str, theme: usize) -> usize {
        m.find(text)
            .into_iter()
            .find(|f| f.theme == theme)
            .map_or(0, |f| f.spans.len())
    }

    #[test]
    fn stems_on_both_sides() {
        let m = matcher(&[theme("Integration", &["integrate"])]);
        assert_eq!(count(&m, "Integrations were the reason", 0), 1);
        assert_eq!(count(&m, "it integrates with Slack", 0), 1);
        assert_eq!(count(&m, "Integrated? Integrating!", 0), 2);
    }

    #[test]
    fn a_word_inside_another_word_does_not_match_without_a_wildcard() {
        let plain = matcher(&[theme("Price", &["price"])]);
        assert_eq!(count(&plain, "a priceless moment", 0), 0);
        assert_eq!(count(&plain, "the prices went up", 0), 1);
        let wildcard = matcher(&[theme("Price", &["price*"])]);
        assert_eq!(count(&wildcard, "a priceless moment", 0), 1);
        assert_eq!(count(&wildcard, "Pricey!", 0), 1);
        assert_eq!(count(&wildcard, "spiced", 0), 0);
    }

    #[test]
    fn phrases_match_across_punctuation_and_case() {
        let m = matcher(&[theme("Value", &["value for money"])]);
        assert_eq!(count(&m, "Real VALUE -- for... money, honestly", 0), 1);
        assert_eq!(count(&m, "value for the money", 0), 0);
        let found = m.find("Great value for money.");
        assert_eq!(found[0].spans, vec![(6, 21)]);
        assert_eq!(&"Great value for money."[6..21], "value for money");
    }

    #[test]
    fn accents_and_case_fold() {
        let m = matcher(&[theme("Cafe", &["café"]), theme("Naive", &["NAIVE"])]);
        assert_eq!(count(&m, "we met at the cafe", 0), 1);
        assert_eq!(count(&m, "Le CAFÉ du coin", 0), 1);
        assert_eq!(count(&m, "a naïve question", 1), 1);
    }

    #[test]
    fn mentions_do_not_overlap_and_the_longest_pattern_wins() {
        let m = matcher(&[theme("Time", &["time", "save time", "sav*"])]);
        // "save time" is one mention, not three.
        assert_eq!(count(&m, "it will save time", 0), 1);
        assert_eq!(count(&m, "time, time and more time", 0), 3);
    }

    #[test]
    fn patterns_without_words_are_refused() {
        let problems = Matcher::new(&[theme("Empty", &["*", "..."])], Algorithm::English)
            .err()
            .unwrap();
        assert_eq!(problems.len(), 2);
        assert!(problems[0].contains("has no word to match"));
    }

    #[test]
    fn languages_are_named() {
        assert!(language("german").is_some());
        assert!(language("klingon").is_none());
    }
}
