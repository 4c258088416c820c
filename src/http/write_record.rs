//! The record of writes over HTTP: a middleware notes every state-changing request of a signed-in
//! user once it is answered (`crate::write_record` says what and why), and the tender's record is
//! read at `GET /api/tenders/{id}/write-record`.

use super::error::ApiError;
use super::extract::{AuthUser, ClientAddress};
use crate::app::AppState;
use crate::domain::TenderId;
use crate::identity::Actor;
use crate::write_record::{self, WriteRecord};
use axum::extract::{FromRequestParts, MatchedPath, Path, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use axum::{Json, Router};
use std::sync::{Arc, OnceLock};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/tenders/{id}/write-record", get(tender_record))
}

/// Where the request's signed-in user is left by whatever resolves it (`known_bearer` for a bearer
/// token, `MaybeUser` for the session cookie), so that the record names the user the handler
/// acted for.
#[derive(Clone, Default)]
pub struct WrittenBy(Arc<OnceLock<Actor>>);

impl WrittenBy {
    pub fn set(&self, actor: &Actor) {
        let _ = self.0.set(actor.clone());
    }
}

pub async fn record(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if !write_record::is_write(req.method().as_str()) {
        return next.run(req).await;
    }
    let at = app.clock.now();
    let (mut parts, body) = req.into_parts();
    let ClientAddress(address) = ClientAddress::from_request_parts(&mut parts, &app)
        .await
        .unwrap_or_else(|e| match e {});
    let route = parts
        .extensions
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let (method, path) = (parts.method.to_string(), parts.uri.path().to_owned());
    let by = WrittenBy::default();
    parts.extensions.insert(by.clone());
    let resp = next.run(Request::from_parts(parts, body)).await;
    let (Some(actor), Some(route)) = (by.0.get(), route) else {
        return resp;
    };
    let w = WriteRecord::new(
        at,
        actor,
        &method,
        &route,
        &path,
        resp.status().as_u16(),
        address,
    );
    if let Err(e) = app.store.record_write(&w).await {
        tracing::error!(error = %e, %route, "a write could not be recorded");
    }
    resp
}

/// The record of every write to the tender: when, who, which route, the answer, from which
/// address. The trading centre at any time, the tender's supervisor from the opening on.
#[utoipa::path(get, path = "/api/tenders/{id}/write-record", tag = "tenders",
    responses((status = 200, body = Vec<WriteRecord>), (status = 401), (status = 403), (status = 404)))]
async fn tender_record(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<WriteRecord>>, ApiError> {
    let id = TenderId::parse(&id).map_err(|_| ApiError::not_found("tender"))?;
    Ok(Json(write_record::for_tender(&app, &actor, &id).await?))
}
