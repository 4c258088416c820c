//! Reactions: what one capability's step asks of another, kept in a transactional outbox.
//!
//! A step that moves money or opens something elsewhere (an award notice asks the winner's
//! performance bond; a contract, a failed lot, a lot not opened and a withdrawal return bid bonds;
//! the last notice opens the committee's sealed expert pool) writes its reactions **in the same
//! transaction** as the step itself. One dispatcher (`dispatch.rs`) delivers them: right after the
//! commit for the writer's own reactions, and every few seconds for anything left over (a failed
//! delivery, a crash between the commit and the delivery, another node's write), with growing
//! pauses between attempts and never giving up. Every effect is idempotent, so a delivery repeated
//! after a crash changes nothing.
//!
//! This file is the one place that says which step causes which reaction (docs/reactions.md).

pub mod dispatch;

use crate::award::event::AwardBody;
use crate::award::AwardEvent;
use crate::domain::{TenderId, Timestamp};
use crate::opening::event::Body as OpeningBody;
use crate::opening::OpeningEvent;
use serde::{Deserialize, Serialize};

/// One reaction: the step it follows (`key`, unique, so a step's reaction is written once), the
/// tender, and what is to be done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub key: String,
    pub tender: TenderId,
    pub effect: Effect,
}

/// What a reaction does. Stored as JSON (`{"effect": …, …}`, docs/reactions.md §2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "effect", rename_all = "snake_case", deny_unknown_fields)]
pub enum Effect {
    /// An award notice: the winner owes a performance bond, the sum of what every notice in
    /// force to it asks (条例 第五十八条), due by the latest contract date.
    PerformanceBondOwed { org_id: String },
    /// A lot's contract is signed: that lot's bid bonds go back within 5 days (条例 第五十七条).
    ContractSigned {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        at: Timestamp,
    },
    /// A lot (`None`: the whole tender) failed, was terminated or was not opened: its bid bonds
    /// go back within 5 days (条例 第三十一条).
    LotFailed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lot_id: Option<String>,
        at: Timestamp,
    },
    /// A bid was withdrawn before the deadline: its bond goes back within 5 days of the
    /// withdrawal (条例 第三十五条).
    BidWithdrawn {
        org_id: String,
        lot_id: String,
        at: Timestamp,
    },
    /// Money arrived on a tender's sub-account that is not a bond (flagged): it goes back to its
    /// payer within 5 days of its arrival.
    ReceiptFlagged {
        org_id: String,
        bank: String,
        bank_txn_id: String,
        at: Timestamp,
    },
    /// A lot's result may now be determined: once every lot's is, the committee's sealed expert
    /// pool is opened (法 第三十七条: the committee is secret until then).
    ResultMaybeDetermined,
}

impl Reaction {
    /// The stored body.
    pub fn body(&self) -> String {
        serde_json::to_string(&self.effect).expect("an effect serialises")
    }

    /// A stored reaction, back from its body.
    pub fn parse(key: &str, tender: TenderId, body: &str) -> Result<Reaction, String> {
        let effect = serde_json::from_str(body).map_err(|e| format!("reaction {key}: {e}"))?;
        Ok(Reaction {
            key: key.to_owned(),
            tender,
            effect,
        })
    }
}

/// The reactions the award's new events ask for. An event that does not parse asks for nothing
/// here: the award refuses to write such an event in the first place.
pub fn after_award(tender: &TenderId, events: &[AwardEvent]) -> Vec<Reaction> {
    let mut out = Vec::new();
    for e in events {
        let key = |what: &str| format!("award/{tender}/{}/{what}", e.seq);
        let mut add = |what: &str, effect: Effect| {
            out.push(Reaction {
                key: key(what),
                tender: tender.clone(),
                effect,
            })
        };
        match AwardBody::of(e) {
            Ok(AwardBody::AwardNoticeIssued(n)) => {
                if n.performance_bond_fen.fen() > 0 {
                    add(
                        "performance_bond",
                        Effect::PerformanceBondOwed { org_id: n.org_id },
                    );
                }
                add("result", Effect::ResultMaybeDetermined);
            }
            Ok(AwardBody::ContractRecorded(c)) => add(
                "refunds",
                Effect::ContractSigned {
                    lot_id: c.lot_id,
                    at: e.at,
                },
            ),
            Ok(AwardBody::AwardFailed { lot_id, .. }) => {
                add("refunds", Effect::LotFailed { lot_id, at: e.at });
                add("result", Effect::ResultMaybeDetermined);
            }
            _ => {}
        }
    }
    out
}

