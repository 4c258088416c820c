//! What a dispute is: a tenderer's question about the tender documents (提问), its objection to them
//! (异议, 实施条例 第二十二条) and its complaint to the supervising department (投诉, 第六十条), each
//! one row that is answered, accepted or decided once. Pure data and transitions; the periods and
//! the articles live in `law.rs`.

use super::law::{self, Refusal};
use crate::domain::{InvalidValue, Line, OrgId, Prose, TenderId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// The disputes' ids are the hall's opaque UUIDv7 ids (`domain::ids`).
pub use crate::domain::{ComplaintId, ObjectionId, QuestionId};

/// What a party writes: a question, an objection, a complaint, an answer, a reason, a decision.
/// 1 to 5000 characters, lines allowed, the hall's text rules (no control or invisible characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Statement(String);

impl Statement {
    pub const MAX: usize = 5000;

    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let p = Prose::<{ Statement::MAX }>::parse(s)?;
        if p.as_str().is_empty() {
            return Err(InvalidValue::new("required", "must not be empty"));
        }
        Ok(Statement(p.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Statement {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Statement::parse(&s)
    }
}

impl From<Statement> for String {
    fn from(s: Statement) -> String {
        s.0
    }
}

/// The owner's or agent's answer to a question or an objection.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub text: Statement,
    pub by_org: OrgId,
    pub by_user: UserId,
    pub at: Timestamp,
}

/// A tenderer's question about the documents (提问), published with its answer as a clarification
/// that never says who asked (招标投标法 第二十二条).
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: QuestionId,
    pub tender_id: TenderId,
    /// The asker, known to itself and the trading centre; to the owner, agent and supervisor
    /// only from the opening on.
    pub org_id: OrgId,
    pub user_id: UserId,
    pub text: Statement,
    pub asked_at: Timestamp,
    pub answer: Option<Answer>,
}

impl Question {
    /// The question with its answer; a question is answered once.
    pub fn answered(mut self, answer: Answer) -> Result<Question, Refusal> {
        if self.answer.is_some() {
            return Err(Refusal::AlreadyAnswered);
        }
        self.answer = Some(answer);
        Ok(self)
    }
}

/// A tenderer's objection to the tender documents (对招标文件的异议, 实施条例 第二十二条).
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentObjection {
    pub id: ObjectionId,
    pub tender_id: TenderId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub text: Statement,
    pub raised_at: Timestamp,
    pub answer: Option<Answer>,
}

impl DocumentObjection {
    /// The last instant of the owner's 3 days to answer.
    pub fn answer_due(&self) -> Timestamp {
        law::objection_answer_due(self.raised_at)
    }

    /// Answered after its 3 days.
    pub fn answered_late(&self) -> bool {
        self.answer
            .as_ref()
            .is_some_and(|a| a.at > self.answer_due())
    }

    /// Unanswered: the tendering waits for it (实施条例 第二十二条).
    pub fn pending(&self) -> bool {
        self.answer.is_none()
    }

    /// The objection with its answer; an objection is answered once, late or not.
    pub fn answered(mut self, answer: Answer) -> Result<DocumentObjection, Refusal> {
        if self.answer.is_some() {
            return Err(Refusal::AlreadyAnswered);
        }
        self.answer = Some(answer);
        Ok(self)
    }
}

/// What a complaint is about (投诉事项).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Matter {
    /// The tender documents (条例22): after an objection to them on this hall.
    Documents,
    /// The opening (条例44): after an objection at the opening.
    Opening,
    /// The evaluation result and the candidates (条例54): after an objection to them.
    Candidates,
    /// Anything else the law lets an interested party complain of (条例60 第一款).
    Other,
}

