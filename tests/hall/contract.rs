//! The API contract: the served OpenAPI document describes every route of the API, gives every
//! operation a unique id and every refusal the one error body. `.ci/run` validates the copy this
//! writes to `target/api/openapi.json` against the OpenAPI 3.1 specification.

use crate::common::*;
use std::collections::BTreeSet;

#[tokio::test]
async fn the_served_document_describes_every_api_route_once_with_the_error_body_on_every_refusal() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json", None).await.body;
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    // Every route of the JSON API and of operations is described.
    let missing: BTreeSet<String> = crate::authz::source_routes()
        .into_iter()
        .filter(|p| {
            p.starts_with("/api/") || matches!(p.as_str(), "/healthz" | "/readyz" | "/metrics")
        })
        .filter(|p| p != "/api/openapi.json" && !paths.contains_key(p))
        .collect();
    assert!(
        missing.is_empty(),
        "routes the document does not describe: {missing:?}"
    );
    let mut ids = BTreeSet::new();
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            if !matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                continue;
            }
            let id = op["operationId"].as_str().unwrap_or_default().to_string();
            assert!(
                ids.insert(id.clone()),
                "{method} {path}: operation id {id} is not unique"
            );
            for (status, response) in op["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = response["content"]
                        .as_object()
                        .unwrap_or_else(|| panic!("{method} {path} {status}: no body described"));
                    if let Some(json) = content.get("application/json") {
                        assert_eq!(
                            json["schema"]["$ref"], "#/components/schemas/ErrorBody",
                            "{method} {path} {status}"
                        );
                    }
                }
            }
            for status in ["500", "503"] {
                assert!(
                    op["responses"].get(status).is_some(),
                    "{method} {path}: no {status}"
                );
            }
            if path.starts_with("/api/") {
                assert!(
                    op["responses"].get("401").is_some(),
                    "{method} {path}: no 401"
                );
            }
        }
    }
    for scheme in ["session", "bearer", "metrics_token"] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "{scheme}"
        );
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/api");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("openapi.json"),
        serde_json::to_vec_pretty(&doc).unwrap(),
    )
    .unwrap();
}

#[tokio::test]
async fn the_frameworks_own_refusals_carry_the_error_body() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/log/entries?limit=abc", None).await;
    assert_eq!(r.status, reqwest::StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_query");
    let r = app
        .request(reqwest::Method::PUT, "/api/session", None, None)
        .await;
    assert_eq!(r.status, reqwest::StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
}
