//! The use cases of disputes: ask and answer questions, raise and answer objections to the
//! documents, file complaints and the supervisor's acceptance and decision, and what each viewer
//! sees of them. Each checks who acts, then the law, then writes one transaction with its audit
//! entry (sealed while it names a tenderer before the bid deadline). Who asked, objected or
//! complained is never shown to anyone who may not know the tenderers (招标投标法 第二十二条).
//! The protocol: docs/disputes.md.

use super::law::{self, Refusal};
use super::model::{
    Acceptance, Answer, Complaint, ComplaintId, ComplaintState, Decision, DocumentObjection,
    Matter, ObjectionId, PriorObjection, Question, QuestionId, Statement,
};
use crate::app::AppState;
use crate::auditlog::AuditEvent;
use crate::domain::{InvalidValue, Line, OrgId, TenderId, Timestamp};
use crate::identity::{Actor, Role};
use crate::store::StoreError;
use crate::tenders::access::{self, Action, Denied, Relations};
use crate::tenders::model::{Tender, TenderState};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum DisputeError {
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("obtain the tender documents first: questions, objections and complaints are made by tenderers that obtained them")]
    NotObtained,
    #[error("not possible while the tender is {state}")]
    WrongState { state: &'static str },
    #[error("{field}: {value}")]
    Invalid { field: String, value: InvalidValue },
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error(transparent)]
    Access(#[from] Denied),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for DisputeError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => DisputeError::NotFound("tender"),
            other => DisputeError::Store(other),
        }
    }
}

const TENDERERS_ONLY: &str = "questions, objections and complaints about a tender are made by \
     tenderers that obtained its documents (实施条例 第二十二条、第六十条)";
const HOSTS_ANSWER: &str =
    "only the tender's owner or its agent answers questions and objections (实施条例 第二十二条)";
const SUPERVISOR_DECIDES: &str = "only the supervising department the complaint is addressed to \
     accepts and decides it (实施条例 第六十一条)";

// ---------------------------------------------------------------------------------------------
// inputs

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    /// 1 to 5000 characters.
    #[schema(value_type = String, min_length = 1, max_length = 5000)]
    pub text: Statement,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaint {
    pub matter: Matter,
    /// What is complained of and what is asked for, 1 to 5000 characters.
    #[schema(value_type = String, min_length = 1, max_length = 5000)]
    pub text: Statement,
    /// When the complainant knew, or should have known, of the matter (its 10 days run from here).
    #[schema(value_type = String, format = DateTime)]
    pub knew_at: Timestamp,
    /// For `documents`: the complainant's objection to the documents it follows.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub objection_id: Option<ObjectionId>,
    /// For `opening` and `candidates`: the objection raised there, as the complainant names it.
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 500)]
    pub objection_reference: Option<Line<1, 500>>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptanceInput {
    /// `true`: accepted (受理); `false`: rejected (不予受理), with a reason.
    pub accept: bool,
    #[serde(default)]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 5000)]
    pub reason: Option<Statement>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    /// Whether the complaint is founded (投诉成立).
    pub upheld: bool,
    /// The written decision (书面处理决定), 1 to 5000 characters.
    #[schema(value_type = String, min_length = 1, max_length = 5000)]
    pub text: Statement,
}

// ---------------------------------------------------------------------------------------------
// views

/// A question as the caller may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    #[schema(value_type = String)]
    pub id: QuestionId,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub asked_at: Timestamp,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
    /// Asked by the caller's own organisation.
    pub mine: bool,
    /// Who asked: for the trading centre, and the owner, agent and supervisor from the bid
    /// deadline on (招标投标法 第二十二条); the asker knows itself by `mine`.
    pub asker: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QuestionsView {
    /// Questions are taken until then (the clarification deadline).
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
    /// Answered questions for everyone (the published clarifications); the caller's own; all of
    /// them for the owner, agent, supervisor and trading centre.
    pub questions: Vec<QuestionView>,
}

