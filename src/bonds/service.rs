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

// ---------------------------------------------------------------------------------------------
// Sub-accounts and expected bonds

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LotBond {
    pub lot_id: String,
    pub amount_fen: i64,
}

/// How a tenderer pays its bonds for a tender.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayingIn {
    pub bank: String,
    pub sub_account: String,
    pub payee_name: String,
    /// One transfer per lot, of exactly this amount.
    pub lots: Vec<LotBond>,
    /// The bid deadline: money that arrives later is not a bid bond.
    #[schema(value_type = String)]
    pub due_by: Timestamp,
}

/// The bonds a sub-account stands for, in the order a receipt is matched to them.
pub async fn expected_bonds(
    app: &AppState,
    t: &Tender,
    tenderer: &OrgId,
) -> Result<Vec<ExpectedBond>, BondsError> {
    let mut out: Vec<ExpectedBond> = t
        .spec
        .lots
        .iter()
        .filter(|l| l.bid_bond_fen.fen() > 0)
        .map(|l| ExpectedBond {
            bond: Bond::Bid {
                tender: t.id.clone(),
                lot: l.id.clone(),
                tenderer: tenderer.clone(),
            },
            required: l.bid_bond_fen,
            due_by: t.spec.schedule.bid_deadline,
        })
        .collect();
    if let Some((required, due_by)) = app.store.performance_bond_expected(&t.id, tenderer).await? {
        out.push(ExpectedBond {
            bond: Bond::Performance {
                tender: t.id.clone(),
                tenderer: tenderer.clone(),
            },
            required,
            due_by,
        });
    }
    Ok(out)
}

/// What the ledger holds of the winner's performance bond (履约保证金) now: the award's contract
/// step waits until it reaches the amount the award notice set.
pub async fn performance_bond_held(
    app: &AppState,
    tender_id: &TenderId,
    tenderer: &OrgId,
) -> Result<Money, BondsError> {
    let ledger = tender_ledger_of(app, tender_id).await?;
    let bond = Bond::Performance {
        tender: tender_id.clone(),
        tenderer: tenderer.clone(),
    };
    let held = i64::try_from(ledger.balance(&bond.account())).unwrap_or(0);
    Ok(Money::from_fen(held.max(0)).unwrap_or(Money::ZERO))
}

/// The award names the performance bond the winner is to give (≤ 10% of the contract price,
/// 条例 第五十八条, checked by the award), and by when. It is then matched like a bid bond.
pub async fn expect_performance_bond(
    app: &AppState,
    tender_id: &TenderId,
    tenderer: &OrgId,
    amount: Money,
    due_by: Timestamp,
) -> Result<(), BondsError> {
    tender(app, tender_id).await?;
    let audit = AuditEvent::new(
        "performance_bond_expected",
        Some(tender_id),
        AuditActor::System,
        app.clock.now(),
        json!({ "tenderer": tenderer, "amount_fen": amount.fen(), "due_by": due_by }),
    );
    app.store
        .expect_performance_bond(tender_id, tenderer, amount, due_by, &audit)
        .await?;
    Ok(())
}

