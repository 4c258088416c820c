//! The award's stage as a fold over its events, and the rules that say what each stage allows,
//! each refusal naming its rule and article. Pure: the use cases pass in the time and the actor.

use super::event::{AwardBody, Candidate, Notice, RankedLine, Seat};
use super::ranking::{Bid, Mark};
use super::AwardEvent;
use crate::domain::{Timestamp, DAY_MS};
use crate::opening::event::EventError;
use serde::Serialize;
use serde_json::Value;

/// Publicity of the candidates lasts at least this long (实施条例 第五十四条).
pub const PUBLICITY_MIN_MS: i64 = 3 * DAY_MS;
/// The owner answers an objection to the candidates within this (实施条例 第五十四条).
pub const ANSWER_WITHIN_MS: i64 = 3 * DAY_MS;
/// The contract is signed within this of the award notice (招标投标法 第四十六条).
pub const CONTRACT_WITHIN_MS: i64 = 30 * DAY_MS;
/// At most this many candidates are publicised, ranked.
pub const MAX_CANDIDATES: usize = 3;

/// The stages in the order a lot goes through them (`Failed` last: it ends any of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Nothing yet: the committee is formed once the opening is concluded.
    NotStarted,
    CommitteeFormed,
    Evaluating,
    /// Every member signed the report; the ranking is final.
    Evaluated,
    Publicised,
    Awarded,
    Contracted,
    /// The owner's side says the contract is performed; the performance bond goes back.
    Completed,
    Failed,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::NotStarted => "not_started",
            Stage::CommitteeFormed => "committee_formed",
            Stage::Evaluating => "evaluating",
            Stage::Evaluated => "evaluated",
            Stage::Publicised => "publicised",
            Stage::Awarded => "awarded",
            Stage::Contracted => "contracted",
            Stage::Completed => "completed",
            Stage::Failed => "failed",
        }
    }
}

/// A refusal, naming the rule (and the article of law where there is one).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("the award is {stage}, which does not allow this")]
    WrongStage { stage: &'static str },
    #[error(
        "the opening is not concluded: the committee is formed after the opening record is signed"
    )]
    OpeningNotConcluded,
    #[error("the tender has no completed expert draw to form its committee from")]
    NoExpertDraw,
    #[error("{rule} (招标投标法 第三十七条): {experts} expert(s) and {representatives} owner's representative(s)")]
    Composition {
        experts: usize,
        representatives: usize,
        rule: &'static str,
    },
    #[error("declare first whether you have an interest in any of these tenderers (回避声明)")]
    DeclarationRequired,
    #[error("you declared a conflict of interest and are recused")]
    Recused,
    #[error("you have already made your declaration")]
    AlreadyDeclared,
    #[error("every member scores every bid before the report is signed; missing: {missing:?}")]
    ScoresIncomplete { missing: Vec<(i64, i64)> },
    #[error("the report is being signed: scores can no longer change")]
    SigningStarted,
    #[error("the report changed since you read it; read it again before signing")]
    ReportChanged { current: String },
    #[error("you have already signed the report")]
    AlreadySigned,
    #[error("publicity of the candidates lasts at least 3 days (招标投标法实施条例 第五十四条): until {earliest} or later")]
    PublicityTooShort { earliest: String },
    #[error("the publicity window is open until {until} (招标投标法实施条例 第五十四条)")]
    PublicityWindowOpen { until: String },
    #[error("the publicity window closed at {until}")]
    PublicityWindowClosed { until: String },
    #[error("objections to the candidates still wait for an answer: {ids:?} (招标投标法实施条例 第五十四条)")]
    ObjectionsUnanswered { ids: Vec<i64> },
    #[error("the contract had to be signed by {deadline}, 30 days after the award notice (招标投标法 第四十六条)")]
    ContractDeadlinePassed { deadline: String },
    #[error("the contract price {contract_fen} differs from the winning bid {bid_fen} (招标投标法 第四十六条)")]
    ContractPriceDiffers { bid_fen: i64, contract_fen: i64 },
    #[error("the winner's performance bond of {required_fen} fen is not held yet ({held_fen} fen paid, no performance guarantee): the contract waits for it (招标投标法实施条例 第五十八条、第七十四条)")]
    PerformanceBondMissing { required_fen: i64, held_fen: i64 },
    #[error("only a candidate that has not declined does this")]
    NotACandidate,
    #[error("a non-compliant bid is rejected on a ground of 招标投标法实施条例 第五十一条, with the member's reason")]
    RejectionGroundRequired,
    #[error("this tender has several lots: name the lot (lot_id)")]
    LotRequired,
    #[error("the tender's documents form one evaluation committee for every lot: name no lot")]
    OneCommittee,
    #[error("the expert draw {draw_id} already formed a committee; each committee comes from a draw of its own")]
    DrawAlreadyUsed { draw_id: String },
    #[error("the lot {lot} is {stage}, which does not allow this")]
    LotWrongStage { lot: String, stage: &'static str },
    #[error("{0}")]
    BadInput(String),
    #[error("no such {0}")]
    NotFound(&'static str),
}

/// `expert` (drawn) or `owner_representative` (招标人代表).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub seat: i64,
    pub kind: String,
    /// The expert's registry id; empty for the owner's representative.
    pub expert_id: String,
    pub name: String,
    /// `None` until declared; `Some(true)` declared a conflict (then recused).
    pub conflict: Option<bool>,
    pub declared_at: Option<String>,
    /// The seat that took this member's place after a recusal.
    pub replaced_by: Option<i64>,
    /// The report hash this member signed.
    pub signed: Option<String>,
    pub signed_at: Option<String>,
    /// The lot whose committee this member sits on (absent: the tender's one committee).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
}

