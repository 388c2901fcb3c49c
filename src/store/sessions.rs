//! Browser logins, kept under the SHA-256 of their id (the id itself is never stored).

use super::StoreError;
use crate::auth::Session;

pub trait SessionStore: Send + Sync + 'static {
    /// Keeps a browser login; durable when it returns.
    fn put_session(&self, id_sha256: &str, session: &Session) -> Result<(), StoreError>;

    fn session(&self, id_sha256: &str) -> Result<Option<Session>, StoreError>;

    /// Ends a browser login; durable when it returns.
    fn delete_session(&self, id_sha256: &str) -> Result<(), StoreError>;
}
