//! Health, readiness, metrics and the OpenAPI document.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn health_and_readiness_answer_anyone_and_metrics_only_the_operator() {
    let app =
        TestApp::spawn_with(|c| c.metrics_token = Some("scrape-secret-0123456789".into())).await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    app.get("/api/notices", None).await;
    let metrics = |bearer: Option<String>| {
        let mut req = app.client.get(format!("{}/metrics", app.base));
        if let Some(b) = bearer {
            req = req.header("authorization", format!("Bearer {b}"));
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    // Per-route counts say how many obtained documents or bid (法 第二十二条): not public.
    let (status, text) = metrics(None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(!text.contains("http_requests_total"));
    assert_eq!(
        metrics(Some("wrong-secret".into())).await.0,
        StatusCode::UNAUTHORIZED
    );
    for login in ["tenderer1", "agent", "supervisor"] {
        let token = app.sign_in(login).await;
        assert_eq!(
            metrics(Some(token)).await.0,
            StatusCode::FORBIDDEN,
            "{login}"
        );
    }
    for bearer in [
        "scrape-secret-0123456789".to_string(),
        app.sign_in("platform").await,
    ] {
        let (status, m) = metrics(Some(bearer)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(m.contains("http_requests_total"), "{m}");
        assert!(
            m.contains("route=\"/api/notices\""),
            "routes are labelled by pattern"
        );
        assert!(m.contains("http_request_duration_seconds_bucket"));
    }
}

#[tokio::test]
async fn the_openapi_document_describes_the_api() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json", None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/api/session",
        "/api/tenders/{id}/publish",
        "/api/tenders/{id}/amendments",
        "/api/notices",
    ] {
        assert!(doc.body["paths"].get(path).is_some(), "{path} missing");
    }
}

#[tokio::test]
async fn unknown_routes_get_the_stable_error_body() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/nothing-here", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
}

#[tokio::test]
async fn only_the_demo_hall_s_platform_moves_its_clock_and_only_forward() {
    let real = TestApp::spawn().await;
    let platform = real.sign_in("platform").await;
    let r = real
        .post("/api/demo/clock", Some(&platform), json!({ "minutes": 60 }))
        .await;
    assert_eq!(r.status, 404, "a hall on real time has no time machine");

    let app = TestApp::spawn_with(|a| a.demo = true).await;
    let before = app.now();
    let tenderer = app.sign_in("tenderer1").await;
    let r = app
        .post("/api/demo/clock", Some(&tenderer), json!({ "minutes": 60 }))
        .await;
    assert_eq!(r.status, 403, "{:?}", r.body);
    let r = app
        .post("/api/demo/clock", None, json!({ "minutes": 60 }))
        .await;
    assert_eq!(r.status, 401);
    let platform = app.sign_in("platform").await;
    for bad in [0, -5, 60 * 24 * 61] {
        let r = app
            .post(
                "/api/demo/clock",
                Some(&platform),
                json!({ "minutes": bad }),
            )
            .await;
        assert_eq!(r.code(), "minutes_out_of_range", "{bad}");
    }
    assert_eq!(app.now(), before, "refused moves leave the clock alone");
    let log = app.log_size().await;
    let r = app
        .post(
            "/api/demo/clock",
            Some(&platform),
            json!({ "minutes": 3 * 24 * 60 }),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    assert_eq!(app.now().millis(), before.millis() + 3 * 86_400_000);
    assert_eq!(r.body["now"], json!(app.now()));
    assert_eq!(
        app.log_size().await,
        log + 1,
        "the move is in the audit log"
    );
    let r = app.get("/api/demo/clock", None).await;
    assert_eq!(r.body["now"], json!(app.now()));

    // The pages offer the clock's buttons to the demo's trading centre only (signed in again:
    // the sessions have expired in the 3 days).
    let platform = app.sign_in("platform").await;
    let tenderer = app.sign_in("tenderer1").await;
    let html = |r: Reply| r.body.as_str().unwrap_or_default().to_owned();
    let page = html(app.get("/", Some(&platform)).await);
    assert!(
        page.contains(r#"id="demo-clock""#),
        "{}",
        &page[page.find("<footer").unwrap_or(0)..]
    );
    assert!(!html(app.get("/", Some(&tenderer)).await).contains(r#"id="demo-clock""#));
    assert!(!html(real.get("/", Some(&platform)).await).contains(r#"id="demo-clock""#));
}

/// `/readyz` says a node cannot serve when its file storage or its time-release custodian's key
/// directory is unusable (a node whose shared storage is not mounted), not only its database.
#[tokio::test]
async fn readiness_checks_file_storage_and_the_time_custodian_too() {
    let app = TestApp::spawn().await;
    let ready = || async {
        let r = app
            .client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert_eq!(ready().await, (StatusCode::OK, "ready".to_string()));
    if let Some(shared) = &app.args.store.object_store {
        // On an object store: a node pointed at a bucket that is not there is not ready.
        let bucket = shared
            .trim_start_matches("s3://")
            .split('/')
            .next()
            .unwrap();
        let absent = format!("s3://{bucket}-absent/x");
        let lost = TestApp::spawn_with(|c| c.store.object_store = Some(absent)).await;
        let r = lost
            .client
            .get(format!("{}/readyz", lost.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.text().await.unwrap(), "file storage unavailable");
    } else {
        let tmp = app.args.store.data_dir.join("blobs/tmp");
        std::fs::rename(&tmp, tmp.with_extension("away")).unwrap();
        assert_eq!(
            ready().await,
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "file storage unavailable".to_string()
            )
        );
        std::fs::rename(tmp.with_extension("away"), &tmp).unwrap();
    }
    assert_eq!(ready().await.0, StatusCode::OK);
    let custodian = app.args.time_custodian_dir();
    let _ = std::fs::remove_dir_all(&custodian);
    std::fs::write(&custodian, b"not a directory").unwrap();
    assert_eq!(
        ready().await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "time custodian unavailable".to_string()
        )
    );
}
