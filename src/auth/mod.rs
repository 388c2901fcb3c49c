//! Who may do what: staff roles, their bearer tokens and browser logins, and (in `request`)
//! reading them off a request.

mod request;

use std::io::Write;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Secret;
pub use request::{SESSION_COOKIE, authorize, caller_role, session_cookie};

/// How long a browser login lasts.
pub const SESSION_DAYS: i64 = 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Interviewer,
    Researcher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthError {
    /// No token, or one that matches no role: 401.
    Unauthenticated,
    /// A valid token whose role is too low: 403.
    Forbidden,
}

#[derive(Debug, Clone)]
pub struct Tokens {
    researcher: Secret,
    interviewer: Option<Secret>,
}

impl Tokens {
    pub fn new(researcher: Secret, interviewer: Option<Secret>) -> Self {
        Tokens {
            researcher,
            interviewer,
        }
    }

    pub fn role_of(&self, token: &str) -> Option<Role> {
        if constant_time_eq(token, self.researcher.expose()) {
            return Some(Role::Researcher);
        }
        match &self.interviewer {
            Some(secret) if constant_time_eq(token, secret.expose()) => Some(Role::Interviewer),
            _ => None,
        }
    }

    /// Whether a session was opened with the token the role has now: rotating a token ends
    /// every browser login made with the old one.
    pub fn still_valid(&self, session: &Session) -> bool {
        let current = match session.role {
            Role::Researcher => Some(&self.researcher),
            Role::Interviewer => self.interviewer.as_ref(),
        };
        current.is_some_and(|token| sha256_hex(token.expose()) == session.token_sha256)
    }

    /// Checks a presented token (if any) against the role an action needs.
    pub fn authorize(&self, token: Option<&str>, needed: Role) -> Result<Role, AuthError> {
        let role = token
            .and_then(|t| self.role_of(t))
            .ok_or(AuthError::Unauthenticated)?;
        if role >= needed {
            Ok(role)
        } else {
            Err(AuthError::Forbidden)
        }
    }
}

/// A browser login. The cookie holds a random session id; the store keeps only its hash,
/// and the session only a hash of the token it was opened with: neither is a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub role: Role,
    pub token_sha256: String,
    /// Unix seconds.
    pub expires_at: i64,
}

impl Session {
    pub fn open(role: Role, token: &str, now: i64) -> Session {
        Session {
            role,
            token_sha256: sha256_hex(token),
            expires_at: now + SESSION_DAYS * 86_400,
        }
    }
}

/// A new session id: 244 random bits, as hex.
pub fn new_session_id() -> String {
    random_token()
}

/// A new single-purpose secret (a session, a resume link, an invitation link): two UUID v4s,
/// 244 bits from the operating system's CSPRNG (`getrandom`, which uuid uses), as 64
/// lowercase hex digits.
pub fn random_token() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Whether `token` could be one `random_token` made; anything else is never looked up.
pub fn well_formed_token(token: &str) -> bool {
    token.len() == 64
        && token
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Compares the tokens' SHA-256 digests in constant time: neither where they first differ
/// nor how long the real token is shows in the time a guess takes.
fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    let (a, b) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    a.as_slice().ct_eq(b.as_slice()).into()
}

/// Reads the researcher token kept in the data directory, or makes and keeps a new one.
/// Returns the token and whether it was just generated.
pub fn load_or_generate_token(path: &Path) -> std::io::Result<(Secret, bool)> {
    if let Ok(existing) = std::fs::read_to_string(path) {
        let token = existing.trim();
        if !token.is_empty() {
            return Ok((Secret::new(token), false));
        }
    }
    let dir = crate::durable::parent(path);
    crate::durable::create_dir_all(dir)?;
    let token = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(token.as_bytes())?;
    file.sync_all()?;
    // The file's name too: a token lost at a power cut would be replaced by a new one.
    crate::durable::sync_dir(dir)?;
    Ok((Secret::new(token), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_when_its_token_is_rotated() {
        let tokens = Tokens::new(Secret::new("r-token"), None);
        let session = Session::open(Role::Researcher, "r-token", 0);
        assert!(tokens.still_valid(&session));
        assert_eq!(session.expires_at, SESSION_DAYS * 86_400);
        let rotated = Tokens::new(Secret::new("new-token"), None);
        assert!(!rotated.still_valid(&session));
        let interviewer = Session::open(Role::Interviewer, "i-token", 0);
        assert!(
            !tokens.still_valid(&interviewer),
            "no interviewer token is set any more"
        );
    }

    #[test]
    fn roles_and_errors() {
        let tokens = Tokens::new(Secret::new("r-token"), Some(Secret::new("i-token")));
        assert_eq!(
            tokens.authorize(Some("r-token"), Role::Researcher),
            Ok(Role::Researcher)
        );
        assert_eq!(
            tokens.authorize(Some("r-token"), Role::Interviewer),
            Ok(Role::Researcher)
        );
        assert_eq!(
            tokens.authorize(Some("i-token"), Role::Interviewer),
            Ok(Role::Interviewer)
        );
        assert_eq!(
            tokens.authorize(Some("i-token"), Role::Researcher),
            Err(AuthError::Forbidden)
        );
        assert_eq!(
            tokens.authorize(Some("nope"), Role::Interviewer),
            Err(AuthError::Unauthenticated)
        );
        assert_eq!(
            tokens.authorize(None, Role::Interviewer),
            Err(AuthError::Unauthenticated)
        );
    }
}
