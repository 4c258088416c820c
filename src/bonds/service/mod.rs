//! The use cases of bonds paid by bank transfer: a tenderer's sub-account, the bank's signed
//! notifications taken into the ledger, refunds on the law's dates, forfeiture on its grounds, and
//! the views of the ledger. Each write re-reads the (tender, tenderer)'s ledger, decides with the
//! pure `movements`, and is retried if another write for the same pair came first.

use super::bank::{self, BankCode, BankTxnId, NotificationError, SubAccount};
use super::directory::BankEndpoint;
use super::ledger::{
    Account, Bond, DecisionId, Ground, Ledger, Memo, RefundInstructionId, SuspenseReason,
};
use super::movements::{
    self, DepositError, ExpectedBond, ForfeitError, RefundDue, RefundError, RefundEvent, RefundOf,
};
use super::BondReceipt;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::{InvalidValue, Money, OrgId, TenderId, Timestamp};
use crate::identity::{Actor, Role};
use crate::store::{LedgerWrite, NotificationRow, RefundRow, StoreError, StoredTransaction};
use crate::tenders::access::{self, Action, Denied, Relations};
use crate::tenders::model::{Tender, TenderState};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;

/// How many times a write is tried again after another write for the same pair came first. Each
/// round one of the racing writers wins, so this bounds how many may race for one pair at once
/// before the last is answered `busy` (and its bank sends again).
const ATTEMPTS: usize = 64;

/// Before trying again: a short pause growing with the attempts, so racing writers spread out
/// instead of all reading again at once. Pacing only; no deadline depends on it.
async fn pause(attempt: usize) {
    if attempt > 0 {
        let jitter = u64::from(rand_byte() % 4);
        let ms = (attempt as u64).min(10) + jitter;
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

fn rand_byte() -> u8 {
    let mut b = [0u8; 1];
    crate::identity::session::fill_random(&mut b);
    b[0]
}
/// The name transfers are made out to.
pub const PAYEE_NAME: &str = "公共资源交易中心保证金专户";

#[derive(Debug, thiserror::Error)]
pub enum BondsError {
    #[error("no such tender")]
    NotFound,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not_obtained: only a tenderer that obtained the tender documents pays a bond")]
    NotObtained,
    /// 法 第二十二条: who is bidding stays unknown to the owner and its agent until the opening.
    #[error("who paid a bond is told to the tender's owner, agent and supervisor once the bids are opened, at {} Beijing time (招标投标法 第二十二条)", .deadline.shanghai())]
    ConfidentialUntilOpening { deadline: Timestamp },
    #[error("unknown_bank: no bank {0} is configured")]
    UnknownBank(String),
    #[error("no_bank: no bank is configured to take bonds")]
    NoBank,
    #[error(transparent)]
    Notification(#[from] NotificationError),
    #[error(
        "conflicting: bank transaction {bank_txn_id} is already recorded for a different payment"
    )]
    Conflicting { bank_txn_id: String },
    #[error(transparent)]
    Refund(RefundError),
    #[error(transparent)]
    Forfeit(ForfeitError),
    #[error("{field}: {}", value.message)]
    Invalid {
        field: &'static str,
        value: InvalidValue,
    },
    #[error("no_contract: the contract is not recorded yet")]
    NoContract,
    #[error("busy: the bonds of this tenderer kept changing; try again")]
    Busy,
    #[error(transparent)]
    Store(StoreError),
}

impl From<Denied> for BondsError {
    fn from(d: Denied) -> Self {
        match d {
            Denied::Hidden => BondsError::NotFound,
            Denied::SignIn => BondsError::Forbidden("sign in first"),
            Denied::Forbidden(why) => BondsError::Forbidden(why),
            Denied::UntilOpening { deadline } => BondsError::ConfidentialUntilOpening { deadline },
        }
    }
}

impl From<StoreError> for BondsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => BondsError::NotFound,
            e => BondsError::Store(e),
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> BondsError {
    BondsError::Store(StoreError::Unavailable(format!(
        "the stored ledger does not add up: {e}"
    )))
}

/// Rebuilds the pure ledger from stored transactions, in order.
pub fn rebuild(stored: &[StoredTransaction]) -> Result<Ledger, BondsError> {
    let mut l = Ledger::new();
    for s in stored {
        l.apply(s.transaction.clone()).map_err(corrupt)?;
    }
    Ok(l)
}

/// The whole hall's ledger (reconciliation compares it with a bank's statement).
pub async fn ledger(app: &AppState) -> Result<Ledger, BondsError> {
    rebuild(&app.store.ledger_transactions(None).await?)
}

/// One tender's ledger: every transaction that moves its bonds or its flagged receipts.
pub async fn tender_ledger_of(app: &AppState, tender: &TenderId) -> Result<Ledger, BondsError> {
    rebuild(&app.store.ledger_transactions(Some(tender)).await?)
}

/// The tender's bid deadline: what concerns a tenderer before it is sealed in the log.
async fn deadline_of(app: &AppState, id: &TenderId) -> Result<Timestamp, BondsError> {
    Ok(app.store.get_tender(id).await?.spec.schedule.bid_deadline)
}

async fn tender(app: &AppState, id: &TenderId) -> Result<Tender, BondsError> {
    let t = app.store.get_tender(id).await?;
    if t.state == TenderState::Draft {
        return Err(BondsError::NotFound);
    }
    Ok(t)
}

fn bank_of(app: &AppState, code: &str) -> Result<BankEndpoint, BondsError> {
    BankCode::parse(code)
        .ok()
        .and_then(|c| app.banks.get(&c))
        .ok_or_else(|| BondsError::UnknownBank(code.chars().take(32).collect()))
}

fn bond_kind(b: &Bond) -> &'static str {
    match b {
        Bond::Bid { .. } => "bid",
        Bond::Performance { .. } => "performance",
    }
}

fn bond_lot(b: &Bond) -> Option<&str> {
    match b {
        Bond::Bid { lot, .. } => Some(lot.as_str()),
        Bond::Performance { .. } => None,
    }
}

mod notifications;
mod paying_in;
mod queries;
mod refunds;

pub use notifications::*;
pub use paying_in::*;
pub use queries::*;
pub use refunds::*;
