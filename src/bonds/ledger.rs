//! The bonds' double-entry ledger in integer fen: every deposit, refund and forfeiture is one
//! balanced transaction, keyed for idempotency, and every balance is derived from the postings.
//! Pure: no clock, no store, no I/O. Accounts, transactions and the legal rules are in docs/bonds.md.

use super::bank::{BankCode, BankTxnId, Notification};
use crate::domain::money::MAX_FEN;
use crate::domain::{InvalidValue, LotId, Money, OrgId, TenderId, Timestamp, DAY_MS};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// A refund instruction's id, chosen by the hall: the idempotency key of the refund it orders.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RefundInstructionId(String);

/// A forfeiture decision's id: the idempotency key of the forfeiture it records.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DecisionId(String);

macro_rules! reference {
    ($name:ident, $rule:literal, $what:literal) => {
        impl $name {
            pub fn parse(s: &str) -> Result<Self, InvalidValue> {
                if !super::bank::is_reference(s) {
                    return Err(InvalidValue::new(
                        $rule,
                        concat!(
                            $what,
                            " is 1 to 64 printable ASCII characters without spaces"
                        ),
                    ));
                }
                Ok($name(s.to_owned()))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = InvalidValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }
    };
}
reference!(
    RefundInstructionId,
    "malformed_instruction_id",
    "a refund instruction id"
);
reference!(DecisionId, "malformed_decision_id", "a decision id");

/// A bond the hall holds for a tender.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "bond", rename_all = "snake_case")]
pub enum Bond {
    /// 投标保证金, per lot.
    Bid {
        tender: TenderId,
        lot: LotId,
        tenderer: OrgId,
    },
    /// 履约保证金, from the winner.
    Performance { tender: TenderId, tenderer: OrgId },
}

impl Bond {
    pub fn tender(&self) -> &TenderId {
        match self {
            Bond::Bid { tender, .. } | Bond::Performance { tender, .. } => tender,
        }
    }

    pub fn tenderer(&self) -> &OrgId {
        match self {
            Bond::Bid { tenderer, .. } | Bond::Performance { tenderer, .. } => tenderer,
        }
    }

    pub fn account(&self) -> Account {
        match self.clone() {
            Bond::Bid {
                tender,
                lot,
                tenderer,
            } => Account::BidBond {
                tender,
                lot,
                tenderer,
            },
            Bond::Performance { tender, tenderer } => Account::PerformanceBond { tender, tenderer },
        }
    }
}

/// An account, named by its kind and its owner.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Account {
    /// The hall's bond account at a bank: what the bank holds for us (an asset).
    Clearing { bank: BankCode },
    /// A bid bond held for a tenderer on one lot (a liability to that tenderer).
    BidBond {
        tender: TenderId,
        lot: LotId,
        tenderer: OrgId,
    },
    /// A performance bond held for the winner (a liability).
    PerformanceBond { tender: TenderId, tenderer: OrgId },
    /// Bonds kept on a legal ground, due to the tender's owner (招标人), not to the tenderer.
    Forfeited { tender: TenderId },
    /// One receipt that could not be taken as a bond: parked until returned to its payer.
    Suspense { bank: BankCode, bank_txn: BankTxnId },
    /// A refund ordered from the bank and not yet confirmed paid.
    RefundsPayable { instruction: RefundInstructionId },
}

impl Account {
    /// The side on which the account's balance is positive: the clearing account is an asset,
    /// every other account is owed to someone.
    pub fn normal_side(&self) -> Side {
        match self {
            Account::Clearing { .. } => Side::Debit,
            _ => Side::Credit,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Debit,
    Credit,
}

/// A posting as proposed: checked by [`Transaction::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub account: Account,
    pub side: Side,
    pub fen: i64,
}

impl Leg {
    pub fn debit(account: Account, fen: i64) -> Leg {
        Leg {
            account,
            side: Side::Debit,
            fen,
        }
    }

    pub fn credit(account: Account, fen: i64) -> Leg {
        Leg {
            account,
            side: Side::Credit,
            fen,
        }
    }
}

/// A posting of a valid transaction: a positive amount on one side of one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    account: Account,
    side: Side,
    amount: Money,
}

impl Posting {
    pub fn account(&self) -> &Account {
        &self.account
    }
    pub fn side(&self) -> Side {
        self.side
    }
    pub fn amount(&self) -> Money {
        self.amount
    }
    /// Debits count positive, credits negative: a balanced transaction sums to zero.
    pub fn signed(&self) -> i128 {
        match self.side {
            Side::Debit => self.amount.fen() as i128,
            Side::Credit => -(self.amount.fen() as i128),
        }
    }
    /// The posting's effect on its account's balance.
    fn effect(&self) -> i128 {
        if self.side == self.account.normal_side() {
            self.amount.fen() as i128
        } else {
            -(self.amount.fen() as i128)
        }
    }
}

/// What makes a transaction unique: a second one with the same key is a replay.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IdempotencyKey {
    /// Something the bank did: a transfer received, or a refund it paid.
    Bank {
        bank: BankCode,
        txn: BankTxnId,
    },
    RefundInstruction {
        id: RefundInstructionId,
    },
    Forfeiture {
        decision: DecisionId,
    },
}

/// Who paid, as the bank said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payer {
    pub name: String,
    pub account: String,
}

