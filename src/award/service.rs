//! The award's use cases. Each folds the stored events, decides on the rules in `state.rs`, and
//! appends its events (each with its audit entry, in one transaction) after the last one it
//! folded — retried on a fresh fold if another writer came first.

use super::committee::{check_composition, panel};
use super::member::{MemberSession, Secret, CODE_PREFIX, TOKEN_PREFIX, TOKEN_TTL_MS};
use super::report;
use super::state::{
    AwardState, Committee, LotAward, Refusal, Stage, ANSWER_WITHIN_MS, MAX_CANDIDATES,
    PUBLICITY_MIN_MS,
};
use super::AwardEvent;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
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

/// A lot's contract performed, as `record_performance` tells the bonds.
#[derive(Debug, Clone, PartialEq)]
pub struct Performed {
    pub lot_id: String,
    /// The tenderer the contract was with.
    pub org: OrgId,
    /// Every lot this tenderer won is now performed: its performance bond may go back.
    pub all_of_its_lots: bool,
}

/// The owner (or its agent) records that a lot's contract is performed; the tender is completed
/// once every lot that did not fail is. A second call changes nothing.
pub async fn record_performance(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Performed, AwardError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(Refusal::Forbidden(
            "the owner or its agent records the contract's performance",
        )
        .into());
    }
    let mut out = None;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let lot = s.resolve_lot(lot)?;
        let l = s.require_lot(&lot, &[Stage::Contracted, Stage::Completed])?;
        let with = l
            .contract
            .as_ref()
            .and_then(|c| c["org_id"].as_str())
            .map(str::to_owned)
            .ok_or(AwardError::Store(StoreError::Unavailable(
                "a contract without its tenderer".into(),
            )))?;
        // Every other lot this tenderer won, performed already?
        let others_done = s
            .notices_to(&with)
            .iter()
            .all(|(o, _)| o.lot_id == lot || o.performed);
        out = Some(Performed {
            lot_id: lot.clone(),
            org: OrgId::from_stored(with.clone()),
            all_of_its_lots: others_done,
        });
        if l.performed {
            return Ok((Vec::new(), Vec::new()));
        }
        let body = AwardBody::ContractPerformed {
            lot_id: lot_key(&lot),
            org_id: Some(with),
            performed_at: now,
        };
        Ok((vec![typed(Audience::Public, body)], Vec::new()))
    })
    .await?;
    out.ok_or(AwardError::Store(StoreError::Unavailable(
        "no contract".into(),
    )))
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
    let t = text.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(Refusal::BadInput(format!(
            "{field}: between 1 and {max} characters"
        )));
    }
    Ok(t.to_string())
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

// ---------------------------------------------------------------------------------------------
// the committee

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitteeInput {
    /// Names of the owner's representatives (招标人代表), if the owner sends any.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub owner_representatives: Vec<Line<1, 100>>,
    /// The lot whose committee this is: required when the documents form one committee per lot
    /// (`committee_per_lot`), refused otherwise.
    #[serde(default)]
    pub lot_id: Option<String>,
    /// The completed expert draw of the tender to form it from; absent: the latest one that has
    /// not formed a committee yet.
    #[serde(default)]
    pub draw_id: Option<String>,
}

/// A member's one-time evaluation code, shown once to the host who hands it over.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberCode {
    pub seat: i64,
    pub kind: String,
    pub name: String,
    pub code: String,
}

/// The lot a committee is formed for: one of the tender's lots when its documents form one
/// committee per lot, none otherwise.
fn committee_lot(t: &Tender, named: Option<&str>) -> Result<Option<String>, Refusal> {
    match (t.spec.committee_per_lot, named) {
        (true, None) => Err(Refusal::LotRequired),
        (true, Some(lot)) => t
            .spec
            .lots
            .iter()
            .find(|l| l.id.as_str() == lot)
            .map(|l| Some(l.id.to_string()))
            .ok_or(Refusal::NotFound("lot")),
        (false, None) => Ok(None),
        (false, Some(_)) => Err(Refusal::OneCommittee),
    }
}

/// Refuses unless `lot` still waits for its own committee: none formed for it, and neither it
/// (nor the tender) failed — `thin` lists the lots the opening did not open (条例44).
fn lot_waits_for_committee(
    s: &AwardState,
    lot: &str,
    thin: &[(String, i64)],
) -> Result<(), Refusal> {
    let failed = thin.iter().any(|(l, _)| l == lot)
        || s.failure.is_some()
        || s.lot(lot).is_ok_and(|l| l.failure.is_some());
    let stage = if failed {
        Some(Stage::Failed)
    } else {
        s.committee_for(lot).map(|c| c.stage)
    };
    match stage {
        Some(stage) => Err(Refusal::LotWrongStage {
            lot: lot.to_string(),
            stage: stage.as_str(),
        }),
        None => Ok(()),
    }
}

