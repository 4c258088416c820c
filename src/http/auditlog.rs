//! Routes of the audit log: checkpoints, entries, proofs, tiles, receipts and witness
//! cosignatures. Everything here is public: entries never carry a secret or, before the opening,
//! a tenderer's identity.

use super::error::ApiError;
use super::extract::{ApiJson, MaybeUser};
use crate::app::AppState;
use crate::auditlog::disclosures::{disclosures, DisclosureError, DisclosureView};
use crate::auditlog::merkle::Hash;
use crate::auditlog::offline::Receipt;
use crate::auditlog::service::{self, LogError};
use crate::domain::TenderId;
use crate::store::StoredEntry;
use axum::extract::{Path, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/log/checkpoint", get(checkpoint_text))
        .route("/log/{*path}", get(tile))
        .route("/api/log/key", get(key))
        .route("/api/log/checkpoint", post(sign_checkpoint))
        .route("/api/log/entries", get(entries))
        .route("/api/log/entries/{index}", get(entry))
        .route("/api/log/proofs/inclusion", get(inclusion))
        .route("/api/log/proofs/consistency", get(consistency))
        .route("/api/log/receipts/{index}", get(receipt))
        .route("/api/log/cosignatures", post(cosign))
        .route("/api/tenders/{id}/log/sealed", get(sealed))
}

impl From<LogError> for ApiError {
    fn from(e: LogError) -> Self {
        let message = e.to_string();
        match e {
            LogError::BadRequest(_) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_log_request", message)
            }
            LogError::NotYet(_) => ApiError::new(StatusCode::NOT_FOUND, "not_yet_in_log", message),
            LogError::UnknownWitness(_) => {
                ApiError::new(StatusCode::FORBIDDEN, "unknown_witness", message)
            }
            LogError::BadCosignature(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_cosignature", message)
            }
            LogError::Store(s) => s.into(),
            LogError::Inconsistent { .. } | LogError::Key(_) => ApiError::internal(message),
        }
    }
}

fn b64(h: &Hash) -> String {
    B64.encode(h)
}

fn text(body: String, cache: &'static str) -> Response {
    (
        [
            (CONTENT_TYPE, "text/plain; charset=utf-8"),
            (CACHE_CONTROL, cache),
        ],
        body,
    )
        .into_response()
}

/// The latest signed checkpoint (C2SP tlog-checkpoint in a signed note), with cosignatures.
#[utoipa::path(get, path = "/log/checkpoint", tag = "audit log", responses((status = 200, content_type = "text/plain")))]
async fn checkpoint_text(State(app): State<AppState>) -> Result<Response, ApiError> {
    Ok(text(service::latest_note(&app).await?, "no-cache"))
}

/// A C2SP tlog-tiles resource: `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`.
#[utoipa::path(get, path = "/log/{path}", tag = "audit log", params(("path" = String, Path, description = "tile path")),
    responses((status = 200, content_type = "application/octet-stream"), (status = 400), (status = 404)))]
