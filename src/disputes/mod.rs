//! Disputes before and around the award: tenderers' questions about the documents, answered and
//! published as anonymous clarifications; objections to the documents (实施条例 第二十二条); and
//! complaints to the supervising department with its acceptance and decision (第六十条、第六十一条).
//! It never shows who asked, objected or complained to anyone who may not know the tenderers
//! (招标投标法 第二十二条), and never imports axum or sqlx. Protocol: docs/disputes.md.

pub mod law;
pub mod model;
pub mod service;