/// The host forms a committee once the opening is concluded: the panel of a completed expert
/// draw of the tender, in draw order, plus the owner's representatives 法37 allows. One for the
/// tender, or one per lot where the documents say so, each from a draw of its own.
pub async fn form_committee(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: CommitteeInput,
) -> Result<Vec<MemberCode>, AwardError> {
    let t = tender(app, id).await?;
    host_only(actor, &t)?;
    let lot = committee_lot(&t, input.lot_id.as_deref())?;
    let before = fold(app, id).await?;
    match &lot {
        None => before.require(&[Stage::NotStarted])?,
        Some(lot) => lot_waits_for_committee(&before, lot, &[])?,
    }
    let formed: Vec<String> = before.committees.into_iter().map(|c| c.draw_id).collect();
    let draws: Vec<_> = app
        .store
        .list_draws()
        .await?
        .into_iter()
        .filter(|d| {
            d.kind == DrawKind::Expert
                && d.tender_id.as_ref() == Some(id)
                && d.state == DrawState::Completed
        })
        .collect();
    let draw = match &input.draw_id {
        Some(named) => draws
            .into_iter()
            .find(|d| &d.id == named)
            .ok_or(Refusal::NoExpertDraw)?,
        None => draws
            .into_iter()
            .filter(|d| !formed.contains(&d.id))
            .max_by_key(|d| d.created_at)
            .ok_or(Refusal::NoExpertDraw)?,
    };
    let transcript = draw.transcript.as_ref().ok_or(Refusal::NoExpertDraw)?;
    let opening = OpeningState::fold(&crate::opening::service::all_events(app, id).await?)?;
    if opening.phase() != Phase::Concluded {
        return Err(Refusal::OpeningNotConcluded.into());
    }
    let (seated, reserves) = panel(transcript);
    check_composition(seated.len(), input.owner_representatives.len())?;
    // The draw's result names positions when its pool is sealed (法37); the host gets the names
    // from the platform's store, never from a public record.
    let pool = crate::lottery::service::pool_members(app, &draw)
        .await
        .map_err(|e| AwardError::Store(StoreError::Unavailable(e.to_string())))?;
    let who = |h: &str| {
        (pool.get(h)).map_or((h.to_string(), String::new()), |c| {
            (c.id.clone(), c.name.clone())
        })
    };
    let name_of = |h: &str| who(h).1;
    let mut members: Vec<Value> = seated
        .iter()
        .map(|e| json!({ "kind": "expert", "expert_id": who(e).0, "name": name_of(e) }))
        .collect();
    members.extend(
        input.owner_representatives.iter().map(
            |n| json!({ "kind": "owner_representative", "expert_id": "", "name": n.as_str() }),
        ),
    );
    let reserves: Vec<Value> = reserves
        .iter()
        .map(|e| json!({ "expert_id": who(e).0, "name": name_of(e) }))
        .collect();
    let bids: Vec<Value> = opening
        .lines
        .iter()
        .filter(|l| l.opened())
        .map(|l| {
            json!({
                "line": l.n, "lot_id": l.lot_id, "org_id": l.org_id, "org_name": l.org_name,
                "price_fen": l.price_fen, "bond": l.bond,
            })
        })
        .collect();
    let tenderers: Vec<Value> = opening.lines.iter().map(|l| json!(l.org_id)).collect();
    // 条例44, per lot (标段): a lot the opening did not open for want of 3 bids is not evaluated;
    // it fails here, with the count the opening recorded, and is tendered again. (The rule is the
    // opening's, `opening::decide::lots_not_opened`; a whole tender without 3 failed there.)
    let thin: Vec<(String, i64)> = opening
        .not_opened
        .iter()
        .map(|l| (l.lot_id.clone(), l.count))
        .collect();
    let mut issued = Vec::new();
    act(app, id, By::User(actor.into()), |_, s, _| {
        match &lot {
            None => s.require(&[Stage::NotStarted])?,
            Some(lot) => lot_waits_for_committee(s, lot, &thin)?,
        }
        if s.committees.iter().any(|c| c.draw_id == draw.id) {
            return Err(Refusal::DrawAlreadyUsed {
                draw_id: draw.id.clone(),
            }
            .into());
        }
        // Seats are numbered across the tender's committees, so a seat names one member.
        let first = s.members.iter().map(|m| m.seat).max().unwrap_or(0) + 1;
        let mut members = members.clone();
        for (i, m) in members.iter_mut().enumerate() {
            m["seat"] = json!(first + i as i64);
        }
        issued.clear();
        let mut codes = Vec::new();
        for m in &members {
            let code = Secret::code();
            codes.push(IssuedCode {
                seat: m["seat"].as_i64().unwrap_or_default(),
                code_sha256: code.digest(),
            });
            issued.push(MemberCode {
                seat: m["seat"].as_i64().unwrap_or_default(),
                kind: m["kind"].as_str().unwrap_or_default().to_string(),
                name: m["name"].as_str().unwrap_or_default().to_string(),
                code: code.expose().to_string(),
            });
        }
        let mut body = json!({
            "draw_id": draw.id, "members": members, "reserves": reserves, "bids": bids,
            "tenderers": tenderers,
        });
        if let Some(lot) = &lot {
            body["lot_id"] = json!(lot);
        }
        let mut p = vec![hall("committee_formed", body)];
        for (lot, n) in &thin {
            if s.lot(lot).is_ok_and(|l| l.failure.is_some()) {
                continue;
            }
            p.push(lot_failed(
                lot,
                "min_three_bids",
                "条例44",
                format!("{n} bid(s) for this lot; fewer than 3 tenderers, so the lot is not evaluated and is tendered again (招标投标法实施条例 第四十四条)"),
            ));
        }
        Ok((p, codes))
    })
    .await?;
    Ok(issued)
}