impl Member {
    pub fn active(&self) -> bool {
        self.conflict != Some(true)
    }
    pub fn is_expert(&self) -> bool {
        self.kind == "expert"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Objection {
    pub id: i64,
    /// The lot whose candidates it is about (absent: written before awards were per lot).
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub text: String,
    pub raised_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
    /// Answered after the 3 days of 条例54 (recorded, not refused: docs/award.md §5).
    pub late: bool,
}

/// A member's written question to the tenderer of a bid, and its answer (条例52).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Clarification {
    pub id: i64,
    pub seat: i64,
    pub line: i64,
    pub text: String,
    pub asked_at: String,
    pub answer: Option<String>,
    pub answered_at: Option<String>,
}

/// One lot's award after the evaluation: its candidates, notice and contract (docs/award.md §5).
#[derive(Debug, Clone, Default)]
pub struct LotAward {
    /// The lot's id; empty for a tender whose events predate lots.
    pub lot_id: String,
    pub candidates: Vec<Candidate>,
    pub window: Option<(Timestamp, Timestamp)>,
    /// The award notice, and when it was issued.
    pub notice: Option<(Notice, Timestamp)>,
    pub contract: Option<Value>,
    pub performed: bool,
    pub failure: Option<Value>,
}

/// One evaluation committee (评标委员会): the tender's, which evaluates every lot, or — where the
/// documents say so (`TenderSpec::committee_per_lot`) — one lot's, formed from a draw of its own.
#[derive(Debug, Clone)]
pub struct Committee {
    /// The lot it evaluates; `None`: every lot of the tender.
    pub lot_id: Option<String>,
    /// `CommitteeFormed`, `Evaluating` (a member declared) or `Evaluated` (its report is final).
    pub stage: Stage,
    pub draw_id: String,
    /// Unused reserves of its draw, in order: (expert id, name).
    pub reserves: Vec<(String, String)>,
    /// Its final report: (hash, the hall's signature).
    pub report: Option<(String, String)>,
}

impl Committee {
    /// Does this committee evaluate `lot`?
    pub fn covers(&self, lot: &str) -> bool {
        self.lot_id.as_deref().is_none_or(|l| l == lot)
    }
}

/// Everything the events say (filter through `view` before showing it).
#[derive(Debug, Clone, Default)]
pub struct AwardState {
    pub last_seq: i64,
    /// The committees formed, in the order they were (one, unless the documents form one per
    /// lot). Each lot's stage after its committee's report is `lot_stage`.
    pub committees: Vec<Committee>,
    /// Every seat of every committee.
    pub members: Vec<Member>,
    pub bids: Vec<Bid>,
    /// Every tenderer whose bid was announced at the opening, opened or not: they may object.
    pub tenderers: Vec<String>,
    pub marks: Vec<Mark>,
    /// The final ranking of every lot whose committee's report is final.
    pub ranking: Vec<RankedLine>,
    /// The whole tender failed (not one lot).
    pub failure: Option<Value>,
    pub objections: Vec<Objection>,
    pub declined: Vec<i64>,
    /// The lots that had bids opened, in the order of their first bid.
    pub lots: Vec<LotAward>,
    pub clarifications: Vec<Clarification>,
}

fn member_of(s: Seat, lot_id: Option<String>) -> Member {
    Member {
        lot_id,
        seat: s.seat,
        kind: s.kind,
        expert_id: s.expert_id,
        name: s.name,
        conflict: None,
        declared_at: None,
        replaced_by: None,
        signed: None,
        signed_at: None,
    }
}

/// The key of the lot an event names (empty: before awards were per lot).
fn key(lot_id: &Option<String>) -> String {
    lot_id.clone().unwrap_or_default()
}

impl AwardState {
    /// The state the events say; an event that does not parse stops the fold with its error.
    pub fn fold(events: &[AwardEvent]) -> Result<Self, EventError> {
        let mut s = AwardState::default();
        for e in events {
            s.apply(e)?;
        }
        Ok(s)
    }

    /// The tender's stage: the committee's until the report is final, then the least advanced
    /// stage among the lots that have not failed (`Failed` when every lot has).
    pub fn stage(&self) -> Stage {
        if self.failure.is_some() {
            return Stage::Failed;
        }
        if self.lots.is_empty() {
            return self.committee_stage();
        }
        self.lots
            .iter()
            .map(|l| self.lot_stage(l))
            .filter(|s| *s != Stage::Failed)
            .min()
            .unwrap_or(Stage::Failed)
    }

    /// Where the tender stands on the notice board once its award has begun: `evaluating` (from
    /// the committee to the final ranking), `publicised` (中标候选人公示), `awarded` (中标结果公告,
    /// until every contract is performed), `completed`, `failed` (every lot failed) or
    /// `terminated` (every lot failed, each by the owner's termination, 条例 第三十一条). The
    /// least advanced lot that did not fail decides, as for `stage`.
    pub fn public_stage(&self) -> &'static str {
        match self.stage() {
            Stage::Failed => {
                let terminated = |f: &Option<Value>| {
                    f.as_ref()
                        .is_some_and(|f| f["rule"].as_str() == Some("terminated"))
                };
                if !self.lots.is_empty() && self.lots.iter().all(|l| terminated(&l.failure)) {
                    "terminated"
                } else {
                    "failed"
                }
            }
            Stage::Completed => "completed",
            Stage::Awarded | Stage::Contracted => "awarded",
            Stage::Publicised => "publicised",
            Stage::NotStarted | Stage::CommitteeFormed | Stage::Evaluating | Stage::Evaluated => {
                "evaluating"
            }
        }
    }

    /// Is the result determined (中标结果确定, 法37 and 条例: the committee is secret until
    /// then)? Every lot that did not fail has its award notice, and at least one does.
    pub fn result_determined(&self) -> bool {
        matches!(
            self.stage(),
            Stage::Awarded | Stage::Contracted | Stage::Completed
        )
    }

