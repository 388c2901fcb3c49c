//! Which backend a command uses, named by one URL (`--store` / `FIELDNOTES_STORE`): `sled:PATH`
//! (the default: the data directory's `db`) or `postgres://…` / `postgresql://…`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::pg::PgStore;
use super::{
    ContactStore, GuardedStore, InvitationStore, SledStore, Store, StoreError, TextBackend,
};

/// Every concern of a store, contacts and outside texts included: what a command holds.
pub trait Backend: Store + ContactStore + TextBackend + InvitationStore {}

impl<T: Store + ContactStore + TextBackend + InvitationStore> Backend for T {}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    Sled(PathBuf),
    Postgres(String),
}

impl StoreUrl {
    /// The sled store in a data directory, as every command used before `--store` existed.
    pub fn sled_in(data_dir: &Path) -> StoreUrl {
        StoreUrl::Sled(data_dir.join("db"))
    }

    pub fn parse(text: &str) -> Result<StoreUrl, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("sled:") {
            if path.is_empty() {
                return Err("a sled store needs a path: sled:PATH".into());
            }
            return Ok(StoreUrl::Sled(PathBuf::from(path)));
        }
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres(text.to_string()));
        }
        Err(format!(
            "'{}' names no store: use sled:PATH or postgres://user:password@host:port/database",
            super::pg::redacted(text)
        ))
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, StoreUrl::Postgres(_))
    }

    /// Opens the store for a server: sled kept working through a full disk (writes need
    /// `min_free` bytes free), PostgreSQL as it is.
    pub fn open_for_serving(&self, min_free: u64) -> Result<Arc<dyn Backend>, StoreError> {
        Ok(match self {
            StoreUrl::Sled(dir) => Arc::new(GuardedStore::open(dir, min_free)?),
            StoreUrl::Postgres(url) => Arc::new(PgStore::connect(url)?),
        })
    }

    /// Opens the store for one pass of an offline command (an export, a report, a copy).
    pub fn open_for_one_pass(&self) -> Result<Arc<dyn Backend>, StoreError> {
        Ok(match self {
            StoreUrl::Sled(dir) => Arc::new(SledStore::open_for_one_pass(dir)?),
            StoreUrl::Postgres(url) => Arc::new(PgStore::connect(url)?),
        })
    }

    /// Whether there is a store there at all: opening a missing sled directory would make
    /// an empty store, which a mistyped path must not. A database server is asked at open.
    pub fn exists(&self) -> bool {
        match self {
            StoreUrl::Sled(dir) => dir.is_dir(),
            StoreUrl::Postgres(_) => true,
        }
    }
}

impl fmt::Display for StoreUrl {
    /// The URL without a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sled(dir) => write!(f, "sled:{}", dir.display()),
            StoreUrl::Postgres(url) => f.write_str(&super::pg::redacted(url)),
        }
    }
}

impl std::str::FromStr for StoreUrl {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        StoreUrl::parse(text)
    }
}

#[cfg(test)]
mod tests {
    use super::StoreUrl;
    use std::path::PathBuf;

    #[test]
    fn urls_name_their_backend_and_bad_ones_say_what_is_accepted() {
        assert_eq!(
            StoreUrl::parse("sled:/var/lib/fieldnotes/db"),
            Ok(StoreUrl::Sled(PathBuf::from("/var/lib/fieldnotes/db")))
        );
        assert!(StoreUrl::parse("postgresql://u:p@h:5432/d").is_ok_and(|u| u.is_postgres()));
        let refused = StoreUrl::parse("mysql://root:hunter2@db/x");
        assert!(refused.as_ref().is_err_and(|e| e.contains("sled:PATH")));
        assert!(refused.is_err_and(|e| !e.contains("hunter2")));
        assert!(StoreUrl::parse("sled:").is_err());
        let shown = StoreUrl::parse("postgres://app:secret@db:5432/fieldnotes")
            .map(|u| u.to_string())
            .unwrap_or_default();
        assert_eq!(shown, "postgres://app@db:5432/fieldnotes");
    }
}
