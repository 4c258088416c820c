//! bidhall: an open public resource trading hall. The map of this crate, and what may import
//! what, is docs/architecture.md.

pub mod app;
pub mod auditlog;
pub mod award;
pub mod bench;
pub mod bids;
pub mod blobs;
pub mod bonds;
pub mod canonical;
pub mod clock;
pub mod config;
pub mod demo;
pub mod disputes;
pub mod domain;
pub mod draws;
pub mod home;
pub mod http;
pub mod identity;
pub mod inbox;
pub mod keyfile;
pub mod lottery;
pub mod opening;
pub mod reactions;
pub mod registry;
pub mod sandbox_bank;
pub mod sealbox;
pub mod server;
pub mod store;
pub mod telemetry;
pub mod tenders;
pub mod web;
pub mod write_record;
