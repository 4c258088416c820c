//! `GET /home`: the signed-in organisation's own page — what is its own and what awaits it, with
//! deadlines (`crate::home`). Signed out, the visitor is sent to sign in. The owners' and agents'
//! forms stay on `/workspace`, which the home links to.

use super::bonds::bond_states;
use super::views::Page;
use crate::app::AppState;
use crate::home::service::{self, HomeError};
use crate::identity::Role;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use minijinja::context;
use serde_json::{json, Value};

pub async fn home(State(app): State<AppState>, page: Page) -> Response {
    let Some(actor) = page.actor.clone() else {
        return Redirect::to("/signin").into_response();
    };
    let h = match service::home(&app, &actor).await {
        Ok(h) => h,
        Err(HomeError::Store(e)) => return page.store_failed(e),
        Err(HomeError::Part(why)) => {
            tracing::error!(error = %why, "the home could not be gathered");
            return page.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_body",
            );
        }
    };
    // Each tender's bonds in the words of the bond page, keyed by tender.
    let mut bonds = serde_json::Map::new();
    for line in &h.tenders {
        let Some((view, expected)) = &line.bonds else {
            continue;
        };
        let Ok(id) = crate::domain::TenderId::parse(&line.id) else {
            continue;
        };
        let Ok(t) = app.store.get_tender(&id).await else {
            continue;
        };
        let states: Vec<Value> = bond_states(&t, expected, view)
            .into_iter()
            .map(|s| serde_json::to_value(s).unwrap_or_default())
            .collect();
        bonds.insert(line.id.clone(), json!(states));
    }
    let todo = h.duties.iter().filter(|d| d.acts).count();
    let ctx = context! {
        home => &h,
        bonds => bonds,
        todo => todo,
        is_manager => matches!(actor.role, Role::Owner | Role::Agent),
    };
    page.render(StatusCode::OK, "home.html", ctx)
}

#[cfg(test)]
mod tests {
    use crate::web::i18n::{self, Lang};

    use crate::domain::OrgId;
    use crate::identity::{Actor, Role};
    use crate::web::views::{Page, Views};
    use minijinja::context;
    use serde_json::json;
    use std::sync::Arc;

    const XSS: &str = "<script>alert(1)</script>";

    fn page(lang: Lang, role: Role) -> Page {
        let actor = Actor {
            user_id: crate::domain::UserId::generate(),
            org_id: OrgId::generate(),
            role,
            display_name: "张三".into(),
            org_name: "某单位".into(),
        };
        Page::new(lang, Some(actor), Arc::new(Views::new()))
    }

    fn duty(task: &str, acts: bool) -> serde_json::Value {
        json!({ "task": task, "acts": acts, "subject": format!("教学楼 {XSS}"), "lot": "一标段",
                "due": "2027-04-01T01:30:00.000Z", "overdue": acts, "count": 2, "href": "/x" })
    }

    fn home(role: &str) -> serde_json::Value {
        json!({
            "role": role,
            "duties": [duty("host_opening", true), duty("await_publicity", false)],
            "tenders": [{ "id": "t1", "title": format!("道路 {XSS}"), "status": "bidding",
                "bid_deadline": "2027-04-01T01:30:00.000Z", "relation": if role == "tenderer" { "tenderer" } else { "agent" },
                "bids": [{ "lot_id": "l", "lot": "一标段", "state": "submitted", "at": "2027-03-05T02:00:00.000Z" }],
                "results": [{ "lot": "一标段", "awarded": true }], "obtained_at": "2027-03-02T02:00:00.000Z" }],
            "projects": [{ "id": "p", "name": XSS, "code": "SY-1", "agent": null, "agent_by_draw": true, "tenders": 1 }],
            "disputes": [{ "kind": "complaint", "tender_id": "t1", "title": "道路", "text": XSS, "at": "2027-03-05T02:00:00.000Z",
                "answer": "不予受理", "answered_at": "2027-03-06T02:00:00.000Z", "state": "rejected", "upheld": null, "overdue": false }],
            "pending_agents": [{ "org_id": "o", "name": XSS, "submitted_at": "2027-03-05T02:00:00.000Z" }],
            "draws": [{ "id": "d", "purpose": "摇号", "kind": "agent", "phase": "committing",
                "commit_deadline": "2027-03-05T02:00:00.000Z", "reveal_deadline": "2027-03-05T03:00:00.000Z" }],
            "outbox": { "undelivered": 3, "failing": 1, "oldest": "2027-03-05T02:00:00.000Z" },
            "registration": if role == "agent" { Some("rejected") } else { None },
            "scan_capped": true,
        })
    }

