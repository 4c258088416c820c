//! The hall's HTTP integration tests, in one binary so the crate links once.

mod common;

mod auditlog;
mod auth_matrix;
mod authz;
mod award;
mod bid_verify;
mod bids;
mod bond_pages;
mod bonds;
mod confidential;
mod contract;
mod crash;
mod custodians;
mod demo;
mod disputes;
mod draws;
mod guarantees;
mod hardening;
mod home;
mod identity;
mod inbox;
mod key_messages;
mod life;
mod lifecycle;
mod lots;
mod nodes;
mod notices;
mod opening;
mod ops;
mod release_order;
mod sandbox_bank;
mod store_contract;
mod tenders;
mod time_custodian;
mod web;
