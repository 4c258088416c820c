//! Routes of the registries (agents under 三表三制, credit, experts) and of the public draws.
//! Handlers extract, call `registry::service` or `lottery::service`, and map the result.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser};
use crate::app::AppState;
use crate::domain::OrgId;
use crate::draws::DrawError;
use crate::lottery::drand::DrandRound;
use crate::lottery::service::{
    self as lottery, BeaconEntry, DrawRequest, DrawView, LotteryError, ReplaceSelectee,
};
use crate::lottery::{DrawRecord, PartyValue};
use crate::registry::service::{
    self as registry, AgentDossier, AgentListing, NewCreditRecord, NewExpert, NewQualification,
    RegistryError, Review,
};
use crate::registry::{AgentForms, AgentRecord, AgentRule, CreditRecord, Expert, Qualification};
use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/registry/rules", get(rules))
        .route("/api/registry/agents", post(submit_agent).get(list_agents))
        .route("/api/registry/agents/{org}", get(agent_dossier))
        .route("/api/registry/agents/{org}/review", post(review_agent))
        .route(
            "/api/registry/agents/{org}/qualifications",
            post(record_qualification),
        )
        .route("/api/registry/credit", post(record_credit).get(list_credit))
        .route(
            "/api/registry/experts",
            post(register_expert).get(list_experts),
        )
        .route("/api/draws", post(request_draw).get(list_draws))
        .route("/api/draws/{id}", get(view_draw))
        .route("/api/draws/{id}/commit", post(commit))
        .route("/api/draws/{id}/reveal", post(reveal))
        .route("/api/draws/{id}/beacon", post(beacon))
        .route("/api/draws/{id}/conduct", post(conduct))
        .route("/api/draws/{id}/replace", post(replace))
        .route("/api/draws/{id}/transcript", get(transcript))
        .route("/api/draws/{id}/openings", get(openings))
}

impl From<RegistryError> for ApiError {
    fn from(e: RegistryError) -> Self {
        let message = e.to_string();
        match e {
            RegistryError::Store(s) => s.into(),
            RegistryError::Forbidden(why) => ApiError::forbidden(why),
            RegistryError::NotFound(what) => ApiError::not_found(what),
            RegistryError::Invalid { field, value } => ApiError::invalid_field(field, &value),
            RegistryError::Rule(rule) => {
                use crate::registry::RegistryRule as R;
                let (status, code) = match rule {
                    R::WrongStatus { .. } => (StatusCode::CONFLICT, "registry_rule"),
                    R::CommitmentUnsigned { .. } => {
                        (StatusCode::UNPROCESSABLE_ENTITY, "commitment_unsigned")
                    }
                    R::CommitmentUnknownKey { .. } | R::CommitmentBadSignature { .. } => (
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "commitment_signature_invalid",
                    ),
                    _ => (StatusCode::UNPROCESSABLE_ENTITY, "registry_rule"),
                };
                ApiError::new(status, code, message)
            }
            RegistryError::CreditRed { until, .. } => {
                ApiError::new(StatusCode::FORBIDDEN, "credit_red", message)
                    .with_details(json!({ "until": until }))
            }
        }
    }
}

impl From<LotteryError> for ApiError {
    fn from(e: LotteryError) -> Self {
        let message = e.to_string();
        use LotteryError as L;
        match e {
            L::Store(s) => s.into(),
            L::Forbidden(why) => ApiError::forbidden(why),
            L::NotFound(what) => ApiError::not_found(what),
            L::Invalid { field, value } => ApiError::invalid_field(field, &value),
            L::WrongPhase { phase, .. } => {
                ApiError::new(StatusCode::CONFLICT, "wrong_phase", message)
                    .with_details(json!({ "phase": phase }))
            }
            L::PoolTooSmall { pool, needed } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "pool_too_small", message)
                    .with_details(json!({ "pool": pool, "needed": needed }))
            }
            L::NotCommitted => ApiError::new(StatusCode::CONFLICT, "not_committed", message),
            L::Already(what) => ApiError::new(StatusCode::CONFLICT, "already_done", message)
                .with_details(json!({ "what": what })),
            L::CommitmentMismatch => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "commitment_mismatch",
                message,
            ),
            L::Protocol(detail) => ApiError::internal(detail),
        }
    }
}

impl From<DrawError> for ApiError {
    fn from(e: DrawError) -> Self {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "draw_invalid",
            e.to_string(),
        )
    }
}

fn org_id(s: &str) -> Result<OrgId, ApiError> {
    OrgId::parse(s).map_err(|_| ApiError::not_found("organisation"))
}