    /// Every role's home renders in both languages; the Chinese one speaks Chinese (Beijing
    /// times, yuan, no code or English sentence) and user text is escaped.
    #[test]
    fn each_role_s_home_renders_in_chinese_and_english() {
        let bonds = json!({ "t1": [{ "bond": "bid", "lot_id": "l", "lot_name": "一标段", "required_fen": 2_000_000,
            "due_by": "2027-04-01T01:30:00.000Z", "received_fen": 0, "held_fen": 0, "state": "awaiting" }] });
        for (role, r) in [
            ("owner", Role::Owner),
            ("agent", Role::Agent),
            ("tenderer", Role::Tenderer),
            ("supervisor", Role::Supervisor),
            ("witness", Role::Witness),
            ("platform", Role::Platform),
        ] {
            for lang in [Lang::Zh, Lang::En] {
                let html = page(lang, r)
                    .html(
                        "home.html",
                        context! { home => home(role), bonds => &bonds, todo => 1,
                        is_manager => matches!(r, Role::Owner | Role::Agent) },
                    )
                    .unwrap();
                assert!(!html.contains("<script>alert"), "{role}: unescaped");
                assert!(html.contains("id=\"todo-list\""), "{role}");
                if lang == Lang::Zh {
                    crate::web::zh_guard::assert_speaks_chinese(role, &html);
                    assert!(html.contains("2027-04-01 09:30"), "{role}: Beijing time");
                    assert!(html.contains("主持开标"), "{role}");
                }
            }
        }
        let tenderer = page(Lang::Zh, Role::Tenderer)
            .html(
                "home.html",
                context! { home => home("tenderer"), bonds => &bonds, todo => 1, is_manager => false },
            )
            .unwrap();
        assert!(tenderer.contains("¥0.00 / ¥20,000.00") && tenderer.contains("待缴纳"));
        assert!(tenderer.contains("已提交") && tenderer.contains("中标"));
        let platform = page(Lang::Zh, Role::Platform)
            .html(
                "home.html",
                context! { home => home("platform"), bonds => &bonds, todo => 1, is_manager => false },
            )
            .unwrap();
        assert!(platform.contains("id=\"outbox-failing\">1"));
    }

    fn dossier() -> serde_json::Value {
        json!({
            "record": { "org_id": "o", "status": "rejected", "submitted_at": "2027-03-05T02:00:00.000Z",
                "updated_at": "2027-03-06T02:00:00.000Z",
                "forms": {
                    "organisation": { "name": XSS, "credit_code": "91210100MA0Y00000X", "address": "沈阳", "phone": "024",
                        "registered_capital_fen": 500_000_000 },
                    "legal_representative": { "name": "张法人", "id_number": "210102198001010011", "phone": "139" },
                    "staff": [{ "name": "李代理", "title": "", "certificate": "ZB-1" }],
                    "commitments": [{ "rule": "code_of_conduct", "signed_by": "张法人", "text_sha256": "ab", "key_id": "k", "signature": "s" }] } },
            "qualifications": [{ "id": "q", "org_id": "o", "categories": ["construction", "goods"], "grade": 2,
                "valid_from": "2027-01-01T00:00:00.000Z", "valid_to": "2028-01-01T00:00:00.000Z", "recorded_at": "2027-03-06T02:00:00.000Z" }],
            "credit": [{ "id": "c", "org_id": "o", "colour": "red", "reason": "围标串标", "source_document": "沈建罚〔2027〕3号",
                "from": "2027-02-01T00:00:00.000Z", "to": "2027-08-01T00:00:00.000Z", "recorded_at": "2027-02-01T00:00:00.000Z", "in_force": true }],
            "red": "2027-08-01T00:00:00.000Z",
            "history": [{ "change": "submitted", "at": "2027-03-05T02:00:00.000Z", "reason": null },
                        { "change": "rejected", "at": "2027-03-06T02:00:00.000Z", "reason": "材料不全" }],
            "last_rejection": "材料不全",
        })
    }