/// The reactions the opening's new events ask for: a failed opening returns every bid bond, a
/// lot not opened (条例 第四十四条) returns its own.
pub fn after_opening(tender: &TenderId, events: &[OpeningEvent]) -> Vec<Reaction> {
    let mut out = Vec::new();
    for e in events {
        let key = |what: &str| format!("opening/{tender}/{}/{what}", e.seq);
        match OpeningBody::parse(e.seq, &e.kind, &e.body) {
            Ok(OpeningBody::OpeningFailed { .. }) => out.push(Reaction {
                key: key("refunds"),
                tender: tender.clone(),
                effect: Effect::LotFailed {
                    lot_id: None,
                    at: e.at,
                },
            }),
            Ok(OpeningBody::LotsNotOpened { lots, .. }) => {
                for l in lots {
                    out.push(Reaction {
                        key: key(&format!("refunds/{}", l.lot_id)),
                        tender: tender.clone(),
                        effect: Effect::LotFailed {
                            lot_id: Some(l.lot_id),
                            at: e.at,
                        },
                    });
                }
            }
            _ => {}
        }
    }
    out
}

/// The reaction a withdrawal asks for: its bid bond back.
pub fn after_withdrawal(
    tender: &TenderId,
    bid_id: &str,
    org_id: &str,
    lot_id: &str,
    at: Timestamp,
) -> Reaction {
    Reaction {
        key: format!("withdrawal/{bid_id}"),
        tender: tender.clone(),
        effect: Effect::BidWithdrawn {
            org_id: org_id.to_owned(),
            lot_id: lot_id.to_owned(),
            at,
        },
    }
}

/// The reaction a flagged receipt on a tender asks for: its money back.
pub fn after_flagged_receipt(
    tender: &TenderId,
    org_id: &str,
    bank: &str,
    bank_txn_id: &str,
    at: Timestamp,
) -> Reaction {
    Reaction {
        key: format!("receipt/{bank}/{bank_txn_id}"),
        tender: tender.clone(),
        effect: Effect::ReceiptFlagged {
            org_id: org_id.to_owned(),
            bank: bank.to_owned(),
            bank_txn_id: bank_txn_id.to_owned(),
            at,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opening::Audience;
    use serde_json::json;

    fn tid() -> TenderId {
        TenderId::from_stored("t1".into())
    }

    fn at() -> Timestamp {
        Timestamp::parse("2027-03-26T01:00:00.000Z").unwrap()
    }

    fn ev(seq: i64, kind: &str, body: serde_json::Value) -> AwardEvent {
        AwardEvent {
            seq,
            at: at(),
            kind: kind.into(),
            audience: Audience::Public,
            body,
        }
    }

    #[test]
    fn a_failed_lot_returns_its_bonds_and_may_determine_the_result() {
        let failed = ev(
            7,
            "award_failed",
            json!({ "lot_id": "L2", "rule": "terminated", "article": "条例31", "message": "m" }),
        );
        let r = after_award(&tid(), &[failed]);
        assert_eq!(
            r.iter().map(|r| r.key.as_str()).collect::<Vec<_>>(),
            ["award/t1/7/refunds", "award/t1/7/result"]
        );
        assert_eq!(
            r[0].effect,
            Effect::LotFailed {
                lot_id: Some("L2".into()),
                at: at()
            }
        );
    }

    #[test]
    fn the_stored_body_is_the_documented_json_and_parses_back() {
        let r = after_withdrawal(&tid(), "b9", "org-1", "L1", at());
        assert_eq!(
            r.body(),
            r#"{"effect":"bid_withdrawn","org_id":"org-1","lot_id":"L1","at":"2027-03-26T01:00:00.000Z"}"#
        );
        assert_eq!(Reaction::parse(&r.key, tid(), &r.body()).unwrap(), r);
        assert!(Reaction::parse("k", tid(), r#"{"effect":"pay_everyone"}"#).is_err());
    }

    #[test]
    fn events_that_ask_nothing_of_anyone_make_no_reaction() {
        let scored = ev(3, "committee_formed", json!({}));
        assert!(after_award(&tid(), &[scored]).is_empty());
    }
}
