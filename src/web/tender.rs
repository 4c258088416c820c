//! `GET /tenders/{id}`: everything public about a published or cancelled tender, with its documents
//! and amendment history. A draft exists only for users of its owner and agent organisations.

use super::views::{script_json, Page};
use crate::app::AppState;
use crate::domain::{OrgId, TenderId, DAY_MS};
use crate::identity::{Actor, Role};
use crate::tenders::model::{DocumentState, Tender, TenderState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use serde::Serialize;
use std::collections::BTreeMap;

/// Is `actor` a user of the tender's owner or agent organisation?
pub fn is_member(actor: Option<&Actor>, tender: &Tender) -> bool {
    actor.is_some_and(|a| {
        a.org_id == tender.owner_org_id || Some(&a.org_id) == tender.agent_org_id.as_ref()
    })
}

/// Names of the organisations a tender mentions, by id; an unknown one keeps its id.
pub async fn org_names(app: &AppState, tender: &Tender) -> BTreeMap<String, String> {
    let mut ids: Vec<&OrgId> = vec![&tender.owner_org_id, &tender.spec.supervisor_org_id];
    ids.extend(tender.agent_org_id.iter());
    ids.extend(
        tender
            .spec
            .custodians
            .members
            .iter()
            .filter_map(|m| m.org_id.as_ref()),
    );
    let mut names = BTreeMap::new();
    for id in ids {
        if names.contains_key(id.as_str()) {
            continue;
        }
        let name = match app.store.get_organisation(id).await {
            Ok(org) => org.name.as_str().to_string(),
            Err(_) => id.to_string(),
        };
        names.insert(id.to_string(), name);
    }
    names
}

/// The tender's reference number (招标编号, `tenders::reference`); none if its project cannot be
/// read now.
pub async fn reference_of(app: &AppState, tender: &Tender) -> Option<String> {
    let (project, siblings) = tokio::try_join!(
        app.store.get_project(&tender.project_id),
        app.store.list_tenders_of_project(&tender.project_id),
    )
    .ok()?;
    Some(crate::tenders::reference::reference(
        project.code.as_str(),
        tender,
        &siblings,
    ))
}

#[derive(Serialize)]
struct Facts {
    status: &'static str,
    total_estimate_fen: i64,
    can_obtain: bool,
    is_member: bool,
    /// The bid deadline is less than a day away or past: the opening hall is worth a link.
    opening_near: bool,
}

pub async fn tender(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let Ok(id) = TenderId::parse(&id) else {
        return page.not_found();
    };
    let tender = match app.store.get_tender(&id).await {
        Ok(t) => t,
        Err(e) => return page.store_failed(e),
    };
    let member = is_member(page.actor.as_ref(), &tender);
    if tender.state == TenderState::Draft && !member {
        return page.not_found();
    }
    let (project, amendments, documents, siblings) = match tokio::try_join!(
        app.store.get_project(&tender.project_id),
        app.store.list_amendments(&tender.id),
        app.store.list_documents(&tender.id),
        app.store.list_tenders_of_project(&tender.project_id),
    ) {
        Ok(found) => found,
        Err(e) => return page.store_failed(e),
    };
    // The public sees issued documents only; the tender's own organisations see their drafts too.
    let documents: Vec<_> = documents
        .into_iter()
        .filter(|d| member || d.state == DocumentState::Published)
        .collect();
    let now = app.clock.now();
    let facts = Facts {
        status: tender.public_status(now),
        total_estimate_fen: tender.spec.lots.iter().map(|l| l.estimate_fen.fen()).sum(),
        can_obtain: page
            .actor
            .as_ref()
            .is_some_and(|a| a.role == Role::Tenderer)
            && tender.documents_on_sale(now),
        is_member: member,
        opening_near: tender.state == TenderState::Published
            && now >= tender.spec.schedule.bid_deadline.plus_millis(-DAY_MS),
    };
    // The award as this viewer may see it (docs/award.md); nothing before the opening is over.
    let award = crate::award::service::view(&app, page.actor.as_ref(), &tender.id)
        .await
        .ok()
        .filter(|a| a["stage"] != "not_started" || (member && facts.opening_near));
    let disputes = super::disputes::tender_section(&app, page.actor.as_ref(), &tender).await;
    let (retender, retender_of) = crate::tenders::model::retender_links(&tender, &siblings, now);
    let reference = crate::tenders::reference::reference(project.code.as_str(), &tender, &siblings);
    let link = |t: &crate::tenders::model::Tender| serde_json::json!({ "id": t.id, "title": t.spec.title.as_str() });
    let ctx = context! {
        reference => reference,
        award => award,
        disputes => disputes,
        tender => &tender,
        project => &project,
        amendments => &amendments,
        documents => &documents,
        orgs => org_names(&app, &tender).await,
        facts => facts,
        retender => retender.map(link),
        retender_of => retender_of.map(link),
        page_json => script_json(&serde_json::json!({ "tender_id": tender.id })),
    };
    page.render(StatusCode::OK, "tender.html", ctx)
}
