//! What every request and answer goes through before the routes: a browser's request that carries
//! the hall's cookies must come from the hall's own pages (cross-site request forgery and
//! cross-site websocket hijacking), and every answer carries the security headers.
//!
//! Why not SameSite alone: `SameSite=Lax` stops other sites, not other origins of the same site
//! (a sibling subdomain), and lets a top-level form POST through in older browsers. So a request
//! with cookies that changes something, or opens the opening's websocket, must say where it comes
//! from: `Sec-Fetch-Site: same-origin`, or an `Origin` whose host and port are the request's
//! `Host`. Requests without cookies (the API with a bearer token, banks, witnesses) are not
//! browsers' ambient authority and are not checked here. Specified in docs/api.md ("Browsers").

use super::error::ApiError;
use axum::extract::Request;
use axum::http::header::{
    AUTHORIZATION, CONTENT_SECURITY_POLICY, COOKIE, HOST, ORIGIN, REFERRER_POLICY, UPGRADE,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The pages' policy: scripts, styles, images and connections from the hall only; no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
     connect-src 'self' blob:; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// The sandbox bank's page keeps its few styles inline.
const CSP_SANDBOX_BANK: &str = "default-src 'self'; script-src 'none'; style-src 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

pub async fn guard(req: Request, next: Next) -> Response {
    // No path or query may carry a NUL or another C0 control: nothing the hall stores or looks
    // up holds one (PostgreSQL cannot), so it is refused before any route sees it.
    let uri = req.uri();
    if [uri.path(), uri.query().unwrap_or("")]
        .iter()
        .any(|part| encodes_control(part))
    {
        return ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "the address contains a control character",
        )
        .with_details(serde_json::json!({ "field": "uri", "rule": "control_character" }))
        .into_response();
    }
    if needs_origin(req.method(), req.headers()) && !same_origin(req.headers()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "cross_site_request",
            "this request carries the hall's cookies but does not come from the hall's own pages",
        )
        .into_response();
    }
    let bank = req.uri().path().starts_with("/sandbox-bank");
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(CONTENT_SECURITY_POLICY) {
        let csp = if bank { CSP_SANDBOX_BANK } else { CSP };
        h.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    }
    resp
}

/// Does a percent-encoded path or query carry a C0 control (`%00`–`%1F`) or DEL (`%7F`)?
fn encodes_control(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(3).any(|w| {
        w[0] == b'%'
            && matches!(
                (w[1].to_ascii_uppercase(), w[2].to_ascii_uppercase()),
                (b'0' | b'1', b'0'..=b'9' | b'A'..=b'F') | (b'7', b'F')
            )
    })
}

/// A browser's ambient authority in use: cookies without a bearer token, on a request that
/// changes something or opens a websocket.
fn needs_origin(method: &Method, h: &HeaderMap) -> bool {
    if !h.contains_key(COOKIE) || h.contains_key(AUTHORIZATION) {
        return false;
    }
    let upgrade = h
        .get(UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    upgrade || !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Does the request say it comes from this origin?
fn same_origin(h: &HeaderMap) -> bool {
    let text = |name| h.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
    if let Some(site) = text("sec-fetch-site") {
        if site != "same-origin" {
            return false;
        }
    }
    match (text(ORIGIN.as_str()), text(HOST.as_str())) {
        (Some(origin), Some(host)) => {
            origin.split_once("://").is_some_and(|(scheme, authority)| {
                matches!(scheme, "http" | "https") && authority.eq_ignore_ascii_case(host)
            })
        }
        // No Origin: only a browser that said same-origin above gets through.
        (None, _) => text("sec-fetch-site") == Some("same-origin"),
        (Some(_), None) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn an_address_with_an_encoded_control_character_is_refused() {
        assert!(encodes_control("q=%00"));
        assert!(encodes_control("/api/draws/a%0Ab"));
        assert!(encodes_control("q=%1f"));
        assert!(encodes_control("q=%7F"));
        assert!(!encodes_control("q=%E9%81%93%E8%B7%AF"));
        assert!(!encodes_control("q=%20road%2F"));
    }

    #[test]
    fn a_cookie_borne_change_must_come_from_the_hall_s_own_origin() {
        let cookie = ("cookie", "bidhall_session=bh_x");
        let host = ("host", "hall.example:8080");
        let post = Method::POST;
        // no cookie, or a bearer token: not a browser's ambient authority
        assert!(!needs_origin(&post, &headers(&[host])));
        assert!(!needs_origin(
            &post,
            &headers(&[cookie, ("authorization", "Bearer bh_y")])
        ));
        // reads need nothing; the websocket upgrade does
        assert!(!needs_origin(&Method::GET, &headers(&[cookie])));
        assert!(needs_origin(
            &Method::GET,
            &headers(&[cookie, ("upgrade", "websocket")])
        ));
        assert!(needs_origin(&post, &headers(&[cookie])));

        let ok = |pairs: &[(&'static str, &'static str)]| same_origin(&headers(pairs));
        assert!(ok(&[host, ("origin", "http://hall.example:8080")]));
        assert!(ok(&[host, ("origin", "https://HALL.example:8080")]));
        assert!(ok(&[host, ("sec-fetch-site", "same-origin")]));
        assert!(!ok(&[host, ("origin", "http://evil.example")]));
        assert!(!ok(&[host, ("origin", "http://sub.hall.example:8080")]));
        assert!(!ok(&[host, ("origin", "http://hall.example:8081")]));
        assert!(!ok(&[host, ("origin", "null")]));
        assert!(!ok(&[host]));
        assert!(!ok(&[
            host,
            ("origin", "http://hall.example:8080"),
            ("sec-fetch-site", "same-site")
        ]));
    }
}
