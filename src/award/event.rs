//! The award's event bodies as types (docs/award.md): one variant per kind, serialised to exactly
//! the JSON the hall has always stored. Parsing is strict, as the opening's: an amount that is
//! missing or renamed is an error, never 0 — the lowest price would win on a 0.

use crate::domain::{Money, Timestamp};
use crate::opening::event::{parse_exact, EventError};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every kind of award event.
pub const KINDS: &[&str] = &[
    "committee_formed",
    "codes_issued",
    "declared",
    "member_replaced",
    "scored",
    "report_signed",
    "report_finalised",
    "award_failed",
    "candidates_publicised",
    "objection_raised",
    "objection_answered",
    "candidate_declined",
    "award_notice_issued",
    "result_notified",
    "contract_recorded",
    "contract_performed",
    "clarification_asked",
    "clarification_answered",
];

/// A seat of the committee as formed (or a reserve's replacement).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Seat {
    pub seat: i64,
    /// `expert` or `owner_representative`.
    pub kind: String,
    pub expert_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reserve {
    pub expert_id: String,
    pub name: String,
}

/// An opened bid, as the committee evaluates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommitteeBid {
    pub line: i64,
    /// The lot (标段) this concerns; absent only in events written before awards were per lot,
    /// which concerned the tender's only lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: Money,
    pub bond: String,
}

/// A line of the final ranking (`ranking::Ranked` as signed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RankedLine {
    /// The place within its lot.
    pub rank: Option<i64>,
    pub line: i64,
    /// The lot (标段) this concerns; absent only in events written before awards were per lot,
    /// which concerned the tender's only lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: Money,
    pub compliant_votes: i64,
    pub members: i64,
    pub score_numerator: Option<i64>,
    pub score_centi: Option<i64>,
    pub tie_broken_by: Option<String>,
    /// The computed price score in hundredths, when the tender has a price criterion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_score_centi: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub rank: i64,
    pub line: i64,
    /// The lot (标段) this concerns; absent only in events written before awards were per lot,
    /// which concerned the tender's only lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: Money,
    pub score_centi: Option<i64>,
}

/// The award notice (中标通知书).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    pub rank: i64,
    pub line: i64,
    /// The lot (标段) this concerns; absent only in events written before awards were per lot,
    /// which concerned the tender's only lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: Money,
    pub issued_at: Timestamp,
    pub contract_due: Timestamp,
    /// What the ledger expects from the winner (0: the tender asks for none).
    pub performance_bond_fen: Money,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContractBody {
    pub tender_id: String,
    pub line: i64,
    /// The lot (标段) this concerns; absent only in events written before awards were per lot,
    /// which concerned the tender's only lot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: Money,
    pub document_sha256: String,
    pub notice_issued_at: Timestamp,
    pub signed_at: Timestamp,
}

/// A member's reason for finding a bid non-compliant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rejection {
    pub ground: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum AwardBody {
    CommitteeFormed {
        /// The lot this committee evaluates, where the documents form one committee per lot
        /// (`TenderSpec::committee_per_lot`); absent: the tender's one committee, for every lot.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        draw_id: String,
        members: Vec<Seat>,
        reserves: Vec<Reserve>,
        bids: Vec<CommitteeBid>,
        tenderers: Vec<String>,
    },
    /// Fresh evaluation codes went to these seats (the codes themselves are never in an event).
    CodesIssued {
        seats: Vec<i64>,
    },
    Declared {
        seat: i64,
        conflict: bool,
        statement: String,
        note: Option<String>,
    },
    MemberReplaced {
        seat: i64,
        replacement: Seat,
    },
    Scored {
        seat: i64,
        line: i64,
        compliant: bool,
        scores: Vec<u32>,
        /// Why the member finds the bid non-compliant (否决投标): a ground of 条例51
        /// (`award::rejection::Ground`) and the member's words. Absent when compliant.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rejection: Option<Rejection>,
    },
    ReportSigned {
        seat: i64,
        report_sha256: String,
    },
    ReportFinalised {
        /// The lot of the committee whose report this is (absent: the tender's one committee).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        report_sha256: String,
        signature: String,
        ranking: Vec<RankedLine>,
    },
    /// The award of one lot failed (or, with no lot, of the whole tender).
    AwardFailed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        rule: String,
        article: String,
        message: String,
    },
    CandidatesPublicised {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        candidates: Vec<Candidate>,
        from: Timestamp,
        until: Timestamp,
    },
    ObjectionRaised {
        id: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,

        org_id: String,
        org_name: String,
        text: String,
    },
    ObjectionAnswered {
        id: i64,
        answer: String,
        due: Timestamp,
        late: bool,
    },
    CandidateDeclined {
        line: i64,
        org_name: String,
        reason: String,
    },
    AwardNoticeIssued(Box<Notice>),
    ResultNotified {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        org_id: String,
        result: String,
        winner_line: i64,
        winner_org_name: String,
        price_fen: Money,
        notified_at: Timestamp,
    },
    ContractRecorded(Box<ContractBody>),
    /// A member asks the tenderer of a bid to clarify it in writing (条例52).
    ClarificationAsked {
        id: i64,
        seat: i64,
        line: i64,
        text: String,
    },
    /// The tenderer's written answer, from its own account.
    ClarificationAnswered {
        id: i64,
        org_id: String,
        text: String,
    },
    ContractPerformed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        org_id: Option<String>,
        performed_at: Timestamp,
    },
}

