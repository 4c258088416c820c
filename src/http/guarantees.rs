//! Routes of electronic guarantees (电子保函): issuers registered by the trading centre and listed
//! publicly with their keys, guarantees uploaded by the tenderer they name, and read back with the
//! issuer's key so anyone allowed can re-verify them. Handlers only translate.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, MaybeUser};
use crate::app::AppState;
use crate::bonds::guarantee::service::{self, GuaranteeUseError, NewIssuer, Upload};
use crate::bonds::guarantee::{Guarantee, GuaranteeError, Issuer};
use crate::domain::TenderId;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/guarantee-issuers",
            post(register_issuer).get(list_issuers),
        )
        .route("/api/tenders/{id}/guarantees", post(upload))
        .route("/api/guarantees/{id}", get(view))
}

impl From<GuaranteeError> for ApiError {
    fn from(e: GuaranteeError) -> Self {
        let message = e.to_string();
        let (status, details) = match &e {
            GuaranteeError::Malformed(_) => (StatusCode::UNPROCESSABLE_ENTITY, json!({})),
            GuaranteeError::UnknownIssuer(id) => {
                (StatusCode::UNPROCESSABLE_ENTITY, json!({ "issuer_id": id }))
            }
            GuaranteeError::SignatureInvalid
            | GuaranteeError::KindNotAccepted
            | GuaranteeError::WrongParty(_) => (StatusCode::UNPROCESSABLE_ENTITY, json!({})),
            GuaranteeError::TooSmall { amount, required } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "amount_fen": amount, "required_fen": required }),
            ),
            GuaranteeError::NotYetValid {
                valid_from,
                deadline,
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "valid_from": valid_from, "bid_deadline": deadline }),
            ),
            GuaranteeError::Expired {
                valid_until,
                required_until,
            } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "valid_until": valid_until, "required_until": required_until }),
            ),
            GuaranteeError::Duplicate(n) => {
                (StatusCode::CONFLICT, json!({ "guarantee_number": n }))
            }
            GuaranteeError::TooLate => (StatusCode::CONFLICT, json!({})),
        };
        ApiError::new(status, e.code(), message).with_details(details)
    }
}

impl From<GuaranteeUseError> for ApiError {
    fn from(e: GuaranteeUseError) -> Self {
        match e {
            GuaranteeUseError::Forbidden(why) => ApiError::forbidden(why),
            GuaranteeUseError::NotFound(what) => ApiError::not_found(what),
            GuaranteeUseError::InvalidField { field, value } => {
                ApiError::invalid_field(field, &value)
            }
            e @ GuaranteeUseError::IssuerExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "issuer_exists", e.to_string())
            }
            GuaranteeUseError::Refused(g) => g.into(),
            GuaranteeUseError::Store(s) => s.into(),
        }
    }
}

fn issuer_json(i: &Issuer) -> Value {
    json!({
        "id": i.id.as_str(),
        "name": i.name.as_str(),
        "kind": i.kind.as_str(),
        "public_key": i.public_key.to_base64(),
        "key_fingerprint": i.public_key.fingerprint(),
        "registered_at": i.registered_at,
    })
}

fn guarantee_json(g: &Guarantee, issuer: Option<&Issuer>) -> Value {
    let document: Value = serde_json::from_str(&g.document_text).unwrap_or(Value::Null);
    let mut v = json!({
        "id": g.id,
        "document": document,
        "document_text": g.document_text,
        "signature": g.signature,
        "uploaded_at": g.uploaded_at,
    });
    if let Some(i) = issuer {
        v["issuer"] = issuer_json(i);
    }
    v
}

/// Registers a bank or insurer whose signed guarantees the hall accepts (trading centre only).
#[utoipa::path(post, path = "/api/guarantee-issuers", tag = "guarantees", request_body = crate::bonds::guarantee::service::NewIssuer,
    responses((status = 201, body = Object), (status = 403), (status = 409), (status = 422)))]
async fn register_issuer(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(input): ApiJson<NewIssuer>,
) -> Result<impl IntoResponse, ApiError> {
    let i = service::register_issuer(&app, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(issuer_json(&i))))
}

/// The registered issuers with their public keys.
#[utoipa::path(get, path = "/api/guarantee-issuers", tag = "guarantees",
    responses((status = 200, body = Vec<Object>)))]
async fn list_issuers(State(app): State<AppState>) -> Result<Json<Value>, ApiError> {
    let all = service::issuers(&app).await?;
    Ok(Json(Value::Array(all.iter().map(issuer_json).collect())))
}

/// A tenderer gives a bid guarantee, verified before it is kept (docs/guarantees.md).
#[utoipa::path(post, path = "/api/tenders/{id}/guarantees", tag = "guarantees", request_body = crate::bonds::guarantee::service::Upload,
    responses((status = 201, body = Object), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn upload(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<Upload>,
) -> Result<impl IntoResponse, ApiError> {
    let tender = TenderId::parse(&id).map_err(|_| ApiError::not_found("tender"))?;
    let g = service::upload(&app, &actor, &tender, input).await?;
    Ok((StatusCode::CREATED, Json(guarantee_json(&g, None))))
}

/// A guarantee with its issuer's key, to verify it again.
#[utoipa::path(get, path = "/api/guarantees/{id}", operation_id = "guarantee_view", tag = "guarantees",
    responses((status = 200, body = Object), (status = 404)))]
async fn view(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (g, issuer) = service::view(&app, actor.as_ref(), &id).await?;
    Ok(Json(guarantee_json(&g, Some(&issuer))))
}
