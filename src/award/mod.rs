//! Evaluation, candidates, award and contract (评标, 中标候选人公示, 中标通知书, 合同): kept as a list
//! of events per tender after its opening is concluded (docs/award.md). The events are the truth;
//! the stage, the public view and the signed evaluation report are folds over them. A member's
//! scores are never shown outside the committee before the report is final.

pub mod committee;
pub mod event;
pub mod letter;
pub mod member;
pub mod price_score;
pub mod ranking;
pub mod rejection;
pub mod report;
pub mod service;
pub mod state;

/// One stored event of a tender's evaluation and award: the same shape, audiences and canonical
/// bytes as the opening's. `Hall` events are the committee's and the host's; `Party` events
/// concern one tenderer; `Public` events are on the tender's page.
pub type AwardEvent = crate::opening::OpeningEvent;
