//! What moves money through the ledger: a bank's deposit matched to the bond it pays (or parked
//! in suspense with its reason), refunds of what is held, forfeiture on the law's grounds only, and
//! the refund dates the law sets. Pure functions over a `Ledger` (docs/bonds.md).

use super::bank::{BankCode, BankTxnId, Notification};
use super::ledger::*;
use crate::domain::{Money, Timestamp, DAY_MS};
use serde::Serialize;
/// A bond the hall is waiting for on a sub-account: which, how much exactly, and by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedBond {
    pub bond: Bond,
    pub required: Money,
    pub due_by: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepositError {
    #[error("duplicate: this bank transaction is already recorded")]
    Duplicate { first: Box<Transaction> },
    #[error("conflicting: the bank reused transaction id {} for a different payment", txn.as_str())]
    Conflicting {
        txn: BankTxnId,
        first: Box<Transaction>,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Transaction(#[from] TransactionError),
}

/// Records money the bank received. `expected` are the bonds the notification's sub-account stands
/// for (none if it is unknown), in the order to match them. The receipt becomes the first bond not
/// yet held whose amount it is exactly, if it arrived by that bond's deadline; anything else is
/// parked in suspense with the reason.
pub fn deposit<'l>(
    ledger: &'l mut Ledger,
    bank: &BankCode,
    n: &Notification,
    expected: &[ExpectedBond],
) -> Result<&'l Transaction, DepositError> {
    let key = IdempotencyKey::Bank {
        bank: bank.clone(),
        txn: n.bank_txn_id().clone(),
    };
    if let Some(first) = ledger.get(&key) {
        let same = first.postings().iter().any(|p| {
            *p.account() == Account::Clearing { bank: bank.clone() } && p.amount() == n.amount()
        }) && matches!(first.memo(),
            Memo::BondReceived { sub_account, .. } | Memo::Unidentified { sub_account, .. }
                if sub_account.as_str() == n.sub_account());
        let first = Box::new(first.clone());
        return Err(if same {
            DepositError::Duplicate { first }
        } else {
            DepositError::Conflicting {
                txn: n.bank_txn_id().clone(),
                first,
            }
        });
    }
    let payer = Payer {
        name: n.payer_name().to_owned(),
        account: n.payer_account().to_owned(),
    };
    let paid = n.amount();
    let (credit, memo) = match classify(ledger, paid, n.value_time(), expected) {
        Ok(bond) => (
            bond.account(),
            Memo::BondReceived {
                bond,
                sub_account: n.sub_account().to_owned(),
                payer,
                value_time: n.value_time(),
            },
        ),
        Err(reason) => (
            Account::Suspense {
                bank: bank.clone(),
                bank_txn: n.bank_txn_id().clone(),
            },
            Memo::Unidentified {
                sub_account: n.sub_account().to_owned(),
                payer,
                value_time: n.value_time(),
                reason,
            },
        ),
    };
    let t = Transaction::transfer(
        key,
        n.value_time(),
        memo,
        Account::Clearing { bank: bank.clone() },
        credit,
        paid,
    )?;
    Ok(ledger.apply(t)?)
}

fn classify(
    ledger: &Ledger,
    paid: Money,
    value_time: Timestamp,
    expected: &[ExpectedBond],
) -> Result<Bond, SuspenseReason> {
    if expected.is_empty() {
        return Err(SuspenseReason::UnknownSubAccount);
    }
    let open = |e: &ExpectedBond| ledger.held(&e.bond).is_none();
    let same_amount: Vec<&ExpectedBond> = expected.iter().filter(|e| e.required == paid).collect();
    if let Some(e) = same_amount
        .iter()
        .filter(|e| open(e))
        .find(|e| value_time <= e.due_by)
    {
        return Ok(e.bond.clone());
    }
    if let Some(e) = same_amount.iter().find(|e| open(e)) {
        return Err(SuspenseReason::AfterDeadline {
            bond: e.bond.clone(),
            due_by: e.due_by,
        });
    }
    if let Some(e) = same_amount.first() {
        return Err(SuspenseReason::AlreadyHeld {
            bond: e.bond.clone(),
        });
    }
    let outstanding: Vec<&ExpectedBond> = expected.iter().filter(|e| open(e)).collect();
    match outstanding.as_slice() {
        [] => Err(SuspenseReason::NothingOutstanding),
        [one] if paid < one.required => Err(SuspenseReason::Short {
            required: one.required,
            paid,
        }),
        [one] => Err(SuspenseReason::Over {
            required: one.required,
            paid,
        }),
        many => Err(SuspenseReason::NoMatchingAmount {
            outstanding: many.iter().map(|e| e.required).collect(),
        }),
    }
}

