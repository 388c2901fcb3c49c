//! Analysis of collected answers: statistics, per-segment aggregates and report figures.

pub mod stats;
