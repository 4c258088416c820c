//! The bid box's two pages: `GET /tenders/{id}/bid`, where a tenderer seals a bid in its browser
//! and uploads it, and `GET /tenders/{id}/custodian`, where a custodian makes its key and later
//! releases its shares. Handlers only decide who may see the frame; all sealing, keys and opening
//! happen in the page's scripts against the API (docs/bid-box.md), never here.

use super::tender::org_names;
use super::views::{script_json, Page};
use crate::app::AppState;
use crate::bids::custodian_org;
use crate::domain::Timestamp;
use crate::identity::{Actor, Role};
use crate::tenders::access::Action;
use crate::tenders::model::{Tender, TenderState};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the bid page shows beyond the tender itself.
#[derive(Serialize, Clone, Copy)]
pub struct BidFacts {
    pub bidding_open: bool,
    pub obtained: bool,
    pub docs_on_sale: bool,
}

/// Custodian indexes (1-based) of `tender` that `actor`'s organisation holds. Tenderers hold none.
pub fn held_indexes(actor: &Actor, tender: &Tender) -> Vec<u8> {
    if actor.role == Role::Tenderer {
        return Vec::new();
    }
    (1..=tender.spec.custodians.members.len() as u8)
        .filter(|&i| custodian_org(tender, i).ok().flatten().as_ref() == Some(&actor.org_id))
        .collect()
}

fn docs_on_sale(tender: &Tender, now: Timestamp) -> bool {
    let s = &tender.spec.schedule;
    tender.state == TenderState::Published && s.docs_from <= now && now < s.docs_to
}

/// The bid page's template context (pure, for the tests).
pub fn bid_context(tender: &Tender, org_id: &str, facts: BidFacts) -> Value {
    let lots: Vec<_> = tender
        .spec
        .lots
        .iter()
        .map(|l| serde_json::json!({ "id": l.id, "name": l.name }))
        .collect();
    context! {
        tender => tender,
        facts => facts,
        page_json => script_json(&serde_json::json!({
            "tender_id": tender.id,
            "org_id": org_id,
            "lots": lots,
            "k": tender.spec.custodians.k,
            "n": tender.spec.custodians.members.len(),
            "bidding_open": facts.bidding_open,
            "obtained": facts.obtained,
            "docs_on_sale": facts.docs_on_sale,
        })),
    }
}

/// The custodian page's template context (pure, for the tests).
pub fn custodian_context(
    tender: &Tender,
    org_id: &str,
    orgs: &BTreeMap<String, String>,
    held: &[u8],
    past_deadline: bool,
) -> Value {
    let rows: Vec<_> = tender
        .spec
        .custodians
        .members
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let index = (i + 1) as u8;
            let holder = custodian_org(tender, index).ok().flatten();
            serde_json::json!({
                "index": index,
                "kind": m.kind,
                "holder": holder.as_ref().map(|o| orgs.get(o.as_str()).cloned().unwrap_or_else(|| o.to_string())),
                "mine": held.contains(&index),
            })
        })
        .collect();
    context! {
        tender => tender,
        rows => rows,
        held => held,
        past_deadline => past_deadline,
        page_json => script_json(&serde_json::json!({
            "tender_id": tender.id,
            "org_id": org_id,
            "held": held,
            "k": tender.spec.custodians.k,
            "past_deadline": past_deadline,
        })),
    }
}

pub async fn bid(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let tender = match page.tender(&app, &id, Action::SeeOpening).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let Some(actor) = page.actor.as_ref() else {
        return page.message(
            StatusCode::UNAUTHORIZED,
            "signin_needed_title",
            "bid_signin_body",
        );
    };
    if actor.role != Role::Tenderer {
        return page.message(StatusCode::FORBIDDEN, "bid_only_title", "bid_only_body");
    }
    let obtained = match app.store.find_obtained(&tender.id, &actor.org_id).await {
        Ok(found) => found.is_some(),
        Err(e) => return page.store_failed(e),
    };
    let now = app.clock.now();
    let facts = BidFacts {
        bidding_open: tender.is_bidding_open(now),
        obtained,
        docs_on_sale: docs_on_sale(&tender, now),
    };
    let ctx = bid_context(&tender, actor.org_id.as_str(), facts);
    page.render_tender(&app, StatusCode::OK, "bid.html", ctx, &tender)
        .await
}

