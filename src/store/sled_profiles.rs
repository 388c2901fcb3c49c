//! The team's words on cards in sled. Tree `profiles`: report id, 0xFF, segment ->
//! `CardNotes` as JSON.

use super::StoreError;
use super::profiles::{CardNotes, ProfileStore};
use super::sled_store::{SledStore, backend, decode, encode, form_key};

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
        // As with the mail record: sled may rerun the closure, and a record that cannot be
        // read or written is left as it was and reported after.
        let mut failure: Option<StoreError> = None;
        let mut updated = CardNotes::default();
        self.profiles
            .update_and_fetch(form_key(report, segment.as_bytes()), |old| {
                failure = None;
                let mut record = match old.map(decode::<CardNotes>) {
                    None => CardNotes::default(),
                    Some(Ok(record)) => record,
                    Some(Err(e)) => {
                        failure = Some(e);
                        return old.map(<[u8]>::to_vec);
                    }
                };
                change(&mut record);
                match encode(&record) {
                    Ok(bytes) => {
                        updated = record;
                        Some(bytes)
                    }
                    Err(e) => {
                        failure = Some(e);
                        old.map(<[u8]>::to_vec)
                    }
                }
            })
            .map_err(backend)?;
        if let Some(e) = failure {
            return Err(e);
        }
        self.flusher.wait_durable()?;
        Ok(updated)
    }
}
