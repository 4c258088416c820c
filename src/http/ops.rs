//! Operations: liveness, readiness (the store answers), Prometheus metrics and the per-route
//! request counter and latency histogram that feed them.

use super::error::ApiError;
use super::extract::MaybeUser;
use crate::app::AppState;
use crate::identity::Role;
use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_text))
}

/// Liveness: the process answers.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
pub(super) async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the store answers, file storage writes and reads back a probe, and the
/// time-release custodian's key directory is readable.
#[utoipa::path(get, path = "/readyz", tag = "operations",
    responses((status = 200, description = "`ready`", body = String, content_type = "text/plain"), (status = 503, description = "`store unavailable`, `file storage unavailable` or `time custodian unavailable`", body = String, content_type = "text/plain")))]
pub(super) async fn readyz(State(app): State<AppState>) -> Response {
    let unavailable = |what: &'static str, error: String| {
        tracing::warn!(error = %error, "{what}");
        (StatusCode::SERVICE_UNAVAILABLE, what).into_response()
    };
    if let Err(e) = app.store.ping().await {
        return unavailable("store unavailable", e.to_string());
    }
    if let Err(e) = app.blobs.ready().await {
        return unavailable("file storage unavailable", e.to_string());
    }
    if let Err(e) = app.time_custodian.ready().await {
        return unavailable("time custodian unavailable", e);
    }
    (StatusCode::OK, "ready").into_response()
}

/// The process-wide recorder, installed once (tests start several apps in one process).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&[
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ])
            .expect("buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed by an embedding program; ours still renders.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The metrics are the operator's: per-route counts would tell, while bidding is open, how many
/// obtained documents or submitted bids (招标投标法 第二十二条). A scraper sends
/// `Authorization: Bearer <BIDHALL_METRICS_TOKEN>`; a signed-in trading-centre user may look too.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(("metrics_token" = []), ("session" = [])),
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain"), (status = 401), (status = 403)))]
pub(super) async fn metrics_text(State(app): State<AppState>, mut parts: Parts) -> Response {
    let bearer = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let scraper = match (bearer, app.config.metrics_token.as_deref()) {
        (Some(given), Some(token)) => same_secret(given, token),
        _ => false,
    };
    if !scraper {
        match MaybeUser::from_request_parts(&mut parts, &app).await {
            Ok(MaybeUser(Some(actor))) if actor.role == Role::Platform => {}
            Ok(MaybeUser(Some(_))) => {
                return ApiError::forbidden("the metrics are the trading centre's").into_response()
            }
            Ok(MaybeUser(None)) => return ApiError::unauthenticated().into_response(),
            Err(e) => return e.into_response(),
        }
    }
    (
        [
            ("content-type", "text/plain; version=0.0.4"),
            ("cache-control", "no-store"),
        ],
        prometheus().render(),
    )
        .into_response()
}

/// Compares two secrets by their digests, so the time taken says nothing about the secret.
fn same_secret(a: &str, b: &str) -> bool {
    let d = |x: &str| ring::digest::digest(&ring::digest::SHA256, x.as_bytes());
    d(a).as_ref() == d(b).as_ref()
}

/// Counts requests and times them, labelled by the route pattern (never the raw path, whose ids
/// would explode the label set).
pub async fn track(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(start.elapsed().as_secs_f64());
    response
}
