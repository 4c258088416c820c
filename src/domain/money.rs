//! Money in integer fen (分). Never floats: every amount in the hall is a whole number of fen,
//! bounded so that sums of thousands of amounts cannot overflow an `i64`.

use super::InvalidValue;
use serde::{Deserialize, Serialize};

/// The largest amount the hall accepts: 10 trillion yuan. Anything above is a typo, not a tender.
pub const MAX_FEN: i64 = 1_000_000_000_000_000;

/// A non-negative amount of money in fen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub fn from_fen(fen: i64) -> Result<Self, InvalidValue> {
        if fen < 0 {
            return Err(InvalidValue::new(
                "negative",
                "an amount cannot be negative",
            ));
        }
        if fen > MAX_FEN {
            return Err(InvalidValue::new(
                "too_large",
                format!("an amount cannot exceed {MAX_FEN} fen (10 trillion yuan)"),
            ));
        }
        Ok(Money(fen))
    }

    pub fn fen(self) -> i64 {
        self.0
    }

    /// `self` ≤ `percent`% of `of`, computed exactly in integers.
    pub fn at_most_percent_of(self, percent: i64, of: Money) -> bool {
        (self.0 as i128) * 100 <= (of.0 as i128) * percent as i128
    }

    /// The largest amount that is at most `percent`% of `self` (rounded down to the fen).
    pub fn percent(self, percent: i64) -> Money {
        Money(((self.0 as i128 * percent as i128) / 100) as i64)
    }

    /// "1,234,567.89" yuan, as a trading centre prints amounts.
    pub fn yuan(self) -> String {
        let yuan = self.0 / 100;
        let fen = self.0 % 100;
        let digits = yuan.to_string();
        let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{grouped}.{fen:02}")
    }
}

impl TryFrom<i64> for Money {
    type Error = InvalidValue;
    fn try_from(fen: i64) -> Result<Self, Self::Error> {
        Money::from_fen(fen)
    }
}

impl From<Money> for i64 {
    fn from(m: Money) -> i64 {
        m.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negative_and_absurd_amounts_are_refused() {
        assert_eq!(Money::from_fen(-1).unwrap_err().rule, "negative");
        assert_eq!(Money::from_fen(MAX_FEN + 1).unwrap_err().rule, "too_large");
        assert!(Money::from_fen(MAX_FEN).is_ok());
    }

    #[test]
    fn percent_checks_are_exact_at_the_boundary() {
        let estimate = Money::from_fen(1_000_001).unwrap();
        assert_eq!(estimate.percent(2), Money::from_fen(20_000).unwrap());
        assert!(Money::from_fen(20_000)
            .unwrap()
            .at_most_percent_of(2, estimate));
        assert!(Money::from_fen(20_000)
            .unwrap()
            .at_most_percent_of(2, estimate));
        assert!(!Money::from_fen(20_001)
            .unwrap()
            .at_most_percent_of(2, estimate));
        let big = Money::from_fen(MAX_FEN).unwrap();
        assert!(big.at_most_percent_of(100, big));
    }

    #[test]
    fn yuan_groups_thousands() {
        assert_eq!(Money::from_fen(123_456_789).unwrap().yuan(), "1,234,567.89");
        assert_eq!(Money::from_fen(5).unwrap().yuan(), "0.05");
    }

    #[test]
    fn deserialising_cannot_bypass_the_check() {
        assert!(serde_json::from_str::<Money>("-5").is_err());
        assert_eq!(serde_json::from_str::<Money>("500").unwrap().fen(), 500);
    }
}
