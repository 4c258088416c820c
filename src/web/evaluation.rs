//! The award's pages (docs/award.md): `GET /evaluation`, the evaluation room where committee members
//! sign in with their one-time code, and `GET /tenders/{id}/award`, the desk where the host, the
//! owner and the tenderers act on the award. Both are shells whose scripts call the award API; the
//! pages hold no rule themselves.

use super::views::{script_json, Page};
use crate::app::AppState;
use crate::award::service::{host_only, owner_only, AwardError};
use crate::award::state::Refusal;
use crate::domain::TenderId;
use crate::tenders::access::Relations;
use crate::tenders::model::TenderState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

pub async fn room(page: Page) -> Response {
    page.render(StatusCode::OK, "evaluation.html", context! {})
}

pub async fn desk(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Ok(id) = TenderId::parse(&id) else {
        return page.not_found();
    };
    let tender = match app.store.get_tender(&id).await {
        Ok(t) if t.state == TenderState::Published => t,
        Ok(_) => return page.not_found(),
        Err(e) => return page.store_failed(e),
    };
    let actor = page.actor.as_ref();
    let data = serde_json::json!({
        "tender_id": tender.id,
        "role": actor.map_or("public", |a| a.role.as_str()),
        "org_id": actor.map(|a| a.org_id.as_str()),
        "host": actor.is_some_and(|a| host_only(a, &tender).is_ok()),
        "owner": actor.is_some_and(|a| owner_only(a, &tender).is_ok()),
        "manages": Relations::of(actor, &tender).manages(),
        // Form defaults count from the hall's clock, not the browser's.
        "now": app.clock.now(),
    });
    let ctx = context! { tender => &tender, page_json => script_json(&data) };
    page.render_tender(&app, StatusCode::OK, "award_desk.html", ctx, &tender)
        .await
}

/// `GET /tenders/{id}/award/letters`: the signed award letters the viewer may read (法45), ready
/// to print, each with its hash and the hall's signature for checking offline.
pub async fn letters(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Ok(id) = TenderId::parse(&id) else {
        return page.not_found();
    };
    let Some(actor) = page.actor.as_ref() else {
        return page.message(
            StatusCode::UNAUTHORIZED,
            "signin_needed_title",
            "signin_needed_body",
        );
    };
    let tender = match app.store.get_tender(&id).await {
        Ok(t) if t.state == TenderState::Published => t,
        Ok(_) => return page.not_found(),
        Err(e) => return page.store_failed(e),
    };
    let letters = match crate::award::service::letters(&app, actor, &id).await {
        Ok(l) => l,
        Err(AwardError::Refused(Refusal::Forbidden(_))) => {
            return page.message(
                StatusCode::FORBIDDEN,
                "not_for_you_title",
                "not_for_you_body",
            )
        }
        Err(AwardError::NotFound) => return page.not_found(),
        Err(AwardError::Store(e)) => return page.store_failed(e),
        Err(e) => {
            tracing::error!(error = %e, "the award letters could not be made");
            return page.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_body",
            );
        }
    };
    let ctx = context! { tender => &tender, letters => letters, log_key_url => "/api/log/key" };
    page.render_tender(&app, StatusCode::OK, "award_letters.html", ctx, &tender)
        .await
}