/// What a refund returns: a bond, or a receipt parked in suspense, always in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundOf {
    Bond(Bond),
    Unidentified { bank: BankCode, txn: BankTxnId },
}

impl RefundOf {
    pub(super) fn account(&self) -> Account {
        match self {
            RefundOf::Bond(b) => b.account(),
            RefundOf::Unidentified { bank, txn } => Account::Suspense {
                bank: bank.clone(),
                bank_txn: txn.clone(),
            },
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundError {
    #[error("duplicate: this refund instruction is already recorded")]
    Duplicate { first: Box<Transaction> },
    #[error("nothing_held: {account:?} holds nothing to refund (never paid, already refunded or forfeited)")]
    NothingHeld { account: Account },
    #[error("unknown_instruction: no refund was instructed under {instruction:?}")]
    UnknownInstruction { instruction: RefundInstructionId },
    #[error("already_paid: refund {instruction:?} is already paid")]
    AlreadyPaid { instruction: RefundInstructionId },
    #[error("wrong_bank: refund {instruction:?} is due from {expected:?}, not {got:?}")]
    WrongBank {
        instruction: RefundInstructionId,
        expected: BankCode,
        got: BankCode,
    },
    #[error("amount_mismatch: refund {instruction:?} is for {instructed} fen, the bank paid {} fen", paid.fen())]
    AmountMismatch {
        instruction: RefundInstructionId,
        instructed: i128,
        paid: Money,
    },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Transaction(#[from] TransactionError),
}

/// Orders the refund of everything `of` holds, to whoever paid it, through the bank it came by.
/// A second instruction for the same money finds nothing held.
pub fn instruct_refund<'l>(
    ledger: &'l mut Ledger,
    instruction: RefundInstructionId,
    at: Timestamp,
    of: &RefundOf,
) -> Result<&'l Transaction, RefundError> {
    let key = IdempotencyKey::RefundInstruction {
        id: instruction.clone(),
    };
    if let Some(first) = ledger.get(&key) {
        return Err(RefundError::Duplicate {
            first: Box::new(first.clone()),
        });
    }
    let from = of.account();
    let held = i64::try_from(ledger.balance(&from))
        .ok()
        .and_then(|fen| Money::from_fen(fen).ok())
        .filter(|m| m.fen() > 0);
    let (Some(amount), Some((bank, to))) = (held, ledger.source_of(&from)) else {
        return Err(RefundError::NothingHeld { account: from });
    };
    let t = Transaction::transfer(
        key,
        at,
        Memo::RefundInstructed {
            from: from.clone(),
            bank,
            to,
        },
        from,
        Account::RefundsPayable { instruction },
        amount,
    )?;
    Ok(ledger.apply(t)?)
}

/// Records the bank's confirmation that it paid an instructed refund, exactly and once.
pub fn refund_paid<'l>(
    ledger: &'l mut Ledger,
    bank: &BankCode,
    txn: BankTxnId,
    instruction: RefundInstructionId,
    paid: Money,
    at: Timestamp,
) -> Result<&'l Transaction, RefundError> {
    let key = IdempotencyKey::Bank {
        bank: bank.clone(),
        txn,
    };
    if let Some(first) = ledger.get(&key) {
        return Err(RefundError::Duplicate {
            first: Box::new(first.clone()),
        });
    }
    let instructed = ledger.get(&IdempotencyKey::RefundInstruction {
        id: instruction.clone(),
    });
    let Some(Memo::RefundInstructed { bank: due_from, .. }) = instructed.map(|t| t.memo()) else {
        return Err(RefundError::UnknownInstruction { instruction });
    };
    if due_from != bank {
        return Err(RefundError::WrongBank {
            instruction,
            expected: due_from.clone(),
            got: bank.clone(),
        });
    }
    let payable = Account::RefundsPayable {
        instruction: instruction.clone(),
    };
    let outstanding = ledger.balance(&payable);
    if outstanding == 0 {
        return Err(RefundError::AlreadyPaid { instruction });
    }
    if outstanding != paid.fen() as i128 {
        return Err(RefundError::AmountMismatch {
            instruction,
            instructed: outstanding,
            paid,
        });
    }
    let t = Transaction::transfer(
        key,
        at,
        Memo::RefundPaid { instruction },
        payable,
        Account::Clearing { bank: bank.clone() },
        paid,
    )?;
    Ok(ledger.apply(t)?)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ForfeitError {
    #[error("duplicate: this forfeiture decision is already recorded")]
    Duplicate { first: Box<Transaction> },
    #[error("ground_does_not_apply: {} ({}) does not keep this kind of bond", ground.code(), ground.article())]
    GroundDoesNotApply { ground: Ground, bond: Bond },
    /// The ground names facts the hall's record does not show (e.g. `refused_to_sign` for a
    /// tenderer that was never awarded the lot).
    #[error("ground_not_established: {} ({}) needs {facts}, which the tender's record does not show", ground.code(), ground.article())]
    GroundNotEstablished { ground: Ground, facts: &'static str },
    #[error("nothing_held: the bond holds nothing to forfeit")]
    NothingHeld { bond: Bond },
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    #[error(transparent)]
    Transaction(#[from] TransactionError),
}

/// Keeps a held bond, in full, for the tender's owner, on one of the law's grounds.
pub fn forfeit<'l>(
    ledger: &'l mut Ledger,
    decision: DecisionId,
    at: Timestamp,
    bond: &Bond,
    ground: Ground,
) -> Result<&'l Transaction, ForfeitError> {
    let key = IdempotencyKey::Forfeiture { decision };
    if let Some(first) = ledger.get(&key) {
        return Err(ForfeitError::Duplicate {
            first: Box::new(first.clone()),
        });
    }
    if !ground.applies_to(bond) {
        return Err(ForfeitError::GroundDoesNotApply {
            ground,
            bond: bond.clone(),
        });
    }
    let Some(amount) = ledger.held(bond) else {
        return Err(ForfeitError::NothingHeld { bond: bond.clone() });
    };
    let t = Transaction::transfer(
        key,
        at,
        Memo::Forfeited {
            bond: bond.clone(),
            ground,
            article: ground.article(),
        },
        bond.account(),
        Account::Forfeited {
            tender: bond.tender().clone(),
        },
        amount,
    )?;
    Ok(ledger.apply(t)?)
}

/// What starts a bid bond's refund clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundEvent {
    /// The written contract was signed: every tenderer's bid bond, the winner's included.
    ContractSigned { at: Timestamp },
    /// The tenderer withdrew its bid by written notice, which the law allows before the deadline.
    Withdrawn {
        at: Timestamp,
        bid_deadline: Timestamp,
    },
    /// The lot (or the tender) failed or was terminated: nobody will sign a contract for it, so
    /// its bid bonds go back "promptly" (及时, 条例 第三十一条), which the hall reads as within
    /// the same 5 days as after a contract.
    Failed { at: Timestamp },
}

