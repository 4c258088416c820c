//! bidhall: an open public resource trading hall. See DESIGN in the docs for the architecture.

pub mod app;
pub mod auditlog;
pub mod blobs;
pub mod clock;
pub mod config;
pub mod domain;
pub mod identity;
pub mod store;
pub mod tenders;
