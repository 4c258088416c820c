//! Gathering a home: per role, the records it may read through the capabilities' own views, then
//! the pure rules of `home`. Every read here is one the JSON API already answers for the same
//! viewer; nothing is read for one organisation and shown to another.

use super::{
    custodian_duties, draw_duty, managed_duties, own_bids, own_results, sort, tenderer_duties,
    watch_duty, Duty, LotBid, LotResult, ManagedFacts, Task, TendererFacts,
};
use crate::app::AppState;
use crate::award::state::AwardState;
use crate::bonds::service::BondsView;
use crate::bonds::ExpectedBond;
use crate::domain::{OrgId, Timestamp};
use crate::identity::{Actor, Role};
use crate::lottery::{DrawKind, DrawRecord, DrawState};
use crate::opening::state::OpeningState;
use crate::registry::AgentStatus;
use crate::store::StoreError;
use crate::tenders::access::Relations;
use crate::tenders::model::{Project, Tender, TenderState};
use crate::tenders::notices::{NoticeQuery, MAX_PER_PAGE};
use serde::Serialize;

/// The most recent notices a home looks through for the tenders an organisation takes part in
/// without running them (a tenderer's, a supervisor's, a witness's): the store has no index by
/// participant yet (docs/home.md, "Limits").
pub const SCAN_LIMIT: u32 = 500;

#[derive(Debug, thiserror::Error)]
pub enum HomeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A capability's view refused or failed; the home does not show half of itself.
    #[error("{0}")]
    Part(String),
}

macro_rules! part {
    ($($t:ty),*) => {$(
        impl From<$t> for HomeError {
            fn from(e: $t) -> Self {
                HomeError::Part(e.to_string())
            }
        }
    )*};
}
part!(
    crate::bids::service::BidError,
    crate::bonds::service::BondsError,
    crate::disputes::service::DisputeError,
    crate::opening::event::EventError,
    crate::registry::service::RegistryError
);

/// A tender on a home: what it is, where it stands on the board, and the viewer's own part in it.
#[derive(Debug, Serialize)]
pub struct TenderLine {
    pub id: String,
    pub title: String,
    /// The board's status (`Tender::public_status`), `draft` for a draft.
    pub status: &'static str,
    pub bid_deadline: Timestamp,
    /// What the viewer is to it: `owner`, `agent`, `tenderer`, `supervisor` or `custodian`.
    pub relation: &'static str,
    /// A tenderer's own bids, per lot.
    pub bids: Vec<LotBid>,
    /// A tenderer's results once the award notices are out.
    pub results: Vec<LotResult>,
    /// A tenderer's own bonds on the tender, for the page to put in words.
    #[serde(skip)]
    pub bonds: Option<(BondsView, Vec<ExpectedBond>)>,
    /// When it obtained the documents (a tenderer).
    pub obtained_at: Option<Timestamp>,
}

impl TenderLine {
    fn of(t: &Tender, relation: &'static str, now: Timestamp) -> Self {
        TenderLine {
            id: t.id.to_string(),
            title: t.spec.title.as_str().to_string(),
            status: t.public_status(now),
            bid_deadline: t.spec.schedule.bid_deadline,
            relation,
            bids: vec![],
            results: vec![],
            bonds: None,
            obtained_at: None,
        }
    }
}

/// A tenderer's own question, objection or complaint, with its answer.
#[derive(Debug, Serialize)]
pub struct DisputeLine {
    /// `question`, `objection` or `complaint`.
    pub kind: &'static str,
    pub tender_id: String,
    pub title: String,
    pub text: String,
    pub at: Timestamp,
    pub answer: Option<String>,
    pub answered_at: Option<Timestamp>,
    /// A complaint's state (`received`, `accepted`, `rejected`, `decided`).
    pub state: Option<&'static str>,
    /// A complaint's decision: founded (`true`) or not.
    pub upheld: Option<bool>,
    pub overdue: bool,
}

#[derive(Debug, Serialize)]
pub struct ProjectLine {
    pub id: String,
    pub name: String,
    pub code: String,
    pub agent: Option<String>,
    pub agent_by_draw: bool,
    pub tenders: usize,
}

