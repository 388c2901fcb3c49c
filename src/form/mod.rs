//! Forms: the file format, loading with the bank, `show_if` logic and answer validation.

pub mod consent;
pub mod invalid;
mod load;
pub mod matrix;
mod model;
pub mod piping;
pub mod quota;
pub mod ranking;
mod retention;
pub mod show_if;
mod show_if_open;
pub mod shuffle;
pub mod translations;
mod validate;
mod webhooks;

pub use load::{Catalog, Problem, is_slug, load_dir, load_dir_lenient};
pub(crate) use load::{ProblemLog, display_name, list_toml_files, read_toml};
pub use model::{Form, FormKind, FormStatus, Question, QuestionType, Section, whole_number};
pub use retention::{DEFAULT_PARTIAL_DAYS, MAX_RETAIN_DAYS};
pub use validate::{
    Accepted, Answers, FieldErrors, MAX_FORM_FIELDS, MAX_TEXT_CHARS, Refusals, is_given,
    prune_hidden_answers, refuse_answers, valid_answers, validate_answers, validate_submission,
    visible_questions,
};
pub use webhooks::{EventType, Webhook};
