//! The demo's past: the hall's use cases on a clock of their own, set to each moment a demo tender
//! lived through, so the law's checks run as they would have then. The hall's own clock is never
//! moved (the demo clock never goes back), and nothing here happens later than the hall's "now".

use super::fixture::bad;
use crate::app::AppState;
use crate::clock::{Clock, ManualClock};
use crate::domain::{Timestamp, DAY_MS, HOUR_MS, MINUTE_MS};
use crate::server::StartError;
use std::sync::Arc;

pub(super) struct Past {
    clock: Arc<ManualClock>,
    app: AppState,
    present: Timestamp,
}

impl Past {
    /// The past of `app`, up to its clock's "now".
    pub fn of(app: &AppState) -> Past {
        let present = app.clock.now();
        let clock = Arc::new(ManualClock::new(present));
        let past = AppState::new(
            app.store.clone(),
            app.blobs.clone(),
            clock.clone(),
            app.config.clone(),
            app.log.clone(),
        )
        .with_banks(app.banks.clone());
        Past {
            clock,
            app: past,
            present,
        }
    }

    /// The hall's "now", where the demo's past ends.
    pub fn present(&self) -> Timestamp {
        self.present
    }

    /// The hall as it was at `t`.
    pub fn at(&self, t: Timestamp) -> Result<&AppState, StartError> {
        if t > self.present {
            return Err(bad(format!(
                "a demo step at {} would be later than the hall's now ({})",
                t.shanghai(),
                self.present.shanghai()
            )));
        }
        self.clock.set(t);
        Ok(&self.app)
    }

    /// The clock the past runs on (the sandbox bank keeps its books on it too).
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.clock.clone()
    }
}

/// 09:30 Beijing time, `days` days after the day of `t` (Beijing time).
pub(super) fn half_past_nine(t: Timestamp, days: i64) -> Timestamp {
    let shift = 8 * HOUR_MS;
    let midnight = (t.millis() + shift).div_euclid(DAY_MS) * DAY_MS - shift;
    Timestamp::from_stored(midnight)
        .plus_days(days)
        .plus_millis(9 * HOUR_MS + 30 * MINUTE_MS)
}

pub(super) fn minutes(n: i64) -> i64 {
    n * MINUTE_MS
}

pub(super) fn hours(n: i64) -> i64 {
    n * HOUR_MS
}
