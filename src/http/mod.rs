//! The HTTP face of the hall: one router per capability merged here, with request tracing,
//! per-route metrics and panic containment. Handlers only translate; the rules live in the
//! capabilities.

mod auditlog;
mod award;
mod bids;
mod body_pace;
mod bonds;
mod contract;
mod demo;
mod disputes;
mod draws;
pub mod error;
pub mod extract;
mod guarantees;
mod guard;
mod identity;
mod inbox;
mod notices;
mod opening;
pub mod ops;
mod reconciliations;
mod refusal;
mod tenders;
mod write_record;

use crate::app::AppState;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use error::ApiError;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "bidhall", description = "An open public resource trading hall (公共资源交易平台)."),
    paths(
        identity::sign_in, identity::sign_out, identity::me, identity::register,
        identity::create_organisation, identity::list_organisations, identity::create_user,
        identity::register_key, identity::list_keys,
        tenders::create_project, tenders::my_projects, tenders::create_tender, tenders::my_tenders,
        tenders::view, tenders::edit_draft, tenders::publish, tenders::cancel, tenders::amend,
        tenders::list_amendments, tenders::upload_document, tenders::list_documents,
        tenders::download, tenders::obtain, tenders::obtainers,
        notices::search,
        auditlog::checkpoint_text, auditlog::tile, auditlog::key, auditlog::sign_checkpoint,
        auditlog::entries, auditlog::entry, auditlog::inclusion, auditlog::consistency,
        auditlog::receipt, auditlog::cosign, auditlog::sealed,
        draws::rules, draws::submit_agent, draws::list_agents, draws::agent_dossier,
        draws::review_agent, draws::record_qualification, draws::record_credit, draws::list_credit,
        draws::register_expert, draws::list_experts, draws::request_draw, draws::list_draws,
        draws::view_draw, draws::commit, draws::reveal, draws::beacon, draws::conduct,
        draws::replace, draws::transcript, draws::openings,
        bids::custodians, bids::register_key, bids::time_custodian_key, bids::submit,
        bids::withdraw, bids::mine, bids::sealed_shares, bids::release, bids::decrypt,
        bids::record, bids::envelope, bids::bid_documents,
        opening::state, opening::events, opening::socket, opening::sign_in, opening::open_window,
        opening::confirm, opening::object, opening::answer, opening::suspend, opening::resume,
        opening::conclude, opening::report, opening::record_bond, opening::bonds,
        bonds::notification, bonds::refunds_paid, bonds::sub_account, bonds::my_bonds,
        bonds::tender_ledger, bonds::forfeit, bonds::hall_ledger,
        award::view, award::form_committee, award::issue_codes, award::sign_in, award::member_view, award::declare, award::score, award::draft_report, award::sign_report, award::final_report, award::publicise, award::object, award::answer, award::issue_notice, award::decline, award::record_contract, award::letters, award::terminate, award::ask_clarification, award::answer_clarification,
        guarantees::register_issuer, guarantees::list_issuers, guarantees::upload, guarantees::view,
        bonds::performance_completed, bonds::refund_unidentified,
        reconciliations::list, reconciliations::run_one,
        demo::now, demo::advance,
        ops::healthz, ops::readyz, ops::metrics_text,
        write_record::tender_record,
        disputes::list_questions, disputes::ask, disputes::answer_question,
        disputes::list_objections, disputes::object, disputes::answer_objection,
        disputes::list_complaints, disputes::complain, disputes::accept, disputes::decide,
        disputes::supervised,
        inbox::inbox, inbox::read, inbox::set_contact,
    ),
    tags(
        (name = "identity", description = "Organisations, users, sessions and signing keys"),
        (name = "tenders", description = "Projects, tenders, amendments and documents"),
        (name = "notices", description = "The public notice board"),
        (name = "bid box", description = "Custodian keys and sealed bids"),
        (name = "opening", description = "The live opening: events, websocket, ceremony, bonds on record"),
        (name = "bonds", description = "Bonds paid by bank transfer: sub-accounts, the banks' notifications, the ledger, refunds, forfeiture"),
        (name = "award", description = "Evaluation committee, report, candidates, award notice and contract"),
        (name = "disputes", description = "Questions and objections to the tender documents, complaints to the supervising department"),
        (name = "inbox", description = "Notifications: what a step asks of an organisation, in the hall and by mail"),
        (name = "guarantees", description = "Electronic guarantees (电子保函): issuers and verified guarantees"),
        (name = "draws", description = "Agent and expert registries and the public random draws"),
        (name = "audit log", description = "The verifiable audit log: checkpoints, proofs, tiles, witnesses"),
        (name = "demo", description = "The demo hall's clock (serve --demo only)"),
        (name = "operations", description = "Liveness, readiness and metrics"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI 3.1 document of the JSON API, as served (built once).
pub fn openapi() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| {
        contract::document(
            serde_json::to_value(ApiDoc::openapi()).expect("the document serialises"),
        )
    })
}

pub fn router(app: AppState) -> Router {
    // Install the metrics recorder before the first request is counted.
    ops::prometheus();
    let api = Router::new()
        .merge(identity::router())
        .merge(tenders::router())
        .merge(notices::router())
        .merge(auditlog::router())
        .merge(draws::router())
        .merge(bids::router())
        .merge(opening::router())
        .merge(bonds::router())
        .merge(guarantees::router())
        .merge(award::router())
        .merge(ops::router())
        .merge(demo::router())
        .merge(reconciliations::router())
        .merge(write_record::router())
        .merge(disputes::router())
        .merge(inbox::router())
        .route(
            "/api/openapi.json",
            get(|| async { Json(openapi().clone()) }),
        )
        .merge(crate::web::router())
        .fallback(|| async { ApiError::not_found("page or endpoint").into_response() });
    api.layer(axum::middleware::from_fn_with_state(
        app.clone(),
        extract::known_bearer,
    ))
    .layer(axum::middleware::from_fn_with_state(
        app.clone(),
        body_pace::pace,
    ))
    // Outside the body's pace, so that a write cut off is recorded with its 408.
    .layer(axum::middleware::from_fn_with_state(
        app.clone(),
        write_record::record,
    ))
    .layer(axum::middleware::from_fn(guard::guard))
    .layer(axum::middleware::from_fn(refusal::one_body))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                // The path, never the query string, which may carry search text.
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            }),
        )
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("handler panicked");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Json(serde_json::json!({"error": {"code": "internal", "message": "something went wrong on our side; it has been logged", "details": {}}})),
            )
                .into_response()
        }))
        .with_state(app)
}
