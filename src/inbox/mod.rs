//! Notifications (消息): every step that asks something of an organisation becomes a notice in
//! its inbox, and a mail to its contact address when the hall has an SMTP relay.
//!
//! Notices are made by following the audit log (`follow.rs`): every step of the hall lands there
//! in order, so a notifier that reads it from a stored cursor misses nothing, repeats nothing
//! (a notice's id names the entry it comes from) and needs no call from the capabilities. Which
//! entry asks what of whom is decided in one place, `rules.rs`. Mail goes out from the inbox's
//! rows with retries (`mail.rs`). A notice carries codes and facts (a title, a deadline), never a
//! secret, and never more than its recipient may know (docs/inbox.md).

pub mod follow;
pub mod mail;
pub mod rules;
pub mod service;

use crate::domain::{OrgId, TenderId, Timestamp};
use serde::Serialize;
use serde_json::Value;

/// What a notice asks or tells. Each has its words in the page's language (`inbox_<kind>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A custodian of a published tender registers its key; bidding waits for every one.
    CustodianKeyNeeded,
    /// The opening is decrypting: a custodian releases its shares before the window ends.
    SharesToRelease,
    /// A tenderer's lot has its candidates publicised; objections until the window's end.
    CandidatesPublicised,
    /// The winner's award notice (中标通知书): sign the contract by the due date.
    AwardNotice,
    /// A tenderer that did not win is told the result (中标结果通知书).
    ResultNotice,
    /// A lot the tenderer bid for failed or was terminated.
    LotFailed,
    /// The committee asks the tenderer a written clarification question (条例 第五十二条).
    ClarificationToAnswer,
    /// A question about the documents awaits the owner's answer.
    QuestionToAnswer,
    /// An objection to the documents awaits the owner's answer within 3 days (条例 第二十二条).
    ObjectionToAnswer,
    /// A complaint awaits the supervising department's acceptance (条例 第六十一条).
    ComplaintToAccept,
    /// An agent's registration (三表三制) awaits the trading centre's review.
    RegistrationToReview,
}

impl Kind {
    pub const ALL: [Kind; 11] = [
        Kind::CustodianKeyNeeded,
        Kind::SharesToRelease,
        Kind::CandidatesPublicised,
        Kind::AwardNotice,
        Kind::ResultNotice,
        Kind::LotFailed,
        Kind::ClarificationToAnswer,
        Kind::QuestionToAnswer,
        Kind::ObjectionToAnswer,
        Kind::ComplaintToAccept,
        Kind::RegistrationToReview,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::CustodianKeyNeeded => "custodian_key_needed",
            Kind::SharesToRelease => "shares_to_release",
            Kind::CandidatesPublicised => "candidates_publicised",
            Kind::AwardNotice => "award_notice",
            Kind::ResultNotice => "result_notice",
            Kind::LotFailed => "lot_failed",
            Kind::ClarificationToAnswer => "clarification_to_answer",
            Kind::QuestionToAnswer => "question_to_answer",
            Kind::ObjectionToAnswer => "objection_to_answer",
            Kind::ComplaintToAccept => "complaint_to_accept",
            Kind::RegistrationToReview => "registration_to_review",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Where the recipient acts on it, in the hall.
    pub fn link(self, tender: Option<&TenderId>) -> String {
        match (self, tender) {
            (Kind::CustodianKeyNeeded | Kind::SharesToRelease, Some(t)) => {
                format!("/tenders/{t}/custodian")
            }
            (Kind::AwardNotice | Kind::ResultNotice, Some(t)) => {
                format!("/tenders/{t}/award/letters")
            }
            (Kind::QuestionToAnswer | Kind::ObjectionToAnswer, Some(t)) => {
                format!("/tenders/{t}/questions")
            }
            // The tenderer answers the committee's question on the award desk.
            (Kind::ClarificationToAnswer, Some(t)) => format!("/tenders/{t}/award"),
            (Kind::ComplaintToAccept, _) => "/supervision/complaints".into(),
            (Kind::RegistrationToReview, _) => "/registry/agents".into(),
            (_, Some(t)) => format!("/tenders/{t}"),
            (_, None) => "/".into(),
        }
    }
}

/// A notice to make: for `org`, from audit-log entry `log_index`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotice {
    pub log_index: i64,
    pub org: OrgId,
    pub kind: Kind,
    pub tender: Option<TenderId>,
    /// Facts the words show: `title` (the tender's), `lot` (a lot's name), `winner` …
    pub params: Value,
    pub due_at: Option<Timestamp>,
}

impl NewNotice {
    /// The notice's id: one per entry, kind and organisation.
    pub fn id(&self) -> String {
        format!("{}:{}:{}", self.log_index, self.kind.as_str(), self.org)
    }
}

/// A notice as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notice {
    pub id: String,
    #[schema(value_type = String)]
    pub kind: Kind,
    #[schema(value_type = Option<String>)]
    pub tender_id: Option<TenderId>,
    #[schema(value_type = Object)]
    pub params: Value,
    #[schema(value_type = Option<String>)]
    pub due_at: Option<Timestamp>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(value_type = Option<String>)]
    pub read_at: Option<Timestamp>,
    /// `none`, `pending` or `sent`.
    pub mail_state: String,
    /// Where the recipient acts on it.
    pub link: String,
}