impl Matter {
    pub const ALL: [Matter; 4] = [
        Matter::Documents,
        Matter::Opening,
        Matter::Candidates,
        Matter::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Matter::Documents => "documents",
            Matter::Opening => "opening",
            Matter::Candidates => "candidates",
            Matter::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Matter> {
        Matter::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

/// The objection a complaint follows (实施条例 第六十条 第二款: 先异议, 后投诉).
#[derive(Debug, Clone, PartialEq)]
pub enum PriorObjection {
    /// One of the complainant's objections to this tender's documents on this hall.
    Document(ObjectionId),
    /// An objection raised elsewhere (at the opening, to the candidates), as the complainant
    /// names it.
    Reference(Line<1, 500>),
}

/// The supervisor's first answer: accepted (受理) or rejected (不予受理), within 3 working days.
#[derive(Debug, Clone, PartialEq)]
pub struct Acceptance {
    pub accepted: bool,
    /// Why; required for a rejection.
    pub reason: Option<Statement>,
    pub by_user: UserId,
    pub at: Timestamp,
}

/// The supervisor's written decision (书面处理决定), within 30 working days of accepting.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The complaint is founded (投诉成立) or not.
    pub upheld: bool,
    pub text: Statement,
    pub by_user: UserId,
    pub at: Timestamp,
}

/// Where a complaint stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintState {
    Received,
    Accepted,
    Rejected,
    Decided,
}

impl ComplaintState {
    pub fn as_str(self) -> &'static str {
        match self {
            ComplaintState::Received => "received",
            ComplaintState::Accepted => "accepted",
            ComplaintState::Rejected => "rejected",
            ComplaintState::Decided => "decided",
        }
    }

