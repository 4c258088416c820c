//! The HTTP face of bonds: the bank's two signed endpoints (docs/bonds.md §5.1; no user token, the
//! signature is the authentication, and the answer comes only after the commit), a tenderer's
//! sub-account and bonds, the tender's and the hall's ledger, and forfeiture.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser};
use crate::app::AppState;
use crate::bonds::service::{
    self, BondsView, ForfeitInput, Forfeiture, HallLedger, Outcome, PayingIn,
};
use crate::domain::TenderId;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};

pub const TIMESTAMP_HEADER: &str = "Bidhall-Timestamp";
pub const SIGNATURE_HEADER: &str = "Bidhall-Signature";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/banks/{bank}/notifications", post(notification))
        .route("/api/banks/{bank}/refunds-paid", post(refunds_paid))
        .route("/api/tenders/{id}/sub-account", post(sub_account))
        .route("/api/tenders/{id}/my-bonds", get(my_bonds))
        .route("/api/tenders/{id}/bonds/ledger", get(tender_ledger))
        .route("/api/tenders/{id}/bonds/forfeit", post(forfeit))
        .route(
            "/api/tenders/{id}/bonds/performance-completed",
            post(performance_completed),
        )
        .route(
            "/api/ledger/receipts/{bank}/{txn}/refund",
            post(refund_unidentified),
        )
        .route("/api/ledger", get(hall_ledger))
}

/// The owner's side says the contract is performed: the performance bond goes back.
#[utoipa::path(post, path = "/api/tenders/{id}/bonds/performance-completed", tag = "bonds",
    params(("id" = String, Path, description = "the tender"), super::award::LotQuery),
    responses((status = 200, description = "the refund instruction made (null while another lot the winner won is not performed yet)", body = InstructionMade), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(super) async fn performance_completed(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<super::award::LotQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let made =
        service::performance_completed(&app, &actor, &tender_id(&id)?, q.lot_id.as_deref()).await?;
    Ok(Json(serde_json::json!({ "instruction_id": made })))
}

/// The trading centre returns a receipt that named no tender to its payer.
#[utoipa::path(post, path = "/api/ledger/receipts/{bank}/{txn}/refund", tag = "bonds",
    params(("bank" = String, Path, description = "the bank's code"), ("txn" = String, Path, description = "the bank's transaction reference")),
    responses((status = 200, description = "the refund instruction made", body = InstructionMade), (status = 403), (status = 404), (status = 409)))]
pub(super) async fn refund_unidentified(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((bank, txn)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let made = service::refund_unidentified(&app, &actor, &bank, &txn).await?;
    Ok(Json(serde_json::json!({ "instruction_id": made })))
}

/// A refund instruction the hall made, by its id.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // the schema of a `json!` answer
pub(super) struct InstructionMade {
    instruction_id: String,
}

fn tender_id(s: &str) -> Result<TenderId, ApiError> {
    TenderId::parse(s).map_err(|_| ApiError::not_found("tender"))
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> &'a str {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// A bank tells the hall about money received on a sub-account.
#[utoipa::path(post, path = "/api/banks/{bank}/notifications", tag = "bonds", request_body(content = String, description = "the notification in RFC 8785 JSON, signed", content_type = "application/json"),
    responses((status = 200, body = Outcome), (status = 400), (status = 401), (status = 404), (status = 409)))]
pub(super) async fn notification(
    State(app): State<AppState>,
    Path(bank): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Outcome>, ApiError> {
    let outcome = service::ingest_notification(
        &app,
        &bank,
        header(&headers, TIMESTAMP_HEADER),
        header(&headers, SIGNATURE_HEADER),
        &body,
    )
    .await?;
    Ok(Json(outcome))
}

/// A bank confirms that it paid a refund the hall instructed.
#[utoipa::path(post, path = "/api/banks/{bank}/refunds-paid", tag = "bonds", request_body(content = String, description = "the confirmation in RFC 8785 JSON, signed", content_type = "application/json"),
    responses((status = 200, body = Outcome), (status = 400), (status = 401), (status = 404), (status = 409), (status = 422)))]
pub(super) async fn refunds_paid(
    State(app): State<AppState>,
    Path(bank): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Outcome>, ApiError> {
    let outcome = service::refund_paid(
        &app,
        &bank,
        header(&headers, TIMESTAMP_HEADER),
        header(&headers, SIGNATURE_HEADER),
        &body,
    )
    .await?;
    Ok(Json(outcome))
}

/// The signed-in tenderer's sub-account for the tender (opened on first request).
#[utoipa::path(post, path = "/api/tenders/{id}/sub-account", tag = "bonds",
    responses((status = 200, body = PayingIn), (status = 403), (status = 404)))]
pub(super) async fn sub_account(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<PayingIn>, ApiError> {
    Ok(Json(
        service::sub_account(&app, &actor, &tender_id(&id)?).await?,
    ))
}

/// The signed-in tenderer's bonds, receipts and refunds on the tender.
#[utoipa::path(get, path = "/api/tenders/{id}/my-bonds", tag = "bonds",
    responses((status = 200, body = BondsView), (status = 403), (status = 404)))]
pub(super) async fn my_bonds(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BondsView>, ApiError> {
    Ok(Json(
        service::my_bonds(&app, &actor, &tender_id(&id)?).await?,
    ))
}

/// Every tenderer's bonds on the tender: owner, agent, supervisor, trading centre.
#[utoipa::path(get, path = "/api/tenders/{id}/bonds/ledger", tag = "bonds",
    responses((status = 200, body = BondsView), (status = 403), (status = 404)))]
pub(super) async fn tender_ledger(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<BondsView>, ApiError> {
    Ok(Json(
        service::tender_bonds(&app, &actor, &tender_id(&id)?).await?,
    ))
}

/// The owner or agent keeps a bond on a legal ground, with its reason.
#[utoipa::path(post, path = "/api/tenders/{id}/bonds/forfeit", tag = "bonds", request_body = ForfeitInput,
    responses((status = 200, body = Forfeiture), (status = 403), (status = 409), (status = 422)))]
pub(super) async fn forfeit(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ForfeitInput>,
) -> Result<Json<Forfeiture>, ApiError> {
    Ok(Json(
        service::forfeit(&app, &actor, &tender_id(&id)?, input).await?,
    ))
}

/// The hall's whole ledger: trial balance, balances, flagged receipts, refunds (trading centre).
#[utoipa::path(get, path = "/api/ledger", tag = "bonds",
    responses((status = 200, body = HallLedger), (status = 403)))]
pub(super) async fn hall_ledger(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<HallLedger>, ApiError> {
    Ok(Json(service::hall_ledger(&app, &actor).await?))
}
