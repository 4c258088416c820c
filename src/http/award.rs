//! Routes of the evaluation and the award: the committee (formed by the host, members signed in
//! with one-time codes to a token scoped to their seat), the report, the candidates' publicity,
//! objections, the award notice and the contract — and the public view of it all.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, MaybeUser};
use crate::app::AppState;
use crate::award::member::{MemberSession, TOKEN_PREFIX};
use crate::award::service::{
    self, AwardError, ClarifyInput, CommitteeInput, Contract, ContractInput, DeclarationInput,
    MemberSignIn, PublicityInput, ScoreInput, TerminationInput, TextInput,
};
use crate::award::state::Refusal;
use crate::domain::TenderId;
use crate::identity::Actor;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tenders/{id}/award", get(view))
        .route(
            "/api/tenders/{id}/evaluation/committee",
            post(form_committee),
        )
        .route("/api/tenders/{id}/evaluation/codes", post(issue_codes))
        .route("/api/evaluation/sign-in", post(sign_in))
        .route("/api/tenders/{id}/evaluation", get(member_view))
        .route("/api/tenders/{id}/evaluation/declaration", post(declare))
        .route("/api/tenders/{id}/evaluation/scores", post(score))
        .route(
            "/api/tenders/{id}/evaluation/draft-report",
            get(draft_report),
        )
        .route("/api/tenders/{id}/evaluation/sign", post(sign_report))
        .route("/api/tenders/{id}/evaluation/report", get(final_report))
        .route("/api/tenders/{id}/award/candidates", post(publicise))
        .route("/api/tenders/{id}/award/objections", post(object))
        .route(
            "/api/tenders/{id}/award/objections/{objection}/answer",
            post(answer),
        )
        .route("/api/tenders/{id}/award/notice", post(issue_notice))
        .route("/api/tenders/{id}/award/decline", post(decline))
        .route("/api/tenders/{id}/award/contract", post(record_contract))
        .route("/api/tenders/{id}/award/letters", get(letters))
        .route("/api/tenders/{id}/award/termination", post(terminate))
        .route(
            "/api/tenders/{id}/evaluation/clarifications",
            post(ask_clarification),
        )
        .route(
            "/api/tenders/{id}/award/clarifications/{n}/answer",
            post(answer_clarification),
        )
}

impl From<AwardError> for ApiError {
    fn from(e: AwardError) -> Self {
        match e {
            AwardError::NotFound => ApiError::not_found("tender"),
            AwardError::Store(s) => s.into(),
            AwardError::BadCredential => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_evaluation_credential",
                e.to_string(),
            ),
            AwardError::Refused(r) => refusal(r),
            AwardError::Bonds(e) => (*e).into(),
        }
    }
}