impl AwardBody {
    /// A stored award event's body, strictly (`opening::event::parse_exact`).
    pub fn parse(seq: i64, kind: &str, body: &Value) -> Result<AwardBody, EventError> {
        parse_exact(KINDS, seq, kind, body)
    }

    /// The stored event's typed body.
    pub fn of(e: &super::AwardEvent) -> Result<AwardBody, EventError> {
        AwardBody::parse(e.seq, &e.kind, &e.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn notice() -> Value {
        // As `service::issue_notice` wrote it before the bodies were typed.
        json!({
            "rank": 1, "line": 2, "org_id": "b", "org_name": "乙", "price_fen": 800,
            "issued_at": "2027-04-01T00:00:00.000Z", "contract_due": "2027-05-01T00:00:00.000Z",
            "performance_bond_fen": 40,
        })
    }

    #[test]
    fn a_notice_parses_and_writes_back_the_same_bytes() {
        let b = AwardBody::parse(1, "award_notice_issued", &notice()).unwrap();
        let AwardBody::AwardNoticeIssued(n) = &b else {
            panic!("{b:?}")
        };
        assert_eq!(n.price_fen.fen(), 800);
        assert_eq!(n.performance_bond_fen.fen(), 40);
        let (kind, body) = crate::opening::event::split(&b);
        assert_eq!(kind, "award_notice_issued");
        assert_eq!(
            crate::canonical::canonicalize(&body),
            crate::canonical::canonicalize(&notice())
        );
    }

    #[test]
    fn a_missing_or_renamed_price_is_an_error_not_0() {
        for field in ["price_fen", "performance_bond_fen"] {
            let mut missing = notice();
            let v = missing.as_object_mut().unwrap().remove(field).unwrap();
            assert!(
                matches!(
                    AwardBody::parse(1, "award_notice_issued", &missing),
                    Err(EventError::Malformed { .. })
                ),
                "{field}"
            );
            missing[format!("{field}_yuan")] = v;
            assert!(AwardBody::parse(1, "award_notice_issued", &missing).is_err());
        }
        let bids = |b: Value| json!({ "draw_id": "d", "members": [], "reserves": [], "tenderers": [], "bids": [b] });
        let good = json!({ "line": 1, "org_id": "a", "org_name": "甲", "price_fen": 900, "bond": "received" });
        assert!(AwardBody::parse(1, "committee_formed", &bids(good.clone())).is_ok());
        let mut renamed = good;
        renamed.as_object_mut().unwrap().remove("price_fen");
        renamed["price"] = json!(900);
        assert!(AwardBody::parse(1, "committee_formed", &bids(renamed)).is_err());
    }

    #[test]
    fn an_unknown_award_kind_is_reported() {
        assert_eq!(
            AwardBody::parse(3, "notice_revoked", &json!({})),
            Err(EventError::UnknownKind {
                seq: 3,
                kind: "notice_revoked".into()
            })
        );
    }
}
