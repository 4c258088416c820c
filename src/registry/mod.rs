//! The registries the draws select from: bidding agents registered under 三表三制 with their
//! qualifications and status history, credit punishments (信用惩戒, four colours) and evaluation
//! experts with the relations that trigger recusal (回避). Types and eligibility rules only: no I/O,
//! no clock (callers pass the instant), so every exclusion is a pure function of the records.

pub mod service;

use crate::domain::{KeyId, Line, OrgId, Timestamp};
use crate::identity::keys::SigningKey;
use crate::identity::{CreditCode, OrgName, PersonName};
use crate::tenders::model::Category;
use base64::Engine;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// agents: 三表三制

/// The three rules an agent accepts on entering the hall (三制).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum AgentRule {
    /// 入场服务承诺制
    EntryServiceCommitment,
    /// 从业行为规范制
    CodeOfConduct,
    /// 执业监督管理制
    ConductSupervision,
}

impl AgentRule {
    pub const ALL: [AgentRule; 3] = [
        AgentRule::EntryServiceCommitment,
        AgentRule::CodeOfConduct,
        AgentRule::ConductSupervision,
    ];

    /// The text the agent accepts; its SHA-256 is what the commitment binds.
    pub fn text(self) -> &'static str {
        match self {
            AgentRule::EntryServiceCommitment => "入场服务承诺制：本机构承诺依法依规进场开展招标代理业务，如实提交登记信息，服从交易中心的场所管理和服务安排。",
            AgentRule::CodeOfConduct => "从业行为规范制：本机构及从业人员遵守招标投标法律法规和职业道德，不得泄露应当保密的信息，不得与招标人、投标人串通。",
            AgentRule::ConductSupervision => "执业监督管理制：本机构接受行政监督部门和交易中心对代理行为的监督检查，如实记录并保存代理过程资料。",
        }
    }

    /// The rule's id, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRule::EntryServiceCommitment => "entry_service_commitment",
            AgentRule::CodeOfConduct => "code_of_conduct",
            AgentRule::ConductSupervision => "conduct_supervision",
        }
    }

    pub fn text_sha256(self) -> String {
        hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            self.text().as_bytes(),
        ))
    }
}

/// 机构情况登记表
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganisationForm {
    #[schema(value_type = String)]
    pub name: OrgName,
    #[schema(value_type = String)]
    pub credit_code: CreditCode,
    #[schema(value_type = String)]
    pub address: Line<1, 200>,
    #[schema(value_type = String)]
    pub phone: Line<1, 32>,
    /// Registered capital in fen.
    pub registered_capital_fen: u64,
}

/// 法人登记表
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LegalRepresentativeForm {
    #[schema(value_type = String)]
    pub name: PersonName,
    /// 身份证号 (kept, never published).
    #[schema(value_type = String)]
    pub id_number: Line<1, 32>,
    #[schema(value_type = String)]
    pub phone: Line<1, 32>,
}

/// One line of 从业人员登记表.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StaffMember {
    #[schema(value_type = String)]
    pub name: PersonName,
    #[schema(value_type = String)]
    pub title: Line<0, 100>,
    /// Professional certificate number, if any.
    #[schema(value_type = String)]
    pub certificate: Line<0, 100>,
}

/// The acceptance of one rule: who accepted it for the organisation, the SHA-256 of the text
/// they saw (it must be the hall's current text, so a commitment always names exact words), and
/// the organisation's signature over `rule_message` with one of its registered P-256 keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleCommitment {
    pub rule: AgentRule,
    #[schema(value_type = String)]
    pub signed_by: PersonName,
    pub text_sha256: String,
    /// The organisation's registered signing key (`POST /api/keys`) that signed.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub key_id: Option<KeyId>,
    /// Base64 ECDSA P-256 SHA-256 signature (r ‖ s, 64 bytes, as WebCrypto makes) over
    /// `rule_message`.
    #[serde(default)]
    pub signature: Option<String>,
}

const RULE_DOMAIN: &str = "bidhall-agent-rule/1";

/// The 32 bytes an organisation signs to accept `rule` (docs/draw.md, "Signed rule commitments"):
/// SHA-256(lp("bidhall-agent-rule/1") ‖ lp(org id) ‖ lp(rule id) ‖ lp(SHA-256(rule text)) ‖
/// lp(signer's name)), lp(x) = u32be(len x) ‖ x.
pub fn rule_message(org: &OrgId, rule: AgentRule, signed_by: &str) -> [u8; 32] {
    let text = ring::digest::digest(&ring::digest::SHA256, rule.text().as_bytes());
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for part in [
        RULE_DOMAIN.as_bytes(),
        org.as_str().as_bytes(),
        rule.as_str().as_bytes(),
        text.as_ref(),
        signed_by.as_bytes(),
    ] {
        ctx.update(&(part.len() as u32).to_be_bytes());
        ctx.update(part);
    }
    ctx.finish()
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes")
}