fn refusal(r: Refusal) -> ApiError {
    let message = r.to_string();
    let conflict = |code| ApiError::new(StatusCode::CONFLICT, code, message.clone());
    let unprocessable =
        |code| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message.clone());
    match r {
        Refusal::Forbidden(why) => ApiError::forbidden(why),
        Refusal::WrongStage { stage } => {
            conflict("award_wrong_stage").with_details(json!({ "stage": stage }))
        }
        Refusal::OpeningNotConcluded => conflict("opening_not_concluded"),
        Refusal::NoExpertDraw => conflict("no_expert_draw"),
        Refusal::Composition {
            experts,
            representatives,
            ..
        } => unprocessable("committee_composition").with_details(json!({
            "experts": experts, "representatives": representatives, "article": "法37",
        })),
        Refusal::DeclarationRequired => conflict("declaration_required"),
        Refusal::Recused => ApiError::new(StatusCode::FORBIDDEN, "member_recused", message),
        Refusal::AlreadyDeclared => conflict("already_declared"),
        Refusal::ScoresIncomplete { missing } => {
            let missing: Vec<Value> = missing
                .iter()
                .map(|(seat, line)| json!({ "seat": seat, "line": line }))
                .collect();
            conflict("scores_incomplete").with_details(json!({ "missing": missing }))
        }
        Refusal::SigningStarted => conflict("report_being_signed"),
        Refusal::ReportChanged { current } => {
            conflict("report_changed").with_details(json!({ "report_sha256": current }))
        }
        Refusal::AlreadySigned => conflict("already_signed"),
        Refusal::PublicityTooShort { earliest } => unprocessable("publicity_too_short")
            .with_details(json!({ "earliest": earliest, "article": "条例54" })),
        Refusal::PublicityWindowOpen { until } => conflict("publicity_window_open")
            .with_details(json!({ "until": until, "article": "条例54" })),
        Refusal::PublicityWindowClosed { until } => {
            conflict("publicity_window_closed").with_details(json!({ "until": until }))
        }
        Refusal::ObjectionsUnanswered { ids } => conflict("objections_unanswered")
            .with_details(json!({ "objections": ids, "article": "条例54" })),
        Refusal::ContractDeadlinePassed { deadline } => conflict("contract_deadline_passed")
            .with_details(json!({ "deadline": deadline, "article": "法46" })),
        Refusal::ContractPriceDiffers {
            bid_fen,
            contract_fen,
        } => unprocessable("contract_price_differs").with_details(json!({
            "bid_fen": bid_fen, "contract_fen": contract_fen, "article": "法46",
        })),
        Refusal::PerformanceBondMissing {
            required_fen,
            held_fen,
        } => conflict("performance_bond_missing")
            .with_details(json!({ "required_fen": required_fen, "held_fen": held_fen })),
        Refusal::NotACandidate => ApiError::new(StatusCode::FORBIDDEN, "not_a_candidate", message),
        Refusal::BadInput(_) => unprocessable("invalid_input"),
        Refusal::RejectionGroundRequired => {
            unprocessable("rejection_ground_required").with_details(json!({ "article": "条例51" }))
        }
        Refusal::LotRequired => unprocessable("lot_required"),
        Refusal::OneCommittee => unprocessable("one_committee"),
        Refusal::DrawAlreadyUsed { draw_id } => {
            conflict("draw_already_used").with_details(json!({ "draw_id": draw_id }))
        }
        Refusal::LotWrongStage { lot, stage } => {
            conflict("lot_wrong_stage").with_details(json!({ "lot_id": lot, "stage": stage }))
        }
        Refusal::NotFound(what) => ApiError::not_found(what),
    }
}

fn tender_id(s: &str) -> Result<TenderId, ApiError> {
    TenderId::parse(s).map_err(|_| ApiError::not_found("tender"))
}

/// The member token a request carries (`Authorization: Bearer bhm_…`), if it does.
fn member_token(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let t = v.strip_prefix("Bearer ")?;
    t.starts_with(TOKEN_PREFIX).then(|| t.to_string())
}

/// A signed-in committee member; 401 otherwise.
pub struct Member(pub MemberSession);

impl FromRequestParts<AppState> for Member {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let token = member_token(parts).ok_or_else(|| {
            ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_evaluation_credential",
                "sign in with your evaluation code first",
            )
        })?;
        Ok(Member(service::member(app, &token).await?))
    }
}

/// A committee member, a signed-in user, or the public.
pub struct Reader(Option<Actor>, Option<MemberSession>);

impl FromRequestParts<AppState> for Reader {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if let Some(token) = member_token(parts) {
            return Ok(Reader(None, Some(service::member(app, &token).await?)));
        }
        Ok(Reader(
            MaybeUser::from_request_parts(parts, app).await?.0,
            None,
        ))
    }
}

/// The award as this viewer may see it: stage, candidates once publicised, objections (a
/// count for the public), the notice and the contract.
#[utoipa::path(get, path = "/api/tenders/{id}/award", operation_id = "award_view", tag = "award",
    responses((status = 200, body = Object), (status = 404)))]
async fn view(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::view(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

/// The host forms the committee from the tender's expert draw; each member's one-time code is
/// in this answer only.
#[utoipa::path(post, path = "/api/tenders/{id}/evaluation/committee", tag = "award",
    request_body = CommitteeInput,
    responses((status = 201, body = Object), (status = 403), (status = 409), (status = 422)))]
async fn form_committee(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CommitteeInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let members = service::form_committee(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "members": members }))))
}

/// Fresh codes for the members who have not signed the report; older unused codes stop working.
#[utoipa::path(post, path = "/api/tenders/{id}/evaluation/codes", tag = "award",
    responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn issue_codes(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let members = service::issue_codes(&app, &actor, &tender_id(&id)?).await?;
    Ok(Json(json!({ "members": members })))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeInput {
    pub code: String,
}

/// A member signs in with its one-time code: a token for its seat of one tender's committee.
#[utoipa::path(post, path = "/api/evaluation/sign-in", operation_id = "evaluation_sign_in", tag = "award", request_body = CodeInput,
    responses((status = 200, body = MemberSignIn), (status = 401)))]
