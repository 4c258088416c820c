//! The inbox page (`/inbox`): the organisation's notices in the page's language, each with what
//! it asks, its deadline in Beijing time and a link to where to act; and the form setting where
//! notices are mailed. It reads through `inbox::service`, so it shows no more than the API.

use super::views::Page;
use crate::app::AppState;
use crate::inbox::mail::text;
use crate::inbox::service;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde_json::json;

pub async fn inbox(State(app): State<AppState>, page: Page) -> Response {
    let Some(actor) = page.actor.as_ref() else {
        return page.message(
            StatusCode::UNAUTHORIZED,
            "signin_needed_title",
            "signin_needed_body",
        );
    };
    let inbox = match service::inbox(&app, actor).await {
        Ok(i) => i,
        Err(e) => {
            tracing::error!(error = %e, "the inbox could not be read");
            return page.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_body",
            );
        }
    };
    let notices: Vec<serde_json::Value> = inbox
        .notices
        .iter()
        .map(|n| {
            json!({
                "id": n.id, "kind": n.kind, "text": text(n, page.lang), "link": n.link,
                "created_at": n.created_at, "read": n.read_at.is_some(), "mail_state": n.mail_state,
            })
        })
        .collect();
    let ctx = context! {
        nav => "inbox",
        notices => notices,
        unread => inbox.unread,
        contact_email => inbox.contact_email,
        mails => inbox.mails,
    };
    page.render(StatusCode::OK, "inbox.html", ctx)
}
