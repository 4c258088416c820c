//! A payer account's access code (网银口令): 32 random bytes, given to the payer once when the
//! account is opened. The bank keeps only its SHA-256 and compares digests, so neither the journal
//! nor a log can open an account. Who pays which bond before the deadline stays the payer's (法22).

use base64::Engine;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

const PREFIX: &str = "sbx_";

/// The code as the payer holds it. Its `Debug` never shows it.
#[derive(Clone)]
pub struct AccessCode(Zeroizing<String>);

impl AccessCode {
    pub fn generate() -> AccessCode {
        let mut raw = Zeroizing::new([0u8; 32]);
        crate::identity::session::fill_random(&mut raw[..]);
        AccessCode(Zeroizing::new(format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&raw[..])
        )))
    }

    /// Only well-formed codes; anything else opens nothing.
    pub fn parse(s: &str) -> Option<AccessCode> {
        let body = s.trim().strip_prefix(PREFIX)?;
        let raw = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(body)
                .ok()?,
        );
        (raw.len() == 32).then(|| AccessCode(Zeroizing::new(format!("{PREFIX}{body}"))))
    }

    /// The code itself, to give to its payer once (and to keep in that payer's cookie).
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> AccessDigest {
        let d = ring::digest::digest(&ring::digest::SHA256, self.0.as_bytes());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        AccessDigest(out)
    }
}

impl std::fmt::Debug for AccessCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessCode(…)")
    }
}

/// What the journal keeps of a code: its SHA-256, as 64 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccessDigest([u8; 32]);

impl AccessDigest {
    /// Whether `code` is the one this digest was made from. Digests are compared in full, without
    /// stopping at the first differing byte.
    pub fn opens_with(&self, code: &AccessCode) -> bool {
        same(&self.0, &code.digest().0)
    }

    /// Stands in for an account that does not exist or has no code, so refusing it costs the same
    /// work as refusing a wrong code.
    pub fn nothing() -> AccessDigest {
        AccessDigest([0xff; 32])
    }
}

fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

impl TryFrom<String> for AccessDigest {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        let bad = || "an access digest is 64 lowercase hex digits".to_owned();
        if s.len() != 64 || s.bytes().any(|b| b.is_ascii_uppercase()) {
            return Err(bad());
        }
        let bytes = hex::decode(&s).map_err(|_| bad())?;
        Ok(AccessDigest(bytes.try_into().map_err(|_| bad())?))
    }
}

impl From<AccessDigest> for String {
    fn from(d: AccessDigest) -> String {
        hex::encode(d.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_opens_only_its_own_digest_and_never_shows_itself() {
        let code = AccessCode::generate();
        let other = AccessCode::generate();
        assert!(code.digest().opens_with(&code));
        assert!(!code.digest().opens_with(&other));
        assert!(!AccessDigest::nothing().opens_with(&code));
        assert_eq!(
            AccessCode::parse(code.expose()).unwrap().expose(),
            code.expose()
        );
        assert!(!format!("{code:?}").contains(&code.expose()[4..]));
        let stored = String::from(code.digest());
        assert!(!stored.contains(&code.expose()[4..]));
        assert_eq!(AccessDigest::try_from(stored).unwrap(), code.digest());
    }

    #[test]
    fn malformed_codes_and_digests_are_refused() {
        for bad in ["", "sbx_", "sbx_short", "bh_AAAA", "Bearer sbx_x"] {
            assert!(AccessCode::parse(bad).is_none(), "{bad}");
        }
        assert!(AccessDigest::try_from("ab".to_owned()).is_err());
        assert!(AccessDigest::try_from("AB".repeat(32)).is_err());
    }
}