/// The host issues fresh codes to the active members who have not signed the report (a
/// replacement after a recusal, a lost code, an expired token); older unused codes stop working.
pub async fn issue_codes(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<MemberCode>, AwardError> {
    host_only(actor, &tender(app, id).await?)?;
    let mut issued = Vec::new();
    act(app, id, By::User(actor.into()), |_, s, _| {
        // Every committee still evaluating (one, or one per lot).
        let evaluating: Vec<&Committee> = s
            .committees
            .iter()
            .filter(|c| matches!(c.stage, Stage::CommitteeFormed | Stage::Evaluating))
            .collect();
        if evaluating.is_empty() || s.failure.is_some() {
            return Err(Refusal::WrongStage {
                stage: s.stage().as_str(),
            }
            .into());
        }
        issued.clear();
        let mut codes = Vec::new();
        for m in evaluating
            .iter()
            .flat_map(|c| s.active_members_of(c))
            .filter(|m| m.signed.is_none())
        {
            let code = Secret::code();
            codes.push(IssuedCode {
                seat: m.seat,
                code_sha256: code.digest(),
            });
            issued.push(MemberCode {
                seat: m.seat,
                kind: m.kind.clone(),
                name: m.name.clone(),
                code: code.expose().to_string(),
            });
        }
        let seats: Vec<i64> = issued.iter().map(|m| m.seat).collect();
        Ok((vec![hall("codes_issued", json!({ "seats": seats }))], codes))
    })
    .await?;
    Ok(issued)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberSignIn {
    pub token: String,
    pub tender_id: String,
    pub seat: i64,
    pub name: String,
    pub expires_at: String,
}

/// A member signs in with its one-time code and gets a token for its seat of one tender.
pub async fn sign_in(app: &AppState, code: &str) -> Result<MemberSignIn, AwardError> {
    let code = Secret::parse(CODE_PREFIX, code).ok_or(AwardError::BadCredential)?;
    let (id, seat) = app
        .store
        .find_evaluation_code(&code.digest())
        .await?
        .ok_or(AwardError::BadCredential)?;
    let s = fold(app, &id).await?;
    let m = s.member(seat).ok_or(AwardError::BadCredential)?;
    // The member's own committee is still evaluating (one per lot where the documents say so).
    s.evaluating_committee(seat)?;
    if !m.active() {
        return Err(Refusal::Recused.into());
    }
    let now = app.clock.now();
    let token = Secret::token();
    let session = MemberSession {
        tender_id: id.clone(),
        seat,
        expires_at: now.plus_millis(TOKEN_TTL_MS),
    };
    let audit = AuditEvent::new(
        "evaluation_sign_in",
        Some(&id),
        AuditActor::System,
        now,
        json!({ "member_seat": seat }),
    );
    match app
        .store
        .redeem_evaluation_code(&code.digest(), &token.digest(), &session, now, &audit)
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(AwardError::BadCredential),
        r => r?,
    }
    Ok(MemberSignIn {
        token: token.expose().to_string(),
        tender_id: id.to_string(),
        seat,
        name: m.name.clone(),
        expires_at: session.expires_at.to_rfc3339(),
    })
}

/// The member a bearer token belongs to, if it is valid now.
pub async fn member(app: &AppState, token: &str) -> Result<MemberSession, AwardError> {
    let token = Secret::parse(TOKEN_PREFIX, token).ok_or(AwardError::BadCredential)?;
    let m = app
        .store
        .find_member_token(&token.digest())
        .await?
        .ok_or(AwardError::BadCredential)?;
    if app.clock.now() >= m.expires_at {
        return Err(AwardError::BadCredential);
    }
    Ok(m)
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

/// What one member sees: the bids, its own declaration and marks, and the committee's progress
/// (never another member's scores before the report).
pub async fn member_view(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
) -> Result<Value, AwardError> {
    own_tender(m, id)?;
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let me = s.member(m.seat).ok_or(Refusal::NotFound("member"))?;
    let committee = s.committee_of(m.seat).ok_or(Refusal::NotFound("member"))?;
    let progress: Vec<Value> = s
        .members_of(committee)
        .map(|x| {
            json!({
                "seat": x.seat, "kind": x.kind, "name": x.name, "active": x.active(),
                "declared": x.conflict.is_some(),
                "scored": s.marks.iter().filter(|k| k.seat == x.seat).count(),
                "signed": x.signed.is_some(),
            })
        })
        .collect();
    // What was read out for each bid, and the bid to ask the documents of (the committee reads
    // them in the room: `GET /api/tenders/{id}/opening/documents/{bid}` with the member's token,
    // each read in the audit log).
    let opening = OpeningState::fold(&crate::opening::service::all_events(app, id).await?)?;
    let counted = app.store.counted_bids(id).await?;
    let bids: Vec<Value> = s
        .bids
        .iter()
        .filter(|b| committee.covers(&b.lot_id))
        .map(|b| {
            let line = opening.lines.iter().find(|l| l.n == b.line);
            let bid_id = counted
                .iter()
                .find(|c| c.org_id.as_str() == b.org_id && c.lot_id == b.lot_id)
                .map(|c| c.id.clone());
            let failed = s
                .lots
                .iter()
                .any(|l| l.lot_id == b.lot_id && l.failure.is_some());
            json!({
                "line": b.line, "lot_id": b.lot_id, "org_name": b.org_name,
                "price_fen": b.price_fen,
                "duration_days": line.map(|l| l.duration_days.clone()),
                "quality": line.and_then(|l| l.quality.clone()),
                "bond": line.map(|l| l.bond.clone()),
                "bid_id": bid_id,
                "evaluated": !failed,
            })
        })
        .collect();
    let mine: Vec<Value> = s
        .marks
        .iter()
        .filter(|k| k.seat == m.seat)
        .map(|k| {
            json!({
                "line": k.line, "compliant": k.compliant, "scores": k.scores,
                "rejection": k.rejection.as_ref().map(|(g, r)| json!({ "ground": g, "reason": r })),
            })
        })
        .collect();
    Ok(json!({
        "tender_id": id.to_string(),
        "title": t.spec.title.as_str(),
        // The member's committee's stage, and its lot where each lot has its own.
        "stage": if s.failure.is_some() { Stage::Failed } else { committee.stage },
        "lot_id": committee.lot_id,
        "method": t.spec.evaluation_method,
        "tie_break": t.spec.tie_break.unwrap_or_default().as_str(),
        "seat": me.seat,
        "name": me.name,
        "declared": me.conflict.map(|c| if c { "conflict" } else { "no_conflict" }),
        "bids": bids,
        "rejection_grounds": super::rejection::GROUNDS.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        "lots": t.spec.lots.iter().filter(|l| committee.covers(l.id.as_str())).map(|l| json!({ "lot_id": l.id, "name": l.name.as_str() })).collect::<Vec<_>>(),
        "my_marks": mine,
        "clarifications": s.clarifications,
        "committee": progress,
    }))
}

/// The 回避声明 a member makes before scoring.
pub const NO_CONFLICT_STATEMENT: &str =
    "本人与上述投标人均无利害关系 (I have no interest in any of these tenderers)";

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationInput {
    /// true: the member has an interest in a tenderer and is recused.
    pub conflict: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// A member declares; a conflict recuses it, and an expert's seat goes to the draw's next
/// reserve (who then needs a code from the host).
pub async fn declare(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    input: DeclarationInput,
) -> Result<(), AwardError> {
    own_tender(m, id)?;
    let note = match &input.note {
        Some(n) if !n.trim().is_empty() => Some(bounded(n, "note", 500)?),
        _ => None,
    };
    act(app, id, By::Member(m.seat), |_, s, _| {
        let committee = s.evaluating_committee(m.seat)?;
        let me = s.member(m.seat).ok_or(Refusal::NotFound("member"))?;
        if me.conflict.is_some() {
            return Err(Refusal::AlreadyDeclared.into());
        }
        let statement = if input.conflict {
            "本人与投标人存在利害关系，申请回避 (I have an interest in a tenderer and step aside)"
        } else {
            NO_CONFLICT_STATEMENT
        };
        let mut p = vec![hall(
            "declared",
            json!({ "seat": m.seat, "conflict": input.conflict, "statement": statement, "note": note }),
        )];
        if input.conflict && me.is_expert() {
            if let Some((expert_id, name)) = committee.reserves.first() {
                let seat = s.members.iter().map(|x| x.seat).max().unwrap_or(0) + 1;
                p.push(hall(
                    "member_replaced",
                    json!({
                        "seat": m.seat,
                        "replacement": { "seat": seat, "kind": "expert", "expert_id": expert_id, "name": name },
                    }),
                ));
            }
        }
        Ok((p, Vec::new()))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// The bid's line number at the opening.
    pub line: i64,
    /// 符合性: does the bid meet the documents' substantive requirements?
    pub compliant: bool,
    /// Comprehensive scoring: one score 0–100 per criterion, in the tender's order; the lowest
    /// evaluated price method takes none.
    #[serde(default)]
    pub scores: Vec<u32>,
    /// A non-compliant bid's ground of 条例51 (`award::rejection::GROUNDS`): required then.
    #[serde(default)]
    pub ground: Option<String>,
    /// The member's reason for rejecting the bid (1 to 500 characters): required with a ground.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A member marks one bid (again, to correct it, until the report is being signed).
pub async fn score(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    input: ScoreInput,
) -> Result<(), AwardError> {
    own_tender(m, id)?;
    act(app, id, By::Member(m.seat), |t, s, _| {
        s.may_score(m.seat, input.line)?;
        let rejection = super::rejection::check(
            input.compliant,
            input.ground.as_deref(),
            input.reason.as_deref(),
        )?;
        let criteria = report::scored_criteria(t);
        if input.scores.len() != criteria || input.scores.iter().any(|x| *x > 100) {
            return Err(Refusal::BadInput(format!(
                "scores: {criteria} score(s) between 0 and 100, one per criterion the members score (the price criterion is computed)"
            ))
            .into());
        }
        Ok((
            vec![typed(
                Audience::Hall,
                AwardBody::Scored {
                    seat: m.seat,
                    line: input.line,
                    compliant: input.compliant,
                    scores: input.scores.clone(),
                    rejection: rejection
                        .clone()
                        .map(|(ground, reason)| Rejection { ground, reason }),
                },
            )],
            Vec::new(),
        ))
    })
    .await
}

/// The report as it stands, for the committee to read before signing.
pub async fn draft_report(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
) -> Result<Value, AwardError> {
    own_tender(m, id)?;
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let c = s.committee_of(m.seat).ok_or(Refusal::NotFound("member"))?;
    s.report_ready(c)?;
    let r = report::build(&t, &s, c);
    let signed: Vec<i64> = s
        .members_of(c)
        .filter(|x| x.signed.is_some())
        .map(|x| x.seat)
        .collect();
    Ok(json!({ "report_sha256": report::sha256(&r), "report": r, "signed_by": signed }))
}

/// A member signs the report it read (by its hash). When every active member has, the ranking
/// is final and the hall signs the report; with no passing bid the award fails.
pub async fn sign_report(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    report_sha256: &str,
) -> Result<(), AwardError> {
    own_tender(m, id)?;
    act(app, id, By::Member(m.seat), |t, s, _| {
        let c = s.may_sign(m.seat)?;
        let r = report::build(t, s, c);
        let sha = report::sha256(&r);
        if sha != report_sha256 {
            return Err(Refusal::ReportChanged { current: sha }.into());
        }
        let mut p = vec![hall(
            "report_signed",
            json!({ "seat": m.seat, "report_sha256": sha }),
        )];
        let all = s
            .active_members_of(c)
            .all(|x| x.seat == m.seat || x.signed.as_deref() == Some(sha.as_str()));
        if all {
            let signature = report::sign(&app.log.signer, id.as_str(), &sha);
            let ranking = r["ranking"].clone();
            let mut body =
                json!({ "report_sha256": sha, "signature": signature, "ranking": ranking });
            if let Some(lot) = &c.lot_id {
                body["lot_id"] = json!(lot);
            }
            p.push(hall("report_finalised", body));
            // 法42, per lot: a lot none of whose bids passed fails.
            for lot in s
                .lots
                .iter()
                .filter(|l| l.failure.is_none() && c.covers(&l.lot_id))
            {
                let passing = ranking.as_array().is_some_and(|a| {
                    a.iter().any(|x| {
                        x["rank"].is_i64()
                            && x["lot_id"].as_str().unwrap_or_default() == lot.lot_id
                    })
                });
                if !passing {
                    p.push(lot_failed(
                        &lot.lot_id,
                        "no_passing_bid",
                        "法42",
                        "no bid for this lot passed the committee's compliance review; the lot fails and may be tendered again".into(),
                    ));
                }
            }
        }
        Ok((p, Vec::new()))
    })
    .await
}

/// Who may read the final report: the committee, the host, the owner and the supervisor once it
/// is final; everyone once the award notice is issued (the committee's names are confidential
/// until then, 法37).
pub async fn final_report(
    app: &AppState,
    actor: Option<&Actor>,
    member: Option<&MemberSession>,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    let events = app.store.award_events(id).await?;
    let s = AwardState::fold(&events)?;
    // Who may read it before what stage it is in: a refusal says nothing about the award.
    let insider = member.is_some_and(|m| &m.tender_id == id) || insider(actor, &t);
    if !insider && !s.result_determined() {
        return Err(Refusal::Forbidden(
            "the evaluation report is public once the award notice is issued",
        )
        .into());
    }
    // Which committee's: a member's own; else the named lot's; else the only one.
    let c = match (member.filter(|m| &m.tender_id == id), lot) {
        (Some(m), _) => s.committee_of(m.seat),
        (None, Some(lot)) => {
            s.lot(lot)?;
            s.committee_for(lot)
        }
        (None, None) if t.spec.committee_per_lot => return Err(Refusal::LotRequired.into()),
        (None, None) => match s.committees.as_slice() {
            [only] => Some(only),
            [] => None,
            _ => return Err(Refusal::LotRequired.into()),
        },
    };
    let not_final = || Refusal::WrongStage {
        stage: s.stage().as_str(),
    };
    let c = c.ok_or_else(not_final)?;
    let (report_sha256, signature) = c.report.clone().ok_or_else(not_final)?;
    let end = events
        .iter()
        .position(|e| {
            e.kind == "report_finalised" && e.body["lot_id"].as_str() == c.lot_id.as_deref()
        })
        .ok_or_else(not_final)?;
    let at_end = AwardState::fold(&events[..end])?;
    let scope = at_end
        .committees
        .iter()
        .find(|x| x.lot_id == c.lot_id)
        .ok_or_else(not_final)?;
    let r = report::build(&t, &at_end, scope);
    let signed: Vec<Value> = s
        .members_of(c)
        .filter_map(|x| {
            x.signed_at
                .as_ref()
                .map(|at| json!({ "seat": x.seat, "at": at }))
        })
        .collect();
    Ok(json!({
        "report": r,
        "report_sha256": report_sha256,
        "signature": signature,
        "signed_by": signed,
    }))
}

// ---------------------------------------------------------------------------------------------
// candidates, objections, notice, contract

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicityInput {
    /// The lot (标段); may be left out when the tender has one lot.
    #[serde(default)]
    pub lot_id: Option<String>,
    /// How many of the ranked bids are publicised as candidates (1 to 3).
    pub count: usize,
    /// The end of the publicity window: at least 3 days from now.
    #[schema(value_type = String)]
    pub until: Timestamp,
}

/// The host publicises up to three ranked candidates for at least three days (条例54).
pub async fn publicise(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: PublicityInput,
) -> Result<(), AwardError> {
    host_only(actor, &tender(app, id).await?)?;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let lot = s.resolve_lot(input.lot_id.as_deref())?;
        s.require_lot(&lot, &[Stage::Evaluated])?;
        let passing: Vec<(i64, &RankedLine)> = s
            .ranking
            .iter()
            .filter(|r| r.lot_id.as_deref().unwrap_or_default() == lot)
            .filter_map(|r| r.rank.map(|rank| (rank, r)))
            .collect();
        let max = passing.len().min(MAX_CANDIDATES);
        if input.count == 0 || input.count > max {
            return Err(Refusal::BadInput(format!(
                "count: between 1 and {max} (up to 3 ranked bids that passed)"
            ))
            .into());
        }
        let earliest = now.plus_millis(PUBLICITY_MIN_MS);
        if input.until < earliest {
            return Err(Refusal::PublicityTooShort {
                earliest: earliest.to_rfc3339(),
            }
            .into());
        }
        let candidates: Vec<Candidate> = passing
            .iter()
            .take(input.count)
            .map(|(rank, r)| Candidate {
                rank: *rank,
                line: r.line,
                lot_id: r.lot_id.clone(),
                org_id: r.org_id.clone(),
                org_name: r.org_name.clone(),
                price_fen: r.price_fen,
                score_centi: r.score_centi,
            })
            .collect();
        Ok((
            vec![typed(
                Audience::Public,
                AwardBody::CandidatesPublicised {
                    lot_id: lot_key(&lot),
                    candidates,
                    from: now,
                    until: input.until,
                },
            )],
            Vec::new(),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    pub text: String,
    /// The lot (标段) it concerns; may be left out when the tender has one lot.
    #[serde(default)]
    pub lot_id: Option<String>,
}

/// A tenderer that bid objects to the candidates (异议) within the publicity window.
pub async fn object(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TextInput,
) -> Result<i64, AwardError> {
    tender(app, id).await?;
    let text = bounded(&input.text, "text", 2000)?;
    let org = actor.org_id.clone();
    let mut raised = 0;
    act(app, id, By::User(actor.into()), |_, s, now| {
        if actor.role != Role::Tenderer || !s.bid_by(org.as_str()) {
            return Err(
                Refusal::Forbidden("only a tenderer that bid objects to the candidates").into(),
            );
        }
        let lot = s.resolve_lot(input.lot_id.as_deref())?;
        s.may_object(&lot, now)?;
        raised = s.objections.len() as i64 + 1;
        Ok((
            vec![typed(
                Audience::Party(org.clone()),
                AwardBody::ObjectionRaised {
                    id: raised,
                    lot_id: lot_key(&lot),
                    org_id: org.to_string(),
                    org_name: actor.org_name.clone(),
                    text: text.clone(),
                },
            )],
            Vec::new(),
        ))
    })
    .await?;
    Ok(raised)
}

/// The owner (or its agent) answers an objection. An answer after the 3 days of 条例54 is taken
/// and marked late, for the supervisor to see: refusing it would leave the objection open for
/// ever and block the award (docs/award.md §5).
pub async fn answer(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    objection: i64,
    input: TextInput,
) -> Result<bool, AwardError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(
            Refusal::Forbidden("only the tender's owner or agent answers objections").into(),
        );
    }
    let text = bounded(&input.text, "text", 2000)?;
    let mut late = false;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let o = s
            .objections
            .iter()
            .find(|o| o.id == objection)
            .ok_or(Refusal::NotFound("objection"))?;
        s.require_lot(o.lot_id.as_deref().unwrap_or_default(), &[Stage::Publicised])?;
        if o.answer.is_some() {
            return Err(Refusal::BadInput(format!("objection {objection} is already answered")).into());
        }
        let due = Timestamp::parse(&o.raised_at)
            .map(|r| r.plus_millis(ANSWER_WITHIN_MS))
            .unwrap_or(now);
        late = now > due;
        Ok((
            vec![Pending {
                kind: "objection_answered".into(),
                audience: Audience::Party(OrgId::from_stored(o.org_id.clone())),
                body: json!({ "id": objection, "answer": text, "due": due.to_rfc3339(), "late": late }),
            }],
            Vec::new(),
        ))
    })
    .await?;
    Ok(late)
}

/// The owner issues a lot's award notice (中标通知书) after its window, every objection to it
/// answered, to its best candidate that has not declined; every other tenderer for the lot is
/// told the result on its own (法45).
pub async fn issue_notice(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    owner_only(actor, &t)?;
    let mut issued = Value::Null;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let lot = s.resolve_lot(lot)?;
        let c = s.may_issue_notice(&lot, now)?;
        let due = now.plus_millis(super::state::CONTRACT_WITHIN_MS);
        let required = performance_bond_of(&t, c.price_fen);
        let notice = AwardBody::AwardNoticeIssued(Box::new(Notice {
            rank: c.rank,
            line: c.line,
            lot_id: lot_key(&lot),
            org_id: c.org_id.clone(),
            org_name: c.org_name.clone(),
            price_fen: c.price_fen,
            issued_at: now,
            contract_due: due,
            performance_bond_fen: required,
        }));
        issued = split(&notice).1;
        let mut events = vec![typed(Audience::Public, notice)];
        let mut told: Vec<&str> = Vec::new();
        for b in s.bids.iter().filter(|b| b.lot_id == lot) {
            let org = b.org_id.as_str();
            if org == c.org_id || told.contains(&org) {
                continue;
            }
            told.push(org);
            events.push(typed(
                Audience::Party(OrgId::from_stored(org.to_owned())),
                AwardBody::ResultNotified {
                    lot_id: lot_key(&lot),
                    org_id: org.to_owned(),
                    result: "not_awarded".into(),
                    winner_line: c.line,
                    winner_org_name: c.org_name.clone(),
                    price_fen: c.price_fen,
                    notified_at: now,
                },
            ));
        }
        Ok((events, Vec::new()))
    })
    .await?;
    // The winner's performance bond is expected, and once every lot's result is determined the
    // committee's sealed expert pool is opened (法37): both reactions to the notice.
    Ok(issued)
}

/// The performance bond the tender asks of the winner: its percentage (at most 10, 条例58) of the
/// contract price, which is the winning bid's price (法46), rounded down to the fen.
fn performance_bond_of(t: &Tender, price: Money) -> Money {
    price.percent(i64::from(t.spec.performance_bond_percent.unwrap_or(0)))
}

/// A candidate declines (放弃中标): the next candidate stands, or the award fails with none left.
pub async fn decline(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TextInput,
) -> Result<(), AwardError> {
    tender(app, id).await?;
    let reason = bounded(&input.text, "text", 500)?;
    act(app, id, By::User(actor.into()), |_, s, _| {
        // Who may decline before when: a refusal of a non-candidate says nothing of the stage.
        let me =
            |c: &&&Candidate| actor.role == Role::Tenderer && c.org_id == actor.org_id.as_str();
        let mine: Vec<&LotAward> = s
            .lots
            .iter()
            .filter(|l| input.lot_id.as_deref().is_none_or(|x| x == l.lot_id))
            .filter(|l| s.standing(&l.lot_id).iter().any(|c| me(&c)))
            .collect();
        let lot = match mine.as_slice() {
            [] => return Err(Refusal::NotACandidate.into()),
            [one] => one.lot_id.clone(),
            _ => return Err(Refusal::LotRequired.into()),
        };
        let standing = s.standing(&lot);
        let mine = standing.iter().find(me).ok_or(Refusal::NotACandidate)?;
        s.require_lot(&lot, &[Stage::Publicised, Stage::Awarded])?;
        let mut p = vec![public(
            "candidate_declined",
            json!({ "line": mine.line, "org_name": mine.org_name, "reason": reason }),
        )];
        if standing.len() == 1 {
            p.push(lot_failed(
                &lot,
                "every_candidate_declined",
                "条例55",
                "every candidate for this lot declined; the lot fails and may be tendered again"
                    .into(),
            ));
        }
        Ok((p, Vec::new()))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// The contract price in fen: the winning bid's price (法46).
    pub price_fen: i64,
    /// SHA-256 (lower-case hex) of the signed contract document.
    pub document_sha256: String,
    /// The lot (标段); may be left out when the tender has one lot.
    #[serde(default)]
    pub lot_id: Option<String>,
}

/// The contract as recorded: what the caller acts on (refunds of bid bonds, the performance bond).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub tender_id: String,
    pub line: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: i64,
    pub document_sha256: String,
    pub notice_issued_at: String,
    pub signed_at: String,
}

/// The owner records the contract signed with the winner, within 30 days of the notice (法46).
pub async fn record_contract(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: ContractInput,
) -> Result<Contract, AwardError> {
    owner_only(actor, &tender(app, id).await?)?;
    let sha = input.document_sha256.trim().to_string();
    if sha.len() != 64
        || !sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Refusal::BadInput("document_sha256: 64 lower-case hex digits".into()).into());
    }
    // The performance bond comes before the contract (条例58, 74): the ledger must hold what
    // the winner's notices in force ask (one performance bond covers every lot it won).
    let state = fold(app, id).await?;
    let lot = state.resolve_lot(input.lot_id.as_deref())?;
    if let Some((notice, _)) = &state.lot(&lot)?.notice {
        let required = state
            .performance_bond_owed(&notice.org_id)
            .map_or(0, |(fen, _)| fen);
        if required > 0 {
            let org = OrgId::from_stored(notice.org_id.clone());
            let held = crate::bonds::service::performance_bond_held(app, id, &org).await?;
            if held.fen() < required {
                return Err(Refusal::PerformanceBondMissing {
                    required_fen: required,
                    held_fen: held.fen(),
                }
                .into());
            }
        }
    }
    let mut contract = None;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let notice = s.may_record_contract(&lot, now, input.price_fen)?;
        let c = Contract {
            tender_id: id.to_string(),
            line: notice.line,
            lot_id: lot_key(&lot),
            org_id: notice.org_id.clone(),
            org_name: notice.org_name.clone(),
            price_fen: input.price_fen,
            document_sha256: sha.clone(),
            notice_issued_at: s
                .lot(&lot)
                .ok()
                .and_then(|l| l.notice.as_ref())
                .map(|n| n.1.to_rfc3339())
                .unwrap_or_default(),
            signed_at: now.to_rfc3339(),
        };
        let body = serde_json::to_value(&c).unwrap_or(Value::Null);
        contract = Some(c);
        Ok((vec![public("contract_recorded", body)], Vec::new()))
    })
    .await?;
    let contract = contract.ok_or(AwardError::Store(StoreError::Unavailable(
        "no contract".into(),
    )))?;
    // 条例57: the lot's bid bonds, the winner's included, go back within 5 days of its contract:
    // a reaction to the contract (src/reactions).
    Ok(contract)
}