impl RuleCommitment {
    /// Signed by one of `keys` (the organisation's registered keys) over `rule_message`.
    pub fn check_signature(&self, org: &OrgId, keys: &[SigningKey]) -> Result<(), RegistryRule> {
        let rule = self.rule;
        let (Some(key_id), Some(signature)) = (&self.key_id, &self.signature) else {
            return Err(RegistryRule::CommitmentUnsigned { rule });
        };
        let key = keys
            .iter()
            .find(|k| &k.id == key_id && &k.org_id == org)
            .ok_or(RegistryRule::CommitmentUnknownKey { rule })?;
        let sig = base64::engine::general_purpose::STANDARD
            .decode(signature.trim())
            .map_err(|_| RegistryRule::CommitmentBadSignature { rule })?;
        let message = rule_message(org, rule, self.signed_by.as_str());
        if !key.public_key.verify(&message, &sig) {
            return Err(RegistryRule::CommitmentBadSignature { rule });
        }
        Ok(())
    }
}

/// What an agent submits: the three forms and the three commitments.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentForms {
    pub organisation: OrganisationForm,
    pub legal_representative: LegalRepresentativeForm,
    pub staff: Vec<StaffMember>,
    pub commitments: Vec<RuleCommitment>,
}

impl AgentForms {
    /// The forms are complete: at least one staff member and each of the three rules accepted
    /// once, against the current text.
    pub fn check(&self) -> Result<(), RegistryRule> {
        if self.staff.is_empty() {
            return Err(RegistryRule::StaffFormEmpty);
        }
        for rule in AgentRule::ALL {
            let mut found = self.commitments.iter().filter(|c| c.rule == rule);
            match (found.next(), found.next()) {
                (Some(c), None) if c.text_sha256 == rule.text_sha256() => {}
                (Some(_), None) => return Err(RegistryRule::CommitmentTextChanged { rule }),
                (None, _) => return Err(RegistryRule::CommitmentMissing { rule }),
                (Some(_), Some(_)) => return Err(RegistryRule::CommitmentRepeated { rule }),
            }
        }
        Ok(())
    }
}

/// A broken registry rule, in words the submitter can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryRule {
    #[error("the staff form (从业人员登记表) lists nobody")]
    StaffFormEmpty,
    #[error("the rule {rule:?} (三制) is not accepted")]
    CommitmentMissing { rule: AgentRule },
    #[error("the rule {rule:?} is accepted twice")]
    CommitmentRepeated { rule: AgentRule },
    #[error("the rule {rule:?} was accepted against a text that is not the hall's current text")]
    CommitmentTextChanged { rule: AgentRule },
    #[error("the acceptance of the rule {rule:?} is not signed: sign it with one of the organisation's registered keys (key_id and signature)")]
    CommitmentUnsigned { rule: AgentRule },
    #[error("the acceptance of the rule {rule:?} names a key that is not registered for this organisation")]
    CommitmentUnknownKey { rule: AgentRule },
    #[error("the signature on the acceptance of the rule {rule:?} does not verify with the named key over the rule's message")]
    CommitmentBadSignature { rule: AgentRule },
    #[error("the registration is {status:?}; {action} is not possible")]
    WrongStatus {
        status: AgentStatus,
        action: &'static str,
    },
    #[error("the validity period ends before it starts")]
    EmptyPeriod,
    #[error("a qualification names no category")]
    NoCategory,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AgentStatus {
    /// Submitted, awaiting the platform's review.
    Pending,
    Approved,
    Rejected,
}

impl AgentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AgentStatus::Pending => "pending",
            AgentStatus::Approved => "approved",
            AgentStatus::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<AgentStatus> {
        [
            AgentStatus::Pending,
            AgentStatus::Approved,
            AgentStatus::Rejected,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }

    /// (Re)submitting the forms: allowed unless the agent is already approved (an approved agent's
    /// forms change through the platform, which keeps the history).
    pub fn submit(self) -> Result<AgentStatus, RegistryRule> {
        match self {
            AgentStatus::Pending | AgentStatus::Rejected => Ok(AgentStatus::Pending),
            AgentStatus::Approved => Err(RegistryRule::WrongStatus {
                status: self,
                action: "resubmitting the forms",
            }),
        }
    }

    /// The platform's review decides a pending registration only.
    pub fn review(self, approve: bool) -> Result<AgentStatus, RegistryRule> {
        match self {
            AgentStatus::Pending if approve => Ok(AgentStatus::Approved),
            AgentStatus::Pending => Ok(AgentStatus::Rejected),
            _ => Err(RegistryRule::WrongStatus {
                status: self,
                action: "a review",
            }),
        }
    }
}

