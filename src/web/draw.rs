//! The public page of one draw: its announcement, frozen pool with every exclusion's reason, who
//! committed and revealed, the result, and a button that re-runs the transcript in the browser.
//! Named parties commit and reveal from here with randomness made by their own browser. An expert
//! draw's pool is sealed (法37): the page says so and shows positions until the result is determined.

use super::views::{script_json, Page};
use crate::app::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;

pub async fn draw(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    match app.store.get_draw(&id).await {
        Ok(d) => {
            // The parties by name and role, so a witness is recognisable on the page.
            let mut parties = serde_json::Map::new();
            for p in &d.parties {
                if let Ok(org) = app.store.get_organisation(p).await {
                    parties.insert(
                        p.to_string(),
                        serde_json::json!({ "name": org.name.as_str(), "role": org.role }),
                    );
                }
            }
            let ctx = context! {
                page_json => script_json(&serde_json::json!({
                    "draw": d.id,
                    "org": page.actor.as_ref().map(|a| a.org_id.to_string()),
                    "parties": parties,
                })),
                sealed => d.is_sealed() && !d.is_opened(),
                opened => d.is_opened(),
                purpose => d.purpose,
            };
            page.render(StatusCode::OK, "draw.html", ctx)
        }
        Err(e) => page.store_failed(e),
    }
}
