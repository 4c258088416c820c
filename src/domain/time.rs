//! Instants in UTC with millisecond precision. Stored as integer milliseconds, exchanged as RFC 3339,
//! shown to people in Asia/Shanghai (UTC+8 all year, no daylight saving since 1991).

use super::InvalidValue;
use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub const SECOND_MS: i64 = 1_000;
pub const MINUTE_MS: i64 = 60 * SECOND_MS;
pub const HOUR_MS: i64 = 60 * MINUTE_MS;
pub const DAY_MS: i64 = 24 * HOUR_MS;

/// The pause before trying again after the `failures`-th failure (1, 2, …): `first_ms`, doubling
/// with each further failure, never more than `most_ms`. The hall's retries (refunds to a bank,
/// the sandbox bank's deliveries, reactions, mail) all wait this way, each with its own bounds.
pub fn doubling_pause(first_ms: i64, most_ms: i64, failures: i64) -> i64 {
    let doublings = (failures - 1).clamp(0, 40) as u32;
    first_ms.saturating_mul(1i64 << doublings).min(most_ms)
}
const SHANGHAI_OFFSET_MS: i64 = 8 * HOUR_MS;

/// 2000-01-01 and 2100-01-01: a date outside is a typo in a tender schedule.
const EARLIEST_MS: i64 = 946_684_800_000;
const LATEST_MS: i64 = 4_102_444_800_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn from_millis(ms: i64) -> Result<Self, InvalidValue> {
        if !(EARLIEST_MS..=LATEST_MS).contains(&ms) {
            return Err(InvalidValue::new(
                "out_of_range",
                "a time must lie between 2000 and 2100",
            ));
        }
        Ok(Timestamp(ms))
    }

    /// For values read back from our own store, which only ever holds checked values.
    pub fn from_stored(ms: i64) -> Self {
        Timestamp(ms)
    }

    pub fn millis(self) -> i64 {
        self.0
    }

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let dt = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
            InvalidValue::new(
                "not_rfc3339",
                "expected an RFC 3339 time such as 2026-12-01T09:30:00+08:00",
            )
        })?;
        let ms = (dt.unix_timestamp_nanos() / 1_000_000) as i64;
        Self::from_millis(ms)
    }

    fn datetime(self, offset_ms: i64) -> OffsetDateTime {
        let nanos = (self.0 + offset_ms) as i128 * 1_000_000;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339 in UTC, e.g. `2026-12-01T01:30:00.000Z`.
    pub fn to_rfc3339(self) -> String {
        let d = self.datetime(0);
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            d.year(),
            d.month() as u8,
            d.day(),
            d.hour(),
            d.minute(),
            d.second(),
            d.millisecond()
        )
    }

    /// Beijing time for people, e.g. `2026-12-01 09:30`.
    pub fn shanghai(self) -> String {
        let d = self.datetime(SHANGHAI_OFFSET_MS);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            d.year(),
            d.month() as u8,
            d.day(),
            d.hour(),
            d.minute()
        )
    }

    pub fn plus_millis(self, ms: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(ms))
    }

    pub fn plus_days(self, days: i64) -> Timestamp {
        self.plus_millis(days * DAY_MS)
    }

    /// Rounds up to the next whole minute: deadlines proposed to people should be readable.
    pub fn ceil_minute(self) -> Timestamp {
        Timestamp((self.0 + MINUTE_MS - 1).div_euclid(MINUTE_MS) * MINUTE_MS)
    }
}

impl TryFrom<String> for Timestamp {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Timestamp::parse(&s)
    }
}

impl From<Timestamp> for String {
    fn from(t: Timestamp) -> String {
        t.to_rfc3339()
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_offsets_into_utc() {
        let t = Timestamp::parse("2026-12-01T09:30:00+08:00").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-12-01T01:30:00.000Z");
        assert_eq!(t.shanghai(), "2026-12-01 09:30");
    }

    #[test]
    fn refuses_garbage_and_absurd_years() {
        assert_eq!(
            Timestamp::parse("tomorrow").unwrap_err().rule,
            "not_rfc3339"
        );
        assert_eq!(
            Timestamp::parse("2999-01-01T00:00:00Z").unwrap_err().rule,
            "out_of_range"
        );
    }

    #[test]
    fn ceil_minute_keeps_whole_minutes() {
        let t = Timestamp::parse("2026-12-01T01:30:00Z").unwrap();
        assert_eq!(t.ceil_minute(), t);
        assert_eq!(t.plus_millis(1).ceil_minute(), t.plus_millis(MINUTE_MS));
    }
}
