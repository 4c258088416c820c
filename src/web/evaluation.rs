//! The award's pages (docs/award.md): `GET /evaluation`, the evaluation room where committee members
//! sign in with their one-time code, and `GET /tenders/{id}/award`, the desk where the host, the
//! owner and the tenderers act on the award. Both are shells whose scripts call the award API; the
//! pages hold no rule themselves.

use super::views::{script_json, Page};
use crate::app::AppState;
use crate::award::service::{host_only, owner_only};
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
    page.render(StatusCode::OK, "award_desk.html", ctx)
}
