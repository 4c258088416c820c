//! Delivering the bank's queued notifications to the hall: each signed at send time, retried with
//! exponential backoff until the hall gives a final answer (docs/bonds.md §5.1). `deliver_due` is
//! one step at a given time, so tests drive the schedule without sleeping; the loop only calls it.

use super::{Queued, SandboxBank};
use crate::domain::Timestamp;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The first retry waits this long; each further one twice as long.
pub const FIRST_BACKOFF_MS: i64 = 1_000;
/// No retry waits longer than this.
pub const MAX_BACKOFF_MS: i64 = 5 * 60 * 1_000;

/// The wait after `attempts` failed attempts: 1 s, 2 s, 4 s, … capped at 5 minutes.
pub fn backoff_ms(attempts: u32) -> i64 {
    crate::domain::time::doubling_pause(FIRST_BACKOFF_MS, MAX_BACKOFF_MS, i64::from(attempts))
}

/// How a message reaches the hall: an HTTP POST in production, a stub in tests.
#[async_trait::async_trait]
pub trait Courier: Send + Sync {
    /// Posts `body` to the hall's `path` (`notifications` or `refunds-paid`) with the signature
    /// headers; the hall's status and body, or why nothing came back.
    async fn post(
        &self,
        path: &str,
        timestamp: i64,
        signature: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String>;
}

/// Posts to `{hall}/api/banks/{bank}/{path}`.
pub struct HttpCourier {
    client: reqwest::Client,
    base: String,
}

impl HttpCourier {
    pub fn new(hall: &str, bank: &crate::bonds::BankCode) -> HttpCourier {
        HttpCourier {
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap_or_default(),
            base: format!("{}/api/banks/{}", hall.trim_end_matches('/'), bank.as_str()),
        }
    }
}

#[async_trait::async_trait]
impl Courier for HttpCourier {
    async fn post(
        &self,
        path: &str,
        timestamp: i64,
        signature: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let r = self
            .client
            .post(format!("{}/{path}", self.base))
            .header("Bidhall-Timestamp", timestamp.to_string())
            .header("Bidhall-Signature", signature)
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status().as_u16();
        let body = r.bytes().await.map_err(|e| e.to_string())?;
        Ok((status, body.to_vec()))
    }
}

/// What one delivery step did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DeliveryReport {
    /// The hall answered 200.
    pub delivered: Vec<String>,
    /// The hall refused for good (a 4xx other than a stale timestamp).
    pub refused: Vec<String>,
    /// No final answer: tried again later.
    pub retrying: Vec<String>,
}

fn is_stale(status: u16, body: &[u8]) -> bool {
    status == 401
        && serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|v| v["error"]["code"].as_str().map(|c| c == "stale_timestamp"))
            .unwrap_or(false)
}

impl SandboxBank {
    async fn send(&self, courier: &dyn Courier, q: &Queued) -> Result<(u16, Vec<u8>), String> {
        let (ts, sig) = self.sign(&q.body);
        courier.post(q.kind.path(), ts, &sig, &q.body).await
    }

    /// Sends every message due at `now` once (a stale timestamp is re-signed and sent once more
    /// at once); a final answer settles it, anything else schedules the next attempt.
    pub async fn deliver_due(
        &self,
        courier: &dyn Courier,
        now: Timestamp,
    ) -> Result<DeliveryReport, super::BankError> {
        let mut report = DeliveryReport::default();
        for q in self.due(now) {
            let mut answer = self.send(courier, &q).await;
            if matches!(&answer, Ok((status, body)) if is_stale(*status, body)) {
                answer = self.send(courier, &q).await;
            }
            let id = q.bank_txn_id.clone();
            match answer {
                Ok((200, body)) => {
                    self.settle(&id, 200, String::from_utf8_lossy(&body).into_owned())?;
                    report.delivered.push(id);
                }
                Ok((status, body)) if (400..500).contains(&status) && !is_stale(status, &body) => {
                    let body = String::from_utf8_lossy(&body).into_owned();
                    tracing::warn!(bank_txn_id = %id, status, answer = %body, "the hall refused a notification for good");
                    self.settle(&id, status, body)?;
                    report.refused.push(id);
                }
                other => {
                    let why = match other {
                        Ok((status, _)) => format!("status {status}"),
                        Err(e) => e,
                    };
                    tracing::info!(bank_txn_id = %id, attempts = q.attempts + 1, why = %why, "the hall did not take a notification; retrying later");
                    self.retry_later(&id, now);
                    report.retrying.push(id);
                }
            }
        }
        Ok(report)
    }
}

/// Calls `deliver_due` every `every` until `shutdown`.
pub fn spawn_delivery(
    bank: Arc<SandboxBank>,
    courier: Arc<dyn Courier>,
    every: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = tick.tick() => {
                    if let Err(e) = bank.deliver_due(&*courier, bank.now()).await {
                        tracing::error!(error = %e, "sandbox bank delivery failed");
                    }
                }
            }
        }
    })
}