async fn tile(State(app): State<AppState>, Path(path): Path<String>) -> Result<Response, ApiError> {
    let bytes = service::tile(&app, &path).await?;
    // Full tiles never change; partial ones are replaced by wider ones.
    let cache = if path.contains(".p/") {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    Ok((
        [
            (CONTENT_TYPE, "application/octet-stream"),
            (CACHE_CONTROL, cache),
        ],
        bytes,
    )
        .into_response())
}

/// The verifier key of the log (C2SP signed-note verifier key text).
#[utoipa::path(get, path = "/api/log/key", tag = "audit log", responses((status = 200, content_type = "text/plain")))]
async fn key(State(app): State<AppState>) -> Response {
    text(format!("{}\n", app.log.verifier()), "public, max-age=3600")
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SignedCheckpoint {
    pub size: i64,
    pub note: String,
}

/// Sign a checkpoint of the log as it stands now (anyone may ask; one that exists is returned).
#[utoipa::path(post, path = "/api/log/checkpoint", tag = "audit log", responses((status = 200, body = SignedCheckpoint)))]
async fn sign_checkpoint(State(app): State<AppState>) -> Result<Json<SignedCheckpoint>, ApiError> {
    let cp = service::checkpoint(&app).await?;
    let note = service::with_cosignatures(&app, &cp).await?;
    Ok(Json(SignedCheckpoint {
        size: cp.size,
        note,
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub index: i64,
    pub kind: String,
    pub tender: Option<String>,
    /// The entry as JSON.
    #[schema(value_type = Object)]
    pub entry: serde_json::Value,
    /// The exact bytes the tree hashes, base64.
    pub entry_b64: String,
    /// SHA-256(0x00 ‖ entry), base64.
    pub leaf_hash: String,
}

impl From<StoredEntry> for EntryView {
    fn from(e: StoredEntry) -> Self {
        EntryView {
            index: e.index,
            kind: e.kind,
            tender: e.tender.map(|t| t.to_string()),
            entry: serde_json::from_slice(&e.entry).unwrap_or(serde_json::Value::Null),
            entry_b64: B64.encode(&e.entry),
            leaf_hash: b64(&crate::auditlog::merkle::leaf_hash(&e.entry)),
        }
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct EntryFilter {
    /// Only entries about this tender.
    pub tender: Option<String>,
    /// Entries after this index (exclusive); -1 from the start.
    pub after: Option<i64>,
    /// At most this many (1..=1000, default 100).
    pub limit: Option<i64>,
}

/// Browse entries, oldest first, of the whole log or of one tender.
#[utoipa::path(get, path = "/api/log/entries", params(EntryFilter), tag = "audit log", responses((status = 200, body = Vec<EntryView>)))]
async fn entries(
    State(app): State<AppState>,
    Query(f): Query<EntryFilter>,
) -> Result<Json<Vec<EntryView>>, ApiError> {
    let limit = f.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "limit must be 1 to 1000",
        )
        .with_details(json!({ "field": "limit", "rule": "out_of_range" })));
    }
    let after = f.after.unwrap_or(-1).max(-1);
    let tender = match f.tender.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => Some(TenderId::parse(t).map_err(|iv| ApiError::invalid_field("tender", &iv))?),
        None => None,
    };
    let list = app
        .store
        .audit_entries(tender.as_ref(), after, limit)
        .await?;
    Ok(Json(list.into_iter().map(EntryView::from).collect()))
}

fn index_of(s: &str) -> Result<i64, ApiError> {
    s.parse::<i64>().ok().filter(|i| *i >= 0).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_log_request",
            "an entry index is a whole number from 0",
        )
    })
}