    pub fn parse(s: &str) -> Option<ComplaintState> {
        [
            ComplaintState::Received,
            ComplaintState::Accepted,
            ComplaintState::Rejected,
            ComplaintState::Decided,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A complaint to the tender's supervising department (投诉, 实施条例 第六十条、第六十一条).
#[derive(Debug, Clone, PartialEq)]
pub struct Complaint {
    pub id: ComplaintId,
    pub tender_id: TenderId,
    /// The department it is addressed to: the tender's supervisor when it was filed.
    pub supervisor_org_id: OrgId,
    pub org_id: OrgId,
    pub user_id: UserId,
    pub matter: Matter,
    pub text: Statement,
    /// When the complainant knew or should have known of the matter (its 10 days run from here).
    pub knew_at: Timestamp,
    pub prior: Option<PriorObjection>,
    pub received_at: Timestamp,
    pub acceptance: Option<Acceptance>,
    pub decision: Option<Decision>,
}

impl Complaint {
    pub fn state(&self) -> ComplaintState {
        match (&self.acceptance, &self.decision) {
            (_, Some(_)) => ComplaintState::Decided,
            (Some(a), None) if a.accepted => ComplaintState::Accepted,
            (Some(_), None) => ComplaintState::Rejected,
            (None, None) => ComplaintState::Received,
        }
    }

    /// The last instant of the supervisor's 3 working days to accept or reject it.
    pub fn acceptance_due(&self) -> Timestamp {
        law::acceptance_due(self.received_at)
    }

    /// The last instant of the 30 working days to decide, once accepted.
    pub fn decision_due(&self) -> Option<Timestamp> {
        self.acceptance
            .as_ref()
            .filter(|a| a.accepted)
            .map(|a| law::decision_due(a.at))
    }

    /// Accepted or rejected, once, from `received`.
    pub fn with_acceptance(mut self, acceptance: Acceptance) -> Result<Complaint, Refusal> {
        match self.state() {
            ComplaintState::Received => {}
            state => return Err(Refusal::ComplaintWrongState { state }),
        }
        if !acceptance.accepted && acceptance.reason.is_none() {
            return Err(Refusal::RejectionNeedsReason);
        }
        self.acceptance = Some(acceptance);
        Ok(self)
    }

    /// Decided, once, from `accepted`.
    pub fn with_decision(mut self, decision: Decision) -> Result<Complaint, Refusal> {
        match self.state() {
            ComplaintState::Accepted => {}
            state => return Err(Refusal::ComplaintWrongState { state }),
        }
        self.decision = Some(decision);
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn complaint() -> Complaint {
        Complaint {
            id: ComplaintId::generate(),
            tender_id: TenderId::generate(),
            supervisor_org_id: OrgId::generate(),
            org_id: OrgId::generate(),
            user_id: UserId::generate(),
            matter: Matter::Other,
            text: Statement::parse("资格条件排斥潜在投标人").unwrap(),
            knew_at: at("2027-03-01T01:00:00Z"),
            prior: None,
            received_at: at("2027-03-01T02:00:00Z"),
            acceptance: None,
            decision: None,
        }
    }

    #[test]
    fn a_statement_is_not_empty_and_keeps_the_hall_s_text_rules() {
        assert_eq!(Statement::parse("  ").unwrap_err().rule, "required");
        assert_eq!(
            Statement::parse(&"问".repeat(Statement::MAX + 1))
                .unwrap_err()
                .rule,
            "too_long"
        );
        assert_eq!(
            Statement::parse("a\u{202E}b").unwrap_err().rule,
            "invisible_character"
        );
        assert_eq!(
            Statement::parse("第一行\n第二行").unwrap().as_str(),
            "第一行\n第二行"
        );
    }

    #[test]
    fn a_complaint_is_accepted_then_decided_once_each() {
        let by = UserId::generate();
        let c = complaint();
        assert_eq!(c.state(), ComplaintState::Received);
        let early = Decision {
            upheld: true,
            text: Statement::parse("成立").unwrap(),
            by_user: by.clone(),
            at: c.received_at,
        };
        assert_eq!(
            c.clone().with_decision(early.clone()).unwrap_err(),
            Refusal::ComplaintWrongState {
                state: ComplaintState::Received
            }
        );
        let accepted = c
            .with_acceptance(Acceptance {
                accepted: true,
                reason: None,
                by_user: by.clone(),
                at: at("2027-03-02T02:00:00Z"),
            })
            .unwrap();
        assert_eq!(accepted.state(), ComplaintState::Accepted);
        assert!(accepted.decision_due().is_some());
        let again = accepted.clone().with_acceptance(Acceptance {
            accepted: false,
            reason: Some(Statement::parse("重复").unwrap()),
            by_user: by.clone(),
            at: at("2027-03-02T03:00:00Z"),
        });
        assert!(matches!(again, Err(Refusal::ComplaintWrongState { .. })));
        let decided = accepted.with_decision(early).unwrap();
        assert_eq!(decided.state(), ComplaintState::Decided);
    }

    #[test]
    fn a_rejection_says_why() {
        let r = complaint().with_acceptance(Acceptance {
            accepted: false,
            reason: None,
            by_user: UserId::generate(),
            at: at("2027-03-02T02:00:00Z"),
        });
        assert_eq!(r.unwrap_err(), Refusal::RejectionNeedsReason);
    }

    #[test]
    fn an_objection_answered_after_3_days_is_late() {
        let raised = at("2027-03-01T02:00:00Z");
        let o = DocumentObjection {
            id: ObjectionId::generate(),
            tender_id: TenderId::generate(),
            org_id: OrgId::generate(),
            user_id: UserId::generate(),
            text: Statement::parse("评标办法前后矛盾").unwrap(),
            raised_at: raised,
            answer: None,
        };
        assert!(o.pending());
        let answer = |at: Timestamp| Answer {
            text: Statement::parse("已澄清").unwrap(),
            by_org: OrgId::generate(),
            by_user: UserId::generate(),
            at,
        };
        let on_time = o.clone().answered(answer(raised.plus_days(3))).unwrap();
        assert!(!on_time.answered_late() && !on_time.pending());
        let late = o
            .answered(answer(raised.plus_days(3).plus_millis(1)))
            .unwrap();
        assert!(late.answered_late());
        assert_eq!(
            late.answered(answer(raised.plus_days(4))).unwrap_err(),
            Refusal::AlreadyAnswered
        );
    }
}
