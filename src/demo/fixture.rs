//! What `fixtures/demo.json` holds and how it reads: every name, title and text of the demo, in
//! Chinese, and the shape of each tender's life. The loaders add only times, ids and keys.

use crate::identity::Role;
use crate::registry::service::NewExpert;
use crate::registry::{AgentFilter, ExpertFilter, LegalRepresentativeForm, StaffMember};
use crate::server::StartError;
use crate::tenders::model::{Category, EvaluationMethod};
use serde::Deserialize;
use std::collections::HashMap;

const TEXT: &str = include_str!("../../fixtures/demo.json");

pub(super) fn bad(what: impl std::fmt::Display) -> StartError {
    StartError::Demo(what.to_string())
}

/// The fixture, parsed.
pub(super) fn read() -> Result<Fixture, StartError> {
    serde_json::from_str(TEXT).map_err(bad)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Fixture {
    pub password: String,
    /// The directory every hall starts from: organisations and their users.
    pub organisations: Vec<Org>,
    pub projects: Vec<Project>,
    /// The notices every hall starts from; their `life` is played by the demo hall only.
    pub tenders: Vec<TenderFx>,
    /// The evaluation expert pool, registered by the platform.
    #[serde(default)]
    pub experts: Vec<NewExpert>,
    /// A legend of the specialty codes the experts use (documentation only).
    #[serde(default)]
    #[allow(dead_code)]
    pub expert_specialties: String,
    /// What `serve --demo` adds: more tenderers, the agents' registration, draws and tenders at
    /// every stage of their lives.
    pub hall: HallFx,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct HallFx {
    /// How long ago the hall's history begins: its people, projects and registry date from then.
    pub begins_days_ago: i64,
    pub organisations: Vec<Org>,
    pub agents: Vec<AgentFx>,
    pub projects: Vec<Project>,
    pub agent_draws: Vec<AgentDrawFx>,
    pub tenders: Vec<TenderFx>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Org {
    pub key: String,
    pub role: Role,
    pub name: String,
    pub credit_code: String,
    pub region: String,
    pub users: Vec<UserFx>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UserFx {
    pub login: String,
    pub display_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Project {
    pub key: String,
    pub owner: String,
    /// The agent the owner names; absent: the agent is to be drawn (摇号).
    #[serde(default)]
    pub agent: Option<String>,
    pub name: String,
    pub code: String,
    pub region: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TenderFx {
    pub key: String,
    pub project: String,
    pub by: String,
    /// `draft` or `published`.
    pub state: String,
    #[serde(default)]
    pub published_days_ago: i64,
    /// The deadline this many minutes after the demo's "now" instead of `schedule_days`'s.
    #[serde(default)]
    pub bid_deadline_in_minutes: Option<i64>,
    pub title: String,
    pub category: Category,
    pub description: String,
    pub qualification: String,
    pub method: EvaluationMethod,
    /// Days after the day of publication; each time falls at 09:30 Beijing time.
    pub schedule_days: HashMap<String, i64>,
    pub lots: Vec<LotFx>,
    #[serde(default)]
    pub performance_bond_percent: Option<u8>,
    #[serde(default)]
    pub clarifications: Vec<ClarificationFx>,
    /// What happens to the tender after its publication (the demo hall only).
    #[serde(default)]
    pub life: Option<LifeFx>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LotFx {
    pub name: String,
    pub estimate_yuan: i64,
    pub bid_bond_yuan: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClarificationFx {
    pub summary: String,
    pub body: String,
}

/// How far a tender's life has come by the demo's "now".
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub(super) enum Stage {
    /// Custodians registered, some bids in: open for more.
    Bidding,
    /// The deadline is less than 30 minutes away: tenderers sign in.
    Lobby,
    /// Bids opened, announced, confirmed; the record signed.
    Opened,
    /// The committee formed from the expert draw; some members have scored.
    Evaluating,
    /// The report signed; the candidates publicised (候选人公示).
    Publicised,
    /// The notice, the performance bond, the contract, the refunds and the performance.
    Awarded,
    /// Fewer than 3 bids at the deadline (条例44).
    Failed,
}

/// How the tenderers pay their bid bonds.
#[derive(Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub(super) enum BondPath {
    /// By transfer at the sandbox bank, into the ledger.
    #[default]
    Bank,
    /// Received at the trading centre's desk and recorded there.
    Desk,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LifeFx {
    pub stage: Stage,
    #[serde(default)]
    pub bonds: BondPath,
    pub bids: Vec<BidFx>,
    /// The expert draw the committee is formed from.
    #[serde(default)]
    pub experts: Option<ExpertDrawFx>,
    /// Under evaluation: how many members have declared and scored.
    #[serde(default)]
    pub scored_by: Option<usize>,
    /// In the lobby: the bidders who have signed in (签到).
    #[serde(default)]
    pub signed_in: Vec<String>,
    /// An objection to the candidates and the owner's answer.
    #[serde(default)]
    pub objection: Option<ObjectionFx>,
    #[serde(default)]
    pub contract: Option<ContractFx>,
}

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub(super) struct BidFx {
    /// The tenderer's organisation key.
    pub by: String,
    /// The lot, by its place in the tender (0 first).
    #[serde(default)]
    pub lot: usize,
    pub price_yuan: i64,
    pub duration_days: i64,
    pub quality: String,
    /// The marks the committee gives its scored criteria, in the tender's order.
    #[serde(default)]
    pub technical: Vec<u32>,
    /// The technical proposal attached to the bid.
    pub proposal: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ExpertDrawFx {
    pub purpose: String,
    pub filter: ExpertFilter,
    pub select: u32,
    pub reserves: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ObjectionFx {
    pub by: String,
    pub text: String,
    pub answer: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContractFx {
    /// The signed contract's text; the hall keeps its SHA-256.
    pub document: String,
    pub days_after_notice: i64,
    pub performed_days_after_contract: i64,
}

/// An agent's registration under 三表三制, and the qualification the platform records.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentFx {
    pub org: String,
    pub address: String,
    pub phone: String,
    pub registered_capital_yuan: u64,
    pub legal_representative: LegalRepresentativeForm,
    pub staff: Vec<StaffMember>,
    pub categories: Vec<Category>,
    pub grade: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AgentDrawFx {
    pub project: String,
    pub purpose: String,
    pub filter: AgentFilter,
    pub days_ago: i64,
    pub reserves: u32,
}
