//! The award's use cases. Each folds the stored events, decides on the rules in `state.rs`, and
//! appends its events (each with its audit entry, in one transaction) after the last one it
//! folded — retried on a fresh fold if another writer came first.

use super::committee::{check_composition, panel};
use super::member::{MemberSession, Secret, CODE_PREFIX, TOKEN_PREFIX, TOKEN_TTL_MS};
use super::report;
use super::state::{
    AwardState, Refusal, Stage, ANSWER_WITHIN_MS, MAX_CANDIDATES, PUBLICITY_MIN_MS,
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
use crate::tenders::model::{EvaluationMethod, Tender, TenderState};
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

use super::event::{AwardBody, Candidate, Notice, RankedLine};
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

/// The owner (or its agent) records that the contract is performed: the tender is completed. A
/// second call changes nothing. Returns the tenderer the contract was with.
pub async fn record_performance(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<OrgId, AwardError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(Refusal::Forbidden(
            "the owner or its agent records the contract's performance",
        )
        .into());
    }
    let mut with = None;
    act(app, id, By::User(actor.into()), |_, s, now| {
        s.require(&[Stage::Contracted, Stage::Completed])?;
        with = s
            .contract
            .as_ref()
            .and_then(|c| c["org_id"].as_str())
            .map(str::to_owned);
        if s.stage() == Stage::Completed {
            return Ok((Vec::new(), Vec::new()));
        }
        let body = json!({ "org_id": with, "performed_at": now.to_rfc3339() });
        Ok((vec![public("contract_performed", body)], Vec::new()))
    })
    .await?;
    with.map(OrgId::from_stored)
        .ok_or(AwardError::Store(StoreError::Unavailable(
            "a contract without its tenderer".into(),
        )))
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
        match app
            .store
            .append_award_events(id, s.last_seq, events, audits, codes, now)
            .await
        {
            Err(StoreError::Conflict(_)) => continue,
            r => return Ok(r?),
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
}

/// A member's one-time evaluation code, shown once to the host who hands it over.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberCode {
    pub seat: i64,
    pub kind: String,
    pub name: String,
    pub code: String,
}

