//! Who may do what: staff roles and their bearer tokens.

use std::io::Write;
use std::path::Path;

use crate::config::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
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

/// Compares without stopping at the first difference, so timing reveals nothing of the token.
fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
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
    Ok((Secret::new(token), true))
}

#[cfg(test)]
mod tests {
    use super::*;

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
