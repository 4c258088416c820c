//! The opening's use cases. Each one folds the stored events, decides on the rules in `state.rs`,
//! and appends its events after the last one it folded — retried on a fresh fold if another
//! writer (this process's watcher, or another process) came first. Broadcast follows the commit.

use super::decide::{
    self as rules, bounded, decide, Command, DecideError, NamedCustodian, Reading, Situation,
};
use super::event::{self as ev, Body, EventError};
use super::hub::Lock;
use super::record;
use super::state::{OpeningState, Phase, Refusal};
use super::{Audience, OpeningEvent, Viewer};
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::bids::opening::{decrypt_ready, release_time_shares};
use crate::bids::service::BidError;
use crate::bonds::BondReceipt;
use crate::domain::{Money, OrgId, TenderId, Timestamp};
use crate::identity::{Actor, Role};
use crate::store::StoreError;
use crate::tenders::access::{self, Action, Denied, Relations};
use crate::tenders::model::{CustodianKind, Tender, TenderState};
use serde::Deserialize;
use serde_json::{json, Value};

pub use super::decide::LOBBY_MS;
const ATTEMPTS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum OpeningError {
    #[error("no such tender")]
    NotFound,
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Access(#[from] Denied),
    #[error(transparent)]
    Bid(#[from] BidError),
    #[error(transparent)]
    Store(StoreError),
}

/// A stored event the hall cannot read is a fault of the store, not of the caller: the detail
/// goes to the log, the answer is a 5xx.
impl From<EventError> for OpeningError {
    fn from(e: EventError) -> Self {
        OpeningError::Store(StoreError::Unavailable(format!(
            "a stored opening event does not parse: {e}"
        )))
    }
}

impl From<DecideError> for OpeningError {
    fn from(e: DecideError) -> Self {
        match e {
            DecideError::Refused(r) => OpeningError::Refused(r),
            DecideError::Unreadable(e) => e.into(),
        }
    }
}

impl From<StoreError> for OpeningError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => OpeningError::NotFound,
            e => OpeningError::Store(e),
        }
    }
}

/// An event a use case has decided on, before it is numbered (the opening's and the award's).
pub(crate) struct Pending {
    pub(crate) kind: String,
    pub(crate) audience: Audience,
    pub(crate) body: Value,
}

pub(crate) fn public(kind: &'static str, body: Value) -> Pending {
    Pending {
        kind: kind.to_string(),
        audience: Audience::Public,
        body,
    }
}

/// An opening event from its typed body.
fn to(audience: Audience, body: Body) -> Pending {
    let (kind, body) = ev::split(&body);
    Pending {
        kind,
        audience,
        body,
    }
}

/// An event for the hall's side only: the host, the supervisor (and, in the award, the committee).
pub(crate) fn hall(kind: &'static str, body: Value) -> Pending {
    Pending {
        kind: kind.to_string(),
        audience: Audience::Hall,
        body,
    }
}

async fn tender(app: &AppState, id: &TenderId) -> Result<Tender, OpeningError> {
    let t = app.store.get_tender(id).await?;
    if t.state != TenderState::Published {
        return Err(OpeningError::NotFound);
    }
    Ok(t)
}

/// Every stored event of the tender, oldest first.
pub async fn all_events(app: &AppState, id: &TenderId) -> Result<Vec<OpeningEvent>, StoreError> {
    let mut out: Vec<OpeningEvent> = Vec::new();
    loop {
        let after = out.last().map_or(0, |e| e.seq);
        let page = app.store.opening_events(id, after, 1000).await?;
        let full = page.len() == 1000;
        out.extend(page);
        if !full {
            return Ok(out);
        }
    }
}