    /// Where the evaluation stands: the least advanced stage among the committees of the lots
    /// that have not failed (`NotStarted` for a lot whose committee is not formed yet, so before
    /// any is), `Failed` when the whole tender or every lot failed.
    pub fn committee_stage(&self) -> Stage {
        if self.failure.is_some() {
            return Stage::Failed;
        }
        if self.lots.is_empty() {
            return (self.committees.iter().map(|c| c.stage).min()).unwrap_or(Stage::NotStarted);
        }
        self.lots
            .iter()
            .filter(|l| l.failure.is_none())
            .map(|l| {
                self.committee_for(&l.lot_id)
                    .map_or(Stage::NotStarted, |c| c.stage)
            })
            .min()
            .unwrap_or(Stage::Failed)
    }

    /// The committee that evaluates `lot`, once formed.
    pub fn committee_for(&self, lot: &str) -> Option<&Committee> {
        self.committees.iter().find(|c| c.covers(lot))
    }

    /// Has the expert draw `draw` formed a committee already? (Each committee comes from a draw
    /// of its own.)
    pub fn formed_from(&self, draw: &str) -> bool {
        self.committees.iter().any(|c| c.draw_id == draw)
    }

    /// The committee a seat sits on.
    pub fn committee_of(&self, seat: i64) -> Option<&Committee> {
        let m = self.member(seat)?;
        self.committees.iter().find(|c| c.lot_id == m.lot_id)
    }

    fn committee_mut(&mut self, lot_id: &Option<String>) -> Option<&mut Committee> {
        self.committees.iter_mut().find(|c| &c.lot_id == lot_id)
    }

    /// The seats of a committee.
    pub fn members_of<'a>(&'a self, c: &'a Committee) -> impl Iterator<Item = &'a Member> {
        self.members.iter().filter(move |m| m.lot_id == c.lot_id)
    }

    /// The active seats of a committee (a recused member's place is taken by another seat).
    pub fn active_members_of<'a>(&'a self, c: &'a Committee) -> impl Iterator<Item = &'a Member> {
        self.members_of(c).filter(|m| m.active())
    }

    /// One lot's stage, derived from what happened to it.
    pub fn lot_stage(&self, l: &LotAward) -> Stage {
        let committee = self
            .committee_for(&l.lot_id)
            .map_or(Stage::NotStarted, |c| c.stage);
        if l.failure.is_some() || self.failure.is_some() {
            Stage::Failed
        } else if l.performed {
            Stage::Completed
        } else if l.contract.is_some() {
            Stage::Contracted
        } else if l.notice.is_some() {
            Stage::Awarded
        } else if !l.candidates.is_empty() {
            Stage::Publicised
        } else {
            committee
        }
    }

    /// The lot's award, by its id.
    pub fn lot(&self, lot: &str) -> Result<&LotAward, Refusal> {
        self.lots
            .iter()
            .find(|l| l.lot_id == lot)
            .ok_or(Refusal::NotFound("lot"))
    }

    fn lot_mut(&mut self, lot: &str) -> &mut LotAward {
        if let Some(i) = self.lots.iter().position(|l| l.lot_id == lot) {
            return &mut self.lots[i];
        }
        self.lots.push(LotAward {
            lot_id: lot.to_string(),
            ..LotAward::default()
        });
        self.lots.last_mut().expect("just pushed")
    }

    /// The lot a request names; with none named, the tender's only lot.
    pub fn resolve_lot(&self, named: Option<&str>) -> Result<String, Refusal> {
        match named {
            Some(lot) => self.lot(lot).map(|l| l.lot_id.clone()),
            None => match self.lots.as_slice() {
                [only] => Ok(only.lot_id.clone()),
                [] => Err(Refusal::WrongStage {
                    stage: self.stage().as_str(),
                }),
                _ => Err(Refusal::LotRequired),
            },
        }
    }

    /// The lot of a bid line.
    pub fn lot_of_line(&self, line: i64) -> Option<&str> {
        self.bids
            .iter()
            .find(|b| b.line == line)
            .map(|b| b.lot_id.as_str())
    }

    /// Refuses unless the lot is at one of `stages`.
    pub fn require_lot(&self, lot: &str, stages: &[Stage]) -> Result<&LotAward, Refusal> {
        let l = self.lot(lot)?;
        let stage = self.lot_stage(l);
        if stages.contains(&stage) {
            Ok(l)
        } else {
            Err(Refusal::LotWrongStage {
                lot: lot.to_string(),
                stage: stage.as_str(),
            })
        }
    }

    fn member_mut(&mut self, seat: i64) -> Option<&mut Member> {
        self.members.iter_mut().find(|m| m.seat == seat)
    }

