//! The opening hall of a published tender (`/tenders/{id}/opening`): a shell whose script follows
//! the opening's events over the websocket (docs/opening.md). It never computes the opening's
//! state itself; what the hall shows comes from the opening API, the same for every viewer. The
//! printable record (`/tenders/{id}/opening/report`) is rendered here from the signed record the
//! opening service builds, so it prints without a script.

use super::bidbox::held_indexes;
use super::views::{script_json, Page};
use crate::app::AppState;
use crate::opening::service::{self, OpeningError};
use crate::tenders::access::Action;
use crate::tenders::model::Tender;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{context, Value};

/// The hall page's context (pure, for the tests): the tender for the header, the objections as
/// `state` (the opening as the API shows this viewer) lets the viewer see them and how many more
/// there are, and for the script the tender id and whether the viewer holds a custodian key (its
/// link to the custodian page).
pub fn hall_context(tender: &Tender, custodian: bool, state: &serde_json::Value) -> Value {
    let objections = state["objections"].as_array().cloned().unwrap_or_default();
    let raised = state["objections_raised"].as_u64().unwrap_or(0) as usize;
    context! {
        tender => tender,
        objections => &objections,
        withheld => raised.saturating_sub(objections.len()),
        page_json => script_json(&serde_json::json!({
            "tender_id": tender.id,
            "custodian": custodian,
            "lots": tender.spec.lots.iter()
                .map(|l| (l.id.to_string(), serde_json::json!(l.name.as_str())))
                .collect::<serde_json::Map<_, _>>(),
        })),
    }
}

/// The printable record's context (pure, for the tests): `report` is the signed opening record as
/// the API answers it, `{record, record_sha256, signature}` (docs/opening.md, section 4).
pub fn report_context(report: &serde_json::Value, tender: Option<&Tender>) -> Value {
    let lot_names: serde_json::Map<String, serde_json::Value> = tender
        .map(|t| {
            t.spec
                .lots
                .iter()
                .map(|l| (l.id.to_string(), serde_json::json!(l.name.as_str())))
                .collect()
        })
        .unwrap_or_default();
    let mut record = report["record"].clone();
    if let Some(lines) = record["lines"].as_array_mut() {
        for line in lines {
            if let Some((code, index)) = line["fault"].as_str().map(fault_of) {
                line["fault_code"] = code.into();
                line["fault_index"] = index.into();
            }
        }
    }
    context! {
        report => report,
        r => record,
        lot_names => lot_names,
    }
}

/// The party at fault as a code and, for a custodian, its index: the record may say `tenderer`,
/// `the tenderer` or `custodian 3`.
fn fault_of(fault: &str) -> (String, Option<u32>) {
    let f = fault.trim();
    let f = f.strip_prefix("the ").unwrap_or(f);
    match f.split_once(' ') {
        Some((code, n)) => match n.trim_start_matches('#').parse() {
            Ok(i) => (code.to_string(), Some(i)),
            Err(_) => (f.to_string(), None),
        },
        None => (f.to_string(), None),
    }
}

pub async fn report(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let tender = match page.tender(&app, &id, Action::SeeOpening).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    match service::report(&app, &tender.id).await {
        Ok(report) => {
            let ctx = report_context(&report, Some(&tender));
            page.render_tender(&app, StatusCode::OK, "opening_report.html", ctx, &tender)
                .await
        }
        Err(OpeningError::NotFound) => page.not_found(),
        Err(OpeningError::Refused(_)) => page.message(
            StatusCode::CONFLICT,
            "opening_not_concluded_title",
            "opening_not_concluded_body",
        ),
        Err(e) => {
            tracing::error!(error = %e, "the opening record could not be read");
            page.message(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable_title",
                "unavailable_body",
            )
        }
    }
}