/// An agent's registration as stored: the current forms and status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentRecord {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub status: AgentStatus,
    pub forms: AgentForms,
    #[schema(value_type = String)]
    pub submitted_at: Timestamp,
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
}

/// One change of an agent's registration, kept forever.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentHistoryEntry {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    /// `submitted`, `approved`, `rejected` or `qualification_recorded`.
    pub change: String,
    pub detail: serde_json::Value,
    #[schema(value_type = String)]
    pub at: Timestamp,
}

/// A qualification (资质) of an agent for some categories, valid for a period. Records are never
/// changed: a new record supersedes older ones for the categories it names.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Qualification {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub categories: Vec<Category>,
    /// 1 is the highest grade (甲级), 3 the lowest.
    pub grade: u8,
    #[schema(value_type = String)]
    pub valid_from: Timestamp,
    #[schema(value_type = String)]
    pub valid_to: Timestamp,
    #[schema(value_type = String)]
    pub recorded_at: Timestamp,
}

// ---------------------------------------------------------------------------------------------
// credit

/// The four colours of the supervision model, from a reminder to exclusion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CreditColour {
    Blue,
    Yellow,
    Orange,
    /// Excluded from draws and from bidding while in force.
    Red,
}

impl CreditColour {
    pub fn as_str(self) -> &'static str {
        match self {
            CreditColour::Blue => "blue",
            CreditColour::Yellow => "yellow",
            CreditColour::Orange => "orange",
            CreditColour::Red => "red",
        }
    }
}

/// A credit punishment (信用惩戒) of an organisation for a period, with its reason and source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreditRecord {
    pub id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub colour: CreditColour,
    #[schema(value_type = String)]
    pub reason: Line<1, 500>,
    /// The decision it rests on (处罚决定书 number or URL).
    #[schema(value_type = String)]
    pub source_document: Line<1, 300>,
    #[schema(value_type = String)]
    pub from: Timestamp,
    #[schema(value_type = String)]
    pub to: Timestamp,
    #[schema(value_type = String)]
    pub recorded_at: Timestamp,
}

impl CreditRecord {
    pub fn in_force(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.to
    }
}

/// The red record in force at `at`, if any: the organisation may neither be drawn nor bid.
pub fn red_in_force(records: &[CreditRecord], at: Timestamp) -> Option<&CreditRecord> {
    records
        .iter()
        .filter(|r| r.colour == CreditColour::Red && r.in_force(at))
        .max_by_key(|r| r.to)
}

// ---------------------------------------------------------------------------------------------
// experts

/// A specialty code of the expert classification (e.g. `A080101`).
pub type SpecialtyCode = Line<1, 16>;

/// A relation of an expert that can require recusal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationKind {
    /// A close relative (近亲属) works for the organisation.
    CloseRelative,
    /// Staff of the organisation as a supervising department (行政监督部门).
    SupervisorStaff,
    /// An economic interest (利害关系) in the organisation.
    EconomicInterest,
    /// A prior sanction (曾受处罚) of the expert; recusal while in force.
    PriorSanction,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Relation {
    pub kind: RelationKind,
    /// The organisation concerned (absent for a sanction).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub org_id: Option<OrgId>,
    /// Until when a sanction applies (absent: indefinitely).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub until: Option<Timestamp>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub note: Option<Line<0, 300>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Expert {
    pub id: String,
    #[schema(value_type = String)]
    pub name: PersonName,
    #[schema(value_type = Vec<String>)]
    pub specialties: Vec<SpecialtyCode>,
    /// The employer, when it is an organisation registered in the hall.
    #[schema(value_type = Option<String>)]
    pub employer_org_id: Option<OrgId>,
    #[schema(value_type = String)]
    pub employer_name: Line<1, 200>,
    #[schema(value_type = String)]
    pub region: Line<0, 64>,
    pub available: bool,
    pub relations: Vec<Relation>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
}

// ---------------------------------------------------------------------------------------------
// eligibility

/// Why a candidate is not in a draw's pool: a stable code, published with the pool, so an excluded
/// candidate can see why. Conflicts with tenderers never name the tenderer (法 art. 22).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Exclusion {
    /// The registration is not approved.
    NotApproved { status: AgentStatus },
    /// No qualification in force covers the category.
    NotQualified { category: Category },
    /// A qualification covers the category, but below the grade asked for.
    GradeTooLow { grade: u8, required: u8 },
    /// A red credit punishment is in force.
    CreditRed {
        record: String,
        #[schema(value_type = String)]
        until: Timestamp,
    },
    /// The expert is not available.
    Unavailable,
    /// None of the expert's specialties is asked for.
    NoMatchingSpecialty,
    /// The expert is outside the region asked for.
    OutsideRegion,
    /// Employed by the owner (招标人).
    EmployedByOwner,
    /// Employed by a tenderer of this tender.
    EmployedByTenderer,
    /// Employed by the tender's agent.
    EmployedByAgent,
    /// A close relative works for the owner or a tenderer.
    CloseRelative,
    /// Staff of the tender's supervising department.
    SupervisorStaff,
    /// An economic interest in the owner, the agent or a tenderer.
    EconomicInterest,
    /// A prior sanction still in force.
    PriorSanction,
}

