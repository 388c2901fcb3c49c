//! Why an answer was refused, as a code with its details: the API prints it in English, the
//! hosted page in the respondent's language. Each code is one `invalid-…` message of the
//! files in `locales/`.

use std::fmt;

use crate::i18n::{Arg, Locale};

/// How many options a message names before it says "and N more".
const OPTIONS_SHOWN: usize = 8;

#[derive(Debug, Clone, PartialEq)]
pub enum Invalid {
    Required,
    NotShown {
        show_if: String,
    },
    UnknownQuestion,
    TooManyAnswers {
        given: usize,
        allowed: usize,
    },
    TooManyHidden {
        given: usize,
        allowed: usize,
    },
    UnknownHidden,
    HiddenNotString,
    HiddenTooLong {
        max: usize,
    },
    NotOneOption,
    NotOneOf {
        options: Vec<String>,
    },
    NotAList,
    NotAListOfStrings,
    ChosenTwice {
        choice: String,
    },
    NotAnOption {
        choice: String,
        options: Vec<String>,
    },
    OneOther,
    NotANumber,
    NotWhole,
    TooManyDecimals {
        places: i32,
    },
    Between {
        min: f64,
        max: f64,
    },
    AtLeast {
        min: f64,
    },
    AtMost {
        max: f64,
    },
    NotText,
    TooLong {
        chars: usize,
        max: usize,
    },
    EmailNotText,
    NotAnEmail,
    /// The hosted page's consent box left unticked.
    ConsentUnticked,
    /// A matrix answer that is not an object of row to answer.
    MatrixNotObject,
    MatrixNotARow {
        key: String,
    },
    /// What is wrong with one row's answer (`NotOneOf` or `WholeFromTo`).
    MatrixRow {
        row: String,
        why: Box<Invalid>,
    },
    WholeFromTo {
        min: f64,
        max: f64,
    },
    MatrixRowsMissing {
        rows: Vec<String>,
    },
    /// Every problem of one answer (a matrix's rows), so all are fixed at once.
    Several(Vec<Invalid>),
    /// Two options given the same rank on the hosted page.
    RankShared,
    RankNotAList,
    RankNotStrings,
    RankUnknown {
        option: String,
    },
    RankedTwice {
        option: String,
    },
    RankAll {
        count: usize,
    },
    RankBetween {
        fewest: usize,
        most: usize,
    },
}