    pub fn apply(&mut self, e: &AwardEvent) -> Result<(), EventError> {
        let body = AwardBody::of(e)?;
        self.last_seq = e.seq;
        let at = e.at.to_rfc3339();
        match body {
            AwardBody::CommitteeFormed {
                lot_id,
                draw_id,
                members,
                reserves,
                bids,
                tenderers,
            } => {
                self.committees.push(Committee {
                    lot_id: lot_id.clone(),
                    stage: Stage::CommitteeFormed,
                    draw_id,
                    reserves: reserves
                        .into_iter()
                        .map(|r| (r.expert_id, r.name))
                        .collect(),
                    report: None,
                });
                self.members
                    .extend(members.into_iter().map(|m| member_of(m, lot_id.clone())));
                // Every committee's event carries every opened bid (each evaluates its own).
                for l in bids {
                    if self.bids.iter().any(|b| b.line == l.line) {
                        continue;
                    }
                    self.bids.push(Bid {
                        line: l.line,
                        lot_id: key(&l.lot_id),
                        org_id: l.org_id,
                        org_name: l.org_name,
                        price_fen: l.price_fen.fen(),
                    });
                }
                for lot in self
                    .bids
                    .iter()
                    .map(|b| b.lot_id.clone())
                    .collect::<Vec<_>>()
                {
                    self.lot_mut(&lot);
                }
                self.tenderers = tenderers;
            }
            AwardBody::CodesIssued { .. } => {}
            AwardBody::Declared { seat, conflict, .. } => {
                let mut lot = None;
                if let Some(m) = self.member_mut(seat) {
                    m.conflict = Some(conflict);
                    m.declared_at = Some(at);
                    lot = Some(m.lot_id.clone());
                }
                if let Some(c) = lot.and_then(|l| self.committee_mut(&l)) {
                    c.stage = c.stage.max(Stage::Evaluating);
                }
            }
            AwardBody::MemberReplaced { seat, replacement } => {
                let mut lot = None;
                if let Some(m) = self.member_mut(seat) {
                    m.replaced_by = Some(replacement.seat);
                    lot = m.lot_id.clone();
                }
                if let Some(c) = self.committee_mut(&lot) {
                    if !c.reserves.is_empty() {
                        c.reserves.remove(0);
                    }
                }
                self.members.push(member_of(replacement, lot));
            }
            AwardBody::Scored {
                seat,
                line,
                compliant,
                scores,
                rejection,
            } => {
                self.marks.retain(|m| !(m.seat == seat && m.line == line));
                self.marks.push(Mark {
                    seat,
                    line,
                    compliant,
                    scores,
                    rejection: rejection.map(|r| (r.ground, r.reason)),
                });
            }
            AwardBody::ReportSigned {
                seat,
                report_sha256,
            } => {
                if let Some(m) = self.member_mut(seat) {
                    m.signed = Some(report_sha256);
                    m.signed_at = Some(at);
                }
            }
            AwardBody::ReportFinalised {
                lot_id,
                report_sha256,
                signature,
                ranking,
            } => {
                if let Some(c) = self.committee_mut(&lot_id) {
                    c.stage = Stage::Evaluated;
                    c.report = Some((report_sha256, signature));
                }
                let covered = |r: &RankedLine| match &lot_id {
                    None => true,
                    Some(lot) => r.lot_id.as_ref() == Some(lot),
                };
                self.ranking.retain(|r| !covered(r));
                self.ranking.extend(ranking);
            }
            AwardBody::AwardFailed { ref lot_id, .. } => match lot_id {
                Some(lot) => self.lot_mut(lot).failure = Some(e.body.clone()),
                None => self.failure = Some(e.body.clone()),
            },
            AwardBody::CandidatesPublicised {
                lot_id,
                candidates,
                from,
                until,
            } => {
                let l = self.lot_mut(&key(&lot_id));
                l.candidates = candidates;
                l.window = Some((from, until));
            }
            AwardBody::ObjectionRaised {
                id,
                lot_id,
                org_id,
                org_name,
                text,
            } => self.objections.push(Objection {
                id,
                lot_id,
                org_id,
                org_name,
                text,
                raised_at: at,
                answer: None,
                answered_at: None,
                late: false,
            }),
            AwardBody::ObjectionAnswered {
                id, answer, late, ..
            } => {
                if let Some(o) = self.objections.iter_mut().find(|o| o.id == id) {
                    o.answer = Some(answer);
                    o.answered_at = Some(at);
                    o.late = late;
                }
            }
            AwardBody::CandidateDeclined { line, .. } => {
                self.declined.push(line);
                for l in &mut self.lots {
                    if l.notice.as_ref().is_some_and(|n| n.0.line == line) {
                        l.notice = None;
                    }
                }
            }
            AwardBody::AwardNoticeIssued(n) => {
                let lot = key(&n.lot_id);
                self.lot_mut(&lot).notice = Some((*n, e.at));
            }
            // Addressed to one tenderer; the stage does not change.
            AwardBody::ResultNotified { .. } => {}
            AwardBody::ContractRecorded(c) => {
                let lot = key(&c.lot_id);
                self.lot_mut(&lot).contract = Some(e.body.clone());
            }
            AwardBody::ClarificationAsked {
                id,
                seat,
                line,
                text,
            } => self.clarifications.push(Clarification {
                id,
                seat,
                line,
                text,
                asked_at: at,
                answer: None,
                answered_at: None,
            }),
            AwardBody::ClarificationAnswered { id, text, .. } => {
                if let Some(c) = self.clarifications.iter_mut().find(|c| c.id == id) {
                    c.answer = Some(text);
                    c.answered_at = Some(at);
                }
            }
            AwardBody::ContractPerformed { lot_id, .. } => {
                self.lot_mut(&key(&lot_id)).performed = true
            }
        }
        Ok(())
    }

    pub fn require(&self, stages: &[Stage]) -> Result<(), Refusal> {
        if stages.contains(&self.stage()) {
            Ok(())
        } else {
            Err(Refusal::WrongStage {
                stage: self.stage().as_str(),
            })
        }
    }

    pub fn member(&self, seat: i64) -> Option<&Member> {
        self.members.iter().find(|m| m.seat == seat)
    }

