//! Routes for projects, tenders, amendments, documents and who obtained them. Handlers extract,
//! call `tenders::service`, and map the result.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, MaybeUser};
use crate::app::AppState;
use crate::domain::{DocumentId, TenderId};
use crate::tenders::model::{Amendment, Project, Tender, TenderDocument};
use crate::tenders::service::{
    self, Amended, CancelTender, EditDraft, NewAmendment, NewProject, NewTender, ObtainReceipt,
    Obtainer,
};
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::TryStreamExt;
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/projects", post(create_project).get(my_projects))
        .route("/api/tenders", post(create_tender).get(my_tenders))
        .route("/api/tenders/{id}", get(view).put(edit_draft))
        .route("/api/tenders/{id}/publish", post(publish))
        .route("/api/tenders/{id}/cancel", post(cancel))
        .route(
            "/api/tenders/{id}/amendments",
            post(amend).get(list_amendments),
        )
        .route(
            "/api/tenders/{id}/documents",
            post(upload_document).get(list_documents),
        )
        .route("/api/tenders/{id}/obtain", post(obtain))
        .route("/api/tenders/{id}/obtainers", get(obtainers))
        .route("/api/documents/{id}/content", get(download))
}

fn tender_id(s: &str) -> Result<TenderId, ApiError> {
    TenderId::parse(s).map_err(|_| ApiError::not_found("tender"))
}

/// Create a project (owners).
#[utoipa::path(post, path = "/api/projects", request_body = NewProject, tag = "tenders",
    responses((status = 201, body = Object), (status = 403), (status = 422)))]
