//! Theme counts across open-ended answers and interview notes.

pub mod codebook;
pub mod drill;
pub mod figures;
pub mod matcher;

pub use codebook::{Codebook, DEFAULT_LANGUAGE, TextAnalysis};