    pub fn active_members(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.active())
    }

    /// The bids the committees evaluate: those of lots that have not failed before evaluation
    /// (a lot with fewer than 3 bids fails at the committee's formation, 条例44).
    pub fn evaluated_bids(&self) -> impl Iterator<Item = &Bid> {
        self.bids.iter().filter(|b| {
            self.lots
                .iter()
                .find(|l| l.lot_id == b.lot_id)
                .is_none_or(|l| l.failure.is_none())
        })
    }

    /// The bids one committee evaluates: the evaluated bids of its lot (or of every lot).
    pub fn evaluated_bids_of<'a>(&'a self, c: &'a Committee) -> impl Iterator<Item = &'a Bid> {
        self.evaluated_bids().filter(|b| c.covers(&b.lot_id))
    }

    /// The committee of a seat, refusing unless it is evaluating (`CommitteeFormed` or
    /// `Evaluating`).
    pub fn evaluating_committee(&self, seat: i64) -> Result<&Committee, Refusal> {
        let c = self.committee_of(seat).ok_or(Refusal::NotFound("member"))?;
        if matches!(c.stage, Stage::CommitteeFormed | Stage::Evaluating) && self.failure.is_none() {
            Ok(c)
        } else {
            Err(Refusal::WrongStage {
                stage: if self.failure.is_some() {
                    Stage::Failed.as_str()
                } else {
                    c.stage.as_str()
                },
            })
        }
    }

    /// A member may score while its committee evaluates, once declared, until its committee
    /// starts signing; and only the bids its committee evaluates.
    pub fn may_score(&self, seat: i64, line: i64) -> Result<&Member, Refusal> {
        let c = self.evaluating_committee(seat)?;
        let m = self.member(seat).ok_or(Refusal::NotFound("member"))?;
        match m.conflict {
            None => return Err(Refusal::DeclarationRequired),
            Some(true) => return Err(Refusal::Recused),
            Some(false) => {}
        }
        if self.members_of(c).any(|m| m.signed.is_some()) {
            return Err(Refusal::SigningStarted);
        }
        if !self.evaluated_bids_of(c).any(|b| b.line == line) {
            return Err(Refusal::NotFound("bid line"));
        }
        Ok(m)
    }

    /// (seat, line) pairs an active member of `c` has not scored yet.
    pub fn missing_marks(&self, c: &Committee) -> Vec<(i64, i64)> {
        let mut out = Vec::new();
        for m in self.active_members_of(c) {
            for b in self.evaluated_bids_of(c) {
                if !self
                    .marks
                    .iter()
                    .any(|k| k.seat == m.seat && k.line == b.line)
                {
                    out.push((m.seat, b.line));
                }
            }
        }
        out
    }

    /// The marks of a committee's active members only (a recused member's marks never count).
    pub fn counted_marks(&self, c: &Committee) -> Vec<Mark> {
        self.marks
            .iter()
            .filter(|k| {
                self.member(k.seat)
                    .is_some_and(|m| m.active() && m.lot_id == c.lot_id)
            })
            .cloned()
            .collect()
    }

    /// Is the committee's report ready to read? Every active member declared and scored every
    /// bid the committee evaluates.
    pub fn report_ready(&self, c: &Committee) -> Result<(), Refusal> {
        let missing = self.missing_marks(c);
        if !missing.is_empty() || self.active_members_of(c).any(|m| m.conflict.is_none()) {
            return Err(Refusal::ScoresIncomplete { missing });
        }
        Ok(())
    }

    /// May the seat sign its committee's report? Every active member declared and scored every
    /// bid, and the committee still has its legal shape (法37).
    pub fn may_sign(&self, seat: i64) -> Result<&Committee, Refusal> {
        let c = self.evaluating_committee(seat)?;
        if c.stage != Stage::Evaluating {
            return Err(Refusal::WrongStage {
                stage: c.stage.as_str(),
            });
        }
        let m = self.member(seat).ok_or(Refusal::NotFound("member"))?;
        if m.conflict.is_none() {
            return Err(Refusal::DeclarationRequired);
        }
        if !m.active() {
            return Err(Refusal::Recused);
        }
        if m.signed.is_some() {
            return Err(Refusal::AlreadySigned);
        }
        self.report_ready(c)?;
        let experts = self.active_members_of(c).filter(|m| m.is_expert()).count();
        let reps = self.active_members_of(c).count() - experts;
        super::committee::check_composition(experts, reps)?;
        Ok(c)
    }

    /// Objections to a lot's candidates are raised within its publicity window.
    pub fn may_object(&self, lot: &str, now: Timestamp) -> Result<(), Refusal> {
        let l = self.require_lot(lot, &[Stage::Publicised])?;
        match l.window {
            Some((_, until)) if now < until => Ok(()),
            Some((_, until)) => Err(Refusal::PublicityWindowClosed {
                until: until.to_rfc3339(),
            }),
            None => Err(Refusal::LotWrongStage {
                lot: lot.to_string(),
                stage: self.lot_stage(l).as_str(),
            }),
        }
    }

    /// The lot's candidates that have not declined, best first.
    pub fn standing(&self, lot: &str) -> Vec<&Candidate> {
        self.lot(lot)
            .map(|l| {
                l.candidates
                    .iter()
                    .filter(|c| !self.declined.contains(&c.line))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The lot's notice goes after its window, with every objection to it answered, to its best
    /// standing candidate.
    pub fn may_issue_notice(&self, lot: &str, now: Timestamp) -> Result<Candidate, Refusal> {
        let l = self.require_lot(lot, &[Stage::Publicised])?;
        if let Some((_, until)) = l.window {
            if now < until {
                return Err(Refusal::PublicityWindowOpen {
                    until: until.to_rfc3339(),
                });
            }
        }
        let open: Vec<i64> = self
            .objections
            .iter()
            .filter(|o| o.answer.is_none())
            .filter(|o| o.lot_id.as_deref().is_none_or(|x| x == lot))
            .map(|o| o.id)
            .collect();
        if !open.is_empty() {
            return Err(Refusal::ObjectionsUnanswered { ids: open });
        }
        self.standing(lot)
            .first()
            .map(|c| (*c).clone())
            .ok_or(Refusal::NotACandidate)
    }

    pub fn contract_deadline(&self, lot: &str) -> Option<Timestamp> {
        self.lot(lot)
            .ok()?
            .notice
            .as_ref()
            .map(|n| n.1.plus_millis(CONTRACT_WITHIN_MS))
    }

    /// The lot's contract within 30 days of its notice, at the winning bid's price.
    pub fn may_record_contract(
        &self,
        lot: &str,
        now: Timestamp,
        price_fen: i64,
    ) -> Result<&Notice, Refusal> {
        let l = self.require_lot(lot, &[Stage::Awarded])?;
        let (notice, _) = l.notice.as_ref().ok_or(Refusal::LotWrongStage {
            lot: lot.to_string(),
            stage: self.lot_stage(l).as_str(),
        })?;
        if let Some(deadline) = self.contract_deadline(lot) {
            if now > deadline {
                return Err(Refusal::ContractDeadlinePassed {
                    deadline: deadline.to_rfc3339(),
                });
            }
        }
        let bid = notice.price_fen.fen();
        if bid != price_fen {
            return Err(Refusal::ContractPriceDiffers {
                bid_fen: bid,
                contract_fen: price_fen,
            });
        }
        Ok(notice)
    }

    /// The tenderer of a bid answers a member's question while the evaluation runs, once
    /// (条例52: in writing, within the bid's scope — the committee judges that).
    pub fn may_answer(&self, id: i64, org: &str) -> Result<&Clarification, Refusal> {
        let c = self
            .clarifications
            .iter()
            .find(|c| c.id == id)
            .filter(|c| {
                self.bids
                    .iter()
                    .any(|b| b.line == c.line && b.org_id == org)
            })
            .ok_or(Refusal::NotFound("clarification"))?;
        self.evaluating_committee(c.seat)?;
        if c.answer.is_some() {
            return Err(Refusal::BadInput(format!(
                "clarification {id} is already answered"
            )));
        }
        Ok(c)
    }

    /// The notices in force to `org` (one per lot it won), with the lot.
    pub fn notices_to(&self, org: &str) -> Vec<(&LotAward, &Notice)> {
        self.lots
            .iter()
            .filter_map(|l| l.notice.as_ref().map(|n| (l, &n.0)))
            .filter(|(_, n)| n.org_id == org)
            .collect()
    }

    /// The one performance bond `org` owes (条例58): the sum of what its notices in force ask, due
    /// by the latest of their contract deadlines; `None` when no notice is in force to it.
    pub fn performance_bond_owed(&self, org: &str) -> Option<(i64, Timestamp)> {
        let won = self.notices_to(org);
        let due = won.iter().map(|(_, n)| n.contract_due).max()?;
        let sum = won
            .iter()
            .map(|(_, n)| n.performance_bond_fen.fen())
            .fold(0i64, i64::saturating_add);
        Some((sum, due))
    }

    /// Did `org` bid (its bid announced at the opening, opened or not)?
    pub fn bid_by(&self, org: &str) -> bool {
        self.tenderers.iter().any(|t| t == org) || self.bids.iter().any(|b| b.org_id == org)
    }

    /// Did `org` bid for `lot` (its bid opened)?
    pub fn bid_for(&self, org: &str, lot: &str) -> bool {
        self.bids.iter().any(|b| b.org_id == org && b.lot_id == lot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::opening::Audience;
    use serde_json::json;

    const BASE: i64 = 1_800_000_000_000;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_stored(BASE + ms)
    }

    fn ev(seq: i64, kind: &str, body: Value) -> AwardEvent {
        AwardEvent {
            seq,
            at: at(seq),
            kind: kind.into(),
            audience: Audience::Hall,
            body,
        }
    }

    fn formed() -> Vec<AwardEvent> {
        let members: Vec<Value> = (1..=5)
            .map(|s| json!({"seat": s, "kind": "expert", "expert_id": format!("e{s}"), "name": format!("专家{s}")}))
            .collect();
        vec![ev(
            1,
            "committee_formed",
            json!({
                "draw_id": "d", "members": members,
                "reserves": [{"expert_id": "e6", "name": "专家6"}],
                "bids": [{"line": 1, "org_id": "a", "org_name": "甲", "price_fen": 900, "bond": "received"},
                         {"line": 2, "org_id": "b", "org_name": "乙", "price_fen": 800, "bond": "received"}],
                "tenderers": ["a", "b"],
            }),
        )]
    }

    #[test]
    fn a_member_scores_only_after_declaring_and_a_recused_member_is_replaced() {
        let mut events = formed();
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.may_score(1, 1), Err(Refusal::DeclarationRequired));
        events.push(ev(
            2,
            "declared",
            json!({"seat": 1, "conflict": true, "statement": "s", "note": null}),
        ));
        events.push(ev(
            3,
            "member_replaced",
            json!({"seat": 1, "replacement": {"seat": 6, "kind": "expert", "expert_id": "e6", "name": "专家6"}}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.may_score(1, 1), Err(Refusal::Recused));
        assert_eq!(s.active_members().count(), 5);
        assert!(s.committees[0].reserves.is_empty());
        assert_eq!(s.member(1).unwrap().replaced_by, Some(6));
    }

    #[test]
    fn the_report_is_signed_only_when_every_active_member_scored_every_bid() {
        let mut events = formed();
        let mut seq = 1;
        for seat in 1..=5 {
            seq += 1;
            events.push(ev(
                seq,
                "declared",
                json!({"seat": seat, "conflict": false, "statement": "s", "note": null}),
            ));
        }
        seq += 1;
        events.push(ev(
            seq,
            "scored",
            json!({"seat": 1, "line": 1, "compliant": true, "scores": []}),
        ));
        let s = AwardState::fold(&events).unwrap();
        match s.may_sign(1) {
            Err(Refusal::ScoresIncomplete { missing }) => assert_eq!(missing.len(), 9),
            other => panic!("{other:?}"),
        }
        for seat in 1..=5 {
            for line in 1..=2 {
                seq += 1;
                events.push(ev(
                    seq,
                    "scored",
                    json!({"seat": seat, "line": line, "compliant": true, "scores": []}),
                ));
            }
        }
        let s = AwardState::fold(&events).unwrap();
        assert!(s.may_sign(1).is_ok());
        seq += 1;
        events.push(ev(
            seq,
            "report_signed",
            json!({"seat": 1, "report_sha256": "x"}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.may_sign(1).err(), Some(Refusal::AlreadySigned));
        assert_eq!(s.may_score(2, 1), Err(Refusal::SigningStarted));
    }

    /// Where the documents form a committee per lot, each lot's committee scores only its own
    /// lot's bids, signs on its own, and the other lot waits for its committee (docs/award.md §1).
    #[test]
    fn each_lot_s_committee_evaluates_its_own_lot_and_the_other_waits() {
        let committee = |seq: i64, lot: &str, first: i64| {
            let members: Vec<Value> = (first..first + 5)
                .map(|s| json!({"seat": s, "kind": "expert", "expert_id": format!("e{s}"), "name": format!("专家{s}")}))
                .collect();
            ev(
                seq,
                "committee_formed",
                json!({
                    "lot_id": lot, "draw_id": format!("d-{lot}"), "members": members, "reserves": [],
                    "bids": [
                        {"line": 1, "lot_id": "L1", "org_id": "a", "org_name": "甲", "price_fen": 900, "bond": "received"},
                        {"line": 2, "lot_id": "L2", "org_id": "b", "org_name": "乙", "price_fen": 800, "bond": "received"}],
                    "tenderers": ["a", "b"],
                }),
            )
        };
        let mut events = vec![committee(1, "L1", 1)];
        let mut seq = 1;
        for seat in 1..=5 {
            seq += 1;
            events.push(ev(
                seq,
                "declared",
                json!({"seat": seat, "conflict": false, "statement": "s", "note": null}),
            ));
        }
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.lot_stage(s.lot("L1").unwrap()), Stage::Evaluating);
        assert_eq!(s.lot_stage(s.lot("L2").unwrap()), Stage::NotStarted);
        assert_eq!(s.committee_stage(), Stage::NotStarted);
        assert_eq!(
            s.may_score(1, 2),
            Err(Refusal::NotFound("bid line")),
            "lot 1's member cannot score lot 2's bid"
        );
        assert!(s.may_score(1, 1).is_ok());
        for seat in 1..=5 {
            seq += 1;
            events.push(ev(
                seq,
                "scored",
                json!({"seat": seat, "line": 1, "compliant": true, "scores": []}),
            ));
        }
        let s = AwardState::fold(&events).unwrap();
        let c = s.may_sign(1).unwrap();
        assert_eq!(c.lot_id.as_deref(), Some("L1"));
        assert!(
            s.missing_marks(c).is_empty(),
            "lot 2's bid is not lot 1's to score"
        );
        seq += 1;
        events.push(committee(seq, "L2", 6));
        seq += 1;
        events.push(ev(
            seq,
            "report_finalised",
            json!({"lot_id": "L1", "report_sha256": "h1", "signature": "s", "ranking": [
                {"rank": 1, "line": 1, "lot_id": "L1", "org_id": "a", "org_name": "甲", "price_fen": 900,
                 "compliant_votes": 5, "members": 5, "score_numerator": null, "score_centi": null, "tie_broken_by": null}]}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.lot_stage(s.lot("L1").unwrap()), Stage::Evaluated);
        assert_eq!(s.lot_stage(s.lot("L2").unwrap()), Stage::CommitteeFormed);
        assert_eq!(s.member(6).unwrap().lot_id.as_deref(), Some("L2"));
        assert_eq!(s.may_score(6, 1), Err(Refusal::DeclarationRequired));
        assert_eq!(s.ranking.len(), 1);
        assert_eq!(
            s.stage(),
            Stage::CommitteeFormed,
            "the tender follows its slower lot"
        );
    }

    fn publicised(until: i64) -> Vec<AwardEvent> {
        let mut events = formed();
        events.push(ev(
            2,
            "report_finalised",
            json!({"report_sha256": "h", "signature": "s", "ranking": []}),
        ));
        events.push(ev(
            3,
            "candidates_publicised",
            json!({
                "candidates": [
                    {"rank": 1, "line": 2, "org_id": "b", "org_name": "乙", "price_fen": 800, "score_centi": null},
                    {"rank": 2, "line": 1, "org_id": "a", "org_name": "甲", "price_fen": 900, "score_centi": null},
                ],
                "from": at(0).to_rfc3339(), "until": at(until).to_rfc3339(),
            }),
        ));
        events
    }

    #[test]
    fn the_notice_waits_for_the_window_and_every_answer_then_goes_to_the_first_standing() {
        let until = PUBLICITY_MIN_MS;
        let mut events = publicised(until);
        events.push(ev(
            4,
            "objection_raised",
            json!({"id": 1, "org_id": "a", "org_name": "甲", "text": "x"}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert!(matches!(
            s.may_issue_notice("", at(until - 1)),
            Err(Refusal::PublicityWindowOpen { .. })
        ));
        assert_eq!(
            s.may_issue_notice("", at(until)),
            Err(Refusal::ObjectionsUnanswered { ids: vec![1] })
        );
        assert!(matches!(
            s.may_object("", at(until)),
            Err(Refusal::PublicityWindowClosed { .. })
        ));
        events.push(ev(
            5,
            "objection_answered",
            json!({"id": 1, "answer": "y", "due": at(1).to_rfc3339(), "late": true}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.may_issue_notice("", at(until)).unwrap().line, 2);
        assert!(s.objections[0].late);
        events.push(ev(
            6,
            "candidate_declined",
            json!({"line": 2, "org_name": "乙", "reason": "r"}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.may_issue_notice("", at(until)).unwrap().line, 1);
    }

    fn notice(price: i64) -> Value {
        json!({
            "rank": 1, "line": 2, "org_id": "b", "org_name": "乙", "price_fen": price,
            "issued_at": at(4).to_rfc3339(), "contract_due": at(4 + CONTRACT_WITHIN_MS).to_rfc3339(),
            "performance_bond_fen": 0,
        })
    }

    #[test]
    fn a_notice_whose_price_is_missing_or_renamed_stops_the_fold_instead_of_reading_0() {
        let mut events = publicised(PUBLICITY_MIN_MS);
        let mut body = notice(800);
        let price = body.as_object_mut().unwrap().remove("price_fen").unwrap();
        events.push(ev(4, "award_notice_issued", body.clone()));
        assert!(matches!(
            AwardState::fold(&events),
            Err(EventError::Malformed { seq: 4, .. })
        ));
        body["price"] = price;
        events[3] = ev(4, "award_notice_issued", body);
        assert!(AwardState::fold(&events).is_err());
        events[3] = ev(4, "notice_revoked", json!({}));
        assert!(matches!(
            AwardState::fold(&events),
            Err(EventError::UnknownKind { seq: 4, .. })
        ));
    }

    /// Two lots, three bids each: each lot is ranked, publicised, awarded and contracted on its
    /// own; the tender's stage is its least advanced lot's, and a failed lot does not hold it.
    #[test]
    fn each_lot_goes_its_own_way_and_the_tender_follows_the_slowest() {
        let bid = |line: i64, lot: &str, org: &str, price: i64| json!({"line": line, "lot_id": lot, "org_id": org, "org_name": org, "price_fen": price, "bond": "received"});
        let members: Vec<Value> = (1..=5)
            .map(|s| json!({"seat": s, "kind": "expert", "expert_id": format!("e{s}"), "name": format!("专家{s}")}))
            .collect();
        let mut events = vec![ev(
            1,
            "committee_formed",
            json!({
                "draw_id": "d", "members": members, "reserves": [],
                "bids": [bid(1, "L1", "a", 900), bid(2, "L2", "a", 500), bid(3, "L1", "b", 800),
                         bid(4, "L2", "c", 400), bid(5, "L1", "c", 700), bid(6, "L2", "b", 450)],
                "tenderers": ["a", "b", "c"],
            }),
        )];
        let s = AwardState::fold(&events).unwrap();
        let lots: Vec<&str> = s.lots.iter().map(|l| l.lot_id.as_str()).collect();
        assert_eq!(lots, ["L1", "L2"]);
        assert_eq!(s.resolve_lot(None), Err(Refusal::LotRequired));
        assert_eq!(s.resolve_lot(Some("L3")), Err(Refusal::NotFound("lot")));
        events.push(ev(
            2,
            "report_finalised",
            json!({"report_sha256": "h", "signature": "s", "ranking": []}),
        ));
        let cand = |line: i64, lot: &str, org: &str, price: i64| json!({"rank": 1, "line": line, "lot_id": lot, "org_id": org, "org_name": org, "price_fen": price, "score_centi": null});
        events.push(ev(
            3,
            "candidates_publicised",
            json!({"lot_id": "L1", "candidates": [cand(5, "L1", "c", 700)],
                   "from": at(0).to_rfc3339(), "until": at(PUBLICITY_MIN_MS).to_rfc3339()}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.lot_stage(s.lot("L1").unwrap()), Stage::Publicised);
        assert_eq!(s.lot_stage(s.lot("L2").unwrap()), Stage::Evaluated);
        assert_eq!(s.stage(), Stage::Evaluated);
        // L2's objection does not hold L1's notice; L1's does
        events.push(ev(
            4,
            "objection_raised",
            json!({"id": 1, "lot_id": "L1", "org_id": "a", "org_name": "a", "text": "x"}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(
            s.may_issue_notice("L1", at(PUBLICITY_MIN_MS)),
            Err(Refusal::ObjectionsUnanswered { ids: vec![1] })
        );
        assert!(matches!(
            s.may_issue_notice("L2", at(PUBLICITY_MIN_MS)),
            Err(Refusal::LotWrongStage { .. })
        ));
        events.push(ev(
            5,
            "objection_answered",
            json!({"id": 1, "answer": "y", "due": at(1).to_rfc3339(), "late": false}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(
            s.may_issue_notice("L1", at(PUBLICITY_MIN_MS)).unwrap().line,
            5
        );
        // L2 fails (nobody passed); L1 is awarded: the tender is awarded, its result determined
        events.push(ev(
            6,
            "award_failed",
            json!({"lot_id": "L2", "rule": "no_passing_bid", "article": "法42", "message": "m"}),
        ));
        let mut n = notice(700);
        n["line"] = json!(5);
        n["org_id"] = json!("c");
        n["lot_id"] = json!("L1");
        events.push(ev(7, "award_notice_issued", n));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.lot_stage(s.lot("L2").unwrap()), Stage::Failed);
        assert_eq!(s.stage(), Stage::Awarded);
        assert!(s.result_determined());
        assert_eq!(s.notices_to("c").len(), 1);
        assert!(s.may_record_contract("L2", at(8), 700).is_err());
        assert!(s.may_record_contract("L1", at(8), 700).is_ok());
        assert!(s.bid_for("a", "L2") && !s.bid_for("a", "L3"));
    }

    #[test]
    fn a_lot_that_fails_before_the_evaluation_is_not_scored() {
        let mut events = formed();
        // the legacy fixture's bids have no lot: they are the tender's only lot ""
        events.push(ev(
            2,
            "award_failed",
            json!({"lot_id": "", "rule": "min_three_bids", "article": "条例44", "message": "m"}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.evaluated_bids().count(), 0);
        assert_eq!(s.stage(), Stage::Failed);
    }

    #[test]
    fn the_contract_is_within_30_days_of_the_notice_at_the_bid_price() {
        let mut events = publicised(PUBLICITY_MIN_MS);
        events.push(ev(4, "award_notice_issued", notice(800)));
        let s = AwardState::fold(&events).unwrap();
        let issued = at(4);
        assert!(s
            .may_record_contract("", issued.plus_millis(CONTRACT_WITHIN_MS), 800)
            .is_ok());
        assert!(matches!(
            s.may_record_contract("", issued.plus_millis(CONTRACT_WITHIN_MS + 1), 800),
            Err(Refusal::ContractDeadlinePassed { .. })
        ));
        assert_eq!(
            s.may_record_contract("", issued, 799).unwrap_err(),
            Refusal::ContractPriceDiffers {
                bid_fen: 800,
                contract_fen: 799
            }
        );
        // the winner declines after the notice: the notice is void, the next one stands
        events.push(ev(
            5,
            "candidate_declined",
            json!({"line": 2, "org_name": "乙", "reason": "r"}),
        ));
        let s = AwardState::fold(&events).unwrap();
        assert_eq!(s.stage(), Stage::Publicised);
        assert_eq!(s.standing("").len(), 1);
    }
}