async fn create_project(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(new): ApiJson<NewProject>,
) -> Result<impl IntoResponse, ApiError> {
    let p = service::create_project(&app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Projects the caller's organisation owns or runs as agent.
#[utoipa::path(get, path = "/api/projects", tag = "tenders", responses((status = 200, body = Vec<Object>)))]
async fn my_projects(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Vec<Project>>, ApiError> {
    Ok(Json(service::my_projects(&app, &actor).await?))
}

/// Create a tender draft (the project's owner or agent).
#[utoipa::path(post, path = "/api/tenders", request_body = NewTender, tag = "tenders",
    responses((status = 201, body = Object), (status = 403), (status = 422)))]
async fn create_tender(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    ApiJson(new): ApiJson<NewTender>,
) -> Result<impl IntoResponse, ApiError> {
    let t = service::create_tender(&app, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Tenders the caller's organisation runs (owners and agents).
#[utoipa::path(get, path = "/api/tenders", tag = "tenders", responses((status = 200, body = Vec<Object>), (status = 403)))]
async fn my_tenders(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Vec<Tender>>, ApiError> {
    Ok(Json(service::my_tenders(&app, &actor).await?))
}

/// A tender: public once published; a draft only for those who run it and the platform.
#[utoipa::path(get, path = "/api/tenders/{id}", tag = "tenders", responses((status = 200, body = Object), (status = 404)))]
async fn view(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Tender>, ApiError> {
    Ok(Json(
        service::view(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

/// Edit a draft (published tenders change by amendment).
#[utoipa::path(put, path = "/api/tenders/{id}", request_body = EditDraft, tag = "tenders",
    responses((status = 200, body = Object), (status = 409, description = "stale_version or published_tender_needs_amendment")))]
async fn edit_draft(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(edit): ApiJson<EditDraft>,
) -> Result<Json<Tender>, ApiError> {
    Ok(Json(
        service::edit_draft(&app, &actor, &tender_id(&id)?, edit).await?,
    ))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Publish {
    pub version: i64,
}

/// Publish a draft; 422 `law_violation` lists every rule refused, with its article.
#[utoipa::path(post, path = "/api/tenders/{id}/publish", request_body = Publish, tag = "tenders",
    responses((status = 200, body = Object), (status = 422, description = "law_violation")))]
async fn publish(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(p): ApiJson<Publish>,
) -> Result<Json<Tender>, ApiError> {
    Ok(Json(
        service::publish(&app, &actor, &tender_id(&id)?, p.version).await?,
    ))
}

/// Cancel a draft or a tender still open for bids.
#[utoipa::path(post, path = "/api/tenders/{id}/cancel", request_body = CancelTender, tag = "tenders",
    responses((status = 200, body = Object), (status = 409)))]
async fn cancel(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CancelTender>,
) -> Result<Json<Tender>, ApiError> {
    Ok(Json(
        service::cancel(&app, &actor, &tender_id(&id)?, req).await?,
    ))
}

/// Publish a clarification or amendment; 422 `amendment_too_late` proposes the earliest legal
/// deadline in `details.proposed_deadline`.
#[utoipa::path(post, path = "/api/tenders/{id}/amendments", request_body = NewAmendment, tag = "tenders",
    responses((status = 201, body = Amended), (status = 422, description = "law_violation or amendment_too_late")))]
async fn amend(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(new): ApiJson<NewAmendment>,
) -> Result<impl IntoResponse, ApiError> {
    let done = service::amend(&app, &actor, &tender_id(&id)?, new).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

/// The tender's amendment history, oldest first.
#[utoipa::path(get, path = "/api/tenders/{id}/amendments", tag = "tenders", responses((status = 200, body = Vec<Object>)))]
async fn list_amendments(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Amendment>>, ApiError> {
    Ok(Json(
        service::amendments(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UploadParams {
    /// The file name shown in the notice.
    pub name: String,
}

/// Upload a tender document: the raw bytes as the body, streamed to storage and hashed.
#[utoipa::path(post, path = "/api/tenders/{id}/documents", params(UploadParams), tag = "tenders",
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 201, body = Object), (status = 413, description = "document_too_large")))]
async fn upload_document(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    Query(p): Query<UploadParams>,
    req: Request,
) -> Result<impl IntoResponse, ApiError> {
    let id = tender_id(&id)?;
    let media_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let limit = app.config.max_document_mib * 1024 * 1024;
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(
            crate::tenders::service::TenderError::DocumentTooLarge { limit_bytes: limit }.into(),
        );
    }
    let stream = req
        .into_body()
        .into_data_stream()
        .map_err(std::io::Error::other);
    let doc =
        service::upload_document(&app, &actor, &id, &p.name, &media_type, Box::pin(stream)).await?;
    Ok((StatusCode::CREATED, Json(doc)))
}

/// The tender's documents with their SHA-256 (issued ones; drafts and staged ones too for those
/// who run the tender).
#[utoipa::path(get, path = "/api/tenders/{id}/documents", tag = "tenders", responses((status = 200, body = Vec<Object>)))]
async fn list_documents(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<TenderDocument>>, ApiError> {
    Ok(Json(
        service::documents(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

/// Download a document (those who run the tender, its supervisor, the platform, and tenderers
/// that obtained the documents).
#[utoipa::path(get, path = "/api/documents/{id}/content", tag = "tenders", responses((status = 200), (status = 403), (status = 404)))]
async fn download(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let id = DocumentId::parse(&id).map_err(|_| ApiError::not_found("document"))?;
    let (doc, file) = service::open_document(&app, &actor, &id).await?;
    let mut headers = HeaderMap::new();
    let media = HeaderValue::from_str(&doc.media_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    headers.insert(CONTENT_TYPE, media);
    headers.insert(CONTENT_LENGTH, HeaderValue::from(doc.size as u64));
    let disposition = format!(
        "attachment; filename=\"document\"; filename*=UTF-8''{}",
        percent_encode(doc.name.as_str())
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        headers.insert(CONTENT_DISPOSITION, v);
    }
    headers.insert(
        "x-content-sha256",
        HeaderValue::from_str(&doc.sha256).expect("hex"),
    );
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    Ok((headers, body))
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Obtain the tender documents (tenderers, while on sale). Who obtained them stays confidential.
#[utoipa::path(post, path = "/api/tenders/{id}/obtain", tag = "tenders",
    responses((status = 200, body = ObtainReceipt), (status = 403), (status = 409, description = "documents_not_on_sale")))]
async fn obtain(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ObtainReceipt>, ApiError> {
    Ok(Json(service::obtain(&app, &actor, &tender_id(&id)?).await?))
}

/// Who obtained the documents: the platform at any time; the owner, agent and supervisor after
/// the opening.
#[utoipa::path(get, path = "/api/tenders/{id}/obtainers", tag = "tenders",
    responses((status = 200, body = Vec<Obtainer>), (status = 403)))]
async fn obtainers(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Obtainer>>, ApiError> {
    Ok(Json(
        service::obtainers(&app, &actor, &tender_id(&id)?).await?,
    ))
}