/// Why a receipt was parked in suspense instead of being taken as a bond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SuspenseReason {
    /// No bond is expected on this sub-account: mistyped, unknown, or closed.
    UnknownSubAccount,
    /// Less than the one outstanding bond.
    Short { required: Money, paid: Money },
    /// More than the one outstanding bond.
    Over { required: Money, paid: Money },
    /// Several bonds are outstanding and none is this amount.
    NoMatchingAmount { outstanding: Vec<Money> },
    /// The bond of this amount is already held.
    AlreadyHeld { bond: Bond },
    /// Every bond expected on this sub-account is already held.
    NothingOutstanding,
    /// The money arrived after the bond's deadline.
    AfterDeadline { bond: Bond, due_by: Timestamp },
}

impl SuspenseReason {
    pub fn code(&self) -> &'static str {
        match self {
            SuspenseReason::UnknownSubAccount => "unknown_sub_account",
            SuspenseReason::Short { .. } => "short",
            SuspenseReason::Over { .. } => "over",
            SuspenseReason::NoMatchingAmount { .. } => "no_matching_amount",
            SuspenseReason::AlreadyHeld { .. } => "already_held",
            SuspenseReason::NothingOutstanding => "nothing_outstanding",
            SuspenseReason::AfterDeadline { .. } => "after_deadline",
        }
    }
}

/// The legal grounds on which a bond is kept (不予退还). No other forfeiture is possible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ground {
    /// The tenderer revoked its bid after the bid deadline (条例 第三十五条).
    RevokedAfterDeadline,
    /// The winner refuses, without a proper reason, to sign the contract (条例 第七十四条).
    RefusedToSign,
    /// The winner attaches conditions when signing (条例 第七十四条).
    ConditionsAtSigning,
    /// The winner does not give the performance bond the documents require (条例 第七十四条).
    NoPerformanceBond,
    /// The winner does not perform the contract (法 第六十条).
    ContractNotPerformed,
}

impl Ground {
    pub fn code(self) -> &'static str {
        match self {
            Ground::RevokedAfterDeadline => "revoked_after_deadline",
            Ground::RefusedToSign => "refused_to_sign",
            Ground::ConditionsAtSigning => "conditions_at_signing",
            Ground::NoPerformanceBond => "no_performance_bond",
            Ground::ContractNotPerformed => "contract_not_performed",
        }
    }

    pub fn article(self) -> &'static str {
        match self {
            Ground::RevokedAfterDeadline => "条例 第三十五条",
            Ground::RefusedToSign | Ground::ConditionsAtSigning | Ground::NoPerformanceBond => {
                "条例 第七十四条"
            }
            Ground::ContractNotPerformed => "法 第六十条",
        }
    }

    /// The first four keep a bid bond; only non-performance keeps a performance bond.
    pub fn applies_to(self, bond: &Bond) -> bool {
        match bond {
            Bond::Bid { .. } => self != Ground::ContractNotPerformed,
            Bond::Performance { .. } => self == Ground::ContractNotPerformed,
        }
    }
}

/// What a transaction records, in the domain's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Memo {
    BondReceived {
        bond: Bond,
        sub_account: String,
        payer: Payer,
        value_time: Timestamp,
    },
    /// Flagged: money that arrived but is not (yet) anyone's bond.
    Unidentified {
        sub_account: String,
        payer: Payer,
        value_time: Timestamp,
        reason: SuspenseReason,
    },
    RefundInstructed {
        from: Account,
        bank: BankCode,
        to: Payer,
    },
    RefundPaid {
        instruction: RefundInstructionId,
    },
    Forfeited {
        bond: Bond,
        ground: Ground,
        article: &'static str,
    },
}

/// Why a proposed transaction is not a transaction.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    #[error("empty: a transaction needs at least one debit and one credit")]
    Empty,
    #[error("zero_posting: a posting to {account:?} is for 0 fen")]
    ZeroPosting { account: Account },
    #[error("negative_posting: a posting to {account:?} is for {fen} fen; amounts are positive, the side says which way")]
    NegativePosting { account: Account, fen: i64 },
    #[error("amount_too_large: a posting of {fen} fen exceeds {MAX_FEN} fen")]
    TooLarge { fen: i64 },
    #[error("unbalanced: debits {debits} fen ≠ credits {credits} fen")]
    Unbalanced { debits: i128, credits: i128 },
}

/// A balanced set of postings with its idempotency key. Once held, it is valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transaction {
    key: IdempotencyKey,
    at: Timestamp,
    memo: Memo,
    postings: Vec<Posting>,
}

impl Transaction {
    pub fn new(
        key: IdempotencyKey,
        at: Timestamp,
        memo: Memo,
        legs: Vec<Leg>,
    ) -> Result<Transaction, TransactionError> {
        let mut postings = Vec::with_capacity(legs.len());
        let (mut debits, mut credits) = (0i128, 0i128);
        for Leg { account, side, fen } in legs {
            if fen == 0 {
                return Err(TransactionError::ZeroPosting { account });
            }
            if fen < 0 {
                return Err(TransactionError::NegativePosting { account, fen });
            }
            let amount = Money::from_fen(fen).map_err(|_| TransactionError::TooLarge { fen })?;
            match side {
                Side::Debit => debits += fen as i128,
                Side::Credit => credits += fen as i128,
            }
            postings.push(Posting {
                account,
                side,
                amount,
            });
        }
        if debits == 0 || credits == 0 {
            return Err(TransactionError::Empty);
        }
        if debits != credits {
            return Err(TransactionError::Unbalanced { debits, credits });
        }
        Ok(Transaction {
            key,
            at,
            memo,
            postings,
        })
    }

