//! `GET /audit`: the auditors' page. It renders only the frame; the checkpoint, the entries and
//! every proof are fetched and verified by the page's script in the browser, so this handler must
//! never vouch for the log itself (a check done here would prove nothing to the visitor).

use super::tender::is_member;
use super::views::{script_json, Page};
use crate::app::AppState;
use crate::domain::TenderId;
use crate::tenders::model::TenderState;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::{Deserialize, Serialize};

/// The query the page understands; `lang` and anything else are ignored.
#[derive(Deserialize, Default)]
pub struct AuditParams {
    tender: Option<String>,
}

/// Which entries the page lists: the whole log, one tender, or a refused id (listed as nothing).
#[derive(Serialize, Default)]
pub struct Scope {
    /// As typed, to refill the input.
    pub input: String,
    pub tender_id: Option<String>,
    pub bad_id: bool,
    /// The tender's title when the visitor may see it, for the heading.
    pub title: Option<String>,
}

impl Scope {
    pub fn of(input: Option<&str>) -> Scope {
        let input = input.unwrap_or("").trim();
        if input.is_empty() {
            return Scope::default();
        }
        let id = TenderId::parse(input).ok();
        Scope {
            input: input.to_string(),
            bad_id: id.is_none(),
            tender_id: id.map(|id| id.to_string()),
            title: None,
        }
    }
}

pub async fn audit(
    State(app): State<AppState>,
    page: Page,
    params: Result<Query<AuditParams>, QueryRejection>,
) -> Response {
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let mut scope = Scope::of(params.tender.as_deref());
    // The title is a courtesy: a missing tender or a store hiccup still shows the log.
    if let Some(id) = scope.tender_id.as_deref().and_then(|s| TenderId::parse(s).ok()) {
        if let Ok(t) = app.store.get_tender(&id).await {
            let visible = t.state != TenderState::Draft || is_member(page.actor.as_ref(), &t);
            scope.title = visible.then(|| t.spec.title.as_str().to_string());
        }
    }
    let ctx = context! {
        page_json => script_json(&serde_json::json!({ "tender": scope.tender_id })),
        scope => scope,
    };
    page.render(StatusCode::OK, "audit.html", ctx)
}
