//! The strict RFC 3339 UTC form a draw's deadlines are written in (`YYYY-MM-DDTHH:MM:SS[.f]Z`) and
//! its ordering. It only compares announced instants; it must never read the clock.

/// A parsed UTC instant whose derived ordering is chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct UtcInstant {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    nanos: u32,
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (1–9 fraction digits, upper-case `T` and `Z`, no
/// offset, no leap second). A single accepted form keeps the Rust and JS verifiers in agreement.
pub(crate) fn parse_utc(s: &str) -> Option<UtcInstant> {
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let rest = &b[19..];
    let nanos = match rest {
        [b'Z'] => 0,
        [b'.', frac @ .., b'Z'] if (1..=9).contains(&frac.len()) => {
            let value = digits(frac)?;
            value * 10u32.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    let valid = (1..=12).contains(&month)
        && day >= 1
        && day <= days_in_month(year, month)
        && hour < 24
        && minute < 60
        && second < 60;
    valid.then_some(UtcInstant {
        year,
        month,
        day,
        hour,
        minute,
        second,
        nanos,
    })
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(b.iter().fold(0, |acc, d| acc * 10 + u32::from(d - b'0')))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_strict_utc_form_and_orders_by_time() {
        let a = parse_utc("2026-03-01T09:00:00Z").expect("valid");
        let b = parse_utc("2026-03-01T09:00:00.5Z").expect("valid");
        let c = parse_utc("2026-03-01T09:00:00.123456789Z").expect("valid");
        assert!(a < c && c < b);
        assert!(parse_utc("2024-02-29T00:00:00Z").is_some());
    }

    #[test]
    fn refuses_offsets_lowercase_and_impossible_dates() {
        for bad in [
            "2026-03-01T09:00:00+08:00",
            "2026-03-01t09:00:00z",
            "2026-03-01 09:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T23:59:60Z",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00.1234567890Z",
            "2026-01-01",
        ] {
            assert!(parse_utc(bad).is_none(), "{bad}");
        }
    }
}
