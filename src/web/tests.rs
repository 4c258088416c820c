//! Rendering tests: every template renders in both languages with every string it names, and user
//! text comes out escaped.

use super::i18n::{self, Lang};
use super::views::{Page, Views};
use crate::domain::OrgId;
use crate::identity::{Actor, Role};
use crate::tenders::model::{Amendment, Project, Tender, TenderDocument};
use minijinja::context;
use serde_json::json;
use std::sync::Arc;

const XSS: &str = "<script>alert(1)</script>";

fn tender(title: &str, state: &str) -> Tender {
    let org = OrgId::generate().to_string();
    serde_json::from_value(json!({
        "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f",
        "project_id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e70",
        "owner_org_id": org,
        "agent_org_id": null,
        "state": state,
        "version": 3,
        "created_at": "2026-11-01T01:00:00Z",
        "updated_at": "2026-11-01T01:00:00Z",
        "published_at": "2026-11-02T01:00:00Z",
        "documents_issued_at": "2026-11-02T01:00:00Z",
        "spec": {
            "title": title,
            "description": format!("line one\n{XSS}"),
            "category": "construction",
            "region": "沈阳市",
            "qualification": "",
            "evaluation_method": {"kind": "comprehensive_scoring", "criteria": [{"name": "价格", "weight": 60}, {"name": "技术", "weight": 40}]},
            "schedule": {
                "docs_from": "2026-11-02T01:00:00Z",
                "docs_to": "2026-11-09T01:00:00Z",
                "clarification_deadline": "2026-11-12T01:00:00Z",
                "bid_deadline": "2026-12-01T01:30:00Z"
            },
            "lots": [{"name": "一标段", "estimate_fen": 123456789, "bid_bond_fen": 2000000}],
            "custodians": {"k": 3, "members": [
                {"kind": "time_release"}, {"kind": "agent"},
                {"kind": "supervisor", "org_id": org}, {"kind": "witness", "org_id": org}
            ]},
            "supervisor_org_id": org
        }
    }))
    .expect("a valid tender")
}

fn project() -> Project {
    serde_json::from_value(json!({
        "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e70",
        "owner_org_id": OrgId::generate(),
        "agent_org_id": null,
        "name": format!("项目 {XSS}"),
        "code": "SY-2026-001",
        "region": "210100",
        "created_at": "2026-10-01T00:00:00Z"
    }))
    .unwrap()
}

fn amendment() -> Amendment {
    serde_json::from_value(json!({
        "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e71",
        "tender_id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f",
        "number": 1,
        "kind": "amendment",
        "summary": format!("延期 {XSS}"),
        "body": "body",
        "affects_bids": true,
        "changes": {"bid_deadline": "2026-12-10T01:30:00Z"},
        "previous_bid_deadline": "2026-12-01T01:30:00Z",
        "documents": ["0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e72"],
        "published_at": "2026-11-20T02:00:00Z"
    }))
    .unwrap()
}

fn document() -> TenderDocument {
    serde_json::from_value(json!({
        "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e72",
        "tender_id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f",
        "name": format!("{XSS}.pdf"),
        "media_type": "application/pdf",
        "sha256": "ab".repeat(32),
        "size": 1536,
        "state": "published",
        "amendment_id": null,
        "uploaded_at": "2026-11-02T01:00:00Z"
    }))
    .unwrap()
}

fn actor(role: Role) -> Actor {
    Actor {
        user_id: crate::domain::UserId::generate(),
        org_id: OrgId::generate(),
        role,
        display_name: format!("张三 {XSS}"),
        org_name: "某代理公司".into(),
    }
}

fn page(lang: Lang, actor: Option<Actor>) -> Page {
    Page::new(lang, actor, Arc::new(Views::new()))
}

fn tender_page(lang: Lang, t: &Tender) -> String {
    let ctx = context! {
        tender => t,
        project => project(),
        amendments => vec![amendment()],
        documents => vec![document()],
        orgs => std::collections::BTreeMap::from([(t.owner_org_id.to_string(), format!("机构 {XSS}"))]),
        facts => json!({"status": "bidding", "total_estimate_fen": 123456789, "can_obtain": true, "is_member": false}),
    };
    page(lang, Some(actor(Role::Tenderer)))
        .html("tender.html", ctx)
        .unwrap()
}

fn assert_escaped(html: &str) {
    assert!(
        !html.contains("<script>alert"),
        "raw user markup in the page"
    );
    let escaped = "&lt;script&gt;alert(1)&lt;&#x2f;script&gt;";
    assert!(html.contains(escaped), "user markup is not shown as text");
}

#[test]
fn a_script_in_a_tender_title_renders_as_text() {
    let html = tender_page(Lang::Zh, &tender(XSS, "published"));
    assert_escaped(&html);
    assert!(html.contains("<title>&lt;script&gt;"));
}

