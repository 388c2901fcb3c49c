//! The team's words on cards in sled. Tree `profiles`: report id, 0xFF, segment ->
//! `CardNotes` as JSON.

use super::StoreError;
use super::profiles::{CardNotes, ProfileStore};
use super::sled_store::{SledStore, backend, decode, form_key, update_record};

impl ProfileStore for SledStore {
    fn card_notes(&self, report: &str, segment: &str) -> Result<CardNotes, StoreError> {
        match self
            .profiles
            .get(form_key(report, segment.as_bytes()))
            .map_err(backend)?
        {
            Some(bytes) => decode(&bytes),
            None => Ok(CardNotes::default()),
        }
    }

    fn update_card_notes(
        &self,
        report: &str,
        segment: &str,
        change: &mut dyn FnMut(&mut CardNotes),
    ) -> Result<CardNotes, StoreError> {
        update_record(
            self,
            &self.profiles,
            &form_key(report, segment.as_bytes()),
            change,
        )
    }
}