/// The latest date a refund is due, and the article that sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RefundDue {
    pub due: Timestamp,
    pub article: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RefundDateError {
    #[error("revoked_after_deadline: a bid revoked after the deadline ({bid_deadline}) need not get its bond back (条例 第三十五条)")]
    RevokedAfterDeadline { bid_deadline: Timestamp },
}

/// Refund days counted as 5 × 24 hours from the event, as docs/law.md counts every period: never
/// later than the calendar count.
pub const REFUND_DAYS: i64 = 5;

/// When a bid bond must be back: 5 days after the contract (条例 第五十七条), after a withdrawal
/// before the deadline (条例 第三十五条), or after the lot failed (条例 第三十一条, "及时").
pub fn refund_due(event: RefundEvent) -> Result<RefundDue, RefundDateError> {
    match event {
        RefundEvent::ContractSigned { at } => Ok(RefundDue {
            due: at.plus_millis(REFUND_DAYS * DAY_MS),
            article: "条例 第五十七条",
        }),
        RefundEvent::Withdrawn { at, bid_deadline } if at < bid_deadline => Ok(RefundDue {
            due: at.plus_millis(REFUND_DAYS * DAY_MS),
            article: "条例 第三十五条",
        }),
        RefundEvent::Withdrawn { bid_deadline, .. } => {
            Err(RefundDateError::RevokedAfterDeadline { bid_deadline })
        }
        RefundEvent::Failed { at } => Ok(RefundDue {
            due: at.plus_millis(REFUND_DAYS * DAY_MS),
            article: "条例 第三十一条",
        }),
    }
}
