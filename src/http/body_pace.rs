//! A request body must keep coming: the hall waits at most the body timeout for its next bytes, and
//! in all no longer than the timeout plus one second per `min rate` bytes received, so a body
//! trickled a byte at a time is cut off like a stalled one (docs/api.md, "Limits"). Only time spent
//! waiting on the client counts, never time the hall itself takes to store what it received.
//! The refusal is `408 request_timeout`, and the connection is closed after it.

use super::error::ApiError;
use crate::app::AppState;
use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body::{Frame, SizeHint};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::time::{Instant, Sleep};

/// The bounds a body is held to.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// The longest wait for more bytes, and the grace before the rate counts.
    pub timeout: Duration,
    /// Bytes per second the client must keep up on average.
    pub min_bytes_per_second: u64,
}

impl Pace {
    pub fn of(config: &crate::config::ServeArgs) -> Self {
        Pace {
            timeout: Duration::from_millis(config.body_timeout_ms),
            min_bytes_per_second: config.body_min_bytes_per_second.max(1),
        }
    }

    /// How long the client may have kept the hall waiting in all, having sent `received` bytes.
    fn budget(&self, received: u64) -> Duration {
        self.timeout + Duration::from_secs_f64(received as f64 / self.min_bytes_per_second as f64)
    }
}

pub async fn pace(State(app): State<AppState>, req: Request, next: Next) -> Response {
    if req.body().is_end_stream() {
        return next.run(req).await;
    }
    let cut = Arc::new(AtomicBool::new(false));
    let rule = Pace::of(&app.config);
    let req = req.map(|inner| {
        Body::new(Paced {
            inner,
            rule,
            cut: cut.clone(),
            sleep: Box::pin(tokio::time::sleep(rule.timeout)),
            waiting_since: None,
            waited: Duration::ZERO,
            received: 0,
        })
    });
    let resp = next.run(req).await;
    if !cut.load(Ordering::Acquire) {
        return resp;
    }
    tracing::info!("request body too slow; cut off");
    let mut resp = ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "the request body arrived too slowly and was cut off; send it again",
    )
    .with_details(serde_json::json!({
        "timeout_ms": rule.timeout.as_millis() as u64,
        "min_bytes_per_second": rule.min_bytes_per_second,
    }))
    .into_response();
    // What is left of the body is never read: the connection cannot carry another request.
    resp.headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    resp
}

struct Paced {
    inner: Body,
    rule: Pace,
    cut: Arc<AtomicBool>,
    sleep: Pin<Box<Sleep>>,
    /// Since when the hall has been waiting for the client, if it is.
    waiting_since: Option<Instant>,
    /// Time spent waiting for the client before the current wait.
    waited: Duration,
    received: u64,
}

#[derive(Debug, thiserror::Error)]
#[error("the request body arrived too slowly")]
struct TooSlow;

impl HttpBody for Paced {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let this = self.get_mut();
        if this.cut.load(Ordering::Acquire) {
            return Poll::Ready(Some(Err(axum::Error::new(TooSlow))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(frame) => {
                if let Some(since) = this.waiting_since.take() {
                    this.waited += since.elapsed();
                }
                if let Some(Ok(f)) = &frame {
                    this.received += f.data_ref().map_or(0, |d| d.len() as u64);
                }
                Poll::Ready(frame)
            }
            Poll::Pending => {
                let since = *this.waiting_since.get_or_insert_with(Instant::now);
                let left = this
                    .rule
                    .budget(this.received)
                    .saturating_sub(this.waited)
                    .min(this.rule.timeout);
                let deadline = since + left;
                if this.sleep.deadline() != deadline {
                    this.sleep.as_mut().reset(deadline);
                }
                match this.sleep.as_mut().poll(cx) {
                    Poll::Ready(()) => {
                        this.cut.store(true, Ordering::Release);
                        Poll::Ready(Some(Err(axum::Error::new(TooSlow))))
                    }
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_byte_received_buys_one_over_the_rate_in_seconds() {
        let p = Pace {
            timeout: Duration::from_secs(20),
            min_bytes_per_second: 4096,
        };
        assert_eq!(p.budget(0), Duration::from_secs(20));
        assert_eq!(p.budget(4096 * 10), Duration::from_secs(30));
        // A whole bid of 1 GiB at the minimum rate: about 73 hours, never cut for its size.
        assert!(p.budget(1 << 30) > Duration::from_secs(72 * 3600));
    }
}