/// The three rules (三制) an agent accepts, with the SHA-256 each commitment must carry.
#[utoipa::path(get, path = "/api/registry/rules", tag = "draws", responses((status = 200, description = "the rules an agent commits to: rule, text and the text's SHA-256", body = Vec<Object>)))]
async fn rules() -> Json<Value> {
    Json(json!(AgentRule::ALL
        .iter()
        .map(|r| json!({ "rule": r, "text": r.text(), "text_sha256": r.text_sha256() }))
        .collect::<Vec<_>>()))
}

/// An agent submits its 三表三制 forms and commitments (agents).
#[utoipa::path(post, path = "/api/registry/agents", request_body = AgentForms, tag = "draws",
    responses((status = 201, body = AgentRecord), (status = 403), (status = 422)))]
async fn submit_agent(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(forms): ApiJson<AgentForms>,
) -> Result<impl IntoResponse, ApiError> {
    let r = registry::submit_agent_forms(&app, &actor, forms).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// The registered agents, their status, qualifications and credit (public).
#[utoipa::path(get, path = "/api/registry/agents", tag = "draws",
    responses((status = 200, body = Vec<AgentListing>)))]
async fn list_agents(State(app): State<AppState>) -> Result<Json<Vec<AgentListing>>, ApiError> {
    Ok(Json(registry::list_agents(&app).await?))
}

/// An agent's forms with their history (the agent and the platform).
#[utoipa::path(get, path = "/api/registry/agents/{org}", tag = "draws",
    responses((status = 200, body = AgentDossier), (status = 403), (status = 404)))]
async fn agent_dossier(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(org): Path<String>,
) -> Result<Json<AgentDossier>, ApiError> {
    Ok(Json(
        registry::agent_dossier(&app, &actor, &org_id(&org)?).await?,
    ))
}

/// The platform approves or rejects a pending registration.
#[utoipa::path(post, path = "/api/registry/agents/{org}/review", request_body = Review, tag = "draws",
    responses((status = 200, body = AgentRecord), (status = 403), (status = 409)))]
async fn review_agent(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(org): Path<String>,
    ApiJson(review): ApiJson<Review>,
) -> Result<Json<AgentRecord>, ApiError> {
    Ok(Json(
        registry::review_agent(&app, &actor, &org_id(&org)?, review).await?,
    ))
}

/// The platform records a qualification of an agent (older records stay as history).
#[utoipa::path(post, path = "/api/registry/agents/{org}/qualifications", request_body = NewQualification,
    tag = "draws", responses((status = 201, body = Qualification), (status = 403), (status = 422)))]
async fn record_qualification(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(org): Path<String>,
    ApiJson(new): ApiJson<NewQualification>,
) -> Result<impl IntoResponse, ApiError> {
    let q = registry::record_qualification(&app, &actor, &org_id(&org)?, new).await?;
    Ok((StatusCode::CREATED, Json(q)))
}

/// The platform records a credit punishment (信用惩戒).
#[utoipa::path(post, path = "/api/registry/credit", request_body = NewCreditRecord, tag = "draws",
    responses((status = 201, body = CreditRecord), (status = 403), (status = 422)))]
async fn record_credit(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(new): ApiJson<NewCreditRecord>,
) -> Result<impl IntoResponse, ApiError> {
    let r = registry::record_credit(&app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Credit punishments (public).
#[utoipa::path(get, path = "/api/registry/credit", tag = "draws",
    responses((status = 200, body = Vec<CreditRecord>)))]
async fn list_credit(State(app): State<AppState>) -> Result<Json<Vec<CreditRecord>>, ApiError> {
    Ok(Json(registry::list_credit(&app).await?))
}

/// The platform registers an evaluation expert.
#[utoipa::path(post, path = "/api/registry/experts", request_body = NewExpert, tag = "draws",
    responses((status = 201, body = Expert), (status = 403), (status = 422)))]
async fn register_expert(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(new): ApiJson<NewExpert>,
) -> Result<impl IntoResponse, ApiError> {
    let e = registry::register_expert(&app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(e)))
}

/// The expert registry (the platform only).
#[utoipa::path(get, path = "/api/registry/experts", tag = "draws",
    responses((status = 200, body = Vec<Expert>), (status = 403)))]
async fn list_experts(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Vec<Expert>>, ApiError> {
    Ok(Json(registry::list_experts(&app, &actor).await?))
}

/// Request a draw: announced, then its pool frozen and published (owners for agent draws, the
/// tender's agent or owner for expert draws).
#[utoipa::path(post, path = "/api/draws", request_body = DrawRequest, tag = "draws",
    responses((status = 201, body = DrawRecord), (status = 403), (status = 422)))]
async fn request_draw(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(req): ApiJson<DrawRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let d = lottery::request_draw(&app, &actor, req).await?;
    Ok((StatusCode::CREATED, Json(d)))
}

