//! The hall's audit log: every mutating use case appends one event in the same store transaction
//! as its change. This module owns the event format; it never carries a secret or, before the
//! opening, a tenderer's identity.

pub mod event;

pub use event::{AuditActor, AuditEvent};