#[test]
fn user_text_is_escaped_on_the_board_and_in_the_header() {
    let row = json!({
        "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f", "title": XSS, "category": "goods",
        "region": XSS, "status": "bidding", "bid_deadline": "2026-12-01T01:30:00.000Z",
        "published_at": "2026-11-01T00:00:00.000Z", "total_estimate_fen": 123456789,
        "project_code": XSS,
    });
    let ctx = context! { params => json!({"q": XSS}), rows => vec![row] };
    let html = page(Lang::Zh, Some(actor(Role::Agent)))
        .html("board.html", ctx)
        .unwrap();
    assert_escaped(&html);
    assert!(!html.contains(&format!("value=\"{XSS}")));
}

#[test]
fn amounts_are_yuan_and_times_are_beijing_time() {
    let html = tender_page(Lang::Zh, &tender("道路工程", "published"));
    assert!(html.contains("¥1,234,567.89"), "estimate in yuan");
    assert!(html.contains("¥20,000.00"), "bond in yuan");
    assert!(
        html.contains("2026-12-01 09:30"),
        "deadline in Beijing time"
    );
    // The amendment shows old → new deadlines.
    assert!(html.contains("2026-12-10 09:30"));
    assert!(html.contains("1.5 KB"));
    assert!(html.contains(&"ab".repeat(32)));
}

#[test]
fn the_language_decides_the_words_and_the_html_lang() {
    let zh = tender_page(Lang::Zh, &tender("道路工程", "published"));
    let en = tender_page(Lang::En, &tender("道路工程", "published"));
    assert!(zh.contains("<html lang=\"zh-CN\">") && zh.contains("获取招标文件"));
    assert!(en.contains("<html lang=\"en\">") && en.contains("Obtain the tender documents"));
    assert!(en.contains("href=\"?lang=zh\""));
}

#[test]
fn a_draft_shows_its_badge_to_its_own_organisations() {
    let html = tender_page(Lang::Zh, &tender("道路工程", "draft"));
    assert!(html.contains("id=\"draft-badge\"") && html.contains("草稿"));
}

#[test]
fn workspace_pages_render_with_their_forms() {
    let t = tender(XSS, "draft");
    let choices = json!({"agent": [], "supervisor": [{"id": "s", "name": XSS}], "witness": []});
    let p = page(Lang::En, Some(actor(Role::Owner)));
    let ws = p
        .html(
            "workspace.html",
            context! { tenders => vec![&t], projects => vec![project()], choices => &choices, form_mode => "create" },
        )
        .unwrap();
    assert_escaped(&ws);
    for id in [
        "project-form",
        "tender-form",
        "project_id",
        "bid_deadline",
        "add-lot",
    ] {
        assert!(
            ws.contains(&format!("id=\"{id}\"")),
            "workspace lacks #{id}"
        );
    }
    // An owner's workspace has the agent-draw form: the default parties ticked, deadlines shown
    // in Beijing time, organisation names as text.
    let draw_form = json!({
        "platform": [{"id": "p", "name": XSS}],
        "me": {"id": "me", "name": "教育局"},
        "commit_deadline": "2027-03-01T02:00:00.000Z",
        "reveal_deadline": "2027-03-01T03:00:00.000Z",
        "beacon_deadline": "2027-03-01T04:00:00.000Z",
    });
    let owner_ws = p
        .html(
            "workspace.html",
            context! { tenders => Vec::<()>::new(), projects => vec![project()], choices => &choices,
            draw_form => &draw_form, form_mode => "create" },
        )
        .unwrap();
    assert_escaped(&owner_ws);
    for id in [
        "draw-form",
        "draw_purpose",
        "draw_select",
        "draw_reserves",
        "draw-submit",
    ] {
        assert!(owner_ws.contains(&format!("id=\"{id}\"")), "no #{id}");
    }
    assert!(
        owner_ws.contains("value=\"2027-03-01T10:00\""),
        "commit deadline in Beijing time"
    );
    assert_eq!(
        owner_ws.matches("data-role=\"platform\" checked").count(),
        1
    );
    assert_eq!(owner_ws.matches("data-role=\"owner\" checked").count(), 1);
    assert_eq!(
        owner_ws.matches("data-role=\"supervisor\" checked").count(),
        1
    );
    assert!(
        !ws.contains("id=\"draw-form\""),
        "only owners are offered the form"
    );
    let edit = p
        .html(
            "workspace_tender.html",
            context! { tender => &t, project => project(), amendments => Vec::<()>::new(),
            documents => vec![document()], choices => &choices, orgs => json!({}),
            status => "draft", form_mode => "edit" },
        )
        .unwrap();
    assert_escaped(&edit);
    assert!(edit.contains("id=\"publish\"") && edit.contains("id=\"upload-form\""));
    let published = p
        .html(
            "workspace_tender.html",
            context! { tender => tender("道路工程", "published"), project => project(),
            amendments => vec![amendment()], documents => vec![document()], choices => &choices,
            orgs => json!({}), status => "bidding", form_mode => "edit" },
        )
        .unwrap();
    assert!(
        published.contains("id=\"amendment-form\"") && published.contains("id=\"use-earliest\"")
    );
}

