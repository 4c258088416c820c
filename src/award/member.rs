//! Committee members' credentials. Experts have no user accounts: each member gets a one-time
//! evaluation code, handed over in the evaluation room, which signs in to a token scoped to one
//! tender and one seat. The store holds only SHA-256 digests of codes and tokens.

use crate::domain::{TenderId, Timestamp, HOUR_MS};
use crate::identity::session::fill_random;
use base64::Engine;

pub const CODE_PREFIX: &str = "bhe_";
pub const TOKEN_PREFIX: &str = "bhm_";
/// A member's token lasts as long as a user's session.
pub const TOKEN_TTL_MS: i64 = 12 * HOUR_MS;

/// A code or token as given to its holder. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    fn generate(prefix: &str, len: usize) -> Self {
        let mut raw = vec![0u8; len];
        fill_random(&mut raw);
        Secret(format!(
            "{prefix}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        ))
    }

    /// A one-time evaluation code (120 random bits).
    pub fn code() -> Self {
        Self::generate(CODE_PREFIX, 15)
    }

    /// A member token (256 random bits).
    pub fn token() -> Self {
        Self::generate(TOKEN_PREFIX, 32)
    }

    /// Accepts only a well-formed secret with `prefix`; anything else is no secret at all.
    pub fn parse(prefix: &str, s: &str) -> Option<Self> {
        let body = s.trim().strip_prefix(prefix)?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .ok()?;
        matches!(raw.len(), 15 | 32).then(|| Secret(s.trim().to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keeps.
    pub fn digest(&self) -> String {
        hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            self.0.as_bytes(),
        ))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A signed-in committee member: one seat of one tender's committee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberSession {
    pub tender_id: TenderId,
    pub seat: i64,
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_round_trip_and_never_show_in_debug() {
        let c = Secret::code();
        assert_eq!(Secret::parse(CODE_PREFIX, c.expose()), Some(c.clone()));
        assert!(Secret::parse(TOKEN_PREFIX, c.expose()).is_none());
        let t = Secret::token();
        assert_eq!(Secret::parse(TOKEN_PREFIX, t.expose()), Some(t.clone()));
        assert!(!format!("{t:?}").contains(&t.expose()[4..]));
        assert_ne!(t.digest(), t.expose());
    }
}
