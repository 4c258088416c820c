//! `GET /`: the public notice board. Filters come from the query string as the API reads them
//! (`NoticeParams`); a bad filter is shown as a message beside the form, never as an error page.

use super::format::query_string;
use super::views::Page;
use crate::app::AppState;
use crate::tenders::notices::{NoticePage, NoticeParams, NoticeSummary};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use futures_util::future::join_all;
use minijinja::context;
use serde::Serialize;

/// A refused filter: the form field and the rule, which the page words in its language.
#[derive(Debug, Serialize, PartialEq)]
pub struct FilterError {
    pub field: &'static str,
    pub rule: &'static str,
    pub message: String,
}

/// The board URL for `page` with the same filters.
pub fn href(p: &NoticeParams, page: u32) -> String {
    let s = |o: &Option<String>| o.as_deref().unwrap_or("").trim().to_string();
    let page = if page > 1 {
        page.to_string()
    } else {
        String::new()
    };
    let per_page = p.per_page.map(|n| n.to_string()).unwrap_or_default();
    let qs = query_string(&[
        ("q", &s(&p.q)),
        ("category", &s(&p.category)),
        ("region", &s(&p.region)),
        ("status", &s(&p.status)),
        ("deadline_from", &s(&p.deadline_from)),
        ("deadline_to", &s(&p.deadline_to)),
        ("per_page", &per_page),
        ("page", &page),
    ]);
    if qs.is_empty() {
        "/".into()
    } else {
        format!("/?{qs}")
    }
}

/// One row of the board, with the project code the summary does not carry.
#[derive(Serialize)]
struct Row {
    #[serde(flatten)]
    notice: NoticeSummary,
    project_code: String,
}

#[derive(Serialize)]
struct Pager {
    page: u32,
    pages: i64,
    total: i64,
    total_capped: bool,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn pager(params: &NoticeParams, found: &NoticePage) -> Pager {
    let per_page = found.per_page.max(1) as i64;
    let pages = ((found.total + per_page - 1) / per_page).max(1);
    let page = found.page;
    Pager {
        page,
        pages,
        total: found.total,
        total_capped: found.total_capped,
        prev_href: (page > 1).then(|| href(params, page - 1)),
        next_href: ((page as i64) < pages).then(|| href(params, page + 1)),
    }
}

pub async fn board(
    State(app): State<AppState>,
    page: Page,
    params: Result<Query<NoticeParams>, QueryRejection>,
) -> Response {
    let refused = |params: &NoticeParams, error: FilterError| {
        let ctx = context! { params => params, filter_error => error, rows => Vec::<()>::new() };
        page.render(StatusCode::OK, "board.html", ctx)
    };
    let params = match params {
        Ok(Query(p)) => p,
        Err(e) => {
            let error = FilterError {
                field: "query",
                rule: "unknown_value",
                message: e.body_text(),
            };
            return refused(&NoticeParams::default(), error);
        }
    };
    let query = match params.to_query() {
        Ok(q) => q,
        Err((field, iv)) => {
            let error = FilterError {
                field,
                rule: iv.rule,
                message: iv.message,
            };
            return refused(&params, error);
        }
    };
    let found = match app.store.search_notices(&query, app.clock.now()).await {
        Ok(found) => found,
        Err(e) => return page.store_failed(e),
    };
    let pager = pager(&params, &found);
    // The summary has no project code; a page holds at most a few dozen rows.
    let rows = join_all(found.items.into_iter().map(|notice| {
        let app = app.clone();
        async move {
            let project = match app.store.get_tender(&notice.id).await {
                Ok(t) => app.store.get_project(&t.project_id).await.ok(),
                Err(_) => None,
            };
            Row {
                notice,
                project_code: project
                    .map(|p| p.code.as_str().to_string())
                    .unwrap_or_default(),
            }
        }
    }))
    .await;
    let ctx = context! { params => &params, rows => rows, pager => pager };
    page.render(StatusCode::OK, "board.html", ctx)
}