/// An objection to the documents as the caller may see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObjectionView {
    #[schema(value_type = String)]
    pub id: ObjectionId,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub raised_at: Timestamp,
    /// The last instant of the owner's 3 days to answer (实施条例 第二十二条).
    #[schema(value_type = String, format = DateTime)]
    pub answer_due: Timestamp,
    pub answer: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub answered_at: Option<Timestamp>,
    /// Answered after its 3 days.
    pub late: bool,
    /// Unanswered and past its 3 days.
    pub overdue: bool,
    pub mine: bool,
    /// Who objected, on the same terms as a question's asker.
    pub objector: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ObjectionsView {
    /// Objections to the documents are taken until then: 10 days before the bid deadline.
    #[schema(value_type = String, format = DateTime)]
    pub until: Timestamp,
    /// An objection awaits its answer, and until then the tendering should wait for it
    /// (实施条例 第二十二条: 作出答复前，应当暂停招标投标活动).
    pub pending: bool,
    /// Answered objections for everyone; the caller's own; all of them for the parties who run
    /// or supervise the tender.
    pub objections: Vec<ObjectionView>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AcceptanceView {
    pub accepted: bool,
    /// Why: for the complainant, the owner, the agent, the supervisor and the trading centre.
    pub reason: Option<String>,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// After the 3 working days.
    pub late: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    pub upheld: bool,
    pub text: String,
    #[schema(value_type = String, format = DateTime)]
    pub at: Timestamp,
    /// After the 30 working days.
    pub late: bool,
}

/// A complaint as the caller may see it: that it exists, its state and its decision for
/// everyone; what it says for the parties; who made it for the complainant, the supervisor and
/// the trading centre, and for the owner and agent from the bid deadline on (法22).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplaintView {
    #[schema(value_type = String)]
    pub id: ComplaintId,
    #[schema(value_type = String)]
    pub tender_id: TenderId,
    pub tender_title: String,
    pub matter: Matter,
    pub state: ComplaintState,
    #[schema(value_type = String, format = DateTime)]
    pub received_at: Timestamp,
    /// The last instant to accept or reject it: 3 working days (实施条例 第六十一条).
    #[schema(value_type = String, format = DateTime)]
    pub acceptance_due: Timestamp,
    /// The last instant to decide, once accepted: 30 working days (实施条例 第六十一条).
    #[schema(value_type = Option<String>, format = DateTime)]
    pub decision_due: Option<Timestamp>,
    /// Unanswered past its due time (acceptance, or decision once accepted).
    pub overdue: bool,
    pub mine: bool,
    pub complainant: Option<String>,
    pub text: Option<String>,
    #[schema(value_type = Option<String>, format = DateTime)]
    pub knew_at: Option<Timestamp>,
    #[schema(value_type = Option<String>)]
    pub objection_id: Option<ObjectionId>,
    pub objection_reference: Option<String>,
    pub acceptance: Option<AcceptanceView>,
    pub decision: Option<DecisionView>,
}

// ---------------------------------------------------------------------------------------------
// who the caller is to the tender

struct Viewer<'a> {
    actor: Option<&'a Actor>,
    r: Relations,
    /// May know which tenderers take part (招标投标法 第二十二条).
    knows_tenderers: bool,
    names: BTreeMap<OrgId, String>,
}

impl<'a> Viewer<'a> {
    fn of(app: &AppState, actor: Option<&'a Actor>, t: &Tender) -> Self {
        let r = Relations::of(actor, t);
        Viewer {
            actor,
            knows_tenderers: access::allows(Action::SeeObtainers, &r, t, app.clock.now()),
            r,
            names: BTreeMap::new(),
        }
    }

    fn own(&self, org: &OrgId) -> bool {
        self.actor
            .is_some_and(|a| a.role == Role::Tenderer && &a.org_id == org)
    }

    /// Sees every dispute of the tender, answered or not: those who run or supervise it.
    fn hall(&self) -> bool {
        self.r.manages() || self.r.supervisor || self.r.platform
    }

    async fn name(&mut self, app: &AppState, org: &OrgId) -> String {
        if let Some(n) = self.names.get(org) {
            return n.clone();
        }
        let name = match app.store.get_organisation(org).await {
            Ok(o) => o.name.as_str().to_string(),
            Err(_) => org.to_string(),
        };
        self.names.insert(org.clone(), name.clone());
        name
    }

