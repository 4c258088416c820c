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

// ---------------------------------------------------------------------------------------------
// request: announce, then freeze

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawRequest {
    pub kind: DrawKind,
    /// The project whose agent is drawn (agent draws).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub project_id: Option<ProjectId>,
    /// The tender whose evaluation panel is drawn (expert draws).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tender_id: Option<TenderId>,
    #[schema(value_type = String)]
    pub purpose: Line<1, 300>,
    pub select: u32,
    #[serde(default)]
    pub reserves: u32,
    #[serde(default)]
    pub agent_filter: Option<AgentFilter>,
    #[serde(default)]
    pub expert_filter: Option<ExpertFilter>,
    /// The organisations contributing randomness; default: the platform, the requester and the
    /// supervisor.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub parties: Option<Vec<OrgId>>,
    /// The supervising department that witnesses the draw (expert draws default to the tender's).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub supervisor_org_id: Option<OrgId>,
    #[schema(value_type = String)]
    pub commit_deadline: Timestamp,
    #[schema(value_type = String)]
    pub reveal_deadline: Timestamp,
    #[serde(default)]
    pub beacon: Option<AnnouncedBeacon>,
    /// Default: leave out a party that misses its reveal when a beacon is announced, otherwise fail.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub missed_reveal_rule: Option<MissedRevealRule>,
}

struct Target {
    project_id: Option<ProjectId>,
    tender_id: Option<TenderId>,
    supervisor: Option<OrgId>,
    pool: Vec<Candidate>,
    excluded: Vec<Excluded>,
}

/// Who may request, and the pool the registries give at `now`.
async fn target(
    app: &AppState,
    actor: &Actor,
    req: &DrawRequest,
    now: Timestamp,
) -> Result<Target, LotteryError> {
    let mut pool = Vec::new();
    let mut excluded = Vec::new();
    let mut sort = |id: String, name: String, reasons: Vec<crate::registry::Exclusion>| {
        if reasons.is_empty() {
            pool.push(Candidate::new(id, name));
        } else {
            excluded.push(Excluded { id, name, reasons });
        }
    };
    match req.kind {
        DrawKind::Agent => {
            let project_id = req.project_id.clone().ok_or_else(|| {
                invalid("project_id", "required", "an agent draw names its project")
            })?;
            let filter = req.agent_filter.as_ref().ok_or_else(|| {
                invalid(
                    "agent_filter",
                    "required",
                    "an agent draw names the category",
                )
            })?;
            let project = app
                .store
                .get_project(&project_id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => LotteryError::NotFound("project"),
                    e => e.into(),
                })?;
            if actor.role != Role::Owner || actor.org_id != project.owner_org_id {
                return Err(LotteryError::Forbidden(
                    "only the owner of the project (招标人) requests its agent draw",
                ));
            }
            let quals = app.store.list_qualifications(None).await?;
            let credit = app.store.list_credit_records(None).await?;
            for a in app.store.list_agents().await? {
                let q: Vec<_> = quals
                    .iter()
                    .filter(|q| q.org_id == a.org_id)
                    .cloned()
                    .collect();
                let c: Vec<_> = credit
                    .iter()
                    .filter(|c| c.org_id == a.org_id)
                    .cloned()
                    .collect();
                let why = agent_exclusions(&a, &q, &c, filter, now);
                sort(
                    a.org_id.to_string(),
                    a.forms.organisation.name.as_str().to_string(),
                    why,
                );
            }
            Ok(Target {
                project_id: Some(project_id),
                tender_id: None,
                supervisor: req.supervisor_org_id.clone(),
                pool,
                excluded,
            })
        }
        DrawKind::Expert => {
            let tender_id = req.tender_id.clone().ok_or_else(|| {
                invalid("tender_id", "required", "an expert draw names its tender")
            })?;
            let filter = req.expert_filter.as_ref().ok_or_else(|| {
                invalid(
                    "expert_filter",
                    "required",
                    "an expert draw names the specialties",
                )
            })?;
            let tender = app
                .store
                .get_tender(&tender_id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => LotteryError::NotFound("tender"),
                    e => e.into(),
                })?;
            if !Relations::of(Some(actor), &tender).manages() {
                return Err(LotteryError::Forbidden(
                    "only the tender's agent or owner requests its expert draw",
                ));
            }
            let conflicts = Conflicts {
                owner: tender.owner_org_id.clone(),
                agent: tender.agent_org_id.clone(),
                supervisor: tender.spec.supervisor_org_id.clone(),
                tenderers: app
                    .store
                    .list_obtained(&tender_id)
                    .await?
                    .into_iter()
                    .map(|o| o.org_id)
                    .collect(),
            };
            for e in app.store.list_experts().await? {
                let why = expert_exclusions(&e, filter, &conflicts, now);
                sort(e.id.clone(), e.name.as_str().to_string(), why);
            }
            Ok(Target {
                project_id: Some(tender.project_id.clone()),
                tender_id: Some(tender_id),
                supervisor: Some(
                    req.supervisor_org_id
                        .clone()
                        .unwrap_or(tender.spec.supervisor_org_id),
                ),
                pool,
                excluded,
            })
        }
    }
}