#[test]
fn script_json_cannot_close_its_script_block() {
    let v = super::views::script_json(&json!({"t": "</script><script>alert(1)</script>&"}));
    let s = v.to_string();
    assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
}

#[test]
fn every_string_a_template_names_exists() {
    let table = i18n::table(Lang::Zh);
    let sources = [
        include_str!("../../web/templates/layout.html"),
        include_str!("../../web/templates/_tender_form.html"),
        include_str!("../../web/templates/_documents.html"),
        include_str!("../../web/templates/_amendments.html"),
        include_str!("../../web/templates/board.html"),
        include_str!("../../web/templates/tender.html"),
        include_str!("../../web/templates/signin.html"),
        include_str!("../../web/templates/workspace.html"),
        include_str!("../../web/templates/workspace_tender.html"),
        include_str!("../../web/templates/message.html"),
        include_str!("../../web/templates/audit.html"),
        include_str!("../../web/templates/_disputes.html"),
        include_str!("../../web/templates/tender_questions.html"),
        include_str!("../../web/templates/complaints.html"),
        include_str!("../../web/templates/inbox.html"),
    ];
    for src in sources {
        for (i, _) in src.match_indices("tr.") {
            let id: String = src[i + 3..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(table.contains_key(id.as_str()), "no message {id:?}");
        }
    }
    // Scripts read `t('js_…')`.
    for src in super::assets::ASSETS
        .iter()
        .map(|(_, _, b)| std::str::from_utf8(b).unwrap())
    {
        for (i, _) in src.match_indices("t('js_") {
            let id: String = src[i + 3..].chars().take_while(|c| *c != '\'').collect();
            assert!(
                table.contains_key(id.as_str()),
                "no message {id:?} for a script"
            );
        }
    }
}

#[test]
fn message_pages_are_translated() {
    let p = page(Lang::En, None);
    let html = p
        .html(
            "message.html",
            context! { title => i18n::t(Lang::En, "not_found_title"), body => "x" },
        )
        .unwrap();
    assert!(html.contains("Not found") && html.contains("id=\"signin-link\""));
}

/// The printable award letters (法45): both kinds, amounts in capital numerals on the Chinese page.
#[test]
fn award_letters_print_in_words_with_their_signature() {
    let t = tender("市政道路工程", "published");
    let letters = json!([
        { "letter_sha256": "ab".repeat(32), "signature": "— bidhall.test/log abc=\n",
          "letter": { "format": "bidhall-award-letter/1", "kind": "award_notice", "tender_id": t.id,
            "title": "市政道路工程", "lot_id": "l1", "lot_name": "第一标段", "issued_at": "2027-04-01T01:00:00.000Z",
            "article": "法45", "to": { "org_id": "o1", "org_name": "甲建设有限公司" }, "price_fen": 96_000_000,
            "contract_due": "2027-05-01T01:00:00.000Z", "performance_bond_fen": 4_800_000 } },
        { "letter_sha256": "cd".repeat(32), "signature": "— bidhall.test/log def=\n",
          "letter": { "format": "bidhall-award-letter/1", "kind": "result_notice", "tender_id": t.id,
            "title": "市政道路工程", "lot_id": "l1", "lot_name": "第一标段", "issued_at": "2027-04-01T01:00:00.000Z",
            "article": "法45", "to": { "org_id": "o2", "org_name": "乙建设有限公司" },
            "winner": { "org_name": "甲建设有限公司", "price_fen": 96_000_000 } } },
    ]);
    for lang in [Lang::Zh, Lang::En] {
        let html = page(lang, Some(actor(Role::Tenderer)))
            .html(
                "award_letters.html",
                context! { tender => &t, letters => letters.clone(), log_key_url => "/api/log/key" },
            )
            .unwrap();
        assert_eq!(html.matches("class=\"panel letter\"").count(), 2);
        if lang == Lang::Zh {
            assert!(html.contains("中标通知书") && html.contains("中标结果通知书"));
            assert!(html.contains("人民币玖拾陆万元整"), "{html}");
            assert!(html.contains("人民币肆万捌仟元整"));
            assert!(html.contains("2027-05-01 09:00"));
            assert!(html.contains("《招标投标法》第45条"));
        } else {
            assert!(html.contains("Award notice") && !html.contains("人民币"));
        }
    }
}