/// Who the actor is to this tender's opening, as the access policy says.
pub fn viewer(actor: Option<&Actor>, t: &Tender) -> Viewer {
    let r = Relations::of(actor, t);
    let (hall, role) = if r.manages() {
        (true, "host")
    } else if r.supervisor {
        (true, "supervisor")
    } else if r.role == Some(Role::Tenderer) {
        (false, "tenderer")
    } else {
        (false, "public")
    };
    Viewer {
        hall,
        role,
        org: actor.map(|a| a.org_id.clone()),
    }
}

/// Who the actor is to this tender's opening, looked up by id.
pub async fn viewer_of(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Viewer, OpeningError> {
    Ok(viewer(actor, &tender(app, id).await?))
}

/// Numbers, stores and logs `pending` after event `after`, then broadcasts them.
async fn append(
    app: &AppState,
    t: &Tender,
    after: i64,
    pending: Vec<Pending>,
    actor: AuditActor,
    now: Timestamp,
) -> Result<Vec<OpeningEvent>, StoreError> {
    let events: Vec<OpeningEvent> = pending
        .into_iter()
        .enumerate()
        .map(|(i, p)| OpeningEvent {
            seq: after + 1 + i as i64,
            at: now,
            kind: p.kind,
            audience: p.audience,
            body: p.body,
        })
        .collect();
    // What concerns one tenderer (its sign-in in the lobby) is sealed until the box closes.
    let (id, deadline) = (&t.id, t.spec.schedule.bid_deadline);
    let audits = events
        .iter()
        .map(|e| {
            let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, &e.canonical()));
            let facts = json!({ "seq": e.seq, "event": e.kind, "sha256": sha });
            match e.audience.party() {
                Some(_) => AuditEvent::about_a_tenderer(
                    "opening_event",
                    id,
                    deadline,
                    actor.clone(),
                    now,
                    facts,
                ),
                None => AuditEvent::new("opening_event", Some(id), actor.clone(), now, facts),
            }
        })
        .collect();
    // A failed or thinned opening returns bid bonds (src/reactions), written with its events; a
    // failed opening (条例44) is the tender's failure on the board.
    let reactions = crate::reactions::after_opening(id, &events);
    let keys: Vec<String> = reactions.iter().map(|r| r.key.clone()).collect();
    let stage = events
        .iter()
        .any(|e| e.kind == "opening_failed")
        .then_some("failed");
    app.store
        .append_opening_events(id, after, events.clone(), audits, reactions, stage)
        .await?;
    crate::reactions::dispatch::deliver_now(app, keys).await;
    if let Err(e) = app
        .openings
        .publish_committed(app.store.as_ref(), id, after + 1, &events)
        .await
    {
        // The events are stored; sockets catch up from the store on their next event.
        tracing::warn!(error = %e, tender = %id, "opening broadcast failed");
    }
    Ok(events)
}

/// Loads the tender and its events, decides `command` on them (`decide.rs`) and appends what it
/// decides, until the decision lands on the latest fold.
async fn act(
    app: &AppState,
    id: &TenderId,
    actor: AuditActor,
    command: &Command<'_>,
) -> Result<Vec<OpeningEvent>, OpeningError> {
    act_at(app, id, actor, command, None).await
}

/// `act`, deciding as of `as_of` when given: the clock's tick decides at the moment it read the
/// bids for, so a tick that read none just before the deadline cannot close the box empty just
/// after it.
async fn act_at(
    app: &AppState,
    id: &TenderId,
    actor: AuditActor,
    command: &Command<'_>,
    as_of: Option<Timestamp>,
) -> Result<Vec<OpeningEvent>, OpeningError> {
    // Writers of one tender queue here rather than race (other processes still may: then the
    // store's append check sends us round again).
    let _writing = app.openings.lock(id, Lock::Write).await;
    for _ in 0..ATTEMPTS {
        let t = tender(app, id).await?;
        let events = all_events(app, id).await?;
        let state = OpeningState::fold(&events)?;
        let now = as_of.unwrap_or_else(|| app.clock.now());
        let at = Situation {
            tender: &t,
            state: &state,
            now,
            events: &events,
        };
        let decided = decide(&at, command)?;
        if decided.is_empty() {
            return Ok(Vec::new());
        }
        let pending = decided
            .into_iter()
            .map(|d| to(d.audience, d.body))
            .collect();
        match append(app, &t, state.last_seq, pending, actor.clone(), now).await {
            Err(StoreError::Conflict(_)) => continue,
            r => return Ok(r?),
        }
    }
    Err(OpeningError::Store(StoreError::Unavailable(
        "the opening is too busy; try again".into(),
    )))
}

