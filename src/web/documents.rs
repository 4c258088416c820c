//! The bid documents page (`/tenders/{id}/documents`), after the opening: anyone checks each
//! announced line against its receipted envelope with the published announced key; the entitled
//! (committee, owner, agent, supervisor, the bidder itself) read the documents. The page decides
//! nothing: the API refuses everyone else (`bids::documents::may_read_bid_documents`).

use super::views::{script_json, Page};
use crate::app::AppState;
use crate::domain::TenderId;
use crate::tenders::model::TenderState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

pub async fn documents(
    State(app): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = TenderId::parse(&id) else {
        return page.not_found();
    };
    let tender = match app.store.get_tender(&id).await {
        Ok(t) if t.state != TenderState::Draft => t,
        Ok(_) => return page.not_found(),
        Err(e) => return page.store_failed(e),
    };
    let data = serde_json::json!({
        "tender_id": tender.id,
        "org_id": page.actor.as_ref().map(|a| a.org_id.to_string()),
    });
    let ctx = context! { tender => &tender, page_json => script_json(&data) };
    page.render(StatusCode::OK, "bid_documents.html", ctx)
}
