//! Passwords are hashed with argon2id (PHC string) and never kept, logged or returned in the clear.

use crate::domain::InvalidValue;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A password as typed; its `Debug` never shows it.
#[derive(Clone, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl Password {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let n = s.chars().count();
        if n < 10 {
            return Err(InvalidValue::new(
                "too_short",
                "a password needs at least 10 characters",
            ));
        }
        if n > 256 {
            return Err(InvalidValue::new(
                "too_long",
                "a password has at most 256 characters",
            ));
        }
        Ok(Password(s.to_string()))
    }

    pub fn hash(&self) -> PasswordHash {
        let mut salt = [0u8; 16];
        crate::identity::session::fill_random(&mut salt);
        let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt length");
        let hash = Argon2::default()
            .hash_password(self.0.as_bytes(), &salt)
            .expect("argon2 with default parameters cannot fail on a bounded password");
        PasswordHash(hash.to_string())
    }

    /// Checks against a stored hash. With `None` (unknown login) it still spends the same work, so
    /// a response time does not tell whether a login exists.
    pub fn verify(&self, stored: Option<&PasswordHash>) -> bool {
        static DECOY: std::sync::OnceLock<PasswordHash> = std::sync::OnceLock::new();
        let decoy = DECOY.get_or_init(|| Password("decoy-password-never-matches".into()).hash());
        let (hash, real) = match stored {
            Some(h) => (h, true),
            None => (decoy, false),
        };
        let Ok(parsed) = argon2::PasswordHash::new(&hash.0) else {
            return false;
        };
        Argon2::default()
            .verify_password(self.0.as_bytes(), &parsed)
            .is_ok()
            && real
    }
}

impl TryFrom<String> for Password {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Password::parse(&s)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

/// An argon2id PHC string, safe to store.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    pub fn from_stored(s: String) -> Self {
        PasswordHash(s)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(…)")
    }
}

/// Passwords too common to keep anything out: the top of every leaked list, keyboard walks and
/// the hall's own words. Compared in lower case with spaces, `-`, `_` and `.` left out.
const COMMON: &[&str] = &[
    "1234567890",
    "0123456789",
    "12345678910",
    "1234567890a",
    "a1234567890",
    "123456789a",
    "1234567890123",
    "0987654321",
    "1122334455",
    "1357924680",
    "password",
    "password1",
    "password12",
    "password123",
    "password1234",
    "passw0rd123",
    "p@ssw0rd123",
    "qwertyuiop",
    "qwertyuiop123",
    "qwerty123456",
    "asdfghjkl",
    "asdfghjkl123",
    "zxcvbnm123",
    "1qaz2wsx3edc",
    "qazwsxedc123",
    "iloveyou123",
    "abc1234567",
    "abcd123456",
    "abcdefghij",
    "aaaaaaaaaa",
    "woaini1314",
    "woaini520",
    "5201314520",
    "1314520520",
    "admin12345",
    "administrator",
    "welcome123",
    "changeme123",
    "letmein123",
    "bidhall123",
    "bidhall1234",
    "bidhallbidhall",
    "zhaobiao123",
    "toubiao123",
    "gonggongziyuan",
];

/// May `password` be set for a new account? Refuses what a guesser tries first: the common
/// passwords, a single repeated character, a run of consecutive digits or letters, and a
/// password made of the account's own words (`context`: login, name, organisation, credit code).
pub fn check_new(password: &Password, context: &[&str]) -> Result<(), InvalidValue> {
    let plain: String = password
        .0
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
        .collect();
    let weak = |why: &str| Err(InvalidValue::new("weak_password", why.to_string()));
    if COMMON.contains(&plain.as_str()) {
        return weak("this password is among the first any guesser tries");
    }
    let chars: Vec<char> = plain.chars().collect();
    if chars.windows(2).all(|w| w[0] == w[1]) {
        return weak("a password of one repeated character is guessed at once");
    }
    let step = |w: &[char]| (w[1] as i32) - (w[0] as i32);
    if chars.len() > 1 && chars.windows(2).all(|w| step(w) == 1 || step(w) == -1) {
        return weak("a run of consecutive characters is guessed at once");
    }
    for word in context {
        let w: String = word
            .to_lowercase()
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '_' | '.'))
            .collect();
        if w.chars().count() >= 4 && (plain.contains(&w) || w.contains(&plain)) {
            return weak("a password made of the account's own login or names is guessed at once");
        }
    }
    Ok(())
}

/// Runs password hashing on the blocking pool, at most one hash per core at a time: a flood of
/// sign-ins waits its turn there instead of stalling the async workers that serve everyone else.
pub async fn hashing<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let slots = SLOTS.get_or_init(|| {
        tokio::sync::Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _slot = slots
        .acquire()
        .await
        .expect("the semaphore is never closed");
    tokio::task::spawn_blocking(work)
        .await
        .expect("password hashing does not panic")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_trivial_and_self_derived_passwords_are_refused_for_new_accounts() {
        let p = |s: &str| Password::parse(s).unwrap();
        for weak in [
            "1234567890",
            "Password123",
            "qwerty-uiop",
            "aaaaaaaaaaaa",
            "abcdefghijkl",
            "9876543210",
        ] {
            assert_eq!(
                check_new(&p(weak), &[]).unwrap_err().rule,
                "weak_password",
                "{weak}"
            );
        }
        assert_eq!(
            check_new(&p("zhangwei2027!"), &["zhangwei", "张伟"])
                .unwrap_err()
                .rule,
            "weak_password"
        );
        for fine in [
            "bidhall-demo-2026",
            "correct horse battery",
            "a long enough password",
        ] {
            assert!(
                check_new(&p(fine), &["agent", "沈阳市公共资源交易中心"]).is_ok(),
                "{fine}"
            );
        }
    }

    #[test]
    fn right_password_verifies_and_wrong_one_does_not() {
        let p = Password::parse("correct horse battery").unwrap();
        let h = p.hash();
        assert!(h.as_str().starts_with("$argon2id$"));
        assert!(!h.as_str().contains("correct horse"));
        assert!(p.verify(Some(&h)));
        assert!(!Password::parse("wrong horse battery")
            .unwrap()
            .verify(Some(&h)));
        assert!(!p.verify(None));
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert_eq!(Password::parse("short").unwrap_err().rule, "too_short");
    }
}
