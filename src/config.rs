//! Settings for a running server: embedded defaults, overridden by environment and flags (in main).

use std::fmt;
use std::path::PathBuf;

pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// A token or password: printed nowhere by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub data_dir: PathBuf,
    pub forms_dir: PathBuf,
    pub reports_dir: PathBuf,
    pub researcher_token: Option<Secret>,
    pub interviewer_token: Option<Secret>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: DEFAULT_ADDR.into(),
            data_dir: "data".into(),
            forms_dir: "forms".into(),
            reports_dir: "reports".into(),
            researcher_token: None,
            interviewer_token: None,
        }
    }
}

impl Config {
    /// Where sled keeps its files, inside the data directory.
    pub fn db_dir(&self) -> PathBuf {
        self.data_dir.join("db")
    }

    pub fn researcher_token_file(&self) -> PathBuf {
        self.data_dir.join("researcher-token")
    }
}
