//! The public notice board API.

use super::error::ApiError;
use crate::app::AppState;
use crate::tenders::notices::{NoticePage, NoticeParams};
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use bytes::Bytes;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/notices", get(search))
}

/// Search published tenders (公告): text, category, region, status, deadline range, pages.
#[utoipa::path(get, path = "/api/notices", params(NoticeParams), tag = "notices",
    responses((status = 200, body = NoticePage), (status = 422, description = "invalid_field")))]
async fn search(
    State(app): State<AppState>,
    Query(params): Query<NoticeParams>,
) -> Result<Response, ApiError> {
    let q = params
        .to_query()
        .map_err(|(field, iv)| ApiError::invalid_field(field, &iv))?;
    let now = app.clock.now();
    let key = format!("{q:?}");
    let body = app
        .board
        .get_or_compute(key, now, || async {
            let page = app.store.search_notices(&q, now).await?;
            Ok::<_, ApiError>(Bytes::from(
                serde_json::to_vec(&page).map_err(ApiError::internal)?,
            ))
        })
        .await?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}
