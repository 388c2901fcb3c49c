//! The shape of profile cards, as every output (JSON, page, Markdown, email) reads them.
//!
//! The types derive poem-openapi's `Object` so that the JSON schema in the OpenAPI document
//! is this very shape and cannot drift from it; nothing here knows about requests.

use poem_openapi::Object;

/// The cards of a report, the segments one profile may serve, and the ICP.
#[derive(Debug, Clone, PartialEq, Object)]
pub struct Profiles {
    pub report: String,
    pub title: String,
    /// Significance level after the Holm correction.
    pub alpha: f64,
    pub segment_by: String,
    /// When these cards were drafted (RFC 3339).
    pub drafted_at: String,
    pub cards: Vec<Card>,
    pub similar_segments: Vec<SimilarPair>,
    pub icp: Option<Icp>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Card {
    pub segment: String,
    /// The segment's place in the report's segment list: the page anchors `#segment-{index}`.
    pub index: u32,
    /// The team's name for the segment (a name, not "Segment 3B").
    pub label: Option<String>,
    pub notes: String,
    pub n: u64,
    /// n over the sum of n of all unsuppressed segments, in percent.
    pub share: f64,
    pub period: Period,
    pub stale: bool,
    pub loyalty: Loyalty,
    pub fields: Fields,
    pub distinctive: Vec<Distinctive>,
    pub themes: Vec<CardTheme>,
    pub quotes: Vec<Quote>,
    pub jtbd: Vec<Job>,
    pub evidence: Evidence,
    pub rhythm: Rhythm,
    pub warnings: Vec<Warning>,
    pub reviews: Vec<ReviewView>,
    pub contradictions: Vec<Contradiction>,
    pub activations: Vec<ActivationView>,
}

impl Card {
    /// The label when the team gave one, else the segment's name.
    pub fn title(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.segment)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct Period {
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct Loyalty {
    #[oai(skip_serializing_if_is_none)]
    pub nps: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub nps_ci95: Option<Vec<f64>>,
    /// Answers to the NPS question in this segment.
    #[oai(skip_serializing_if_is_none)]
    pub nps_n: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    pub pmf: Option<Pmf>,
}

/// The share answering the product/market-fit question's first option ("Very disappointed").
#[derive(Debug, Clone, PartialEq, Object)]
pub struct Pmf {
    pub question: String,
    pub option: String,
    pub n: u64,
    pub percent: f64,
    pub ci95: Vec<f64>,
}

/// The profile fields of step 6 of the method, each from the questions tagged with it.
#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct Fields {
    pub goal: Vec<FieldEntry>,
    pub pain: Vec<FieldEntry>,
    pub trigger: Vec<FieldEntry>,
    pub driver: Vec<FieldEntry>,
    pub objection: Vec<FieldEntry>,
    pub channel: Vec<FieldEntry>,
    pub proof: Vec<FieldEntry>,
    pub context: Vec<FieldEntry>,
}

pub const FIELD_TAGS: [&str; 8] = [
    "goal",
    "pain",
    "trigger",
    "driver",
    "objection",
    "channel",
    "proof",
    "context",
];

impl Fields {
    pub fn get_mut(&mut self, tag: &str) -> Option<&mut Vec<FieldEntry>> {
        Some(match tag {
            "goal" => &mut self.goal,
            "pain" => &mut self.pain,
            "trigger" => &mut self.trigger,
            "driver" => &mut self.driver,
            "objection" => &mut self.objection,
            "channel" => &mut self.channel,
            "proof" => &mut self.proof,
            "context" => &mut self.context,
            _ => return None,
        })
    }

    /// The fields in the method's order, with their tags.
    pub fn all(&self) -> [(&'static str, &Vec<FieldEntry>); 8] {
        [
            ("goal", &self.goal),
            ("pain", &self.pain),
            ("trigger", &self.trigger),
            ("driver", &self.driver),
            ("objection", &self.objection),
            ("channel", &self.channel),
            ("proof", &self.proof),
            ("context", &self.context),
        ]
    }
}

/// One line of a field: a choice question's option, a text question's theme, or a numeric
/// question's mean.
#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct FieldEntry {
    pub question: String,
    #[oai(skip_serializing_if_is_none)]
    pub text: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub option: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub percent: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub ci95: Option<Vec<f64>>,
    #[oai(skip_serializing_if_is_none)]
    pub others_percent: Option<f64>,
    /// Those in the segment who answered the question.
    #[oai(skip_serializing_if_is_none)]
    pub n: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    pub theme: Option<String>,
    #[oai(skip_serializing_if_is_none)]
    pub responses: Option<u64>,
    #[oai(skip_serializing_if_is_none)]
    pub mean: Option<f64>,
    #[oai(skip_serializing_if_is_none)]
    pub others_mean: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Distinctive {
    pub question: String,
    pub text: String,
    pub option: String,
    pub percent: f64,
    pub others_percent: f64,
    pub z: f64,
    pub p_value: f64,
    pub p_adjusted: f64,
    /// `over` or `under`.
    pub direction: String,
    pub sentence: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct CardTheme {
    pub name: String,
    /// Texts of this segment (answers and notes) that mention the theme.
    pub responses: u64,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Quote {
    pub text: String,
    /// `survey` or `interview`.
    pub source: String,
    pub theme: Option<String>,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Job {
    pub when: String,
    pub want: String,
    pub so: String,
    pub source: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Evidence {
    pub responses: u64,
    pub interviews: u64,
    pub notes: u64,
    /// `voice`, `internal`, `analytics`: the method's angles this card rests on.
    pub angles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Rhythm {
    pub interviews_last_half_year: u64,
    pub target: u32,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Warning {
    /// `few_angles`, `no_interviews`, `no_quotes`, `stale` or `rhythm_behind`.
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct ReviewView {
    pub id: String,
    pub team: String,
    pub field: String,
    pub verdict: String,
    pub comment: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Contradiction {
    pub field: String,
    pub agree: Vec<String>,
    pub disagree: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct ActivationView {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// `YYYY-MM-DD`; responses from 00:00 UTC that day count as `since`.
    pub started: String,
    pub before: Window,
    pub since: Window,
    pub p_value_promoters: Option<f64>,
    pub p_value_pmf: Option<f64>,
}

/// A segment's responses on one side of an activation's start.
#[derive(Debug, Clone, Default, PartialEq, Object)]
pub struct Window {
    pub n: u64,
    pub nps: Option<f64>,
    pub pmf_percent: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct SimilarPair {
    pub segments: Vec<String>,
    pub tests: u32,
    pub min_p_adjusted: f64,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct Icp {
    pub outcome: String,
    /// What counts as success, in words.
    pub success: String,
    pub segments: Vec<IcpSegment>,
    /// The segment with the highest Wilson lower bound.
    pub best: Option<String>,
    pub best_vs_rest: Option<BestVsRest>,
    pub firmographics: Vec<FieldEntry>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct IcpSegment {
    pub segment: String,
    pub n: u64,
    pub successes: u64,
    pub percent: f64,
    pub ci95: Vec<f64>,
}

#[derive(Debug, Clone, PartialEq, Object)]
pub struct BestVsRest {
    pub percent: f64,
    pub others_percent: f64,
    pub z: Option<f64>,
    pub p_value: Option<f64>,
}
