//! Each profile card's headline in the summary: its label (or segment), n, and the first
//! thing that sets it apart.

use crate::profiles::Profiles;

pub struct CardLine {
    pub title: String,
    pub n: u64,
    pub sentence: String,
}

pub fn card_lines(profiles: Option<&Profiles>) -> Vec<CardLine> {
    let Some(profiles) = profiles else {
        return Vec::new();
    };
    profiles
        .cards
        .iter()
        .map(|c| CardLine {
            title: c.title().to_string(),
            n: c.n,
            sentence: c.distinctive.first().map_or_else(
                || "Nothing sets this segment apart from the others yet.".to_string(),
                |d| d.sentence.clone(),
            ),
        })
        .collect()
}