/// The host forms the committee once the opening is concluded: the panel of the tender's
/// completed expert draw, in draw order, plus the owner's representatives 法37 allows.
pub async fn form_committee(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: CommitteeInput,
) -> Result<Vec<MemberCode>, AwardError> {
    let t = tender(app, id).await?;
    host_only(actor, &t)?;
    let draw = app
        .store
        .list_draws()
        .await?
        .into_iter()
        .filter(|d| {
            d.kind == DrawKind::Expert
                && d.tender_id.as_ref() == Some(id)
                && d.state == DrawState::Completed
        })
        .max_by_key(|d| d.created_at)
        .ok_or(Refusal::NoExpertDraw)?;
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
    for (i, m) in members.iter_mut().enumerate() {
        m["seat"] = json!(i as i64 + 1);
    }
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
                "line": l.n, "org_id": l.org_id, "org_name": l.org_name,
                "price_fen": l.price_fen, "bond": l.bond,
            })
        })
        .collect();
    let tenderers: Vec<Value> = opening.lines.iter().map(|l| json!(l.org_id)).collect();
    let mut issued = Vec::new();
    act(app, id, By::User(actor.into()), |_, s, _| {
        s.require(&[Stage::NotStarted])?;
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
        let body = json!({
            "draw_id": draw.id, "members": members, "reserves": reserves, "bids": bids,
            "tenderers": tenderers,
        });
        Ok((vec![hall("committee_formed", body)], codes))
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
        s.require(&[Stage::CommitteeFormed, Stage::Evaluating])?;
        issued.clear();
        let mut codes = Vec::new();
        for m in s.active_members().filter(|m| m.signed.is_none()) {
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
    s.require(&[Stage::CommitteeFormed, Stage::Evaluating])?;
    let m = s.member(seat).ok_or(AwardError::BadCredential)?;
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
    let mine: Vec<Value> = s
        .marks
        .iter()
        .filter(|k| k.seat == m.seat)
        .map(|k| json!({ "line": k.line, "compliant": k.compliant, "scores": k.scores }))
        .collect();
    let progress: Vec<Value> = s
        .members
        .iter()
        .map(|x| {
            json!({
                "seat": x.seat, "kind": x.kind, "name": x.name, "active": x.active(),
                "declared": x.conflict.is_some(),
                "scored": s.marks.iter().filter(|k| k.seat == x.seat).count(),
                "signed": x.signed.is_some(),
            })
        })
        .collect();
    let bids: Vec<Value> = s
        .bids
        .iter()
        .map(|b| json!({ "line": b.line, "org_name": b.org_name, "price_fen": b.price_fen }))
        .collect();
    Ok(json!({
        "tender_id": id.to_string(),
        "title": t.spec.title.as_str(),
        "stage": s.stage(),
        "method": t.spec.evaluation_method,
        "tie_break": t.spec.tie_break.unwrap_or_default().as_str(),
        "seat": me.seat,
        "name": me.name,
        "declared": me.conflict.map(|c| if c { "conflict" } else { "no_conflict" }),
        "bids": bids,
        "my_marks": mine,
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
        s.require(&[Stage::CommitteeFormed, Stage::Evaluating])?;
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
            if let Some((expert_id, name)) = s.reserves.first() {
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
        s.may_score(m.seat)?;
        if !s.bids.iter().any(|b| b.line == input.line) {
            return Err(Refusal::NotFound("bid line").into());
        }
        let criteria = match &t.spec.evaluation_method {
            EvaluationMethod::LowestEvaluatedPrice => 0,
            EvaluationMethod::ComprehensiveScoring { criteria } => criteria.len(),
        };
        if input.scores.len() != criteria || input.scores.iter().any(|x| *x > 100) {
            return Err(Refusal::BadInput(format!(
                "scores: {criteria} score(s) between 0 and 100, one per criterion"
            ))
            .into());
        }
        Ok((
            vec![hall(
                "scored",
                json!({ "seat": m.seat, "line": input.line, "compliant": input.compliant, "scores": input.scores }),
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
    let missing = s.missing_marks();
    if !missing.is_empty() || s.active_members().any(|x| x.conflict.is_none()) {
        return Err(Refusal::ScoresIncomplete { missing }.into());
    }
    let r = report::build(&t, &s);
    let signed: Vec<i64> = s
        .members
        .iter()
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
        s.may_sign(m.seat)?;
        let r = report::build(t, s);
        let sha = report::sha256(&r);
        if sha != report_sha256 {
            return Err(Refusal::ReportChanged { current: sha }.into());
        }
        let mut p = vec![hall(
            "report_signed",
            json!({ "seat": m.seat, "report_sha256": sha }),
        )];
        let all = s
            .active_members()
            .all(|x| x.seat == m.seat || x.signed.as_deref() == Some(sha.as_str()));
        if all {
            let signature = report::sign(&app.log.signer, id.as_str(), &sha);
            let ranking = r["ranking"].clone();
            let passing = ranking
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x["rank"].is_i64()));
            p.push(hall(
                "report_finalised",
                json!({ "report_sha256": sha, "signature": signature, "ranking": ranking }),
            ));
            if !passing {
                p.push(public(
                    "award_failed",
                    json!({
                        "rule": "no_passing_bid", "article": "法42",
                        "message": "no bid passed the committee's compliance review; the tender fails and may be tendered again",
                    }),
                ));
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
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    let events = app.store.award_events(id).await?;
    let s = AwardState::fold(&events)?;
    // Who may read it before what stage it is in: a refusal says nothing about the award.
    let insider = member.is_some_and(|m| &m.tender_id == id) || insider(actor, &t);
    if !insider
        && !matches!(
            s.stage(),
            Stage::Awarded | Stage::Contracted | Stage::Completed
        )
    {
        return Err(Refusal::Forbidden(
            "the evaluation report is public once the award notice is issued",
        )
        .into());
    }
    let (Some(end), Some((report_sha256, signature))) = (
        events.iter().position(|e| e.kind == "report_finalised"),
        s.report.clone(),
    ) else {
        return Err(Refusal::WrongStage {
            stage: s.stage().as_str(),
        }
        .into());
    };
    let at_end = AwardState::fold(&events[..end])?;
    let r = report::build(&t, &at_end);
    let signed: Vec<Value> = s
        .members
        .iter()
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
        s.require(&[Stage::Evaluated])?;
        let passing: Vec<(i64, &RankedLine)> = s
            .ranking
            .iter()
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
            return Err(Refusal::Forbidden("only a tenderer that bid objects to the candidates").into());
        }
        s.may_object(now)?;
        raised = s.objections.len() as i64 + 1;
        Ok((
            vec![Pending {
                kind: "objection_raised".into(),
                audience: Audience::Party(org.clone()),
                body: json!({ "id": raised, "org_id": org.to_string(), "org_name": actor.org_name, "text": text }),
            }],
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
        s.require(&[Stage::Publicised])?;
        let o = s
            .objections
            .iter()
            .find(|o| o.id == objection)
            .ok_or(Refusal::NotFound("objection"))?;
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

/// The owner issues the award notice (中标通知书) after the window, every objection answered, to
/// the best candidate that has not declined.
pub async fn issue_notice(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    owner_only(actor, &t)?;
    let mut issued = Value::Null;
    let mut winner = None;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let c = s.may_issue_notice(now)?;
        let due = now.plus_millis(super::state::CONTRACT_WITHIN_MS);
        let required = performance_bond_of(&t, c.price_fen);
        let notice = AwardBody::AwardNoticeIssued(Box::new(Notice {
            rank: c.rank,
            line: c.line,
            org_id: c.org_id.clone(),
            org_name: c.org_name.clone(),
            price_fen: c.price_fen,
            issued_at: now,
            contract_due: due,
            performance_bond_fen: required,
        }));
        issued = split(&notice).1;
        winner = Some((OrgId::from_stored(c.org_id.clone()), required, due));
        let mut events = vec![typed(Audience::Public, notice)];
        // 法45: the result goes to every tenderer not awarded, each told on its own.
        let mut told: Vec<&str> = Vec::new();
        for org in s.tenderers.iter().map(String::as_str) {
            if org == c.org_id || told.contains(&org) {
                continue;
            }
            told.push(org);
            events.push(typed(
                Audience::Party(OrgId::from_stored(org.to_owned())),
                AwardBody::ResultNotified {
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
    // 法37, 条例: the result is determined, so the committee's sealed expert pool is opened (the
    // draw watcher retries if this fails).
    if let Err(e) = crate::lottery::service::open_sealed_pools(app, id).await {
        tracing::warn!(tender = %id, error = %e, "opening the sealed expert pool failed");
    }
    // The winner now pays its performance bond into its sub-account like a bid bond.
    if let Some((org, required, due)) = winner.filter(|(_, r, _)| r.fen() > 0) {
        crate::bonds::service::expect_performance_bond(app, id, &org, required, due).await?;
    }
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
        let standing = s.standing();
        let mine = standing
            .iter()
            .find(|c| actor.role == Role::Tenderer && c.org_id == actor.org_id.as_str())
            .ok_or(Refusal::NotACandidate)?;
        s.require(&[Stage::Publicised, Stage::Awarded])?;
        let mut p = vec![public(
            "candidate_declined",
            json!({ "line": mine.line, "org_name": mine.org_name, "reason": reason }),
        )];
        if standing.len() == 1 {
            p.push(public(
                "award_failed",
                json!({
                    "rule": "every_candidate_declined", "article": "条例55",
                    "message": "every candidate declined; the tender fails and may be tendered again",
                }),
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
}

/// The contract as recorded: what the caller acts on (refunds of bid bonds, the performance bond).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub tender_id: String,
    pub line: i64,
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
    // The performance bond comes before the contract (条例58, 74): the ledger must hold it.
    let t = tender(app, id).await?;
    let state = fold(app, id).await?;
    if let Some((notice, _)) = &state.notice {
        let required = performance_bond_of(&t, notice.price_fen);
        if required.fen() > 0 {
            let org = OrgId::from_stored(notice.org_id.clone());
            let held = crate::bonds::service::performance_bond_held(app, id, &org).await?;
            if held < required {
                return Err(Refusal::PerformanceBondMissing {
                    required_fen: required.fen(),
                    held_fen: held.fen(),
                }
                .into());
            }
        }
    }
    let mut contract = None;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let notice = s.may_record_contract(now, input.price_fen)?;
        let c = Contract {
            tender_id: id.to_string(),
            line: notice.line,
            org_id: notice.org_id.clone(),
            org_name: notice.org_name.clone(),
            price_fen: input.price_fen,
            document_sha256: sha.clone(),
            notice_issued_at: s
                .notice
                .as_ref()
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
    // 条例57: every bid bond, the winner's included, goes back within 5 days of the contract. The
    // instructions are idempotent; `bonds::service::contract_signed` may be run again if this fails.
    let signed_at = Timestamp::parse(&contract.signed_at).unwrap_or_else(|_| app.clock.now());
    crate::bonds::service::contract_signed(app, id, signed_at).await?;
    Ok(contract)
}

/// The award as `actor` may see it: the stage for everyone; the candidates once publicised;
/// objections as a count (a tenderer sees its own, the host and supervisor all); the notice and
/// the contract once they exist. The committee's names and marks are not here.
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
    let candidates: Vec<Value> = s
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
    let committee = (!s.members.is_empty()).then(|| {
        json!({
            "members": s.active_members().count(),
            "declared": s.active_members().filter(|m| m.conflict.is_some()).count(),
            "signed": s.active_members().filter(|m| m.signed.is_some()).count(),
        })
    });
    let report_sha = match s.stage() {
        Stage::Awarded | Stage::Contracted | Stage::Completed => {
            s.report.as_ref().map(|r| r.0.clone())
        }
        _ if insider => s.report.as_ref().map(|r| r.0.clone()),
        _ => None,
    };
    // A tenderer that bid reads its own result once the notice is out (法45).
    let my_result = match (actor, &s.notice) {
        (Some(a), Some((n, _))) if s.bid_by(a.org_id.as_str()) => {
            Some(if n.org_id == a.org_id.as_str() {
                "awarded"
            } else {
                "not_awarded"
            })
        }
        _ => None,
    };
    Ok(json!({
        "stage": s.stage(),
        "my_result": my_result,
        "committee": committee,
        "report_sha256": report_sha,
        "candidates": candidates,
        "publicity": s.window.map(|(f, u)| json!({ "from": f.to_rfc3339(), "until": u.to_rfc3339() })),
        "objections_count": s.objections.len(),
        "objections": objections,
        "notice": s.notice.as_ref().map(|n| split(&AwardBody::AwardNoticeIssued(Box::new(n.0.clone()))).1),
        "contract": s.contract,
        "contract_due": s.contract_deadline().filter(|_| s.stage() == Stage::Awarded).map(|d| d.to_rfc3339()),
        "failure": s.failure,
    }))
}
