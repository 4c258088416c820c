//! Routes of the sealed bid box: custodian keys, sealed-bid upload (streamed), withdrawal, a
//! tenderer's own bids, and after the opening the public record, the envelopes, and the bid
//! documents for the entitled only. Nothing here lists another party's bids before the opening.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, MaybeUser};
use crate::app::AppState;
use crate::award::member::{MemberSession, TOKEN_PREFIX};
use crate::bids::documents::{self, DocumentReader};
use crate::bids::opening::{self, BidOutcome, OpenedBidRecord, Release, SealedShareView};
use crate::bids::service::{self, BidError, BidReceipt, CustodianView, NewCustodianKey};
use crate::bids::{Bid, CustodianKey};
use crate::domain::TenderId;
use crate::identity::Actor;
use axum::extract::FromRequestParts;
use axum::extract::{Path, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::TryStreamExt;
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tenders/{id}/custodians", get(custodians))
        .route(
            "/api/tenders/{id}/custodians/{index}/key",
            post(register_key),
        )
        .route("/api/time-custodian/key", get(time_custodian_key))
        .route(
            "/api/tenders/{id}/lots/{lot}/bid",
            post(submit).delete(withdraw),
        )
        .route("/api/tenders/{id}/bids/mine", get(mine))
        .route(
            "/api/tenders/{id}/opening/shares/{index}",
            get(sealed_shares).post(release),
        )
        .route("/api/tenders/{id}/opening/decrypt", post(decrypt))
        .route("/api/tenders/{id}/opening/record", get(record))
        .route("/api/tenders/{id}/opening/envelopes/{bid}", get(envelope))
        .route(
            "/api/tenders/{id}/opening/documents/{bid}",
            get(bid_documents),
        )
}

impl From<BidError> for ApiError {
    fn from(e: BidError) -> Self {
        let message = e.to_string();
        use BidError as B;
        match e {
            B::NotFound => ApiError::not_found("tender"),
            B::Forbidden(why) => ApiError::forbidden(why),
            B::BoxClosed { deadline } => ApiError::new(StatusCode::CONFLICT, "box_closed", message)
                .with_details(json!({ "deadline": deadline })),
            B::NotOpen => ApiError::new(StatusCode::CONFLICT, "not_open_for_bids", message),
            B::CustodiansIncomplete { missing } => {
                ApiError::new(StatusCode::CONFLICT, "custodians_incomplete", message)
                    .with_details(json!({ "missing": missing }))
            }
            B::NotObtained => {
                ApiError::new(StatusCode::FORBIDDEN, "documents_not_obtained", message)
            }
            B::Invalid { field, message } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
                    .with_details(json!({ "field": field }))
            }
            B::Envelope(_) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_envelope", message)
            }
            B::TooLarge { limit_bytes } => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "bid_too_large", message)
                    .with_details(json!({ "limit_bytes": limit_bytes }))
            }
            B::KeyExists => ApiError::new(StatusCode::CONFLICT, "key_exists", message),
            B::NothingToWithdraw => ApiError::new(StatusCode::NOT_FOUND, "no_bid", message),
            B::TooEarly { opening } => ApiError::new(StatusCode::CONFLICT, "too_early", message)
                .with_details(json!({ "opening": opening })),
            B::ShareMismatch { bid_id, custodian } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "share_mismatch", message)
                    .with_details(json!({ "bid_id": bid_id, "custodian": custodian }))
            }
            B::SignInFirst => ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message),
            B::DocumentsUnavailable => {
                ApiError::new(StatusCode::CONFLICT, "documents_unavailable", message)
            }
            B::Storage(detail) => ApiError::internal(detail),
            B::Store(s) => s.into(),
        }
    }
}

fn tender_id(s: &str) -> Result<TenderId, ApiError> {
    TenderId::parse(s).map_err(|_| ApiError::not_found("tender"))
}

/// The tender's custodians and their registered keys (public).
#[utoipa::path(get, path = "/api/tenders/{id}/custodians", tag = "bid box",
    responses((status = 200, body = Vec<CustodianView>), (status = 404)))]
async fn custodians(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<CustodianView>>, ApiError> {
    Ok(Json(service::custodians(&app, &tender_id(&id)?).await?))
}

/// A custodian registers its public key for the tender (index is 1-based, in the tender's order).
#[utoipa::path(post, path = "/api/tenders/{id}/custodians/{index}/key", operation_id = "register_custodian_key", request_body = NewCustodianKey,
    tag = "bid box", responses((status = 201, body = Object), (status = 403), (status = 409), (status = 422)))]
async fn register_key(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, index)): Path<(String, u8)>,
    ApiJson(new): ApiJson<NewCustodianKey>,
) -> Result<impl IntoResponse, ApiError> {
    let key: CustodianKey =
        service::register_key(&app, &actor, &tender_id(&id)?, index, new).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// The time-release custodian's identity key, which signs its tender keys' registrations.
#[utoipa::path(get, path = "/api/time-custodian/key", tag = "bid box", responses((status = 200, body = Object)))]
async fn time_custodian_key(State(app): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let key = app
        .time_custodian
        .identity()
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(json!({ "public_key": key })))
}

/// Submit (or replace) a sealed bid for a lot: the raw envelope as the body, streamed.
#[utoipa::path(post, path = "/api/tenders/{id}/lots/{lot}/bid", tag = "bid box",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = BidReceipt), (status = 409, description = "box_closed, custodians_incomplete"),
        (status = 422, description = "bad_envelope"), (status = 413)))]