/// The award as `actor` may see it: the tender's stage and, per lot, its stage, candidates once
/// publicised, notice, contract and the viewer's own result (法45); objections as a count (a
/// tenderer sees its own, the host and supervisor all). The committee's names and marks are not
/// here.
pub async fn view(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let insider = insider(actor, &t);
    let objections: Vec<&super::state::Objection> = s
        .objections
        .iter()
        .filter(|o| insider || actor.is_some_and(|a| a.org_id.as_str() == o.org_id))
        .collect();
    // Each committee's progress in counts (its names are confidential, 法37).
    let progress = |c: &Committee| {
        json!({
            "lot_id": c.lot_id,
            "stage": c.stage,
            "members": s.active_members_of(c).count(),
            "declared": s.active_members_of(c).filter(|m| m.conflict.is_some()).count(),
            "signed": s.active_members_of(c).filter(|m| m.signed.is_some()).count(),
        })
    };
    let committees: Vec<Value> = s.committees.iter().map(progress).collect();
    // Where each lot has its own committee: the lots still waiting for theirs (a lot the
    // opening did not open fails at the first committee's formation, 条例44).
    let committee_lots: Vec<Value> = t
        .spec
        .lots
        .iter()
        .filter(|_| t.spec.committee_per_lot && s.failure.is_none())
        .filter(|l| s.committee_for(l.id.as_str()).is_none())
        .filter(|l| {
            s.lot(l.id.as_str()).is_ok_and(|a| a.failure.is_none()) || s.committees.is_empty()
        })
        .map(|l| json!({ "lot_id": l.id, "name": l.name.as_str() }))
        .collect();
    let committee = (!s.members.is_empty()).then(|| {
        json!({
            "members": s.active_members().count(),
            "declared": s.active_members().filter(|m| m.conflict.is_some()).count(),
            "signed": s.active_members().filter(|m| m.signed.is_some()).count(),
        })
    });
    let shown = insider || s.result_determined();
    let report_sha = match s.committees.as_slice() {
        [only] if shown => only.report.as_ref().map(|r| r.0.clone()),
        _ => None,
    };
    // Lots in the tender's order.
    let order = |l: &LotAward| {
        t.spec
            .lots
            .iter()
            .position(|x| x.id.as_str() == l.lot_id)
            .unwrap_or(usize::MAX)
    };
    let mut lots: Vec<&LotAward> = s.lots.iter().collect();
    lots.sort_by_key(|l| order(l));
    let lots: Vec<Value> = lots
        .into_iter()
        .map(|l| lot_view(&t, &s, l, actor, insider, shown))
        .collect();
    Ok(json!({
        "stage": s.stage(),
        "committee": committee,
        "committee_per_lot": t.spec.committee_per_lot,
        "committees": committees,
        "committee_lots": committee_lots,
        "report_sha256": report_sha,
        "objections_count": s.objections.len(),
        "objections": objections,
        "clarifications": clarifications_for(&s, actor, insider),
        "failure": s.failure,
        "lots": lots,
    }))
}