/// Recent draws (public).
#[utoipa::path(get, path = "/api/draws", tag = "draws", responses((status = 200, body = Vec<DrawView>)))]
async fn list_draws(State(app): State<AppState>) -> Result<Json<Vec<DrawView>>, ApiError> {
    Ok(Json(lottery::list(&app).await?))
}

/// A draw's progress: announcement, pool and exclusions, commitments, reveals, result (public).
#[utoipa::path(get, path = "/api/draws/{id}", tag = "draws",
    responses((status = 200, body = DrawView), (status = 404)))]
async fn view_draw(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<DrawView>, ApiError> {
    Ok(Json(lottery::view(&app, &id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CommitBody {
    commitment: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RevealBody {
    r: String,
}

/// Exactly one of `value` (hex) and `drand` (a quicknet round as drand publishes it).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BeaconBody {
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    drand: Option<DrandRound>,
}

/// A named party commits (hex SHA-256, computed on its own device).
#[utoipa::path(post, path = "/api/draws/{id}/commit", request_body = CommitBody, tag = "draws",
    responses((status = 201, body = PartyValue), (status = 403), (status = 409)))]
async fn commit(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CommitBody>,
) -> Result<impl IntoResponse, ApiError> {
    let v = lottery::commit(&app, &actor, &id, &body.commitment).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// A named party reveals its 32 random bytes (hex); refused if they do not match its commitment.
#[utoipa::path(post, path = "/api/draws/{id}/reveal", request_body = RevealBody, tag = "draws",
    responses((status = 201, body = PartyValue), (status = 403), (status = 409), (status = 422)))]
async fn reveal(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RevealBody>,
) -> Result<impl IntoResponse, ApiError> {
    let v = lottery::reveal(&app, &actor, &id, &body.r).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// The platform enters the announced beacon after the reveals closed: its value (hex), or for a
/// `drand-quicknet` beacon the round's JSON, checked against the chain's pinned key.
#[utoipa::path(post, path = "/api/draws/{id}/beacon", request_body = BeaconBody, tag = "draws",
    responses((status = 200, body = DrawRecord), (status = 403), (status = 409)))]
async fn beacon(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<BeaconBody>,
) -> Result<Json<DrawRecord>, ApiError> {
    let entry = match (body.value, body.drand) {
        (Some(v), None) => BeaconEntry::Value(v),
        (None, Some(r)) => BeaconEntry::Drand(r),
        _ => {
            return Err(ApiError::invalid_field(
                "value",
                &crate::domain::InvalidValue::new(
                    "one_of",
                    "enter either the beacon's value (hex) or a drand round (drand)",
                ),
            ))
        }
    };
    Ok(Json(lottery::enter_beacon(&app, &actor, &id, entry).await?))
}

/// Conduct the draw once everything is in: it completes or fails publicly by the announced rule.
#[utoipa::path(post, path = "/api/draws/{id}/conduct", tag = "draws",
    responses((status = 200, body = DrawRecord), (status = 403), (status = 409)))]
async fn conduct(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<DrawRecord>, ApiError> {
    Ok(Json(lottery::conduct(&app, &actor, &id).await?))
}

/// The requester records that a selectee declined or was disqualified; the next reserve comes in.
#[utoipa::path(post, path = "/api/draws/{id}/replace", request_body = ReplaceSelectee, tag = "draws",
    responses((status = 200, body = DrawRecord), (status = 403), (status = 409), (status = 422)))]
async fn replace(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplaceSelectee>,
) -> Result<Json<DrawRecord>, ApiError> {
    Ok(Json(lottery::replace(&app, &actor, &id, body).await?))
}

/// The transcript (RFC 8785 JSON) with the draw's audit entries and inclusion proofs; re-run it
/// with `bidhall draw verify`.
#[utoipa::path(get, path = "/api/draws/{id}/transcript", tag = "draws",
    responses((status = 200, body = Object), (status = 404), (status = 409)))]
async fn transcript(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let bytes = lottery::transcript(&app, &id).await?;
    Ok(([(CONTENT_TYPE, "application/json")], bytes))
}

/// The sealed pool's secret side — each member's position, id, name and salt, and the exclusions
/// with whom they concern — for the platform only, which notifies the experts drawn (法37: the
/// committee is secret until the result is determined; then the openings are in the transcript).
#[utoipa::path(get, path = "/api/draws/{id}/openings", tag = "draws",
    responses((status = 200, body = Object), (status = 403), (status = 404)))]
async fn openings(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let secret = lottery::openings(&app, &actor, &id).await?;
    Ok(Json(
        json!({ "openings": secret.openings, "excluded": secret.excluded }),
    ))
}