    /// The usual shape: one amount from one account to another.
    fn transfer(
        key: IdempotencyKey,
        at: Timestamp,
        memo: Memo,
        debit: Account,
        credit: Account,
        amount: Money,
    ) -> Result<Transaction, TransactionError> {
        Transaction::new(
            key,
            at,
            memo,
            vec![
                Leg::debit(debit, amount.fen()),
                Leg::credit(credit, amount.fen()),
            ],
        )
    }

    pub fn key(&self) -> &IdempotencyKey {
        &self.key
    }
    pub fn at(&self) -> Timestamp {
        self.at
    }
    pub fn memo(&self) -> &Memo {
        &self.memo
    }
    pub fn postings(&self) -> &[Posting] {
        &self.postings
    }
}

/// Why the ledger refused a transaction; nothing was applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("duplicate: a transaction with this key is already in the ledger")]
    Duplicate { first: Box<Transaction> },
    #[error("overdrawn: {account:?} holds {balance} fen, the transaction takes {taken} fen")]
    Overdrawn {
        account: Account,
        balance: i128,
        taken: i128,
    },
}

/// All transactions in the order applied. Balances are sums over postings, never kept apart.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    transactions: Vec<Transaction>,
    by_key: HashMap<IdempotencyKey, usize>,
    /// Which transactions touch an account: an index into `transactions`, not a balance.
    by_account: BTreeMap<Account, Vec<usize>>,
}

impl Ledger {
    pub fn new() -> Ledger {
        Ledger::default()
    }

    /// Applies a transaction unless its key was seen (the first is returned, so a replay is
    /// harmless) or it would take any account below zero.
    pub fn apply(&mut self, t: Transaction) -> Result<&Transaction, LedgerError> {
        if let Some(first) = self.get(&t.key) {
            return Err(LedgerError::Duplicate {
                first: Box::new(first.clone()),
            });
        }
        let mut effects: BTreeMap<&Account, i128> = BTreeMap::new();
        for p in &t.postings {
            *effects.entry(&p.account).or_default() += p.effect();
        }
        for (account, effect) in effects {
            let balance = self.balance(account);
            if balance + effect < 0 {
                return Err(LedgerError::Overdrawn {
                    account: account.clone(),
                    balance,
                    taken: -effect,
                });
            }
        }
        let index = self.transactions.len();
        for p in &t.postings {
            let touched = self.by_account.entry(p.account.clone()).or_default();
            if touched.last() != Some(&index) {
                touched.push(index);
            }
        }
        self.by_key.insert(t.key.clone(), index);
        self.transactions.push(t);
        Ok(&self.transactions[index])
    }

    pub fn get(&self, key: &IdempotencyKey) -> Option<&Transaction> {
        self.by_key.get(key).map(|&i| &self.transactions[i])
    }

    pub fn transactions(&self) -> &[Transaction] {
        &self.transactions
    }