    /// The party's name, for those who may know it.
    async fn party(&mut self, app: &AppState, org: &OrgId, entitled: bool) -> Option<String> {
        if entitled || self.own(org) {
            Some(self.name(app, org).await)
        } else {
            None
        }
    }
}

/// The tender, if the caller may see it (a draft is for those who run it).
async fn load(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Tender, DisputeError> {
    let t = app.store.get_tender(id).await?;
    access::may(
        Action::SeeTender,
        &Relations::of(actor, &t),
        &t,
        app.clock.now(),
    )?;
    Ok(t)
}

/// A tenderer that obtained the documents.
async fn check_obtained(app: &AppState, actor: &Actor, t: &Tender) -> Result<(), DisputeError> {
    if actor.role != Role::Tenderer {
        return Err(DisputeError::Forbidden(TENDERERS_ONLY));
    }
    if app
        .store
        .find_obtained(&t.id, &actor.org_id)
        .await?
        .is_none()
    {
        return Err(DisputeError::NotObtained);
    }
    Ok(())
}

fn check_published(t: &Tender) -> Result<(), DisputeError> {
    match t.state {
        TenderState::Published => Ok(()),
        TenderState::Draft => Err(DisputeError::WrongState { state: "draft" }),
        TenderState::Cancelled => Err(DisputeError::WrongState { state: "cancelled" }),
    }
}

fn check_manages(actor: &Actor, t: &Tender) -> Result<(), DisputeError> {
    if !Relations::of(Some(actor), t).manages() {
        return Err(DisputeError::Forbidden(HOSTS_ANSWER));
    }
    Ok(())
}

fn answer_of(actor: &Actor, input: TextInput, at: Timestamp) -> Answer {
    Answer {
        text: input.text,
        by_org: actor.org_id.clone(),
        by_user: actor.user_id.clone(),
        at,
    }
}

/// A lost race on a write that happens once is the rule's refusal, not a bare conflict.
fn once(written: Result<(), StoreError>, refusal: Refusal) -> Result<(), DisputeError> {
    match written {
        Err(StoreError::Conflict(_)) => Err(refusal.into()),
        other => Ok(other?),
    }
}

// ---------------------------------------------------------------------------------------------
// questions

/// A tenderer that obtained the documents asks a question, until the clarification deadline.
pub async fn ask(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TextInput,
) -> Result<QuestionView, DisputeError> {
    let t = load(app, Some(actor), id).await?;
    check_obtained(app, actor, &t).await?;
    check_published(&t)?;
    let now = app.clock.now();
    law::check_question(&t, now)?;
    let q = Question {
        id: QuestionId::generate(),
        tender_id: t.id.clone(),
        org_id: actor.org_id.clone(),
        user_id: actor.user_id.clone(),
        text: input.text,
        asked_at: now,
        answer: None,
    };
    let audit = AuditEvent::about_a_tenderer(
        "question_asked",
        &t.id,
        t.spec.schedule.bid_deadline,
        actor.into(),
        now,
        json!({ "question": q.id, "text": q.text.as_str() }),
    );
    app.store.add_question(&q, &audit).await?;
    let mut v = Viewer::of(app, Some(actor), &t);
    Ok(question_view(app, &mut v, &q).await)
}

/// The owner or agent answers a question, before the bid deadline; the answer is published at
/// once as a clarification that does not say who asked.
pub async fn answer_question(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    question: &str,
    input: TextInput,
) -> Result<QuestionView, DisputeError> {
    let t = load(app, Some(actor), id).await?;
    check_manages(actor, &t)?;
    let qid = QuestionId::parse(question).map_err(|_| DisputeError::NotFound("question"))?;
    let q = app
        .store
        .questions(&t.id)
        .await?
        .into_iter()
        .find(|q| q.id == qid)
        .ok_or(DisputeError::NotFound("question"))?;
    check_published(&t)?;
    let now = app.clock.now();
    if !t.is_bidding_open(now) {
        return Err(DisputeError::WrongState { state: "closed" });
    }
    let q = q.answered(answer_of(actor, input, now))?;
    let text = q.answer.as_ref().map(|a| a.text.as_str()).unwrap_or("");
    let audit = AuditEvent::new(
        "question_answered",
        Some(&t.id),
        actor.into(),
        now,
        json!({ "question": q.id, "answer": text }),
    );
    once(
        app.store.answer_question(&q, &audit).await,
        Refusal::AlreadyAnswered,
    )?;
    let mut v = Viewer::of(app, Some(actor), &t);
    Ok(question_view(app, &mut v, &q).await)
}

async fn question_view(app: &AppState, v: &mut Viewer<'_>, q: &Question) -> QuestionView {
    let entitled = v.knows_tenderers;
    QuestionView {
        id: q.id.clone(),
        text: q.text.as_str().to_string(),
        asked_at: q.asked_at,
        answer: q.answer.as_ref().map(|a| a.text.as_str().to_string()),
        answered_at: q.answer.as_ref().map(|a| a.at),
        mine: v.own(&q.org_id),
        asker: v.party(app, &q.org_id, entitled).await,
    }
}

/// The tender's questions as the caller may see them, oldest first.
pub async fn questions(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<QuestionsView, DisputeError> {
    let t = load(app, actor, id).await?;
    let mut v = Viewer::of(app, actor, &t);
    let mut out = Vec::new();
    for q in app.store.questions(&t.id).await? {
        if q.answer.is_some() || v.hall() || v.own(&q.org_id) {
            out.push(question_view(app, &mut v, &q).await);
        }
    }
    Ok(QuestionsView {
        until: t.spec.schedule.clarification_deadline,
        questions: out,
    })
}

// ---------------------------------------------------------------------------------------------
// objections to the documents

/// A tenderer that obtained the documents objects to them, at least 10 days before the deadline.
pub async fn object(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TextInput,
) -> Result<ObjectionView, DisputeError> {
    let t = load(app, Some(actor), id).await?;
    check_obtained(app, actor, &t).await?;
    check_published(&t)?;
    let now = app.clock.now();
    law::check_objection(&t, now)?;
    let o = DocumentObjection {
        id: ObjectionId::generate(),
        tender_id: t.id.clone(),
        org_id: actor.org_id.clone(),
        user_id: actor.user_id.clone(),
        text: input.text,
        raised_at: now,
        answer: None,
    };
    let audit = AuditEvent::about_a_tenderer(
        "document_objection_raised",
        &t.id,
        t.spec.schedule.bid_deadline,
        actor.into(),
        now,
        json!({ "objection": o.id, "text": o.text.as_str(), "answer_due": o.answer_due() }),
    );
    app.store.add_objection(&o, &audit).await?;
    let mut v = Viewer::of(app, Some(actor), &t);
    Ok(objection_view(app, &mut v, &o, now).await)
}

/// The owner or agent answers an objection; after its 3 days the answer is recorded as late.
pub async fn answer_objection(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    objection: &str,
    input: TextInput,
) -> Result<ObjectionView, DisputeError> {
    let t = load(app, Some(actor), id).await?;
    check_manages(actor, &t)?;
    let oid = ObjectionId::parse(objection).map_err(|_| DisputeError::NotFound("objection"))?;
    let o = app
        .store
        .objections(&t.id)
        .await?
        .into_iter()
        .find(|o| o.id == oid)
        .ok_or(DisputeError::NotFound("objection"))?;
    check_published(&t)?;
    let now = app.clock.now();
    let o = o.answered(answer_of(actor, input, now))?;
    let text = o.answer.as_ref().map(|a| a.text.as_str()).unwrap_or("");
    let audit = AuditEvent::new(
        "document_objection_answered",
        Some(&t.id),
        actor.into(),
        now,
        json!({ "objection": o.id, "answer": text, "due": o.answer_due(), "late": o.answered_late() }),
    );
    once(
        app.store.answer_objection(&o, &audit).await,
        Refusal::AlreadyAnswered,
    )?;
    let mut v = Viewer::of(app, Some(actor), &t);
    Ok(objection_view(app, &mut v, &o, now).await)
}

async fn objection_view(
    app: &AppState,
    v: &mut Viewer<'_>,
    o: &DocumentObjection,
    now: Timestamp,
) -> ObjectionView {
    let entitled = v.knows_tenderers;
    ObjectionView {
        id: o.id.clone(),
        text: o.text.as_str().to_string(),
        raised_at: o.raised_at,
        answer_due: o.answer_due(),
        answer: o.answer.as_ref().map(|a| a.text.as_str().to_string()),
        answered_at: o.answer.as_ref().map(|a| a.at),
        late: o.answered_late(),
        overdue: o.pending() && now > o.answer_due(),
        mine: v.own(&o.org_id),
        objector: v.party(app, &o.org_id, entitled).await,
    }
}

/// The tender's objections to its documents as the caller may see them, oldest first, and
/// whether one awaits its answer.
pub async fn objections(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<ObjectionsView, DisputeError> {
    let t = load(app, actor, id).await?;
    let now = app.clock.now();
    let mut v = Viewer::of(app, actor, &t);
    let all = app.store.objections(&t.id).await?;
    let mut out = Vec::new();
    for o in &all {
        if o.answer.is_some() || v.hall() || v.own(&o.org_id) {
            out.push(objection_view(app, &mut v, o, now).await);
        }
    }
    Ok(ObjectionsView {
        until: law::objection_latest(&t),
        pending: t.state == TenderState::Published && all.iter().any(|o| o.pending()),
        objections: out,
    })
}

// ---------------------------------------------------------------------------------------------
// complaints

/// A tenderer that obtained the documents complains to the tender's supervising department,
/// within 10 days of knowing, after an objection where the law asks for one.
pub async fn complain(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: NewComplaint,
) -> Result<ComplaintView, DisputeError> {
    let t = load(app, Some(actor), id).await?;
    check_obtained(app, actor, &t).await?;
    let now = app.clock.now();
    let NewComplaint {
        matter,
        text,
        knew_at,
        objection_id,
        objection_reference,
    } = input;
    let prior = match matter {
        Matter::Documents => objection_id.map(PriorObjection::Document),
        Matter::Opening | Matter::Candidates => objection_reference.map(PriorObjection::Reference),
        Matter::Other => objection_id
            .map(PriorObjection::Document)
            .or(objection_reference.map(PriorObjection::Reference)),
    };
    if prior.is_none() && law::needs_prior_objection(matter) {
        return Err(Refusal::PriorObjectionRequired { matter }.into());
    }
    let objection = match &prior {
        Some(PriorObjection::Document(oid)) => {
            let o = app
                .store
                .objections(&t.id)
                .await?
                .into_iter()
                .find(|o| &o.id == oid && o.org_id == actor.org_id)
                .ok_or(Refusal::UnknownObjection)?;
            Some((o.raised_at, o.answer.map(|a| a.at)))
        }
        _ => None,
    };
    law::check_complaint(knew_at, objection, now)?;
    let c = Complaint {
        id: ComplaintId::generate(),
        tender_id: t.id.clone(),
        supervisor_org_id: t.spec.supervisor_org_id.clone(),
        org_id: actor.org_id.clone(),
        user_id: actor.user_id.clone(),
        matter,
        text,
        knew_at,
        prior,
        received_at: now,
        acceptance: None,
        decision: None,
    };
    let (objection_id, reference) = prior_columns(&c.prior);
    let audit = AuditEvent::about_a_tenderer(
        "complaint_filed",
        &t.id,
        t.spec.schedule.bid_deadline,
        actor.into(),
        now,
        json!({
            "complaint": c.id, "supervisor": c.supervisor_org_id, "matter": c.matter,
            "text": c.text.as_str(), "knew_at": c.knew_at, "objection": objection_id,
            "objection_reference": reference, "acceptance_due": c.acceptance_due(),
        }),
    );
    app.store.add_complaint(&c, &audit).await?;
    let mut v = Viewer::of(app, Some(actor), &t);
    Ok(complaint_view(app, &mut v, &t, &c, now).await)
}

/// The prior objection as the store and the log keep it: the objection's id, or the reference.
pub fn prior_columns(prior: &Option<PriorObjection>) -> (Option<String>, Option<String>) {
    match prior {
        Some(PriorObjection::Document(id)) => (Some(id.to_string()), None),
        Some(PriorObjection::Reference(r)) => (None, Some(r.as_str().to_string())),
        None => (None, None),
    }
}

/// The complaint the supervisor acts on: the tender's supervisor, addressed by the complaint.
async fn addressed(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    complaint: &str,
) -> Result<(Tender, Complaint), DisputeError> {
    let t = load(app, Some(actor), id).await?;
    if !Relations::of(Some(actor), &t).supervisor {
        return Err(DisputeError::Forbidden(SUPERVISOR_DECIDES));
    }
    let cid = ComplaintId::parse(complaint).map_err(|_| DisputeError::NotFound("complaint"))?;
    let c = app
        .store
        .complaints(&t.id)
        .await?
        .into_iter()
        .find(|c| c.id == cid)
        .ok_or(DisputeError::NotFound("complaint"))?;
    if c.supervisor_org_id != actor.org_id {
        return Err(DisputeError::Forbidden(SUPERVISOR_DECIDES));
    }
    Ok((t, c))
}

/// Writes the complaint's new state if nobody moved it meanwhile; otherwise says where it is.
async fn save_complaint(
    app: &AppState,
    c: &Complaint,
    from: ComplaintState,
    audit: &AuditEvent,
) -> Result<(), DisputeError> {
    match app.store.update_complaint(c, from, audit).await {
        Err(StoreError::Conflict(_)) => {
            let state = app
                .store
                .complaints(&c.tender_id)
                .await?
                .into_iter()
                .find(|x| x.id == c.id)
                .map_or(from, |x| x.state());
            Err(Refusal::ComplaintWrongState { state }.into())
        }
        other => Ok(other?),
    }
}

/// The supervisor accepts (受理) or rejects (不予受理, with its reason) a complaint; after 3
/// working days the answer is recorded as late.
pub async fn accept(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    complaint: &str,
    input: AcceptanceInput,
) -> Result<ComplaintView, DisputeError> {
    let (t, c) = addressed(app, actor, id, complaint).await?;
    let now = app.clock.now();
    let from = c.state();
    let c = c
        .with_acceptance(Acceptance {
            accepted: input.accept,
            reason: input.reason,
            by_user: actor.user_id.clone(),
            at: now,
        })
        .map_err(|r| match r {
            Refusal::RejectionNeedsReason => DisputeError::Invalid {
                field: "reason".into(),
                value: InvalidValue::new("required", r.to_string()),
            },
            other => other.into(),
        })?;
    let due = c.acceptance_due();
    let audit = AuditEvent::new(
        if input.accept {
            "complaint_accepted"
        } else {
            "complaint_rejected"
        },
        Some(&t.id),
        actor.into(),
        now,
        json!({
            "complaint": c.id,
            "reason": c.acceptance.as_ref().and_then(|a| a.reason.as_ref()).map(Statement::as_str),
            "due": due, "late": now > due, "decision_due": c.decision_due(),
        }),
    );
    save_complaint(app, &c, from, &audit).await?;
    let mut v = Viewer::of(app, Some(actor), &t);
    Ok(complaint_view(app, &mut v, &t, &c, now).await)
}

/// The supervisor's written decision on an accepted complaint; after 30 working days it is
/// recorded as late.
pub async fn decide(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    complaint: &str,
    input: DecisionInput,
) -> Result<ComplaintView, DisputeError> {
    let (t, c) = addressed(app, actor, id, complaint).await?;
    let now = app.clock.now();
    let from = c.state();
    let due = c.decision_due();
    let c = c.with_decision(Decision {
        upheld: input.upheld,
        text: input.text,
        by_user: actor.user_id.clone(),
        at: now,
    })?;
    let audit = AuditEvent::new(
        "complaint_decided",
        Some(&t.id),
        actor.into(),
        now,
        json!({
            "complaint": c.id, "upheld": input.upheld,
            "decision": c.decision.as_ref().map(|d| d.text.as_str()),
            "due": due, "late": due.is_some_and(|d| now > d),
        }),
    );
    save_complaint(app, &c, from, &audit).await?;
    let mut v = Viewer::of(app, Some(actor), &t);
    Ok(complaint_view(app, &mut v, &t, &c, now).await)
}

async fn complaint_view(
    app: &AppState,
    v: &mut Viewer<'_>,
    t: &Tender,
    c: &Complaint,
    now: Timestamp,
) -> ComplaintView {
    let addressee = v
        .actor
        .is_some_and(|a| a.role == Role::Supervisor && a.org_id == c.supervisor_org_id);
    let mine = v.own(&c.org_id);
    let party = mine || addressee || v.r.manages() || v.r.platform;
    let names = addressee || v.r.platform || (v.r.manages() && v.knows_tenderers);
    let (objection_id, reference) = prior_columns(&c.prior);
    let decision_due = c.decision_due();
    let overdue = match c.state() {
        ComplaintState::Received => now > c.acceptance_due(),
        ComplaintState::Accepted => decision_due.is_some_and(|d| now > d),
        ComplaintState::Rejected | ComplaintState::Decided => false,
    };
    ComplaintView {
        id: c.id.clone(),
        tender_id: c.tender_id.clone(),
        tender_title: t.spec.title.as_str().to_string(),
        matter: c.matter,
        state: c.state(),
        received_at: c.received_at,
        acceptance_due: c.acceptance_due(),
        decision_due,
        overdue,
        mine,
        complainant: v.party(app, &c.org_id, names).await,
        text: party.then(|| c.text.as_str().to_string()),
        knew_at: party.then_some(c.knew_at),
        objection_id: if party {
            objection_id.map(ObjectionId::from_stored)
        } else {
            None
        },
        objection_reference: if party { reference } else { None },
        acceptance: c.acceptance.as_ref().map(|a| AcceptanceView {
            accepted: a.accepted,
            reason: a
                .reason
                .as_ref()
                .filter(|_| party)
                .map(|r| r.as_str().to_string()),
            at: a.at,
            late: a.at > c.acceptance_due(),
        }),
        decision: c.decision.as_ref().map(|d| DecisionView {
            upheld: d.upheld,
            text: d.text.as_str().to_string(),
            at: d.at,
            late: decision_due.is_some_and(|due| d.at > due),
        }),
    }
}

/// The tender's complaints as the caller may see them, oldest first.
pub async fn complaints(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Vec<ComplaintView>, DisputeError> {
    let t = load(app, actor, id).await?;
    let now = app.clock.now();
    let mut v = Viewer::of(app, actor, &t);
    let mut out = Vec::new();
    for c in app.store.complaints(&t.id).await? {
        out.push(complaint_view(app, &mut v, &t, &c, now).await);
    }
    Ok(out)
}

/// Every complaint addressed to the caller's supervising department, newest first.
pub async fn supervised(app: &AppState, actor: &Actor) -> Result<Vec<ComplaintView>, DisputeError> {
    if actor.role != Role::Supervisor {
        return Err(DisputeError::Forbidden(
            "the complaints list is for supervising departments (行政监督部门)",
        ));
    }
    let now = app.clock.now();
    let mut tenders: BTreeMap<TenderId, Tender> = BTreeMap::new();
    let mut names = BTreeMap::new();
    let mut out = Vec::new();
    for c in app.store.complaints_to(&actor.org_id).await? {
        if !tenders.contains_key(&c.tender_id) {
            let t = app.store.get_tender(&c.tender_id).await?;
            tenders.insert(c.tender_id.clone(), t);
        }
        let t = &tenders[&c.tender_id];
        let mut v = Viewer::of(app, Some(actor), t);
        v.names = std::mem::take(&mut names);
        out.push(complaint_view(app, &mut v, t, &c, now).await);
        names = v.names;
    }
    out.reverse();
    Ok(out)
}
