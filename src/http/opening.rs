//! Routes of the live opening: its state, its events (the source of truth), the websocket that
//! streams them, the ceremony's actions, and the bonds on record. The socket's loop is generic
//! over `Sink`/`Stream`, so its catch-up rules are tested without a network.

use super::error::ApiError;
use super::extract::{ApiJson, AuthUser, MaybeUser};
use crate::app::AppState;
use crate::bonds::BondReceipt;
use crate::domain::TenderId;
use crate::opening::hub::SharedEvent;
use crate::opening::service::{self, BondInput, ObjectionInput, OpeningError};
use crate::opening::state::Refusal;
use crate::opening::{OpeningEvent, Viewer};
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/tenders/{id}/opening", get(state))
        .route("/api/tenders/{id}/opening/events", get(events))
        .route("/api/tenders/{id}/opening/ws", get(socket))
        .route("/api/tenders/{id}/opening/sign-in", post(sign_in))
        .route(
            "/api/tenders/{id}/opening/confirmation-window",
            post(open_window),
        )
        .route("/api/tenders/{id}/opening/lines/{n}/confirm", post(confirm))
        .route("/api/tenders/{id}/opening/objections", post(object))
        .route(
            "/api/tenders/{id}/opening/objections/{objection}/answer",
            post(answer),
        )
        .route("/api/tenders/{id}/opening/suspend", post(suspend))
        .route("/api/tenders/{id}/opening/resume", post(resume))
        .route("/api/tenders/{id}/opening/conclude", post(conclude))
        .route("/api/tenders/{id}/opening/report", get(report))
        .route("/api/tenders/{id}/bonds", post(record_bond).get(bonds))
}

impl From<OpeningError> for ApiError {
    fn from(e: OpeningError) -> Self {
        match e {
            OpeningError::NotFound => ApiError::not_found("tender"),
            OpeningError::Bid(b) => b.into(),
            OpeningError::Access(d) => d.into(),
            OpeningError::Store(s) => s.into(),
            OpeningError::Refused(r) => {
                let message = r.to_string();
                let unprocessable = StatusCode::UNPROCESSABLE_ENTITY;
                match r {
                    Refusal::Forbidden(why) => ApiError::forbidden(why),
                    Refusal::WrongPhase { phase } => {
                        ApiError::new(StatusCode::CONFLICT, "opening_wrong_phase", message)
                            .with_details(json!({ "phase": phase }))
                    }
                    Refusal::Suspended { reason } => {
                        ApiError::new(StatusCode::CONFLICT, "opening_suspended", message)
                            .with_details(json!({ "reason": reason }))
                    }
                    Refusal::WindowClosed { until } => {
                        ApiError::new(StatusCode::CONFLICT, "window_closed", message)
                            .with_details(json!({ "until": until }))
                    }
                    Refusal::WindowOpen { until } => {
                        ApiError::new(StatusCode::CONFLICT, "window_open", message)
                            .with_details(json!({ "until": until }))
                    }
                    Refusal::ObjectionsUnanswered { ids } => {
                        ApiError::new(StatusCode::CONFLICT, "objections_unanswered", message)
                            .with_details(json!({ "objections": ids }))
                    }
                    Refusal::NotYourLine { n } => {
                        ApiError::new(StatusCode::FORBIDDEN, "not_your_line", message)
                            .with_details(json!({ "line": n }))
                    }
                    Refusal::AlreadyConfirmed { n } => {
                        ApiError::new(StatusCode::CONFLICT, "already_confirmed", message)
                            .with_details(json!({ "line": n }))
                    }
                    Refusal::BadInput(_) => ApiError::new(unprocessable, "invalid_input", message),
                    Refusal::NotFound(what) => ApiError::not_found(what),
                }
            }
        }
    }
}

fn tender_id(s: &str) -> Result<TenderId, ApiError> {
    TenderId::parse(s).map_err(|_| ApiError::not_found("tender"))
}

/// The opening as this viewer may see it.
#[utoipa::path(get, path = "/api/tenders/{id}/opening", tag = "opening",
    responses((status = 200, body = Object), (status = 404)))]
async fn state(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::state(&app, actor.as_ref(), &tender_id(&id)?).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct After {
    /// The last seq the client has (0 for all).
    #[serde(default)]
    after: i64,
    /// At most this many events (default and maximum 1000).
    limit: Option<i64>,
}

/// The events after `after` this viewer may see, oldest first.
#[utoipa::path(get, path = "/api/tenders/{id}/opening/events", tag = "opening", params(After),
    responses((status = 200, body = Object), (status = 404)))]