async fn parties(
    app: &AppState,
    actor: &Actor,
    req: &DrawRequest,
    supervisor: Option<OrgId>,
) -> Result<Vec<OrgId>, LotteryError> {
    let parties = match &req.parties {
        Some(p) => p.clone(),
        None => {
            let platform = app
                .store
                .list_organisations(Some(Role::Platform))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    LotteryError::Protocol("the hall has no platform organisation".into())
                })?;
            let supervisor = supervisor.ok_or_else(|| {
                invalid(
                    "supervisor_org_id",
                    "required",
                    "name the supervising department that witnesses the draw, or list the parties",
                )
            })?;
            vec![platform.id, actor.org_id.clone(), supervisor]
        }
    };
    if parties.is_empty() {
        return Err(invalid(
            "parties",
            "required",
            "at least one party contributes randomness",
        ));
    }
    for (i, p) in parties.iter().enumerate() {
        if parties[..i].contains(p) {
            return Err(invalid(
                "parties",
                "duplicate_party",
                "a party is listed twice",
            ));
        }
        match app.store.get_organisation(p).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(invalid(
                    &format!("parties[{i}]"),
                    "unknown_organisation",
                    "no such organisation",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(parties)
}

/// Announces a draw (logged) and freezes its pool (published and logged). Refused, with nothing
/// logged, when the request is not valid or the registries cannot fill it.
pub async fn request_draw(
    app: &AppState,
    actor: &Actor,
    req: DrawRequest,
) -> Result<DrawRecord, LotteryError> {
    let now = app.clock.now();
    let target = target(app, actor, &req, now).await?;
    let parties = parties(app, actor, &req, target.supervisor.clone()).await?;
    if req.select == 0 {
        return Err(invalid(
            "select",
            "nothing_to_select",
            "select at least one candidate",
        ));
    }
    if req.kind == DrawKind::Agent && req.select != 1 {
        // The draw appoints the project's agent: one, with reserves for a selectee who declines.
        return Err(invalid(
            "select",
            "one_agent",
            "an agent draw selects one agent, who becomes the project's agent; reserves take its place if it declines",
        ));
    }
    if req.select.saturating_add(req.reserves) > MAX_DRAWN {
        return Err(invalid(
            "reserves",
            "too_many",
            format!("at most {MAX_DRAWN} are drawn"),
        ));
    }
    if req.commit_deadline <= now {
        return Err(invalid(
            "commit_deadline",
            "in_the_past",
            "the commit deadline must be in the future",
        ));
    }
    if req.reveal_deadline <= req.commit_deadline {
        return Err(invalid(
            "reveal_deadline",
            "deadlines_out_of_order",
            "the reveals close after the commitments",
        ));
    }
    if let Some(b) = &req.beacon {
        if b.deadline <= req.reveal_deadline {
            return Err(invalid(
                "beacon.deadline",
                "deadlines_out_of_order",
                "the beacon must be fixed only after the reveals close",
            ));
        }
        if b.source.trim().is_empty() || b.round.trim().is_empty() {
            return Err(invalid(
                "beacon",
                "required",
                "a beacon names its source and round",
            ));
        }
        if b.source == drand::QUICKNET && b.round.parse::<u64>().is_err() {
            return Err(invalid(
                "beacon.round",
                "not_a_round",
                "a drand quicknet beacon names its round by number",
            ));
        }
    }
    let rule = req.missed_reveal_rule.unwrap_or(if req.beacon.is_some() {
        MissedRevealRule::ExcludeParty
    } else {
        MissedRevealRule::FailDraw
    });
    if rule == MissedRevealRule::ExcludeParty && req.beacon.is_none() {
        return Err(invalid(
            "missed_reveal_rule",
            "exclude_without_beacon",
            "leaving out a party that misses its reveal needs a beacon: without one the last to reveal could choose the outcome",
        ));
    }
    let pool = Pool::new(target.pool).map_err(|e| LotteryError::Protocol(e.to_string()))?;
    let needed = (req.select + req.reserves) as usize;
    if pool.len() < needed {
        return Err(LotteryError::PoolTooSmall {
            pool: pool.len(),
            needed,
        });
    }
    let sealed = req.kind == DrawKind::Expert;
    if sealed {
        let everyone = pool
            .candidates()
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str()))
            .chain(
                target
                    .excluded
                    .iter()
                    .map(|e| (e.id.as_str(), e.name.as_str())),
            );
        refuse_naming("purpose", req.purpose.as_str(), everyone)?;
    }

    // 1. announce
    let mut d = DrawRecord {
        id: uuid::Uuid::now_v7().to_string(),
        kind: req.kind,
        project_id: target.project_id,
        tender_id: target.tender_id,
        requested_by: actor.org_id.clone(),
        purpose: req.purpose.as_str().to_string(),
        select_count: req.select,
        reserve_count: req.reserves,
        agent_filter: req.agent_filter,
        expert_filter: req.expert_filter,
        parties,
        commit_deadline: req.commit_deadline,
        reveal_deadline: req.reveal_deadline,
        beacon: req.beacon,
        missed_reveal_rule: rule,
        state: DrawState::Announced,
        pool: None,
        beacon_value: None,
        transcript: None,
        created_at: now,
        version: 1,
    };
    let a = d.announcement();
    let audit = event(
        "draw_announced",
        &d,
        AuditActor::from(actor),
        now,
        json!({
            "algorithm": crate::draws::ALGORITHM, "kind": d.kind, "project": d.project_id,
            "purpose": a.purpose, "select": a.select_count, "reserves": a.reserve_count,
            "parties": a.parties, "deadlines": a.deadlines, "missed_reveal_rule": a.missed_reveal_rule,
            "beacon": d.beacon.as_ref().map(|b| json!({"source": b.source, "round": b.round})),
            "agent_filter": d.agent_filter, "expert_filter": d.expert_filter,
        }),
    );
    app.store.create_draw(&d, &audit).await?;

    // 2. freeze the pool: an expert pool sealed (docs/draw.md, "Sealed pools"), names kept apart
    if sealed {
        let sealed_pool = SealedPool::seal(&d.id, &pool, || {
            let mut salt = [0u8; SECRET_LEN];
            crate::identity::session::fill_random(&mut salt);
            salt
        })
        .map_err(|e| LotteryError::Protocol(e.to_string()))?;
        let frozen = FrozenPool {
            hash: hex::encode(sealed_pool.hash()),
            candidates: Vec::new(),
            excluded: target.excluded.iter().map(Excluded::anonymous).collect(),
            frozen_at: now,
            sealed: Some(sealed_pool.commitments().iter().map(hex::encode).collect()),
            opened_at: None,
        };
        let audit = event(
            "draw_pool_frozen",
            &d,
            AuditActor::System,
            now,
            json!({ "pool_hash": frozen.hash, "pool_size": sealed_pool.len(), "sealed": frozen.sealed, "excluded": frozen.excluded }),
        );
        let secret = SealedSecret {
            openings: sealed_pool.openings(),
            excluded: target.excluded,
        };
        d.pool = Some(frozen);
        d.state = DrawState::Open;
        d.version += 1;
        app.store.freeze_sealed_pool(&d, &secret, &audit).await?;
        return Ok(d);
    }
    let frozen = FrozenPool {
        hash: hex::encode(pool.hash()),
        candidates: pool.candidates().to_vec(),
        excluded: target.excluded,
        frozen_at: now,
        sealed: None,
        opened_at: None,
    };
    let audit = event(
        "draw_pool_frozen",
        &d,
        AuditActor::System,
        now,
        json!({ "pool_hash": frozen.hash, "pool_size": frozen.candidates.len(), "excluded": frozen.excluded }),
    );
    d.pool = Some(frozen);
    d.state = DrawState::Open;
    d.version += 1;
    app.store.save_draw(&d, &audit).await?;
    Ok(d)
}

