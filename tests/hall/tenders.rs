//! Publishing, editing, amending and cancelling tenders, their documents, and who obtained them.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn agent_publishes_a_tender_and_the_public_sees_it() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "学校操场改造工程").await;
    assert_eq!(t["state"], "published");
    let id = t["id"].as_str().unwrap();
    let public = app.get(&format!("/api/tenders/{id}"), None).await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body["spec"]["title"], "学校操场改造工程");
    let board = app.get("/api/notices?q=操场改造", None).await;
    assert_eq!(board.body["total"], 1);
    assert_eq!(board.body["items"][0]["id"], id);
}

#[tokio::test]
async fn drafts_are_invisible_to_the_public_and_other_parties() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let spec = app.spec("未发布的草稿").await;
    let t = app.draft_tender(&agent, spec).await;
    let id = t["id"].as_str().unwrap();
    assert_eq!(
        app.get(&format!("/api/tenders/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    for login in ["tenderer1", "agent2", "owner2", "supervisor"] {
        let tok = app.sign_in(login).await;
        assert_eq!(
            app.get(&format!("/api/tenders/{id}"), Some(&tok))
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{login}"
        );
    }
    for login in ["owner", "agent", "platform"] {
        let tok = app.sign_in(login).await;
        assert_eq!(
            app.get(&format!("/api/tenders/{id}"), Some(&tok))
                .await
                .status,
            StatusCode::OK,
            "{login}"
        );
    }
    let board = app.get("/api/notices?q=未发布的草稿", None).await;
    assert_eq!(board.body["total"], 0);
}

#[tokio::test]
async fn publication_is_refused_with_every_law_it_breaks() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let mut spec = app.spec("违法的招标").await;
    let now = app.now();
    spec["schedule"]["docs_to"] = json!(now.plus_days(3).to_rfc3339());
    spec["schedule"]["bid_deadline"] = json!(now.plus_days(15).to_rfc3339());
    spec["schedule"]["clarification_deadline"] = json!(now.plus_days(4).to_rfc3339());
    spec["lots"][0]["bid_bond_fen"] = json!(200_000_100_i64);
    let t = app.draft_tender(&agent, spec).await;
    let r = app
        .post(
            &format!("/api/tenders/{}/publish", t["id"].as_str().unwrap()),
            Some(&agent),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "law_violation");
    let rules: Vec<&str> = r.body["error"]["details"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["rule"].as_str().unwrap())
        .collect();
    for rule in [
        "bid_deadline_min_20_days",
        "docs_on_sale_min_5_days",
        "bid_bond_max_2_percent",
    ] {
        assert!(rules.contains(&rule), "{rule} missing from {rules:?}");
    }
    let v = &r.body["error"]["details"]["violations"][0];
    assert!(v["article"].as_str().unwrap().contains('第'), "{v}");
    // nothing was half-done: still a draft at version 1
    let after = app
        .get(
            &format!("/api/tenders/{}", t["id"].as_str().unwrap()),
            Some(&agent),
        )
        .await;
    assert_eq!(
        (after.body["state"].as_str(), after.body["version"].as_i64()),
        (Some("draft"), Some(1))
    );
}

#[tokio::test]
async fn custodians_drawn_only_from_interested_parties_are_refused() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let mut spec = app.spec("托管人不独立").await;
    spec["custodians"] = json!({ "k": 2, "members": [{ "kind": "time_release" }, { "kind": "agent" }, { "kind": "owner" }] });
    let t = app.draft_tender(&agent, spec).await;
    let r = app
        .post(
            &format!("/api/tenders/{}/publish", t["id"].as_str().unwrap()),
            Some(&agent),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(r.code(), "law_violation");
    assert!(
        r.body.to_string().contains("custodian_independence"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn a_published_tender_cannot_be_edited_without_an_amendment() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "已发布").await;
    let id = t["id"].as_str().unwrap();
    let r = app
        .request(
            reqwest::Method::PUT,
            &format!("/api/tenders/{id}"),
            Some(&agent),
            Some(json!({ "version": t["version"], "spec": t["spec"] })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "published_tender_needs_amendment");
}

#[tokio::test]
async fn editing_a_stale_version_is_refused() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let spec = app.spec("并发编辑").await;
    let t = app.draft_tender(&agent, spec.clone()).await;
    let id = t["id"].as_str().unwrap();
    let put = |v: i64, title: &str| {
        let mut s = spec.clone();
        s["title"] = json!(title);
        app.request(
            reqwest::Method::PUT,
            format!("/api/tenders/{id}"),
            Some(&agent),
            Some(json!({ "version": v, "spec": s })),
        )
    };
    assert_eq!(put(1, "第一次").await.status, StatusCode::OK);
    let r = put(1, "第二次").await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "stale_version");
    assert_eq!(r.body["error"]["details"]["current_version"], 2);
}

