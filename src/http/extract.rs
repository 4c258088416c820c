//! Extractors: JSON bodies that name the refused field, and the signed-in actor from a bearer token
//! or the `bidhall_session` cookie. A token that is present but unknown or expired is refused even
//! where signing in is optional, so a stale client never silently acts as the public.

use super::error::ApiError;
use crate::app::AppState;
use crate::identity::service::authenticate;
use crate::identity::session::SessionToken;
use crate::identity::Actor;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::json;

pub const SESSION_COOKIE: &str = "bidhall_session";
/// JSON bodies are small; documents and bids have their own streamed routes.
const JSON_LIMIT: usize = 2 * 1024 * 1024;

/// Does a JSON text escape a NUL (`\u0000`, any case)? A raw NUL is not JSON at all.
fn has_escaped_nul(body: &[u8]) -> bool {
    body.windows(6).enumerate().any(|(i, w)| {
        w[0] == b'\\'
            && w[1] == b'u'
            && w[2..].iter().all(|b| *b == b'0')
            // an escaped backslash before it makes this a literal "\u0000" text, not a NUL
            && body[..i].iter().rev().take_while(|b| **b == b'\\').count() % 2 == 0
    })
}

/// A JSON body deserialised with the path of any refused field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, _state: &S) -> Result<Self, ApiError> {
        let is_json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "expected_json",
                "send the body as application/json",
            ));
        }
        let body = axum::body::to_bytes(req.into_body(), JSON_LIMIT)
            .await
            .map_err(|_| {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "body_too_large",
                    format!("a JSON body is at most {JSON_LIMIT} bytes"),
                )
            })?;
        parse_json(&body).map(ApiJson)
    }
}

/// Deserialises `body`, turning serde's error into a 422 that names the field and the rule. A NUL
/// (`\u0000`) anywhere is refused first: no text the hall keeps may hold one (PostgreSQL cannot,
/// and SQLite would treat it differently), whatever field it is in.
pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if has_escaped_nul(body) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_field",
            "text may not contain a NUL character",
        )
        .with_details(json!({ "field": ".", "rule": "control_character" })));
    }
    let de = &mut serde_json::Deserializer::from_slice(body);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::new(
                StatusCode::BAD_REQUEST,
                "malformed_json",
                format!("the body is not valid JSON: {inner}"),
            );
        }
        let text = inner.to_string();
        let text = text.split(" at line ").next().unwrap_or(&text).to_string();
        let (rule, message) = classify(&text);
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message)
            .with_details(json!({ "field": field, "rule": rule }))
    })
}

/// Domain types render their refusals as `rule: message`; serde's own say what kind they are.
fn classify(text: &str) -> (String, String) {
    if let Some((rule, message)) = text.split_once(": ") {
        if !rule.is_empty()
            && rule
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return (rule.to_string(), message.to_string());
        }
    }
    let rule = if text.starts_with("unknown field") {
        "unknown_field"
    } else if text.starts_with("missing field") {
        "missing_field"
    } else if text.starts_with("unknown variant") {
        "unknown_variant"
    } else {
        "invalid_type"
    };
    (rule.to_string(), text.to_string())
}

/// The token a request carries, from `Authorization: Bearer` or the session cookie.
pub fn token_of(parts: &Parts) -> Result<Option<SessionToken>, ApiError> {
    if let Some(h) = parts.headers.get(AUTHORIZATION) {
        let v = h.to_str().unwrap_or("");
        let token = v
            .strip_prefix("Bearer ")
            .and_then(SessionToken::parse)
            .ok_or_else(ApiError::unauthenticated)?;
        return Ok(Some(token));
    }
    for h in parts.headers.get_all(COOKIE) {
        for pair in h.to_str().unwrap_or("").split(';') {
            if let Some((name, value)) = pair.trim().split_once('=') {
                if name == SESSION_COOKIE {
                    return SessionToken::parse(value)
                        .map(Some)
                        .ok_or_else(ApiError::unauthenticated);
                }
            }
        }
    }
    Ok(None)
}

/// A signed-in user; 401 otherwise.
pub struct AuthUser(pub Actor);

