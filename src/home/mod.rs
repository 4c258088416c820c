//! The personal home (docs/home.md): for each signed-in organisation, what is its own and what
//! awaits it, with its deadline, computed on read from what the capabilities store. It writes
//! nothing and grants nothing: it reads through the capabilities' own views and the access policy,
//! so a viewer learns here only what those already let it learn (招标投标法 第二十二条、第三十七条).
//! The rules that turn records into duties are pure and live here; `service.rs` gathers.

pub mod service;

use crate::award::state::{AwardState, Stage, ANSWER_WITHIN_MS};
use crate::bonds::service::BondLine;
use crate::domain::{OrgId, Timestamp};
use crate::lottery::{DrawKind, DrawRecord, Phase as DrawPhase};
use crate::opening::state::{OpeningState, Phase as OpeningPhase};
use crate::tenders::access::Relations;
use crate::tenders::model::{Tender, TenderState};
use serde::Serialize;

/// Something that awaits an organisation: a stable id the pages put in words (`home_task_<id>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    // owners and agents
    CreateTender,
    RequestAgentDraw,
    Publish,
    AwaitCustodians,
    AnswerQuestions,
    AnswerObjections,
    AwaitBidDeadline,
    HostOpening,
    RequestExpertDraw,
    AwaitExpertDraw,
    FormCommittee,
    AwaitCommittee,
    Publicise,
    AnswerCandidateObjections,
    AwaitPublicity,
    IssueNotice,
    RecordContract,
    RecordPerformance,
    // tenderers
    SubmitBid,
    PayBond,
    PayPerformanceBond,
    SignInOpening,
    ConfirmLine,
    AnswerClarification,
    // custodians, supervisors and witnesses
    RegisterCustodianKey,
    ReleaseShare,
    WatchOpening,
    AcceptComplaint,
    DecideComplaint,
    // every party of a draw
    CommitDraw,
    RevealDraw,
    // the trading centre
    ReviewAgent,
}

impl Task {
    /// Every task, for the tests that check each has its words.
    pub const ALL: [Task; 32] = [
        Task::CreateTender,
        Task::RequestAgentDraw,
        Task::Publish,
        Task::AwaitCustodians,
        Task::AnswerQuestions,
        Task::AnswerObjections,
        Task::AwaitBidDeadline,
        Task::HostOpening,
        Task::RequestExpertDraw,
        Task::AwaitExpertDraw,
        Task::FormCommittee,
        Task::AwaitCommittee,
        Task::Publicise,
        Task::AnswerCandidateObjections,
        Task::AwaitPublicity,
        Task::IssueNotice,
        Task::RecordContract,
        Task::RecordPerformance,
        Task::SubmitBid,
        Task::PayBond,
        Task::PayPerformanceBond,
        Task::SignInOpening,
        Task::ConfirmLine,
        Task::AnswerClarification,
        Task::RegisterCustodianKey,
        Task::ReleaseShare,
        Task::WatchOpening,
        Task::AcceptComplaint,
        Task::DecideComplaint,
        Task::CommitDraw,
        Task::RevealDraw,
        Task::ReviewAgent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Task::CreateTender => "create_tender",
            Task::RequestAgentDraw => "request_agent_draw",
            Task::Publish => "publish",
            Task::AwaitCustodians => "await_custodians",
            Task::AnswerQuestions => "answer_questions",
            Task::AnswerObjections => "answer_objections",
            Task::AwaitBidDeadline => "await_bid_deadline",
            Task::HostOpening => "host_opening",
            Task::RequestExpertDraw => "request_expert_draw",
            Task::AwaitExpertDraw => "await_expert_draw",
            Task::FormCommittee => "form_committee",
            Task::AwaitCommittee => "await_committee",
            Task::Publicise => "publicise",
            Task::AnswerCandidateObjections => "answer_candidate_objections",
            Task::AwaitPublicity => "await_publicity",
            Task::IssueNotice => "issue_notice",
            Task::RecordContract => "record_contract",
            Task::RecordPerformance => "record_performance",
            Task::SubmitBid => "submit_bid",
            Task::PayBond => "pay_bond",
            Task::PayPerformanceBond => "pay_performance_bond",
            Task::SignInOpening => "sign_in_opening",
            Task::ConfirmLine => "confirm_line",
            Task::AnswerClarification => "answer_clarification",
            Task::RegisterCustodianKey => "register_custodian_key",
            Task::ReleaseShare => "release_share",
            Task::WatchOpening => "watch_opening",
            Task::AcceptComplaint => "accept_complaint",
            Task::DecideComplaint => "decide_complaint",
            Task::CommitDraw => "commit_draw",
            Task::RevealDraw => "reveal_draw",
            Task::ReviewAgent => "review_agent",
        }
    }

    /// Tasks that only say what the viewer waits for (someone else acts).
    pub fn waits(self) -> bool {
        matches!(
            self,
            Task::AwaitCustodians
                | Task::AwaitBidDeadline
                | Task::AwaitExpertDraw
                | Task::AwaitCommittee
                | Task::AwaitPublicity
                | Task::WatchOpening
        )
    }
}

