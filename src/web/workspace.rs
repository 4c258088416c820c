//! Sign-in and the owners' and agents' workspace: their projects and tenders, and the forms whose
//! scripts drive the JSON API. These pages read what the API would let the actor read, no more.

use super::tender::{is_member, org_names};
use super::views::{script_json, Page};
use crate::app::AppState;
use crate::domain::TenderId;
use crate::identity::{Actor, Organisation, Role};
use crate::lottery::DrawKind;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde::Serialize;

pub async fn signin(page: Page) -> Response {
    page.render(StatusCode::OK, "signin.html", context! {})
}

/// The organisations a tender form can name, as `{id, name}` by role.
#[derive(Serialize)]
struct OrgChoice {
    id: String,
    name: String,
}

#[derive(Serialize)]
struct Choices {
    agent: Vec<OrgChoice>,
    supervisor: Vec<OrgChoice>,
    witness: Vec<OrgChoice>,
}

async fn choices(app: &AppState) -> Result<Choices, crate::store::StoreError> {
    let list = |orgs: Vec<Organisation>| {
        orgs.into_iter()
            .map(|o| OrgChoice {
                id: o.id.to_string(),
                name: o.name.as_str().to_string(),
            })
            .collect()
    };
    let (agent, supervisor, witness) = tokio::try_join!(
        app.store.list_organisations(Some(Role::Agent)),
        app.store.list_organisations(Some(Role::Supervisor)),
        app.store.list_organisations(Some(Role::Witness)),
    )?;
    Ok(Choices {
        agent: list(agent),
        supervisor: list(supervisor),
        witness: list(witness),
    })
}

/// What the owner's agent-draw form offers: the parties it may name (the platform, the owner
/// itself, supervising departments, witnesses) and deadlines proposed from the hall's clock.
#[derive(Serialize)]
struct DrawForm {
    platform: Vec<OrgChoice>,
    me: OrgChoice,
    commit_deadline: String,
    reveal_deadline: String,
    beacon_deadline: String,
}

async fn draw_form(app: &AppState, actor: &Actor) -> Result<DrawForm, crate::store::StoreError> {
    let platform = app
        .store
        .list_organisations(Some(Role::Platform))
        .await?
        .into_iter()
        .map(|o| OrgChoice {
            id: o.id.to_string(),
            name: o.name.as_str().to_string(),
        })
        .collect();
    // Whole minutes, as a datetime-local input shows them, an hour apart from the first whole
    // minute from now: the demo clock's "1 hour" (which ends on a whole minute) lands on each.
    let base = app.clock.now().ceil_minute();
    let at = |hours: i64| {
        base.plus_millis(hours * crate::domain::HOUR_MS)
            .to_rfc3339()
    };
    Ok(DrawForm {
        platform,
        me: OrgChoice {
            id: actor.org_id.to_string(),
            name: actor.org_name.clone(),
        },
        commit_deadline: at(1),
        reveal_deadline: at(2),
        beacon_deadline: at(3),
    })
}

/// The tender's expert draws (评标专家抽取) and, while it needs one, the form to request it: the
/// specialties the registered experts hold and deadlines an hour apart from the hall's clock.
#[derive(Serialize)]
struct ExpertDraw {
    draws: Vec<DrawLink>,
    form: Option<ExpertForm>,
}

#[derive(Serialize)]
struct DrawLink {
    id: String,
    purpose: String,
    phase: &'static str,
}

#[derive(Serialize)]
struct ExpertForm {
    specialties: Vec<String>,
    commit_deadline: String,
    reveal_deadline: String,
}

