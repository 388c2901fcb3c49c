//! Summary bookkeeping in sled. Tree `mail`: report id -> `MailState` as JSON.

use super::StoreError;
use super::mail::{MailState, MailStore};
use super::sled_store::{SledStore, backend, decode, encode};

impl MailStore for SledStore {
    fn mail_state(&self, report: &str) -> Result<MailState, StoreError> {
        match self.mail.get(report.as_bytes()).map_err(backend)? {
            Some(bytes) => decode(&bytes),
            None => Ok(MailState::default()),
        }
    }

    fn update_mail_state(
        &self,
        report: &str,
        change: &mut dyn FnMut(&mut MailState),
    ) -> Result<MailState, StoreError> {
        // sled retries the closure when another writer got in first; a record that cannot
        // be read or written is left as it was and reported after.
        let mut failure: Option<StoreError> = None;
        let mut updated = MailState::default();
        self.mail
            .update_and_fetch(report.as_bytes(), |old| {
                failure = None;
                let mut state = match old.map(decode::<MailState>) {
                    None => MailState::default(),
                    Some(Ok(state)) => state,
                    Some(Err(e)) => {
                        failure = Some(e);
                        return old.map(<[u8]>::to_vec);
                    }
                };
                change(&mut state);
                match encode(&state) {
                    Ok(bytes) => {
                        updated = state;
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