/// A signed-in user or the public; 401 for a token that is present but not valid.
pub struct MaybeUser(pub Option<Actor>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        let by = parts
            .extensions
            .get::<super::write_record::WrittenBy>()
            .cloned();
        let found = Self::resolve(parts, app).await?;
        if let (Some(by), Some(actor)) = (by, &found.0) {
            by.set(actor);
        }
        Ok(found)
    }
}

impl MaybeUser {
    async fn resolve(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(MaybeUser(Some(actor.clone())));
        }
        let Some(token) = token_of(parts)? else {
            return Ok(MaybeUser(None));
        };
        match authenticate(app, &token).await? {
            Some(actor) => {
                parts.extensions.insert(actor.clone());
                Ok(MaybeUser(Some(actor)))
            }
            None => Err(ApiError::unauthenticated()),
        }
    }
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, ApiError> {
        match MaybeUser::from_request_parts(parts, app).await?.0 {
            Some(actor) => Ok(AuthUser(actor)),
            None => Err(ApiError::unauthenticated()),
        }
    }
}

/// Every API request that presents a bearer session token is checked here, before its route: an
/// unknown or expired token is refused with 401 even on routes the public may use, so a stale client
/// never silently acts as the public (docs/api.md, "Signing in"). A known one is remembered for the
/// route's own extractor. Committee members' tokens (`bhm_`) are the evaluation routes' to check.
pub async fn known_bearer(
    axum::extract::State(app): axum::extract::State<AppState>,
    mut req: Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let checked = req.uri().path().starts_with("/api/");
    if let Some(token) =
        bearer.filter(|t| checked && !t.starts_with(crate::award::member::TOKEN_PREFIX))
    {
        let Some(token) = SessionToken::parse(&token) else {
            return ApiError::unauthenticated().into_response();
        };
        match authenticate(&app, &token).await {
            Ok(Some(actor)) => {
                if let Some(by) = req.extensions().get::<super::write_record::WrittenBy>() {
                    by.set(&actor);
                }
                req.extensions_mut().insert(actor);
            }
            Ok(None) => return ApiError::unauthenticated().into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    next.run(req).await
}

/// The client's network address: the socket's peer, or — when the peer is a configured trusted
/// proxy (`BIDHALL_TRUSTED_PROXY`) — the last address of its `X-Forwarded-For`. `None` when the
/// server runs without connection info (a router tested in process).
pub struct ClientAddress(pub Option<std::net::IpAddr>);

impl FromRequestParts<AppState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        app: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded = || {
            parts
                .headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .filter_map(|a| a.trim().parse::<std::net::IpAddr>().ok())
                .next_back()
        };
        Ok(ClientAddress(match (peer, app.config.trusted_proxy) {
            (Some(p), Some(proxy)) if p == proxy => forwarded().or(Some(p)),
            (p, _) => p,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        money: crate::domain::Money,
        title: crate::domain::Line<1, 5>,
    }

    #[test]
    fn a_nul_in_any_text_is_refused_but_an_escaped_backslash_is_not_one() {
        let e = parse_json::<serde_json::Value>(br#"{"reference": "R\u0000"}"#).unwrap_err();
        assert_eq!(e.details["rule"], "control_character");
        let ok = parse_json::<serde_json::Value>(br#"{"a": "\\u0000"}"#).unwrap();
        assert_eq!(ok["a"], "\\u0000");
    }

    #[test]
    fn refused_fields_are_named_with_their_rule() {
        let e = parse_json::<Body>(br#"{"money": -1, "title": "a"}"#).unwrap_err();
        assert_eq!(e.details["field"], "money");
        assert_eq!(e.details["rule"], "negative");
        let e = parse_json::<Body>(br#"{"money": 1, "title": "a", "x": 1}"#).unwrap_err();
        assert_eq!(e.details["rule"], "unknown_field");
        let e = parse_json::<Body>(br#"{"money": 1, "title": "abcdefg"}"#).unwrap_err();
        assert_eq!(
            (e.details["field"].as_str(), e.details["rule"].as_str()),
            (Some("title"), Some("too_long"))
        );
        let e = parse_json::<Body>(b"{").unwrap_err();
        assert_eq!(e.code, "malformed_json");
    }
}
