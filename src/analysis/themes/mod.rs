//! Theme counts across open-ended answers and interview notes.

pub mod matcher;
