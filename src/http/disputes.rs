//! Routes of questions, objections to the documents and complaints (docs/disputes.md). Handlers
//! extract, call `disputes::service`, and map the result; the refusals' codes are listed here once.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, MaybeUser};
use crate::app::AppState;
use crate::disputes::law::Refusal;
use crate::disputes::service::{
    self, AcceptanceInput, ComplaintView, DecisionInput, DisputeError, NewComplaint, ObjectionView,
    ObjectionsView, QuestionView, QuestionsView, TextInput,
};
use crate::domain::TenderId;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tenders/{id}/questions", get(list_questions).post(ask))
        .route(
            "/api/tenders/{id}/questions/{question}/answer",
            post(answer_question),
        )
        .route(
            "/api/tenders/{id}/document-objections",
            get(list_objections).post(object),
        )
        .route(
            "/api/tenders/{id}/document-objections/{objection}/answer",
            post(answer_objection),
        )
        .route(
            "/api/tenders/{id}/complaints",
            get(list_complaints).post(complain),
        )
        .route(
            "/api/tenders/{id}/complaints/{complaint}/acceptance",
            post(accept),
        )
        .route(
            "/api/tenders/{id}/complaints/{complaint}/decision",
            post(decide),
        )
        .route("/api/supervision/complaints", get(supervised))
}

impl From<DisputeError> for ApiError {
    fn from(e: DisputeError) -> Self {
        let message = e.to_string();
        match e {
            DisputeError::NotFound(what) => ApiError::not_found(what),
            DisputeError::Forbidden(why) => ApiError::forbidden(why),
            DisputeError::NotObtained => {
                ApiError::new(StatusCode::FORBIDDEN, "not_obtained", message)
            }
            DisputeError::WrongState { state } => {
                ApiError::new(StatusCode::CONFLICT, "wrong_state", message)
                    .with_details(json!({ "state": state }))
            }
            DisputeError::Invalid { field, value } => ApiError::invalid_field(field, &value),
            DisputeError::Refused(r) => refusal(r),
            DisputeError::Access(d) => d.into(),
            DisputeError::Store(s) => s.into(),
        }
    }
}

/// A rule's refusal: its rule as the code, its article and its moment in the details.
fn refusal(r: Refusal) -> ApiError {
    let message = r.to_string();
    let (status, details) = match &r {
        Refusal::QuestionsClosed { deadline } => {
            (StatusCode::CONFLICT, json!({ "deadline": deadline }))
        }
        Refusal::ObjectionTooLate { latest } | Refusal::ComplaintTooLate { latest } => {
            (StatusCode::CONFLICT, json!({ "latest": latest }))
        }
        Refusal::ObjectionAwaitingAnswer { due } => (StatusCode::CONFLICT, json!({ "due": due })),
        Refusal::ComplaintWrongState { state } => (StatusCode::CONFLICT, json!({ "state": state })),
        Refusal::AlreadyAnswered => (StatusCode::CONFLICT, json!({})),
        Refusal::PriorObjectionRequired { matter } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "matter": matter }),
        ),
        Refusal::UnknownObjection => (
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "field": "objection_id" }),
        ),
        Refusal::RejectionNeedsReason | Refusal::KnewInTheFuture => {
            let field = if r == Refusal::KnewInTheFuture {
                "knew_at"
            } else {
                "reason"
            };
            return ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
                .with_details(json!({ "field": field, "rule": r.rule() }));
        }
    };
    let mut details = details;
    if let Some(article) = r.article() {
        details["article"] = json!(article);
    }
    ApiError::new(status, r.rule(), message).with_details(details)
}

fn tender_id(s: &str) -> Result<TenderId, ApiError> {
    TenderId::parse(s).map_err(|_| ApiError::not_found("tender"))
}

/// The tender's questions: the answered ones (its published clarifications, never saying who
/// asked) for everyone; also the caller's own; all of them for the owner, agent, supervisor and
/// trading centre.
#[utoipa::path(get, path = "/api/tenders/{id}/questions", operation_id = "disputes_questions", tag = "disputes",
    responses((status = 200, body = QuestionsView), (status = 404)))]
async fn list_questions(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<QuestionsView>, ApiError> {
    Ok(Json(
        service::questions(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

/// A tenderer that obtained the documents asks a question, until the clarification deadline
/// (409 `questions_closed`, 实施条例 第二十二条).
#[utoipa::path(post, path = "/api/tenders/{id}/questions", operation_id = "disputes_ask", tag = "disputes",
    request_body = TextInput,
    responses((status = 201, body = QuestionView),
        (status = 403, description = "`forbidden` (not a tenderer), `not_obtained`"),
        (status = 409, description = "`questions_closed`, `wrong_state`")))]
async fn ask(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<(StatusCode, Json<QuestionView>), ApiError> {
    let q = service::ask(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(q)))
}

/// The owner or agent answers a question before the bid deadline; it is published at once.
#[utoipa::path(post, path = "/api/tenders/{id}/questions/{question}/answer", operation_id = "disputes_answer_question", tag = "disputes",
    request_body = TextInput,
    responses((status = 200, body = QuestionView), (status = 403),
        (status = 409, description = "`already_answered`, `wrong_state`")))]
async fn answer_question(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, question)): Path<(String, String)>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<Json<QuestionView>, ApiError> {
    Ok(Json(
        service::answer_question(&app, &actor, &tender_id(&id)?, &question, input).await?,
    ))
}

