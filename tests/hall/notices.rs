//! The public notice board: search, filters, pagination and history.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_board_filters_by_text_category_region_status_and_deadline() {
    let app = TestApp::spawn().await;
    // demo: one bidding construction tender (沈阳市浑南区), one goods tender past its deadline, one
    // draft
    let all = app.get("/api/notices", None).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["total"], 2, "drafts never appear: {}", all.body);
    let q = |s: &str| app.get(format!("/api/notices?{s}"), None);
    assert_eq!(q("q=教学楼").await.body["total"], 1);
    assert_eq!(
        q("q=LED").await.body["total"],
        1,
        "case-insensitive: {}",
        q("q=led").await.body
    );
    assert_eq!(q("q=led").await.body["total"], 1);
    assert_eq!(
        q("q=灯具").await.body["total"],
        1,
        "two-character words are found too"
    );
    assert_eq!(q("category=goods").await.body["total"], 1);
    assert_eq!(
        q("status=bidding").await.body["items"][0]["category"],
        "construction"
    );
    // the goods tender's deadline has passed with no bid: its opening fails (条例44), and the
    // board says so rather than "closed"
    let goods = q("category=goods").await.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let opening = app.get(format!("/api/tenders/{goods}/opening"), None).await;
    assert_eq!(opening.body["phase"], "failed", "{:?}", opening.body);
    assert_eq!(
        q("status=failed").await.body["items"][0]["category"],
        "goods"
    );
    assert_eq!(q("status=closed").await.body["total"], 0);
    assert_eq!(q("q=教学楼&status=failed").await.body["total"], 0);
    let now = app.now();
    let from = now.plus_days(20).to_rfc3339();
    let to = now.plus_days(30).to_rfc3339();
    let r = app
        .client
        .get(format!("{}/api/notices", app.base))
        .query(&[
            ("deadline_from", from.as_str()),
            ("deadline_to", to.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["total"], 1);
}

#[tokio::test]
async fn the_board_pages_in_deadline_order() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    for i in 0..5 {
        app.publish_tender(&agent, &format!("分页测试{i}")).await;
    }
    let p1 = app
        .get("/api/notices?q=分页测试&per_page=2&page=1", None)
        .await;
    let p3 = app
        .get("/api/notices?q=分页测试&per_page=2&page=3", None)
        .await;
    assert_eq!(p1.body["total"], 5);
    assert_eq!(p1.body["items"].as_array().unwrap().len(), 2);
    assert_eq!(p3.body["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn bad_filters_are_refused_with_the_field_named() {
    let app = TestApp::spawn().await;
    for (query, field) in [
        ("status=open", "status"),
        ("category=weapons", "category"),
        ("deadline_from=yesterday", "deadline_from"),
        ("per_page=1000", "per_page"),
        ("page=0", "page"),
        (
            "deadline_from=2027-05-01&deadline_to=2027-04-01",
            "deadline_from",
        ),
    ] {
        let r = app.get(&format!("/api/notices?{query}"), None).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(r.body["error"]["details"]["field"], field, "{query}");
    }
    let r = app.get("/api/notices?sort=price", None).await;
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "unknown parameters are refused"
    );
}

#[tokio::test]
async fn the_notice_shows_its_full_amendment_history() {
    let app = TestApp::spawn().await;
    let board = app.get("/api/notices?q=教学楼", None).await;
    let id = board.body["items"][0]["id"].as_str().unwrap().to_string();
    let history = app
        .get(&format!("/api/tenders/{id}/amendments"), None)
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
    assert_eq!(history.body[0]["kind"], "clarification");
    let page = app
        .client
        .get(format!("{}/tenders/{id}", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("外立面保温材料"),
        "the tender page lists the clarification"
    );
}
