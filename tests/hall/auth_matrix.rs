//! Every route × every role: allowed or refused. A route refused to a role answers 401 (no
//! session) or 403/404 (signed in, but not this party's business); allowed ones do not.

use crate::common::*;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// 2xx.
    Allowed,
    /// 401 for the public; 403 or 404 when signed in.
    Refused,
}
use Expect::*;

const ROLES: [&str; 9] = [
    "public",
    "platform",
    "owner",
    "agent",
    "agent2",
    "tenderer1",
    "supervisor",
    "witness",
    "owner2",
];

#[tokio::test]
async fn every_route_checks_the_role_and_the_tender_it_touches() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let published = app.publish_tender(&agent, "授权矩阵（已发布）").await;
    let pid = published["id"].as_str().unwrap().to_string();
    let project = app.school_project(&agent).await;
    let spec = app.spec("授权矩阵").await;
    let supervisor_org = app.org_id("supervisor", "住房").await;
    let tenderer_org = app.org_id("tenderer", "华建").await;

    // (label, method, path, body, allowed roles). A fresh draft per row where the action consumes it.
    type Row = (
        &'static str,
        Method,
        String,
        Option<Value>,
        &'static [&'static str],
    );
    let mut rows: Vec<Row> = vec![
        (
            "me",
            Method::GET,
            "/api/me".into(),
            None,
            &[
                "platform",
                "owner",
                "agent",
                "agent2",
                "tenderer1",
                "supervisor",
                "witness",
                "owner2",
            ],
        ),
        (
            "organisations",
            Method::GET,
            "/api/organisations".into(),
            None,
            &[
                "platform",
                "owner",
                "agent",
                "agent2",
                "tenderer1",
                "supervisor",
                "witness",
                "owner2",
            ],
        ),
        (
            "create organisation",
            Method::POST,
            "/api/organisations".into(),
            Some(json!({ "role": "witness", "name": "新公证处{n}", "credit_code": "{cc}" })),
            &["platform"],
        ),
        (
            "create user",
            Method::POST,
            format!("/api/organisations/{supervisor_org}/users"),
            Some(
                json!({ "login": "sup{n}", "display_name": "新用户", "password": "correct horse battery" }),
            ),
            &["platform"],
        ),
        (
            "projects",
            Method::GET,
            "/api/projects".into(),
            None,
            &[
                "platform",
                "owner",
                "agent",
                "agent2",
                "tenderer1",
                "supervisor",
                "witness",
                "owner2",
            ],
        ),
        (
            "create project",
            Method::POST,
            "/api/projects".into(),
            Some(json!({ "name": "新项目", "code": "N-{n}" })),
            &["owner", "owner2"],
        ),
        (
            "workspace tenders",
            Method::GET,
            "/api/tenders".into(),
            None,
            &["owner", "agent", "agent2", "owner2"],
        ),
        (
            "create tender",
            Method::POST,
            "/api/tenders".into(),
            Some(json!({ "project_id": project, "spec": spec })),
            &["owner", "agent"],
        ),
        (
            "view published",
            Method::GET,
            format!("/api/tenders/{pid}"),
            None,
            &ROLES,
        ),
        (
            "amendments",
            Method::GET,
            format!("/api/tenders/{pid}/amendments"),
            None,
            &ROLES,
        ),
        (
            "documents",
            Method::GET,
            format!("/api/tenders/{pid}/documents"),
            None,
            &ROLES,
        ),
        ("notices", Method::GET, "/api/notices".into(), None, &ROLES),
        (
            "award view",
            Method::GET,
            format!("/api/tenders/{pid}/award"),
            None,
            &ROLES,
        ),
        (
            "obtain",
            Method::POST,
            format!("/api/tenders/{pid}/obtain"),
            Some(json!({})),
            &["tenderer1"],
        ),
        (
            "obtainers before opening",
            Method::GET,
            format!("/api/tenders/{pid}/obtainers"),
            None,
            &["platform"],
        ),
        (
            "amend",
            Method::POST,
            format!("/api/tenders/{pid}/amendments"),
            Some(
                json!({ "version": "{v}", "kind": "clarification", "summary": "答疑", "body": "说明", "affects_bids": false }),
            ),
            &["owner", "agent"],
        ),
        (
            "view draft",
            Method::GET,
            "/api/tenders/{draft}".into(),
            None,
            &["platform", "owner", "agent"],
        ),
        (
            "edit draft",
            Method::PUT,
            "/api/tenders/{draft}".into(),
            Some(json!({ "version": 1, "spec": spec })),
            &["owner", "agent"],
        ),
        (
            "publish draft",
            Method::POST,
            "/api/tenders/{draft}/publish".into(),
            Some(json!({ "version": 1 })),
            &["owner", "agent"],
        ),
        (
            "cancel draft",
            Method::POST,
            "/api/tenders/{draft}/cancel".into(),
            Some(json!({ "version": 1, "reason": "不再需要" })),
            &["owner", "agent"],
        ),
        (
            "upload document",
            Method::POST,
            "/api/tenders/{draft}/documents?name=a.pdf".into(),
            Some(json!("raw")),
            &["owner", "agent"],
        ),
    ];
    let _ = tenderer_org;
    let mut tokens = std::collections::HashMap::new();
    for role in ROLES.iter().filter(|r| **r != "public") {
        tokens.insert(*role, app.sign_in(role).await);
    }
    let mut n = 0;
    let mut failures = Vec::new();
    for (label, method, path, body, allowed) in rows.drain(..) {
        for role in ROLES {
            n += 1;
            let token = tokens.get(role).cloned();
            let mut path = path.clone();
            if path.contains("{draft}") {
                let d = app.draft_tender(&agent, app.spec("矩阵草稿").await).await;
                path = path.replace("{draft}", d["id"].as_str().unwrap());
            }
            let mut body = body.clone().map(|b| {
                let s = b
                    .to_string()
                    .replace("{n}", &n.to_string())
                    .replace("{cc}", &credit_code(&format!("12210100MB7{n:06}")));
                serde_json::from_str::<Value>(&s).unwrap()
            });
            if let Some(b) = body.as_mut() {
                if b.get("version") == Some(&json!("{v}")) {
                    let cur = app.get(&format!("/api/tenders/{pid}"), None).await;
                    b["version"] = cur.body["version"].clone();
                }
            }
            let reply = if label == "upload document" {
                let mut req = app
                    .client
                    .post(format!("{}{path}", app.base))
                    .header("content-type", "application/pdf")
                    .body("%PDF");
                if let Some(t) = &token {
                    req = req.bearer_auth(t);
                }
                req.send().await.unwrap().status()
            } else {
                app.request(method.clone(), &path, token.as_deref(), body)
                    .await
                    .status
            };
            let expect = if allowed.contains(&role) {
                Allowed
            } else {
                Refused
            };
            let ok = match expect {
                Allowed => reply.is_success(),
                // the public learns nothing of a draft, not even that it exists
                Refused if role == "public" => {
                    reply == StatusCode::UNAUTHORIZED
                        || (label == "view draft" && reply == StatusCode::NOT_FOUND)
                }
                Refused => reply == StatusCode::FORBIDDEN || reply == StatusCode::NOT_FOUND,
            };
            if !ok {
                failures.push(format!(
                    "{label} as {role}: expected {expect:?}, got {reply}"
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "authorisation matrix failures:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn expired_and_forged_sessions_are_refused() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    assert_eq!(
        app.get("/api/me", Some(&agent)).await.status,
        StatusCode::OK
    );
    let forged = format!("bh_{}", "A".repeat(43));
    let board = app.get("/api/notices", None).await;
    let public_tender = format!(
        "/api/tenders/{}",
        board.body["items"][0]["id"].as_str().unwrap()
    );
    for bad in [forged.as_str(), "not-a-token", ""] {
        let r = app.get("/api/me", Some(bad)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{bad}");
        assert_eq!(r.code(), "unauthenticated");
        // even on public routes a bad token is refused rather than treated as the public
        assert_eq!(
            app.get(&public_tender, Some(bad)).await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    app.advance_days(1);
    assert_eq!(
        app.get("/api/me", Some(&agent)).await.status,
        StatusCode::UNAUTHORIZED,
        "12 h sessions expire"
    );
}

#[tokio::test]
async fn an_agent_of_another_tender_cannot_touch_it() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "别人的招标").await;
    let other = app.sign_in("agent2").await;
    let r = app
        .post(
            &format!("/api/tenders/{}/cancel", t["id"].as_str().unwrap()),
            Some(&other),
            json!({ "version": 2, "reason": "恶意终止" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "forbidden");
    let tenderer = app.sign_in("tenderer1").await;
    let r = app
        .post(
            &format!("/api/tenders/{}/cancel", t["id"].as_str().unwrap()),
            Some(&tenderer),
            json!({ "version": 2, "reason": "x" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let still = app
        .get(&format!("/api/tenders/{}", t["id"].as_str().unwrap()), None)
        .await;
    assert_eq!(still.body["state"], "published");
}