#[derive(Debug, Serialize)]
pub struct PendingAgent {
    pub org_id: String,
    pub name: String,
    pub submitted_at: Timestamp,
}

#[derive(Debug, Serialize)]
pub struct DrawLine {
    pub id: String,
    pub purpose: String,
    /// `agent` or `expert`.
    pub kind: &'static str,
    pub phase: &'static str,
    pub commit_deadline: Timestamp,
    pub reveal_deadline: Timestamp,
}

/// The reactions' outbox as the trading centre watches it: what is not delivered yet, how much
/// of it has failed at least once, and since when the oldest waits.
#[derive(Debug, Serialize)]
pub struct Outbox {
    pub undelivered: usize,
    pub failing: usize,
    pub oldest: Option<Timestamp>,
}

/// Everything a home shows.
#[derive(Debug, Serialize)]
pub struct Home {
    pub role: &'static str,
    pub duties: Vec<Duty>,
    pub tenders: Vec<TenderLine>,
    pub projects: Vec<ProjectLine>,
    pub disputes: Vec<DisputeLine>,
    pub pending_agents: Vec<PendingAgent>,
    pub draws: Vec<DrawLine>,
    pub outbox: Option<Outbox>,
    /// The agent's own registration under 三表三制, if it submitted one.
    pub registration: Option<&'static str>,
    /// More notices exist than the home looked through.
    pub scan_capped: bool,
}

impl Home {
    fn new(role: Role) -> Self {
        Home {
            role: role.as_str(),
            duties: vec![],
            tenders: vec![],
            projects: vec![],
            disputes: vec![],
            pending_agents: vec![],
            draws: vec![],
            outbox: None,
            registration: None,
            scan_capped: false,
        }
    }
}

/// The home of `actor`'s organisation.
pub async fn home(app: &AppState, actor: &Actor) -> Result<Home, HomeError> {
    let mut h = Home::new(actor.role);
    match actor.role {
        Role::Owner | Role::Agent => managed(app, actor, &mut h).await?,
        Role::Tenderer => tenderer(app, actor, &mut h).await?,
        Role::Supervisor | Role::Witness => watching(app, actor, &mut h).await?,
        Role::Platform => platform(app, &mut h).await?,
    }
    draws(app, actor, &mut h).await?;
    sort(&mut h.duties);
    Ok(h)
}

async fn opening_of(app: &AppState, t: &Tender) -> Result<Option<OpeningState>, HomeError> {
    if t.state != TenderState::Published {
        return Ok(None);
    }
    let events = crate::opening::service::all_events(app, &t.id).await?;
    Ok(Some(OpeningState::fold(&events)?))
}

async fn award_of(app: &AppState, t: &Tender) -> Result<Option<AwardState>, HomeError> {
    if t.state != TenderState::Published {
        return Ok(None);
    }
    let events = app.store.award_events(&t.id).await?;
    Ok(Some(AwardState::fold(&events)?))
}

/// The registered custodian indexes of a published tender (the hall's time-release custodian
/// registers itself when first asked, so it is never awaited here).
async fn registered_custodians(app: &AppState, t: &Tender) -> Result<Vec<u8>, HomeError> {
    if t.state != TenderState::Published {
        return Ok(vec![]);
    }
    Ok(app
        .store
        .custodian_keys(&t.id)
        .await?
        .iter()
        .map(|k| k.index)
        .collect())
}

// ---------------------------------------------------------------------------------------------
// owners and agents