async fn sign_in(
    State(app): State<AppState>,
    ApiJson(input): ApiJson<CodeInput>,
) -> Result<Json<MemberSignIn>, ApiError> {
    Ok(Json(service::sign_in(&app, &input.code).await?))
}

/// What the signed-in member sees: the bids, its own declaration and marks, the progress.
#[utoipa::path(get, path = "/api/tenders/{id}/evaluation", tag = "award",
    responses((status = 200, body = Object), (status = 401), (status = 403)))]
async fn member_view(
    State(app): State<AppState>,
    Member(m): Member,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::member_view(&app, &m, &tender_id(&id)?).await?,
    ))
}

/// 回避声明: the member declares whether it has an interest in any tenderer.
#[utoipa::path(post, path = "/api/tenders/{id}/evaluation/declaration", tag = "award",
    request_body = DeclarationInput,
    responses((status = 200, body = Object), (status = 401), (status = 409)))]
async fn declare(
    State(app): State<AppState>,
    Member(m): Member,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<DeclarationInput>,
) -> Result<Json<Value>, ApiError> {
    let id = tender_id(&id)?;
    service::declare(&app, &m, &id, input).await?;
    Ok(Json(service::member_view(&app, &m, &id).await?))
}

/// The member marks one bid: compliance, and its scores under comprehensive scoring.
#[utoipa::path(post, path = "/api/tenders/{id}/evaluation/scores", tag = "award",
    request_body = ScoreInput,
    responses((status = 200, body = Object), (status = 401), (status = 409), (status = 422)))]
async fn score(
    State(app): State<AppState>,
    Member(m): Member,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ScoreInput>,
) -> Result<Json<Value>, ApiError> {
    let id = tender_id(&id)?;
    service::score(&app, &m, &id, input).await?;
    Ok(Json(service::member_view(&app, &m, &id).await?))
}

/// The report as it stands, with its hash, for the committee to read before signing.
#[utoipa::path(get, path = "/api/tenders/{id}/evaluation/draft-report", tag = "award",
    responses((status = 200, body = Object), (status = 401), (status = 409)))]
async fn draft_report(
    State(app): State<AppState>,
    Member(m): Member,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::draft_report(&app, &m, &tender_id(&id)?).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInput {
    /// The hash of the report the member read.
    pub report_sha256: String,
}

/// The member signs the report it read; the last signature makes it final.
#[utoipa::path(post, path = "/api/tenders/{id}/evaluation/sign", tag = "award",
    request_body = SignInput,
    responses((status = 200, body = Object), (status = 401), (status = 409)))]
async fn sign_report(
    State(app): State<AppState>,
    Member(m): Member,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SignInput>,
) -> Result<Json<Value>, ApiError> {
    let id = tender_id(&id)?;
    service::sign_report(&app, &m, &id, &input.report_sha256).await?;
    Ok(Json(service::member_view(&app, &m, &id).await?))
}

/// The final, signed evaluation report: for the committee, host, owner and supervisor once final;
/// for everyone once the award notice is issued. Where each lot has its own committee, `lot_id`
/// names the lot (a member reads its own committee's).
#[utoipa::path(get, path = "/api/tenders/{id}/evaluation/report", tag = "award",
    responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn final_report(
    State(app): State<AppState>,
    Reader(actor, member): Reader,
    Path(id): Path<String>,
    Query(q): Query<LotQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::final_report(
            &app,
            actor.as_ref(),
            member.as_ref(),
            &tender_id(&id)?,
            q.lot_id.as_deref(),
        )
        .await?,
    ))
}

/// The host publicises up to three ranked candidates for at least three days.
#[utoipa::path(post, path = "/api/tenders/{id}/award/candidates", tag = "award",
    request_body = PublicityInput,
    responses((status = 200, body = Object), (status = 403), (status = 409), (status = 422)))]
async fn publicise(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<PublicityInput>,
) -> Result<Json<Value>, ApiError> {
    let id = tender_id(&id)?;
    service::publicise(&app, &actor, &id, input).await?;
    Ok(Json(service::view(&app, Some(&actor), &id).await?))
}