/// One thing awaiting the viewer: what, on which tender or draw (and lot), by when, and where to
/// do it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Duty {
    pub task: Task,
    /// `false`: the viewer waits for someone else; shown, never counted as its to-do.
    pub acts: bool,
    /// The tender's title or the draw's purpose.
    pub subject: String,
    pub lot: Option<String>,
    pub due: Option<Timestamp>,
    /// Past `due` and not done.
    pub overdue: bool,
    /// How many (questions to answer, registrations to review…), where that says more.
    pub count: Option<usize>,
    pub href: String,
}

impl Duty {
    fn build(task: Task, subject: &str, href: String, now: Timestamp) -> DutyBuilder {
        DutyBuilder {
            duty: Duty {
                task,
                acts: !task.waits(),
                subject: subject.to_string(),
                lot: None,
                due: None,
                overdue: false,
                count: None,
                href,
            },
            now,
        }
    }
}

struct DutyBuilder {
    duty: Duty,
    now: Timestamp,
}

impl DutyBuilder {
    fn due(mut self, due: Option<Timestamp>) -> Self {
        self.duty.due = due;
        self.duty.overdue = self.duty.acts && due.is_some_and(|d| d < self.now);
        self
    }
    fn lot(mut self, lot: Option<String>) -> Self {
        self.duty.lot = lot;
        self
    }
    fn count(mut self, n: usize) -> Self {
        self.duty.count = Some(n);
        self
    }
    fn done(self) -> Duty {
        self.duty
    }
}

/// The viewer's to-do first, soonest deadline first (no deadline last); then what it waits for.
pub fn sort(duties: &mut [Duty]) {
    duties.sort_by_key(|d| (!d.acts, d.due.is_none(), d.due, d.task.as_str()));
}

fn lot_name(t: &Tender, lot_id: &str) -> Option<String> {
    t.spec
        .lots
        .iter()
        .find(|l| l.id.as_str() == lot_id)
        .map(|l| l.name.as_str().to_string())
}

/// A lot name worth showing: only when the tender has several lots.
fn named_lot(t: &Tender, lot_id: &str) -> Option<String> {
    (t.spec.lots.len() > 1)
        .then(|| lot_name(t, lot_id))
        .flatten()
}

// ---------------------------------------------------------------------------------------------
// owners and agents

/// What the hall knows of a tender its owner or agent runs, gathered by `service`. Nothing here
/// names or counts the tenderers before the opening: unanswered questions and objections are the
/// host's own work and are shown to it on the questions page already.
#[derive(Debug, Default)]
pub struct ManagedFacts<'a> {
    pub opening: Option<&'a OpeningState>,
    pub award: Option<&'a AwardState>,
    /// The custodians held by organisations (not the hall's time-release one) that have no key.
    pub custodians_missing: usize,
    /// The phase of the tender's latest expert draw, if any, and its reveal deadline.
    pub expert_draw: Option<(DrawPhase, Timestamp)>,
    pub questions_unanswered: usize,
    /// The answer deadlines of the objections to the documents that await an answer.
    pub objections_due: Vec<Timestamp>,
}