/// The tenderer's sub-account for the tender, opened on first request at the default bank.
pub async fn sub_account(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<PayingIn, BondsError> {
    if actor.role != Role::Tenderer {
        return Err(BondsError::Forbidden("bonds are paid by tenderers"));
    }
    let t = tender(app, id).await?;
    if app.store.find_obtained(id, &actor.org_id).await?.is_none() {
        return Err(BondsError::NotObtained);
    }
    let row = match app.store.sub_account_of(id, &actor.org_id).await? {
        Some(row) => row,
        None => {
            let bank = app.banks.default_bank().ok_or(BondsError::NoBank)?;
            open(app, &bank, &t, actor).await?
        }
    };
    Ok(PayingIn {
        bank: row.bank.as_str().to_owned(),
        sub_account: row.number,
        payee_name: PAYEE_NAME.to_owned(),
        lots: t
            .spec
            .lots
            .iter()
            .map(|l| LotBond {
                lot_id: l.id.as_str().to_owned(),
                amount_fen: l.bid_bond_fen.fen(),
            })
            .collect(),
        due_by: t.spec.schedule.bid_deadline,
    })
}

async fn open(
    app: &AppState,
    bank: &BankEndpoint,
    t: &Tender,
    who: &Actor,
) -> Result<crate::store::SubAccountRow, BondsError> {
    let tenderer = &who.org_id;
    let secret = app.banks.hall_secret();
    for attempt in 0..ATTEMPTS as u32 {
        let number = SubAccount::derive(secret, &bank.prefix, &t.id, tenderer, attempt);
        let row = crate::store::SubAccountRow {
            tender: t.id.clone(),
            tenderer: tenderer.clone(),
            bank: bank.code.clone(),
            number: number.to_string(),
            attempt: i64::from(attempt),
            opened_at: app.clock.now(),
        };
        // Before the opening the log must not say who, nor for which tender (法 第二十二条).
        let audit = AuditEvent::about_a_tenderer(
            "sub_account_opened",
            &t.id,
            t.spec.schedule.bid_deadline,
            who.into(),
            row.opened_at,
            json!({ "bank": bank.code, "sub_account": row.number }),
        );
        match app.store.open_sub_account(&row, &audit).await {
            Ok(()) => return Ok(row),
            Err(StoreError::Conflict(_)) => {
                // Either this pair got one meanwhile, or the number belongs to another pair.
                if let Some(existing) = app.store.sub_account_of(&t.id, tenderer).await? {
                    return Ok(existing);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}

// ---------------------------------------------------------------------------------------------
// The bank's notifications

/// What the hall answers a bank (docs/bonds.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Recorded,
    Flagged { reason: String },
    Duplicate,
}

fn bank_of(app: &AppState, code: &str) -> Result<BankEndpoint, BondsError> {
    BankCode::parse(code)
        .ok()
        .and_then(|c| app.banks.get(&c))
        .ok_or_else(|| BondsError::UnknownBank(code.chars().take(32).collect()))
}

fn sha256_hex(body: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, body).as_ref())
}

/// A replay of the same body is a duplicate; another body under a known id is refused.
fn seen(row: &NotificationRow, sha: &str) -> Result<Outcome, BondsError> {
    if row.body_sha256 == sha {
        Ok(Outcome::Duplicate)
    } else {
        Err(BondsError::Conflicting {
            bank_txn_id: row.bank_txn_id.clone(),
        })
    }
}

/// Takes a bank's credit notification: verified (§2), then recorded with its ledger transaction
/// and audit entry in one commit, as the bond it pays or flagged in suspense.
pub async fn ingest_notification(
    app: &AppState,
    bank_code: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> Result<Outcome, BondsError> {
    let bank = bank_of(app, bank_code)?;
    let n = bank::verify(&bank.secret, timestamp, signature, body, app.clock.now())?;
    let sha = sha256_hex(body);
    for attempt in 0..ATTEMPTS {
        pause(attempt).await;
        if let Some(row) = app
            .store
            .bank_notification(&bank.code, n.bank_txn_id().as_str())
            .await?
        {
            return seen(&row, &sha);
        }
        // A mistyped number is still money that arrived: it goes to suspense, never refused.
        let owner = match SubAccount::parse(n.sub_account(), &bank.prefix) {
            Ok(number) => {
                app.store
                    .sub_account_by_number(&bank.code, number.as_str())
                    .await?
            }
            Err(_) => None,
        };
        let mut deadline = None;
        let (mut ledger, after, expected, scope) = match &owner {
            Some(o) => {
                let t = app.store.get_tender(&o.tender).await?;
                deadline = Some((t.id.clone(), t.spec.schedule.bid_deadline));
                let (stored, after) = app.store.ledger_scope(&o.tender, &o.tenderer).await?;
                (
                    rebuild(&stored)?,
                    after,
                    expected_bonds(app, &t, &o.tenderer).await?,
                    Some((o.tender.clone(), o.tenderer.clone())),
                )
            }
            None => (Ledger::new(), 0, Vec::new(), None),
        };
        let t = match movements::deposit(&mut ledger, &bank.code, &n, &expected) {
            Ok(t) => t.clone(),
            Err(DepositError::Duplicate { .. }) => return Ok(Outcome::Duplicate),
            Err(DepositError::Conflicting { .. }) => {
                return Err(BondsError::Conflicting {
                    bank_txn_id: n.bank_txn_id().as_str().to_owned(),
                })
            }
            Err(e) => return Err(corrupt(e)),
        };
        let (kind, outcome, reason, detail) = match t.memo() {
            Memo::Unidentified { reason, .. } => (
                "receipt_flagged",
                Outcome::Flagged {
                    reason: reason.code().to_owned(),
                },
                Some(reason.code().to_owned()),
                public_detail(reason),
            ),
            Memo::BondReceived { bond, .. } => (
                "bond_received",
                Outcome::Recorded,
                None,
                json!({ "bond": bond_kind(bond), "lot": bond_lot(bond) }),
            ),
            _ => return Err(corrupt("a deposit that is neither a bond nor flagged")),
        };
        // Amounts and the sub-account, never the payer's account number; before the opening
        // the log must not name the tenderer either (法 第二十二条).
        let facts = json!({
            "bank": bank.code, "bank_txn_id": n.bank_txn_id(), "sub_account": n.sub_account(),
            "amount_fen": n.amount().fen(), "value_time": n.value_time(), "detail": detail,
        });
        let now = app.clock.now();
        let audit = match &deadline {
            Some((tender, deadline)) => AuditEvent::about_a_tenderer(
                kind,
                tender,
                *deadline,
                AuditActor::System,
                now,
                facts,
            ),
            None => AuditEvent::new(kind, None, AuditActor::System, now, facts),
        };
        // Money on a tender that is not a bond goes back to its payer promptly (a reaction written
        // with the receipt), not with the tender's other bonds at its contract.
        let reactions: Vec<crate::reactions::Reaction> = match (&scope, &reason) {
            (Some((tender, tenderer)), Some(_)) => vec![crate::reactions::after_flagged_receipt(
                tender,
                tenderer.as_str(),
                bank.code.as_str(),
                n.bank_txn_id().as_str(),
                now,
            )],
            _ => Vec::new(),
        };
        let keys: Vec<String> = reactions.iter().map(|r| r.key.clone()).collect();
        let w = LedgerWrite {
            scope,
            after,
            transaction: t,
            note: None,
            notification: Some(NotificationRow {
                bank: bank.code.clone(),
                bank_txn_id: n.bank_txn_id().as_str().to_owned(),
                kind: "credit",
                body_sha256: sha.clone(),
                outcome: if reason.is_some() {
                    "flagged"
                } else {
                    "recorded"
                }
                .to_owned(),
                reason,
                received_at: app.clock.now(),
            }),
            refund: None,
            paid: None,
            audit,
            reactions,
        };
        match app.store.write_ledger(w).await {
            Ok(_) => {
                crate::reactions::dispatch::deliver_now(app, keys).await;
                return Ok(outcome);
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}

/// Why a receipt was flagged, as the public log may say it: the bond it concerns by kind and lot,
/// never by tenderer (docs/bonds.md §7.4; 招标投标法 第二十二条).
fn public_detail(reason: &SuspenseReason) -> serde_json::Value {
    let mut detail = serde_json::to_value(reason).unwrap_or_default();
    let bond = match reason {
        SuspenseReason::AlreadyHeld { bond } | SuspenseReason::AfterDeadline { bond, .. } => bond,
        _ => return detail,
    };
    detail["bond"] = json!({ "kind": bond_kind(bond), "lot": bond_lot(bond) });
    detail
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

/// The bank's confirmation that it paid a refund (§5.1).
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundPaid {
    pub amount_fen: i64,
    #[schema(value_type = String)]
    pub bank_txn_id: BankTxnId,
    #[schema(value_type = String)]
    pub instruction_id: RefundInstructionId,
    #[schema(value_type = String)]
    pub value_time: Timestamp,
}

/// Takes a bank's confirmation that it paid an instructed refund: exactly that amount, once.
pub async fn refund_paid(
    app: &AppState,
    bank_code: &str,
    timestamp: &str,
    signature: &str,
    body: &[u8],
) -> Result<Outcome, BondsError> {
    let bank = bank_of(app, bank_code)?;
    bank::verify_signed(&bank.secret, timestamp, signature, body, app.clock.now())?;
    let p: RefundPaid = serde_json::from_slice(body).map_err(|e| NotificationError::Malformed {
        what: format!("the body is not a refund confirmation: {e}"),
    })?;
    let paid = Money::from_fen(p.amount_fen)
        .ok()
        .filter(|m| m.fen() > 0)
        .ok_or_else(|| NotificationError::Malformed {
            what: "amount_fen must be a positive amount in fen".into(),
        })?;
    let sha = sha256_hex(body);
    for attempt in 0..ATTEMPTS {
        pause(attempt).await;
        if let Some(row) = app
            .store
            .bank_notification(&bank.code, p.bank_txn_id.as_str())
            .await?
        {
            return seen(&row, &sha);
        }
        let Some(order) = app.store.refund(&p.instruction_id).await? else {
            return Err(BondsError::Refund(RefundError::UnknownInstruction {
                instruction: p.instruction_id.clone(),
            }));
        };
        let scope = order.tender.clone().zip(order.tenderer.clone());
        let (mut ledger, after) = match &scope {
            Some((t, o)) => {
                let (stored, after) = app.store.ledger_scope(t, o).await?;
                (rebuild(&stored)?, after)
            }
            None => (rebuild(&app.store.ledger_transactions(None).await?)?, 0),
        };
        let t = match movements::refund_paid(
            &mut ledger,
            &bank.code,
            p.bank_txn_id.clone(),
            p.instruction_id.clone(),
            paid,
            p.value_time,
        ) {
            Ok(t) => t.clone(),
            Err(RefundError::Duplicate { .. }) => {
                return Err(BondsError::Conflicting {
                    bank_txn_id: p.bank_txn_id.as_str().to_owned(),
                })
            }
            Err(e) => return Err(BondsError::Refund(e)),
        };
        let audit = AuditEvent::new(
            "refund_paid",
            order.tender.as_ref(),
            AuditActor::System,
            app.clock.now(),
            json!({ "bank": bank.code, "bank_txn_id": p.bank_txn_id, "instruction_id": p.instruction_id,
                    "amount_fen": paid.fen(), "value_time": p.value_time }),
        );
        let w = LedgerWrite {
            scope,
            after,
            transaction: t,
            note: None,
            notification: Some(NotificationRow {
                bank: bank.code.clone(),
                bank_txn_id: p.bank_txn_id.as_str().to_owned(),
                kind: "refund_paid",
                body_sha256: sha.clone(),
                outcome: "recorded".into(),
                reason: None,
                received_at: app.clock.now(),
            }),
            refund: None,
            paid: Some(p.instruction_id.clone()),
            audit,
            reactions: Vec::new(),
        };
        match app.store.write_ledger(w).await {
            Ok(_) => return Ok(Outcome::Recorded),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}

// ---------------------------------------------------------------------------------------------
// Refunds and forfeiture

/// The instruction id of the refund of everything an account holds: derived from the account,
/// so scheduling the same refund twice instructs it once.
pub fn instruction_for(account: &Account) -> RefundInstructionId {
    let key = serde_json::to_vec(account).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, &key);
    RefundInstructionId::parse(&format!("RF{}", &hex::encode(digest.as_ref())[..30]))
        .expect("an RF id of hex digits is a valid instruction id")
}

/// Instructs the refund of what `of` holds in the pair's ledger, with its outbox row, once.
/// `Ok(None)` when nothing is held (never paid, already refunded or forfeited).
async fn instruct(
    app: &AppState,
    scope: Option<(TenderId, OrgId)>,
    of: RefundOf,
    due: RefundDue,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let id = instruction_for(&of.account());
    for attempt in 0..ATTEMPTS {
        pause(attempt).await;
        let (mut ledger, after) = match &scope {
            Some((t, o)) => {
                let (stored, after) = app.store.ledger_scope(t, o).await?;
                (rebuild(&stored)?, after)
            }
            None => (rebuild(&app.store.ledger_transactions(None).await?)?, 0),
        };
        let now = app.clock.now();
        let t = match movements::instruct_refund(&mut ledger, id.clone(), now, &of) {
            Ok(t) => t.clone(),
            Err(RefundError::Duplicate { .. }) | Err(RefundError::NothingHeld { .. }) => {
                return Ok(None)
            }
            Err(e) => return Err(BondsError::Refund(e)),
        };
        let Memo::RefundInstructed { bank, to, .. } = t.memo().clone() else {
            return Err(corrupt("a refund that is not instructed"));
        };
        let amount = t.postings()[0].amount();
        let facts = json!({ "instruction_id": id, "bank": bank, "amount_fen": amount.fen(),
                            "due_by": due.due, "article": due.article });
        // A refund before the opening (a withdrawn bid's bond) would say that someone bid.
        let audit = match &scope {
            Some((tender, _)) => AuditEvent::about_a_tenderer(
                "refund_instructed",
                tender,
                deadline_of(app, tender).await?,
                AuditActor::System,
                now,
                facts,
            ),
            None => AuditEvent::new("refund_instructed", None, AuditActor::System, now, facts),
        };
        let w = LedgerWrite {
            scope: scope.clone(),
            after,
            transaction: t,
            note: None,
            notification: None,
            refund: Some(RefundRow {
                instruction: id.clone(),
                tender: scope.as_ref().map(|(t, _)| t.clone()),
                tenderer: scope.as_ref().map(|(_, o)| o.clone()),
                bank,
                to_account: to.account,
                to_name: to.name,
                amount,
                due_by: due.due,
                article: due.article.to_owned(),
                state: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                created_at: now,
            }),
            paid: None,
            audit,
            reactions: Vec::new(),
        };
        match app.store.write_ledger(w).await {
            Ok(_) => return Ok(Some(id)),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}

/// What a tender's ledger holds that goes back when a lot's award ends (its contract, or its
/// failure): the lot's bid bonds (every lot's with `None`) and every receipt flagged on the
/// tender (performance bonds stay until the contract is performed).
fn refundable(ledger: &Ledger, lot: Option<&str>) -> Vec<RefundOf> {
    ledger
        .balances()
        .into_iter()
        .filter(|(_, balance)| *balance > 0)
        .filter_map(|(account, _)| match account {
            Account::BidBond {
                tender,
                lot: of,
                tenderer,
            } if lot.is_none_or(|l| l == of.as_str()) => Some(RefundOf::Bond(Bond::Bid {
                tender,
                lot: of,
                tenderer,
            })),
            Account::Suspense { bank, bank_txn } => Some(RefundOf::Unidentified {
                bank,
                txn: bank_txn,
            }),
            _ => None,
        })
        .collect()
}

/// A lot's written contract was signed (条例 第五十七条): every tenderer's bid bond for the lot,
/// the winner's included, and every receipt flagged on the tender go back within 5 days. `None`
/// (a tender whose award predates lots): every lot's. Returns the instructions made now (none
/// for what was already instructed).
pub async fn contract_signed(
    app: &AppState,
    id: &TenderId,
    lot: Option<&str>,
    at: Timestamp,
) -> Result<Vec<RefundInstructionId>, BondsError> {
    let due = movements::refund_due(RefundEvent::ContractSigned { at }).map_err(corrupt)?;
    refund_lot(app, id, lot, due).await
}

/// A lot (or with `None` the whole tender) failed or was terminated: its bid bonds go back
/// (条例 第三十一条).
pub async fn lot_failed(
    app: &AppState,
    id: &TenderId,
    lot: Option<&str>,
    at: Timestamp,
) -> Result<Vec<RefundInstructionId>, BondsError> {
    let due = movements::refund_due(RefundEvent::Failed { at }).map_err(corrupt)?;
    refund_lot(app, id, lot, due).await
}

async fn refund_lot(
    app: &AppState,
    id: &TenderId,
    lot: Option<&str>,
    due: RefundDue,
) -> Result<Vec<RefundInstructionId>, BondsError> {
    let stored = app.store.ledger_transactions(Some(id)).await?;
    let ledger = rebuild(&stored)?;
    // Flagged receipts carry their pair on the stored row, not in the account.
    let pair_of_suspense: BTreeMap<String, OrgId> = stored
        .iter()
        .filter(|s| matches!(s.transaction.memo(), Memo::Unidentified { .. }))
        .filter_map(|s| {
            let acct = s
                .transaction
                .postings()
                .iter()
                .find(|p| matches!(p.account(), Account::Suspense { .. }))?;
            Some((
                serde_json::to_string(acct.account()).ok()?,
                s.tenderer.clone()?,
            ))
        })
        .collect();
    let mut made = Vec::new();
    for of in refundable(&ledger, lot) {
        let tenderer = match &of {
            RefundOf::Bond(b) => b.tenderer().clone(),
            RefundOf::Unidentified { .. } => {
                let key = serde_json::to_string(&of.account()).unwrap_or_default();
                match pair_of_suspense.get(&key) {
                    Some(o) => o.clone(),
                    None => continue,
                }
            }
        };
        if let Some(i) = instruct(app, Some((id.clone(), tenderer)), of, due).await? {
            made.push(i);
        }
    }
    Ok(made)
}

/// The performance bond a winner owes (条例 第五十八条): what every award notice in force to it
/// asks, due by the latest of their contract dates, as the award's state says now. Expected anew
/// on every notice (a winner of a second lot owes the sum); a reaction to each notice.
pub async fn performance_bond_owed(
    app: &AppState,
    tender: &TenderId,
    org: &OrgId,
) -> Result<(), BondsError> {
    let events = app.store.award_events(tender).await?;
    let s = crate::award::state::AwardState::fold(&events).map_err(corrupt)?;
    if let Some((owed, due)) = s.performance_bond_owed(org.as_str()) {
        if let Some(amount) = Money::from_fen(owed).ok().filter(|m| m.fen() > 0) {
            expect_performance_bond(app, tender, org, amount, due).await?;
        }
    }
    Ok(())
}

/// How long the hall gives itself to return money the law sets no date for: a performance bond
/// once the contract is performed (the contract's own terms govern; the hall does not hold it
/// longer), and a receipt that names no tender.
const PROMPT_RETURN_DAYS: i64 = 5;

/// The owner (or its agent) says the contract is performed: the winner's performance bond goes
/// back (its forfeiture is only for non-performance, 法 第六十条). Only after the contract.
pub async fn performance_completed(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(BondsError::Forbidden(
            "the owner or its agent says when the contract is performed",
        ));
    }
    use crate::award::service::AwardError;
    use crate::award::state::Refusal;
    let done = crate::award::service::record_performance(app, actor, id, lot)
        .await
        .map_err(|e| match e {
            AwardError::Refused(Refusal::WrongStage { .. } | Refusal::LotWrongStage { .. }) => {
                BondsError::NoContract
            }
            AwardError::Refused(Refusal::LotRequired) => BondsError::Invalid {
                field: "lot_id",
                value: InvalidValue::new("lot_required", "this tender has several lots: name one"),
            },
            AwardError::Refused(Refusal::NotFound(_)) => BondsError::Invalid {
                field: "lot_id",
                value: InvalidValue::new("unknown_lot", "no such lot in this tender's award"),
            },
            e => corrupt(e),
        })?;
    // One performance bond covers every lot the winner won: it goes back with the last of them.
    if !done.all_of_its_lots {
        return Ok(None);
    }
    let due = RefundDue {
        due: app.clock.now().plus_days(PROMPT_RETURN_DAYS),
        article: "合同履行完毕（履约保证金按合同约定退还）",
    };
    let of = RefundOf::Bond(Bond::Performance {
        tender: id.clone(),
        tenderer: done.org.clone(),
    });
    instruct(app, Some((id.clone(), done.org)), of, due).await
}

/// The trading centre returns a receipt that named no tender (a mistyped or unknown sub-account)
/// to whoever paid it. A receipt flagged on a tender goes back with the tender's bonds instead.
pub async fn refund_unidentified(
    app: &AppState,
    actor: &Actor,
    bank: &str,
    bank_txn_id: &str,
) -> Result<Option<RefundInstructionId>, BondsError> {
    if actor.role != Role::Platform {
        return Err(BondsError::Forbidden(
            "the trading centre returns money that names no tender",
        ));
    }
    let bank = bank_of(app, bank)?.code;
    let txn = BankTxnId::parse(bank_txn_id).map_err(|value| BondsError::Invalid {
        field: "bank_txn_id",
        value,
    })?;
    let stored = app.store.ledger_transactions(None).await?;
    let unscoped = stored.iter().any(|s| {
        s.tenderer.is_none()
            && matches!(s.transaction.key(), crate::bonds::IdempotencyKey::Bank { bank: b, txn: t } if *b == bank && *t == txn)
            && matches!(s.transaction.memo(), Memo::Unidentified { .. })
    });
    if !unscoped {
        return Err(BondsError::NotFound);
    }
    let due = RefundDue {
        due: app.clock.now().plus_days(PROMPT_RETURN_DAYS),
        article: "无法识别的来款，原路退回",
    };
    instruct(app, None, RefundOf::Unidentified { bank, txn }, due).await
}

/// A receipt flagged on a tender (short, over, a second payment, after the deadline…: not a bond)
/// goes back to its payer within 5 days of its arrival; it is no one's bond to hold until the
/// contract. Idempotent: a receipt already refunded is not instructed again.
pub async fn refund_flagged(
    app: &AppState,
    id: &TenderId,
    tenderer: &OrgId,
    bank: &str,
    bank_txn_id: &str,
    at: Timestamp,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let bank = bank_of(app, bank)?.code;
    let txn = BankTxnId::parse(bank_txn_id).map_err(|value| BondsError::Invalid {
        field: "bank_txn_id",
        value,
    })?;
    let due = RefundDue {
        due: at.plus_days(PROMPT_RETURN_DAYS),
        article: "非保证金来款，原路退回",
    };
    instruct(
        app,
        Some((id.clone(), tenderer.clone())),
        RefundOf::Unidentified { bank, txn },
        due,
    )
    .await
}

/// A tenderer withdrew its bid for a lot by written notice before the deadline (条例 第三十五条):
/// that lot's bid bond goes back within 5 days. After the deadline nothing is refunded.
pub async fn refund_withdrawn(
    app: &AppState,
    id: &TenderId,
    tenderer: &OrgId,
    lot: &str,
    at: Timestamp,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let t = tender(app, id).await?;
    let due = match movements::refund_due(RefundEvent::Withdrawn {
        at,
        bid_deadline: t.spec.schedule.bid_deadline,
    }) {
        Ok(due) => due,
        Err(_) => return Ok(None),
    };
    let Some(lot) = t.spec.lots.iter().find(|l| l.id.as_str() == lot) else {
        return Ok(None);
    };
    let bond = Bond::Bid {
        tender: id.clone(),
        lot: lot.id.clone(),
        tenderer: tenderer.clone(),
    };
    instruct(
        app,
        Some((id.clone(), tenderer.clone())),
        RefundOf::Bond(bond),
        due,
    )
    .await
}

/// The owner or agent keeps a bond on one of the law's grounds.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForfeitInput {
    pub tenderer_id: String,
    /// `bid` or `performance`.
    pub bond: String,
    /// For a bid bond: the lot.
    #[serde(default)]
    pub lot_id: Option<String>,
    #[schema(value_type = String)]
    pub ground: Ground,
    /// The decision in the owner's words (at most 500 characters).
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Forfeiture {
    pub decision_id: String,
    pub amount_fen: i64,
    pub ground: &'static str,
    pub article: &'static str,
}

pub async fn forfeit(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: ForfeitInput,
) -> Result<Forfeiture, BondsError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(BondsError::Forbidden(
            "bonds are forfeited by the tender's owner or its agent",
        ));
    }
    let invalid = |field: &'static str, rule: &'static str, msg: &str| BondsError::Invalid {
        field,
        value: InvalidValue::new(rule, msg.to_owned()),
    };
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid(
            "reason",
            "reason_required",
            "a forfeiture states its reason in 1 to 500 characters",
        ));
    }
    let tenderer = OrgId::parse(&input.tenderer_id).map_err(|e| BondsError::Invalid {
        field: "tenderer_id",
        value: e,
    })?;
    let bond = match (input.bond.as_str(), &input.lot_id) {
        ("bid", Some(lot)) => {
            let lot = t
                .spec
                .lots
                .iter()
                .find(|l| l.id.as_str() == lot)
                .ok_or_else(|| invalid("lot_id", "unknown_lot", "no such lot in this tender"))?;
            Bond::Bid {
                tender: id.clone(),
                lot: lot.id.clone(),
                tenderer: tenderer.clone(),
            }
        }
        ("bid", None) => {
            return Err(invalid(
                "lot_id",
                "missing_field",
                "a bid bond names its lot",
            ))
        }
        ("performance", _) => Bond::Performance {
            tender: id.clone(),
            tenderer: tenderer.clone(),
        },
        _ => {
            return Err(invalid(
                "bond",
                "unknown_bond",
                "bond is bid or performance",
            ))
        }
    };
    // The ground must be a fact of this tender's record, not only a word (docs/bonds.md §4).
    let award = crate::award::state::AwardState::fold(&app.store.award_events(id).await?)
        .map_err(corrupt)?;
    // (A ground that cannot keep this kind of bond is refused below, as not applying.)
    if input.ground.applies_to(&bond) {
        established(input.ground, &bond, &award, &t, app.clock.now()).map_err(|facts| {
            BondsError::Forfeit(ForfeitError::GroundNotEstablished {
                ground: input.ground,
                facts,
            })
        })?;
    }
    let decision = DecisionId::parse(&format!("FD{}", uuid::Uuid::now_v7().simple()))
        .map_err(|e| corrupt(e.message))?;
    for attempt in 0..ATTEMPTS {
        pause(attempt).await;
        let (stored, after) = app.store.ledger_scope(id, &tenderer).await?;
        let mut ledger = rebuild(&stored)?;
        let now = app.clock.now();
        let tx = match movements::forfeit(&mut ledger, decision.clone(), now, &bond, input.ground) {
            Ok(tx) => tx.clone(),
            Err(e) => return Err(BondsError::Forfeit(e)),
        };
        let amount = tx.postings()[0].amount();
        let audit = AuditEvent::new(
            "bond_forfeited",
            Some(id),
            actor.into(),
            now,
            json!({ "decision_id": decision, "tenderer": tenderer, "bond": bond_kind(&bond),
                    "lot": bond_lot(&bond), "amount_fen": amount.fen(), "ground": input.ground,
                    "article": input.ground.article(), "reason": reason }),
        );
        let w = LedgerWrite {
            scope: Some((id.clone(), tenderer.clone())),
            after,
            transaction: tx,
            note: Some(reason.to_owned()),
            notification: None,
            refund: None,
            paid: None,
            audit,
            reactions: Vec::new(),
        };
        match app.store.write_ledger(w).await {
            Ok(_) => {
                return Ok(Forfeiture {
                    decision_id: decision.as_str().to_owned(),
                    amount_fen: amount.fen(),
                    ground: input.ground.code(),
                    article: input.ground.article(),
                })
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}

/// Does the tender's record show the facts `ground` rests on, for this bond? `Err` names them.
///
/// - `revoked_after_deadline` (条例35): the bid deadline has passed;
/// - `refused_to_sign`, `conditions_at_signing` (条例74): the tenderer was issued the lot's award
///   notice (in force, or it declined after it) and no contract for the lot is recorded;
/// - `no_performance_bond` (条例74): a notice in force to the tenderer asks for a performance bond
///   and no contract for the lot is recorded;
/// - `contract_not_performed` (法60): a contract with the tenderer is recorded and not performed.
pub fn established(
    ground: Ground,
    bond: &Bond,
    award: &crate::award::state::AwardState,
    t: &Tender,
    now: Timestamp,
) -> Result<(), &'static str> {
    let org = bond.tenderer().as_str();
    let lot = match bond {
        Bond::Bid { lot, .. } => Some(lot.as_str()),
        Bond::Performance { .. } => None,
    };
    let of_lot = |l: &&crate::award::state::LotAward| lot.is_none_or(|x| x == l.lot_id);
    let notice_to =
        |l: &crate::award::state::LotAward| l.notice.as_ref().is_some_and(|n| n.0.org_id == org);
    // A candidate of the lot that declined: it had the notice, or stood to get it.
    let declined = |l: &crate::award::state::LotAward| {
        l.candidates
            .iter()
            .any(|c| c.org_id == org && award.declined.contains(&c.line))
    };
    let ok = match ground {
        Ground::RevokedAfterDeadline => now >= t.spec.schedule.bid_deadline,
        Ground::RefusedToSign | Ground::ConditionsAtSigning => award
            .lots
            .iter()
            .filter(of_lot)
            .any(|l| (notice_to(l) || declined(l)) && l.contract.is_none()),
        Ground::NoPerformanceBond => award.lots.iter().filter(of_lot).any(|l| {
            l.contract.is_none()
                && l.notice
                    .as_ref()
                    .is_some_and(|n| n.0.org_id == org && n.0.performance_bond_fen.fen() > 0)
        }),
        Ground::ContractNotPerformed => award.lots.iter().any(|l| {
            !l.performed
                && l.contract
                    .as_ref()
                    .is_some_and(|c| c["org_id"].as_str() == Some(org))
        }),
    };
    if ok {
        return Ok(());
    }
    Err(match ground {
        Ground::RevokedAfterDeadline => "the bid deadline to have passed",
        Ground::RefusedToSign | Ground::ConditionsAtSigning => {
            "the lot's award notice issued to this tenderer and no contract signed"
        }
        Ground::NoPerformanceBond => {
            "an award notice to this tenderer asking for a performance bond and no contract signed"
        }
        Ground::ContractNotPerformed => "a contract with this tenderer not yet performed",
    })
}

// ---------------------------------------------------------------------------------------------
// Views

/// One bond of one tenderer, from the postings.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct BondLine {
    pub tenderer_id: String,
    /// `bid` or `performance`.
    pub bond: String,
    pub lot_id: Option<String>,
    pub received_fen: i64,
    pub held_fen: i64,
    pub refunded_fen: i64,
    pub forfeited_fen: i64,
}

/// A receipt as the bank notified it (the payer's account number left out).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReceiptLine {
    pub tenderer_id: Option<String>,
    pub bank_txn_id: String,
    pub sub_account: String,
    pub amount_fen: i64,
    #[schema(value_type = String)]
    pub value_time: Timestamp,
    /// `bond` or `flagged`.
    pub status: &'static str,
    pub reason: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RefundLine {
    pub instruction_id: String,
    pub tenderer_id: Option<String>,
    pub amount_fen: i64,
    #[schema(value_type = String)]
    pub due_by: Timestamp,
    pub article: String,
    /// `pending`, `accepted` or `paid`.
    pub state: String,
    pub attempts: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BondsView {
    pub tender_id: String,
    pub bonds: Vec<BondLine>,
    pub receipts: Vec<ReceiptLine>,
    pub refunds: Vec<RefundLine>,
    pub forfeitures: Vec<serde_json::Value>,
}

fn bond_lines(stored: &[StoredTransaction]) -> Vec<BondLine> {
    let mut lines: BTreeMap<Account, BondLine> = BTreeMap::new();
    for s in stored {
        for p in s.transaction.postings() {
            let (tenderer, bond, lot) = match p.account() {
                Account::BidBond { lot, tenderer, .. } => (tenderer, "bid", Some(lot.as_str())),
                Account::PerformanceBond { tenderer, .. } => (tenderer, "performance", None),
                _ => continue,
            };
            let line = lines
                .entry(p.account().clone())
                .or_insert_with(|| BondLine {
                    tenderer_id: tenderer.to_string(),
                    bond: bond.into(),
                    lot_id: lot.map(str::to_owned),
                    ..Default::default()
                });
            let fen = p.amount().fen();
            match (p.side(), s.transaction.memo()) {
                (crate::bonds::ledger::Side::Credit, _) => line.received_fen += fen,
                (_, Memo::Forfeited { .. }) => line.forfeited_fen += fen,
                (_, Memo::RefundInstructed { .. }) => line.refunded_fen += fen,
                _ => {}
            }
            line.held_fen = line.received_fen - line.refunded_fen - line.forfeited_fen;
        }
    }
    lines.into_values().collect()
}

fn receipt_lines(stored: &[StoredTransaction]) -> Vec<ReceiptLine> {
    stored
        .iter()
        .filter_map(|s| {
            let bank_txn = match s.transaction.key() {
                crate::bonds::IdempotencyKey::Bank { txn, .. } => txn.as_str().to_owned(),
                _ => return None,
            };
            let amount_fen = s.transaction.postings()[0].amount().fen();
            let tenderer_id = s.tenderer.as_ref().map(|o| o.to_string());
            match s.transaction.memo() {
                Memo::BondReceived {
                    bond,
                    sub_account,
                    value_time,
                    ..
                } => Some(ReceiptLine {
                    tenderer_id,
                    bank_txn_id: bank_txn,
                    sub_account: sub_account.clone(),
                    amount_fen,
                    value_time: *value_time,
                    status: "bond",
                    reason: None,
                    detail: json!({ "bond": bond_kind(bond), "lot_id": bond_lot(bond) }),
                }),
                Memo::Unidentified {
                    sub_account,
                    value_time,
                    reason,
                    ..
                } => Some(ReceiptLine {
                    tenderer_id,
                    bank_txn_id: bank_txn,
                    sub_account: sub_account.clone(),
                    amount_fen,
                    value_time: *value_time,
                    status: "flagged",
                    reason: Some(reason.code().to_owned()),
                    detail: reason_detail(reason),
                }),
                _ => None,
            }
        })
        .collect()
}

fn reason_detail(r: &SuspenseReason) -> serde_json::Value {
    let mut v = serde_json::to_value(r).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.remove("reason");
    }
    v
}

fn refund_lines(rows: Vec<RefundRow>) -> Vec<RefundLine> {
    rows.into_iter()
        .map(|r| RefundLine {
            instruction_id: r.instruction.as_str().to_owned(),
            tenderer_id: r.tenderer.map(|o| o.to_string()),
            amount_fen: r.amount.fen(),
            due_by: r.due_by,
            article: r.article,
            state: r.state,
            attempts: r.attempts,
        })
        .collect()
}

fn forfeitures(stored: &[StoredTransaction]) -> Vec<serde_json::Value> {
    stored
        .iter()
        .filter_map(|s| match s.transaction.memo() {
            Memo::Forfeited { bond, ground, article } => Some(json!({
                "tenderer_id": bond.tenderer(), "bond": bond_kind(bond), "lot_id": bond_lot(bond),
                "amount_fen": s.transaction.postings()[0].amount().fen(),
                "ground": ground.code(), "article": article, "reason": s.note, "at": s.transaction.at(),
            })),
            _ => None,
        })
        .collect()
}

/// The tenderer's own bonds on the tender: held, receipts (flagged ones with their reason), refunds.
pub async fn my_bonds(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<BondsView, BondsError> {
    if actor.role != Role::Tenderer {
        return Err(BondsError::Forbidden("a tenderer sees its own bonds here"));
    }
    tender(app, id).await?;
    if app.store.find_obtained(id, &actor.org_id).await?.is_none() {
        return Err(BondsError::NotObtained);
    }
    let (stored, _) = app.store.ledger_scope(id, &actor.org_id).await?;
    let refunds = app
        .store
        .refunds(Some(id))
        .await?
        .into_iter()
        .filter(|r| r.tenderer.as_ref() == Some(&actor.org_id))
        .collect();
    Ok(BondsView {
        tender_id: id.to_string(),
        bonds: bond_lines(&stored),
        receipts: receipt_lines(&stored),
        refunds: refund_lines(refunds),
        forfeitures: forfeitures(&stored),
    })
}

/// Every tenderer's bonds on the tender: for its owner and agent, its supervisor and the platform.
pub async fn tender_bonds(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<BondsView, BondsError> {
    let t = tender(app, id).await?;
    let r = Relations::of(Some(actor), &t);
    access::may(Action::SeeTenderBonds, &r, &t, app.clock.now())?;
    let stored = app.store.ledger_transactions(Some(id)).await?;
    Ok(BondsView {
        tender_id: id.to_string(),
        bonds: bond_lines(&stored),
        receipts: receipt_lines(&stored),
        refunds: refund_lines(app.store.refunds(Some(id)).await?),
        forfeitures: forfeitures(&stored),
    })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BalanceLine {
    #[schema(value_type = Object)]
    pub account: Account,
    pub balance_fen: i64,
}

/// The whole hall's ledger, for the trading centre.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct HallLedger {
    /// Debits minus credits over every posting: 0 in a sound ledger.
    pub trial_balance_fen: i64,
    pub transactions: usize,
    pub balances: Vec<BalanceLine>,
    pub flagged: Vec<ReceiptLine>,
    pub refunds: Vec<RefundLine>,
}

pub async fn hall_ledger(app: &AppState, actor: &Actor) -> Result<HallLedger, BondsError> {
    if actor.role != Role::Platform {
        return Err(BondsError::Forbidden(
            "the hall's ledger is the trading centre's",
        ));
    }
    let stored = app.store.ledger_transactions(None).await?;
    let ledger = rebuild(&stored)?;
    Ok(HallLedger {
        trial_balance_fen: ledger.trial_balance() as i64,
        transactions: ledger.transactions().len(),
        balances: ledger
            .balances()
            .into_iter()
            .filter(|(_, b)| *b != 0)
            .map(|(account, b)| BalanceLine {
                account,
                balance_fen: b as i64,
            })
            .collect(),
        flagged: receipt_lines(&stored)
            .into_iter()
            .filter(|r| r.status == "flagged")
            .collect(),
        refunds: refund_lines(app.store.refunds(None).await?),
    })
}

/// Bid bonds the ledger received for the tender, as the opening's bond check reads them.
pub async fn ledger_receipts(
    app: &AppState,
    id: &TenderId,
) -> Result<Vec<BondReceipt>, StoreError> {
    let stored = app.store.ledger_transactions(Some(id)).await?;
    Ok(stored
        .iter()
        .filter_map(|s| match (s.transaction.key(), s.transaction.memo()) {
            (
                crate::bonds::IdempotencyKey::Bank { bank, txn },
                Memo::BondReceived {
                    bond:
                        Bond::Bid {
                            tender,
                            lot,
                            tenderer,
                        },
                    value_time,
                    ..
                },
            ) => Some(BondReceipt {
                id: format!("ledger-{}", s.seq),
                tender_id: tender.clone(),
                lot_id: lot.as_str().to_owned(),
                org_id: tenderer.clone(),
                amount_fen: s.transaction.postings()[0].amount(),
                reference: txn.as_str().to_owned(),
                recorded_by: bank.as_str().to_owned(),
                received_at: *value_time,
            }),
            _ => None,
        })
        .collect())
}