#[tokio::test]
async fn a_late_amendment_must_move_the_deadline_and_the_api_proposes_one() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "需要修改的招标").await;
    let id = t["id"].as_str().unwrap();
    app.advance_days(15); // 10 days left before the deadline
    let agent = app.sign_in("agent").await; // yesterday's session has expired
    let lot = t["spec"]["lots"][0]["id"].clone();
    let amend = |version: i64, changes: serde_json::Value| {
        app.post(
            format!("/api/tenders/{id}/amendments"),
            Some(&agent),
            json!({ "version": version, "kind": "amendment", "summary": "调整最高投标限价", "body": "限价调整", "affects_bids": true, "changes": changes }),
        )
    };
    let r = amend(
        2,
        json!({ "lots": [{ "id": lot, "estimate_fen": 120_000_000_i64 }] }),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "amendment_too_late");
    let proposed = r.body["error"]["details"]["proposed_deadline"]
        .as_str()
        .unwrap()
        .to_string();
    let proposed_ts = ts(&proposed);
    assert!(proposed_ts >= app.now().plus_days(15));
    assert!(proposed_ts <= app.now().plus_days(15).plus_millis(60_000));
    let ok = amend(2, json!({ "lots": [{ "id": lot, "estimate_fen": 120_000_000_i64 }], "bid_deadline": proposed })).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    assert_eq!(ok.body["amendment"]["number"], 1);
    let history = app
        .get(&format!("/api/tenders/{id}/amendments"), None)
        .await;
    assert_eq!(history.body.as_array().unwrap().len(), 1);
    assert_eq!(
        history.body[0]["previous_bid_deadline"],
        t["spec"]["schedule"]["bid_deadline"]
    );
}

#[tokio::test]
async fn a_clarification_that_only_explains_needs_no_new_deadline() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "澄清").await;
    app.advance_days(20);
    let agent = app.sign_in("agent").await;
    let r = app
        .post(
            &format!("/api/tenders/{}/amendments", t["id"].as_str().unwrap()),
            Some(&agent),
            json!({ "version": 2, "kind": "clarification", "summary": "答疑", "body": "图纸比例为 1:100。", "affects_bids": false }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn amendments_after_the_deadline_are_refused() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "截止后").await;
    app.advance_days(26);
    let agent = app.sign_in("agent").await;
    let r = app
        .post(&format!("/api/tenders/{}/amendments", t["id"].as_str().unwrap()), Some(&agent),
            json!({ "version": 2, "kind": "clarification", "summary": "x", "body": "y", "affects_bids": false }))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "wrong_state");
}

