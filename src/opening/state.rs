//! The opening's state as a fold over its events, and the rules that say which action each phase
//! allows. Pure: no clock reads, no storage; the use cases pass the time and the actor in.

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
    /// `box_closed.order`: `{n, lot_id, commitment}` in announcement order.
    pub order: Vec<Value>,
    /// Line number → bond status.
    pub bonds: BTreeMap<i64, String>,
    pub k: Option<i64>,
    pub custodians: Vec<Value>,
    pub release_until: Option<Timestamp>,
    /// Custodians whose release has been announced.
    pub released: BTreeSet<i64>,
    pub missing_reported: bool,
    /// The latest progress per line: shares released.
    pub progress: BTreeMap<i64, i64>,
    /// Announced lines, in order.
    pub lines: Vec<Value>,
    pub confirmation_until: Option<Timestamp>,
    /// Line → (seq, at) of its confirmation.
    pub confirmed: BTreeMap<i64, (i64, Timestamp)>,
    pub objections: Vec<(Objection, OrgId)>,
    pub participants: Vec<Participant>,
    pub suspensions: Vec<Suspension>,
    pub concluded: Option<(String, String, Timestamp)>,
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

impl OpeningState {
    pub fn fold(events: &[OpeningEvent]) -> Self {
        let mut s = OpeningState::default();
        for e in events {
            s.apply(e);
        }
        s
    }

    pub fn phase(&self) -> Phase {
        self.phase.unwrap_or(Phase::Scheduled)
    }

    pub fn apply(&mut self, e: &OpeningEvent) {
        self.last_seq = e.seq;
        let b = &e.body;
        match e.kind.as_str() {
            "lobby_opened" => self.phase = Some(Phase::Lobby),
            "signed_in" => self.participants.push(Participant {
                org_id: text(b, "org_id"),
                org_name: text(b, "org_name"),
                role: text(b, "role"),
                at: e.at.to_rfc3339(),
                audience: e.audience.clone(),
            }),
            "sign_ins_disclosed" => {
                for p in b["participants"].as_array().into_iter().flatten() {
                    self.participants.push(Participant {
                        org_id: text(p, "org_id"),
                        org_name: text(p, "org_name"),
                        role: text(p, "role"),
                        at: text(p, "at"),
                        audience: e.audience.clone(),
                    });
                }
            }
            "box_closed" => {
                self.phase = Some(Phase::Closed);
                self.count = b["count"].as_i64();
                self.order = b["order"].as_array().cloned().unwrap_or_default();
            }
            "opening_failed" => self.phase = Some(Phase::Failed),
            "bonds_checked" => {
                for l in b["lines"].as_array().into_iter().flatten() {
                    if let Some(n) = l["n"].as_i64() {
                        self.bonds.insert(n, text(l, "bond"));
                    }
                }
            }
            "decryption_started" => {
                self.phase = Some(Phase::Decrypting);
                self.k = b["k"].as_i64();
                self.custodians = b["custodians"].as_array().cloned().unwrap_or_default();
                self.release_until = b["release_until"]
                    .as_str()
                    .and_then(|t| Timestamp::parse(t).ok());
            }
            "shares_released" => {
                if let Some(i) = b["custodian"].as_i64() {
                    self.released.insert(i);
                }
                for p in b["progress"].as_array().into_iter().flatten() {
                    if let (Some(n), Some(r)) = (p["n"].as_i64(), p["released"].as_i64()) {
                        self.progress.insert(n, r);
                    }
                }
            }
            "custodians_missing" => self.missing_reported = true,
            "bid_announced" => {
                self.phase = Some(Phase::Announcing);
                self.lines.push(b.clone());
            }
            "announcement_complete" => self.phase = Some(Phase::Announced),
            "confirmation_opened" => {
                self.phase = Some(Phase::Confirming);
                self.confirmation_until =
                    b["until"].as_str().and_then(|t| Timestamp::parse(t).ok());
            }
            "line_confirmed" => {
                if let Some(n) = b["n"].as_i64() {
                    self.confirmed.insert(n, (e.seq, e.at));
                }
            }
            "objection_raised" => self.objections.push((
                Objection {
                    id: b["id"].as_i64().unwrap_or_default(),
                    n: b["n"].as_i64(),
                    org_id: text(b, "org_id"),
                    org_name: text(b, "org_name"),
                    text: text(b, "text"),
                    raised_at: e.at.to_rfc3339(),
                    answer: None,
                    answered_at: None,
                },
                OrgId::from_stored(text(b, "org_id")),
            )),
            "objection_answered" => {
                let id = b["id"].as_i64();
                if let Some((o, _)) = self.objections.iter_mut().find(|(o, _)| Some(o.id) == id) {
                    o.answer = Some(text(b, "answer"));
                    o.answered_at = Some(e.at.to_rfc3339());
                }
            }
            "suspended" => {
                self.suspended = Some(text(b, "reason"));
                self.suspensions.push(Suspension {
                    reason: text(b, "reason"),
                    at: e.at.to_rfc3339(),
                    resumed_at: None,
                    resume_reason: None,
                });
            }
            "resumed" => {
                self.suspended = None;
                if let Some(s) = self.suspensions.last_mut() {
                    s.resumed_at = Some(e.at.to_rfc3339());
                    s.resume_reason = Some(text(b, "reason"));
                }
            }
            "concluded" => {
                self.phase = Some(Phase::Concluded);
                self.concluded = Some((text(b, "record_sha256"), text(b, "signature"), e.at));
            }
            _ => {}
        }
    }

