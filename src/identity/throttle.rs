//! Throttling of password guessing and of anonymous self-registration, per account and per network
//! address, on the hall's clock (docs/api.md, "Limits").
//!
//! - A login that fails [`LOGIN_FAILURES`] times within [`WINDOW_MS`] is locked for one minute,
//!   doubling with each further lock up to an hour; a success clears its count.
//! - An address that fails [`ADDRESS_FAILURES`] times within the window is locked for the window.
//! - An address registers at most [`REGISTRATIONS`] organisations per hour.
//!
//! While locked, the hall answers `429 too_many_attempts` with `Retry-After` and does not look at
//! the password, so a lock cannot be used to test guesses. The counts live in this process's
//! memory: several nodes each count their own (a guesser spread over n nodes gets n times the
//! budget, still bounded).

use crate::domain::Timestamp;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

pub const WINDOW_MS: i64 = 15 * 60 * 1000;
pub const LOGIN_FAILURES: usize = 5;
pub const ADDRESS_FAILURES: usize = 30;
/// Self-registrations per address per hour, unless configured (`BIDHALL_REGISTRATIONS_PER_HOUR`).
pub const REGISTRATIONS: usize = 5;
const REGISTRATION_WINDOW_MS: i64 = 60 * 60 * 1000;
const FIRST_LOCK_MS: i64 = 60 * 1000;
const LONGEST_LOCK_MS: i64 = 60 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Login(String),
    Address(IpAddr),
    Registration(IpAddr),
}

#[derive(Debug, Default)]
struct Record {
    /// Failures (or registrations) within the window, oldest first.
    recent: Vec<Timestamp>,
    locked_until: Option<Timestamp>,
    /// How many times this key has been locked: the next lock is twice as long.
    locks: u32,
}

/// Refused until this moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockedUntil(pub Timestamp);

impl LockedUntil {
    /// Whole seconds to wait, for `Retry-After` (at least 1).
    pub fn retry_after_seconds(&self, now: Timestamp) -> i64 {
        ((self.0.millis() - now.millis() + 999) / 1000).max(1)
    }
}

#[derive(Debug)]
pub struct Throttle {
    records: Mutex<HashMap<Key, Record>>,
    registrations_per_hour: usize,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(REGISTRATIONS)
    }
}

fn login_key(login: &str) -> Key {
    Key::Login(login.trim().to_lowercase())
}

impl Throttle {
    pub fn new(registrations_per_hour: usize) -> Self {
        Throttle {
            records: Mutex::new(HashMap::new()),
            registrations_per_hour,
        }
    }

    /// May a sign-in for `login` from `address` be tried now?
    pub fn may_sign_in(
        &self,
        login: &str,
        address: Option<IpAddr>,
        now: Timestamp,
    ) -> Result<(), LockedUntil> {
        let records = self
            .records
            .lock()
            .expect("the throttle's lock is never poisoned");
        let mut keys = vec![login_key(login)];
        keys.extend(address.map(Key::Address));
        let until = keys
            .iter()
            .filter_map(|k| records.get(k).and_then(|r| r.locked_until))
            .filter(|u| *u > now)
            .max();
        match until {
            Some(u) => Err(LockedUntil(u)),
            None => Ok(()),
        }
    }

    /// A wrong login or password: counts it; `Some` when this failure locks the login.
    pub fn failed(
        &self,
        login: &str,
        address: Option<IpAddr>,
        now: Timestamp,
    ) -> Option<LockedUntil> {
        let mut records = self
            .records
            .lock()
            .expect("the throttle's lock is never poisoned");
        let mut locked = None;
        let login_lock = count(
            &mut records,
            login_key(login),
            now,
            WINDOW_MS,
            LOGIN_FAILURES,
            |locks| (FIRST_LOCK_MS << locks.min(6)).min(LONGEST_LOCK_MS),
        );
        if login_lock.is_some() {
            locked = login_lock;
        }
        if let Some(a) = address {
            if let Some(u) = count(
                &mut records,
                Key::Address(a),
                now,
                WINDOW_MS,
                ADDRESS_FAILURES,
                |_| WINDOW_MS,
            ) {
                locked = Some(locked.map_or(u, |l: LockedUntil| LockedUntil(l.0.max(u.0))));
            }
        }
        locked
    }

    /// A successful sign-in clears the login's count (not the address's: one good password
    /// does not license guessing others).
    pub fn succeeded(&self, login: &str) {
        let mut records = self
            .records
            .lock()
            .expect("the throttle's lock is never poisoned");
        records.remove(&login_key(login));
    }

