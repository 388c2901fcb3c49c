//! Browser logins in sled: tree `sessions`, the SHA-256 of a session id -> `Session` as JSON.

use super::sled_store::{SledStore, backend, decode, encode};
use super::{SessionStore, StoreError};
use crate::auth::Session;

impl SessionStore for SledStore {
    fn put_session(&self, id_sha256: &str, session: &Session) -> Result<(), StoreError> {
        let record = encode(session)?;
        let guard = self.lock()?;
        self.sessions
            .insert(id_sha256.as_bytes(), record)
            .map_err(backend)?;
        drop(guard);
        self.flusher.wait_durable()
    }

    fn session(&self, id_sha256: &str) -> Result<Option<Session>, StoreError> {
        match self.sessions.get(id_sha256.as_bytes()).map_err(backend)? {
            Some(bytes) => decode(&bytes).map(Some),
            None => Ok(None),
        }
    }

    fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError> {
        let guard = self.lock()?;
        self.sessions
            .remove(id_sha256.as_bytes())
            .map_err(backend)?;
        drop(guard);
        self.flusher.wait_durable()
    }
}