pub async fn hall(State(app): State<AppState>, page: Page, Path(id): Path<String>) -> Response {
    let tender = match page.tender(&app, &id, Action::SeeOpening).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let custodian = page
        .actor
        .as_ref()
        .is_some_and(|a| !held_indexes(a, &tender).is_empty());
    // The script follows the events from here on; the page starts from what the API says now.
    let state = match service::state(&app, page.actor.as_ref(), &tender.id).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "the opening's state could not be read for its page");
            serde_json::Value::Null
        }
    };
    let ctx = hall_context(&tender, custodian, &state);
    page.render_tender(&app, StatusCode::OK, "opening.html", ctx, &tender)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::OrgId;
    use crate::web::bidbox::tests::tender;
    use crate::web::i18n::{self, Lang};
    use crate::web::views::Views;
    use serde_json::json;
    use std::sync::Arc;

    const XSS: &str = "<script>alert(1)</script>";
    const TEMPLATES: [&str; 2] = [
        include_str!("../../web/templates/opening.html"),
        include_str!("../../web/templates/opening_report.html"),
    ];
    const SCRIPT: &str = include_str!("../../web/static/js/app/opening-page.js");

    fn render(lang: Lang) -> String {
        Page::new(lang, None, Arc::new(Views::new()))
            .html(
                "opening.html",
                hall_context(
                    &tender(&OrgId::generate(), &OrgId::generate()),
                    true,
                    &json!({}),
                ),
            )
            .unwrap()
    }

    #[test]
    fn the_hall_renders_in_both_languages_with_the_title_as_text() {
        let zh = render(Lang::Zh);
        assert!(zh.contains("不见面开标大厅") && zh.contains("2026-12-01 09:30"));
        assert!(!zh.contains("<script>alert"), "raw user markup in the page");
        assert!(zh.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
        assert!(zh.contains(r#""custodian":true"#));
        assert!(zh.contains("/static/js/app/opening-page.js"));
        assert!(render(Lang::En).contains("Remote bid opening"));
    }

    #[test]
    fn the_record_prints_every_line_objection_and_the_signature_as_text() {
        let report = json!({
            "record": {
                "format": "bidhall-opening-record/1",
                "tender_id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f",
                "title": format!("道路 {XSS}"),
                "deadline": "2026-12-01T01:30:00.000Z",
                "count": 2,
                "k": 2,
                "custodians": [
                    {"index": 1, "kind": "time_release", "org_name": null, "released": true},
                    {"index": 2, "kind": "agent", "org_name": "代理", "released": false}
                ],
                "lines": [
                    {"n": 1, "lot_id": "l", "org_id": "a", "org_name": format!("甲 {XSS}"), "status": "opened",
                     "price_fen": 98_765_400, "duration_days": 180, "quality": "合格", "bond": "received",
                     "reason": null, "fault": null, "commitment": "ab12", "confirmed": {"at": "2026-12-01T02:00:00.000Z", "seq": 17}},
                    {"n": 2, "lot_id": "l", "org_id": "b", "org_name": "乙", "status": "failed",
                     "price_fen": null, "duration_days": null, "quality": null, "bond": "missing",
                     "reason": "corrupt_payload", "fault": "the tenderer", "commitment": "cd34", "confirmed": null}
                ],
                "objections": [{"id": 1, "n": null, "org_name": "甲", "text": format!("异议 {XSS}"),
                                "raised_at": "2026-12-01T02:01:00.000Z", "answer": "已答复", "answered_at": "2026-12-01T02:02:00.000Z"}],
                "suspensions": [{"reason": "网络", "at": "2026-12-01T01:40:00.000Z", "resumed_at": "2026-12-01T01:45:00.000Z", "resume_reason": "恢复"}],
                "events": {"count": 20, "sha256": "ee".repeat(32)},
                "concluded_at": "2026-12-01T03:00:00.000Z"
            },
            "record_sha256": "cd".repeat(32),
            "signature": "bidhall opening record\n0190a4c2\n\n— hall.example sig=\n"
        });
        let html = Page::new(Lang::Zh, None, Arc::new(Views::new()))
            .html("opening_report.html", report_context(&report, None))
            .unwrap();
        assert!(
            !html.contains("<script>alert"),
            "raw user markup in the page"
        );
        for want in [
            "¥987,654.00",
            "180 日历天",
            "✓ 已释放",
            "未到账",
            "责任方： 投标人",
            "2026-12-01 11:00",
            "恢复",
            "#17",
            "&lt;script&gt;alert(1)&lt;&#x2f;script&gt;",
        ] {
            assert!(html.contains(want), "{want} missing");
        }
        assert!(html.contains(&"cd".repeat(32)) && html.contains(&"ee".repeat(32)));
        assert!(html.contains("— hall.example sig="));
        let en = Page::new(Lang::En, None, Arc::new(Views::new()))
            .html("opening_report.html", report_context(&report, None))
            .unwrap();
        assert!(en.contains("Opening record") && en.contains("the tenderer"));
        // The bid box's technical reason is English: the English record quotes it, the Chinese
        // one says who is at fault instead.
        assert!(en.contains("corrupt_payload") && !html.contains("corrupt_payload"));
    }

    fn hall_as(lang: Lang, role: crate::identity::Role, state: &serde_json::Value) -> String {
        let actor = crate::identity::Actor {
            user_id: crate::domain::UserId::generate(),
            org_id: OrgId::generate(),
            role,
            display_name: "赵投标".into(),
            org_name: "沈阳某建设工程有限公司".into(),
        };
        Page::new(lang, Some(actor), Arc::new(Views::new()))
            .html(
                "opening.html",
                hall_context(
                    &tender(&OrgId::generate(), &OrgId::generate()),
                    false,
                    state,
                ),
            )
            .unwrap()
    }

    #[test]
    fn the_hall_never_says_there_are_no_objections_when_there_are() {
        use crate::identity::Role;
        use crate::web::zh_guard::assert_speaks_chinese;
        let mine = json!({"id": 2, "n": 1, "org_id": "b", "org_name": "乙公司", "text": "第1号的工期读错了",
            "raised_at": "2026-12-01T02:01:00.000Z", "answer": null, "answered_at": null});
        // a tenderer sees its own objection and is told of the two others
        let html = hall_as(
            Lang::Zh,
            Role::Tenderer,
            &json!({"objections": [mine], "objections_raised": 3}),
        );
        assert_speaks_chinese("the opening hall, as a tenderer", &html);
        assert!(html.contains("第1号的工期读错了") && html.contains("2026-12-01 10:01"));
        assert!(html.contains("本页未显示的异议：2 条"));
        assert!(html.contains(r#"id="op-objections-empty" hidden"#));
        // the public sees none of them, and is told how many there are
        let html = hall_as(
            Lang::Zh,
            Role::Owner,
            &json!({"objections": [], "objections_raised": 1}),
        );
        assert_speaks_chinese("the opening hall, to the public", &html);
        assert!(html.contains("本页未显示的异议：1 条"));
        assert!(html.contains(r#"id="op-objections-empty" hidden"#));
        // once concluded, everyone sees each with its answer, as the signed record prints them
        let answered = json!({"id": 2, "n": null, "org_id": "b", "org_name": "乙公司", "text": "唱标有误",
            "raised_at": "2026-12-01T02:01:00.000Z", "answer": "已核对无误", "answered_at": "2026-12-01T02:05:00.000Z"});
        let html = hall_as(
            Lang::Zh,
            Role::Owner,
            &json!({"objections": [answered], "objections_raised": 1}),
        );
        assert_speaks_chinese("the concluded opening hall", &html);
        assert!(
            html.contains("已核对无误") && html.contains(r#"id="op-objections-withheld" hidden"#)
        );
        // with none raised the hall says so
        let html = hall_as(
            Lang::Zh,
            Role::Owner,
            &json!({"objections": [], "objections_raised": 0}),
        );
        assert_speaks_chinese("an opening hall without objections", &html);
        assert!(html.contains(r#"<p class="empty" id="op-objections-empty">"#));
        let en = hall_as(
            Lang::En,
            Role::Owner,
            &json!({"objections": [], "objections_raised": 2}),
        );
        assert!(en.contains("Objections not shown here: 2."));
    }

    #[test]
    fn the_party_at_fault_reads_the_same_however_it_is_worded() {
        assert_eq!(fault_of("tenderer"), ("tenderer".into(), None));
        assert_eq!(fault_of("the tenderer"), ("tenderer".into(), None));
        assert_eq!(fault_of("custodian 3"), ("custodian".into(), Some(3)));
        assert_eq!(fault_of("某 单位"), ("某 单位".into(), None));
    }

    #[test]
    fn every_word_the_hall_names_exists() {
        let table = i18n::table(Lang::En);
        for template in TEMPLATES {
            for (i, _) in template.match_indices("tr.") {
                let id: String = template[i + 3..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(table.contains_key(id.as_str()), "no message {id:?}");
            }
        }
        // the script looks up phases, roles, bond marks and event kinds by code
        let codes: &[(&str, &[&str])] = &[
            (
                "js_opening_phase_",
                &[
                    "scheduled",
                    "lobby",
                    "closed",
                    "failed",
                    "decrypting",
                    "announcing",
                    "announced",
                    "confirming",
                    "concluded",
                    "suspended",
                ],
            ),
            (
                "js_opening_role_",
                &["host", "supervisor", "tenderer", "custodian"],
            ),
            (
                "js_opening_bond_",
                &["received", "guaranteed", "missing", "not_required"],
            ),
            (
                "js_opening_conn_",
                &["connecting", "open", "reconnecting", "closed"],
            ),
            ("js_opening_ev_", crate::opening::event::KINDS),
        ];
        for (prefix, list) in codes {
            assert!(
                SCRIPT.contains(prefix),
                "the script no longer uses {prefix}"
            );
            for code in *list {
                let id = format!("{prefix}{code}");
                assert!(table.contains_key(id.as_str()), "no message {id:?}");
            }
        }
    }
}
