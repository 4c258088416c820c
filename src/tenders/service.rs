//! Tender use cases: create, edit, publish, amend and cancel tenders, upload and obtain their
//! documents. Each checks who may act on this tender, then the law, then writes one transaction
//! with its audit entry. Never returns a half-done change.

use super::access::{self, Action, Denied, Relations};
use super::law::{check_amendment, check_publication, Violation};
use super::model::{
    Amendment, AmendmentKind, CustodianKind, DocumentState, Project, Tender, TenderChanges,
    TenderDocument, TenderSpec, TenderState,
};
use super::obtain::Obtained;
use crate::app::AppState;
use crate::auditlog::AuditEvent;
use crate::blobs::{BlobError, ByteStream};
use crate::domain::{
    AmendmentId, DocumentId, InvalidValue, Line, OrgId, ProjectId, Prose, TenderId, Timestamp,
};
use crate::identity::{Actor, Role};
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum TenderError {
    #[error("no such tender")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("{field}: {value}")]
    Invalid { field: String, value: InvalidValue },
    #[error("the law refuses this: {}", .0.iter().map(|v| v.message.as_str()).collect::<Vec<_>>().join("; "))]
    Law(Vec<Violation>),
    #[error("the tender changed since version you edited (now version {current}); reload it")]
    StaleVersion { current: i64 },
    #[error("not possible while the tender is {state}")]
    WrongState { state: &'static str },
    #[error("a published tender changes only by a clarification or amendment")]
    PublishedNeedsAmendment,
    #[error("the documents are on sale from {from} to {to} (Asia/Shanghai)")]
    DocumentsNotOnSale { from: String, to: String },
    #[error("the document is larger than the limit of {limit_bytes} bytes")]
    DocumentTooLarge { limit_bytes: u64 },
    #[error("obtain the tender documents first")]
    NotObtained,
    #[error("file storage failed: {0}")]
    Blob(String),
    #[error(transparent)]
    Access(#[from] Denied),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for TenderError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => TenderError::NotFound,
            other => TenderError::Store(other),
        }
    }
}

fn invalid(field: &str, rule: &'static str, message: &str) -> TenderError {
    TenderError::Invalid {
        field: field.into(),
        value: InvalidValue::new(rule, message),
    }
}

fn forbidden(why: &str) -> TenderError {
    TenderError::Forbidden(why.into())
}

/// The access policy's answer as this capability's error.
fn check(
    app: &AppState,
    action: Action,
    r: &Relations,
    tender: &Tender,
) -> Result<(), TenderError> {
    access::may(action, r, tender, app.clock.now()).map_err(TenderError::from)
}

async fn load_managed(app: &AppState, actor: &Actor, id: &TenderId) -> Result<Tender, TenderError> {
    let tender = app.store.get_tender(id).await?;
    check(
        app,
        Action::Manage,
        &Relations::of(Some(actor), &tender),
        &tender,
    )?;
    Ok(tender)
}

fn check_version(tender: &Tender, version: i64) -> Result<(), TenderError> {
    if tender.version != version {
        return Err(TenderError::StaleVersion {
            current: tender.version,
        });
    }
    Ok(())
}

fn shape(spec: &TenderSpec) -> Result<(), TenderError> {
    spec.check_shape()
        .map_err(|(field, value)| TenderError::Invalid {
            field: format!("spec.{field}"),
            value,
        })
}