async fn events(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
    Query(q): Query<After>,
) -> Result<Json<Value>, ApiError> {
    let (events, last) = service::events(
        &app,
        actor.as_ref(),
        &tender_id(&id)?,
        q.after,
        q.limit.unwrap_or(1000),
    )
    .await?;
    let events: Vec<_> = events.iter().map(OpeningEvent::view).collect();
    Ok(Json(json!({ "events": events, "last_seq": last })))
}

/// The websocket: the backlog after `after`, then every new event, each exactly once, in order.
#[utoipa::path(get, path = "/api/tenders/{id}/opening/ws", tag = "opening", params(After),
    responses((status = 101, description = "websocket of events")))]
async fn socket(
    State(app): State<AppState>,
    MaybeUser(actor): MaybeUser,
    Path(id): Path<String>,
    Query(q): Query<After>,
    upgrade: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let id = tender_id(&id)?;
    let viewer = service::viewer_of(&app, actor.as_ref(), &id).await?;
    Ok(upgrade.on_upgrade(move |ws: WebSocket| async move {
        let (sink, stream) = ws.split();
        let source = StoreSource {
            app: app.clone(),
            tender: id.clone(),
        };
        let rx = app.openings.subscribe(&id);
        let _ = pump(sink, stream, rx, &source, &viewer, q.after, &app.shutdown).await;
    }))
}

/// Where a socket catches up from: the store.
#[async_trait::async_trait]
pub trait Backlog: Send + Sync {
    /// Stored events after `after`, oldest first (a page; empty when there are no more).
    async fn after(&self, after: i64) -> Result<Vec<OpeningEvent>, ApiError>;
}

struct StoreSource {
    app: AppState,
    tender: TenderId,
}

#[async_trait::async_trait]
impl Backlog for StoreSource {
    async fn after(&self, after: i64) -> Result<Vec<OpeningEvent>, ApiError> {
        Ok(self
            .app
            .store
            .opening_events(&self.tender, after, 1000)
            .await?)
    }
}

#[derive(Debug)]
pub struct Closed;

/// Sends every visible stored event after `last`; returns the last seq scanned.
async fn catch_up<S>(
    sink: &mut S,
    backlog: &dyn Backlog,
    viewer: &Viewer,
    mut last: i64,
) -> Result<i64, Closed>
where
    S: Sink<Message> + Unpin,
{
    loop {
        let page = backlog.after(last).await.map_err(|_| Closed)?;
        if page.is_empty() {
            return Ok(last);
        }
        for e in page {
            if viewer.sees(&e.audience) {
                let shared = SharedEvent::new(&e);
                send(sink, &shared).await?;
            }
            last = e.seq;
        }
    }
}

async fn send<S>(sink: &mut S, e: &SharedEvent) -> Result<(), Closed>
where
    S: Sink<Message> + Unpin,
{
    // The same bytes for every socket: no copy, only a UTF-8 check.
    let text = Utf8Bytes::try_from(e.text.clone()).map_err(|_| Closed)?;
    sink.send(Message::Text(text)).await.map_err(|_| Closed)
}

/// The socket's loop. It subscribes before reading the backlog, so nothing falls between the two;
/// live events at or below what it sent are skipped; a gap in the live sequence, or a lag of the
/// broadcast buffer, sends it back to the store.
pub async fn pump<S, R, E>(
    mut sink: S,
    mut incoming: R,
    mut live: tokio::sync::broadcast::Receiver<Arc<SharedEvent>>,
    backlog: &dyn Backlog,
    viewer: &Viewer,
    after: i64,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Result<(), Closed>
where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, E>> + Unpin,
{
    let mut last = catch_up(&mut sink, backlog, viewer, after.max(0)).await?;
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => {
                let _ = sink.send(Message::Close(None)).await;
                return Ok(());
            }
            msg = incoming.next() => match msg {
                None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return Ok(()),
                Some(Ok(_)) => {}
            },
            event = live.recv() => match event {
                Ok(e) if e.seq <= last => {}
                Ok(e) if e.seq == last + 1 => {
                    if viewer.sees(&e.audience) {
                        send(&mut sink, &e).await?;
                    }
                    last = e.seq;
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {
                    last = catch_up(&mut sink, backlog, viewer, last).await?;
                }
                Err(RecvError::Closed) => return Ok(()),
            },
        }
    }
}

