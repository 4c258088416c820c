//! `GET /evaluation`: the evaluation room for committee members. A shell whose script signs in with
//! the one-time code and talks to the member API (docs/award.md); the page holds no rule itself.

use super::views::Page;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

pub async fn room(page: Page) -> Response {
    page.render(StatusCode::OK, "evaluation.html", context! {})
}