impl Invalid {
    /// The message id in `locales/*/validation.ftl`.
    pub fn id(&self) -> &'static str {
        match self {
            Invalid::Required => "invalid-required",
            Invalid::NotShown { .. } => "invalid-not-shown",
            Invalid::UnknownQuestion => "invalid-unknown-question",
            Invalid::TooManyAnswers { .. } => "invalid-too-many-answers",
            Invalid::TooManyHidden { .. } => "invalid-too-many-hidden",
            Invalid::UnknownHidden => "invalid-unknown-hidden",
            Invalid::HiddenNotString => "invalid-hidden-not-string",
            Invalid::HiddenTooLong { .. } => "invalid-hidden-too-long",
            Invalid::NotOneOption => "invalid-not-one-option",
            Invalid::NotOneOf { .. } => "invalid-not-one-of",
            Invalid::NotAList => "invalid-not-a-list",
            Invalid::NotAListOfStrings => "invalid-not-a-list-of-strings",
            Invalid::ChosenTwice { .. } => "invalid-chosen-twice",
            Invalid::NotAnOption { .. } => "invalid-not-an-option",
            Invalid::OneOther => "invalid-one-other",
            Invalid::NotANumber => "invalid-not-a-number",
            Invalid::NotWhole => "invalid-not-whole",
            Invalid::TooManyDecimals { .. } => "invalid-too-many-decimals",
            Invalid::Between { .. } => "invalid-between",
            Invalid::AtLeast { .. } => "invalid-at-least",
            Invalid::AtMost { .. } => "invalid-at-most",
            Invalid::NotText => "invalid-not-text",
            Invalid::TooLong { .. } => "invalid-too-long",
            Invalid::EmailNotText => "invalid-email-not-text",
            Invalid::NotAnEmail => "invalid-not-an-email",
            Invalid::ConsentUnticked => "invalid-consent-unticked",
            Invalid::MatrixNotObject => "invalid-matrix-not-object",
            Invalid::MatrixNotARow { .. } => "invalid-matrix-not-a-row",
            Invalid::MatrixRow { .. } => "invalid-matrix-row",
            Invalid::WholeFromTo { .. } => "invalid-whole-from-to",
            Invalid::MatrixRowsMissing { .. } => "invalid-matrix-rows-missing",
            Invalid::Several(_) => "invalid-several",
            Invalid::RankShared => "invalid-rank-shared",
            Invalid::RankNotAList => "invalid-rank-not-a-list",
            Invalid::RankNotStrings => "invalid-rank-not-strings",
            Invalid::RankUnknown { .. } => "invalid-rank-unknown",
            Invalid::RankedTwice { .. } => "invalid-ranked-twice",
            Invalid::RankAll { .. } => "invalid-rank-all",
            Invalid::RankBetween { .. } => "invalid-rank-between",
        }
    }

    /// The placeholders of the message. Numbers that are bounds are printed as Rust prints
    /// them (the English texts the API always gave); counts stay numbers for plural rules.
    fn args(&self, locale: &Locale) -> Vec<(&'static str, Arg)> {
        let text = |n: f64| Arg::Text(n.to_string());
        match self {
            Invalid::NotShown { show_if } => vec![("show_if", show_if.as_str().into())],
            Invalid::TooManyAnswers { given, allowed }
            | Invalid::TooManyHidden { given, allowed } => {
                vec![("given", (*given).into()), ("allowed", (*allowed).into())]
            }
            Invalid::HiddenTooLong { max } => vec![("max", Arg::Text(max.to_string()))],
            Invalid::NotOneOf { options } => {
                vec![("options", options_hint(options, locale).into())]
            }
            Invalid::ChosenTwice { choice } => vec![("choice", choice.as_str().into())],
            Invalid::NotAnOption { choice, options } => vec![
                ("choice", choice.as_str().into()),
                ("options", options_hint(options, locale).into()),
            ],
            Invalid::TooManyDecimals { places } => vec![("places", Arg::Text(places.to_string()))],
            Invalid::Between { min, max } => vec![("min", text(*min)), ("max", text(*max))],
            Invalid::AtLeast { min } => vec![("min", text(*min))],
            Invalid::AtMost { max } => vec![("max", text(*max))],
            Invalid::TooLong { chars, max } => vec![
                ("chars", Arg::Text(chars.to_string())),
                ("max", Arg::Text(max.to_string())),
            ],
            Invalid::MatrixNotARow { key } => vec![("key", key.as_str().into())],
            Invalid::MatrixRow { row, why } => vec![
                ("row", row.as_str().into()),
                ("why", why.text(locale).into()),
            ],
            Invalid::WholeFromTo { min, max } => vec![("min", text(*min)), ("max", text(*max))],
            Invalid::MatrixRowsMissing { rows } => {
                let rows: Vec<String> = rows.iter().map(|r| format!("'{r}'")).collect();
                vec![("rows", rows.join(", ").into())]
            }
            Invalid::Several(each) => {
                let each: Vec<String> = each.iter().map(|i| i.text(locale)).collect();
                vec![("list", each.join("; ").into())]
            }
            Invalid::RankUnknown { option } | Invalid::RankedTwice { option } => {
                vec![("option", option.as_str().into())]
            }
            Invalid::RankAll { count } => vec![("count", (*count).into())],
            Invalid::RankBetween { fewest, most } => {
                vec![("fewest", (*fewest).into()), ("most", (*most).into())]
            }
            _ => Vec::new(),
        }
    }

    /// The message in `locale`, else in English.
    pub fn text(&self, locale: &Locale) -> String {
        locale.t_args(self.id(), &self.args(locale))
    }

    /// The message in exactly `locale`, `None` where its file lacks it (for the tests).
    pub fn text_exact(&self, locale: &Locale) -> Option<String> {
        locale.t_exact(self.id(), &self.args(locale))
    }

    /// One of each code, for the tests that every code has a message in every shipped
    /// language; `tests/translations.rs` also checks this list names every `invalid-` id of the
    /// English file, so a new code left out of it fails there.
    pub fn examples() -> Vec<Invalid> {
        let options = || vec!["Founder or owner".to_string(), "Team lead".to_string()];
        vec![
            Invalid::Required,
            Invalid::NotShown {
                show_if: "nps <= 6".into(),
            },
            Invalid::UnknownQuestion,
            Invalid::TooManyAnswers {
                given: 3,
                allowed: 2,
            },
            Invalid::TooManyHidden {
                given: 3,
                allowed: 2,
            },
            Invalid::UnknownHidden,
            Invalid::HiddenNotString,
            Invalid::HiddenTooLong { max: 1000 },
            Invalid::NotOneOption,
            Invalid::NotOneOf { options: options() },
            Invalid::NotAList,
            Invalid::NotAListOfStrings,
            Invalid::ChosenTwice {
                choice: "Team lead".into(),
            },
            Invalid::NotAnOption {
                choice: "CEO".into(),
                options: options(),
            },
            Invalid::OneOther,
            Invalid::NotANumber,
            Invalid::NotWhole,
            Invalid::TooManyDecimals { places: 6 },
            Invalid::Between {
                min: 0.0,
                max: 10.0,
            },
            Invalid::AtLeast { min: 1.0 },
            Invalid::AtMost { max: 100.0 },
            Invalid::NotText,
            Invalid::TooLong {
                chars: 10001,
                max: 10000,
            },
            Invalid::EmailNotText,
            Invalid::NotAnEmail,
            Invalid::ConsentUnticked,
            Invalid::MatrixNotObject,
            Invalid::MatrixNotARow {
                key: "Speed".into(),
            },
            Invalid::MatrixRow {
                row: "Reporting".into(),
                why: Box::new(Invalid::WholeFromTo { min: 1.0, max: 5.0 }),
            },
            Invalid::WholeFromTo { min: 1.0, max: 5.0 },
            Invalid::MatrixRowsMissing {
                rows: vec!["Reporting".into(), "Price".into()],
            },
            Invalid::Several(vec![
                Invalid::MatrixNotARow {
                    key: "Speed".into(),
                },
                Invalid::MatrixRowsMissing {
                    rows: vec!["Price".into()],
                },
            ]),
            Invalid::RankShared,
            Invalid::RankNotAList,
            Invalid::RankNotStrings,
            Invalid::RankUnknown {
                option: "Colour".into(),
            },
            Invalid::RankedTwice {
                option: "Price".into(),
            },
            Invalid::RankAll { count: 3 },
            Invalid::RankBetween { fewest: 1, most: 3 },
        ]
    }
}