/// A tenderer that bid objects to the candidates within the window.
#[utoipa::path(post, path = "/api/tenders/{id}/award/objections", operation_id = "award_object", tag = "award",
    request_body = TextInput,
    responses((status = 201, body = Object), (status = 403), (status = 409)))]
async fn object(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let n = service::object(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": n }))))
}

/// The owner or its agent answers an objection; an answer after 3 days is marked late.
#[utoipa::path(post, path = "/api/tenders/{id}/award/objections/{objection}/answer", operation_id = "award_answer", tag = "award",
    request_body = TextInput,
    responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409)))]
async fn answer(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, objection)): Path<(String, i64)>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<Json<Value>, ApiError> {
    let late = service::answer(&app, &actor, &tender_id(&id)?, objection, input).await?;
    Ok(Json(json!({ "id": objection, "late": late })))
}

/// Which lot (标段) a body-less step is for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LotQuery {
    /// The lot; may be left out when the tender has one lot.
    pub lot_id: Option<String>,
}

/// The owner issues a lot's award notice (中标通知书) to its best standing candidate.
#[utoipa::path(post, path = "/api/tenders/{id}/award/notice", tag = "award",
    params(LotQuery),
    responses((status = 200, body = Object), (status = 403), (status = 409), (status = 422)))]
async fn issue_notice(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    Query(q): Query<LotQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::issue_notice(&app, &actor, &tender_id(&id)?, q.lot_id.as_deref()).await?,
    ))
}

/// A candidate declines: the next stands, or the award fails.
#[utoipa::path(post, path = "/api/tenders/{id}/award/decline", tag = "award",
    request_body = TextInput,
    responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn decline(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<Json<Value>, ApiError> {
    let id = tender_id(&id)?;
    service::decline(&app, &actor, &id, input).await?;
    Ok(Json(service::view(&app, Some(&actor), &id).await?))
}

/// The owner records the contract within 30 days of the notice, at the winning price.
#[utoipa::path(post, path = "/api/tenders/{id}/award/contract", tag = "award",
    request_body = ContractInput,
    responses((status = 201, body = Contract), (status = 403), (status = 409), (status = 422)))]
async fn record_contract(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ContractInput>,
) -> Result<(StatusCode, Json<Contract>), ApiError> {
    let c = service::record_contract(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// The signed award letters (中标通知书, 中标结果通知书, 法45) the caller may read: a tenderer its
/// own, the owner, its agent and the supervisor all; each checkable offline with the log's key.
#[utoipa::path(get, path = "/api/tenders/{id}/award/letters", tag = "award",
    responses((status = 200, body = Vec<Object>), (status = 401), (status = 403), (status = 404)))]
async fn letters(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Value>>, ApiError> {
    Ok(Json(
        service::letters(&app, &actor, &tender_id(&id)?).await?,
    ))
}

/// The owner terminates the tender after the opening, or cancels one lot, with its reason
/// (条例31): public, and the bid bonds go back.
#[utoipa::path(post, path = "/api/tenders/{id}/award/termination", tag = "award",
    request_body = TerminationInput,
    responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn terminate(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<TerminationInput>,
) -> Result<Json<Value>, ApiError> {
    let id = tender_id(&id)?;
    service::terminate(&app, &actor, &id, input).await?;
    Ok(Json(service::view(&app, Some(&actor), &id).await?))
}

/// A member asks the tenderer of a bid to clarify it in writing (条例52).
#[utoipa::path(post, path = "/api/tenders/{id}/evaluation/clarifications", tag = "award",
    request_body = ClarifyInput,
    responses((status = 201, body = Object), (status = 401), (status = 404), (status = 409)))]
async fn ask_clarification(
    State(app): State<AppState>,
    Member(m): Member,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ClarifyInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let n = service::ask_clarification(&app, &m, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": n }))))
}

/// The tenderer asked answers a member's clarification question in writing.
#[utoipa::path(post, path = "/api/tenders/{id}/award/clarifications/{n}/answer", tag = "award",
    request_body = TextInput,
    responses((status = 200, body = Object), (status = 403), (status = 404), (status = 409), (status = 422)))]
async fn answer_clarification(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, n)): Path<(String, i64)>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<Json<Value>, ApiError> {
    let id = tender_id(&id)?;
    service::answer_clarification(&app, &actor, &id, n, input).await?;
    Ok(Json(service::view(&app, Some(&actor), &id).await?))
}