/// Does a tender need its expert draw requested (评标专家抽取), given the phase of the draw its
/// next committee waits on (`pending_expert_draw`): none yet, or it failed. The home lists the
/// duty; the workspace offers the form.
pub fn expert_draw_wanted(pending: Option<DrawPhase>) -> bool {
    matches!(pending, None | Some(DrawPhase::Failed))
}

/// The expert draw a tender's next committee waits on: the latest of its expert draws that has not
/// formed a committee yet (where each lot has its own committee, a lot still waiting needs a draw
/// of its own).
pub fn pending_expert_draw<'a>(
    t: &Tender,
    draws: &'a [DrawRecord],
    award: Option<&AwardState>,
) -> Option<&'a DrawRecord> {
    draws
        .iter()
        .filter(|d| d.kind == DrawKind::Expert && d.tender_id.as_ref() == Some(&t.id))
        .filter(|d| !award.is_some_and(|a| a.formed_from(&d.id)))
        .max_by_key(|d| d.created_at)
}

/// The next steps of a tender for its owner or its agent (`r` says which), each with its deadline:
/// what the law or the hall's procedure asks of that party now, and what it waits for.
pub fn managed_duties(t: &Tender, r: &Relations, f: &ManagedFacts, now: Timestamp) -> Vec<Duty> {
    let title = t.spec.title.as_str();
    let id = t.id.as_str();
    let manage = format!("/workspace/tenders/{id}");
    let mut out = Vec::new();
    let mut push = |d: Duty| out.push(d);
    if !r.manages() {
        return out;
    }
    match t.state {
        TenderState::Draft => {
            push(
                Duty::build(Task::Publish, title, manage, now)
                    .due(Some(t.spec.schedule.docs_from))
                    .done(),
            );
            return out;
        }
        TenderState::Cancelled => return out,
        TenderState::Published => {}
    }
    let deadline = t.spec.schedule.bid_deadline;
    if f.questions_unanswered > 0 {
        push(
            Duty::build(
                Task::AnswerQuestions,
                title,
                format!("/tenders/{id}/questions"),
                now,
            )
            .due(Some(t.spec.schedule.clarification_deadline).filter(|d| *d > now))
            .count(f.questions_unanswered)
            .done(),
        );
    }
    if let Some(due) = f.objections_due.iter().min() {
        push(
            Duty::build(
                Task::AnswerObjections,
                title,
                format!("/tenders/{id}/questions"),
                now,
            )
            .due(Some(*due))
            .count(f.objections_due.len())
            .done(),
        );
    }
    if now < deadline {
        if f.custodians_missing > 0 {
            push(
                Duty::build(
                    Task::AwaitCustodians,
                    title,
                    format!("/tenders/{id}/custodian"),
                    now,
                )
                .due(Some(t.spec.schedule.docs_from))
                .count(f.custodians_missing)
                .done(),
            );
        }
        push(
            Duty::build(Task::AwaitBidDeadline, title, format!("/tenders/{id}"), now)
                .due(Some(deadline))
                .done(),
        );
        return out;
    }
    let phase = f.opening.map_or(OpeningPhase::Scheduled, |o| o.phase());
    if phase == OpeningPhase::Failed {
        return out;
    }
    if phase != OpeningPhase::Concluded {
        let until = f
            .opening
            .and_then(|o| o.confirmation_until.or(o.release_until))
            .unwrap_or(deadline);
        push(
            Duty::build(
                Task::HostOpening,
                title,
                format!("/tenders/{id}/opening"),
                now,
            )
            .due(Some(until.max(deadline)))
            .done(),
        );
        return out;
    }
    let award_href = format!("/tenders/{id}/award");
    let hosts = r.hosts_evaluation(t);
    let owner = r.owner;
    let Some(s) = f.award else {
        return out;
    };
    let committee = s.committee_stage();
    match committee {
        Stage::Failed => return out,
        Stage::NotStarted => {
            let task = match f.expert_draw {
                _ if expert_draw_wanted(f.expert_draw.map(|(p, _)| p)) => Task::RequestExpertDraw,
                Some((DrawPhase::Completed, _)) => Task::FormCommittee,
                _ => Task::AwaitExpertDraw,
            };
            let due = match (task, f.expert_draw) {
                (Task::AwaitExpertDraw, Some((_, reveal))) => Some(reveal),
                _ => None,
            };
            let href = match task {
                Task::RequestExpertDraw => format!("/workspace/tenders/{id}#expert-draw"),
                _ => award_href.clone(),
            };
            let mut d = Duty::build(task, title, href, now).due(due).done();
            // The owner of a tender run by an agent waits for it.
            d.acts = d.acts && hosts;
            push(d);
            return out;
        }
        Stage::CommitteeFormed | Stage::Evaluating => {
            push(Duty::build(Task::AwaitCommittee, title, award_href, now).done());
            return out;
        }
        _ => {}
    }
    for l in &s.lots {
        let lot = named_lot(t, &l.lot_id);
        let stage = s.lot_stage(l);
        let on = |task: Task, acts: bool, due: Option<Timestamp>| {
            let mut d = Duty::build(task, title, award_href.clone(), now)
                .lot(lot.clone())
                .due(due)
                .done();
            d.acts = d.acts && acts;
            d.overdue = d.overdue && acts;
            d
        };
        match stage {
            Stage::Evaluated => push(on(Task::Publicise, hosts, None)),
            Stage::Publicised => {
                let open: Vec<Timestamp> = s
                    .objections
                    .iter()
                    .filter(|o| o.answer.is_none())
                    .filter(|o| o.lot_id.as_deref().is_none_or(|x| x == l.lot_id))
                    .filter_map(|o| Timestamp::parse(&o.raised_at).ok())
                    .map(|raised| raised.plus_millis(ANSWER_WITHIN_MS))
                    .collect();
                if let Some(due) = open.iter().min() {
                    let mut d = on(Task::AnswerCandidateObjections, true, Some(*due));
                    d.count = Some(open.len());
                    push(d);
                }
                match l.window {
                    Some((_, until)) if now < until => {
                        push(on(Task::AwaitPublicity, false, Some(until)))
                    }
                    _ if open.is_empty() => push(on(Task::IssueNotice, owner, None)),
                    _ => {}
                }
            }
            Stage::Awarded => push(on(
                Task::RecordContract,
                owner,
                s.contract_deadline(&l.lot_id),
            )),
            Stage::Contracted => push(on(Task::RecordPerformance, true, None)),
            _ => {}
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// custodians

/// What a custodian organisation owes a tender's bid box: its key before bidding opens (bidding
/// is blocked until every custodian registered), its share once the box has closed.
pub fn custodian_duties(
    t: &Tender,
    org: &OrgId,
    registered: &[u8],
    opening: Option<&OpeningState>,
    now: Timestamp,
) -> Vec<Duty> {
    let mut out = Vec::new();
    if t.state != TenderState::Published {
        return out;
    }
    let title = t.spec.title.as_str();
    let href = format!("/tenders/{}/custodian", t.id);
    for i in 0..t.spec.custodians.members.len() {
        let index = (i + 1) as u8;
        if crate::bids::custodian_org(t, index).ok().flatten().as_ref() != Some(org) {
            continue;
        }
        if now < t.spec.schedule.bid_deadline {
            if !registered.contains(&index) {
                out.push(
                    Duty::build(Task::RegisterCustodianKey, title, href.clone(), now)
                        .due(Some(t.spec.schedule.docs_from))
                        .done(),
                );
            }
            continue;
        }
        let Some(o) = opening else { continue };
        let releasing = matches!(o.phase(), OpeningPhase::Closed | OpeningPhase::Decrypting);
        if releasing && !o.released.contains(&i64::from(index)) {
            out.push(
                Duty::build(Task::ReleaseShare, title, href.clone(), now)
                    .due(o.release_until)
                    .done(),
            );
        }
    }
    out
}

/// An opening a supervisor or witness watches: one whose time has not passed or that is under way.
pub fn watch_duty(t: &Tender, opening: Option<&OpeningState>, now: Timestamp) -> Option<Duty> {
    if t.state != TenderState::Published {
        return None;
    }
    let over = opening.is_some_and(|o| o.phase().is_over());
    if over {
        return None;
    }
    Some(
        Duty::build(
            Task::WatchOpening,
            t.spec.title.as_str(),
            format!("/tenders/{}/opening", t.id),
            now,
        )
        .due(Some(t.spec.schedule.bid_deadline))
        .done(),
    )
}

// ---------------------------------------------------------------------------------------------
// draws

/// A draw `org` contributes randomness to, awaiting its commitment or its reveal.
pub fn draw_duty(
    d: &DrawRecord,
    org: &OrgId,
    committed: bool,
    revealed: bool,
    now: Timestamp,
) -> Option<Duty> {
    if !d.is_party(org) {
        return None;
    }
    let href = format!("/draws/{}", d.id);
    let (task, due) = match d.phase(now) {
        DrawPhase::Committing if !committed => (Task::CommitDraw, d.commit_deadline),
        DrawPhase::Revealing if committed && !revealed => (Task::RevealDraw, d.reveal_deadline),
        _ => return None,
    };
    Some(
        Duty::build(task, &d.purpose, href, now)
            .due(Some(due))
            .done(),
    )
}

// ---------------------------------------------------------------------------------------------
// tenderers

/// A tenderer's own bid on one lot, as the home lists it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LotBid {
    pub lot_id: String,
    pub lot: Option<String>,
    /// `submitted` or `withdrawn`: where its latest bid for the lot stands.
    pub state: &'static str,
    pub at: Timestamp,
}

/// The tenderer's latest bid per lot (a replaced bid is history, not a state of the lot).
pub fn own_bids(t: &Tender, bids: &[crate::bids::Bid]) -> Vec<LotBid> {
    use crate::bids::BidState;
    let mut out: Vec<LotBid> = Vec::new();
    for lot in &t.spec.lots {
        let latest = bids
            .iter()
            .filter(|b| b.lot_id == lot.id.as_str() && b.state != BidState::Replaced)
            .max_by_key(|b| b.received_at);
        if let Some(b) = latest {
            out.push(LotBid {
                lot_id: b.lot_id.clone(),
                lot: Some(lot.name.as_str().to_string()),
                state: match b.state {
                    BidState::Withdrawn => "withdrawn",
                    _ => "submitted",
                },
                at: b.received_at,
            });
        }
    }
    out
}

/// The tenderer's result on a lot once its award notice is out (法45): the lots it bid for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LotResult {
    pub lot: Option<String>,
    pub awarded: bool,
}

pub fn own_results(t: &Tender, s: &AwardState, org: &OrgId) -> Vec<LotResult> {
    s.lots
        .iter()
        .filter(|l| s.bid_for(org.as_str(), &l.lot_id))
        .filter_map(|l| {
            l.notice.as_ref().map(|(n, _)| LotResult {
                lot: lot_name(t, &l.lot_id),
                awarded: n.org_id == org.as_str(),
            })
        })
        .collect()
}

/// What the hall knows of a tender the tenderer obtained the documents of, its own only.
#[derive(Debug, Default)]
pub struct TendererFacts<'a> {
    pub bids: &'a [LotBid],
    /// Its bond lines on the tender (its own ledger scope).
    pub bonds: &'a [BondLine],
    /// What the winner owes as performance bond, and by when, once a notice is out to it.
    pub performance_owed: Option<(i64, Timestamp)>,
    pub opening: Option<&'a OpeningState>,
    pub award: Option<&'a AwardState>,
}

