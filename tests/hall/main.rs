//! The hall's HTTP integration tests, in one binary so the crate links once.

mod common;

mod auditlog;
mod auth_matrix;
mod authz;
mod award;
mod bids;
mod bond_pages;
mod bonds;
mod confidential;
mod crash;
mod custodians;
mod draws;
mod guarantees;
mod identity;
mod lifecycle;
mod notices;
mod opening;
mod ops;
mod sandbox_bank;
mod store_contract;
mod tenders;
mod web;