/// Refuses `text` (a purpose or a replacement's note, both public at once) when it names any
/// member of a sealed pool by id or name: 法37 keeps them secret until the result is determined.
fn refuse_naming<'a>(
    field: &str,
    text: &str,
    members: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), LotteryError> {
    let named = |s: &str| !s.trim().is_empty() && text.contains(s.trim());
    for (id, name) in members {
        if named(id) || named(name) {
            return Err(invalid(
                field,
                "names_an_expert",
                "the evaluation experts are secret until the result is determined (招标投标法 第三十七条): name no expert here",
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// commit, reveal, beacon

fn party_of<'a>(d: &DrawRecord, actor: &'a Actor) -> Result<&'a OrgId, LotteryError> {
    if !d.is_party(&actor.org_id) {
        return Err(LotteryError::Forbidden(
            "only the parties named in the announcement contribute to this draw",
        ));
    }
    Ok(&actor.org_id)
}

fn in_phase(
    d: &DrawRecord,
    now: Timestamp,
    want: Phase,
    action: &'static str,
) -> Result<(), LotteryError> {
    let phase = d.phase(now);
    if phase != want {
        return Err(LotteryError::WrongPhase { phase, action });
    }
    Ok(())
}

/// A party publishes c = SHA-256(domain ‖ draw ‖ party ‖ r), computed on its own device.
pub async fn commit(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    commitment_hex: &str,
) -> Result<PartyValue, LotteryError> {
    let d = load(app, draw).await?;
    let party = party_of(&d, actor)?;
    let now = app.clock.now();
    in_phase(&d, now, Phase::Committing, "committing")?;
    let c = hex32("commitment", commitment_hex)?;
    let v = PartyValue {
        party: party.clone(),
        value: hex::encode(c),
        at: now,
    };
    let audit = event(
        "draw_committed",
        &d,
        AuditActor::from(actor),
        now,
        json!({ "party": party, "commitment": v.value }),
    );
    app.store
        .add_draw_commitment(&d.id, &v, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => LotteryError::Already("committed"),
            e => e.into(),
        })?;
    Ok(v)
}

/// A party reveals its 32 bytes; refused unless they match its commitment.
pub async fn reveal(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    r_hex: &str,
) -> Result<PartyValue, LotteryError> {
    let d = load(app, draw).await?;
    let party = party_of(&d, actor)?;
    let now = app.clock.now();
    in_phase(&d, now, Phase::Revealing, "revealing")?;
    let r = hex32("r", r_hex)?;
    let committed = app
        .store
        .draw_commitments(&d.id)
        .await?
        .into_iter()
        .find(|c| c.party == *party)
        .ok_or(LotteryError::NotCommitted)?;
    let expected =
        commitment(&d.id, party.as_str(), &r).map_err(|e| LotteryError::Protocol(e.to_string()))?;
    if hex::encode(expected) != committed.value {
        return Err(LotteryError::CommitmentMismatch);
    }
    let v = PartyValue {
        party: party.clone(),
        value: hex::encode(r),
        at: now,
    };
    let audit = event(
        "draw_revealed",
        &d,
        AuditActor::from(actor),
        now,
        json!({ "party": party, "r": v.value }),
    );
    app.store
        .add_draw_reveal(&d.id, &v, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => LotteryError::Already("revealed"),
            e => e.into(),
        })?;
    Ok(v)
}

/// What the platform enters for the announced beacon.
#[derive(Debug, Clone)]
pub enum BeaconEntry {
    /// The value as hex, for a source the hall cannot check itself (a NIST pulse, a lottery).
    Value(String),
    /// A drand quicknet round, checked against the chain's pinned key; its randomness is the value.
    Drand(DrandRound),
}

/// The platform enters the announced beacon's value once it exists (after the reveals closed).
pub async fn enter_beacon(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    entry: BeaconEntry,
) -> Result<DrawRecord, LotteryError> {
    if actor.role != Role::Platform {
        return Err(LotteryError::Forbidden(
            "only the platform enters a beacon value",
        ));
    }
    let mut d = load(app, draw).await?;
    let now = app.clock.now();
    in_phase(&d, now, Phase::AwaitingBeacon, "entering the beacon")?;
    let announced = d
        .beacon
        .clone()
        .expect("awaiting a beacon means one was announced");
    if now < announced.deadline {
        return Err(LotteryError::WrongPhase {
            phase: Phase::AwaitingBeacon,
            action: "entering the beacon before its announced time",
        });
    }
    let is_drand = announced.source == drand::QUICKNET;
    let (value, proof) = match entry {
        BeaconEntry::Drand(round) if is_drand => {
            let value = drand::verify_quicknet(&announced.round, &round)
                .map_err(|e| invalid("drand", e.code(), e.to_string()))?;
            let proof = json!({ "round": round.round, "signature": round.signature });
            (value.to_vec(), Some(proof))
        }
        BeaconEntry::Drand(_) => {
            return Err(invalid(
                "drand",
                "not_drand",
                format!(
                    "the announced beacon is {}, not {}: enter its value",
                    announced.source,
                    drand::QUICKNET
                ),
            ))
        }
        BeaconEntry::Value(_) if is_drand => {
            return Err(invalid(
                "drand",
                "required",
                "a drand quicknet beacon is entered as the round's JSON (round, signature), which the hall checks against the chain's key",
            ))
        }
        BeaconEntry::Value(value_hex) => {
            let value = hex::decode(&value_hex)
                .ok()
                .filter(|v| !v.is_empty() && hex::encode(v) == value_hex)
                .ok_or_else(|| {
                    invalid(
                        "value",
                        "malformed_hex",
                        "the beacon value is non-empty lower-case hex",
                    )
                })?;
            (value, None)
        }
    };
    d.beacon_value = Some(hex::encode(&value));
    d.version += 1;
    let audit = event(
        "draw_beacon_entered",
        &d,
        AuditActor::from(actor),
        now,
        json!({ "source": announced.source, "round": announced.round, "value": d.beacon_value, "drand": proof }),
    );
    app.store.save_draw(&d, &audit).await?;
    Ok(d)
}

// ---------------------------------------------------------------------------------------------
// conduct, replace

/// Runs the draw from what was collected: completes it, or fails it publicly by the announced rule.
/// Any party, the requester or the platform may set it off once everything is in; the hall also
/// does it by itself (`conduct_due_draws`). Whoever comes first runs it, once.
pub async fn conduct(
    app: &AppState,
    actor: &Actor,
    draw: &str,
) -> Result<DrawRecord, LotteryError> {
    let d = load(app, draw).await?;
    if !(d.is_party(&actor.org_id)
        || d.requested_by == actor.org_id
        || actor.role == Role::Platform)
    {
        return Err(LotteryError::Forbidden(
            "the draw is conducted by its requester, a party or the platform",
        ));
    }
    run_draw(app, d, AuditActor::from(actor), app.clock.now()).await
}

/// Conducts every open draw whose windows have closed (reveal deadline passed, the announced
/// beacon's value entered), as the hall itself; returns the draws run. Decided by the hall's clock
/// only. A draw someone conducted meanwhile is skipped: the record's version lets one run win.
pub async fn conduct_due_draws(app: &AppState) -> Result<Vec<DrawRecord>, LotteryError> {
    DueDraws::default().conduct(app).await
}

/// The watcher's memory of each open draw: when its reveals close (fixed by its announcement) and
/// the version it last read once that time had passed. A tick reads a draw in full (with its
/// frozen pool) only if it may have become due: its reveals closed and, if it was still waiting
/// (for its beacon), its record changed since. Only a shortcut: a fresh one (after a restart)
/// rebuilds it from the store.
#[derive(Default)]
pub struct DueDraws {
    seen: std::collections::HashMap<String, Seen>,
}

struct Seen {
    reveals_close: Timestamp,
    waiting_at_version: Option<i64>,
}

impl DueDraws {
    pub async fn conduct(&mut self, app: &AppState) -> Result<Vec<DrawRecord>, LotteryError> {
        let now = app.clock.now();
        let open = app.store.open_draws().await?;
        self.seen
            .retain(|id, _| open.iter().any(|(open_id, _)| open_id == id));
        let mut done = Vec::new();
        for (id, version) in open {
            if let Some(s) = self.seen.get(&id) {
                if now < s.reveals_close || s.waiting_at_version == Some(version) {
                    continue;
                }
            }
            let d = load(app, &id).await?;
            let ready = d.phase(now) == Phase::ReadyToConduct;
            self.seen.insert(
                id.clone(),
                Seen {
                    reveals_close: d.reveal_deadline,
                    waiting_at_version: (now >= d.reveal_deadline && !ready).then_some(d.version),
                },
            );
            if !ready {
                continue;
            }
            match run_draw(app, d, AuditActor::System, now).await {
                Ok(d) => done.push(d),
                // Conducted by someone else between the read and the write.
                Err(LotteryError::Store(StoreError::Conflict(_))) => {}
                // One draw that cannot be run must not hold up the others; it stays open, and
                // its requester or a party sees the same refusal when conducting it by hand.
                Err(e) => {
                    tracing::warn!(draw = %id, error = %e, "a due draw could not be conducted")
                }
            }
        }
        Ok(done)
    }
}

/// Watches the clock every `every` until shutdown and conducts the draws that are due.
pub fn spawn_conductor(app: AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    // What the watcher remembers between ticks; only its own ticks touch it.
    let due = std::sync::Arc::new(tokio::sync::Mutex::new(DueDraws::default()));
    app.every("draw_conductor", every, move |app| {
        let due = due.clone();
        async move {
            match due.lock().await.conduct(&app).await {
                Ok(done) => {
                    for d in done {
                        tracing::info!(draw = %d.id, state = d.state.as_str(), "draw conducted at its deadline");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "conducting due draws failed"),
            }
            match open_due_pools(&app).await {
                Ok(done) => {
                    for d in done {
                        tracing::info!(draw = %d.id, "sealed expert pool opened at the result");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "opening sealed pools failed"),
            }
        }
    })
}

async fn run_draw(
    app: &AppState,
    mut d: DrawRecord,
    actor: AuditActor,
    now: Timestamp,
) -> Result<DrawRecord, LotteryError> {
    in_phase(&d, now, Phase::ReadyToConduct, "conducting the draw")?;
    let pool_record = d.pool.clone().expect("an open draw has a frozen pool");
    let pairs = |vs: Vec<PartyValue>| -> Result<Vec<(String, [u8; SECRET_LEN])>, LotteryError> {
        vs.into_iter()
            .map(|v| Ok((v.party.to_string(), hex32("stored value", &v.value)?)))
            .collect()
    };
    let commitments = pairs(app.store.draw_commitments(&d.id).await?)?;
    let reveals = pairs(app.store.draw_reveals(&d.id).await?)?;
    let beacon = match &d.beacon_value {
        Some(v) => Some(hex::decode(v).map_err(|e| LotteryError::Protocol(e.to_string()))?),
        None => None,
    };
    let t = match &pool_record.sealed {
        Some(sealed) => {
            let sealed = sealed
                .iter()
                .map(|c| hex32("stored sealed pool", c))
                .collect::<Result<Vec<_>, _>>()?;
            Transcript::conduct_sealed(
                d.announcement(),
                &sealed,
                &commitments,
                &reveals,
                beacon.as_deref(),
            )
        }
        None => {
            let pool = Pool::new(pool_record.candidates)
                .map_err(|e| LotteryError::Protocol(e.to_string()))?;
            Transcript::conduct(
                d.announcement(),
                &pool,
                &commitments,
                &reveals,
                beacon.as_deref(),
            )
        }
    }
    .map_err(|e| LotteryError::Protocol(e.to_string()))?;
    // An agent draw's selectee becomes the project's agent, in the same commit as the result.
    let appointed = match (&t.result, d.kind, &d.project_id) {
        (Some(r), DrawKind::Agent, Some(project)) => r
            .selected
            .first()
            .map(|agent| (project.clone(), OrgId::from_stored(agent.clone()))),
        _ => None,
    };
    let (kind, payload) = match &t.result {
        Some(r) => (
            "draw_completed",
            json!({
                "seed": t.seed, "selected": r.selected, "reserves": r.reserves, "missed_reveals": t.missed_reveals,
                "appointed": appointed.as_ref().map(|(p, a)| json!({ "project": p, "agent": a })),
            }),
        ),
        None => (
            "draw_failed",
            json!({ "missed_reveals": t.missed_reveals, "reason": "a party missed its reveal under the announced rule; a new draw must be announced" }),
        ),
    };
    d.state = if t.result.is_some() {
        DrawState::Completed
    } else {
        DrawState::Failed
    };
    d.transcript = Some(t);
    d.version += 1;
    let audit = event(kind, &d, actor, now, payload);
    save(app, &d, appointed.as_ref(), &audit).await?;
    Ok(d)
}

/// Saves the draw, and with it the project's new agent when the draw appoints one.
async fn save(
    app: &AppState,
    d: &DrawRecord,
    appointed: Option<&(ProjectId, OrgId)>,
    audit: &AuditEvent,
) -> Result<(), LotteryError> {
    match appointed {
        Some((project, agent)) => {
            app.store
                .save_draw_appointing(d, project, agent, audit)
                .await?
        }
        None => app.store.save_draw(d, audit).await?,
    }
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceSelectee {
    /// The selectee's id, or in a sealed pool its position ("3").
    pub replaced: String,
    #[schema(value_type = String)]
    pub reason: ReplacementReason,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub note: Option<Line<0, 300>>,
}

/// A selectee declined or was disqualified: the next reserve in order takes the place, recorded.
pub async fn replace(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    r: ReplaceSelectee,
) -> Result<DrawRecord, LotteryError> {
    let mut d = load(app, draw).await?;
    // Experts answer the platform, which alone knows who holds a sealed position.
    let platform_for_experts = d.kind == DrawKind::Expert && actor.role == Role::Platform;
    if d.requested_by != actor.org_id && !platform_for_experts {
        return Err(LotteryError::Forbidden(
            "only the draw's requester (or, for experts, the platform) records a replacement",
        ));
    }
    let now = app.clock.now();
    in_phase(&d, now, Phase::Completed, "replacing a selectee")?;
    if d.is_sealed() && !d.is_opened() {
        if let Some(note) = r.note.as_ref() {
            let secret = app.store.sealed_pool(&d.id).await?;
            let everyone = secret
                .openings
                .iter()
                .map(|o| (o.id.as_str(), o.name.as_str()))
                .chain(
                    secret
                        .excluded
                        .iter()
                        .map(|e| (e.id.as_str(), e.name.as_str())),
                );
            refuse_naming("note", note.as_str(), everyone)?;
        }
    }
    let mut t = d
        .transcript
        .clone()
        .expect("a completed draw has a transcript");
    let note = r
        .note
        .map(|n| n.as_str().to_string())
        .filter(|n| !n.is_empty());
    let next = t
        .replace(&r.replaced, r.reason, note.clone())
        .map_err(|e| invalid("replaced", e.step(), e.to_string()))?;
    // The reserve who takes an agent selectee's place becomes the project's agent.
    let appointed = match (d.kind, &d.project_id) {
        (DrawKind::Agent, Some(project)) => {
            Some((project.clone(), OrgId::from_stored(next.clone())))
        }
        _ => None,
    };
    d.transcript = Some(t);
    d.version += 1;
    let audit = event(
        "draw_replacement",
        &d,
        AuditActor::from(actor),
        now,
        json!({
            "replaced": r.replaced, "replacement": next, "reason": r.reason, "note": note,
            "appointed": appointed.as_ref().map(|(p, a)| json!({ "project": p, "agent": a })),
        }),
    );
    save(app, &d, appointed.as_ref(), &audit).await?;
    Ok(d)
}

// ---------------------------------------------------------------------------------------------
// reading

/// Everything public about a draw, for its live page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DrawView {
    pub draw: DrawRecord,
    pub phase: Phase,
    pub commitments: Vec<PartyValue>,
    pub reveals: Vec<PartyValue>,
}

pub async fn view(app: &AppState, draw: &str) -> Result<DrawView, LotteryError> {
    let d = load(app, draw).await?;
    Ok(DrawView {
        phase: d.phase(app.clock.now()),
        commitments: app.store.draw_commitments(&d.id).await?,
        reveals: app.store.draw_reveals(&d.id).await?,
        draw: d,
    })
}

pub async fn list(app: &AppState) -> Result<Vec<DrawView>, LotteryError> {
    let now = app.clock.now();
    Ok(app
        .store
        .list_draws()
        .await?
        .into_iter()
        .map(|d| DrawView {
            phase: d.phase(now),
            commitments: vec![],
            reveals: vec![],
            draw: d,
        })
        .collect())
}

/// The published transcript (RFC 8785 bytes) of a conducted draw, with the draw's audit-log
/// entries and their inclusion proofs in a signed checkpoint of the log.
pub async fn transcript(app: &AppState, draw: &str) -> Result<Vec<u8>, LotteryError> {
    let d = load(app, draw).await?;
    let Some(mut t) = d.transcript.clone() else {
        return Err(LotteryError::WrongPhase {
            phase: d.phase(app.clock.now()),
            action: "publishing the transcript",
        });
    };
    let internal = |e: crate::auditlog::service::LogError| LotteryError::Protocol(e.to_string());
    let checkpoint = crate::auditlog::service::checkpoint(app)
        .await
        .map_err(internal)?;
    let mut audit = vec![json!({ "checkpoint": checkpoint.note, "tree_size": checkpoint.size })];
    for idx in app.store.draw_audit_indices(&d.id).await? {
        let entry = app.store.audit_entry(idx).await?;
        let proof = crate::auditlog::service::inclusion(app, idx, checkpoint.size)
            .await
            .map_err(internal)?;
        let entry_json: Value = serde_json::from_slice(&entry.entry)
            .map_err(|e| LotteryError::Protocol(format!("a stored entry is not JSON: {e}")))?;
        audit.push(json!({
            "index": idx,
            "entry": entry_json,
            "inclusion_proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        }));
    }
    t.audit = Some(audit);
    to_canonical_vec(&t).map_err(|e| LotteryError::Protocol(e.to_string()))
}

// ---------------------------------------------------------------------------------------------
// sealed expert pools (法37, 条例): names only once the result is determined

/// The secret side of a sealed pool, for the platform alone (it notifies the experts drawn).
pub async fn openings(
    app: &AppState,
    actor: &Actor,
    draw: &str,
) -> Result<SealedSecret, LotteryError> {
    if actor.role != Role::Platform {
        return Err(LotteryError::Forbidden(
            "the evaluation experts are secret until the result is determined (招标投标法 第三十七条); only the platform sees the sealed pool",
        ));
    }
    let d = load(app, draw).await?;
    if !d.is_sealed() {
        return Err(LotteryError::NotFound("sealed pool"));
    }
    Ok(app.store.sealed_pool(&d.id).await?)
}

/// Who each handle of the draw's result is — an id of an open pool, or a position ("3") of a
/// sealed one — with the name. For the award's host forming the committee; never published.
pub async fn pool_members(
    app: &AppState,
    d: &DrawRecord,
) -> Result<std::collections::HashMap<String, Candidate>, LotteryError> {
    if d.is_sealed() {
        let secret = app.store.sealed_pool(&d.id).await?;
        return Ok(secret
            .openings
            .into_iter()
            .map(|o| {
                (
                    crate::draws::position_handle(o.position as usize),
                    Candidate::new(o.id, o.name),
                )
            })
            .collect());
    }
    let candidates = d
        .transcript
        .as_ref()
        .and_then(|t| t.pool.clone())
        .or_else(|| d.pool.as_ref().map(|p| p.candidates.clone()))
        .unwrap_or_default();
    Ok(candidates.into_iter().map(|c| (c.id.clone(), c)).collect())
}

/// Opens the sealed pool of every conducted expert draw of `tender`: the result is determined
/// (the award notice is issued). Each draw's transcript gets the openings of every member,
/// verified against their commitments, and its record the names and the exclusions; logged as
/// `draw_pool_opened`. Idempotent: an opened pool is left alone. Returns the draws opened.
pub async fn open_sealed_pools(
    app: &AppState,
    tender: &TenderId,
) -> Result<Vec<DrawRecord>, LotteryError> {
    let mut done = Vec::new();
    for id in app.store.unopened_sealed_pools().await? {
        let d = load(app, &id).await?;
        if d.tender_id.as_ref() != Some(tender) {
            continue;
        }
        if let Some(d) = open_one(app, d).await? {
            done.push(d);
        }
    }
    Ok(done)
}

/// Opens the tender's sealed expert pools if its result is determined (法37: the committee is
/// secret until then); nothing otherwise. A reaction to each award notice and lot failure.
pub async fn open_pools_if_determined(
    app: &AppState,
    tender: &TenderId,
) -> Result<Vec<DrawRecord>, LotteryError> {
    if !result_determined(app, tender).await? {
        return Ok(Vec::new());
    }
    open_sealed_pools(app, tender).await
}

/// What the watcher does on every tick: opens the sealed pools whose tender's award notice was
/// issued, in case the notice's own call did not (a crash in between, or a draw conducted later).
pub async fn open_due_pools(app: &AppState) -> Result<Vec<DrawRecord>, LotteryError> {
    let mut done = Vec::new();
    for id in app.store.unopened_sealed_pools().await? {
        let d = load(app, &id).await?;
        let Some(tender) = d.tender_id.clone() else {
            continue;
        };
        if !result_determined(app, &tender).await? {
            continue;
        }
        if let Some(d) = open_one(app, d).await? {
            done.push(d);
        }
    }
    Ok(done)
}

/// 条例: the result is determined when the award notices are issued (`AwardState::result_determined`). A tender that fails or is
/// cancelled keeps its committee secret (`docs/draw.md`, "When the pool is opened").
async fn result_determined(app: &AppState, tender: &TenderId) -> Result<bool, LotteryError> {
    let events = app.store.award_events(tender).await?;
    Ok(crate::award::state::AwardState::fold(&events)
        .map_err(|e| StoreError::Unavailable(format!("a stored award event does not parse: {e}")))?
        .result_determined())
}

async fn open_one(app: &AppState, mut d: DrawRecord) -> Result<Option<DrawRecord>, LotteryError> {
    if !matches!(d.state, DrawState::Completed | DrawState::Failed) || d.is_opened() {
        return Ok(None);
    }
    let secret = app.store.sealed_pool(&d.id).await?;
    let now = app.clock.now();
    let mut t = d
        .transcript
        .clone()
        .expect("a conducted draw has a transcript");
    t.open(secret.openings.clone())
        .map_err(|e| LotteryError::Protocol(format!("the sealed pool does not open: {e}")))?;
    d.transcript = Some(t);
    if let Some(pool) = d.pool.as_mut() {
        pool.candidates = secret
            .openings
            .iter()
            .map(|o| Candidate::new(o.id.clone(), o.name.clone()))
            .collect();
        pool.excluded = secret.excluded.clone();
        pool.opened_at = Some(now);
    }
    d.version += 1;
    let audit = event(
        "draw_pool_opened",
        &d,
        AuditActor::System,
        now,
        json!({
            "reason": "award_notice_issued",
            "openings": secret.openings,
            "excluded": secret.excluded,
        }),
    );
    match app.store.open_sealed_pool(&d, now, &audit).await {
        Ok(()) => Ok(Some(d)),
        // Opened (or replaced) by someone else meanwhile; the next tick looks again.
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