    /// May `address` register another organisation now? Counts it when it may.
    pub fn may_register(&self, address: Option<IpAddr>, now: Timestamp) -> Result<(), LockedUntil> {
        let Some(a) = address else { return Ok(()) };
        let mut records = self
            .records
            .lock()
            .expect("the throttle's lock is never poisoned");
        let r = records.entry(Key::Registration(a)).or_default();
        r.recent
            .retain(|t| now.millis() - t.millis() < REGISTRATION_WINDOW_MS);
        if r.recent.len() >= self.registrations_per_hour {
            let oldest = r.recent[0];
            return Err(LockedUntil(oldest.plus_millis(REGISTRATION_WINDOW_MS)));
        }
        r.recent.push(now);
        Ok(())
    }
}

/// Counts one event for `key`; locks it when `limit` events fall within `window`.
fn count(
    records: &mut HashMap<Key, Record>,
    key: Key,
    now: Timestamp,
    window: i64,
    limit: usize,
    lock_ms: impl Fn(u32) -> i64,
) -> Option<LockedUntil> {
    let r = records.entry(key).or_default();
    r.recent.retain(|t| now.millis() - t.millis() < window);
    r.recent.push(now);
    if r.recent.len() < limit {
        return None;
    }
    let until = now.plus_millis(lock_ms(r.locks));
    r.locks += 1;
    r.recent.clear();
    r.locked_until = Some(until);
    Some(LockedUntil(until))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_stored(1_800_000_000_000 + ms)
    }

    #[test]
    fn five_wrong_passwords_lock_the_login_for_a_minute_then_longer() {
        let t = Throttle::default();
        let ip: IpAddr = "203.0.113.7".parse().unwrap();
        for i in 0..4 {
            assert_eq!(t.may_sign_in("Agent", Some(ip), at(i)), Ok(()));
            assert_eq!(t.failed("agent", Some(ip), at(i)), None);
        }
        let lock = t.failed("AGENT ", Some(ip), at(4)).unwrap();
        assert_eq!(lock, LockedUntil(at(4 + 60_000)));
        assert_eq!(lock.retry_after_seconds(at(4)), 60);
        // locked from every address, whatever the password
        let elsewhere: IpAddr = "198.51.100.1".parse().unwrap();
        assert!(t.may_sign_in("agent", Some(elsewhere), at(5)).is_err());
        assert_eq!(
            t.may_sign_in("agent", Some(elsewhere), at(4 + 60_000)),
            Ok(())
        );
        // the next lock is twice as long
        for i in 0..5 {
            t.failed("agent", Some(elsewhere), at(70_000 + i));
        }
        assert_eq!(
            t.may_sign_in("agent", None, at(70_005)),
            Err(LockedUntil(at(70_004 + 120_000)))
        );
        // another login is not affected
        assert_eq!(t.may_sign_in("owner", Some(elsewhere), at(70_005)), Ok(()));
    }

    #[test]
    fn failures_outside_the_window_and_a_success_clear_the_count() {
        let t = Throttle::default();
        for i in 0..4 {
            t.failed("owner", None, at(i));
        }
        assert_eq!(t.failed("owner", None, at(WINDOW_MS + 10)), None);
        for i in 0..3 {
            t.failed("owner", None, at(WINDOW_MS + 20 + i));
        }
        t.succeeded("owner");
        for i in 0..4 {
            assert_eq!(t.failed("owner", None, at(WINDOW_MS + 30 + i)), None);
        }
    }

    #[test]
    fn one_address_guessing_many_logins_is_locked_for_the_window() {
        let t = Throttle::default();
        let ip: IpAddr = "203.0.113.9".parse().unwrap();
        let mut locked = None;
        for i in 0..ADDRESS_FAILURES {
            locked = t.failed(&format!("user{i}"), Some(ip), at(i as i64));
        }
        assert_eq!(
            locked,
            Some(LockedUntil(at(ADDRESS_FAILURES as i64 - 1 + WINDOW_MS)))
        );
        assert!(t.may_sign_in("fresh", Some(ip), at(100)).is_err());
        assert_eq!(t.may_sign_in("fresh", None, at(100)), Ok(()));
    }

    #[test]
    fn an_address_registers_five_organisations_an_hour() {
        let t = Throttle::default();
        let ip: IpAddr = "203.0.113.10".parse().unwrap();
        for i in 0..5 {
            assert_eq!(t.may_register(Some(ip), at(i)), Ok(()));
        }
        assert_eq!(
            t.may_register(Some(ip), at(10)),
            Err(LockedUntil(at(REGISTRATION_WINDOW_MS)))
        );
        assert_eq!(t.may_register(Some(ip), at(REGISTRATION_WINDOW_MS)), Ok(()));
    }
}
