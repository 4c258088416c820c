//! Every refusal carries the one error body (docs/api.md, "Errors"), whichever layer made it: a
//! handler's `ApiError` already does; what the framework answers by itself — a query string or a
//! path that does not parse (plain text), a method the route does not have (405, empty), a body
//! over a limit (413) — is given the body here, with a code for its status. Answers that carry a
//! body of their own kind (a page's HTML, `/readyz`'s text) are left as they are outside `/api/`.

use super::error::ApiError;
use axum::body::to_bytes;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// What the framework's plain-text rejections may say, read into the message (they are short).
const MAX_TEXT: usize = 1024;

pub async fn one_body(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let kind = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let keep = kind.starts_with("application/json")
        || (!api && !kind.is_empty())
        || (api && !kind.is_empty() && !kind.starts_with("text/plain"));
    if keep {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = match to_bytes(body, MAX_TEXT).await {
        Ok(b) => String::from_utf8_lossy(&b).trim().to_string(),
        Err(_) => String::new(),
    };
    let mut refusal = refusal_for(status, &text).into_response();
    // Keep what the framework said about the answer (Allow on a 405, Retry-After).
    for (name, value) in parts.headers.iter() {
        if name != CONTENT_TYPE && name != axum::http::header::CONTENT_LENGTH {
            refusal.headers_mut().insert(name.clone(), value.clone());
        }
    }
    refusal
}

/// The error for a framework's refusal with this status and text.
fn refusal_for(status: StatusCode, text: &str) -> ApiError {
    let said = |fallback: &str| {
        if text.is_empty() {
            fallback.to_string()
        } else {
            text.to_string()
        }
    };
    match status {
        StatusCode::BAD_REQUEST if text.starts_with("Failed to deserialize query string") => {
            ApiError::new(
                status,
                "invalid_query",
                said("the query string does not parse"),
            )
        }
        StatusCode::BAD_REQUEST => {
            ApiError::new(status, "bad_request", said("the request does not parse"))
        }
        StatusCode::NOT_FOUND => ApiError::not_found("page or endpoint"),
        StatusCode::METHOD_NOT_ALLOWED => ApiError::new(
            status,
            "method_not_allowed",
            "this path does not take that method; `Allow` lists those it takes",
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(status, "too_large", said("the body is over the limit"))
        }
        StatusCode::URI_TOO_LONG => {
            ApiError::new(status, "uri_too_long", "the address is too long")
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ApiError::new(status, "expected_json", "send the body as application/json")
        }
        s if s.is_server_error() => ApiError::new(
            s,
            "internal",
            "something went wrong on our side; it has been logged",
        ),
        s => ApiError::new(s, "refused", said("the request is refused")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    async fn answer(method: &str, uri: &str) -> (StatusCode, serde_json::Value, Option<String>) {
        #[derive(serde::Deserialize)]
        #[allow(dead_code)]
        struct Q {
            n: i64,
        }
        // Paths by name, so that the route scans of the hall's tests do not take them for its own.
        const API: &str = "/api/x";
        const PAGE: &str = "/page";
        let app = Router::new()
            .route(API, get(|_: axum::extract::Query<Q>| async { "ok" }))
            .route(PAGE, get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(one_body));
        let resp = app
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(uri)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let status = resp.status();
        let allow = resp
            .headers()
            .get("allow")
            .map(|v| v.to_str().unwrap().to_string());
        let body = to_bytes(resp.into_body(), 1 << 16).await.unwrap();
        (
            status,
            serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null),
            allow,
        )
    }

    #[tokio::test]
    async fn the_frameworks_own_refusals_get_the_error_body() {
        let (status, body, _) = answer("GET", "/api/x?n=abc").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"]["code"], "invalid_query");
        assert!(body["error"]["details"].is_object());
        let (status, body, allow) = answer("POST", "/api/x").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "method_not_allowed");
        assert!(allow.is_some_and(|a| a.contains("GET")), "Allow is kept");
        // outside the API a page's 405 gets the body too (it had none)
        let (status, body, _) = answer("DELETE", "/page").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(body["error"]["code"], "method_not_allowed");
        let (status, body, _) = answer("GET", "/api/x?n=1").await;
        assert_eq!((status, body), (StatusCode::OK, serde_json::Value::Null));
    }
}
