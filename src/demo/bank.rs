//! The sandbox bank in the demo's past: payers open accounts and transfer their bonds, the bank's
//! signed notifications reach the hall's bonds use cases, the hall's signed refund instructions
//! reach the bank, and the bank's confirmations come back. The messages are the bytes the HTTP
//! path carries; only their transport is a call, since the hall does not serve while the demo
//! loads. The bank keeps its journal in the data directory, where `serve --demo` reopens it.

use super::fixture::bad;
use crate::app::AppState;
use crate::bonds::adapter::{send_due_refunds, Accepted, AdapterError, BankAdapter, RefundOrder};
use crate::bonds::directory::BankEndpoint;
use crate::bonds::service::{ingest_notification, refund_paid, sub_account};
use crate::bonds::BankCode;
use crate::clock::Clock;
use crate::domain::TenderId;
use crate::identity::Actor;
use crate::sandbox_bank::{
    journal_path, load_or_create_secret, Courier, SandboxBank, SANDBOX_CODE,
};
use crate::server::StartError;
use std::sync::{Arc, Mutex};

pub(super) struct Bank {
    bank: Arc<SandboxBank>,
    clock: Arc<dyn Clock>,
}

impl Bank {
    /// The sandbox bank of `app`'s data directory, on the past's clock. The hall must take bonds
    /// through it (`serve --demo` does).
    pub fn open(app: &AppState, clock: Arc<dyn Clock>) -> Result<Bank, StartError> {
        let code = BankCode::parse(SANDBOX_CODE).map_err(bad)?;
        if app.banks.get(&code).is_none() {
            return Err(bad(
                "the demo hall takes its bonds through the sandbox bank: start it with --demo",
            ));
        }
        let data_dir = &app.config.store.data_dir;
        let secret = load_or_create_secret(&app.config.bank_secrets_dir(), &code)?;
        let bank =
            SandboxBank::open(code, secret, clock.clone(), &journal_path(data_dir)).map_err(bad)?;
        Ok(Bank {
            bank: Arc::new(bank),
            clock,
        })
    }

    /// The tenderer pays `amounts` (fen, one transfer each) into its sub-account for the tender
    /// from an account it opens with exactly that money; the hall hears of each transfer.
    pub async fn pay(
        &self,
        app: &AppState,
        payer: &Actor,
        tender: &TenderId,
        amounts: &[i64],
    ) -> Result<(), StartError> {
        let paying_in = sub_account(app, payer, tender).await.map_err(bad)?;
        let account = self
            .bank
            .open_account(&payer.org_name, amounts.iter().sum())
            .map_err(bad)?;
        for fen in amounts {
            self.bank
                .transfer(
                    &account.view.account,
                    &account.access_code,
                    &paying_in.sub_account,
                    *fen,
                )
                .map_err(bad)?;
        }
        self.deliver(app).await
    }

    /// The refunds the hall has instructed go to the bank, which pays them and confirms.
    pub async fn settle(&self, app: &AppState) -> Result<(), StartError> {
        let adapter = ToBank {
            bank: self.bank.clone(),
            clock: self.clock.clone(),
        };
        let sent = send_due_refunds(app, &adapter).await?;
        if sent.failed > 0 {
            return Err(bad(format!(
                "the sandbox bank refused {} refund instruction(s)",
                sent.failed
            )));
        }
        self.deliver(app).await
    }

    /// Every message the bank has queued reaches the hall, or the load stops with the hall's
    /// answer.
    async fn deliver(&self, app: &AppState) -> Result<(), StartError> {
        let courier = ToHall {
            app: app.clone(),
            refusal: Mutex::new(None),
        };
        let report = self
            .bank
            .deliver_due(&courier, app.clock.now())
            .await
            .map_err(bad)?;
        if report.refused.is_empty() && report.retrying.is_empty() {
            return Ok(());
        }
        let why = courier
            .refusal
            .lock()
            .map(|r| r.clone())
            .unwrap_or_default()
            .unwrap_or_else(|| format!("{report:?}"));
        Err(bad(format!(
            "the hall did not take the bank's message: {why}"
        )))
    }
}

/// The bank's messages to the hall, handed to the use cases `/api/banks/SBX/…` runs.
struct ToHall {
    app: AppState,
    refusal: Mutex<Option<String>>,
}

#[async_trait::async_trait]
impl Courier for ToHall {
    async fn post(
        &self,
        path: &str,
        timestamp: i64,
        signature: &str,
        body: &[u8],
    ) -> Result<(u16, Vec<u8>), String> {
        let ts = timestamp.to_string();
        let done = match path {
            "notifications" => {
                ingest_notification(&self.app, SANDBOX_CODE, &ts, signature, body).await
            }
            "refunds-paid" => refund_paid(&self.app, SANDBOX_CODE, &ts, signature, body).await,
            other => return Err(format!("the hall has no bank endpoint {other}")),
        };
        match done {
            Ok(outcome) => Ok((200, serde_json::to_vec(&outcome).unwrap_or_default())),
            Err(e) => {
                if let Ok(mut r) = self.refusal.lock() {
                    *r = Some(e.to_string());
                }
                Err(e.to_string())
            }
        }
    }
}

/// The hall's refund instructions to the bank, signed as `HttpBankAdapter` signs them.
struct ToBank {
    bank: Arc<SandboxBank>,
    clock: Arc<dyn Clock>,
}

#[async_trait::async_trait]
impl BankAdapter for ToBank {
    async fn send_refund(
        &self,
        endpoint: &BankEndpoint,
        order: &RefundOrder,
    ) -> Result<Accepted, AdapterError> {
        let body = crate::canonical::to_canonical_vec(order)
            .map_err(|e| AdapterError::Unreachable(e.to_string()))?;
        let ts = self.clock.now().millis().div_euclid(1000);
        let signature = crate::bonds::bank::sign(&endpoint.secret, ts, &body);
        let accepted = self
            .bank
            .refund(&ts.to_string(), &signature, &body)
            .map_err(|e| AdapterError::Unreachable(e.to_string()))?;
        Ok(Accepted {
            instruction_id: accepted.instruction_id,
            status: accepted.status.to_string(),
        })
    }
}
