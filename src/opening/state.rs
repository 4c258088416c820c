//! The opening's state as a fold over its events, and the rules that say which action each phase
//! allows. Pure: no clock reads, no storage; the use cases pass the time and the actor in.

use super::event::{Body, Custodian, EventError, Line, OrderLine};
use super::{Audience, OpeningEvent, Viewer};
use crate::domain::{OrgId, Timestamp};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Scheduled,
    Lobby,
    Closed,
    Failed,
    Decrypting,
    Announcing,
    Announced,
    Confirming,
    Concluded,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Scheduled => "scheduled",
            Phase::Lobby => "lobby",
            Phase::Closed => "closed",
            Phase::Failed => "failed",
            Phase::Decrypting => "decrypting",
            Phase::Announcing => "announcing",
            Phase::Announced => "announced",
            Phase::Confirming => "confirming",
            Phase::Concluded => "concluded",
        }
    }

    pub fn is_over(self) -> bool {
        matches!(self, Phase::Failed | Phase::Concluded)
    }
}

/// A refusal, naming the rule.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the opening is {phase}, which does not allow this")]
    WrongPhase { phase: &'static str },
    #[error("the opening is suspended by the supervisor: {reason}")]
    Suspended { reason: String },
    #[error("the confirmation window closed at {until}")]
    WindowClosed { until: String },
    #[error("the confirmation window is still open until {until}")]
    WindowOpen { until: String },
    #[error("objections still wait for an answer: {ids:?}")]
    ObjectionsUnanswered { ids: Vec<i64> },
    #[error("line {n} is not your bid")]
    NotYourLine { n: i64 },
    #[error("line {n} is already confirmed")]
    AlreadyConfirmed { n: i64 },
    #[error("{0}")]
    BadInput(String),
    #[error("no such {0}")]
    NotFound(&'static str),
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Participant {
    pub org_id: String,
    pub org_name: String,
    pub role: String,
    pub at: String,
    #[serde(skip)]
    pub audience: Audience,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Objection {
    pub id: i64,
    pub n: Option<i64>,
    pub org_id: String,
    pub org_name: String,
    pub text: String,
    pub raised_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Suspension {
    pub reason: String,
    pub at: String,
    pub resumed_at: Option<String>,
    pub resume_reason: Option<String>,
}

/// Everything the events say, for the hall (filter with `visible_to` before showing it).
#[derive(Debug, Clone, Default)]
pub struct OpeningState {
    pub last_seq: i64,
    pub phase: Option<Phase>,
    pub suspended: Option<String>,
    pub count: Option<i64>,
    /// `box_closed.order`, in announcement order.
    pub order: Vec<OrderLine>,
    /// Why the opening failed (`opening_failed`'s body), if it did.
    pub failure: Option<serde_json::Value>,
    /// Lots not opened for want of 3 bids (条例 第四十四条), with their counts.
    pub not_opened: Vec<super::event::LotNotOpened>,
    /// Line number → bond status.
    pub bonds: BTreeMap<i64, String>,
    pub k: Option<i64>,
    pub custodians: Vec<Custodian>,
    pub release_until: Option<Timestamp>,
    /// Custodians whose release has been announced.
    pub released: BTreeSet<i64>,
    pub missing_reported: bool,
    /// The latest progress per line: shares released.
    pub progress: BTreeMap<i64, i64>,
    /// Announced lines, in order.
    pub lines: Vec<Line>,
    pub confirmation_until: Option<Timestamp>,
    /// Line → (seq, at) of its confirmation.
    pub confirmed: BTreeMap<i64, (i64, Timestamp)>,
    pub objections: Vec<(Objection, OrgId)>,
    pub participants: Vec<Participant>,
    pub suspensions: Vec<Suspension>,
    pub concluded: Option<(String, String, Timestamp)>,
}

impl OpeningState {
    /// The state the events say; an event that does not parse stops the fold with its error.
    pub fn fold(events: &[OpeningEvent]) -> Result<Self, EventError> {
        let mut s = OpeningState::default();
        for e in events {
            s.apply(e)?;
        }
        Ok(s)
    }

    pub fn phase(&self) -> Phase {
        self.phase.unwrap_or(Phase::Scheduled)
    }

    pub fn apply(&mut self, e: &OpeningEvent) -> Result<(), EventError> {
        let body = e.typed()?;
        self.last_seq = e.seq;
        match body {
            Body::LobbyOpened { .. } => self.phase = Some(Phase::Lobby),
            Body::SignedIn {
                org_id,
                org_name,
                role,
            } => self.participants.push(Participant {
                org_id,
                org_name,
                role,
                at: e.at.to_rfc3339(),
                audience: e.audience.clone(),
            }),
            Body::SignInsDisclosed { participants } => {
                for p in participants {
                    self.participants.push(Participant {
                        org_id: p.org_id,
                        org_name: p.org_name,
                        role: p.role,
                        at: p.at,
                        audience: e.audience.clone(),
                    });
                }
            }
            Body::BoxClosed { count, order } => {
                self.phase = Some(Phase::Closed);
                self.count = Some(count);
                self.order = order;
            }
            Body::OpeningFailed {
                count,
                rule,
                article,
                message,
            } => {
                self.phase = Some(Phase::Failed);
                self.failure = Some(serde_json::json!({
                    "count": count, "rule": rule, "article": article, "message": message,
                }));
            }
            Body::LotsNotOpened { lots, .. } => self.not_opened = lots,
            Body::BondsChecked { lines } => {
                for l in lines {
                    self.bonds.insert(l.n, l.bond);
                }
            }
            Body::DecryptionStarted {
                k,
                custodians,
                release_until,
            } => {
                self.phase = Some(Phase::Decrypting);
                self.k = Some(k);
                self.custodians = custodians;
                self.release_until = Some(release_until);
            }
            Body::SharesReleased {
                custodian,
                progress,
                ..
            } => {
                self.released.insert(custodian);
                for p in progress {
                    self.progress.insert(p.n, p.released);
                }
            }
            Body::CustodiansMissing { .. } => self.missing_reported = true,
            Body::BidAnnounced(line) => {
                self.phase = Some(Phase::Announcing);
                self.lines.push(*line);
            }
            Body::AnnouncementComplete { .. } => self.phase = Some(Phase::Announced),
            Body::ConfirmationOpened { until, .. } => {
                self.phase = Some(Phase::Confirming);
                self.confirmation_until = Some(until);
            }
            Body::LineConfirmed { n, .. } => {
                self.confirmed.insert(n, (e.seq, e.at));
            }
            Body::ObjectionRaised {
                id,
                n,
                org_id,
                org_name,
                text,
            } => self.objections.push((
                Objection {
                    id,
                    n,
                    org_id: org_id.clone(),
                    org_name,
                    text,
                    raised_at: e.at.to_rfc3339(),
                    answer: None,
                    answered_at: None,
                },
                OrgId::from_stored(org_id),
            )),
            Body::ObjectionAnswered { id, answer } => {
                if let Some((o, _)) = self.objections.iter_mut().find(|(o, _)| o.id == id) {
                    o.answer = Some(answer);
                    o.answered_at = Some(e.at.to_rfc3339());
                }
            }
            Body::Suspended { reason } => {
                self.suspended = Some(reason.clone());
                self.suspensions.push(Suspension {
                    reason,
                    at: e.at.to_rfc3339(),
                    resumed_at: None,
                    resume_reason: None,
                });
            }
            Body::Resumed { reason } => {
                self.suspended = None;
                if let Some(s) = self.suspensions.last_mut() {
                    s.resumed_at = Some(e.at.to_rfc3339());
                    s.resume_reason = Some(reason);
                }
            }
            Body::Concluded {
                record_sha256,
                signature,
            } => {
                self.phase = Some(Phase::Concluded);
                self.concluded = Some((record_sha256, signature, e.at));
            }
        }
        Ok(())
    }

    /// The line number of `org`'s bid, if it has one that counts (once announced).
    pub fn line_of(&self, org: &OrgId) -> Option<i64> {
        self.lines
            .iter()
            .find(|l| l.org_id == org.as_str())
            .map(|l| l.n)
    }

    /// A hall action needs a live, unsuspended opening in one of `phases`.
    pub fn require(&self, phases: &[Phase]) -> Result<(), Refusal> {
        if let Some(reason) = &self.suspended {
            return Err(Refusal::Suspended {
                reason: reason.clone(),
            });
        }
        if !phases.contains(&self.phase()) {
            return Err(Refusal::WrongPhase {
                phase: self.phase().as_str(),
            });
        }
        Ok(())
    }

    /// Confirmation and objections are taken only while the window is open.
    pub fn require_window(&self, now: Timestamp) -> Result<(), Refusal> {
        self.require(&[Phase::Confirming])?;
        match self.confirmation_until {
            Some(until) if now < until => Ok(()),
            Some(until) => Err(Refusal::WindowClosed {
                until: until.to_rfc3339(),
            }),
            None => Err(Refusal::WrongPhase {
                phase: self.phase().as_str(),
            }),
        }
    }

    /// May the host conclude now? The window must be over and every objection answered.
    pub fn may_conclude(&self, now: Timestamp) -> Result<(), Refusal> {
        self.require(&[Phase::Confirming])?;
        if let Some(until) = self.confirmation_until {
            if now < until {
                return Err(Refusal::WindowOpen {
                    until: until.to_rfc3339(),
                });
            }
        }
        let open: Vec<i64> = self
            .objections
            .iter()
            .filter(|(o, _)| o.answer.is_none())
            .map(|(o, _)| o.id)
            .collect();
        if !open.is_empty() {
            return Err(Refusal::ObjectionsUnanswered { ids: open });
        }
        Ok(())
    }

    pub fn may_confirm(&self, org: &OrgId, n: i64, now: Timestamp) -> Result<(), Refusal> {
        self.require_window(now)?;
        if self.line_of_number(n).map(|l| l.org_id == org.as_str()) != Some(true) {
            return Err(Refusal::NotYourLine { n });
        }
        if self.confirmed.contains_key(&n) {
            return Err(Refusal::AlreadyConfirmed { n });
        }
        Ok(())
    }

    pub fn line_of_number(&self, n: i64) -> Option<&Line> {
        self.lines.iter().find(|l| l.n == n)
    }

    /// The custodians as `decryption_started` named them, each with whether it has released.
    pub fn custodians_released(&self) -> Vec<Value> {
        self.custodians
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(c).expect("a custodian serialises");
                v["released"] = Value::Bool(self.released.contains(&c.index));
                v
            })
            .collect()
    }

    /// The state as `viewer` may see it (docs/opening.md, "Who sees what"). An objection stays
    /// with its tenderer and the hall until the conclusion; then the signed record, which anyone
    /// may read, prints each with its answer, so everyone sees them. How many were raised is
    /// never hidden: a page that shows none must not say there were none.
    pub fn view(&self, viewer: &Viewer) -> Value {
        let concluded = self.concluded.is_some();
        let objections: Vec<&Objection> = self
            .objections
            .iter()
            .filter(|(_, org)| concluded || viewer.sees(&Audience::Party(org.clone())))
            .map(|(o, _)| o)
            .collect();
        let participants: Vec<&Participant> = self
            .participants
            .iter()
            .filter(|p| viewer.sees(&p.audience))
            .collect();
        let confirmed: Vec<i64> = self
            .confirmed
            .keys()
            .copied()
            .filter(|n| {
                viewer.hall
                    || self.line_of_number(*n).is_some_and(|l| {
                        viewer.org.as_ref().map(|o| o.as_str()) == Some(l.org_id.as_str())
                    })
            })
            .collect();
        serde_json::json!({
            "phase": self.phase(),
            "suspended": self.suspended,
            "count": self.count,
            "order": self.order,
            "not_opened": self.not_opened,
            "failure": self.failure,
            "bonds": self.bonds.iter().map(|(n, b)| serde_json::json!({"n": n, "bond": b})).collect::<Vec<_>>(),
            "k": self.k,
            "custodians": self.custodians_released(),
            "release_until": self.release_until.map(|t| t.to_rfc3339()),
            "progress": self.progress.iter().map(|(n, r)| serde_json::json!({"n": n, "released": r})).collect::<Vec<_>>(),
            "lines": self.lines,
            "confirmation_until": self.confirmation_until.map(|t| t.to_rfc3339()),
            "confirmed": confirmed,
            "objections": objections,
            "objections_raised": self.objections.len(),
            "participants": participants,
            "suspensions": self.suspensions,
            "record_sha256": self.concluded.as_ref().map(|c| c.0.clone()),
            "last_seq": self.last_seq,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Money;
    use crate::opening::event::Line;
    use serde_json::json;

    const BASE: i64 = 1_800_000_000_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_stored(BASE + ms)
    }

    fn until_a_minute() -> Body {
        Body::ConfirmationOpened {
            until: at(60_000),
            minutes: 1,
        }
    }

    fn ev(seq: i64, body: Body) -> OpeningEvent {
        OpeningEvent::new(seq, at(1_000 * seq), Audience::Public, &body)
    }

    pub(crate) fn line(n: i64, org: &str) -> Line {
        Line {
            n,
            lot_id: "lot-1".into(),
            org_id: org.into(),
            org_name: org.into(),
            commitment: format!("c{n}"),
            bond: "received".into(),
            status: "opened".into(),
            price_fen: Some(Money::from_fen(100 * n).unwrap()),
            duration_days: json!(90),
            quality: None,
            reason: Value::Null,
            fault: None,
            announced_key: Value::Null,
        }
    }

    fn objection(id: i64, org: &str, text: &str) -> Body {
        Body::ObjectionRaised {
            id,
            n: Some(1),
            org_id: org.into(),
            org_name: org.into(),
            text: text.into(),
        }
    }

    fn announced() -> Vec<OpeningEvent> {
        vec![
            ev(
                1,
                Body::LobbyOpened {
                    deadline: at(1_800_000),
                },
            ),
            ev(
                2,
                Body::BoxClosed {
                    count: 3,
                    order: vec![],
                },
            ),
            ev(
                3,
                Body::DecryptionStarted {
                    k: 3,
                    custodians: vec![],
                    release_until: at(3_600_000),
                },
            ),
            ev(4, Body::BidAnnounced(Box::new(line(1, "a")))),
            ev(5, Body::BidAnnounced(Box::new(line(2, "b")))),
            ev(6, Body::AnnouncementComplete { lines: 2 }),
        ]
    }

    #[test]
    fn the_fold_follows_the_ceremony() {
        let mut events = announced();
        let s = OpeningState::fold(&events).unwrap();
        assert_eq!(s.phase(), Phase::Announced);
        assert_eq!(s.line_of(&OrgId::from_stored("b".into())), Some(2));
        events.push(ev(7, until_a_minute()));
        let s = OpeningState::fold(&events).unwrap();
        assert_eq!(s.phase(), Phase::Confirming);
        assert_eq!(s.last_seq, 7);
    }

    #[test]
    fn a_stored_event_the_hall_does_not_write_stops_the_fold() {
        let mut events = announced();
        events.push(OpeningEvent {
            seq: 7,
            at: at(7_000),
            kind: "bid_withdrawn".into(),
            audience: Audience::Public,
            body: json!({ "n": 1 }),
        });
        assert_eq!(
            OpeningState::fold(&events).unwrap_err(),
            EventError::UnknownKind {
                seq: 7,
                kind: "bid_withdrawn".into()
            }
        );
        // A renamed price is not a price of 0 (which would win a lowest-price evaluation).
        let mut events = announced();
        let body = events[3].body.as_object_mut().unwrap();
        let price = body.remove("price_fen").unwrap();
        body.insert("price".into(), price);
        assert!(matches!(
            OpeningState::fold(&events),
            Err(EventError::Malformed { seq: 4, .. })
        ));
    }

    #[test]
    fn confirmation_is_for_ones_own_line_once_and_within_the_window() {
        let mut events = announced();
        events.push(ev(7, until_a_minute()));
        let a = OrgId::from_stored("a".into());
        let inside = at(59_999);
        let s = OpeningState::fold(&events).unwrap();
        assert_eq!(s.may_confirm(&a, 1, inside), Ok(()));
        assert_eq!(
            s.may_confirm(&a, 2, inside),
            Err(Refusal::NotYourLine { n: 2 })
        );
        assert!(matches!(
            s.may_confirm(&a, 1, at(60_000)),
            Err(Refusal::WindowClosed { .. })
        ));
        events.push(ev(
            8,
            Body::LineConfirmed {
                n: 1,
                org_id: "a".into(),
                org_name: "a".into(),
                line_sha256: "00".into(),
            },
        ));
        let s = OpeningState::fold(&events).unwrap();
        assert_eq!(
            s.may_confirm(&a, 1, inside),
            Err(Refusal::AlreadyConfirmed { n: 1 })
        );
    }

    #[test]
    fn a_suspended_opening_refuses_everything_until_resumed() {
        let mut events = announced();
        events.push(ev(
            7,
            Body::Suspended {
                reason: "网络故障".into(),
            },
        ));
        let s = OpeningState::fold(&events).unwrap();
        assert!(matches!(
            s.require(&[Phase::Announced]),
            Err(Refusal::Suspended { .. })
        ));
        events.push(ev(
            8,
            Body::Resumed {
                reason: "已恢复".into(),
            },
        ));
        let s = OpeningState::fold(&events).unwrap();
        assert_eq!(s.require(&[Phase::Announced]), Ok(()));
        assert_eq!(s.suspensions[0].resume_reason.as_deref(), Some("已恢复"));
    }

    #[test]
    fn conclusion_waits_for_the_window_and_every_answer() {
        let mut events = announced();
        events.push(ev(7, until_a_minute()));
        events.push(ev(8, objection(1, "a", "价格读错")));
        let after = at(60_000);
        let s = OpeningState::fold(&events).unwrap();
        assert!(matches!(
            s.may_conclude(at(1)),
            Err(Refusal::WindowOpen { .. })
        ));
        assert_eq!(
            s.may_conclude(after),
            Err(Refusal::ObjectionsUnanswered { ids: vec![1] })
        );
        events.push(ev(
            9,
            Body::ObjectionAnswered {
                id: 1,
                answer: "已核对".into(),
            },
        ));
        assert_eq!(
            OpeningState::fold(&events).unwrap().may_conclude(after),
            Ok(())
        );
    }

    #[test]
    fn a_tenderer_sees_only_its_own_objections() {
        let mut events = announced();
        events.push(ev(7, objection(1, "a", "x")));
        let s = OpeningState::fold(&events).unwrap();
        let a = Viewer {
            hall: false,
            role: "tenderer",
            org: Some(OrgId::from_stored("a".into())),
        };
        let b = Viewer {
            org: Some(OrgId::from_stored("b".into())),
            ..a.clone()
        };
        assert_eq!(s.view(&a)["objections"].as_array().unwrap().len(), 1);
        assert_eq!(s.view(&b)["objections"].as_array().unwrap().len(), 0);
        assert_eq!(
            s.view(&Viewer::public())["objections"]
                .as_array()
                .unwrap()
                .len(),
            0
        );
        // everyone is told that there is one, though not what it says
        for v in [&a, &b, &Viewer::public()] {
            assert_eq!(s.view(v)["objections_raised"], 1);
        }
    }

    #[test]
    fn once_concluded_everyone_sees_the_objections_the_signed_record_prints() {
        let mut events = announced();
        events.push(ev(7, objection(1, "a", "价格读错")));
        events.push(ev(
            8,
            Body::Concluded {
                record_sha256: "ab".repeat(32),
                signature: "sig".into(),
            },
        ));
        let public = OpeningState::fold(&events).unwrap().view(&Viewer::public());
        assert_eq!(public["objections"][0]["text"], "价格读错");
        assert_eq!(public["objections_raised"], 1);
    }
}