pub async fn custodian(
    State(app): State<AppState>,
    page: Page,
    Path(id): Path<String>,
) -> Response {
    let tender = match page.tender(&app, &id, Action::SeeOpening).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let Some(actor) = page.actor.as_ref() else {
        return page.message(
            StatusCode::UNAUTHORIZED,
            "signin_needed_title",
            "custodian_signin_body",
        );
    };
    let held = held_indexes(actor, &tender);
    if held.is_empty() {
        return page.message(
            StatusCode::FORBIDDEN,
            "custodian_only_title",
            "custodian_only_body",
        );
    }
    let orgs = org_names(&app, &tender).await;
    let past = tender.is_past_opening(app.clock.now());
    let ctx = custodian_context(&tender, actor.org_id.as_str(), &orgs, &held, past);
    page.render_tender(&app, StatusCode::OK, "custodian.html", ctx, &tender)
        .await
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::OrgId;
    use crate::web::assets::ASSETS;
    use crate::web::i18n::Lang;
    use crate::web::views::Views;
    use serde_json::json;
    use std::sync::Arc;

    const XSS: &str = "<script>alert(1)</script>";

    /// A published tender whose title and first lot carry markup (the opening's tests use it too).
    pub(in crate::web) fn tender(agent: &OrgId, supervisor: &OrgId) -> Tender {
        serde_json::from_value(json!({
            "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f",
            "project_id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e70",
            "owner_org_id": OrgId::generate(),
            "agent_org_id": agent,
            "state": "published",
            "version": 3,
            "created_at": "2026-11-01T01:00:00Z",
            "updated_at": "2026-11-01T01:00:00Z",
            "published_at": "2026-11-02T01:00:00Z",
            "documents_issued_at": "2026-11-02T01:00:00Z",
            "spec": {
                "title": format!("道路 {XSS}"),
                "description": "",
                "category": "construction",
                "region": "沈阳市",
                "qualification": "",
                "evaluation_method": {"kind": "lowest_evaluated_price"},
                "schedule": {
                    "docs_from": "2026-11-02T01:00:00Z",
                    "docs_to": "2026-11-09T01:00:00Z",
                    "clarification_deadline": "2026-11-12T01:00:00Z",
                    "bid_deadline": "2026-12-01T01:30:00Z"
                },
                "lots": [
                    {"id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e81", "name": format!("一标段 {XSS}"), "estimate_fen": 100000000, "bid_bond_fen": 2000000},
                    {"id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e82", "name": "二标段", "estimate_fen": 50000000, "bid_bond_fen": 1000000}
                ],
                "custodians": {"k": 3, "members": [
                    {"kind": "time_release"}, {"kind": "agent"},
                    {"kind": "supervisor", "org_id": supervisor}, {"kind": "witness", "org_id": supervisor}
                ]},
                "supervisor_org_id": supervisor
            }
        }))
        .expect("a valid tender")
    }

    fn actor(role: Role, org: &OrgId) -> Actor {
        Actor {
            user_id: crate::domain::UserId::generate(),
            org_id: org.clone(),
            role,
            display_name: "张三".into(),
            org_name: "某机构".into(),
        }
    }

    fn render(lang: Lang, name: &str, actor: Actor, ctx: Value) -> String {
        Page::new(lang, Some(actor), Arc::new(Views::new()))
            .html(name, ctx)
            .expect("the page renders")
    }

    fn assert_ids(html: &str, ids: &[&str]) {
        for id in ids {
            assert!(
                html.contains(&format!("id=\"{id}\"")),
                "the page lacks #{id}"
            );
        }
    }

    const OPEN: BidFacts = BidFacts {
        bidding_open: true,
        obtained: false,
        docs_on_sale: true,
    };

    #[test]
    fn the_bid_page_renders_in_both_languages_with_what_its_script_needs() {
        let (agent, sup) = (OrgId::generate(), OrgId::generate());
        let t = tender(&agent, &sup);
        let me = OrgId::generate();
        let bid = |lang| {
            render(
                lang,
                "bid.html",
                actor(Role::Tenderer, &me),
                bid_context(&t, me.as_str(), OPEN),
            )
        };
        let (zh, en) = (bid(Lang::Zh), bid(Lang::En));
        assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("密封并提交"));
        assert!(en.contains("<html lang=\"en\">") && en.contains("Seal and submit"));
        for html in [&zh, &en] {
            assert_ids(
                html,
                &[
                    "bid-form",
                    "lot",
                    "price",
                    "duration_days",
                    "quality",
                    "remarks",
                    "attachments",
                    "seal-submit",
                    "bid-status",
                    "bid-progress",
                    "steps",
                    "step-obtain",
                    "step-key",
                    "step-custodians",
                    "step-seal",
                    "step-upload",
                    "receipt",
                    "receipt-text",
                    "receipt-sha",
                    "receipt-own-sha",
                    "receipt-match",
                    "receipt-index",
                    "receipt-download",
                    "my-bids-body",
                    "my-bids-status",
                    "my-bids-refresh",
                ],
            );
            assert!(html.contains("value=\"0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e81\""));
            assert!(html.contains("value=\"0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e82\""));
            assert!(html.contains("/static/js/app/bid.js?v="));
            assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert"));
            assert!(html.contains(&format!("\"org_id\":\"{me}\"")));
            assert!(!html.contains("id=\"box-closed\""));
        }
        let closed = BidFacts {
            bidding_open: false,
            ..OPEN
        };
        let html = render(
            Lang::En,
            "bid.html",
            actor(Role::Tenderer, &me),
            bid_context(&t, me.as_str(), closed),
        );
        assert!(html.contains("id=\"box-closed\"") && html.contains("id=\"seal-submit\" disabled"));
    }

    #[test]
    fn the_custodian_page_renders_in_both_languages_and_marks_the_held_index() {
        let (agent, sup) = (OrgId::generate(), OrgId::generate());
        let t = tender(&agent, &sup);
        let orgs = BTreeMap::from([(sup.to_string(), format!("监督 {XSS}"))]);
        let a = actor(Role::Supervisor, &sup);
        let held = held_indexes(&a, &t);
        assert_eq!(held, vec![3, 4]);
        let page = |lang, past| {
            render(
                lang,
                "custodian.html",
                a.clone(),
                custodian_context(&t, sup.as_str(), &orgs, &held, past),
            )
        };
        let (zh, en) = (page(Lang::Zh, false), page(Lang::En, false));
        assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("密钥保管人"));
        assert!(en.contains("<html lang=\"en\">") && en.contains("Bid box custodian"));
        for html in [&zh, &en] {
            assert_ids(
                html,
                &[
                    "custodians-table",
                    "custodians-body",
                    "custodian-status",
                    "signing-key-status",
                    "signing-key-create",
                    "backup-passphrase",
                    "restore-file",
                    "restore-passphrase",
                    "release",
                    "release-status",
                    "release-results",
                ],
            );
            for i in 1..=4 {
                assert!(html.contains(&format!("data-index=\"{i}\"")));
            }
            assert_eq!(html.matches("data-mine=\"true\"").count(), 2);
            assert!(html.contains("/static/js/app/custodian.js?v="));
            assert!(!html.contains("<script>alert") && html.contains("&lt;script&gt;alert"));
        }
        // Before the deadline there is nothing to release.
        assert!(zh.contains("id=\"release\" disabled"));
        assert!(!page(Lang::En, true).contains("id=\"release\" disabled"));
    }

    #[test]
    fn only_the_named_organisations_hold_custodian_keys() {
        let (agent, sup) = (OrgId::generate(), OrgId::generate());
        let t = tender(&agent, &sup);
        assert_eq!(held_indexes(&actor(Role::Agent, &agent), &t), vec![2]);
        assert!(held_indexes(&actor(Role::Tenderer, &agent), &t).is_empty());
        let owner = t.owner_org_id.clone();
        assert!(held_indexes(&actor(Role::Owner, &owner), &t).is_empty());
        assert!(held_indexes(&actor(Role::Witness, &OrgId::generate()), &t).is_empty());
    }

    #[test]
    fn the_bid_box_scripts_and_their_imports_are_served() {
        let served: Vec<&str> = ASSETS.iter().map(|(path, _, _)| *path).collect();
        assert!(served.contains(&"/static/js/sealbox.js"));
        for script in ["bid.js", "custodian.js", "bidbox.js", "keystore.js"] {
            let path = format!("/static/js/app/{script}");
            let (_, _, bytes) = ASSETS
                .iter()
                .find(|(p, _, _)| *p == path)
                .unwrap_or_else(|| panic!("{script} is not served"));
            let src = std::str::from_utf8(bytes).unwrap();
            for (i, _) in src.match_indices("from '") {
                let rel: String = src[i + 6..].chars().take_while(|c| *c != '\'').collect();
                let imported = if let Some(name) = rel.strip_prefix("./") {
                    format!("/static/js/app/{name}")
                } else if let Some(name) = rel.strip_prefix("../") {
                    format!("/static/js/{name}")
                } else {
                    panic!("{script} imports {rel}, not a relative module");
                };
                assert!(
                    served.contains(&imported.as_str()),
                    "{script} imports {rel}, which is not served"
                );
            }
            // Bids, names and errors are user text: the scripts never build markup from strings.
            assert!(!src.contains("innerHTML") && !src.contains("insertAdjacentHTML"));
        }
    }

    #[test]
    fn every_message_the_scripts_use_is_translated() {
        let table = crate::web::i18n::table(Lang::En);
        for src in [
            include_str!("../../web/static/js/app/bid.js"),
            include_str!("../../web/static/js/app/custodian.js"),
            include_str!("../../web/static/js/app/bidbox.js"),
        ] {
            for (i, _) in src.match_indices("'js_") {
                let id: String = src[i + 1..].chars().take_while(|c| *c != '\'').collect();
                if id.ends_with('_') {
                    continue; // a prefix completed at run time (checked below)
                }
                assert!(table.contains_key(id.as_str()), "untranslated message {id}");
            }
        }
        for state in ["submitted", "replaced", "withdrawn"] {
            assert!(table.contains_key(format!("js_bid_state_{state}").as_str()));
        }
    }

    #[test]
    fn the_tender_page_links_to_the_bid_box_pages() {
        let src = include_str!("../../web/templates/tender.html");
        assert!(src.contains("href=\"/tenders/{{ tender.id }}/bid\""));
        assert!(src.contains("href=\"/tenders/{{ tender.id }}/custodian\""));
        let (agent, sup) = (OrgId::generate(), OrgId::generate());
        let t = tender(&agent, &sup);
        let page_as = |role, org: &OrgId| {
            let ctx = context! {
                tender => &t,
                project => json!({"name": "项目", "code": "P-1"}),
                amendments => Vec::<()>::new(),
                documents => Vec::<()>::new(),
                orgs => BTreeMap::<String, String>::new(),
                facts => json!({"status": "bidding", "total_estimate_fen": 1, "can_obtain": false, "is_member": false}),
            };
            render(Lang::Zh, "tender.html", actor(role, org), ctx)
        };
        let tenderer = page_as(Role::Tenderer, &OrgId::generate());
        assert!(
            tenderer.contains("id=\"bid-link\"") && !tenderer.contains("id=\"custodian-link\"")
        );
        for (role, org) in [(Role::Supervisor, &sup), (Role::Agent, &agent)] {
            let html = page_as(role, org);
            assert!(html.contains("id=\"custodian-link\"") && !html.contains("id=\"bid-link\""));
        }
        let stranger = page_as(Role::Witness, &OrgId::generate());
        assert!(
            !stranger.contains("id=\"custodian-link\"") && !stranger.contains("id=\"bid-link\"")
        );
    }
}