/// The organisations a spec names must exist with the right role.
async fn check_parties(app: &AppState, spec: &TenderSpec) -> Result<(), TenderError> {
    let role_of = |id: OrgId| async move {
        match app.store.get_organisation(&id).await {
            Ok(o) => Ok(Some(o.role)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(TenderError::Store(e)),
        }
    };
    if role_of(spec.supervisor_org_id.clone()).await? != Some(Role::Supervisor) {
        return Err(invalid(
            "spec.supervisor_org_id",
            "not_a_supervisor",
            "name a registered supervising authority",
        ));
    }
    for (i, c) in spec.custodians.members.iter().enumerate() {
        let want = match c.kind {
            CustodianKind::Supervisor => Role::Supervisor,
            CustodianKind::Witness => Role::Witness,
            _ => continue,
        };
        let org = c.org_id.clone().expect("check_shape requires the org");
        if role_of(org).await? != Some(want) {
            return Err(invalid(
                &format!("spec.custodians.members[{i}].org_id"),
                "wrong_custodian_org",
                "the custodian's organisation is not registered in that role",
            ));
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// projects

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProject {
    #[schema(value_type = String)]
    pub name: Line<1, 200>,
    #[schema(value_type = String)]
    pub code: Line<1, 64>,
    #[serde(default = "no_region")]
    #[schema(value_type = String)]
    pub region: Line<0, 64>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub agent_org_id: Option<OrgId>,
    /// 政府投资项目: the agent is chosen by the public agent draw only; `agent_org_id` must then
    /// be absent (`422 agent_must_be_drawn`).
    #[serde(default)]
    pub agent_by_draw: bool,
}

fn no_region() -> Line<0, 64> {
    Line::parse("").expect("empty is valid")
}

pub async fn create_project(
    app: &AppState,
    actor: &Actor,
    new: NewProject,
) -> Result<Project, TenderError> {
    if actor.role != Role::Owner {
        return Err(forbidden("only an owner (招标人) creates projects"));
    }
    if let Some(why) =
        super::law::agent_must_be_drawn(new.agent_by_draw, new.agent_org_id.is_some())
    {
        return Err(invalid("agent_org_id", "agent_must_be_drawn", why));
    }
    if let Some(agent) = &new.agent_org_id {
        match app.store.get_organisation(agent).await {
            Ok(o) if o.role == Role::Agent => {}
            Ok(_) | Err(StoreError::NotFound) => {
                return Err(invalid(
                    "agent_org_id",
                    "not_an_agent",
                    "name a registered bidding agent (招标代理机构)",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let project = Project {
        id: ProjectId::generate(),
        owner_org_id: actor.org_id.clone(),
        agent_org_id: new.agent_org_id,
        agent_by_draw: new.agent_by_draw,
        name: new.name,
        code: new.code,
        region: new.region,
        created_at: app.clock.now(),
    };
    let audit = AuditEvent::new(
        "project_created",
        None,
        actor.into(),
        project.created_at,
        json!({ "project": project.id, "name": project.name.as_str(), "code": project.code.as_str(), "agent": project.agent_org_id, "agent_by_draw": project.agent_by_draw }),
    );
    app.store.create_project(&project, &audit).await?;
    Ok(project)
}

/// Projects the actor's organisation owns or runs as agent.
pub async fn my_projects(app: &AppState, actor: &Actor) -> Result<Vec<Project>, TenderError> {
    Ok(app.store.list_projects(&actor.org_id).await?)
}

// ---------------------------------------------------------------------------------------------
// drafts

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTender {
    #[schema(value_type = String)]
    pub project_id: ProjectId,
    pub spec: TenderSpec,
}

pub async fn create_tender(
    app: &AppState,
    actor: &Actor,
    new: NewTender,
) -> Result<Tender, TenderError> {
    if !matches!(actor.role, Role::Owner | Role::Agent) {
        return Err(forbidden("tenders are created by owners and their agents"));
    }
    let project = match app.store.get_project(&new.project_id).await {
        Ok(p) => p,
        Err(StoreError::NotFound) => {
            return Err(invalid("project_id", "unknown_project", "no such project"))
        }
        Err(e) => return Err(e.into()),
    };
    let runs_it = match actor.role {
        Role::Owner => actor.org_id == project.owner_org_id,
        Role::Agent => project.agent_org_id.as_ref() == Some(&actor.org_id),
        _ => false,
    };
    if !runs_it {
        return Err(forbidden(
            "only the project's owner or its appointed agent creates its tenders",
        ));
    }
    if let Some(why) =
        super::law::agent_must_be_drawn(project.agent_by_draw, actor.role == Role::Owner)
    {
        return Err(invalid("project_id", "agent_must_be_drawn", why));
    }
    shape(&new.spec)?;
    check_parties(app, &new.spec).await?;
    let now = app.clock.now();
    let tender = Tender {
        id: TenderId::generate(),
        project_id: project.id.clone(),
        owner_org_id: project.owner_org_id.clone(),
        agent_org_id: project.agent_org_id.clone(),
        state: TenderState::Draft,
        spec: new.spec,
        version: 1,
        created_at: now,
        updated_at: now,
        published_at: None,
        documents_issued_at: None,
        award_stage: None,
    };
    let audit = AuditEvent::new(
        "tender_drafted",
        Some(&tender.id),
        actor.into(),
        now,
        json!({ "project": project.id, "title": tender.spec.title.as_str() }),
    );
    app.store.create_tender(&tender, &audit).await?;
    Ok(tender)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditDraft {
    pub version: i64,
    pub spec: TenderSpec,
}

pub async fn edit_draft(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    edit: EditDraft,
) -> Result<Tender, TenderError> {
    let mut tender = load_managed(app, actor, id).await?;
    match tender.state {
        TenderState::Draft => {}
        TenderState::Published => return Err(TenderError::PublishedNeedsAmendment),
        TenderState::Cancelled => return Err(TenderError::WrongState { state: "cancelled" }),
    }
    check_version(&tender, edit.version)?;
    shape(&edit.spec)?;
    check_parties(app, &edit.spec).await?;
    tender.spec = edit.spec;
    tender.version += 1;
    tender.updated_at = app.clock.now();
    let audit = AuditEvent::new(
        "tender_draft_edited",
        Some(&tender.id),
        actor.into(),
        tender.updated_at,
        json!({ "version": tender.version }),
    );
    versioned(app, id, app.store.save_tender(&tender, &audit).await).await?;
    Ok(tender)
}

/// The result of a versioned write, with a lost race reported as `StaleVersion`.
async fn versioned(
    app: &AppState,
    id: &TenderId,
    written: Result<(), StoreError>,
) -> Result<(), TenderError> {
    match written {
        Err(StoreError::Conflict(_)) => {
            let current = app.store.get_tender(id).await?.version;
            Err(TenderError::StaleVersion { current })
        }
        other => Ok(other?),
    }
}

// ---------------------------------------------------------------------------------------------
// publication, amendment, cancellation

pub async fn publish(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    version: i64,
) -> Result<Tender, TenderError> {
    let mut tender = load_managed(app, actor, id).await?;
    match tender.state {
        TenderState::Draft => {}
        TenderState::Published => return Err(TenderError::WrongState { state: "published" }),
        TenderState::Cancelled => return Err(TenderError::WrongState { state: "cancelled" }),
    }
    check_version(&tender, version)?;
    let now = app.clock.now();
    let violations = check_publication(&tender.spec, now);
    if !violations.is_empty() {
        return Err(TenderError::Law(violations));
    }
    check_parties(app, &tender.spec).await?;
    tender.state = TenderState::Published;
    tender.version += 1;
    tender.updated_at = now;
    tender.published_at = Some(now);
    tender.documents_issued_at = Some(tender.spec.schedule.docs_from.max(now));
    let documents: Vec<_> = app
        .store
        .list_documents(id)
        .await?
        .into_iter()
        .map(|d| json!({ "document": d.id, "name": d.name.as_str(), "sha256": d.sha256, "size": d.size }))
        .collect();
    let audit = AuditEvent::new(
        "tender_published",
        Some(&tender.id),
        actor.into(),
        now,
        json!({ "version": tender.version, "spec": tender.spec, "documents": documents }),
    );
    versioned(app, id, app.store.publish_tender(&tender, &audit).await).await?;
    app.board.invalidate();
    Ok(tender)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAmendment {
    pub version: i64,
    pub kind: AmendmentKind,
    #[schema(value_type = String)]
    pub summary: Line<1, 200>,
    #[serde(default = "empty_body")]
    #[schema(value_type = String)]
    pub body: Prose<50_000>,
    /// Whether the content may affect how bids are prepared (条例 art. 21); a clarification that
    /// only explains is `false`.
    pub affects_bids: bool,
    #[serde(default)]
    #[schema(value_type = Object)]
    pub changes: TenderChanges,
    /// Staged documents this amendment issues.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub documents: Vec<DocumentId>,
}

fn empty_body() -> Prose<50_000> {
    Prose::parse("").expect("empty is valid")
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Amended {
    #[schema(value_type = Object)]
    pub tender: Tender,
    #[schema(value_type = Object)]
    pub amendment: Amendment,
}

/// Publishes a clarification or amendment (澄清/修改) of a published tender, before its deadline.
pub async fn amend(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    new: NewAmendment,
) -> Result<Amended, TenderError> {
    let mut tender = load_managed(app, actor, id).await?;
    let now = app.clock.now();
    match tender.state {
        TenderState::Published if tender.is_bidding_open(now) => {}
        TenderState::Published => return Err(TenderError::WrongState { state: "closed" }),
        TenderState::Draft => return Err(TenderError::WrongState { state: "draft" }),
        TenderState::Cancelled => return Err(TenderError::WrongState { state: "cancelled" }),
    }
    check_version(&tender, new.version)?;
    if new.changes.is_empty() && new.documents.is_empty() && new.body.as_str().is_empty() {
        return Err(invalid(
            "changes",
            "empty_amendment",
            "an amendment changes something, issues a document or explains in its body",
        ));
    }
    let changes_schedule_or_money = new.changes.bid_deadline.is_some()
        || new.changes.docs_to.is_some()
        || new.changes.clarification_deadline.is_some()
        || !new.changes.lots.is_empty()
        || new.changes.evaluation_method.is_some();
    if changes_schedule_or_money && !new.affects_bids && new.kind == AmendmentKind::Clarification {
        // A changed deadline, price or method always affects bid preparation.
        return Err(invalid(
            "affects_bids",
            "changes_affect_bids",
            "changes to the schedule, lots or evaluation method affect how bids are prepared",
        ));
    }
    let next = new
        .changes
        .apply(&tender.spec)
        .map_err(|(field, value)| TenderError::Invalid { field, value })?;
    let affects = new.affects_bids || changes_schedule_or_money;
    let violations = check_amendment(&tender, &next, affects, now);
    if !violations.is_empty() {
        return Err(TenderError::Law(violations));
    }
    for (i, doc) in new.documents.iter().enumerate() {
        let d = app.store.get_document(doc).await.ok();
        if !d.is_some_and(|d| d.tender_id == tender.id && d.state == DocumentState::Staged) {
            return Err(invalid(
                &format!("documents[{i}]"),
                "not_staged",
                "name documents uploaded to this tender and not yet issued",
            ));
        }
    }
    let number = app.store.list_amendments(id).await?.len() as i64 + 1;
    let amendment = Amendment {
        id: AmendmentId::generate(),
        tender_id: tender.id.clone(),
        number,
        kind: new.kind,
        summary: new.summary,
        body: new.body,
        affects_bids: affects,
        changes: new.changes,
        previous_bid_deadline: tender.spec.schedule.bid_deadline,
        documents: new.documents,
        published_at: now,
    };
    tender.spec = next;
    tender.version += 1;
    tender.updated_at = now;
    let audit = AuditEvent::new(
        "tender_amended",
        Some(&tender.id),
        actor.into(),
        now,
        json!({ "version": tender.version, "amendment": amendment }),
    );
    versioned(
        app,
        id,
        app.store.add_amendment(&tender, &amendment, &audit).await,
    )
    .await?;
    app.board.invalidate();
    if amendment.changes.bid_deadline.is_some() {
        crate::bids::service::hold_time_release_until_deadline(app, &tender).await;
    }
    Ok(Amended { tender, amendment })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelTender {
    pub version: i64,
    #[schema(value_type = String)]
    pub reason: Line<1, 500>,
}

/// Cancels a draft or a tender still open for bids (终止招标); the reason is public.
pub async fn cancel(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    req: CancelTender,
) -> Result<Tender, TenderError> {
    let mut tender = load_managed(app, actor, id).await?;
    let now = app.clock.now();
    match tender.state {
        TenderState::Draft => {}
        TenderState::Published if tender.is_bidding_open(now) => {}
        TenderState::Published => return Err(TenderError::WrongState { state: "closed" }),
        TenderState::Cancelled => return Err(TenderError::WrongState { state: "cancelled" }),
    }
    check_version(&tender, req.version)?;
    tender.state = TenderState::Cancelled;
    tender.version += 1;
    tender.updated_at = now;
    let audit = AuditEvent::new(
        "tender_cancelled",
        Some(&tender.id),
        actor.into(),
        now,
        json!({ "version": tender.version, "reason": req.reason.as_str() }),
    );
    versioned(app, id, app.store.save_tender(&tender, &audit).await).await?;
    app.board.invalidate();
    Ok(tender)
}

// ---------------------------------------------------------------------------------------------
// documents

/// Streams a document into storage and attaches it: to a draft directly, to a published tender as
/// staged until an amendment issues it.
pub async fn upload_document(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    name: &str,
    media_type: &str,
    body: ByteStream,
) -> Result<TenderDocument, TenderError> {
    let name: Line<1, 200> = Line::parse(name).map_err(|value| TenderError::Invalid {
        field: "name".into(),
        value,
    })?;
    if name.as_str().contains(['/', '\\']) {
        return Err(invalid(
            "name",
            "path_in_name",
            "a file name has no folders",
        ));
    }
    let media_type = media_type.trim();
    if media_type.is_empty()
        || media_type.len() > 100
        || !media_type.contains('/')
        || media_type.chars().any(|c| c.is_control())
    {
        return Err(invalid(
            "content-type",
            "bad_media_type",
            "send the file with its media type, e.g. application/pdf",
        ));
    }
    let tender = load_managed(app, actor, id).await?;
    let now = app.clock.now();
    let state = match tender.state {
        TenderState::Draft => DocumentState::Draft,
        TenderState::Published if tender.is_bidding_open(now) => DocumentState::Staged,
        TenderState::Published => return Err(TenderError::WrongState { state: "closed" }),
        TenderState::Cancelled => return Err(TenderError::WrongState { state: "cancelled" }),
    };
    let limit = app.config.max_document_mib * 1024 * 1024;
    let blob = app.blobs.put(body, limit).await.map_err(|e| match e {
        BlobError::TooLarge { limit } => TenderError::DocumentTooLarge { limit_bytes: limit },
        other => TenderError::Blob(other.to_string()),
    })?;
    let doc = TenderDocument {
        id: DocumentId::generate(),
        tender_id: tender.id.clone(),
        name,
        media_type: media_type.to_string(),
        sha256: blob.sha256,
        size: blob.size as i64,
        state,
        amendment_id: None,
        uploaded_at: now,
    };
    let audit = AuditEvent::new(
        "tender_document_uploaded",
        Some(&tender.id),
        actor.into(),
        now,
        json!({ "document": doc.id, "name": doc.name.as_str(), "sha256": doc.sha256, "size": doc.size, "state": doc.state }),
    );
    app.store.add_document(&doc, &audit).await?;
    Ok(doc)
}

/// The documents the actor may see: issued ones for everyone who may see the tender, all of them
/// for those who run it.
pub async fn documents(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Vec<TenderDocument>, TenderError> {
    let tender = app.store.get_tender(id).await?;
    let r = Relations::of(actor, &tender);
    check(app, Action::SeeTender, &r, &tender)?;
    let all = access::allows(
        Action::ReadDocument { issued: false },
        &r,
        &tender,
        app.clock.now(),
    );
    let docs = app.store.list_documents(id).await?;
    Ok(docs
        .into_iter()
        .filter(|d| all || d.state == DocumentState::Published)
        .collect())
}

/// A document's content may be read by those who run the tender, the platform and the tender's
/// supervisor; a tenderer once it has obtained the documents.
pub async fn open_document(
    app: &AppState,
    actor: &Actor,
    id: &DocumentId,
) -> Result<(TenderDocument, crate::blobs::BlobReader), TenderError> {
    let doc = app.store.get_document(id).await?;
    let tender = app.store.get_tender(&doc.tender_id).await?;
    let issued = doc.state == DocumentState::Published;
    let r = Relations::of(Some(actor), &tender);
    check(app, Action::SeeTender, &r, &tender)?;
    if !access::allows(
        Action::ReadDocument { issued },
        &r,
        &tender,
        app.clock.now(),
    ) {
        let obtained = actor.role == Role::Tenderer
            && app
                .store
                .find_obtained(&tender.id, &actor.org_id)
                .await?
                .is_some();
        if actor.role == Role::Tenderer && issued && !obtained {
            return Err(TenderError::NotObtained);
        }
        check(
            app,
            Action::ReadDocument { issued },
            &r.with_obtained(obtained),
            &tender,
        )?;
    }
    let file = app
        .blobs
        .open(&doc.sha256)
        .await
        .map_err(|e| TenderError::Blob(e.to_string()))?;
    Ok((doc, file))
}

// ---------------------------------------------------------------------------------------------
// obtaining the documents (confidential until the opening)

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ObtainReceipt {
    #[schema(value_type = String)]
    pub tender_id: TenderId,
    #[schema(value_type = String)]
    pub obtained_at: Timestamp,
    /// SHA-256(salt ‖ org id) as logged; the salt is published at the opening.
    pub commitment: String,
    /// The salt, for the tenderer's own records, so it can check the log itself.
    pub salt: String,
    /// `false` if the tenderer had already obtained them.
    pub first_time: bool,
}

pub async fn obtain(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<ObtainReceipt, TenderError> {
    let tender = app.store.get_tender(id).await?;
    check(
        app,
        Action::ObtainDocuments,
        &Relations::of(Some(actor), &tender),
        &tender,
    )?;
    let now = app.clock.now();
    let s = &tender.spec.schedule;
    if !tender.documents_on_sale(now) {
        return Err(TenderError::DocumentsNotOnSale {
            from: s.docs_from.shanghai(),
            to: s.docs_to.shanghai(),
        });
    }
    // An organisation under red credit punishment (信用惩戒) may not bid while it is in force.
    match crate::registry::service::check_may_bid(app, &actor.org_id, now).await {
        Ok(()) => {}
        Err(crate::registry::service::RegistryError::Store(e)) => return Err(e.into()),
        Err(e) => return Err(TenderError::Forbidden(e.to_string())),
    }
    // Sealed: the log learns neither who nor for which tender until the opening (法 第二十二条).
    let audit = AuditEvent::sealed(
        "tender_documents_obtained",
        &tender.id,
        actor.into(),
        now,
        json!({}),
    );
    let o = Obtained::new(tender.id.clone(), actor.org_id.clone(), now, &audit);
    let first_time = app.store.record_obtained(&o, &audit).await?;
    let o = if first_time {
        o
    } else {
        app.store
            .find_obtained(id, &actor.org_id)
            .await?
            .ok_or(TenderError::Store(StoreError::NotFound))?
    };
    Ok(ObtainReceipt {
        tender_id: o.tender_id,
        obtained_at: o.obtained_at,
        commitment: o.commitment,
        salt: hex::encode(o.salt),
        first_time,
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Obtainer {
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub org_name: String,
    #[schema(value_type = String)]
    pub obtained_at: Timestamp,
    pub commitment: String,
    pub salt: String,
}

/// Who obtained the documents: the platform at any time; the agent, owner and the tender's
/// supervisor only after the opening (法 art. 22).
pub async fn obtainers(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<Obtainer>, TenderError> {
    let tender = app.store.get_tender(id).await?;
    check(
        app,
        Action::SeeObtainers,
        &Relations::of(Some(actor), &tender),
        &tender,
    )?;
    let mut out = Vec::new();
    for o in app.store.list_obtained(id).await? {
        let org_name = app
            .store
            .get_organisation(&o.org_id)
            .await
            .map(|org| org.name.as_str().to_string())
            .unwrap_or_default();
        out.push(Obtainer {
            org_id: o.org_id,
            org_name,
            obtained_at: o.obtained_at,
            commitment: o.commitment,
            salt: hex::encode(o.salt),
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// reading

/// A tender as the actor may see it (404 for a draft the actor does not run).
pub async fn view(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Tender, TenderError> {
    let tender = app.store.get_tender(id).await?;
    check(
        app,
        Action::SeeTender,
        &Relations::of(actor, &tender),
        &tender,
    )?;
    Ok(tender)
}

pub async fn amendments(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Vec<Amendment>, TenderError> {
    view(app, actor, id).await?;
    Ok(app.store.list_amendments(id).await?)
}

/// The tenders the actor's organisation runs, as owner or agent.
pub async fn my_tenders(app: &AppState, actor: &Actor) -> Result<Vec<Tender>, TenderError> {
    if !matches!(actor.role, Role::Owner | Role::Agent) {
        return Err(forbidden("the workspace is for owners and agents"));
    }
    Ok(app.store.list_tenders_of_org(&actor.org_id).await?)
}