    /// The line number of `org`'s bid, if it has one that counts (once announced).
    pub fn line_of(&self, org: &OrgId) -> Option<i64> {
        self.lines
            .iter()
            .find(|l| l["org_id"].as_str() == Some(org.as_str()))
            .and_then(|l| l["n"].as_i64())
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
        if self
            .line_of_number(n)
            .map(|l| l["org_id"].as_str() == Some(org.as_str()))
            != Some(true)
        {
            return Err(Refusal::NotYourLine { n });
        }
        if self.confirmed.contains_key(&n) {
            return Err(Refusal::AlreadyConfirmed { n });
        }
        Ok(())
    }

    pub fn line_of_number(&self, n: i64) -> Option<&Value> {
        self.lines.iter().find(|l| l["n"].as_i64() == Some(n))
    }

    /// The state as `viewer` may see it (docs/opening.md, "Who sees what").
    pub fn view(&self, viewer: &Viewer) -> Value {
        let objections: Vec<&Objection> = self
            .objections
            .iter()
            .filter(|(_, org)| viewer.sees(&Audience::Party(org.clone())))
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
                        viewer.org.as_ref().map(|o| o.as_str()) == l["org_id"].as_str()
                    })
            })
            .collect();
        serde_json::json!({
            "phase": self.phase(),
            "suspended": self.suspended,
            "count": self.count,
            "order": self.order,
            "bonds": self.bonds.iter().map(|(n, b)| serde_json::json!({"n": n, "bond": b})).collect::<Vec<_>>(),
            "k": self.k,
            "custodians": self.custodians.iter().map(|c| {
                let mut c = c.clone();
                let released = c["index"].as_i64().is_some_and(|i| self.released.contains(&i));
                c["released"] = Value::Bool(released);
                c
            }).collect::<Vec<_>>(),
            "release_until": self.release_until.map(|t| t.to_rfc3339()),
            "progress": self.progress.iter().map(|(n, r)| serde_json::json!({"n": n, "released": r})).collect::<Vec<_>>(),
            "lines": self.lines,
            "confirmation_until": self.confirmation_until.map(|t| t.to_rfc3339()),
            "confirmed": confirmed,
            "objections": objections,
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
    use serde_json::json;

    const BASE: i64 = 1_800_000_000_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_stored(BASE + ms)
    }

    fn until_a_minute() -> Value {
        json!({ "until": at(60_000).to_rfc3339() })
    }

    fn ev(seq: i64, kind: &str, body: Value) -> OpeningEvent {
        OpeningEvent {
            seq,
            at: at(1_000 * seq),
            kind: kind.into(),
            audience: Audience::Public,
            body,
        }
    }

    fn announced() -> Vec<OpeningEvent> {
        vec![
            ev(1, "lobby_opened", json!({})),
            ev(2, "box_closed", json!({"count": 3, "order": []})),
            ev(3, "decryption_started", json!({"k": 3, "custodians": []})),
            ev(4, "bid_announced", json!({"n": 1, "org_id": "a"})),
            ev(5, "bid_announced", json!({"n": 2, "org_id": "b"})),
            ev(6, "announcement_complete", json!({"lines": 2})),
        ]
    }

    #[test]
    fn the_fold_follows_the_ceremony() {
        let mut events = announced();
        let s = OpeningState::fold(&events);
        assert_eq!(s.phase(), Phase::Announced);
        assert_eq!(s.line_of(&OrgId::from_stored("b".into())), Some(2));
        events.push(ev(7, "confirmation_opened", until_a_minute()));
        let s = OpeningState::fold(&events);
        assert_eq!(s.phase(), Phase::Confirming);
        assert_eq!(s.last_seq, 7);
    }

    #[test]
    fn confirmation_is_for_ones_own_line_once_and_within_the_window() {
        let mut events = announced();
        events.push(ev(7, "confirmation_opened", until_a_minute()));
        let a = OrgId::from_stored("a".into());
        let inside = at(59_999);
        let s = OpeningState::fold(&events);
        assert_eq!(s.may_confirm(&a, 1, inside), Ok(()));
        assert_eq!(
            s.may_confirm(&a, 2, inside),
            Err(Refusal::NotYourLine { n: 2 })
        );
        assert!(matches!(
            s.may_confirm(&a, 1, at(60_000)),
            Err(Refusal::WindowClosed { .. })
        ));
        events.push(ev(8, "line_confirmed", json!({"n": 1})));
        let s = OpeningState::fold(&events);
        assert_eq!(
            s.may_confirm(&a, 1, inside),
            Err(Refusal::AlreadyConfirmed { n: 1 })
        );
    }

    #[test]
    fn a_suspended_opening_refuses_everything_until_resumed() {
        let mut events = announced();
        events.push(ev(7, "suspended", json!({"reason": "网络故障"})));
        let s = OpeningState::fold(&events);
        assert!(matches!(
            s.require(&[Phase::Announced]),
            Err(Refusal::Suspended { .. })
        ));
        events.push(ev(8, "resumed", json!({"reason": "已恢复"})));
        let s = OpeningState::fold(&events);
        assert_eq!(s.require(&[Phase::Announced]), Ok(()));
        assert_eq!(s.suspensions[0].resume_reason.as_deref(), Some("已恢复"));
    }

    #[test]
    fn conclusion_waits_for_the_window_and_every_answer() {
        let mut events = announced();
        events.push(ev(7, "confirmation_opened", until_a_minute()));
        events.push(ev(
            8,
            "objection_raised",
            json!({"id": 1, "n": 1, "org_id": "a", "text": "价格读错"}),
        ));
        let after = at(60_000);
        let s = OpeningState::fold(&events);
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
            "objection_answered",
            json!({"id": 1, "answer": "已核对"}),
        ));
        assert_eq!(OpeningState::fold(&events).may_conclude(after), Ok(()));
    }

    #[test]
    fn a_tenderer_sees_only_its_own_objections() {
        let mut events = announced();
        events.push(ev(
            7,
            "objection_raised",
            json!({"id": 1, "n": 1, "org_id": "a", "text": "x"}),
        ));
        let s = OpeningState::fold(&events);
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
    }
}
