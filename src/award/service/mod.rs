//! The award's use cases. Each folds the stored events, decides on the rules in `state.rs`, and
//! appends its events (each with its audit entry, in one transaction) after the last one it
//! folded — retried on a fresh fold if another writer came first.

use super::committee::{check_composition, panel};
use super::member::{MemberSession, Secret, CODE_PREFIX, TOKEN_PREFIX, TOKEN_TTL_MS};
use super::report;
use super::AwardEvent;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::award::state::{
    AwardState, Committee, LotAward, Refusal, Stage, ANSWER_WITHIN_MS, MAX_CANDIDATES,
    PUBLICITY_MIN_MS,
};
use crate::domain::{Line, OrgId, TenderId, Timestamp};
use crate::identity::{Actor, Role};
use crate::lottery::{DrawKind, DrawState};
use crate::opening::state::{OpeningState, Phase};
use crate::opening::Audience;
use crate::store::{IssuedCode, StoreError};
use crate::tenders::access::{self, Action, Relations};
use crate::tenders::model::{Tender, TenderState};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const ATTEMPTS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum AwardError {
    #[error("no such tender")]
    NotFound,
    /// A member's code or token that is missing, unknown, used or expired.
    #[error("the evaluation code or member token is not valid")]
    BadCredential,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Store(StoreError),
    /// The bonds side of an award step (the performance bond expected, refunds at the contract).
    #[error(transparent)]
    Bonds(Box<crate::bonds::service::BondsError>),
}

impl From<crate::bonds::service::BondsError> for AwardError {
    fn from(e: crate::bonds::service::BondsError) -> Self {
        AwardError::Bonds(Box::new(e))
    }
}

impl From<EventError> for AwardError {
    fn from(e: EventError) -> Self {
        AwardError::Store(StoreError::Unavailable(format!(
            "a stored event does not parse: {e}"
        )))
    }
}

impl From<StoreError> for AwardError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AwardError::NotFound,
            e => AwardError::Store(e),
        }
    }
}

use super::event::{AwardBody, Candidate, Notice, RankedLine, Rejection};
use crate::domain::Money;
use crate::opening::event::{split, EventError};
use crate::opening::service::{hall, public, Pending};

/// An award event from its typed body.
fn typed(audience: Audience, body: AwardBody) -> Pending {
    let (kind, body) = split(&body);
    Pending {
        kind,
        audience,
        body,
    }
}

async fn tender(app: &AppState, id: &TenderId) -> Result<Tender, AwardError> {
    let t = app.store.get_tender(id).await?;
    if t.state != TenderState::Published {
        return Err(AwardError::NotFound);
    }
    Ok(t)
}

async fn fold(app: &AppState, id: &TenderId) -> Result<AwardState, AwardError> {
    Ok(AwardState::fold(&app.store.award_events(id).await?)?)
}

/// `award_failed` for one lot, public.
fn lot_failed(lot: &str, rule: &str, article: &str, message: String) -> Pending {
    typed(
        Audience::Public,
        AwardBody::AwardFailed {
            lot_id: lot_key(lot),
            rule: rule.into(),
            article: article.into(),
            message,
        },
    )
}

/// A lot key as events store it: absent for a tender whose events predate lots.
fn lot_key(lot: &str) -> Option<String> {
    (!lot.is_empty()).then(|| lot.to_string())
}

/// Who acts, for the audit log: a user, or a committee member (who has no account).
#[derive(Clone)]
enum By {
    User(AuditActor),
    Member(i64),
}

/// Folds, decides and appends (with the codes the decision issues) until the decision lands on
/// the latest fold.
async fn act<F>(app: &AppState, id: &TenderId, by: By, mut decide: F) -> Result<(), AwardError>
where
    F: FnMut(
        &Tender,
        &AwardState,
        Timestamp,
    ) -> Result<(Vec<Pending>, Vec<IssuedCode>), AwardError>,
{
    for _ in 0..ATTEMPTS {
        let t = tender(app, id).await?;
        let s = fold(app, id).await?;
        let now = app.clock.now();
        let (pending, codes) = decide(&t, &s, now)?;
        if pending.is_empty() {
            return Ok(());
        }
        let events: Vec<AwardEvent> = pending
            .into_iter()
            .enumerate()
            .map(|(i, p)| AwardEvent {
                seq: s.last_seq + 1 + i as i64,
                at: now,
                kind: p.kind.to_string(),
                audience: p.audience,
                body: p.body,
            })
            .collect();
        let audits = events
            .iter()
            .map(|e| {
                let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &e.canonical()));
                let mut payload = json!({ "seq": e.seq, "event": e.kind, "sha256": sha });
                let actor = match &by {
                    By::User(a) => a.clone(),
                    By::Member(seat) => {
                        payload["member_seat"] = json!(seat);
                        AuditActor::System
                    }
                };
                AuditEvent::new("award_event", Some(id), actor, now, payload)
            })
            .collect();
        // What the new events ask of the bonds and the draws, written with them and delivered
        // right after (src/reactions); and where the tender now stands on the board.
        let reactions = crate::reactions::after_award(id, &events);
        let keys: Vec<String> = reactions.iter().map(|r| r.key.clone()).collect();
        let mut after = s.clone();
        for e in &events {
            after.apply(e)?;
        }
        let stage = Some(after.public_stage());
        match app
            .store
            .append_award_events(id, s.last_seq, events, audits, codes, reactions, stage, now)
            .await
        {
            Err(StoreError::Conflict(_)) => continue,
            r => {
                r?;
                crate::reactions::dispatch::deliver_now(app, keys).await;
                return Ok(());
            }
        }
    }
    Err(AwardError::Store(StoreError::Unavailable(
        "the award is too busy; try again".into(),
    )))
}

fn bounded(text: &str, field: &str, max: usize) -> Result<String, Refusal> {
    crate::domain::text::bounded(text, field, max).map_err(Refusal::BadInput)
}

/// Those who run or supervise the tender: they see the report and every objection.
fn insider(actor: Option<&Actor>, t: &Tender) -> bool {
    let r = Relations::of(actor, t);
    r.manages() || r.supervisor
}

/// The host of the evaluation: the tender's agent, or its owner when it has none.
pub fn host_only(actor: &Actor, t: &Tender) -> Result<(), Refusal> {
    let r = Relations::of(Some(actor), t);
    match access::may(Action::HostEvaluation, &r, t, t.spec.schedule.bid_deadline) {
        Ok(()) => Ok(()),
        Err(access::Denied::Forbidden(why)) => Err(Refusal::Forbidden(why)),
        Err(_) => Err(Refusal::Forbidden("only the tender's host does this")),
    }
}

/// The owner (招标人) decides the award and signs the contract.
pub fn owner_only(actor: &Actor, t: &Tender) -> Result<(), Refusal> {
    if actor.role == Role::Owner && actor.org_id == t.owner_org_id {
        Ok(())
    } else {
        Err(Refusal::Forbidden("only the tender's owner does this"))
    }
}

fn own_tender(m: &MemberSession, id: &TenderId) -> Result<(), Refusal> {
    if &m.tender_id == id {
        Ok(())
    } else {
        Err(Refusal::Forbidden(
            "a member's token is for its own tender's committee only",
        ))
    }
}

mod committee;
mod evaluation;
mod queries;
mod result;

pub use committee::*;
pub use evaluation::*;
pub use queries::*;
pub use result::*;
