//! The pages of disputes (docs/disputes.md): the tender page's section (published clarifications,
//! answered objections, complaints, and a tenderer's forms), `/tenders/{id}/questions` where the
//! owner or agent answers, and `/supervision/complaints` where a supervising department accepts,
//! rejects and decides. They read through `disputes::service`, so they show no more than the API.

use super::views::Page;
use crate::app::AppState;
use crate::disputes::law;
use crate::disputes::model::Matter;
use crate::disputes::service::{self, ComplaintView, QuestionView};
use crate::identity::{Actor, Role};
use crate::tenders::access::{Action, Relations};
use crate::tenders::model::{Tender, TenderState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde_json::{json, Value};

/// The first 40 characters of a text, for a choice in a list.
fn short(text: &str) -> String {
    let mut out: String = text.chars().take(40).collect();
    if text.chars().count() > 40 {
        out.push('…');
    }
    out.replace(['\n', '\r', '\t'], " ")
}

fn matters() -> Vec<&'static str> {
    Matter::ALL.iter().map(|m| m.as_str()).collect()
}

/// What the tender page's `_disputes.html` shows this viewer; `None` for a draft, or when the
/// store fails (logged: the rest of the page still shows).
pub async fn tender_section(app: &AppState, actor: Option<&Actor>, t: &Tender) -> Option<Value> {
    if t.state == TenderState::Draft {
        return None;
    }
    let read = tokio::try_join!(
        service::questions(app, actor, &t.id),
        service::objections(app, actor, &t.id),
        service::complaints(app, actor, &t.id),
    );
    let (questions, objections, complaints) = match read {
        Ok(found) => found,
        Err(e) => {
            tracing::error!(error = %e, "the tender page could not read its disputes");
            return None;
        }
    };
    let obtained = match actor.filter(|a| a.role == Role::Tenderer) {
        Some(a) => match app.store.find_obtained(&t.id, &a.org_id).await {
            Ok(o) => o.is_some(),
            Err(e) => {
                tracing::error!(error = %e, "the tender page could not read the obtainers");
                false
            }
        },
        None => false,
    };
    let now = app.clock.now();
    let published = t.state == TenderState::Published;
    let r = Relations::of(actor, t);
    let (clarifications, awaiting_questions): (Vec<&QuestionView>, Vec<&QuestionView>) =
        questions.questions.iter().partition(|q| q.answer.is_some());
    // A complaint about the documents names one of the tenderer's own objections.
    let my_objections: Vec<Value> = objections
        .objections
        .iter()
        .filter(|o| o.mine)
        .map(|o| json!({ "id": o.id, "raised_at": o.raised_at, "short": short(&o.text) }))
        .collect();
    Some(json!({
        "questions_until": questions.until,
        "objections_until": objections.until,
        "pending": objections.pending,
        "clarifications": clarifications,
        "awaiting_questions": awaiting_questions,
        "objections": objections.objections,
        "my_objections": my_objections,
        "complaints": complaints,
        "matters": matters(),
        "obtained": obtained,
        "can_ask": obtained && published && law::check_question(t, now).is_ok(),
        "can_object": obtained && published && law::check_objection(t, now).is_ok(),
        "can_complain": obtained,
        "manages": r.manages(),
        "supervises": r.supervisor,
    }))
}

/// `GET /tenders/{id}/questions`: the owner or agent reads every question and objection (never
/// who asked before the opening) and answers them.
pub async fn answers(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let tender = match page.tender(&app, &id, Action::Manage).await {
        Ok(t) => t,
        Err(refused) => return refused,
    };
    let actor = page.actor.as_ref();
    let read = tokio::try_join!(
        service::questions(&app, actor, &tender.id),
        service::objections(&app, actor, &tender.id),
    );
    let (questions, objections) = match read {
        Ok(found) => found,
        Err(e) => return failed(&page, e),
    };
    let now = app.clock.now();
    let ctx = context! {
        tender => &tender,
        questions => &questions,
        objections => &objections,
        can_answer_questions => tender.is_bidding_open(now),
        can_answer_objections => tender.state == TenderState::Published,
    };
    page.render(StatusCode::OK, "tender_questions.html", ctx)
}

/// `GET /supervision/complaints`: a supervising department's complaints, with the forms to
/// accept, reject and decide them.
pub async fn complaints(State(app): State<AppState>, page: Page) -> Response {
    let Some(actor) = page.actor.as_ref() else {
        return page.message(
            StatusCode::UNAUTHORIZED,
            "signin_needed_title",
            "signin_needed_body",
        );
    };
    if actor.role != Role::Supervisor {
        return page.message(
            StatusCode::FORBIDDEN,
            "not_for_you_title",
            "not_for_you_body",
        );
    }
    let list = match service::supervised(&app, actor).await {
        Ok(l) => l,
        Err(e) => return failed(&page, e),
    };
    // The objection each complaint about the documents follows, in its words.
    let mut items = Vec::new();
    for c in &list {
        items.push(json!({ "c": c, "objection": followed(&app, actor, c).await }));
    }
    let ctx = context! { complaints => items };
    page.render(StatusCode::OK, "complaints.html", ctx)
}

async fn followed(app: &AppState, actor: &Actor, c: &ComplaintView) -> Option<String> {
    let id = c.objection_id.as_ref()?;
    let objections = service::objections(app, Some(actor), &c.tender_id)
        .await
        .ok()?;
    objections
        .objections
        .into_iter()
        .find(|o| &o.id == id)
        .map(|o| o.text)
}

fn failed(page: &Page, e: service::DisputeError) -> Response {
    match e {
        service::DisputeError::Store(s) => page.store_failed(s),
        service::DisputeError::NotFound(_) | service::DisputeError::Access(_) => page.not_found(),
        other => {
            tracing::warn!(error = %other, "a disputes page was refused");
            page.message(
                StatusCode::FORBIDDEN,
                "not_for_you_title",
                "not_for_you_body",
            )
        }
    }
}
