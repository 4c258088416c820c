//! The agents' registry pages (三表三制, docs/home.md): `GET /registry/agent`, where a bidding
//! agent fills in its three forms and signs the three rules in its own browser; `GET
//! /registry/agents`, the trading centre's review list; `GET /registry/agents/{org}`, one
//! registration for the trading centre to approve or reject with its reason, with its
//! qualifications and credit records. The pages read through `registry::service`, as the JSON
//! API does, and every change goes through that API from the pages' script.

use super::views::{script_json, Page};
use crate::app::AppState;
use crate::domain::OrgId;
use crate::identity::{Actor, Role};
use crate::registry::service::{self as registry, AgentDossier, RegistryError};
use crate::registry::{red_in_force, AgentRule, CreditRecord};
use crate::store::StoreError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The three rules as the pages show them: id, the exact text accepted and its SHA-256.
#[derive(Serialize)]
struct RuleView {
    rule: &'static str,
    text: &'static str,
    text_sha256: String,
}

fn rules() -> Vec<RuleView> {
    AgentRule::ALL
        .iter()
        .map(|r| RuleView {
            rule: r.as_str(),
            text: r.text(),
            text_sha256: r.text_sha256(),
        })
        .collect()
}

/// Signed out: sign in. The wrong role: a page that says whose page this is.
fn gate(page: &Page, role: Role, body: &str) -> Result<Actor, Box<Response>> {
    match &page.actor {
        None => Err(Box::new(Redirect::to("/signin").into_response())),
        Some(a) if a.role == role => Ok(a.clone()),
        Some(_) => Err(Box::new(page.message(
            StatusCode::FORBIDDEN,
            "not_for_you_title",
            body,
        ))),
    }
}

fn failed(page: &Page, e: RegistryError) -> Response {
    match e {
        RegistryError::Store(s) => page.store_failed(s),
        RegistryError::NotFound(_) => page.not_found(),
        RegistryError::Forbidden(_) => page.message(
            StatusCode::FORBIDDEN,
            "not_for_you_title",
            "not_for_you_body",
        ),
        other => {
            tracing::error!(error = %other, "a registry page could not be read");
            page.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_body",
            )
        }
    }
}

/// What the dossier partial shows: the record, its qualifications (newest first), credit records
/// with whether each is in force, and the history with each change's reason.
fn dossier_context(d: &AgentDossier, now: crate::domain::Timestamp) -> Value {
    let credit: Vec<Value> = d
        .credit
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["in_force"] = json!(c.in_force(now));
            v
        })
        .collect();
    let mut quals = d.qualifications.clone();
    quals.sort_by_key(|q| std::cmp::Reverse(q.recorded_at));
    let history: Vec<Value> = d
        .history
        .iter()
        .map(|h| {
            json!({
                "change": h.change,
                "at": h.at,
                "reason": h.detail.get("reason").and_then(Value::as_str).filter(|r| !r.is_empty()),
            })
        })
        .collect();
    let last_rejection = d
        .history
        .iter()
        .rev()
        .find(|h| h.change == "rejected")
        .and_then(|h| h.detail.get("reason").and_then(Value::as_str))
        .map(str::to_string);
    json!({
        "record": d.record,
        "qualifications": quals,
        "credit": credit,
        "red": red_in_force(&d.credit, now).map(|r| r.to),
        "history": history,
        "last_rejection": last_rejection,
    })
}

