//! The demo hall's time machine: in `serve --demo` only, the platform operator moves the hall's
//! clock forward so a visitor can watch a tender pass its deadline, its publicity and its refund
//! dates without waiting weeks. Every move is in the audit log; the clock never goes back.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser};
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::{Timestamp, MINUTE_MS};
use crate::identity::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// At most 60 days in one move.
const MAX_MINUTES: i64 = 60 * 24 * 60;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/demo/clock", get(now).post(advance))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ClockView {
    #[schema(value_type = String)]
    now: Timestamp,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Advance {
    minutes: i64,
}

fn demo_only(app: &AppState) -> Result<(), ApiError> {
    if !app.config.demo {
        return Err(ApiError::not_found(
            "demo clock: the hall runs on real time",
        ));
    }
    Ok(())
}

/// The demo hall's clock (`serve --demo` only; 404 on real time).
#[utoipa::path(get, path = "/api/demo/clock", tag = "demo", responses((status = 200, body = ClockView), (status = 404)))]
pub(super) async fn now(State(app): State<AppState>) -> Result<Json<ClockView>, ApiError> {
    demo_only(&app)?;
    Ok(Json(ClockView {
        now: app.clock.now(),
    }))
}

/// The trading centre moves the demo hall's clock forward by `minutes`, to the whole minute
/// (`serve --demo` only).
#[utoipa::path(post, path = "/api/demo/clock", tag = "demo", request_body = Advance,
    responses((status = 200, body = ClockView), (status = 403), (status = 404), (status = 409), (status = 422)))]
pub(super) async fn advance(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(a): ApiJson<Advance>,
) -> Result<(StatusCode, Json<ClockView>), ApiError> {
    demo_only(&app)?;
    if actor.role != Role::Platform {
        return Err(ApiError::forbidden(
            "only the trading centre moves the demo's clock",
        ));
    }
    if !(1..=MAX_MINUTES).contains(&a.minutes) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "minutes_out_of_range",
            format!("the clock moves forward by 1 to {MAX_MINUTES} minutes at a time"),
        ));
    }
    let from = app.clock.now();
    // Deadlines are whole minutes (the forms propose them so, the time inputs show no seconds):
    // the move ends on a whole minute, so "1 hour" reaches a deadline proposed an hour ahead
    // during the current minute instead of stopping seconds short of it.
    let to_whole_minute = (MINUTE_MS - from.millis().rem_euclid(MINUTE_MS)) % MINUTE_MS;
    if !app.clock.advance(a.minutes * MINUTE_MS + to_whole_minute) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "clock_fixed",
            "this hall's clock cannot be moved",
        ));
    }
    let to = app.clock.now();
    app.store
        .record_event(&AuditEvent::new(
            "demo_clock_advanced",
            None,
            AuditActor::from(&actor),
            to,
            json!({ "from": from, "to": to, "minutes": a.minutes }),
        ))
        .await?;
    Ok((StatusCode::OK, Json(ClockView { now: to })))
}
