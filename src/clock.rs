//! The one source of "now". Every deadline in the hall is decided by a `Clock`, so tests move time
//! by setting a `ManualClock` instead of sleeping.

use crate::domain::Timestamp;
use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
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

/// A clock that only moves when told to.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        ManualClock(AtomicI64::new(at.millis()))
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
    fn advance(&self, ms: i64) -> bool {
        self.advance_millis(ms);
        true
    }
}

/// The demo hall's clock: the system's time plus an offset that only grows, so a visitor can walk a
/// tender through its 20-day bidding period, the 3-day publicity and the refund dates in minutes.
/// Never used outside `serve --demo`.
#[derive(Default)]
pub struct DemoClock {
    offset_ms: AtomicI64,
}

impl Clock for DemoClock {
    fn now(&self) -> Timestamp {
        let system = SystemClock.now().millis();
        Timestamp::from_stored(system + self.offset_ms.load(Ordering::SeqCst))
    }
    fn advance(&self, ms: i64) -> bool {
        if ms <= 0 {
            return false;
        }
        self.offset_ms.fetch_add(ms, Ordering::SeqCst);
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
}