/// The objections to the tender's documents and whether one awaits its answer (`pending`):
/// answered ones for everyone, never saying who objected; also the caller's own; all of them for
/// those who run or supervise the tender.
#[utoipa::path(get, path = "/api/tenders/{id}/document-objections", operation_id = "disputes_objections", tag = "disputes",
    responses((status = 200, body = ObjectionsView), (status = 404)))]
async fn list_objections(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<ObjectionsView>, ApiError> {
    Ok(Json(
        service::objections(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

/// A tenderer that obtained the documents objects to them, at least 10 days before the bid
/// deadline (409 `objection_too_late`, 实施条例 第二十二条).
#[utoipa::path(post, path = "/api/tenders/{id}/document-objections", operation_id = "disputes_object", tag = "disputes",
    request_body = TextInput,
    responses((status = 201, body = ObjectionView),
        (status = 403, description = "`forbidden` (not a tenderer), `not_obtained`"),
        (status = 409, description = "`objection_too_late`, `wrong_state`")))]
async fn object(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<(StatusCode, Json<ObjectionView>), ApiError> {
    let o = service::object(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(o)))
}

/// The owner or agent answers an objection; after its 3 days the answer is marked `late`.
#[utoipa::path(post, path = "/api/tenders/{id}/document-objections/{objection}/answer", operation_id = "disputes_answer_objection", tag = "disputes",
    request_body = TextInput,
    responses((status = 200, body = ObjectionView), (status = 403),
        (status = 409, description = "`already_answered`, `wrong_state`")))]
async fn answer_objection(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, objection)): Path<(String, String)>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<Json<ObjectionView>, ApiError> {
    Ok(Json(
        service::answer_objection(&app, &actor, &tender_id(&id)?, &objection, input).await?,
    ))
}

/// The tender's complaints: that each exists, its state and its decision for everyone; what it
/// says for the parties; who made it for the complainant, the supervisor and the trading centre,
/// and for the owner and agent from the bid deadline on (招标投标法 第二十二条).
#[utoipa::path(get, path = "/api/tenders/{id}/complaints", operation_id = "disputes_complaints", tag = "disputes",
    responses((status = 200, body = Vec<ComplaintView>), (status = 404)))]
async fn list_complaints(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<ComplaintView>>, ApiError> {
    Ok(Json(
        service::complaints(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

/// A tenderer that obtained the documents complains to the tender's supervising department within
/// 10 days of knowing (实施条例 第六十条), after an objection on the documents, the opening or the
/// candidates (第二款).
#[utoipa::path(post, path = "/api/tenders/{id}/complaints", operation_id = "disputes_complain", tag = "disputes",
    request_body = NewComplaint,
    responses((status = 201, body = ComplaintView),
        (status = 403, description = "`forbidden` (not a tenderer), `not_obtained`"),
        (status = 409, description = "`complaint_too_late`, `objection_awaiting_answer`"),
        (status = 422, description = "`prior_objection_required`, `unknown_objection`, `invalid_field` (`knew_at` in the future)")))]
async fn complain(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<NewComplaint>,
) -> Result<(StatusCode, Json<ComplaintView>), ApiError> {
    let c = service::complain(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// The supervising department accepts or rejects a complaint (a rejection says why); after 3
/// working days the answer is marked `late` (实施条例 第六十一条).
#[utoipa::path(post, path = "/api/tenders/{id}/complaints/{complaint}/acceptance", operation_id = "disputes_accept", tag = "disputes",
    request_body = AcceptanceInput,
    responses((status = 200, body = ComplaintView), (status = 403),
        (status = 409, description = "`complaint_wrong_state`")))]
async fn accept(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, complaint)): Path<(String, String)>,
    ApiJson(input): ApiJson<AcceptanceInput>,
) -> Result<Json<ComplaintView>, ApiError> {
    Ok(Json(
        service::accept(&app, &actor, &tender_id(&id)?, &complaint, input).await?,
    ))
}

/// The supervising department's written decision on an accepted complaint; after 30 working
/// days it is marked `late` (实施条例 第六十一条).
#[utoipa::path(post, path = "/api/tenders/{id}/complaints/{complaint}/decision", operation_id = "disputes_decide", tag = "disputes",
    request_body = DecisionInput,
    responses((status = 200, body = ComplaintView), (status = 403),
        (status = 409, description = "`complaint_wrong_state`")))]
async fn decide(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, complaint)): Path<(String, String)>,
    ApiJson(input): ApiJson<DecisionInput>,
) -> Result<Json<ComplaintView>, ApiError> {
    Ok(Json(
        service::decide(&app, &actor, &tender_id(&id)?, &complaint, input).await?,
    ))
}

/// Every complaint addressed to the caller's supervising department, newest first.
#[utoipa::path(get, path = "/api/supervision/complaints", operation_id = "disputes_supervised", tag = "disputes",
    responses((status = 200, body = Vec<ComplaintView>), (status = 403)))]
async fn supervised(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
) -> Result<Json<Vec<ComplaintView>>, ApiError> {
    Ok(Json(service::supervised(&app, &actor).await?))
}