/// Advances every opening the clock has reached (the hall's watcher calls this every second).
pub async fn advance_due(app: &AppState) -> Result<(), OpeningError> {
    let horizon = app.clock.now().plus_millis(LOBBY_MS);
    for id in app.store.openings_due(horizon).await? {
        if let Err(e) = advance(app, &id).await {
            tracing::warn!(error = %e, tender = %id, "the opening could not advance");
        }
    }
    Ok(())
}

/// Makes every step the clock and the released shares allow: lobby, closing, the bond check,
/// decryption, the announcement of each decided bid in order, and naming late custodians.
pub async fn advance(app: &AppState, id: &TenderId) -> Result<(), OpeningError> {
    let t = tender(app, id).await?;
    let deadline = t.spec.schedule.bid_deadline;
    // Once every bid is announced only people move the ceremony on, and before the lobby the
    // clock has nothing to do: then nothing more is read (the watcher and every read come here).
    let phase = OpeningState::fold(&all_events(app, id).await?)?.phase();
    // One moment for the clock's whole step: the bids it reads and the closing it decides.
    let now = app.clock.now();
    let early = phase == Phase::Scheduled && now < deadline.plus_millis(-LOBBY_MS);
    if early
        || !matches!(
            phase,
            Phase::Scheduled | Phase::Lobby | Phase::Closed | Phase::Decrypting | Phase::Announcing
        )
    {
        return Ok(());
    }
    // Step 1: what the clock alone decides.
    let bids = if now >= deadline {
        // The box's closing list is in the log before the opening reads the bids out; once the
        // opening has closed, so has the box, and the watcher's passes need not ask again.
        if matches!(phase, Phase::Scheduled | Phase::Lobby) {
            crate::bids::closing::close_if_due(app, &t).await?;
        }
        app.store.counted_bids(id).await?
    } else {
        Vec::new()
    };
    let custodians = custodian_names(app, &t).await?;
    let (bonds, guarantees) = if matches!(phase, Phase::Scheduled | Phase::Lobby | Phase::Closed) {
        // Desk-recorded bonds and bid bonds the bank paid into the ledger both count, and so do
        // electronic guarantees.
        let mut on_record = app.store.bonds(id).await?;
        on_record.extend(crate::bonds::service::ledger_receipts(app, id).await?);
        (on_record, app.store.guarantees_of_tender(id).await?)
    } else {
        (Vec::new(), Vec::new())
    };
    let tick = Command::Tick {
        bids: &bids,
        bonds: &bonds,
        guarantees: &guarantees,
        custodians: &custodians,
        release_ms: app.config.release_window_minutes * 60 * 1000,
    };
    act_at(app, id, AuditActor::System, &tick, Some(now)).await?;

    // Step 2: decryption and the announcement, while not suspended.
    let s = OpeningState::fold(&all_events(app, id).await?)?;
    if !matches!(s.phase(), Phase::Decrypting | Phase::Announcing) || s.suspended.is_some() {
        return Ok(());
    }
    {
        // One decryption pass per tender at a time here; a concurrent one would redo the work.
        let _decrypting = app.openings.lock(id, Lock::Decrypt).await;
        // The time-release custodian opens every header once; once its release is announced
        // there is nothing left for it to do.
        let time_release_done = custodians
            .iter()
            .any(|c| c.kind == "time_release" && s.released.contains(&i64::from(c.index)));
        if !time_release_done {
            release_time_shares(app, id).await?;
        }
        let window_closed = s.release_until.is_some_and(|u| app.clock.now() >= u);
        decrypt_ready(app, &t, window_closed).await?;
    }
    let shares: Vec<(String, u8)> = app
        .store
        .released_shares(id)
        .await?
        .into_iter()
        .map(|(bid, index, _)| (bid, index))
        .collect();
    let outcomes = app.store.openings(id).await?;
    let mut readings = Vec::new();
    // A lot not opened (条例44) is not read out: its bids are neither decrypted nor announced.
    for (n, b) in rules::numbered(&bids).filter(|(_, b)| rules::opens(&bids, b)) {
        let outcome = outcomes
            .iter()
            .find(|(bid, _)| *bid == b.id)
            .map(|(_, o)| o.clone());
        let name = app.store.get_organisation(&b.org_id).await?.name;
        readings.push(Reading {
            n,
            bid: b,
            outcome,
            name: name.as_str().to_string(),
        });
    }
    let announce = Command::Announce {
        readings: &readings,
        shares: &shares,
        custodians: &custodians,
    };
    act(app, id, AuditActor::System, &announce).await?;
    Ok(())
}

