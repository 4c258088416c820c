//! Sign-in sessions. The client holds a random 256-bit token; the store holds only its SHA-256,
//! so a copy of the database cannot be used to sign in.

use crate::domain::{Timestamp, UserId};
use base64::Engine;
use ring::rand::SecureRandom;

pub const TOKEN_PREFIX: &str = "bh_";

pub fn fill_random(buf: &mut [u8]) {
    ring::rand::SystemRandom::new()
        .fill(buf)
        .expect("the operating system's random source failed");
}

/// A bearer token as given to the client. Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl SessionToken {
    pub fn generate() -> Self {
        let mut raw = [0u8; 32];
        fill_random(&mut raw);
        SessionToken(format!(
            "{TOKEN_PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
        ))
    }

    /// Accepts only well-formed tokens; anything else is treated as no token at all.
    pub fn parse(s: &str) -> Option<Self> {
        let body = s.strip_prefix(TOKEN_PREFIX)?;
        let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(body)
            .ok()?;
        (raw.len() == 32).then(|| SessionToken(s.to_string()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the store keys sessions by.
    pub fn digest(&self) -> String {
        hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            self.0.as_bytes(),
        ))
    }
}

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(…)")
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub token_digest: String,
    pub user_id: UserId,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_forgeries_do_not_parse() {
        let t = SessionToken::generate();
        assert_eq!(SessionToken::parse(t.expose()), Some(t.clone()));
        assert!(SessionToken::parse("bh_short").is_none());
        assert!(SessionToken::parse("Bearer x").is_none());
        assert_ne!(t.digest(), t.expose());
        assert!(!format!("{t:?}").contains(&t.expose()[3..]));
    }
}
