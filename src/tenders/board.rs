//! A cache of the notice board's answers. The board is read far more than it changes: answers are
//! kept for the current second of the hall's clock and dropped at once when this process changes
//! a published tender, so a reader sees a change made elsewhere (another process on the same
//! database) within a second and its own changes immediately.

use crate::domain::Timestamp;
use bytes::Bytes;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const MAX_ENTRIES: usize = 4096;

#[derive(Default)]
pub struct BoardCache {
    /// Set to measure the board without the cache (the benchmark does).
    bypass: std::sync::atomic::AtomicBool,
    version: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    second: i64,
    version: u64,
    answers: HashMap<String, Bytes>,
}

impl BoardCache {
    /// The version to hand back to `put`, read before computing an answer.
    pub fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    pub fn set_bypass(&self, bypass: bool) {
        self.bypass.store(bypass, Ordering::SeqCst);
        self.invalidate();
    }

    pub fn get(&self, key: &str, now: Timestamp) -> Option<Bytes> {
        if self.bypass.load(Ordering::Relaxed) {
            return None;
        }
        let inner = self.inner.lock().ok()?;
        if inner.second != now.millis().div_euclid(1000) || inner.version != self.version() {
            return None;
        }
        inner.answers.get(key).cloned()
    }

    /// Keeps an answer computed at `now` from the board as of `version`, unless the board changed
    /// since (the answer may predate the change).
    pub fn put(&self, key: String, now: Timestamp, version: u64, answer: Bytes) {
        let Ok(mut inner) = self.inner.lock() else {
            return;
        };
        let second = now.millis().div_euclid(1000);
        if version != self.version() {
            return;
        }
        if inner.second != second || inner.version != version || inner.answers.len() >= MAX_ENTRIES
        {
            inner.answers.clear();
            inner.second = second;
            inner.version = version;
        }
        inner.answers.insert(key, answer);
    }

    /// Drops every answer: a published tender changed.
    pub fn invalidate(&self) {
        self.version.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut inner) = self.inner.lock() {
            inner.answers.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_stored(ms)
    }

    #[test]
    fn answers_last_one_second_and_die_with_a_change() {
        let c = BoardCache::default();
        let v = c.version();
        c.put("q".into(), at(5_000), v, Bytes::from_static(b"a"));
        assert_eq!(c.get("q", at(5_999)).as_deref(), Some(&b"a"[..]));
        assert!(
            c.get("q", at(6_000)).is_none(),
            "the next second recomputes"
        );
        c.put("q".into(), at(6_000), v, Bytes::from_static(b"b"));
        c.invalidate();
        assert!(c.get("q", at(6_000)).is_none(), "a change drops the answer");
        // an answer computed before the change is not kept
        c.put("q".into(), at(6_000), v, Bytes::from_static(b"stale"));
        assert!(c.get("q", at(6_000)).is_none());
    }
}
