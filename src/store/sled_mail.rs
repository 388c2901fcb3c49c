//! Summary bookkeeping in sled. Tree `mail`: report id -> `MailState` as JSON.

use super::StoreError;
use super::mail::{MailState, MailStore};
use super::sled_store::{SledStore, backend, decode, update_record};

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
        update_record(self, &self.mail, report.as_bytes(), change)
    }
}
