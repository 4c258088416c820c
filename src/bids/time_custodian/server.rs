//! `bidhall time-custodian serve`: the time-release custodian as its own process, one per
//! deployment, with its own key directory; every node asks it over HTTP (docs/bid-box.md, "The
//! time-release custodian", for the requests, answers and error codes). It opens no share before
//! the time it holds for the key, by its own clock.

use super::{register_with, release_with, ReleaseRequest, TimeCustodian, Unreleased};
use crate::clock::{Clock, SystemClock};
use crate::domain::TenderId;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Where the custodian listens (a private network the hall's nodes reach).
    #[arg(
        long,
        env = "BIDHALL_TIME_CUSTODIAN_LISTEN",
        default_value = "127.0.0.1:8070"
    )]
    pub listen: String,
    /// Its key directory: the identity key and one key per tender. Back it up; no node needs it.
    #[arg(
        long,
        env = "BIDHALL_TIME_CUSTODIAN_DIR",
        default_value = "./time-custodian"
    )]
    pub dir: PathBuf,
    /// The bearer token the hall's nodes present (`BIDHALL_TIME_CUSTODIAN_TOKEN` on both sides);
    /// without one, anyone who reaches the address may ask. Never logged.
    #[arg(long, env = "BIDHALL_TIME_CUSTODIAN_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
}

#[derive(Debug, clap::Subcommand)]
pub enum TimeCustodianCommand {
    /// Serve the time-release custodian to the hall's nodes.
    Serve(ServeArgs),
}

#[derive(Clone)]
struct Custodian {
    keys: Arc<TimeCustodian>,
    clock: Arc<dyn Clock>,
    /// SHA-256 of the token.
    token: Option<[u8; 32]>,
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, bytes);
    d.as_ref().try_into().expect("32 bytes")
}

/// A refusal: `{"error": {"code", "message", "not_before"?}}` with its status.
struct Refused {
    status: StatusCode,
    code: &'static str,
    message: String,
    not_before: Option<i64>,
}

fn error(status: StatusCode, code: &'static str, message: impl Into<String>) -> Refused {
    Refused {
        status,
        code,
        message: message.into(),
        not_before: None,
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let mut body = json!({ "code": self.code, "message": self.message });
        if let Some(t) = self.not_before {
            body["not_before"] = t.into();
        }
        (self.status, Json(json!({ "error": body }))).into_response()
    }
}

impl From<Unreleased> for Refused {
    fn from(e: Unreleased) -> Self {
        match e {
            Unreleased::TooEarly { not_before } => Refused {
                not_before: Some(not_before),
                ..error(StatusCode::CONFLICT, "too_early", e.to_string())
            },
            Unreleased::NoKey(m) => error(StatusCode::NOT_FOUND, "no_key", m),
            Unreleased::KeyMismatch(m) => error(StatusCode::CONFLICT, "key_mismatch", m),
            Unreleased::BadRequest(m) => error(StatusCode::BAD_REQUEST, "bad_request", m),
            Unreleased::Unavailable(m) => {
                tracing::error!(error = %m, "the time-release custodian failed");
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the custodian failed; its log says why",
                )
            }
        }
    }
}

impl Custodian {
    /// The caller presents the token, if one is set.
    fn admits(&self, headers: &HeaderMap) -> Result<(), Refused> {
        let Some(expected) = &self.token else {
            return Ok(());
        };
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        // Digests are compared, not the tokens: how long the comparison takes says nothing
        // about the token.
        if sha256(given.as_bytes()) == *expected {
            Ok(())
        } else {
            Err(error(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "present the custodian's bearer token",
            ))
        }
    }
}

fn bad_request(why: String) -> Refused {
    error(StatusCode::BAD_REQUEST, "bad_request", why)
}

fn key_of(tender: &str, index: u8) -> Result<TenderId, Refused> {
    if index == 0 {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "custodian indices start at 1",
        ));
    }
    TenderId::parse(tender)
        .map_err(|_| error(StatusCode::BAD_REQUEST, "bad_request", "not a tender id"))
}

async fn identity(State(c): State<Custodian>, headers: HeaderMap) -> Result<Response, Refused> {
    c.admits(&headers)?;
    Ok(Json(json!({ "public_key": B64.encode(c.keys.identity_public_key()) })).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Hold {
    not_before_ms: i64,
}

async fn register(
    State(c): State<Custodian>,
    headers: HeaderMap,
    path: Result<Path<(String, u8)>, PathRejection>,
    hold: Result<Json<Hold>, JsonRejection>,
) -> Result<Response, Refused> {
    c.admits(&headers)?;
    let Path((tender, index)) = path.map_err(|e| bad_request(e.body_text()))?;
    let Json(hold) = hold.map_err(|e| bad_request(e.body_text()))?;
    let tender = key_of(&tender, index)?;
    let registration = register_with(&c.keys, &tender, index, hold.not_before_ms)
        .map_err(Unreleased::Unavailable)?;
    Ok(Json(registration).into_response())
}

async fn release(
    State(c): State<Custodian>,
    headers: HeaderMap,
    path: Result<Path<(String, u8)>, PathRejection>,
    request: Result<Json<ReleaseRequest>, JsonRejection>,
) -> Result<Response, Refused> {
    c.admits(&headers)?;
    let Path((tender, index)) = path.map_err(|e| bad_request(e.body_text()))?;
    let Json(request) = request.map_err(|e| bad_request(e.body_text()))?;
    let tender = key_of(&tender, index)?;
    let keys = c.keys.clone();
    let now = c.clock.now().millis();
    let answered =
        tokio::task::spawn_blocking(move || release_with(&keys, &tender, index, &request, now))
            .await;
    let answers = answered.map_err(|e| Unreleased::Unavailable(e.to_string()))??;
    Ok(Json(answers).into_response())
}

/// The custodian's routes over its key directory, judging time by `clock`.
pub fn router(keys: TimeCustodian, clock: Arc<dyn Clock>, token: Option<&str>) -> Router {
    let state = Custodian {
        keys: Arc::new(keys),
        clock,
        token: token
            .filter(|t| !t.is_empty())
            .map(|t| sha256(t.as_bytes())),
    };
    Router::new()
        .route("/readyz", get(|| async { "ready" }))
        .route("/v1/identity", get(identity))
        .route(
            "/v1/tenders/{tender}/custodians/{index}/key",
            post(register),
        )
        .route(
            "/v1/tenders/{tender}/custodians/{index}/release",
            post(release),
        )
        .with_state(state)
}

pub async fn run(command: TimeCustodianCommand) -> Result<(), String> {
    let TimeCustodianCommand::Serve(args) = command;
    let keys = TimeCustodian::open(&args.dir)?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("{}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    if args.token.as_deref().is_none_or(str::is_empty) {
        tracing::warn!("no BIDHALL_TIME_CUSTODIAN_TOKEN: anyone who reaches {addr} may ask");
    }
    tracing::info!("time-release custodian on http://{addr}");
    axum::serve(
        listener,
        router(keys, Arc::new(SystemClock), args.token.as_deref()),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
    .map_err(|e| e.to_string())
}
