//! Sending refund instructions to banks (docs/bonds.md §5.2, §7): the outbox's pending rows go
//! out signed with the bank's secret and are marked accepted on the bank's `200`; anything else
//! is tried again with backoff on the hall's clock. The bank dedupes by instruction id, so sending
//! again after a crash never pays twice.

use super::bank::{self, BankCode};
use super::directory::BankEndpoint;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::store::RefundRow;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Mutex;

/// The longest wait between two attempts.
pub const MAX_BACKOFF_MS: i64 = 60 * 60 * 1000;
/// Rows sent per pass.
const BATCH: i64 = 100;

/// The body of `POST {bank base}/refunds`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundOrder {
    pub amount_fen: i64,
    pub instruction_id: String,
    pub to_account: String,
    pub to_name: String,
}

/// The bank's acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Accepted {
    pub instruction_id: String,
    pub status: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    #[error("the bank could not be reached: {0}")]
    Unreachable(String),
    #[error("the bank answered {status}")]
    Refused { status: u16 },
    #[error("the bank's answer is not an acceptance of this instruction")]
    BadAnswer,
}

#[async_trait]
pub trait BankAdapter: Send + Sync {
    async fn send_refund(
        &self,
        bank: &BankEndpoint,
        order: &RefundOrder,
    ) -> Result<Accepted, AdapterError>;
}

/// The HTTP client of §5.2. It signs with the hall's clock, which the bank's ±300 s window is
/// checked against: the system's time in production, the moved clock of the demo and the tests
/// (whose sandbox bank runs on the same clock).
pub struct HttpBankAdapter {
    client: reqwest::Client,
    clock: std::sync::Arc<dyn crate::clock::Clock>,
}

impl HttpBankAdapter {
    pub fn new(clock: std::sync::Arc<dyn crate::clock::Clock>) -> Self {
        HttpBankAdapter {
            client: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
            clock,
        }
    }
}

#[async_trait]
impl BankAdapter for HttpBankAdapter {
    async fn send_refund(
        &self,
        bank: &BankEndpoint,
        order: &RefundOrder,
    ) -> Result<Accepted, AdapterError> {
        let body = crate::canonical::to_canonical_vec(order)
            .map_err(|e| AdapterError::Unreachable(e.to_string()))?;
        let ts = self.clock.now().millis().div_euclid(1000);
        let sig = bank::sign(&bank.secret, ts, &body);
        let resp = self
            .client
            .post(format!("{}/refunds", bank.base_url))
            .header("Content-Type", "application/json")
            .header("Bidhall-Timestamp", ts.to_string())
            .header("Bidhall-Signature", sig)
            .body(body)
            .send()
            .await
            .map_err(|e| AdapterError::Unreachable(e.without_url().to_string()))?;
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(AdapterError::Refused { status });
        }
        let a: Accepted = resp.json().await.map_err(|_| AdapterError::BadAnswer)?;
        if a.instruction_id != order.instruction_id || a.status != "accepted" {
            return Err(AdapterError::BadAnswer);
        }
        Ok(a)
    }
}

/// A bank for tests: refuses the first `fail_first` orders, then accepts; remembers each order.
#[derive(Default)]
pub struct FakeBank {
    pub fail_first: Mutex<usize>,
    pub received: Mutex<Vec<(BankCode, RefundOrder)>>,
}

impl FakeBank {
    pub fn failing_first(n: usize) -> Self {
        FakeBank {
            fail_first: Mutex::new(n),
            received: Mutex::new(Vec::new()),
        }
    }

    pub fn orders(&self) -> Vec<(BankCode, RefundOrder)> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[async_trait]
impl BankAdapter for FakeBank {
    async fn send_refund(
        &self,
        bank: &BankEndpoint,
        order: &RefundOrder,
    ) -> Result<Accepted, AdapterError> {
        self.received
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((bank.code.clone(), order.clone()));
        let mut fail = self.fail_first.lock().unwrap_or_else(|p| p.into_inner());
        if *fail > 0 {
            *fail -= 1;
            return Err(AdapterError::Refused { status: 503 });
        }
        Ok(Accepted {
            instruction_id: order.instruction_id.clone(),
            status: "accepted".into(),
        })
    }
}

/// The wait after the `attempts`-th failed attempt: 2^attempts seconds, at most an hour.
pub fn backoff_ms(attempts: i64) -> i64 {
    crate::domain::time::doubling_pause(1000, MAX_BACKOFF_MS, attempts + 1)
}

/// What one pass of the sender did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    pub accepted: usize,
    pub failed: usize,
}

/// Sends every refund instruction whose attempt is due; marks it accepted or backs it off.
pub async fn send_due_refunds(
    app: &AppState,
    adapter: &dyn BankAdapter,
) -> Result<Sent, crate::store::StoreError> {
    let mut sent = Sent::default();
    let due = app.store.refunds_due(app.clock.now(), BATCH).await?;
    for row in due {
        let outcome = match app.banks.get(&row.bank) {
            Some(bank) => adapter.send_refund(&bank, &order_of(&row)).await,
            None => Err(AdapterError::Unreachable(format!(
                "bank {} is no longer configured",
                row.bank.as_str()
            ))),
        };
        let now = app.clock.now();
        match outcome {
            Ok(_) => {
                let audit = AuditEvent::new(
                    "refund_accepted",
                    row.tender.as_ref(),
                    AuditActor::System,
                    now,
                    json!({ "instruction_id": row.instruction, "bank": row.bank,
                            "amount_fen": row.amount.fen() }),
                );
                app.store
                    .refund_attempted(&row.instruction, true, now, None, Some(&audit))
                    .await?;
                sent.accepted += 1;
            }
            Err(e) => {
                tracing::warn!(instruction = row.instruction.as_str(), bank = row.bank.as_str(), error = %e, "refund not accepted; will retry");
                let next = now.plus_millis(backoff_ms(row.attempts + 1));
                app.store
                    .refund_attempted(&row.instruction, false, next, Some(e.to_string()), None)
                    .await?;
                sent.failed += 1;
            }
        }
    }
    Ok(sent)
}

fn order_of(row: &RefundRow) -> RefundOrder {
    RefundOrder {
        amount_fen: row.amount.fen(),
        instruction_id: row.instruction.as_str().to_owned(),
        to_account: row.to_account.clone(),
        to_name: row.to_name.clone(),
    }
}

/// The sender as a watcher of the hall: every `every`, until shutdown.
pub fn spawn_sender(app: AppState, every: std::time::Duration) {
    let adapter = std::sync::Arc::new(HttpBankAdapter::new(app.clock.clone()));
    app.every("refund_sender", every, move |app| {
        let adapter = adapter.clone();
        async move {
            if let Err(e) = send_due_refunds(&app, &*adapter).await {
                tracing::warn!(error = %e, "refund sender pass failed");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_two_seconds_and_stops_at_an_hour() {
        assert_eq!(backoff_ms(1), 2_000);
        assert_eq!(backoff_ms(2), 4_000);
        assert_eq!(backoff_ms(11), 2_048_000);
        assert_eq!(backoff_ms(12), MAX_BACKOFF_MS);
        assert_eq!(backoff_ms(40), MAX_BACKOFF_MS);
    }
}
