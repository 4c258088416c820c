//! The hall's audit log: every mutating use case appends one event in the same store transaction
//! as its change, and the log is a transparency log (RFC 9162 tree, C2SP checkpoints, tiles and
//! witness cosignatures) so auditors can prove it was never rewritten. The pure protocol lives in
//! the submodules; `service.rs` ties it to the store. Never carries a secret or, before the
//! opening, a tenderer's identity. Specified in docs/audit-log.md.

pub mod checkpoint;
pub mod cosignature;
pub mod disclosures;
pub mod event;
pub mod export;
pub mod merkle;
pub mod note;
pub mod tiles;

pub use event::{AuditActor, AuditEvent};
pub mod cli;
pub mod offline;
pub mod service;