#[tokio::test]
async fn bad_input_names_the_field_and_the_rule() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let project = app.school_project(&agent).await;
    let base = app.spec("字段校验").await;
    let cases = [
        (
            "/spec/lots/0/estimate_fen",
            json!(-5),
            "spec.lots[0].estimate_fen",
            "negative",
        ),
        (
            "/spec/lots/0/estimate_fen",
            json!(9_000_000_000_000_000i64),
            "spec.lots[0].estimate_fen",
            "too_large",
        ),
        ("/spec/title", json!(""), "spec.title", "required"),
        (
            "/spec/schedule/bid_deadline",
            json!("tomorrow"),
            "spec.schedule.bid_deadline",
            "not_rfc3339",
        ),
        ("/spec/surprise", json!(1), "spec.surprise", "unknown_field"),
    ];
    for (pointer, value, field, rule) in cases {
        let mut body = json!({ "project_id": project, "spec": base.clone() });
        let parent_ptr = &pointer[..pointer.rfind('/').unwrap()];
        let key = &pointer[pointer.rfind('/').unwrap() + 1..];
        let parent = body.pointer_mut(parent_ptr).unwrap();
        if let Some(arr) = parent.as_array_mut() {
            arr[key.parse::<usize>().unwrap()] = value;
        } else {
            parent[key] = value;
        }
        let r = app.post("/api/tenders", Some(&agent), body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{pointer}: {:?}",
            r.body
        );
        assert_eq!(
            r.body["error"]["details"]["rule"], rule,
            "{pointer}: {:?}",
            r.body
        );
        assert_eq!(
            r.body["error"]["details"]["field"], field,
            "{pointer}: {:?}",
            r.body
        );
    }
    let r = app
        .post("/api/tenders", Some(&agent), json!("not an object"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn injection_text_is_stored_verbatim_and_never_executed() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let title = "'); DROP TABLE tenders;-- <script>alert(1)</script>";
    let t = app.publish_tender(&agent, title).await;
    let id = t["id"].as_str().unwrap();
    let r = app.get(&format!("/api/tenders/{id}"), None).await;
    assert_eq!(r.body["spec"]["title"], title);
    let board = app.get("/api/notices?q=DROP%20TABLE%25", None).await;
    assert_eq!(board.status, StatusCode::OK);
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
        !page.contains("<script>alert(1)</script>"),
        "the page must escape user text"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;"), "shown as text");
}

#[tokio::test]
async fn documents_are_stored_by_hash_and_issued_at_publication() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let spec = app.spec("带文件的招标").await;
    let t = app.draft_tender(&agent, spec).await;
    let id = t["id"].as_str().unwrap();
    let bytes = b"%PDF-1.7 tender documents".to_vec();
    let r = app
        .client
        .post(format!(
            "{}/api/tenders/{id}/documents?name=招标文件.pdf",
            app.base
        ))
        .bearer_auth(&agent)
        .header("content-type", "application/pdf")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let doc: serde_json::Value = r.json().await.unwrap();
    let expected = hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes));
    assert_eq!(doc["sha256"], expected);
    assert_eq!(doc["state"], "draft");
    // the public sees no documents of a draft (nor the draft itself)
    assert_eq!(
        app.get(&format!("/api/tenders/{id}/documents"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let p = app
        .post(
            &format!("/api/tenders/{id}/publish"),
            Some(&agent),
            json!({"version": 1}),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    let docs = app.get(&format!("/api/tenders/{id}/documents"), None).await;
    assert_eq!(docs.body[0]["sha256"], expected);
    assert_eq!(docs.body[0]["state"], "published");
    // a tenderer downloads only after obtaining
    let tenderer = app.sign_in("tenderer1").await;
    let url = format!("/api/documents/{}/content", doc["id"].as_str().unwrap());
    assert_eq!(
        app.get(&url, Some(&tenderer)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(
            &format!("/api/tenders/{id}/obtain"),
            Some(&tenderer),
            json!({})
        )
        .await
        .status,
        StatusCode::OK
    );
    let got = app
        .client
        .get(format!("{}{url}", app.base))
        .bearer_auth(&tenderer)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), StatusCode::OK);
    assert_eq!(got.bytes().await.unwrap().to_vec(), bytes);
}

#[tokio::test]
async fn documents_over_the_size_limit_are_refused_with_413() {
    let app = TestApp::spawn_with(|a| a.max_document_mib = 1).await;
    let agent = app.sign_in("agent").await;
    let spec = app.spec("大文件").await;
    let t = app.draft_tender(&agent, spec).await;
    let id = t["id"].as_str().unwrap();
    let big = vec![7u8; 1024 * 1024 + 1];
    let r = app
        .client
        .post(format!(
            "{}/api/tenders/{id}/documents?name=big.bin",
            app.base
        ))
        .bearer_auth(&agent)
        .header("content-type", "application/octet-stream")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // streamed without a length: still refused once past the limit
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
        (0..9).map(|_| Ok(vec![1u8; 128 * 1024])).collect();
    let r = app
        .client
        .post(format!(
            "{}/api/tenders/{id}/documents?name=big.bin",
            app.base
        ))
        .bearer_auth(&agent)
        .header("content-type", "application/octet-stream")
        .body(reqwest::Body::wrap_stream(futures_util::stream::iter(
            chunks,
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let docs = app
        .get(&format!("/api/tenders/{id}/documents"), Some(&agent))
        .await;
    assert_eq!(
        docs.body.as_array().unwrap().len(),
        0,
        "nothing half-written"
    );
}

#[tokio::test]
async fn who_obtained_the_documents_stays_confidential_until_the_opening() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "保密的获取记录").await;
    let id = t["id"].as_str().unwrap();
    let tenderer = app.sign_in("tenderer2").await;
    let receipt = app
        .post(
            &format!("/api/tenders/{id}/obtain"),
            Some(&tenderer),
            json!({}),
        )
        .await;
    assert_eq!(receipt.status, StatusCode::OK);
    let again = app
        .post(
            &format!("/api/tenders/{id}/obtain"),
            Some(&tenderer),
            json!({}),
        )
        .await;
    assert_eq!(again.body["first_time"], false);
    assert_eq!(again.body["commitment"], receipt.body["commitment"]);
    let path = format!("/api/tenders/{id}/obtainers");
    let platform = app.sign_in("platform").await;
    let supervisor = app.sign_in("supervisor").await;
    assert_eq!(
        app.get(&path, Some(&platform))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.get(&path, Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&path, Some(&supervisor)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&path, Some(&tenderer)).await.status,
        StatusCode::FORBIDDEN
    );
    // the audit log carries only the commitment, never the tenderer
    let tenderer_org = app.org_id("tenderer", "盛京").await;
    let entries = app.app.store.audit_entries(None, -1, 10_000).await.unwrap();
    let obtained: Vec<_> = entries
        .iter()
        .filter(|e| e.kind == "tender_documents_obtained")
        .collect();
    assert_eq!(obtained.len(), 1);
    let text = String::from_utf8(obtained[0].entry.clone()).unwrap();
    let id = t["id"].as_str().unwrap();
    assert!(
        !text.contains(&tenderer_org)
            && !text.contains(id)
            && text.contains(receipt.body["commitment"].as_str().unwrap()),
        "{text}"
    );
    assert!(obtained[0].tender.is_none(), "not countable per tender");
    // the facts stay sealed until the opening
    let sealed = format!("/api/tenders/{id}/log/sealed");
    assert_eq!(
        app.get(&sealed, None).await.code(),
        "confidential_until_opening"
    );
    // after the opening the agent and supervisor see it, and the salt opens the commitment
    app.advance_days(26);
    let (agent, supervisor) = (app.sign_in("agent").await, app.sign_in("supervisor").await);
    let list = app.get(&path, Some(&agent)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.body[0]["org_id"], tenderer_org.as_str());
    assert_eq!(
        app.get(&path, Some(&supervisor)).await.status,
        StatusCode::OK
    );
    // anyone, signed out, now reads the sealed entry's facts and checks its commitment
    let disclosed = app.get(&sealed, None).await;
    assert_eq!(disclosed.status, StatusCode::OK, "{:?}", disclosed.body);
    let d = &disclosed.body[0];
    assert_eq!(d["index"], obtained[0].index);
    assert_eq!(d["facts"]["tender"], id);
    assert_eq!(d["facts"]["actor"]["org_id"], tenderer_org.as_str());
    assert_eq!(d["salt"], list.body[0]["salt"]);
    let salt: [u8; 32] = hex::decode(d["salt"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    use base64::Engine;
    let facts = base64::engine::general_purpose::STANDARD
        .decode(d["facts_b64"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        bidhall::auditlog::event::sealed_commitment(&salt, &facts),
        list.body[0]["commitment"].as_str().unwrap()
    );
}

#[tokio::test]
async fn documents_can_be_obtained_only_while_on_sale() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "发售期").await;
    app.advance_days(8);
    let tenderer = app.sign_in("tenderer1").await;
    let r = app
        .post(
            &format!("/api/tenders/{}/obtain", t["id"].as_str().unwrap()),
            Some(&tenderer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "documents_not_on_sale");
}

#[tokio::test]
async fn a_cancelled_tender_shows_as_cancelled_on_the_board() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "将被终止的招标").await;
    let id = t["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/tenders/{id}/cancel"),
            Some(&agent),
            json!({ "version": 2, "reason": "项目资金未落实" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let board = app
        .get("/api/notices?q=将被终止&status=cancelled", None)
        .await;
    assert_eq!(board.body["total"], 1);
    let again = app
        .post(
            &format!("/api/tenders/{id}/cancel"),
            Some(&agent),
            json!({ "version": 3, "reason": "x" }),
        )
        .await;
    assert_eq!(again.code(), "wrong_state");
}
