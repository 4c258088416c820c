//! The trading centre's reconciliations with the banks: the stored daily results, and a run of
//! one bank's day on demand (the same comparison the daily job makes).

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser};
use crate::app::AppState;
use crate::bonds::daily;
use crate::bonds::statement::StatementDate;
use crate::bonds::BankCode;
use crate::identity::{Actor, Role};
use crate::store::StoredReconciliation;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/ledger/reconciliations", get(list).post(run_one))
}

fn platform_only(actor: &Actor) -> Result<(), ApiError> {
    if actor.role != Role::Platform {
        return Err(ApiError::forbidden(
            "only the trading centre reconciles the ledger with the banks",
        ));
    }
    Ok(())
}

/// The latest daily reconciliations (the trading centre's).
#[utoipa::path(get, path = "/api/ledger/reconciliations", tag = "bonds",
    responses((status = 200, body = Vec<StoredReconciliation>), (status = 403)))]
pub(super) async fn list(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Vec<StoredReconciliation>>, ApiError> {
    platform_only(&actor)?;
    Ok(Json(app.store.reconciliations(100).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct RunOne {
    bank: String,
    /// `YYYY-MM-DD` (UTC), a day that has ended.
    day: String,
}

/// Reconciles one bank's ended day now (the trading centre's).
#[utoipa::path(post, path = "/api/ledger/reconciliations", tag = "bonds", request_body = RunOne,
    responses((status = 200, description = "the day's result: bank, day, matched and the differences found", body = Object), (status = 403), (status = 404), (status = 409), (status = 502)))]
pub(super) async fn run_one(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(r): ApiJson<RunOne>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    platform_only(&actor)?;
    let bank = BankCode::parse(&r.bank).map_err(|e| ApiError::invalid_field("bank", &e))?;
    let day = StatementDate::parse(&r.day).map_err(|e| ApiError::invalid_field("day", &e))?;
    if app.banks.get(&bank).is_none() {
        return Err(ApiError::not_found("bank"));
    }
    if day.end() > app.clock.now() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "day_not_over",
            "a day is reconciled once it has ended",
        ));
    }
    let client = reqwest::Client::new();
    let done = daily::reconcile_day(&app, &client, &bank, day)
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "reconciliation on demand failed");
            ApiError::new(
                StatusCode::BAD_GATEWAY,
                "bank_unavailable",
                "the bank's statement could not be fetched or checked",
            )
        })?;
    Ok((
        StatusCode::OK,
        Json(json!({
            "bank": done.bank.as_str(), "day": done.date.to_string(), "matched": done.matched,
            "differences": done.differences,
        })),
    ))
}