/// What an agent draw asks of the candidates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentFilter {
    pub category: Category,
    /// The lowest acceptable grade (1 = highest); absent: any grade.
    #[serde(default)]
    pub max_grade: Option<u8>,
}

/// Why an agent is excluded from a pool frozen at `at` (empty: eligible). Registered under
/// 三表三制 and approved, qualified for the category in force, not under red credit punishment.
pub fn agent_exclusions(
    record: &AgentRecord,
    qualifications: &[Qualification],
    credit: &[CreditRecord],
    filter: &AgentFilter,
    at: Timestamp,
) -> Vec<Exclusion> {
    let mut why = Vec::new();
    if record.status != AgentStatus::Approved {
        why.push(Exclusion::NotApproved {
            status: record.status,
        });
    }
    // The latest record naming the category decides (a newer record supersedes older ones).
    let current = qualifications
        .iter()
        .filter(|q| q.categories.contains(&filter.category))
        .max_by_key(|q| q.recorded_at);
    match current {
        Some(q) if q.valid_from <= at && at < q.valid_to => {
            if let Some(max) = filter.max_grade {
                if q.grade > max {
                    why.push(Exclusion::GradeTooLow {
                        grade: q.grade,
                        required: max,
                    });
                }
            }
        }
        _ => why.push(Exclusion::NotQualified {
            category: filter.category,
        }),
    }
    if let Some(red) = red_in_force(credit, at) {
        why.push(Exclusion::CreditRed {
            record: red.id.clone(),
            until: red.to,
        });
    }
    why
}

/// What an expert draw asks of the candidates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpertFilter {
    /// At least one of these specialties.
    #[schema(value_type = Vec<String>)]
    pub specialties: Vec<SpecialtyCode>,
    /// Only experts of this region; absent: any region.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub region: Option<Line<1, 64>>,
}

/// The organisations of a tender an expert must not be tied to.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflicts {
    pub owner: OrgId,
    pub agent: Option<OrgId>,
    pub supervisor: OrgId,
    /// The tenderers who obtained the documents.
    pub tenderers: Vec<OrgId>,
}

/// Why an expert is excluded from a tender's pool at `at` (empty: eligible), recusal (回避) included.
pub fn expert_exclusions(
    expert: &Expert,
    filter: &ExpertFilter,
    conflicts: &Conflicts,
    at: Timestamp,
) -> Vec<Exclusion> {
    let mut why = Vec::new();
    if !expert.available {
        why.push(Exclusion::Unavailable);
    }
    if !expert
        .specialties
        .iter()
        .any(|s| filter.specialties.contains(s))
    {
        why.push(Exclusion::NoMatchingSpecialty);
    }
    if let Some(region) = &filter.region {
        if expert.region.as_str() != region.as_str() {
            why.push(Exclusion::OutsideRegion);
        }
    }
    let is_tenderer = |o: &OrgId| conflicts.tenderers.contains(o);
    let is_party =
        |o: &OrgId| *o == conflicts.owner || conflicts.agent.as_ref() == Some(o) || is_tenderer(o);
    if let Some(employer) = &expert.employer_org_id {
        if *employer == conflicts.owner {
            why.push(Exclusion::EmployedByOwner);
        }
        if is_tenderer(employer) {
            why.push(Exclusion::EmployedByTenderer);
        }
        if conflicts.agent.as_ref() == Some(employer) {
            why.push(Exclusion::EmployedByAgent);
        }
    }
    for r in &expert.relations {
        let org = r.org_id.as_ref();
        let reason = match r.kind {
            RelationKind::CloseRelative if org.is_some_and(is_party) => Exclusion::CloseRelative,
            RelationKind::SupervisorStaff if org == Some(&conflicts.supervisor) => {
                Exclusion::SupervisorStaff
            }
            RelationKind::EconomicInterest if org.is_some_and(is_party) => {
                Exclusion::EconomicInterest
            }
            RelationKind::PriorSanction if r.until.is_none_or(|u| at < u) => {
                Exclusion::PriorSanction
            }
            _ => continue,
        };
        if !why.contains(&reason) {
            why.push(reason);
        }
    }
    why
}

#[cfg(test)]
mod tests;