/// Each custodian's index, kind and the name the hall shows.
async fn custodian_names(app: &AppState, t: &Tender) -> Result<Vec<NamedCustodian>, OpeningError> {
    let mut out = Vec::new();
    for (i, m) in t.spec.custodians.members.iter().enumerate() {
        let index = i as u8 + 1;
        let kind = serde_json::to_value(m.kind).unwrap_or(Value::Null);
        let name = match crate::bids::custodian_org(t, index) {
            Ok(Some(org)) => app
                .store
                .get_organisation(&org)
                .await?
                .name
                .as_str()
                .to_string(),
            _ if m.kind == CustodianKind::TimeRelease => {
                "交易中心时间锁 (time-release)".to_string()
            }
            _ => String::new(),
        };
        out.push(NamedCustodian { index, kind, name });
    }
    Ok(out)
}

/// A custodian releases its shares; the hall then opens and announces what they make decryptable.
pub async fn release(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    index: u8,
    shares: Vec<crate::bids::opening::Release>,
) -> Result<usize, OpeningError> {
    let n = crate::bids::opening::release(app, actor, id, index, shares).await?;
    advance(app, id).await?;
    Ok(n)
}

/// 签到: a tenderer with a bid that counts, the host or the supervisor, from the lobby on.
pub async fn sign_in(app: &AppState, actor: &Actor, id: &TenderId) -> Result<Value, OpeningError> {
    advance(app, id).await?;
    let t = tender(app, id).await?;
    let has_bid = app
        .store
        .counted_bids(id)
        .await?
        .iter()
        .any(|b| b.org_id == actor.org_id);
    let viewer = viewer(Some(actor), &t);
    let command = Command::SignIn {
        viewer: &viewer,
        org_name: actor.org_name.as_str(),
        has_bid,
    };
    act(app, id, actor.into(), &command).await?;
    let signed_in = Body::SignedIn {
        org_id: actor.org_id.to_string(),
        org_name: actor.org_name.to_string(),
        role: viewer.role.to_string(),
    };
    Ok(ev::split(&signed_in).1)
}

/// The access policy's answer for the ceremony's actions (when they may happen is the
/// ceremony's phase, checked by each).
fn allowed(actor: &Actor, t: &Tender, action: Action) -> Result<(), Denied> {
    access::may(
        action,
        &Relations::of(Some(actor), t),
        t,
        t.spec.schedule.bid_deadline,
    )
}

fn host_only(actor: &Actor, t: &Tender) -> Result<(), Denied> {
    allowed(actor, t, Action::HostOpening)
}