/// One lot of `view`.
fn lot_view(
    t: &Tender,
    s: &AwardState,
    l: &LotAward,
    actor: Option<&Actor>,
    insider: bool,
    shown: bool,
) -> Value {
    let stage = s.lot_stage(l);
    // The hash of the report of the committee that evaluated the lot, once final.
    let report_sha = s
        .committee_for(&l.lot_id)
        .and_then(|c| c.report.as_ref())
        .filter(|_| shown)
        .map(|r| r.0.clone());
    let candidates: Vec<Value> = l
        .candidates
        .iter()
        .map(|c| {
            let declined = s.declined.contains(&c.line);
            let mut c = serde_json::to_value(c).expect("a candidate serialises");
            c["declined"] = Value::Bool(declined);
            // For people: hundredths of a point (docs/award.md §3).
            if let Some(centi) = c["score_centi"].as_i64() {
                c["score"] = format!("{}.{:02}", centi / 100, centi % 100).into();
            }
            c
        })
        .collect();
    // A tenderer that bid for the lot reads its own result once the notice is out (法45).
    let my_result = match (actor, &l.notice) {
        (Some(a), Some((n, _))) if s.bid_for(a.org_id.as_str(), &l.lot_id) => {
            Some(if n.org_id == a.org_id.as_str() {
                "awarded"
            } else {
                "not_awarded"
            })
        }
        _ => None,
    };
    let title = t
        .spec
        .lots
        .iter()
        .find(|x| x.id.as_str() == l.lot_id)
        .map(|x| x.name.as_str().to_string());
    json!({
        "lot_id": l.lot_id,
        "name": title,
        "stage": stage,
        "my_result": my_result,
        "candidates": candidates,
        "publicity": l.window.map(|(f, u)| json!({ "from": f.to_rfc3339(), "until": u.to_rfc3339() })),
        "notice": l.notice.as_ref().map(|n| split(&AwardBody::AwardNoticeIssued(Box::new(n.0.clone()))).1),
        "contract": l.contract,
        "contract_due": s.contract_deadline(&l.lot_id).filter(|_| stage == Stage::Awarded).map(|d| d.to_rfc3339()),
        "failure": l.failure,
        "report_sha256": report_sha,
        // For those who run or supervise it: how many of the lot's bids passed (the most
        // candidates the host may publicise, up to 3).
        "passing": insider.then(|| {
            s.ranking
                .iter()
                .filter(|r| r.rank.is_some() && r.lot_id.as_deref().unwrap_or_default() == l.lot_id)
                .count()
        }),
    })
}