/// One entry by index.
#[utoipa::path(get, path = "/api/log/entries/{index}", tag = "audit log", params(("index" = i64, Path, description = "the entry's index, a whole number from 0")), responses((status = 200, body = EntryView), (status = 400, description = "bad_log_request: the index is not a whole number from 0"), (status = 404)))]
async fn entry(
    State(app): State<AppState>,
    Path(index): Path<String>,
) -> Result<Json<EntryView>, ApiError> {
    let e = app
        .store
        .audit_entry(index_of(&index)?)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::NotFound => ApiError::not_found("log entry"),
            other => other.into(),
        })?;
    Ok(Json(e.into()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InclusionQuery {
    pub index: i64,
    pub size: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InclusionProof {
    pub index: i64,
    pub size: i64,
    /// Base64 hashes, leaf to root (RFC 9162 §2.1.3).
    pub hashes: Vec<String>,
}

/// Inclusion proof of an entry in the tree of a given size.
#[utoipa::path(get, path = "/api/log/proofs/inclusion", params(InclusionQuery), tag = "audit log",
    responses((status = 200, body = InclusionProof), (status = 400)))]
async fn inclusion(
    State(app): State<AppState>,
    q: Result<Query<InclusionQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<InclusionProof>, ApiError> {
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_log_request", e.body_text()))?;
    let hashes = service::inclusion(&app, q.index, q.size).await?;
    Ok(Json(InclusionProof {
        index: q.index,
        size: q.size,
        hashes: hashes.iter().map(b64).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    pub from: i64,
    pub to: i64,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ConsistencyProof {
    pub from: i64,
    pub to: i64,
    pub hashes: Vec<String>,
}

/// Consistency proof between two tree sizes.
#[utoipa::path(get, path = "/api/log/proofs/consistency", params(ConsistencyQuery), tag = "audit log",
    responses((status = 200, body = ConsistencyProof), (status = 400)))]
async fn consistency(
    State(app): State<AppState>,
    q: Result<Query<ConsistencyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<ConsistencyProof>, ApiError> {
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_log_request", e.body_text()))?;
    let hashes = service::consistency(&app, q.from, q.to).await?;
    Ok(Json(ConsistencyProof {
        from: q.from,
        to: q.to,
        hashes: hashes.iter().map(b64).collect(),
    }))
}

/// The receipt of an entry against the latest checkpoint (signing one if none covers it yet).
#[utoipa::path(get, path = "/api/log/receipts/{index}", tag = "audit log", params(("index" = i64, Path, description = "the entry's index, a whole number from 0")), responses((status = 200, body = Receipt), (status = 400, description = "bad_log_request: the index is not a whole number from 0"), (status = 404)))]
async fn receipt(
    State(app): State<AppState>,
    Path(index): Path<String>,
) -> Result<Json<Receipt>, ApiError> {
    let index = index_of(&index)?;
    let e = app.store.audit_entry(index).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => ApiError::not_found("log entry"),
        other => other.into(),
    })?;
    let mut cp = app.store.latest_checkpoint().await?;
    if cp.as_ref().is_none_or(|c| c.size <= index) {
        cp = Some(service::checkpoint(&app).await?);
    }
    let cp = cp.expect("a checkpoint now exists");
    let hashes = service::inclusion(&app, index, cp.size).await?;
    Ok(Json(Receipt {
        index,
        entry_b64: B64.encode(&e.entry),
        tree_size: cp.size,
        inclusion: hashes.iter().map(b64).collect(),
        checkpoint: cp.note,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCosignature {
    /// The size of the checkpoint cosigned.
    pub size: i64,
    /// The witness's signature line (C2SP tlog-cosignature), `— <name> <base64>`.
    pub line: String,
}

/// A configured witness submits its cosignature of a checkpoint.
#[utoipa::path(post, path = "/api/log/cosignatures", request_body = NewCosignature, tag = "audit log",
    responses((status = 201), (status = 403, description = "unknown_witness"), (status = 422, description = "bad_cosignature")))]
async fn cosign(
    State(app): State<AppState>,
    ApiJson(c): ApiJson<NewCosignature>,
) -> Result<impl IntoResponse, ApiError> {
    let witness = service::cosign(&app, c.size, &c.line).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "size": c.size, "witness": witness })),
    ))
}

impl From<DisclosureError> for ApiError {
    fn from(e: DisclosureError) -> Self {
        match e {
            DisclosureError::Access(d) => d.into(),
            DisclosureError::Store(s) => s.into(),
        }
    }
}

/// The facts and salts of the tender's sealed entries, from its opening on.
#[utoipa::path(get, path = "/api/tenders/{id}/log/sealed", tag = "audit log",
    params(("id" = String, Path, description = "The tender")),
    responses((status = 200, body = [DisclosureView]),
        (status = 403, description = "confidential_until_opening"), (status = 404)))]
pub(super) async fn sealed(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<DisclosureView>>, ApiError> {
    let id = TenderId::parse(&id).map_err(|_| ApiError::not_found("tender"))?;
    Ok(Json(disclosures(&app, actor.as_ref(), &id).await?))
}