/// 签到.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/sign-in", operation_id = "opening_sign_in", tag = "opening",
    responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn sign_in(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::sign_in(&app, &actor, &tender_id(&id)?).await?,
    ))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowInput {
    pub minutes: i64,
}

/// The host opens the confirmation window.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/confirmation-window", tag = "opening",
    request_body = WindowInput, responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn open_window(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<WindowInput>,
) -> Result<Json<Value>, ApiError> {
    service::open_window(&app, &actor, &tender_id(&id)?, input.minutes).await?;
    Ok(Json(json!({ "ok": true })))
}

/// A tenderer confirms its line.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/lines/{n}/confirm", tag = "opening",
    responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn confirm(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, n)): Path<(String, i64)>,
) -> Result<Json<Value>, ApiError> {
    service::confirm(&app, &actor, &tender_id(&id)?, n).await?;
    Ok(Json(json!({ "ok": true })))
}

/// A tenderer raises an objection (异议).
#[utoipa::path(post, path = "/api/tenders/{id}/opening/objections", operation_id = "opening_object", tag = "opening",
    request_body = ObjectionInput, responses((status = 201, body = Object), (status = 403), (status = 409)))]
async fn object(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ObjectionInput>,
) -> Result<impl IntoResponse, ApiError> {
    let n = service::object(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": n }))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    pub text: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    pub reason: String,
}

/// The host answers an objection.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/objections/{objection}/answer", operation_id = "opening_answer", tag = "opening",
    request_body = TextInput, responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn answer(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path((id, objection)): Path<(String, i64)>,
    ApiJson(input): ApiJson<TextInput>,
) -> Result<Json<Value>, ApiError> {
    service::answer(&app, &actor, &tender_id(&id)?, objection, &input.text).await?;
    Ok(Json(json!({ "ok": true })))
}

/// The supervisor suspends the opening.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/suspend", tag = "opening",
    request_body = ReasonInput, responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn suspend(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> Result<Json<Value>, ApiError> {
    service::suspend(&app, &actor, &tender_id(&id)?, true, &input.reason).await?;
    Ok(Json(json!({ "ok": true })))
}

/// The supervisor resumes the opening.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/resume", tag = "opening",
    request_body = ReasonInput, responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn resume(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<ReasonInput>,
) -> Result<Json<Value>, ApiError> {
    service::suspend(&app, &actor, &tender_id(&id)?, false, &input.reason).await?;
    Ok(Json(json!({ "ok": true })))
}

/// The host concludes: the opening record is generated, signed and published.
#[utoipa::path(post, path = "/api/tenders/{id}/opening/conclude", tag = "opening",
    responses((status = 200, body = Object), (status = 403), (status = 409)))]
async fn conclude(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        service::conclude(&app, &actor, &tender_id(&id)?).await?,
    ))
}

/// The signed opening record (开标记录), once concluded.
#[utoipa::path(get, path = "/api/tenders/{id}/opening/report", tag = "opening",
    responses((status = 200, body = Object), (status = 409)))]
async fn report(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(service::report(&app, &tender_id(&id)?).await?))
}

/// The trading centre records a bid bond it has received.
#[utoipa::path(post, path = "/api/tenders/{id}/bonds", tag = "opening", request_body = BondInput,
    responses((status = 201, body = BondReceipt), (status = 403), (status = 422)))]
async fn record_bond(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<BondInput>,
) -> Result<impl IntoResponse, ApiError> {
    let r = service::record_bond(&app, &actor, &tender_id(&id)?, input).await?;
    Ok((StatusCode::CREATED, Json(r)))
}

/// Bonds on record for the tender.
#[utoipa::path(get, path = "/api/tenders/{id}/bonds", tag = "opening",
    responses((status = 200, body = Vec<BondReceipt>), (status = 403)))]
