//! The web shell: server-rendered pages (notice board, tender page, sign-in, workspace, audit log)
//! and their static assets. Pages only read; every change goes through the JSON API from the pages'
//! scripts, so the web shell never holds a rule the API does not.

mod assets;
mod audit;
mod bidbox;
mod board;
mod bonds;
mod disputes;
mod documents;
mod draw;
mod evaluation;
pub mod format;
mod home;
pub mod i18n;
mod inbox;
mod opening;
mod registry;
mod tender;
pub mod views;
mod workspace;

use crate::app::AppState;
use axum::routing::get;
use axum::{Extension, Router};
use std::sync::Arc;

pub fn router() -> Router<AppState> {
    let views = Arc::new(views::Views::new());
    Router::new()
        .route("/", get(board::board))
        .route("/tenders/{id}", get(tender::tender))
        .route("/tenders/{id}/bid", get(bidbox::bid))
        .route("/tenders/{id}/documents", get(documents::documents))
        .route("/tenders/{id}/custodian", get(bidbox::custodian))
        .route("/signin", get(workspace::signin))
        .route("/home", get(home::home))
        .route("/registry/agent", get(registry::agent))
        .route("/registry/agents", get(registry::list))
        .route("/registry/agents/{org}", get(registry::dossier))
        .route("/workspace", get(workspace::workspace))
        .route("/workspace/tenders/{id}", get(workspace::workspace_tender))
        .route("/audit", get(audit::audit))
        .route("/draws", get(draw::list))
        .route("/draws/{id}", get(draw::draw))
        .route("/evaluation", get(evaluation::room))
        .route("/tenders/{id}/award", get(evaluation::desk))
        .route("/tenders/{id}/award/letters", get(evaluation::letters))
        .route("/tenders/{id}/opening", get(opening::hall))
        .route("/tenders/{id}/opening/report", get(opening::report))
        .route("/tenders/{id}/bond", get(bonds::bond))
        .route("/tenders/{id}/bonds", get(bonds::tender_bonds))
        .route("/tenders/{id}/questions", get(disputes::answers))
        .route("/supervision/complaints", get(disputes::complaints))
        .route("/inbox", get(inbox::inbox))
        .route(
            "/ledger",
            get(bonds::ledger).post(bonds::reconcile_statement),
        )
        .layer(Extension(views))
        .merge(assets::router())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod zh_guard;