async fn expert_draw(
    app: &AppState,
    tender: &crate::tenders::model::Tender,
) -> Result<ExpertDraw, crate::store::StoreError> {
    let now = app.clock.now();
    let all = app.store.list_draws().await?;
    let events = app.store.award_events(&tender.id).await?;
    let award = crate::award::state::AwardState::fold(&events)
        .map_err(|e| tracing::error!(error = %e, "the award's events could not be folded"))
        .ok();
    // The home's rule (`home::expert_draw_wanted`): committees still to form, and the draw the
    // next one waits on is none yet or failed. An award that cannot be read offers no form.
    let pending = crate::home::pending_expert_draw(tender, &all, award.as_ref());
    let wanted = award
        .as_ref()
        .is_some_and(|a| a.committee_stage() == crate::award::state::Stage::NotStarted)
        && crate::home::expert_draw_wanted(pending.map(|d| d.phase(now)));
    let mut draws: Vec<_> = all
        .iter()
        .filter(|d| d.kind == DrawKind::Expert && d.tender_id.as_ref() == Some(&tender.id))
        .collect();
    draws.sort_by_key(|d| d.created_at);
    let form = if wanted {
        let mut specialties: Vec<String> = app
            .store
            .list_experts()
            .await?
            .iter()
            .flat_map(|e| e.specialties.iter().map(|c| c.as_str().to_string()))
            .collect();
        specialties.sort();
        specialties.dedup();
        let base = now.ceil_minute();
        let at = |hours: i64| {
            base.plus_millis(hours * crate::domain::HOUR_MS)
                .to_rfc3339()
        };
        Some(ExpertForm {
            specialties,
            commit_deadline: at(1),
            reveal_deadline: at(2),
        })
    } else {
        None
    };
    Ok(ExpertDraw {
        draws: draws
            .iter()
            .map(|d| DrawLink {
                id: d.id.clone(),
                purpose: d.purpose.clone(),
                phase: d.phase(now).as_str(),
            })
            .collect(),
        form,
    })
}

/// The workspace's gate: signed out goes to sign-in, other roles get a friendly refusal.
fn gate(page: &Page) -> Result<Actor, Box<Response>> {
    match &page.actor {
        None => Err(Box::new(Redirect::to("/signin").into_response())),
        Some(a) if matches!(a.role, Role::Owner | Role::Agent) => Ok(a.clone()),
        Some(_) => Err(Box::new(page.message(
            StatusCode::FORBIDDEN,
            "workspace_only_title",
            "workspace_only_body",
        ))),
    }
}

pub async fn workspace(State(app): State<AppState>, page: Page) -> Response {
    let actor = match gate(&page) {
        Ok(a) => a,
        Err(resp) => return *resp,
    };
    let found = tokio::try_join!(
        app.store.list_tenders_of_org(&actor.org_id),
        app.store.list_projects(&actor.org_id),
        choices(&app),
    );
    let (tenders, projects, choices) = match found {
        Ok(found) => found,
        Err(e) => return page.store_failed(e),
    };
    let draw_form = if actor.role == Role::Owner {
        match draw_form(&app, &actor).await {
            Ok(f) => Some(f),
            Err(e) => return page.store_failed(e),
        }
    } else {
        None
    };
    let ctx = context! {
        tenders => &tenders,
        projects => &projects,
        choices => &choices,
        draw_form => &draw_form,
        form_mode => "create",
        page_json => script_json(&serde_json::json!({
            "mode": "create",
            "orgs": &choices,
            "projects": &projects,
            "is_owner": actor.role == Role::Owner,
            // The form's default dates start from the hall's clock, not the browser's.
            "now": app.clock.now(),
        })),
    };
    page.render(StatusCode::OK, "workspace.html", ctx)
}

pub async fn workspace_tender(
    State(app): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    if let Err(resp) = gate(&page) {
        return *resp;
    }
    let Ok(id) = TenderId::parse(&id) else {
        return page.not_found();
    };
    let tender = match app.store.get_tender(&id).await {
        Ok(t) => t,
        Err(e) => return page.store_failed(e),
    };
    if !is_member(page.actor.as_ref(), &tender) {
        return page.not_found();
    }
    let found = tokio::try_join!(
        app.store.get_project(&tender.project_id),
        app.store.list_amendments(&tender.id),
        app.store.list_documents(&tender.id),
        choices(&app),
        app.store.list_tenders_of_project(&tender.project_id),
    );
    let (project, amendments, documents, choices, siblings) = match found {
        Ok(found) => found,
        Err(e) => return page.store_failed(e),
    };
    let expert = if tender.state == crate::tenders::model::TenderState::Published {
        match expert_draw(&app, &tender).await {
            Ok(e) => Some(e),
            Err(e) => return page.store_failed(e),
        }
    } else {
        None
    };
    let reference = crate::tenders::reference::reference(project.code.as_str(), &tender, &siblings);
    let ctx = context! {
        reference => reference,
        expert => &expert,
        tender => &tender,
        project => &project,
        amendments => &amendments,
        documents => &documents,
        choices => &choices,
        orgs => org_names(&app, &tender).await,
        status => tender.public_status(app.clock.now()),
        form_mode => "edit",
        page_json => script_json(&serde_json::json!({
            "mode": "edit",
            "orgs": &choices,
            "tender": &tender,
        })),
    };
    page.render(StatusCode::OK, "workspace_tender.html", ctx)
}
