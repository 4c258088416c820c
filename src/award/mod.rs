//! Evaluation, candidates, award and contract (评标, 中标候选人公示, 中标通知书, 合同): kept as a list
//! of events per tender after its opening is concluded (docs/award.md). The events are the truth;
//! the stage, the public view and the signed evaluation report are folds over them. A member's
//! scores are never shown outside the committee before the report is final.

pub mod committee;
pub mod member;
pub mod ranking;
pub mod report;
pub mod service;
pub mod state;

use crate::domain::Timestamp;
use crate::opening::Audience;
use serde_json::Value;

/// One stored event of a tender's evaluation and award. `Hall` events are the committee's and
/// the host's; `Party` events concern one tenderer; `Public` events are on the tender's page.
#[derive(Debug, Clone, PartialEq)]
pub struct AwardEvent {
    pub seq: i64,
    pub at: Timestamp,
    pub kind: String,
    pub audience: Audience,
    pub body: Value,
}

impl AwardEvent {
    /// The RFC 8785 bytes the audit log's entry hashes (the audience is not part of them).
    pub fn canonical(&self) -> Vec<u8> {
        crate::canonical::to_canonical_vec(&serde_json::json!({
            "seq": self.seq, "at": self.at.to_rfc3339(), "kind": self.kind, "body": self.body,
        }))
        .expect("an event serialises")
    }
}
