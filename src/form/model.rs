//! The resolved form: what the rest of fieldnotes sees once files are loaded and checked.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::show_if::Expr;
use super::translations::Translation;
use super::webhooks::Webhook;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    Single,
    Multi,
    Scale,
    Nps,
    Number,
    Text,
    LongText,
    Email,
    /// Rows answered on one shared set of options or one shared scale.
    Matrix,
    /// Options put in order, best first.
    Ranking,
}

impl QuestionType {
    pub fn as_str(self) -> &'static str {
        match self {
            QuestionType::Single => "single",
            QuestionType::Multi => "multi",
            QuestionType::Scale => "scale",
            QuestionType::Nps => "nps",
            QuestionType::Number => "number",
            QuestionType::Text => "text",
            QuestionType::LongText => "long_text",
            QuestionType::Email => "email",
            QuestionType::Matrix => "matrix",
            QuestionType::Ranking => "ranking",
        }
    }

    pub fn has_options(self) -> bool {
        matches!(self, QuestionType::Single | QuestionType::Multi)
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            QuestionType::Scale | QuestionType::Nps | QuestionType::Number
        )
    }

    /// Types whose answers are typed by the respondent, so CSV guards them against formulas.
    pub fn is_free_text(self) -> bool {
        matches!(
            self,
            QuestionType::Text | QuestionType::LongText | QuestionType::Email
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormKind {
    Survey,
    Interview,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum FormStatus {
    #[default]
    Open,
    Closed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: QuestionType,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
    #[serde(default)]
    pub other: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// A matrix's rows, each answered on the question's options or scale.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rows: Vec<String>,
    /// A ranking's most options ranked; `None`: every option must be ranked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ranked: Option<usize>,
    /// Each respondent sees the options (a matrix's rows) in an order of their own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shuffle: bool,
    /// Options (rows) shown after the shuffled ones, in this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keep_last: Vec<String>,
    #[serde(default)]
    pub integer: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default)]
    pub pii: bool,
    /// The parsed `show_if`; rebuilt from the text after deserialising a stored snapshot.
    #[serde(skip)]
    pub condition: Option<Expr>,
}

/// The largest magnitude a number answer may have, and its finest step: within them the
/// report's fixed-point sums (micro-units in 128 bits) stay exact, so means, deviations and
/// tests are right for every value a form accepts.
pub const NUMBER_LIMIT: f64 = 1e9;
pub const NUMBER_DECIMALS: i32 = 6;

/// `v` as an integer when it is a whole number that an i64 and an f64 both hold exactly
/// (below 2^53 in magnitude); `None` otherwise.
pub fn whole_number(v: f64) -> Option<i64> {
    if v.fract() != 0.0 || v.abs() >= 9.0e15 {
        return None;
    }
    #[allow(clippy::cast_possible_truncation, reason = "checked just above")]
    let whole = v as i64;
    Some(whole)
}

impl Question {
    /// Inclusive bounds of the answer, where the type has any; a number question without its
    /// own bounds takes ±`NUMBER_LIMIT`.
    pub fn bounds(&self) -> (Option<f64>, Option<f64>) {
        match self.kind {
            QuestionType::Nps => (Some(0.0), Some(10.0)),
            QuestionType::Number => (
                Some(self.min.unwrap_or(-NUMBER_LIMIT)),
                Some(self.max.unwrap_or(NUMBER_LIMIT)),
            ),
            _ => (self.min, self.max),
        }
    }

    /// The ends of a scale or NPS question (or a scale matrix) as integers, `default` for an
    /// end the form leaves out. `check` keeps a scale's ends whole and within
    /// ±`NUMBER_LIMIT`, so they convert exactly.
    pub fn whole_bounds(&self, default: (i64, i64)) -> (i64, i64) {
        let (min, max) = self.bounds();
        (
            min.and_then(whole_number).unwrap_or(default.0),
            max.and_then(whole_number).unwrap_or(default.1),
        )
    }

    pub fn wants_integer(&self) -> bool {
        matches!(self.kind, QuestionType::Nps | QuestionType::Scale) || self.integer
    }

    /// A matrix whose rows are rated on `min`..`max` rather than chosen from `options`.
    pub fn is_scale_matrix(&self) -> bool {
        self.kind == QuestionType::Matrix && self.options.is_empty()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Section {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    #[serde(default)]
    pub prompts: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Form {
    pub id: String,
    pub kind: FormKind,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intro: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thanks: Option<String>,
    /// The text a respondent agrees to before answering. Part of the revision (it is what
    /// they agreed to); left out of the serialised form when absent, so that forms without
    /// it keep the revision they had.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<String>,
    #[serde(default)]
    pub status: FormStatus,
    #[serde(default)]
    pub hidden: Vec<String>,
    #[serde(default)]
    pub questions: Vec<Question>,
    #[serde(default)]
    pub sections: Vec<Section>,
    /// The form's languages, its default first (`languages` in the file); empty: English only.
    /// Left out of the serialised form when empty, like `translations`, so that forms without
    /// languages keep the revision they had, while a changed translation is a new revision.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub languages: Vec<String>,
    /// Each other language's texts, by language (the bank's merged in).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, Translation>,
    /// Short content hash of the resolved form; every response records the one it answered.
    #[serde(default)]
    pub revision: String,
    /// Where its events are posted. Left out of the revision (delivery is not part of what
    /// respondents answered) and of stored snapshots.
    #[serde(skip)]
    pub webhooks: Vec<Webhook>,
    /// How many days responses are kept (`retain_days`); `None`: for good. Left out of the
    /// revision and of stored snapshots like `webhooks`: it is not part of what was answered.
    #[serde(skip)]
    pub retain_days: Option<u32>,
    /// Its quotas. Left out of the revision and of stored snapshots like `webhooks`: they
    /// decide who may answer, not what was asked.
    #[serde(skip)]
    pub quotas: Vec<super::quota::Quota>,
    /// How many days an unfinished response is kept since its last page (`partial_days`,
    /// 30 unless the form says otherwise). Left out like `retain_days`.
    #[serde(skip)]
    pub partial_days: u32,
    /// The hidden field whose value names the respondent's contact (`contact_key`), when it
    /// is not `customer_id`. Left out like `webhooks`: it decides how answers are joined,
    /// not what was asked.
    #[serde(skip)]
    pub contact_key: Option<String>,
}

impl Form {
    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn is_survey(&self) -> bool {
        self.kind == FormKind::Survey
    }

    pub fn is_open(&self) -> bool {
        self.status == FormStatus::Open
    }
}
