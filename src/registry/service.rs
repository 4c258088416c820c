//! Registry use cases: an agent submits its 三表三制 forms, the platform reviews them and records
//! qualifications, credit punishments and experts. Each checks the role, loads, applies the rule
//! and writes once with its audit entry. Personal data of the forms never enters the audit log.

use super::{
    red_in_force, AgentForms, AgentHistoryEntry, AgentRecord, AgentStatus, CreditColour,
    CreditRecord, Expert, Qualification, RegistryRule, Relation, SpecialtyCode,
};
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::{InvalidValue, Line, OrgId, Timestamp};
use crate::identity::{Actor, PersonName, Role};
use crate::store::StoreError;
use crate::tenders::model::Category;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum RegistryError {
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{field}: {value}")]
    Invalid { field: String, value: InvalidValue },
    #[error("{0}")]
    Rule(#[from] RegistryRule),
    #[error("the organisation is under red credit punishment until {until} ({reason})")]
    CreditRed { until: Timestamp, reason: String },
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for RegistryError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => RegistryError::NotFound("record"),
            other => RegistryError::Store(other),
        }
    }
}

fn only_platform(actor: &Actor) -> Result<(), RegistryError> {
    if actor.role != Role::Platform {
        return Err(RegistryError::Forbidden(
            "only the platform operator (交易中心) keeps the registries",
        ));
    }
    Ok(())
}