/// `GET /registry/agent`: the agent's own registration, and its forms to submit or resubmit.
pub async fn agent(State(app): State<AppState>, page: Page) -> Response {
    let actor = match gate(&page, Role::Agent, "registry_agent_only") {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let org = match app.store.get_organisation(&actor.org_id).await {
        Ok(o) => o,
        Err(e) => return page.store_failed(e),
    };
    let dossier = match registry::agent_dossier(&app, &actor, &actor.org_id).await {
        Ok(d) => Some(d),
        Err(RegistryError::NotFound(_)) => None,
        Err(e) => return failed(&page, e),
    };
    let now = app.clock.now();
    let status = dossier.as_ref().map(|d| d.record.status.as_str());
    let ctx = context! {
        org_name => org.name.as_str(),
        credit_code => org.credit_code.as_str(),
        rules => rules(),
        dossier => dossier.as_ref().map(|d| dossier_context(d, now)),
        may_submit => !matches!(status, Some("approved")),
        page_json => script_json(&json!({
            "org_id": actor.org_id,
            "rules": rules(),
            "forms": dossier.as_ref().map(|d| &d.record.forms),
        })),
    };
    page.render(StatusCode::OK, "registry_agent.html", ctx)
}

/// Names of every organisation, by id, and the ones a credit record may concern.
async fn organisations(
    app: &AppState,
) -> Result<(BTreeMap<String, String>, Vec<Value>), StoreError> {
    let all = app.store.list_organisations(None).await?;
    let names = all
        .iter()
        .map(|o| (o.id.to_string(), o.name.as_str().to_string()))
        .collect();
    let choices = all
        .iter()
        .filter(|o| matches!(o.role, Role::Agent | Role::Tenderer))
        .map(|o| json!({ "id": o.id, "name": o.name.as_str(), "role": o.role.as_str() }))
        .collect();
    Ok((names, choices))
}

/// `GET /registry/agents`: every registration for the trading centre, pending first, with the
/// hall's credit records and the form to record one.
pub async fn list(State(app): State<AppState>, page: Page) -> Response {
    let actor = match gate(&page, Role::Platform, "registry_platform_only") {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let records = match registry::registrations(&app, &actor).await {
        Ok(r) => r,
        Err(e) => return failed(&page, e),
    };
    let credit: Vec<CreditRecord> = match registry::list_credit(&app).await {
        Ok(c) => c,
        Err(e) => return failed(&page, e),
    };
    let (names, choices) = match organisations(&app).await {
        Ok(o) => o,
        Err(e) => return page.store_failed(e),
    };
    let now = app.clock.now();
    let rows: Vec<Value> = records
        .iter()
        .map(|r| {
            json!({
                "org_id": r.org_id,
                "name": r.forms.organisation.name.as_str(),
                "status": r.status.as_str(),
                "submitted_at": r.submitted_at,
                "updated_at": r.updated_at,
                "red": red_in_force(&credit.iter().filter(|c| c.org_id == r.org_id).cloned().collect::<Vec<_>>(), now).is_some(),
            })
        })
        .collect();
    let mut credit_rows: Vec<Value> = credit
        .iter()
        .map(|c| {
            let mut v = serde_json::to_value(c).unwrap_or_default();
            v["in_force"] = json!(c.in_force(now));
            v["org_name"] = json!(names.get(c.org_id.as_str()).cloned().unwrap_or_default());
            v
        })
        .collect();
    credit_rows.reverse();
    let ctx = context! {
        rows => rows,
        credit => credit_rows,
        choices => choices,
        page_json => script_json(&json!({})),
    };
    page.render(StatusCode::OK, "registry_list.html", ctx)
}

/// `GET /registry/agents/{org}`: one registration for the trading centre to review, qualify and
/// punish; the agent itself is sent to its own page.
pub async fn dossier(State(app): State<AppState>, page: Page, Path(org): Path<String>) -> Response {
    let Some(actor) = page.actor.clone() else {
        return Redirect::to("/signin").into_response();
    };
    let Ok(org) = OrgId::parse(&org) else {
        return page.not_found();
    };
    if actor.role == Role::Agent && actor.org_id == org {
        return Redirect::to("/registry/agent").into_response();
    }
    let actor = match gate(&page, Role::Platform, "registry_platform_only") {
        Ok(a) => a,
        Err(r) => return *r,
    };
    let d = match registry::agent_dossier(&app, &actor, &org).await {
        Ok(d) => d,
        Err(e) => return failed(&page, e),
    };
    let now = app.clock.now();
    let ctx = context! {
        dossier => dossier_context(&d, now),
        rules => rules(),
        page_json => script_json(&json!({ "org_id": org })),
    };
    page.render(StatusCode::OK, "registry_dossier.html", ctx)
}

#[cfg(test)]
mod tests {
    use crate::domain::OrgId;
    use crate::registry::{rule_message, AgentRule};

    /// The vector web/test/unit/registry.test.mjs checks the browser's message against.
    #[test]
    fn the_browser_signs_the_rule_message_the_hall_verifies() {
        let org = OrgId::parse("0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f").unwrap();
        assert_eq!(
            AgentRule::CodeOfConduct.text_sha256(),
            "bcb1ea3ed2ec1d9bb9dd8c0847e9db76042fc755933d5eaab8a438f20ca58e06"
        );
        assert_eq!(
            hex::encode(rule_message(&org, AgentRule::CodeOfConduct, "张法人")),
            "baa9b696af1949e09e4b87e2cbdb30791f80ca1fd7b30740e90d4b0ff0cfdc0f"
        );
    }
}