async fn managed(app: &AppState, actor: &Actor, h: &mut Home) -> Result<(), HomeError> {
    let now = app.clock.now();
    let (tenders, projects) = tokio::try_join!(
        app.store.list_tenders_of_org(&actor.org_id),
        app.store.list_projects(&actor.org_id),
    )?;
    if actor.role == Role::Agent {
        h.registration = match app.store.get_agent(&actor.org_id).await {
            Ok(r) => Some(r.status.as_str()),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
    }
    let draws = app.store.list_draws().await?;
    for t in &tenders {
        let r = Relations::of(Some(actor), t);
        let relation = if r.owner { "owner" } else { "agent" };
        let (opening, award, keys) = (
            opening_of(app, t).await?,
            award_of(app, t).await?,
            registered_custodians(app, t).await?,
        );
        let mut f = ManagedFacts {
            opening: opening.as_ref(),
            award: award.as_ref(),
            ..Default::default()
        };
        if t.state == TenderState::Published {
            f.custodians_missing = (0..t.spec.custodians.members.len())
                .map(|i| (i + 1) as u8)
                .filter(|i| !keys.contains(i))
                .filter(|i| crate::bids::custodian_org(t, *i).ok().flatten().is_some())
                .count();
            f.expert_draw = super::pending_expert_draw(t, &draws, award.as_ref())
                .map(|d| (d.phase(now), d.reveal_deadline));
            let questions = crate::disputes::service::questions(app, Some(actor), &t.id).await?;
            f.questions_unanswered = questions
                .questions
                .iter()
                .filter(|q| q.answer.is_none())
                .count();
            let objections = crate::disputes::service::objections(app, Some(actor), &t.id).await?;
            f.objections_due = objections
                .objections
                .iter()
                .filter(|o| o.answer.is_none())
                .map(|o| o.answer_due)
                .collect();
        }
        h.duties.extend(managed_duties(t, &r, &f, now));
        h.duties.extend(custodian_duties(
            t,
            &actor.org_id,
            &keys,
            opening.as_ref(),
            now,
        ));
        h.tenders.push(TenderLine::of(t, relation, now));
    }
    for p in &projects {
        let count = tenders.iter().filter(|t| t.project_id == p.id).count();
        h.projects.push(project_line(app, p, count).await);
        let owner = actor.role == Role::Owner && p.owner_org_id == actor.org_id;
        if owner && p.agent_by_draw && p.agent_org_id.is_none() {
            let drawing = draws.iter().any(|d| {
                d.kind == DrawKind::Agent
                    && d.project_id.as_ref() == Some(&p.id)
                    && !matches!(d.state, DrawState::Failed)
            });
            if !drawing {
                h.duties.push(Duty {
                    task: Task::RequestAgentDraw,
                    acts: true,
                    subject: p.name.as_str().to_string(),
                    lot: None,
                    due: None,
                    overdue: false,
                    count: None,
                    href: "/workspace#new-draw-h".into(),
                });
            }
        } else if count == 0 && (owner || p.agent_org_id.as_ref() == Some(&actor.org_id)) {
            h.duties.push(Duty {
                task: Task::CreateTender,
                acts: true,
                subject: p.name.as_str().to_string(),
                lot: None,
                due: None,
                overdue: false,
                count: None,
                href: "/workspace#new-tender-h".into(),
            });
        }
    }
    Ok(())
}

async fn project_line(app: &AppState, p: &Project, tenders: usize) -> ProjectLine {
    let agent = match &p.agent_org_id {
        Some(id) => Some(match app.store.get_organisation(id).await {
            Ok(o) => o.name.as_str().to_string(),
            Err(_) => id.to_string(),
        }),
        None => None,
    };
    ProjectLine {
        id: p.id.to_string(),
        name: p.name.as_str().to_string(),
        code: p.code.as_str().to_string(),
        agent,
        agent_by_draw: p.agent_by_draw,
        tenders,
    }
}

// ---------------------------------------------------------------------------------------------
// tenders an organisation takes part in without running them

/// The published tenders on the notice board, newest first, at most `SCAN_LIMIT`; and whether
/// there were more.
async fn public_tenders(app: &AppState) -> Result<(Vec<Tender>, bool), HomeError> {
    let now = app.clock.now();
    let mut out = Vec::new();
    let mut page = 1;
    loop {
        let q = NoticeQuery::new(
            None,
            None,
            None,
            None,
            None,
            None,
            Some(page),
            Some(MAX_PER_PAGE),
        )
        .map_err(|(field, e)| HomeError::Part(format!("{field}: {}", e.message)))?;
        let found = app.store.search_notices(&q, now).await?;
        let last = found.items.len() < MAX_PER_PAGE as usize;
        for n in found.items {
            if out.len() as u32 >= SCAN_LIMIT {
                return Ok((out, true));
            }
            out.push(app.store.get_tender(&n.id).await?);
        }
        if last {
            return Ok((out, false));
        }
        page += 1;
    }
}

async fn tenderer(app: &AppState, actor: &Actor, h: &mut Home) -> Result<(), HomeError> {
    let now = app.clock.now();
    let (tenders, capped) = public_tenders(app).await?;
    h.scan_capped = capped;
    for t in tenders {
        let Some(obtained) = app.store.find_obtained(&t.id, &actor.org_id).await? else {
            continue;
        };
        let mut line = TenderLine::of(&t, "tenderer", now);
        line.obtained_at = Some(obtained.obtained_at);
        let bids = crate::bids::service::my_bids(app, actor, &t.id).await?;
        line.bids = own_bids(&t, &bids);
        let view = crate::bonds::service::my_bonds(app, actor, &t.id).await?;
        let expected = crate::bonds::service::expected_bonds(app, &t, &actor.org_id).await?;
        let (opening, award) = (opening_of(app, &t).await?, award_of(app, &t).await?);
        if let Some(s) = &award {
            line.results = own_results(&t, s, &actor.org_id);
        }
        let facts = TendererFacts {
            bids: &line.bids,
            bonds: &view.bonds,
            performance_owed: award
                .as_ref()
                .and_then(|s| s.performance_bond_owed(actor.org_id.as_str())),
            opening: opening.as_ref(),
            award: award.as_ref(),
        };
        h.duties
            .extend(tenderer_duties(&t, &actor.org_id, &facts, now));
        line.bonds = Some((view, expected));
        own_disputes(app, actor, &t, &mut h.disputes).await?;
        h.tenders.push(line);
    }
    h.disputes.sort_by_key(|d| std::cmp::Reverse(d.at));
    Ok(())
}

/// The tenderer's own questions, objections and complaints on `t`, through the disputes' views.
async fn own_disputes(
    app: &AppState,
    actor: &Actor,
    t: &Tender,
    out: &mut Vec<DisputeLine>,
) -> Result<(), HomeError> {
    use crate::disputes::service as d;
    let title = t.spec.title.as_str();
    let line = |kind, text: String, at| DisputeLine {
        kind,
        tender_id: t.id.to_string(),
        title: title.to_string(),
        text,
        at,
        answer: None,
        answered_at: None,
        state: None,
        upheld: None,
        overdue: false,
    };
    for q in d::questions(app, Some(actor), &t.id).await?.questions {
        if q.mine {
            out.push(DisputeLine {
                answer: q.answer,
                answered_at: q.answered_at,
                ..line("question", q.text, q.asked_at)
            });
        }
    }
    for o in d::objections(app, Some(actor), &t.id).await?.objections {
        if o.mine {
            out.push(DisputeLine {
                answer: o.answer,
                answered_at: o.answered_at,
                overdue: o.overdue,
                ..line("objection", o.text, o.raised_at)
            });
        }
    }
    for c in d::complaints(app, Some(actor), &t.id).await? {
        if c.mine {
            out.push(DisputeLine {
                answer: c
                    .decision
                    .as_ref()
                    .map(|x| x.text.clone())
                    .or_else(|| c.acceptance.as_ref().and_then(|a| a.reason.clone())),
                answered_at: c
                    .decision
                    .as_ref()
                    .map(|x| x.at)
                    .or(c.acceptance.as_ref().map(|a| a.at)),
                state: Some(c.state.as_str()),
                upheld: c.decision.as_ref().map(|x| x.upheld),
                overdue: c.overdue,
                ..line("complaint", c.text.unwrap_or_default(), c.received_at)
            });
        }
    }
    Ok(())
}

/// A supervising department or an independent witness: the tenders it supervises or holds a
/// custodian key of, their keys and shares, the openings to watch, and a supervisor's complaints.
async fn watching(app: &AppState, actor: &Actor, h: &mut Home) -> Result<(), HomeError> {
    let now = app.clock.now();
    let org = &actor.org_id;
    let (tenders, capped) = public_tenders(app).await?;
    h.scan_capped = capped;
    for t in tenders {
        let supervises = actor.role == Role::Supervisor && t.spec.supervisor_org_id == *org;
        let holds = t
            .spec
            .custodians
            .members
            .iter()
            .any(|m| m.org_id.as_ref() == Some(org));
        if !supervises && !holds {
            continue;
        }
        let opening = opening_of(app, &t).await?;
        let keys = registered_custodians(app, &t).await?;
        h.duties
            .extend(custodian_duties(&t, org, &keys, opening.as_ref(), now));
        if let Some(d) = watch_duty(&t, opening.as_ref(), now) {
            h.duties.push(d);
        }
        let relation = if supervises {
            "supervisor"
        } else {
            "custodian"
        };
        h.tenders.push(TenderLine::of(&t, relation, now));
    }
    if actor.role == Role::Supervisor {
        for c in crate::disputes::service::supervised(app, actor).await? {
            let (task, due) = match c.state {
                crate::disputes::model::ComplaintState::Received => {
                    (Task::AcceptComplaint, Some(c.acceptance_due))
                }
                crate::disputes::model::ComplaintState::Accepted => {
                    (Task::DecideComplaint, c.decision_due)
                }
                _ => continue,
            };
            h.duties.push(Duty {
                task,
                acts: true,
                subject: c.tender_title.clone(),
                lot: None,
                due,
                overdue: c.overdue,
                count: None,
                href: "/supervision/complaints".into(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// the trading centre

async fn platform(app: &AppState, h: &mut Home) -> Result<(), HomeError> {
    let now = app.clock.now();
    let mut pending: Vec<PendingAgent> = app
        .store
        .list_agents()
        .await?
        .into_iter()
        .filter(|a| a.status == AgentStatus::Pending)
        .map(|a| PendingAgent {
            org_id: a.org_id.to_string(),
            name: a.forms.organisation.name.as_str().to_string(),
            submitted_at: a.submitted_at,
        })
        .collect();
    pending.sort_by_key(|p| p.submitted_at);
    if let Some(oldest) = pending.first() {
        h.duties.push(Duty {
            task: Task::ReviewAgent,
            acts: true,
            subject: oldest.name.clone(),
            lot: None,
            due: None,
            overdue: false,
            count: Some(pending.len()),
            href: "/registry/agents".into(),
        });
    }
    h.pending_agents = pending;
    h.draws = app
        .store
        .list_draws()
        .await?
        .iter()
        .filter(|d| matches!(d.state, DrawState::Announced | DrawState::Open))
        .map(|d| draw_line(d, now))
        .collect();
    let waiting = app.store.undelivered_reactions().await?;
    h.outbox = Some(Outbox {
        undelivered: waiting.len(),
        failing: waiting.iter().filter(|r| r.attempts > 0).count(),
        oldest: waiting.iter().map(|r| r.created_at).min(),
    });
    Ok(())
}

fn draw_line(d: &DrawRecord, now: Timestamp) -> DrawLine {
    DrawLine {
        id: d.id.clone(),
        purpose: d.purpose.clone(),
        kind: match d.kind {
            DrawKind::Agent => "agent",
            DrawKind::Expert => "expert",
        },
        phase: d.phase(now).as_str(),
        commit_deadline: d.commit_deadline,
        reveal_deadline: d.reveal_deadline,
    }
}

// ---------------------------------------------------------------------------------------------
// draws, for every party

/// The draws the organisation contributes randomness to that await its commitment or reveal;
/// for parties other than the trading centre (which lists every draw in progress), also the
/// draws it takes part in that are in progress.
async fn draws(app: &AppState, actor: &Actor, h: &mut Home) -> Result<(), HomeError> {
    let now = app.clock.now();
    let org: &OrgId = &actor.org_id;
    for d in app.store.list_draws().await? {
        let open = matches!(d.state, DrawState::Announced | DrawState::Open);
        if !open || !(d.is_party(org) || d.requested_by == *org) {
            continue;
        }
        if actor.role != Role::Platform {
            h.draws.push(draw_line(&d, now));
        }
        if !d.is_party(org) {
            continue;
        }
        let committed = app
            .store
            .draw_commitments(&d.id)
            .await?
            .iter()
            .any(|c| c.party == *org);
        let revealed = app
            .store
            .draw_reveals(&d.id)
            .await?
            .iter()
            .any(|c| c.party == *org);
        if let Some(duty) = draw_duty(&d, org, committed, revealed, now) {
            h.duties.push(duty);
        }
    }
    Ok(())
}