fn supervisor_only(actor: &Actor, t: &Tender) -> Result<(), Denied> {
    allowed(actor, t, Action::SuperviseOpening)
}

/// The host opens confirmation for `minutes` once every bid is announced.
pub async fn open_window(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    minutes: i64,
) -> Result<(), OpeningError> {
    advance(app, id).await?;
    host_only(actor, &tender(app, id).await?)?;
    act(app, id, actor.into(), &Command::OpenWindow { minutes }).await?;
    Ok(())
}

/// A tenderer confirms its own line: its countersignature of the record.
pub async fn confirm(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    n: i64,
) -> Result<(), OpeningError> {
    tender(app, id).await?;
    let command = Command::Confirm {
        org: &actor.org_id,
        org_name: actor.org_name.as_str(),
        n,
    };
    act(app, id, actor.into(), &command).await?;
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionInput {
    /// The line objected to, or null for the opening as a whole.
    pub line: Option<i64>,
    pub text: String,
}

/// A tenderer with a line raises an objection (异议) within the window; answers its number.
pub async fn object(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: ObjectionInput,
) -> Result<i64, OpeningError> {
    tender(app, id).await?;
    let command = Command::Object {
        org: &actor.org_id,
        org_name: actor.org_name.as_str(),
        line: input.line,
        text: &input.text,
    };
    let appended = act(app, id, actor.into(), &command).await?;
    appended
        .iter()
        .find_map(|e| match Body::parse(e.seq, &e.kind, &e.body) {
            Ok(Body::ObjectionRaised { id, .. }) => Some(id),
            _ => None,
        })
        .ok_or_else(|| {
            OpeningError::Store(StoreError::Unavailable(
                "the objection was not recorded".into(),
            ))
        })
}

/// The host answers an objection, before the conclusion.
pub async fn answer(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    objection: i64,
    text: &str,
) -> Result<(), OpeningError> {
    host_only(actor, &tender(app, id).await?)?;
    act(app, id, actor.into(), &Command::Answer { objection, text }).await?;
    Ok(())
}

/// The supervisor suspends (`true`) or resumes the opening, with a reason.
pub async fn suspend(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    suspend: bool,
    reason: &str,
) -> Result<(), OpeningError> {
    supervisor_only(actor, &tender(app, id).await?)?;
    act(app, id, actor.into(), &Command::Suspend { suspend, reason }).await?;
    if !suspend {
        advance(app, id).await?;
    }
    Ok(())
}

/// The host concludes: the record is computed from the events, signed, and published.
pub async fn conclude(app: &AppState, actor: &Actor, id: &TenderId) -> Result<Value, OpeningError> {
    host_only(actor, &tender(app, id).await?)?;
    let command = Command::Conclude {
        signer: &app.log.signer,
    };
    act(app, id, actor.into(), &command).await?;
    report(app, id).await
}

/// The signed opening record, once concluded.
pub async fn report(app: &AppState, id: &TenderId) -> Result<Value, OpeningError> {
    let t = tender(app, id).await?;
    let events = all_events(app, id).await?;
    let s = OpeningState::fold(&events)?;
    let Some((record_sha256, signature, at)) = s.concluded else {
        return Err(Refusal::WrongPhase {
            phase: s.phase().as_str(),
        }
        .into());
    };
    // The record covers the events before the conclusion, which is the last event.
    let end = events.len() - 1;
    let rec = record::build(&t, &events[..end], &at.to_rfc3339())?;
    Ok(json!({
        "record": rec,
        "record_sha256": record_sha256,
        "signature": signature,
    }))
}

/// The state as the viewer may see it, after any step the clock has made due.
pub async fn state(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Value, OpeningError> {
    let t = tender(app, id).await?;
    if app.clock.now() >= t.spec.schedule.bid_deadline.plus_millis(-LOBBY_MS) {
        advance(app, id).await?;
    }
    let v = viewer(actor, &t);
    let s = OpeningState::fold(&all_events(app, id).await?)?;
    let mut out = s.view(&v);
    out["viewer"] = json!({ "role": v.role, "org_id": v.org.as_ref().map(|o| o.to_string()), "line": v.org.as_ref().and_then(|o| s.line_of(o)) });
    out["deadline"] = t.spec.schedule.bid_deadline.to_rfc3339().into();
    out["lobby_from"] = t
        .spec
        .schedule
        .bid_deadline
        .plus_millis(-LOBBY_MS)
        .to_rfc3339()
        .into();
    out["now"] = app.clock.now().to_rfc3339().into();
    Ok(out)
}

/// The events after `after` this viewer may see, and the last seq scanned.
pub async fn events(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
    after: i64,
    limit: i64,
) -> Result<(Vec<OpeningEvent>, i64), OpeningError> {
    let v = viewer_of(app, actor, id).await?;
    let page = app
        .store
        .opening_events(id, after, limit.clamp(1, 1000))
        .await?;
    let last = page.last().map_or(after, |e| e.seq);
    Ok((
        page.into_iter().filter(|e| v.sees(&e.audience)).collect(),
        last,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BondInput {
    pub lot_id: String,
    pub org_id: String,
    pub amount_fen: i64,
    /// The bank's transaction reference or the desk's receipt number.
    pub reference: String,
}

/// The trading centre's finance desk records a bid bond it has received.
pub async fn record_bond(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: BondInput,
) -> Result<BondReceipt, OpeningError> {
    if actor.role != Role::Platform {
        return Err(Refusal::Forbidden("only the trading centre records bonds received").into());
    }
    let t = tender(app, id).await?;
    if !t.spec.lots.iter().any(|l| l.id.as_str() == input.lot_id) {
        return Err(
            Refusal::BadInput(format!("lot_id: no lot {} in this tender", input.lot_id)).into(),
        );
    }
    let amount = Money::from_fen(input.amount_fen)
        .ok()
        .filter(|m| m.fen() > 0)
        .ok_or_else(|| Refusal::BadInput("amount_fen: a positive amount in fen".into()))?;
    let org = OrgId::parse(&input.org_id)
        .map_err(|_| Refusal::BadInput("org_id: not an organisation id".into()))?;
    let payer = app.store.get_organisation(&org).await?;
    if payer.role != Role::Tenderer {
        return Err(Refusal::BadInput("org_id: bonds are paid by tenderers".into()).into());
    }
    let reference = bounded(&input.reference, "reference", 100)?;
    let receipt = BondReceipt {
        id: uuid::Uuid::now_v7().to_string(),
        tender_id: id.clone(),
        lot_id: input.lot_id,
        org_id: org,
        amount_fen: amount,
        reference,
        recorded_by: actor.org_name.clone(),
        received_at: app.clock.now(),
    };
    // The log learns that a bond arrived, not from whom: bidders stay unknown until the opening.
    let audit = AuditEvent::about_a_tenderer(
        "bond_recorded",
        id,
        t.spec.schedule.bid_deadline,
        actor.into(),
        receipt.received_at,
        json!({ "receipt": receipt.id, "lot": receipt.lot_id, "org": receipt.org_id, "amount_fen": amount.fen() }),
    );
    match app.store.record_bond(&receipt, &audit).await {
        Err(StoreError::Conflict(_)) => Err(Refusal::BadInput(format!(
            "reference: {} is already on record for this tender",
            receipt.reference
        ))
        .into()),
        r => {
            r?;
            Ok(receipt)
        }
    }
}

/// Bonds on record: for the trading centre, the host and the supervisor.
pub async fn bonds(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<BondReceipt>, OpeningError> {
    let t = tender(app, id).await?;
    access::may(
        Action::SeeTenderBonds,
        &Relations::of(Some(actor), &t),
        &t,
        app.clock.now(),
    )?;
    Ok(app.store.bonds(id).await?)
}