/// What awaits a tenderer on one tender it obtained the documents of.
pub fn tenderer_duties(t: &Tender, org: &OrgId, f: &TendererFacts, now: Timestamp) -> Vec<Duty> {
    let mut out = Vec::new();
    if t.state != TenderState::Published {
        return out;
    }
    let title = t.spec.title.as_str();
    let id = t.id.as_str();
    let deadline = t.spec.schedule.bid_deadline;
    let submitted: Vec<&LotBid> = f.bids.iter().filter(|b| b.state == "submitted").collect();
    if now < deadline {
        if submitted.is_empty() {
            out.push(
                Duty::build(Task::SubmitBid, title, format!("/tenders/{id}/bid"), now)
                    .due(Some(deadline))
                    .done(),
            );
        }
        for b in &submitted {
            let Some(lot) = t.spec.lots.iter().find(|l| l.id.as_str() == b.lot_id) else {
                continue;
            };
            let held: i64 = f
                .bonds
                .iter()
                .filter(|l| l.bond == "bid" && l.lot_id.as_deref() == Some(b.lot_id.as_str()))
                .map(|l| l.held_fen)
                .sum();
            if held < lot.bid_bond_fen.fen() {
                out.push(
                    Duty::build(Task::PayBond, title, format!("/tenders/{id}/bond"), now)
                        .lot(named_lot(t, &b.lot_id))
                        .due(Some(deadline))
                        .done(),
                );
            }
        }
        // The lobby opens 30 minutes before the deadline; a bidder signs in (签到) there.
        let lobby = now >= deadline.plus_millis(-crate::opening::service::LOBBY_MS);
        let signed_in = f
            .opening
            .is_some_and(|o| o.participants.iter().any(|p| p.org_id == org.as_str()));
        if lobby && !submitted.is_empty() && !signed_in {
            out.push(
                Duty::build(
                    Task::SignInOpening,
                    title,
                    format!("/tenders/{id}/opening"),
                    now,
                )
                .due(Some(deadline))
                .done(),
            );
        }
        return out;
    }
    if let Some(o) = f.opening {
        if o.phase() == OpeningPhase::Confirming {
            for l in o.lines.iter().filter(|l| l.org_id == org.as_str()) {
                if !o.confirmed.contains_key(&l.n) {
                    out.push(
                        Duty::build(
                            Task::ConfirmLine,
                            title,
                            format!("/tenders/{id}/opening"),
                            now,
                        )
                        .lot(named_lot(t, &l.lot_id))
                        .due(o.confirmation_until)
                        .done(),
                    );
                }
            }
        }
    }
    if let Some(s) = f.award {
        let answering = matches!(
            s.committee_stage(),
            Stage::CommitteeFormed | Stage::Evaluating
        );
        let mine = |line: i64| {
            s.bids
                .iter()
                .any(|b| b.line == line && b.org_id == org.as_str())
        };
        let waiting = s
            .clarifications
            .iter()
            .filter(|c| c.answer.is_none() && mine(c.line))
            .count();
        if answering && waiting > 0 {
            out.push(
                Duty::build(
                    Task::AnswerClarification,
                    title,
                    format!("/tenders/{id}/award"),
                    now,
                )
                .count(waiting)
                .done(),
            );
        }
    }
    if let Some((owed, due)) = f.performance_owed {
        let held: i64 = f
            .bonds
            .iter()
            .filter(|l| l.bond == "performance")
            .map(|l| l.held_fen)
            .sum();
        if owed > 0 && held < owed {
            out.push(
                Duty::build(
                    Task::PayPerformanceBond,
                    title,
                    format!("/tenders/{id}/bond"),
                    now,
                )
                .due(Some(due))
                .done(),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests;