async fn submit(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, lot)): Path<(String, String)>,
    req: Request,
) -> Result<impl IntoResponse, ApiError> {
    let stream = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let r = service::submit(&app, &actor, &tender_id(&id)?, &lot, Box::pin(stream)).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Withdraw the bid for a lot, before the deadline.
#[utoipa::path(delete, path = "/api/tenders/{id}/lots/{lot}/bid", tag = "bid box",
    responses((status = 200, body = BidReceipt), (status = 404), (status = 409)))]
async fn withdraw(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, lot)): Path<(String, String)>,
) -> Result<Json<BidReceipt>, ApiError> {
    Ok(Json(
        service::withdraw(&app, &actor, &tender_id(&id)?, &lot).await?,
    ))
}

/// The caller's own bids for the tender (tenderers only).
#[utoipa::path(get, path = "/api/tenders/{id}/bids/mine", tag = "bid box",
    responses((status = 200, body = Vec<Object>), (status = 403)))]
async fn mine(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Bid>>, ApiError> {
    Ok(Json(
        service::my_bids(&app, &actor, &tender_id(&id)?).await?,
    ))
}

/// What custodian `index` must open: every counted bid's header (from the deadline on).
#[utoipa::path(get, path = "/api/tenders/{id}/opening/shares/{index}", tag = "bid box",
    responses((status = 200, body = Vec<SealedShareView>), (status = 403), (status = 409, description = "too_early")))]
async fn sealed_shares(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, index)): Path<(String, u8)>,
) -> Result<Json<Vec<SealedShareView>>, ApiError> {
    Ok(Json(
        opening::sealed_shares(&app, &actor, &tender_id(&id)?, index).await?,
    ))
}

/// A custodian releases the shares it opened on its own device.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/shares/{index}", tag = "bid box",
    request_body = Vec<Release>,
    responses((status = 200, body = Object), (status = 409, description = "too_early"), (status = 422, description = "share_mismatch")))]
async fn release(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, index)): Path<(String, u8)>,
    ApiJson(shares): ApiJson<Vec<Release>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let n = crate::opening::service::release(&app, &actor, &tender_id(&id)?, index, shares).await?;
    Ok(Json(json!({ "accepted": n })))
}

/// Decrypt every bid that has k released shares; the others are reported as waiting.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/decrypt", tag = "bid box",
    responses((status = 200, body = Vec<BidOutcome>), (status = 403), (status = 409)))]
async fn decrypt(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<BidOutcome>>, ApiError> {
    Ok(Json(
        opening::decrypt(&app, &actor, &tender_id(&id)?).await?,
    ))
}

/// The public record of the opening: bidders, salts, released shares, outcomes.
#[utoipa::path(get, path = "/api/tenders/{id}/opening/record", tag = "bid box",
    responses((status = 200, body = Vec<OpenedBidRecord>), (status = 409, description = "too_early")))]
async fn record(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<OpenedBidRecord>>, ApiError> {
    Ok(Json(opening::record(&app, &tender_id(&id)?).await?))
}

/// A counted bid's sealed envelope, after the deadline, for re-checking the opening.
#[utoipa::path(get, path = "/api/tenders/{id}/opening/envelopes/{bid}", tag = "bid box",
    responses((status = 200, content_type = "application/octet-stream"), (status = 404), (status = 409)))]
async fn envelope(
    State(app): State<AppState>,
    Path((id, bid)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (bid, file) = opening::envelope_file(&app, &tender_id(&id)?, &bid).await?;
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/octet-stream".to_string(),
            ),
            (axum::http::header::CONTENT_LENGTH, bid.size.to_string()),
        ],
        body,
    ))
}

/// Who asks for bid documents: a committee member (its `bhm_` token), a signed-in user, or
/// nobody. A token that is present but not valid is refused (401), never taken for the public.
struct Reader(Option<Actor>, Option<MemberSession>);

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let member = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .filter(|t| t.starts_with(TOKEN_PREFIX))
            .map(str::to_string);
        if let Some(token) = member {
            let m = crate::award::service::member(app, &token).await?;
            return Ok(Reader(None, Some(m)));
        }
        Ok(Reader(
            MaybeUser::from_request_parts(parts, app).await?.0,
            None,
        ))
    }
}

/// A bid's decrypted documents (a tar archive: v2 the attachments, v1 the whole bid archive),
/// for the tender's committee members, owner, agent and supervisor and the bidder itself only
/// (`bids::documents::may_read_bid_documents`); 401 signed out, 403 anyone else.
#[utoipa::path(get, path = "/api/tenders/{id}/opening/documents/{bid}", tag = "bid box",
    responses((status = 200, content_type = "application/x-tar"), (status = 401), (status = 403),
        (status = 404), (status = 409, description = "too_early, documents_unavailable")))]
async fn bid_documents(
    State(app): State<AppState>,
    Reader(actor, member): Reader,
    Path((id, bid)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let reader = match (&member, &actor) {
        (Some(m), _) => DocumentReader::Member(m),
        (None, Some(a)) => DocumentReader::User(a),
        (None, None) => DocumentReader::Public,
    };
    let docs = documents::documents(&app, reader, &tender_id(&id)?, &bid).await?;
    let (bid, version) = (docs.bid, docs.version);
    let mut response = (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/x-tar".to_string(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"bid-{}-documents.tar\"", bid.id),
            ),
            // Confidential: no shared cache may keep a copy.
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
            (
                axum::http::HeaderName::from_static("x-bidhall-envelope-version"),
                version.to_string(),
            ),
        ],
        axum::body::Body::from_stream(docs.body),
    )
        .into_response();
    if let Some(size) = docs.size {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_LENGTH, size.into());
    }
    Ok(response)
}
