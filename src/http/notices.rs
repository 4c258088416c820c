//! The public notice board API.

use super::error::ApiError;
use crate::app::AppState;
use crate::tenders::notices::{NoticePage, NoticeParams};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/notices", get(search))
}

/// Search published tenders (公告): text, category, region, status, deadline range, pages.
#[utoipa::path(get, path = "/api/notices", params(NoticeParams), tag = "notices",
    responses((status = 200, body = NoticePage), (status = 422, description = "invalid_field")))]
async fn search(
    State(app): State<AppState>,
    Query(params): Query<NoticeParams>,
) -> Result<Json<NoticePage>, ApiError> {
    let q = params
        .to_query()
        .map_err(|(field, iv)| ApiError::invalid_field(field, &iv))?;
    Ok(Json(app.store.search_notices(&q, app.clock.now()).await?))
}
