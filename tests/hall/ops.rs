//! Health, readiness, metrics and the OpenAPI document.

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    app.get("/api/notices", None).await;
    let m = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("http_requests_total"), "{m}");
    assert!(
        m.contains("route=\"/api/notices\""),
        "routes are labelled by pattern"
    );
    assert!(m.contains("http_request_duration_seconds_bucket"));
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
