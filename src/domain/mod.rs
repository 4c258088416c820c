//! Pure types that carry their own rules: money, time, ids, bounded text and the legal limits.
//! Nothing here touches I/O, HTTP or SQL; once you hold one of these values it is valid.

pub mod ids;
pub mod money;
pub mod text;
pub mod time;

pub use ids::*;
pub use money::Money;
pub use text::{Line, Prose};
pub use time::{Timestamp, DAY_MS, HOUR_MS, MINUTE_MS};

/// A value refused at the boundary, in words a user can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{rule}: {message}")]
pub struct InvalidValue {
    /// A stable, machine-readable rule name, e.g. `too_long`.
    pub rule: &'static str,
    pub message: String,
}

impl InvalidValue {
    pub fn new(rule: &'static str, message: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
        }
    }
}
