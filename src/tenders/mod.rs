//! Tenders: projects, lots, schedules, the legal checks on publication and amendment, the public
//! notice board and who obtained the documents.

pub mod access;
pub mod board;
pub mod law;
pub mod model;
pub mod notices;
pub mod obtain;
pub mod reference;
pub mod service;