    #[test]
    fn the_registry_pages_render_in_chinese_and_english() {
        let rules = json!([{ "rule": "entry_service_commitment", "text": "入场服务承诺制：……", "text_sha256": "ab" },
                           { "rule": "code_of_conduct", "text": "从业行为规范制：……", "text_sha256": "cd" },
                           { "rule": "conduct_supervision", "text": "执业监督管理制：……", "text_sha256": "ef" }]);
        for lang in [Lang::Zh, Lang::En] {
            let agent = page(lang, Role::Agent)
                .html(
                    "registry_agent.html",
                    context! { org_name => "辽宁正信", credit_code => "91210100MA0Y00000X", rules => &rules,
                    dossier => dossier(), may_submit => true },
                )
                .unwrap();
            let fresh = page(lang, Role::Agent)
                .html(
                    "registry_agent.html",
                    context! { org_name => "辽宁正信", credit_code => "91210100MA0Y00000X", rules => &rules,
                    dossier => (), may_submit => true },
                )
                .unwrap();
            let list = page(lang, Role::Platform)
                .html(
                    "registry_list.html",
                    context! { rows => json!([{ "org_id": "o", "name": XSS, "status": "pending",
                        "submitted_at": "2027-03-05T02:00:00.000Z", "updated_at": "2027-03-05T02:00:00.000Z", "red": true }]),
                    credit => json!([{ "org_id": "o", "org_name": XSS, "colour": "red", "reason": "围标", "source_document": "3号",
                        "from": "2027-02-01T00:00:00.000Z", "to": "2027-08-01T00:00:00.000Z", "in_force": true }]),
                    choices => json!([{ "id": "o", "name": XSS, "role": "tenderer" }]) },
                )
                .unwrap();
            let mut d = dossier();
            d["record"]["status"] = json!("pending");
            let review = page(lang, Role::Platform)
                .html(
                    "registry_dossier.html",
                    context! { dossier => d, rules => &rules },
                )
                .unwrap();
            for (what, html) in [
                ("agent", &agent),
                ("fresh", &fresh),
                ("list", &list),
                ("review", &review),
            ] {
                assert!(!html.contains("<script>alert"), "{what}: unescaped");
                if lang == Lang::Zh {
                    crate::web::zh_guard::assert_speaks_chinese(what, html);
                }
            }
            assert!(
                agent.contains("id=\"agent-form\"") && agent.contains("id=\"rejection-reason\"")
            );
            assert!(fresh.contains("id=\"not-registered\""));
            assert!(list.contains("id=\"credit-form\"") && list.contains("id=\"credit_org\""));
            assert!(
                review.contains("id=\"review-form\"")
                    && review.contains("id=\"qualification-form\"")
            );
            assert!(
                !review.contains("id=\"credit_org\""),
                "the dossier's credit form names its agent"
            );
            if lang == Lang::Zh {
                assert!(
                    agent.contains("¥5,000,000.00")
                        && agent.contains("乙级")
                        && agent.contains("红色（黑名单）")
                );
                assert!(agent.contains("2027-08-01 08:00") && agent.contains("材料不全"));
            }
        }
    }

    /// Every `tr.` a home or registry template names, and every task and relation it may put in
    /// words, exists in both languages.
    #[test]
    fn every_word_the_home_and_registry_pages_name_exists() {
        let table = i18n::table(Lang::Zh);
        for src in [
            include_str!("../../web/templates/home.html"),
            include_str!("../../web/templates/registry_agent.html"),
            include_str!("../../web/templates/registry_list.html"),
            include_str!("../../web/templates/registry_dossier.html"),
            include_str!("../../web/templates/_registry_dossier.html"),
            include_str!("../../web/templates/_registry_credit_form.html"),
        ] {
            for (i, _) in src.match_indices("tr.") {
                let id: String = src[i + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(table.contains_key(id.as_str()), "no message {id:?}");
            }
        }
        for task in crate::home::Task::ALL {
            let id = format!("home_task_{}", task.as_str());
            assert!(table.contains_key(id.as_str()), "no message {id}");
        }
        for id in [
            "home_relation_owner",
            "home_relation_agent",
            "home_relation_tenderer",
            "home_relation_supervisor",
            "home_relation_custodian",
            "home_dispute_question",
            "home_dispute_objection",
            "home_dispute_complaint",
            "home_bid_submitted",
            "home_bid_withdrawn",
            "registry_status_pending",
            "registry_status_approved",
            "registry_status_rejected",
            "registry_change_submitted",
            "registry_change_approved",
            "registry_change_rejected",
            "registry_change_qualification_recorded",
            "registry_colour_blue",
            "registry_colour_yellow",
            "registry_colour_orange",
            "registry_colour_red",
            "registry_rule_entry_service_commitment",
            "registry_rule_code_of_conduct",
            "registry_rule_conduct_supervision",
        ] {
            assert!(table.contains_key(id), "no message {id}");
        }
    }
}