    fn touching<'a>(
        &'a self,
        account: &Account,
    ) -> impl DoubleEndedIterator<Item = &'a Transaction> + 'a {
        self.by_account
            .get(account)
            .into_iter()
            .flatten()
            .map(|&i| &self.transactions[i])
    }

    /// The account's balance on its normal side, from its postings.
    pub fn balance(&self, account: &Account) -> i128 {
        self.touching(account)
            .flat_map(|t| &t.postings)
            .filter(|p| &p.account == account)
            .map(Posting::effect)
            .sum()
    }

    /// Every account's balance, from the postings.
    pub fn balances(&self) -> BTreeMap<Account, i128> {
        self.by_account
            .keys()
            .map(|a| (a.clone(), self.balance(a)))
            .collect()
    }

    /// Debits minus credits over every posting: zero in a sound ledger.
    pub fn trial_balance(&self) -> i128 {
        self.transactions
            .iter()
            .flat_map(|t| &t.postings)
            .map(Posting::signed)
            .sum()
    }

    /// The receipts parked in suspense, with the reason each was flagged.
    pub fn flagged(&self) -> impl Iterator<Item = (&Transaction, &SuspenseReason)> {
        self.transactions.iter().filter_map(|t| match &t.memo {
            Memo::Unidentified { reason, .. } => Some((t, reason)),
            _ => None,
        })
    }

    /// The bank and payer of the receipt that last credited `account`: where its refund goes.
    fn source_of(&self, account: &Account) -> Option<(BankCode, Payer)> {
        self.touching(account)
            .rev()
            .find_map(|t| match (&t.key, &t.memo) {
                (
                    IdempotencyKey::Bank { bank, .. },
                    Memo::BondReceived { payer, .. } | Memo::Unidentified { payer, .. },
                ) => Some((bank.clone(), payer.clone())),
                _ => None,
            })
    }

    fn held(&self, bond: &Bond) -> Option<Money> {
        let fen = i64::try_from(self.balance(&bond.account())).ok()?;
        Money::from_fen(fen).ok().filter(|m| m.fen() > 0)
    }
}

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
        let same = first.postings.iter().any(|p| {
            p.account == Account::Clearing { bank: bank.clone() } && p.amount == n.amount()
        }) && matches!(&first.memo,
            Memo::BondReceived { sub_account, .. } | Memo::Unidentified { sub_account, .. }
                if *sub_account == n.sub_account());
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
    fn account(&self) -> Account {
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
    let Some(Memo::RefundInstructed { bank: due_from, .. }) = instructed.map(|t| &t.memo) else {
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

/// When a bid bond must be back: 5 days after the contract (条例 第五十七条) or after a withdrawal
/// before the deadline (条例 第三十五条).
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
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn fen(n: i64) -> Money {
        Money::from_fen(n).unwrap()
    }
    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }
    fn sandbox() -> BankCode {
        BankCode::parse("sandbox").unwrap()
    }
    fn tender(n: u8) -> TenderId {
        TenderId::from_stored(format!("tender-{n}"))
    }
    fn org(n: u8) -> OrgId {
        OrgId::from_stored(format!("org-{n}"))
    }
    fn bid_bond(t: u8, lot: &str, o: u8) -> Bond {
        Bond::Bid {
            tender: tender(t),
            lot: LotId::from_stored(lot.into()),
            tenderer: org(o),
        }
    }
    fn perf_bond(t: u8, o: u8) -> Bond {
        Bond::Performance {
            tender: tender(t),
            tenderer: org(o),
        }
    }
    fn txn(s: &str) -> BankTxnId {
        BankTxnId::parse(s).unwrap()
    }
    fn instr(s: &str) -> RefundInstructionId {
        RefundInstructionId::parse(s).unwrap()
    }
    fn decision(s: &str) -> DecisionId {
        DecisionId::parse(s).unwrap()
    }
    const DEADLINE: &str = "2027-03-26T01:00:00.000Z";

    fn note(id: &str, sub: &str, amount: i64, when: &str) -> Notification {
        Notification::new(
            txn(id),
            sub.into(),
            amount,
            "某公司".into(),
            "6222000011112222".into(),
            at(when),
        )
        .unwrap()
    }

    fn expect(bond: Bond, required: i64) -> ExpectedBond {
        ExpectedBond {
            bond,
            required: fen(required),
            due_by: at(DEADLINE),
        }
    }

    fn reason(t: &Transaction) -> Option<&SuspenseReason> {
        match t.memo() {
            Memo::Unidentified { reason, .. } => Some(reason),
            _ => None,
        }
    }

    const EARLY: &str = "2027-03-20T01:00:00.000Z";

    #[test]
    fn a_transaction_must_be_balanced_non_empty_and_positive() {
        let key = || IdempotencyKey::Forfeiture {
            decision: decision("d"),
        };
        let now = at(EARLY);
        let memo = || Memo::RefundPaid {
            instruction: instr("i"),
        };
        let clearing = Account::Clearing { bank: sandbox() };
        let bond = bid_bond(1, "L1", 1).account();
        let new = |legs| Transaction::new(key(), now, memo(), legs);
        assert_eq!(new(vec![]), Err(TransactionError::Empty));
        assert_eq!(
            new(vec![Leg::debit(clearing.clone(), 5)]),
            Err(TransactionError::Empty)
        );
        assert_eq!(
            new(vec![
                Leg::debit(clearing.clone(), 5),
                Leg::credit(bond.clone(), 4)
            ]),
            Err(TransactionError::Unbalanced {
                debits: 5,
                credits: 4
            })
        );
        assert_eq!(
            new(vec![
                Leg::debit(clearing.clone(), 0),
                Leg::credit(bond.clone(), 0)
            ]),
            Err(TransactionError::ZeroPosting {
                account: clearing.clone()
            })
        );
        assert_eq!(
            new(vec![
                Leg::debit(clearing.clone(), -5),
                Leg::credit(bond.clone(), -5)
            ]),
            Err(TransactionError::NegativePosting {
                account: clearing.clone(),
                fen: -5
            })
        );
        assert_eq!(
            new(vec![
                Leg::debit(clearing.clone(), MAX_FEN + 1),
                Leg::credit(bond.clone(), MAX_FEN + 1)
            ]),
            Err(TransactionError::TooLarge { fen: MAX_FEN + 1 })
        );
        // Several legs per side are fine as long as they balance, even beyond one Money.
        let t = new(vec![
            Leg::debit(clearing.clone(), MAX_FEN),
            Leg::debit(clearing, MAX_FEN),
            Leg::credit(bond, 2),
            Leg::credit(Account::Forfeited { tender: tender(1) }, MAX_FEN),
            Leg::credit(Account::Forfeited { tender: tender(2) }, MAX_FEN - 2),
        ])
        .unwrap();
        assert_eq!(t.postings().iter().map(Posting::signed).sum::<i128>(), 0);
    }

    #[test]
    fn the_ledger_refuses_a_duplicate_key_and_returns_the_first() {
        let mut l = Ledger::new();
        let n = note("B1", "8801", 10_000, EARLY);
        let bond = bid_bond(1, "L1", 1);
        let first = deposit(&mut l, &sandbox(), &n, &[expect(bond.clone(), 10_000)])
            .unwrap()
            .clone();
        let again = deposit(&mut l, &sandbox(), &n, &[expect(bond.clone(), 10_000)]);
        assert_eq!(
            again,
            Err(DepositError::Duplicate {
                first: Box::new(first.clone())
            })
        );
        // Straight into the ledger too: nothing is applied twice.
        assert_eq!(
            l.apply(first.clone()),
            Err(LedgerError::Duplicate {
                first: Box::new(first.clone())
            })
        );
        assert_eq!(l.transactions().len(), 1);
        assert_eq!(l.balance(&bond.account()), 10_000);
        // The same bank id for another payment is the bank's error, refused and named.
        let other = note("B1", "8801", 9_999, EARLY);
        assert!(matches!(
            deposit(&mut l, &sandbox(), &other, &[]),
            Err(DepositError::Conflicting { .. })
        ));
    }

    #[test]
    fn the_ledger_refuses_to_overdraw_any_account() {
        let mut l = Ledger::new();
        let bond = bid_bond(1, "L1", 1).account();
        let t = Transaction::new(
            IdempotencyKey::Forfeiture {
                decision: decision("d"),
            },
            at(EARLY),
            Memo::RefundPaid {
                instruction: instr("i"),
            },
            vec![
                Leg::debit(bond.clone(), 1),
                Leg::credit(Account::Forfeited { tender: tender(1) }, 1),
            ],
        )
        .unwrap();
        assert_eq!(
            l.apply(t),
            Err(LedgerError::Overdrawn {
                account: bond,
                balance: 0,
                taken: 1
            })
        );
        assert_eq!(l.trial_balance(), 0);
    }

    #[test]
    fn only_the_exact_amount_on_time_becomes_the_bond() {
        let mut l = Ledger::new();
        let b = bid_bond(1, "L1", 1);
        let e = [expect(b.clone(), 10_000)];
        let s = sandbox();
        let short = deposit(&mut l, &s, &note("1", "x", 9_999, EARLY), &e).unwrap();
        assert_eq!(
            reason(short),
            Some(&SuspenseReason::Short {
                required: fen(10_000),
                paid: fen(9_999)
            })
        );
        let over = deposit(&mut l, &s, &note("2", "x", 10_001, EARLY), &e).unwrap();
        assert_eq!(reason(over).unwrap().code(), "over");
        let unknown = deposit(&mut l, &s, &note("3", "typo", 10_000, EARLY), &[]).unwrap();
        assert_eq!(reason(unknown), Some(&SuspenseReason::UnknownSubAccount));
        let late = deposit(
            &mut l,
            &s,
            &note("4", "x", 10_000, "2027-03-26T01:00:00.001Z"),
            &e,
        )
        .unwrap();
        assert_eq!(reason(late).unwrap().code(), "after_deadline");
        assert_eq!(l.balance(&b.account()), 0);
        let exact = deposit(&mut l, &s, &note("5", "x", 10_000, DEADLINE), &e).unwrap();
        assert!(matches!(exact.memo(), Memo::BondReceived { .. }));
        let twice = deposit(&mut l, &s, &note("6", "x", 10_000, EARLY), &e).unwrap();
        assert_eq!(
            reason(twice),
            Some(&SuspenseReason::AlreadyHeld { bond: b.clone() })
        );
        let odd = deposit(&mut l, &s, &note("7", "x", 5, EARLY), &e).unwrap();
        assert_eq!(reason(odd), Some(&SuspenseReason::NothingOutstanding));
        assert_eq!(l.balance(&b.account()), 10_000);
        assert_eq!(l.flagged().count(), 6);
        assert_eq!(l.balance(&Account::Clearing { bank: s }), 60_005);
        assert_eq!(l.trial_balance(), 0);
    }

    #[test]
    fn with_several_lots_the_amount_picks_the_bond() {
        let mut l = Ledger::new();
        let (l1, l2) = (bid_bond(1, "L1", 1), bid_bond(1, "L2", 1));
        let e = [expect(l1.clone(), 10_000), expect(l2.clone(), 25_000)];
        deposit(&mut l, &sandbox(), &note("1", "x", 25_000, EARLY), &e).unwrap();
        assert_eq!(l.balance(&l2.account()), 25_000);
        let odd = deposit(&mut l, &sandbox(), &note("2", "x", 12_345, EARLY), &e).unwrap();
        // Only L1 is outstanding now, so the odd amount is named against it.
        assert_eq!(reason(odd).unwrap().code(), "over");
        let mut l = Ledger::new();
        let odd = deposit(&mut l, &sandbox(), &note("2", "x", 12_345, EARLY), &e).unwrap();
        assert_eq!(
            reason(odd),
            Some(&SuspenseReason::NoMatchingAmount {
                outstanding: vec![fen(10_000), fen(25_000)]
            })
        );
    }

    #[test]
    fn a_refund_returns_what_is_held_to_its_payer_once() {
        let mut l = Ledger::new();
        let b = bid_bond(1, "L1", 1);
        let s = sandbox();
        let of = RefundOf::Bond(b.clone());
        assert_eq!(
            instruct_refund(&mut l, instr("R0"), at(EARLY), &of),
            Err(RefundError::NothingHeld {
                account: b.account()
            })
        );
        deposit(
            &mut l,
            &s,
            &note("1", "x", 10_000, EARLY),
            &[expect(b.clone(), 10_000)],
        )
        .unwrap();
        let r = instruct_refund(&mut l, instr("R1"), at(EARLY), &of)
            .unwrap()
            .clone();
        assert!(
            matches!(r.memo(), Memo::RefundInstructed { to, .. } if to.account == "6222000011112222")
        );
        assert_eq!(
            instruct_refund(&mut l, instr("R1"), at(EARLY), &of),
            Err(RefundError::Duplicate { first: Box::new(r) })
        );
        assert_eq!(
            instruct_refund(&mut l, instr("R2"), at(EARLY), &of),
            Err(RefundError::NothingHeld {
                account: b.account()
            })
        );
        let payable = Account::RefundsPayable {
            instruction: instr("R1"),
        };
        assert_eq!(l.balance(&payable), 10_000);
        assert!(matches!(
            refund_paid(&mut l, &s, txn("P1"), instr("R9"), fen(10_000), at(EARLY)),
            Err(RefundError::UnknownInstruction { .. })
        ));
        assert!(matches!(
            refund_paid(
                &mut l,
                &BankCode::parse("other").unwrap(),
                txn("P1"),
                instr("R1"),
                fen(10_000),
                at(EARLY)
            ),
            Err(RefundError::WrongBank { .. })
        ));
        assert!(matches!(
            refund_paid(&mut l, &s, txn("P1"), instr("R1"), fen(9_000), at(EARLY)),
            Err(RefundError::AmountMismatch { .. })
        ));
        refund_paid(&mut l, &s, txn("P1"), instr("R1"), fen(10_000), at(EARLY)).unwrap();
        assert!(matches!(
            refund_paid(&mut l, &s, txn("P1"), instr("R1"), fen(10_000), at(EARLY)),
            Err(RefundError::Duplicate { .. })
        ));
        assert_eq!(
            refund_paid(&mut l, &s, txn("P2"), instr("R1"), fen(10_000), at(EARLY)),
            Err(RefundError::AlreadyPaid {
                instruction: instr("R1")
            })
        );
        assert_eq!(l.balance(&payable), 0);
        assert_eq!(l.balance(&Account::Clearing { bank: s }), 0);
        assert_eq!(l.trial_balance(), 0);
    }

    #[test]
    fn money_in_suspense_goes_back_to_its_payer() {
        let mut l = Ledger::new();
        let s = sandbox();
        deposit(&mut l, &s, &note("1", "typo", 777, EARLY), &[]).unwrap();
        let of = RefundOf::Unidentified {
            bank: s.clone(),
            txn: txn("1"),
        };
        let r = instruct_refund(&mut l, instr("R1"), at(EARLY), &of).unwrap();
        assert_eq!(r.postings()[0].amount(), fen(777));
        assert_eq!(l.balance(&of.account()), 0);
    }

    #[test]
    fn forfeiture_needs_a_ground_the_law_gives_for_that_bond() {
        let mut l = Ledger::new();
        let s = sandbox();
        let b = bid_bond(1, "L1", 1);
        let p = perf_bond(1, 1);
        assert_eq!(
            forfeit(&mut l, decision("D0"), at(EARLY), &b, Ground::RefusedToSign),
            Err(ForfeitError::NothingHeld { bond: b.clone() })
        );
        deposit(
            &mut l,
            &s,
            &note("1", "x", 10_000, EARLY),
            &[expect(b.clone(), 10_000)],
        )
        .unwrap();
        deposit(
            &mut l,
            &s,
            &note("2", "x", 50_000, EARLY),
            &[expect(p.clone(), 50_000)],
        )
        .unwrap();
        assert_eq!(
            forfeit(
                &mut l,
                decision("D1"),
                at(EARLY),
                &b,
                Ground::ContractNotPerformed
            ),
            Err(ForfeitError::GroundDoesNotApply {
                ground: Ground::ContractNotPerformed,
                bond: b.clone()
            })
        );
        assert!(matches!(
            forfeit(&mut l, decision("D1"), at(EARLY), &p, Ground::RefusedToSign),
            Err(ForfeitError::GroundDoesNotApply { .. })
        ));
        let t = forfeit(&mut l, decision("D1"), at(EARLY), &b, Ground::RefusedToSign).unwrap();
        assert!(matches!(
            t.memo(),
            Memo::Forfeited {
                article: "条例 第七十四条",
                ..
            }
        ));
        assert!(matches!(
            forfeit(&mut l, decision("D1"), at(EARLY), &b, Ground::RefusedToSign),
            Err(ForfeitError::Duplicate { .. })
        ));
        assert_eq!(
            forfeit(&mut l, decision("D2"), at(EARLY), &b, Ground::RefusedToSign),
            Err(ForfeitError::NothingHeld { bond: b.clone() })
        );
        // A forfeited bond cannot also be refunded.
        assert!(matches!(
            instruct_refund(&mut l, instr("R"), at(EARLY), &RefundOf::Bond(b.clone())),
            Err(RefundError::NothingHeld { .. })
        ));
        forfeit(
            &mut l,
            decision("D3"),
            at(EARLY),
            &p,
            Ground::ContractNotPerformed,
        )
        .unwrap();
        assert_eq!(l.balance(&Account::Forfeited { tender: tender(1) }), 60_000);
        assert_eq!(l.trial_balance(), 0);
    }

    #[test]
    fn refunds_fall_due_five_days_after_the_contract_or_a_withdrawal() {
        let signed = at("2027-05-10T06:30:00.000Z");
        assert_eq!(
            refund_due(RefundEvent::ContractSigned { at: signed }),
            Ok(RefundDue {
                due: at("2027-05-15T06:30:00.000Z"),
                article: "条例 第五十七条"
            })
        );
        let deadline = at(DEADLINE);
        assert_eq!(
            refund_due(RefundEvent::Withdrawn {
                at: at("2027-03-25T00:00:00.000Z"),
                bid_deadline: deadline
            }),
            Ok(RefundDue {
                due: at("2027-03-30T00:00:00.000Z"),
                article: "条例 第三十五条"
            })
        );
        assert_eq!(
            refund_due(RefundEvent::Withdrawn {
                at: deadline,
                bid_deadline: deadline
            }),
            Err(RefundDateError::RevokedAfterDeadline {
                bid_deadline: deadline
            })
        );
    }

    /// `prop_assert!` for conditions whose text has braces (a pattern), which it cannot print.
    macro_rules! ensure {
        ($c:expr $(, $($rest:tt)*)?) => {
            prop_assert!($c, "{}", stringify!($c))
        };
    }

    /// One step of the property test, over a small world so that ids and bonds collide often.
    #[derive(Debug, Clone)]
    enum Op {
        Deposit {
            txn: u8,
            sub: usize,
            amount: i64,
            late: bool,
        },
        Refund {
            bond: Option<usize>,
            txn: u8,
            instruction: u8,
        },
        Paid {
            instruction: u8,
            txn: u8,
            exact: bool,
        },
        Forfeit {
            bond: usize,
            ground: usize,
            decision: u8,
        },
    }

    const SUBS: [&str; 3] = ["SA", "SB", "SX"];
    const GROUNDS: [Ground; 5] = [
        Ground::RevokedAfterDeadline,
        Ground::RefusedToSign,
        Ground::ConditionsAtSigning,
        Ground::NoPerformanceBond,
        Ground::ContractNotPerformed,
    ];

    /// (bond, required, sub-account index)
    fn world() -> Vec<(Bond, i64, usize)> {
        vec![
            (bid_bond(1, "L1", 1), 10_000, 0),
            (bid_bond(1, "L2", 1), 25_000, 0),
            (perf_bond(1, 1), 50_000, 0),
            (bid_bond(1, "L1", 2), 10_000, 1),
        ]
    }

    fn op() -> impl Strategy<Value = Op> {
        let amount = prop_oneof![
            Just(10_000i64),
            Just(25_000),
            Just(50_000),
            Just(9_999),
            Just(10_001),
            1i64..100_000,
        ];
        prop_oneof![
            4 => (0u8..12, 0usize..3, amount, proptest::bool::weighted(0.1))
                .prop_map(|(txn, sub, amount, late)| Op::Deposit { txn, sub, amount, late }),
            2 => (proptest::option::of(0usize..4), 0u8..12, 0u8..8)
                .prop_map(|(bond, txn, instruction)| Op::Refund { bond, txn, instruction }),
            2 => (0u8..8, 0u8..8, proptest::bool::weighted(0.9))
                .prop_map(|(instruction, txn, exact)| Op::Paid { instruction, txn, exact }),
            1 => (0usize..4, 0usize..5, 0u8..4)
                .prop_map(|(bond, ground, decision)| Op::Forfeit { bond, ground, decision }),
        ]
    }

    /// What the bank and the desk would say, written down as simply as possible.
    #[derive(Default)]
    struct Model {
        received: HashMap<u8, (usize, i64)>,
        held: HashMap<usize, i64>,
        suspense: HashMap<u8, (usize, i64)>,
        /// instruction → (sub-account, amount, paid)
        refunds: HashMap<u8, (usize, i64, bool)>,
        payouts: std::collections::HashSet<u8>,
        decisions: std::collections::HashSet<u8>,
        forfeited: HashMap<usize, i64>,
        bank_in: HashMap<usize, i64>,
        bank_out: HashMap<usize, i64>,
    }

    fn step(l: &mut Ledger, m: &mut Model, op: &Op) -> Result<(), TestCaseError> {
        let w = world();
        let s = sandbox();
        let late_time = "2027-03-26T01:00:00.001Z";
        match *op {
            Op::Deposit {
                txn: t,
                sub,
                amount,
                late,
            } => {
                let n = note(
                    &format!("N{t}"),
                    SUBS[sub],
                    amount,
                    if late { late_time } else { EARLY },
                );
                let expected: Vec<ExpectedBond> = w
                    .iter()
                    .filter(|(_, _, s)| *s == sub)
                    .map(|(b, r, _)| expect(b.clone(), *r))
                    .collect();
                let got = deposit(l, &s, &n, &expected).cloned();
                if let Some(&(first_sub, first_amount)) = m.received.get(&t) {
                    let same = first_sub == sub && first_amount == amount;
                    ensure!(match got {
                        Err(DepositError::Duplicate { .. }) => same,
                        Err(DepositError::Conflicting { .. }) => !same,
                        _ => false,
                    });
                    return Ok(());
                }
                m.received.insert(t, (sub, amount));
                *m.bank_in.entry(sub).or_default() += amount;
                let bond = w
                    .iter()
                    .position(|(_, r, s)| *s == sub && *r == amount)
                    .filter(|_| !late)
                    .and_then(|_| {
                        w.iter().enumerate().position(|(i, (_, r, s))| {
                            *s == sub && *r == amount && m.held.get(&i).copied().unwrap_or(0) == 0
                        })
                    });
                let got = got.map_err(|e| TestCaseError::fail(format!("{e}")))?;
                match bond {
                    Some(i) => {
                        m.held.insert(i, amount);
                        ensure!(
                            matches!(got.memo(), Memo::BondReceived { bond, .. } if *bond == w[i].0)
                        );
                    }
                    None => {
                        m.suspense.insert(t, (sub, amount));
                        ensure!(matches!(got.memo(), Memo::Unidentified { .. }));
                    }
                }
            }
            Op::Refund {
                bond,
                txn: t,
                instruction,
            } => {
                let of = match bond {
                    Some(i) => RefundOf::Bond(w[i].0.clone()),
                    None => RefundOf::Unidentified {
                        bank: s.clone(),
                        txn: txn(&format!("N{t}")),
                    },
                };
                let got =
                    instruct_refund(l, instr(&format!("R{instruction}")), at(EARLY), &of).cloned();
                if m.refunds.contains_key(&instruction) {
                    ensure!(matches!(got, Err(RefundError::Duplicate { .. })));
                    return Ok(());
                }
                let available = match bond {
                    Some(i) => m.held.get(&i).map(|&a| (w[i].2, a)),
                    None => m.suspense.get(&t).copied(),
                }
                .filter(|&(_, a)| a > 0);
                match available {
                    Some((sub, amount)) => {
                        prop_assert!(got.is_ok(), "{got:?}");
                        match bond {
                            Some(i) => {
                                m.held.insert(i, 0);
                            }
                            None => {
                                m.suspense.insert(t, (sub, 0));
                            }
                        }
                        m.refunds.insert(instruction, (sub, amount, false));
                    }
                    None => ensure!(
                        matches!(got, Err(RefundError::NothingHeld { .. })),
                        "{got:?}"
                    ),
                }
            }
            Op::Paid {
                instruction,
                txn: t,
                exact,
            } => {
                let owed = m.refunds.get(&instruction).copied();
                let amount = owed.map_or(1, |(_, a, _)| a) + i64::from(!exact);
                let got = refund_paid(
                    l,
                    &s,
                    txn(&format!("P{t}")),
                    instr(&format!("R{instruction}")),
                    fen(amount),
                    at(EARLY),
                )
                .cloned();
                if m.payouts.contains(&t) {
                    ensure!(matches!(got, Err(RefundError::Duplicate { .. })));
                    return Ok(());
                }
                match owed {
                    None => {
                        ensure!(matches!(got, Err(RefundError::UnknownInstruction { .. })))
                    }
                    Some((_, _, true)) => {
                        ensure!(matches!(got, Err(RefundError::AlreadyPaid { .. })))
                    }
                    Some(_) if !exact => {
                        ensure!(matches!(got, Err(RefundError::AmountMismatch { .. })))
                    }
                    Some((sub, a, false)) => {
                        prop_assert!(got.is_ok(), "{got:?}");
                        m.payouts.insert(t);
                        m.refunds.insert(instruction, (sub, a, true));
                        *m.bank_out.entry(sub).or_default() += a;
                    }
                }
            }
            Op::Forfeit {
                bond,
                ground,
                decision: d,
            } => {
                let (b, _, sub) = &w[bond];
                let got =
                    forfeit(l, decision(&format!("D{d}")), at(EARLY), b, GROUNDS[ground]).cloned();
                let held = m.held.get(&bond).copied().unwrap_or(0);
                if m.decisions.contains(&d) {
                    ensure!(matches!(got, Err(ForfeitError::Duplicate { .. })));
                } else if !GROUNDS[ground].applies_to(b) {
                    ensure!(matches!(got, Err(ForfeitError::GroundDoesNotApply { .. })));
                } else if held == 0 {
                    ensure!(matches!(got, Err(ForfeitError::NothingHeld { .. })));
                } else {
                    prop_assert!(got.is_ok(), "{got:?}");
                    m.decisions.insert(d);
                    m.held.insert(bond, 0);
                    *m.forfeited.entry(*sub).or_default() += held;
                }
            }
        }
        Ok(())
    }

    fn check(l: &Ledger, m: &Model) -> Result<(), TestCaseError> {
        let w = world();
        prop_assert_eq!(l.trial_balance(), 0);
        for (account, balance) in l.balances() {
            prop_assert!(balance >= 0, "{account:?} at {balance}");
        }
        for (i, (b, _, _)) in w.iter().enumerate() {
            prop_assert_eq!(
                l.balance(&b.account()),
                m.held.get(&i).copied().unwrap_or(0) as i128
            );
        }
        let total_in: i64 = m.bank_in.values().sum();
        let total_out: i64 = m.bank_out.values().sum();
        prop_assert_eq!(
            l.balance(&Account::Clearing { bank: sandbox() }),
            (total_in - total_out) as i128
        );
        prop_assert_eq!(
            l.balance(&Account::Forfeited { tender: tender(1) }),
            m.forfeited.values().sum::<i64>() as i128
        );
        // Per sub-account, i.e. per (tender, tenderer): what the bank says it received less what it
        // paid back equals what the ledger holds for that tenderer, wherever it sits.
        for (sub, name) in SUBS.iter().enumerate() {
            let bank_says = m.bank_in.get(&sub).copied().unwrap_or(0)
                - m.bank_out.get(&sub).copied().unwrap_or(0);
            let bonds: i128 = w
                .iter()
                .filter(|(_, _, s)| *s == sub)
                .map(|(b, _, _)| l.balance(&b.account()))
                .sum();
            let parked: i128 = m
                .suspense
                .iter()
                .filter(|(_, (s, _))| *s == sub)
                .map(|(t, _)| {
                    l.balance(&Account::Suspense {
                        bank: sandbox(),
                        bank_txn: txn(&format!("N{t}")),
                    })
                })
                .sum();
            let payable: i128 = m
                .refunds
                .iter()
                .filter(|(_, (s, _, _))| *s == sub)
                .map(|(r, _)| {
                    l.balance(&Account::RefundsPayable {
                        instruction: instr(&format!("R{r}")),
                    })
                })
                .sum();
            let forfeited: i128 = l
                .transactions()
                .iter()
                .filter_map(|t| match t.memo() {
                    Memo::Forfeited { bond, .. }
                        if w.iter().any(|(b, _, s)| b == bond && *s == sub) =>
                    {
                        Some(t.postings()[0].amount().fen() as i128)
                    }
                    _ => None,
                })
                .sum();
            prop_assert_eq!(
                bonds + parked + payable + forfeited,
                bank_says as i128,
                "sub-account {}",
                name
            );
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn any_sequence_keeps_the_ledger_balanced_and_equal_to_the_bank(ops in proptest::collection::vec(op(), 0..60)) {
            let mut l = Ledger::new();
            let mut m = Model::default();
            for op in &ops {
                step(&mut l, &mut m, op)?;
                check(&l, &m)?;
            }
        }
    }
}