/// The signed letters (法45) `actor` may read: a tenderer its own, one per lot whose notice is
/// out and for which it bid; the owner, its agent and the supervisor every letter. Each is
/// `{letter, letter_sha256, signature}`, checkable offline with the log's key.
pub async fn letters(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<Value>, AwardError> {
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let all = insider(Some(actor), &t);
    if !all && actor.role != Role::Tenderer {
        return Err(Refusal::Forbidden(
            "the award letters are for the tenderers they are addressed to, the owner, its agent and the supervisor",
        )
        .into());
    }
    let mut out = Vec::new();
    for lot in &s.lots {
        let mut to: Vec<&str> = Vec::new();
        for b in s.bids.iter().filter(|b| b.lot_id == lot.lot_id) {
            if (all || b.org_id == actor.org_id.as_str()) && !to.contains(&b.org_id.as_str()) {
                to.push(&b.org_id);
            }
        }
        for org in to {
            if let Some(letter) = super::letter::build(&t, &s, lot, org) {
                let signature = super::letter::sign(&app.log.signer, &letter);
                out.push(json!({
                    "letter_sha256": super::letter::sha256(&letter),
                    "signature": signature,
                    "letter": letter,
                }));
            }
        }
    }
    Ok(out)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// The lot to cancel; absent: the whole tender is terminated.
    #[serde(default)]
    pub lot_id: Option<String>,
    /// Why, in the owner's words (1 to 500 characters): published with the termination.
    pub reason: String,
}

/// The owner terminates the tender after the opening, or cancels one lot, with its reason
/// (招标投标法实施条例 第三十一条: the termination is announced and the bid bonds go back
/// promptly). A lot whose contract is recorded cannot be cancelled; the whole tender cannot be
/// terminated once any lot has a contract (cancel the others one by one).
pub async fn terminate(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TerminationInput,
) -> Result<(), AwardError> {
    let t = tender(app, id).await?;
    owner_only(actor, &t)?;
    // Before the deadline a tender is withdrawn from its own page, not terminated here.
    if !t.is_past_opening(app.clock.now()) {
        return Err(Refusal::WrongStage {
            stage: Stage::NotStarted.as_str(),
        }
        .into());
    }
    let reason = bounded(&input.reason, "reason", 500)?;
    act(app, id, By::User(actor.into()), |_, s, _| {
        let done = [Stage::Contracted, Stage::Completed, Stage::Failed];
        let lot = match input.lot_id.as_deref() {
            Some(named) => {
                let lot = s.resolve_lot(Some(named))?;
                let l = s.lot(&lot)?;
                if done.contains(&s.lot_stage(l)) {
                    return Err(Refusal::LotWrongStage {
                        lot,
                        stage: s.lot_stage(l).as_str(),
                    }
                    .into());
                }
                Some(lot)
            }
            None => {
                if s.stage() == Stage::Failed || s.lots.iter().any(|l| l.contract.is_some()) {
                    return Err(Refusal::WrongStage {
                        stage: s.stage().as_str(),
                    }
                    .into());
                }
                None
            }
        };
        let body = AwardBody::AwardFailed {
            lot_id: lot.as_deref().and_then(lot_key),
            rule: "terminated".into(),
            article: "条例31".into(),
            message: reason.clone(),
        };
        Ok((vec![typed(Audience::Public, body)], Vec::new()))
    })
    .await?;
    // 条例31: the bid bonds go back promptly: a reaction to the failure (src/reactions).
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarifyInput {
    /// The bid's line number at the opening.
    pub line: i64,
    /// The question, 1 to 2000 characters.
    pub text: String,
}

/// A member asks the tenderer of a bid to clarify it in writing (条例52: the committee may ask
/// for clarification of unclear content; the answer may not go beyond the bid or change its
/// substance). Only the tenderer of that bid sees the question, by the member's seat, never its
/// name (法37). Returns the question's number.
pub async fn ask_clarification(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    input: ClarifyInput,
) -> Result<i64, AwardError> {
    own_tender(m, id)?;
    let text = bounded(&input.text, "text", 2000)?;
    let mut asked = 0;
    act(app, id, By::Member(m.seat), |_, s, _| {
        s.may_score(m.seat, input.line)?;
        let bid = s
            .evaluated_bids()
            .find(|b| b.line == input.line)
            .ok_or(Refusal::NotFound("bid line"))?;
        asked = s.clarifications.len() as i64 + 1;
        Ok((
            vec![typed(
                Audience::Party(OrgId::from_stored(bid.org_id.clone())),
                AwardBody::ClarificationAsked {
                    id: asked,
                    seat: m.seat,
                    line: input.line,
                    text: text.clone(),
                },
            )],
            Vec::new(),
        ))
    })
    .await?;
    Ok(asked)
}

/// The tenderer answers a member's question in writing, from its own account, while the
/// evaluation runs; the answer is in the log and in the evaluation report.
pub async fn answer_clarification(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    n: i64,
    input: TextInput,
) -> Result<(), AwardError> {
    tender(app, id).await?;
    if actor.role != Role::Tenderer {
        return Err(Refusal::Forbidden("only the tenderer asked answers its clarification").into());
    }
    let text = bounded(&input.text, "text", 5000)?;
    let org = actor.org_id.clone();
    act(app, id, By::User(actor.into()), |_, s, _| {
        s.may_answer(n, org.as_str())?;
        Ok((
            vec![typed(
                Audience::Party(org.clone()),
                AwardBody::ClarificationAnswered {
                    id: n,
                    org_id: org.to_string(),
                    text: text.clone(),
                },
            )],
            Vec::new(),
        ))
    })
    .await
}

/// The clarifications `actor` may read: the tender's side all of them, a tenderer those about
/// its own bids, anyone else none (the evaluation is confidential, 法44).
fn clarifications_for<'a>(
    s: &'a AwardState,
    actor: Option<&Actor>,
    insider: bool,
) -> Vec<&'a super::state::Clarification> {
    s.clarifications
        .iter()
        .filter(|c| {
            insider
                || actor.is_some_and(|a| {
                    a.role == Role::Tenderer
                        && s.bids
                            .iter()
                            .any(|b| b.line == c.line && b.org_id == a.org_id.as_str())
                })
        })
        .collect()
}