/// English, as the API reports it.
impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(&Locale::english()))
    }
}

/// "'a', 'b', and 3 more": the first options, quoted.
fn options_hint(options: &[String], locale: &Locale) -> String {
    let mut list: Vec<String> = options
        .iter()
        .take(OPTIONS_SHOWN)
        .map(|o| format!("'{o}'"))
        .collect();
    if options.len() > OPTIONS_SHOWN {
        list.push(locale.t_args(
            "validation-options-more",
            &[("count", (options.len() - OPTIONS_SHOWN).into())],
        ));
    }
    list.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_is_what_the_api_always_said() {
        assert_eq!(Invalid::Required.to_string(), "this question is required");
        assert_eq!(
            Invalid::TooManyAnswers {
                given: 3,
                allowed: 1
            }
            .to_string(),
            "3 answers, but this form has 1 question"
        );
        assert_eq!(
            Invalid::Between {
                min: -1e9,
                max: 1.5
            }
            .to_string(),
            "must be between -1000000000 and 1.5"
        );
        let many: Vec<String> = (1..=10).map(|i| format!("o{i}")).collect();
        let text = Invalid::NotOneOf { options: many }.to_string();
        assert!(text.ends_with("'o8', and 2 more"), "{text}");
    }

    #[test]
    fn every_code_has_a_message_in_every_shipped_language() {
        for tag in crate::i18n::SHIPPED {
            let locale = Locale::parse(tag).expect("a shipped tag");
            for invalid in Invalid::examples() {
                let text = invalid.text_exact(&locale);
                assert!(text.is_some(), "{tag} lacks {}", invalid.id());
            }
        }
    }
}
