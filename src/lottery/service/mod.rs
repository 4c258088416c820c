//! Draw use cases: request (announce, then freeze the pool), commit, reveal, enter the beacon,
//! conduct, replace a selectee, and publish the transcript. The clock decides every window; the
//! result comes only from `draws::Transcript::conduct`, and a draw is never re-run.

use super::drand::{self, DrandRound};
use super::{
    AnnouncedBeacon, DrawKind, DrawRecord, DrawState, Excluded, FrozenPool, PartyValue, Phase,
    SealedSecret,
};
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::{InvalidValue, Line, OrgId, ProjectId, TenderId, Timestamp};
use crate::draws::{
    canonical::to_canonical_vec, commitment, Candidate, MissedRevealRule, Pool, ReplacementReason,
    SealedPool, Transcript, SECRET_LEN,
};
use crate::identity::{Actor, Role};
use crate::registry::{agent_exclusions, expert_exclusions, AgentFilter, Conflicts, ExpertFilter};
use crate::store::StoreError;
use crate::tenders::access::Relations;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The most a draw selects (selected plus reserves).
pub const MAX_DRAWN: u32 = 1000;

#[derive(Debug, thiserror::Error)]
pub enum LotteryError {
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{field}: {value}")]
    Invalid { field: String, value: InvalidValue },
    #[error("{action} is not possible now: the draw is {}", phase.as_str())]
    WrongPhase { phase: Phase, action: &'static str },
    #[error("the pool has {pool} eligible candidates but the draw needs {needed}")]
    PoolTooSmall { pool: usize, needed: usize },
    #[error("this party has not committed, so it has nothing to reveal")]
    NotCommitted,
    #[error("this party has already {0}")]
    Already(&'static str),
    #[error("the revealed value does not match the party's commitment")]
    CommitmentMismatch,
    #[error("the draw protocol refused: {0}")]
    Protocol(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for LotteryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => LotteryError::NotFound("record"),
            other => LotteryError::Store(other),
        }
    }
}

fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> LotteryError {
    LotteryError::Invalid {
        field: field.into(),
        value: InvalidValue::new(rule, message),
    }
}

fn hex32(field: &str, text: &str) -> Result<[u8; SECRET_LEN], LotteryError> {
    let bytes = hex::decode(text)
        .map_err(|_| invalid(field, "malformed_hex", "expected lower-case hexadecimal"))?;
    bytes.try_into().map_err(|_| {
        invalid(
            field,
            "wrong_length",
            "expected exactly 32 bytes (64 hex digits)",
        )
    })
}

async fn load(app: &AppState, id: &str) -> Result<DrawRecord, LotteryError> {
    app.store.get_draw(id).await.map_err(|e| match e {
        StoreError::NotFound => LotteryError::NotFound("draw"),
        e => e.into(),
    })
}

fn event(
    kind: &'static str,
    d: &DrawRecord,
    actor: AuditActor,
    at: Timestamp,
    payload: Value,
) -> AuditEvent {
    let mut payload = payload;
    payload["draw"] = json!(d.id);
    AuditEvent::new(kind, d.tender_id.as_ref(), actor, at, payload)
}

mod commitments;
mod conduct;
mod pools;
mod reading;
mod request;

pub use commitments::*;
pub use conduct::*;
pub use pools::*;
pub use reading::*;
pub use request::*;