fn invalid(field: &str, rule: &'static str, message: &str) -> RegistryError {
    RegistryError::Invalid {
        field: field.into(),
        value: InvalidValue::new(rule, message),
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn history(
    org: &OrgId,
    change: &str,
    detail: serde_json::Value,
    at: Timestamp,
) -> AgentHistoryEntry {
    AgentHistoryEntry {
        org_id: org.clone(),
        change: change.into(),
        detail,
        at,
    }
}

// ---------------------------------------------------------------------------------------------
// agents

/// An agent submits (or, after a rejection, resubmits) its three forms and three commitments.
pub async fn submit_agent_forms(
    app: &AppState,
    actor: &Actor,
    forms: AgentForms,
) -> Result<AgentRecord, RegistryError> {
    if actor.role != Role::Agent {
        return Err(RegistryError::Forbidden(
            "only a bidding agent (招标代理机构) registers under 三表三制",
        ));
    }
    forms.check()?;
    let keys = app.store.list_signing_keys(&actor.org_id).await?;
    for c in &forms.commitments {
        c.check_signature(&actor.org_id, &keys)?;
    }
    let org = app.store.get_organisation(&actor.org_id).await?;
    if org.credit_code != forms.organisation.credit_code {
        return Err(invalid(
            "organisation.credit_code",
            "credit_code_mismatch",
            "the organisation form must carry the organisation's registered credit code",
        ));
    }
    let previous = match app.store.get_agent(&actor.org_id).await {
        Ok(r) => Some(r.status),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let status = match previous {
        Some(p) => p.submit()?,
        None => AgentStatus::Pending,
    };
    let now = app.clock.now();
    let record = AgentRecord {
        org_id: actor.org_id.clone(),
        status,
        forms,
        submitted_at: now,
        updated_at: now,
    };
    // The log binds the exact forms by their hash and lists the commitments; the forms themselves
    // (an ID number among them) stay in the registry.
    let forms_json = serde_json::to_vec(&record.forms).expect("forms serialise");
    let commitments = json!(record.forms.commitments);
    let detail = json!({ "forms_sha256": sha256_hex(&forms_json), "commitments": commitments });
    let audit = AuditEvent::new(
        "agent_registration_submitted",
        None,
        AuditActor::from(actor),
        now,
        json!({ "org": actor.org_id, "forms_sha256": detail["forms_sha256"], "commitments": commitments }),
    );
    app.store
        .put_agent(
            &record,
            previous,
            &history(&actor.org_id, "submitted", detail, now),
            &audit,
        )
        .await?;
    Ok(record)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub approve: bool,
    #[schema(value_type = String)]
    pub reason: Line<0, 500>,
}

/// The platform approves or rejects a pending registration.
pub async fn review_agent(
    app: &AppState,
    actor: &Actor,
    org: &OrgId,
    review: Review,
) -> Result<AgentRecord, RegistryError> {
    only_platform(actor)?;
    let mut record = app.store.get_agent(org).await.map_err(|e| match e {
        StoreError::NotFound => RegistryError::NotFound("agent registration"),
        e => e.into(),
    })?;
    if !review.approve && review.reason.as_str().is_empty() {
        return Err(invalid(
            "reason",
            "required",
            "a rejection states its reason",
        ));
    }
    let previous = record.status;
    record.status = previous.review(review.approve)?;
    let now = app.clock.now();
    record.updated_at = now;
    let detail = json!({ "reason": review.reason.as_str() });
    let audit = AuditEvent::new(
        if review.approve {
            "agent_registration_approved"
        } else {
            "agent_registration_rejected"
        },
        None,
        AuditActor::from(actor),
        now,
        json!({ "org": org, "reason": review.reason.as_str() }),
    );
    let change = record.status.as_str();
    app.store
        .put_agent(
            &record,
            Some(previous),
            &history(org, change, detail, now),
            &audit,
        )
        .await?;
    Ok(record)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewQualification {
    pub categories: Vec<Category>,
    pub grade: u8,
    #[schema(value_type = String)]
    pub valid_from: Timestamp,
    #[schema(value_type = String)]
    pub valid_to: Timestamp,
}

/// The platform records a qualification of a registered agent; older records stay as history.
pub async fn record_qualification(
    app: &AppState,
    actor: &Actor,
    org: &OrgId,
    new: NewQualification,
) -> Result<Qualification, RegistryError> {
    only_platform(actor)?;
    app.store.get_agent(org).await.map_err(|e| match e {
        StoreError::NotFound => RegistryError::NotFound("agent registration"),
        e => e.into(),
    })?;
    if new.categories.is_empty() {
        return Err(RegistryRule::NoCategory.into());
    }
    if !(1..=3).contains(&new.grade) {
        return Err(invalid("grade", "bad_grade", "a grade is 1 (甲级), 2 or 3"));
    }
    if new.valid_to <= new.valid_from {
        return Err(RegistryRule::EmptyPeriod.into());
    }
    let now = app.clock.now();
    let q = Qualification {
        id: uuid::Uuid::now_v7().to_string(),
        org_id: org.clone(),
        categories: new.categories,
        grade: new.grade,
        valid_from: new.valid_from,
        valid_to: new.valid_to,
        recorded_at: now,
    };
    let payload = json!({ "org": org, "qualification": q });
    let audit = AuditEvent::new(
        "agent_qualification_recorded",
        None,
        AuditActor::from(actor),
        now,
        payload.clone(),
    );
    app.store
        .add_qualification(
            &q,
            &history(org, "qualification_recorded", payload, now),
            &audit,
        )
        .await?;
    Ok(q)
}

/// An agent's registration with its whole history: the platform and the agent itself.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgentDossier {
    pub record: AgentRecord,
    pub qualifications: Vec<Qualification>,
    pub credit: Vec<CreditRecord>,
    pub history: Vec<AgentHistoryEntry>,
}

pub async fn agent_dossier(
    app: &AppState,
    actor: &Actor,
    org: &OrgId,
) -> Result<AgentDossier, RegistryError> {
    if actor.role != Role::Platform && actor.org_id != *org {
        return Err(RegistryError::Forbidden(
            "an agent's forms are seen by the agent and the platform only",
        ));
    }
    let record = app.store.get_agent(org).await.map_err(|e| match e {
        StoreError::NotFound => RegistryError::NotFound("agent registration"),
        e => e.into(),
    })?;
    Ok(AgentDossier {
        record,
        qualifications: app.store.list_qualifications(Some(org)).await?,
        credit: app.store.list_credit_records(Some(org)).await?,
        history: app.store.agent_history(org).await?,
    })
}

/// Every registration with its forms, pending ones first, then by submission (the platform's
/// review list). The forms carry personal data: the platform only.
pub async fn registrations(
    app: &AppState,
    actor: &Actor,
) -> Result<Vec<AgentRecord>, RegistryError> {
    only_platform(actor)?;
    let mut all = app.store.list_agents().await?;
    all.sort_by_key(|a| (a.status != AgentStatus::Pending, a.submitted_at));
    Ok(all)
}

/// The public face of a registered agent: no personal data.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AgentListing {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub name: String,
    pub status: AgentStatus,
    pub qualifications: Vec<Qualification>,
    /// The colour of the most severe punishment in force, if any.
    pub credit_in_force: Option<CreditColour>,
}

pub async fn list_agents(app: &AppState) -> Result<Vec<AgentListing>, RegistryError> {
    let now = app.clock.now();
    let quals = app.store.list_qualifications(None).await?;
    let credit = app.store.list_credit_records(None).await?;
    Ok(app
        .store
        .list_agents()
        .await?
        .into_iter()
        .map(|a| AgentListing {
            name: a.forms.organisation.name.as_str().to_string(),
            status: a.status,
            qualifications: quals
                .iter()
                .filter(|q| q.org_id == a.org_id)
                .cloned()
                .collect(),
            credit_in_force: credit
                .iter()
                .filter(|c| c.org_id == a.org_id && c.in_force(now))
                .map(|c| c.colour)
                .max_by_key(|c| *c as u8),
            org_id: a.org_id,
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// credit

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCreditRecord {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub colour: CreditColour,
    #[schema(value_type = String)]
    pub reason: Line<1, 500>,
    #[schema(value_type = String)]
    pub source_document: Line<1, 300>,
    #[schema(value_type = String)]
    pub from: Timestamp,
    #[schema(value_type = String)]
    pub to: Timestamp,
}

/// The platform records a credit punishment (any organisation: agents and tenderers alike).
pub async fn record_credit(
    app: &AppState,
    actor: &Actor,
    new: NewCreditRecord,
) -> Result<CreditRecord, RegistryError> {
    only_platform(actor)?;
    app.store
        .get_organisation(&new.org_id)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => {
                invalid("org_id", "unknown_organisation", "no such organisation")
            }
            e => e.into(),
        })?;
    if new.to <= new.from {
        return Err(RegistryRule::EmptyPeriod.into());
    }
    let now = app.clock.now();
    let r = CreditRecord {
        id: uuid::Uuid::now_v7().to_string(),
        org_id: new.org_id,
        colour: new.colour,
        reason: new.reason,
        source_document: new.source_document,
        from: new.from,
        to: new.to,
        recorded_at: now,
    };
    let audit = AuditEvent::new(
        "credit_punishment_recorded",
        None,
        AuditActor::from(actor),
        now,
        json!({ "record": r }),
    );
    app.store.add_credit_record(&r, &audit).await?;
    Ok(r)
}

/// Credit punishments are public (信用信息公开).
pub async fn list_credit(app: &AppState) -> Result<Vec<CreditRecord>, RegistryError> {
    Ok(app.store.list_credit_records(None).await?)
}

/// Refuses an organisation under red credit punishment at `at`: it may not bid. The bidding use
/// cases call this before accepting a bid.
pub async fn check_may_bid(
    app: &AppState,
    org: &OrgId,
    at: Timestamp,
) -> Result<(), RegistryError> {
    let records = app.store.list_credit_records(Some(org)).await?;
    match red_in_force(&records, at) {
        Some(red) => Err(RegistryError::CreditRed {
            until: red.to,
            reason: red.reason.as_str().to_string(),
        }),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// experts

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewExpert {
    #[schema(value_type = String)]
    pub name: PersonName,
    #[schema(value_type = Vec<String>)]
    pub specialties: Vec<SpecialtyCode>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub employer_org_id: Option<OrgId>,
    #[schema(value_type = String)]
    pub employer_name: Line<1, 200>,
    #[schema(value_type = String)]
    pub region: Line<0, 64>,
    #[serde(default = "yes")]
    pub available: bool,
    #[serde(default)]
    pub relations: Vec<Relation>,
}

fn yes() -> bool {
    true
}

/// The platform registers an evaluation expert with the relations that may require recusal.
pub async fn register_expert(
    app: &AppState,
    actor: &Actor,
    new: NewExpert,
) -> Result<Expert, RegistryError> {
    only_platform(actor)?;
    if new.specialties.is_empty() {
        return Err(invalid(
            "specialties",
            "required",
            "an expert has at least one specialty code",
        ));
    }
    let now = app.clock.now();
    let e = Expert {
        id: uuid::Uuid::now_v7().to_string(),
        name: new.name,
        specialties: new.specialties,
        employer_org_id: new.employer_org_id,
        employer_name: new.employer_name,
        region: new.region,
        available: new.available,
        relations: new.relations,
        created_at: now,
    };
    // The log names the expert by id only: the pool publishes names when a draw freezes it.
    let audit = AuditEvent::new(
        "expert_registered",
        None,
        AuditActor::from(actor),
        now,
        json!({ "expert": e.id, "record_sha256": sha256_hex(&serde_json::to_vec(&e).expect("expert serialises")) }),
    );
    app.store.create_expert(&e, &audit).await?;
    Ok(e)
}

/// The expert registry is the platform's: experts are not known to the parties before a draw.
pub async fn list_experts(app: &AppState, actor: &Actor) -> Result<Vec<Expert>, RegistryError> {
    only_platform(actor)?;
    Ok(app.store.list_experts().await?)
}
