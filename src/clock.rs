//! The one source of "now". Every deadline in the hall is decided by a `Clock`, so tests move time
//! by setting a `ManualClock` instead of sleeping.

use crate::domain::Timestamp;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Mutex;

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
    /// The time sessions are measured on. The hall's time everywhere but in the demo, whose
    /// moves of the hall's time must not sign its users out.
    fn wall(&self) -> Timestamp {
        self.now()
    }
    /// Moves the clock forward by `ms`, if this clock can be moved (the demo's and the tests'
    /// clocks); the system clock cannot, and says so by returning `false`.
    fn advance(&self, ms: i64) -> bool {
        let _ = ms;
        false
    }
}

pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        Timestamp::from_stored(ms)
    }
}

/// A clock that only moves when told to. Its sessions are measured on it too, unless it stands in
/// for the demo's clock, whose moves sign nobody out (`with_real_sessions`).
pub struct ManualClock(AtomicI64, bool);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        ManualClock(AtomicI64::new(at.millis()), false)
    }
    /// A clock at `at` whose sessions run on the system's time, as the demo clock's do.
    pub fn with_real_sessions(at: Timestamp) -> Self {
        ManualClock(AtomicI64::new(at.millis()), true)
    }
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.millis(), Ordering::SeqCst);
    }
    pub fn advance_millis(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_stored(self.0.load(Ordering::SeqCst))
    }
    fn wall(&self) -> Timestamp {
        if self.1 {
            SystemClock.now()
        } else {
            self.now()
        }
    }
    fn advance(&self, ms: i64) -> bool {
        self.advance_millis(ms);
        true
    }
}

/// The demo hall's clock: the system's time plus an offset that only grows, so a visitor can walk a
/// tender through its 20-day bidding period, the 3-day publicity and the refund dates in minutes.
/// The offset is kept in a file of the data directory, so a restarted demo never goes back to an
/// earlier time (a completed tender would be open for bids again). Never used outside
/// `serve --demo`.
pub struct DemoClock {
    offset_ms: AtomicI64,
    /// Where the offset is kept; none: in memory only.
    file: Option<PathBuf>,
    /// Moves are written one at a time.
    writing: Mutex<()>,
}

impl Default for DemoClock {
    fn default() -> Self {
        DemoClock {
            offset_ms: AtomicI64::new(0),
            file: None,
            writing: Mutex::new(()),
        }
    }
}

impl DemoClock {
    /// The demo clock whose offset is kept in `file`, as far as it was moved before.
    pub fn open(file: PathBuf) -> Result<Self, String> {
        let offset = match std::fs::read_to_string(&file) {
            Ok(text) => text
                .trim()
                .parse::<i64>()
                .ok()
                .filter(|ms| *ms >= 0)
                .ok_or_else(|| format!("{}: not a clock offset", file.display()))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Err(format!("{}: {e}", file.display())),
        };
        Ok(DemoClock {
            offset_ms: AtomicI64::new(offset),
            file: Some(file),
            writing: Mutex::new(()),
        })
    }

    /// Writes `offset` where it is kept, whole or not at all.
    fn keep(&self, offset: i64) -> std::io::Result<()> {
        let Some(file) = &self.file else {
            return Ok(());
        };
        let tmp = file.with_extension("tmp");
        std::fs::write(&tmp, offset.to_string())?;
        std::fs::rename(&tmp, file)
    }
}

impl Clock for DemoClock {
    fn now(&self) -> Timestamp {
        let system = SystemClock.now().millis();
        Timestamp::from_stored(system + self.offset_ms.load(Ordering::SeqCst))
    }
    fn wall(&self) -> Timestamp {
        SystemClock.now()
    }
    fn advance(&self, ms: i64) -> bool {
        if ms <= 0 {
            return false;
        }
        let _one_at_a_time = self.writing.lock().unwrap_or_else(|e| e.into_inner());
        let next = self.offset_ms.load(Ordering::SeqCst) + ms;
        // Kept first: a move that could not be kept is not made.
        if let Err(e) = self.keep(next) {
            tracing::error!(error = %e, "the demo clock's move could not be kept");
            return false;
        }
        self.offset_ms.store(next, Ordering::SeqCst);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_clock_moves_forward_only_and_the_system_clock_not_at_all() {
        let c = DemoClock::default();
        let before = c.now().millis();
        assert!(c.advance(86_400_000));
        assert!(c.now().millis() >= before + 86_400_000);
        assert!(!c.advance(-1), "never backwards");
        assert!(!c.advance(0));
        assert!(!SystemClock.advance(1));
    }

    #[test]
    fn a_restarted_demo_clock_is_where_it_was_moved_and_its_sessions_keep_real_time() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("demo-clock");
        let c = DemoClock::open(file.clone()).unwrap();
        assert!(c.advance(30 * 86_400_000));
        let moved = c.now().millis();
        let wall = c.wall().millis();
        assert!(
            moved - wall >= 30 * 86_400_000,
            "sessions are measured on real time"
        );
        drop(c);
        let again = DemoClock::open(file.clone()).unwrap();
        assert!(again.now().millis() >= moved, "never back across a restart");
        std::fs::write(&file, "yesterday").unwrap();
        assert!(
            DemoClock::open(file).is_err(),
            "a damaged offset is said, not ignored"
        );
    }
}
