//! Forms: the file format, loading with the bank, `show_if` logic and answer validation.

mod load;
mod model;
pub mod show_if;
mod validate;

pub use load::{Catalog, Problem, load_dir};
pub use model::{Form, FormKind, FormStatus, Question, QuestionType, Section};
pub use validate::{
    Accepted, Answers, FieldErrors, MAX_TEXT_CHARS, is_given, prune_hidden_answers,
    validate_answers, validate_submission, visible_questions,
};
