//! The bonds' double-entry ledger in integer fen: every deposit, refund and forfeiture is one
//! balanced transaction, keyed for idempotency, and every balance is derived from the postings.
//! Pure: no clock, no store, no I/O. Accounts, transactions and the legal rules are in docs/bonds.md.

use super::bank::{BankCode, BankTxnId};
use crate::domain::money::MAX_FEN;
use crate::domain::{InvalidValue, LotId, Money, OrgId, TenderId, Timestamp};
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub name: String,
    pub account: String,
}

/// Why a receipt was parked in suspense instead of being taken as a bond.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        /// Follows from the ground; a stored memo is read back with `Memo::restore`.
        #[serde(skip_deserializing)]
        article: &'static str,
    },
}

impl Memo {
    /// A memo read back from storage, with what follows from its other fields filled in.
    pub fn restore(mut self) -> Memo {
        if let Memo::Forfeited {
            ground, article, ..
        } = &mut self
        {
            *article = ground.article();
        }
        self
    }
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
    pub(super) fn transfer(
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

    pub(super) fn touching<'a>(
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
    pub(super) fn source_of(&self, account: &Account) -> Option<(BankCode, Payer)> {
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

    pub(super) fn held(&self, bond: &Bond) -> Option<Money> {
        let fen = i64::try_from(self.balance(&bond.account())).ok()?;
        Money::from_fen(fen).ok().filter(|m| m.fen() > 0)
    }
}