async fn bonds(
    State(app): State<AppState>,
    AuthUser(actor): AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<BondReceipt>>, ApiError> {
    Ok(Json(service::bonds(&app, &actor, &tender_id(&id)?).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::opening::Audience;
    use std::sync::Mutex;

    struct Memory(Mutex<Vec<OpeningEvent>>);

    #[async_trait::async_trait]
    impl Backlog for Memory {
        async fn after(&self, after: i64) -> Result<Vec<OpeningEvent>, ApiError> {
            Ok(self
                .0
                .lock()
                .unwrap()
                .iter()
                .filter(|e| e.seq > after)
                .cloned()
                .collect())
        }
    }

    fn ev(seq: i64, audience: Audience) -> OpeningEvent {
        OpeningEvent {
            seq,
            at: Timestamp::from_stored(seq),
            kind: "k".into(),
            audience,
            body: json!({}),
        }
    }

    fn seqs(sent: &[Message]) -> Vec<i64> {
        sent.iter()
            .filter_map(|m| match m {
                Message::Text(t) => serde_json::from_str::<Value>(t).ok(),
                _ => None,
            })
            .map(|v| v["seq"].as_i64().unwrap())
            .collect()
    }

    /// Runs the pump with `backlog` stored and `live` broadcast after it starts; returns what
    /// the client received.
    async fn run(
        stored: Vec<OpeningEvent>,
        after: i64,
        live: Vec<OpeningEvent>,
        capacity: usize,
        viewer: Viewer,
    ) -> Vec<i64> {
        let backlog = Memory(Mutex::new(stored));
        let (tx, rx) = tokio::sync::broadcast::channel(capacity);
        // Everything live is also in the store, as it is in the hall.
        for e in &live {
            let mut stored = backlog.0.lock().unwrap();
            if !stored.iter().any(|s| s.seq == e.seq) {
                stored.push(e.clone());
            }
            drop(stored);
            let _ = tx.send(SharedEvent::new(e));
        }
        drop(tx);
        let mut got: Vec<Message> = Vec::new();
        let incoming = futures_util::stream::pending::<Result<Message, ()>>();
        let token = tokio_util::sync::CancellationToken::new();
        let _ = pump(&mut got, incoming, rx, &backlog, &viewer, after, &token).await;
        seqs(&got)
    }

    #[tokio::test]
    async fn the_backlog_then_live_events_arrive_once_and_in_order() {
        let stored = (1..=3).map(|s| ev(s, Audience::Public)).collect();
        // live repeats 3 (committed while the backlog was read) and goes on to 5
        let live = vec![
            ev(3, Audience::Public),
            ev(4, Audience::Public),
            ev(5, Audience::Public),
        ];
        let got = run(stored, 1, live, 16, Viewer::public()).await;
        assert_eq!(got, vec![2, 3, 4, 5]);
    }

    #[tokio::test]
    async fn a_client_too_slow_for_the_buffer_is_caught_up_from_the_store() {
        let live: Vec<_> = (1..=50).map(|s| ev(s, Audience::Public)).collect();
        // A buffer of 4 lags after the first few; the store fills the rest.
        let got = run(Vec::new(), 0, live, 4, Viewer::public()).await;
        assert_eq!(got, (1..=50).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn a_gap_in_the_live_sequence_is_filled_from_the_store() {
        let stored = vec![ev(1, Audience::Public), ev(2, Audience::Public)];
        // 2 was committed but never broadcast here
        let got = run(
            stored,
            0,
            vec![ev(3, Audience::Public)],
            16,
            Viewer::public(),
        )
        .await;
        assert_eq!(got, vec![1, 2, 3]);
    }

    #[tokio::test]
    async fn the_public_does_not_see_the_hall_s_or_a_party_s_events() {
        let a = crate::domain::OrgId::from_stored("a".into());
        let stored = vec![
            ev(1, Audience::Public),
            ev(2, Audience::Hall),
            ev(3, Audience::Party(a.clone())),
            ev(4, Audience::Public),
        ];
        assert_eq!(
            run(stored.clone(), 0, vec![], 16, Viewer::public()).await,
            vec![1, 4]
        );
        let tenderer = Viewer {
            hall: false,
            role: "tenderer",
            org: Some(a.clone()),
        };
        assert_eq!(
            run(stored.clone(), 0, vec![], 16, tenderer).await,
            vec![1, 3, 4]
        );
        let host = Viewer {
            hall: true,
            role: "host",
            org: None,
        };
        assert_eq!(
            run(stored, 0, vec![], 16, host.clone()).await,
            vec![1, 2, 3, 4]
        );
        // A tenderer's own event before the box closes: itself alone (法 第二十二条).
        let own = vec![ev(1, Audience::Public), ev(2, Audience::Own(a.clone()))];
        assert_eq!(run(own.clone(), 0, vec![], 16, host).await, vec![1]);
        assert_eq!(
            run(own.clone(), 0, vec![], 16, Viewer::public()).await,
            vec![1]
        );
        let tenderer = Viewer {
            hall: false,
            role: "tenderer",
            org: Some(a),
        };
        assert_eq!(run(own, 0, vec![], 16, tenderer).await, vec![1, 2]);
    }
}
