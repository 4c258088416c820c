//! Routes of the inbox (docs/inbox.md): a signed-in user's organisation's notices, marking one
//! read, and where its notices are mailed.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser};
use crate::app::AppState;
use crate::inbox::service::{self, Contact, Inbox, InboxError};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/inbox", get(inbox))
        .route("/api/inbox/contact", put(set_contact))
        .route("/api/inbox/{notice}/read", post(read))
}

impl From<InboxError> for ApiError {
    fn from(e: InboxError) -> Self {
        match e {
            InboxError::NotFound => ApiError::not_found("notice"),
            InboxError::Invalid { field, value } => ApiError::invalid_field(field, &value),
            InboxError::Store(s) => s.into(),
        }
    }
}

/// The signed-in user's organisation's notices, newest first (at most 200), with the unread count
/// and where they are mailed.
#[utoipa::path(get, path = "/api/inbox", operation_id = "inbox_list", tag = "inbox",
    responses((status = 200, body = Inbox), (status = 401)))]
async fn inbox(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Inbox>, ApiError> {
    Ok(Json(service::inbox(&app, &actor).await?))
}

/// Marks one of the organisation's notices read (404 for another organisation's).
#[utoipa::path(post, path = "/api/inbox/{notice}/read", operation_id = "inbox_read", tag = "inbox",
    responses((status = 204), (status = 401), (status = 404)))]
async fn read(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(notice): Path<String>,
) -> Result<StatusCode, ApiError> {
    service::mark_read(&app, &actor, &notice).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sets where the organisation's notices are mailed (`{"email": null}` or `""`: nowhere);
/// `422 invalid_field` with rule `bad_email` for anything but a plain address.
#[utoipa::path(put, path = "/api/inbox/contact", operation_id = "inbox_contact", tag = "inbox",
    request_body = Contact,
    responses((status = 204), (status = 401), (status = 422)))]
async fn set_contact(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(c): ApiJson<Contact>,
) -> Result<StatusCode, ApiError> {
    service::set_contact(&app, &actor, c).await?;
    Ok(StatusCode::NO_CONTENT)
}
