//! The sandbox bank: a small bank that speaks the hall's bank protocol (docs/bonds.md §5) exactly,
//! so the demo and the tests exercise the real path. It holds payer accounts, the hall's clearing
//! account and its statement lines, pays refunds the hall instructs, and queues signed
//! notifications to the hall. It knows nothing of bonds: every sub-account number is accepted.
//! Its state is a fold over its journal, so a crash loses nothing it answered (docs/sandbox-bank.md).
//! A payer account opens only with its own access code: it must never show one payer's name,
//! balance or transfers to anyone else, nor move its money for them (招标投标法 第二十二条).

pub mod access;
pub mod cli;
pub mod delivery;
pub mod http;
pub mod issuer;
pub mod journal;
mod page;

use crate::bonds::bank::{self, BankCode, BankTxnId, Notification, Secret};
use crate::bonds::ledger::RefundInstructionId;
use crate::bonds::statement::{LineRef, Statement, StatementDate, StatementLine};
use crate::clock::Clock;
use crate::domain::money::MAX_FEN;
use crate::domain::{Money, Timestamp};
use access::{AccessCode, AccessDigest};
use journal::{Event, Journal, JournalError};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

pub use delivery::{backoff_ms, Courier, DeliveryReport, HttpCourier};

/// The sandbox bank's code on the platform.
pub const SANDBOX_CODE: &str = "SBX";

/// Why the bank refused a request. Never carries the secret.
#[derive(Debug, thiserror::Error)]
pub enum BankError {
    /// No such account, or not this code's: the same answer, so numbers cannot be probed.
    #[error("unknown_account: no account {0} at this bank opens with this access code")]
    UnknownAccount(String),
    #[error("unauthenticated: give the account's access code (网银口令) as Authorization: Bearer <code>")]
    Unauthenticated,
    #[error("insufficient_funds: the account holds {balance_fen} fen, the transfer needs {amount_fen} fen")]
    InsufficientFunds { balance_fen: i64, amount_fen: i64 },
    #[error("invalid_amount: an amount is a whole number of fen between 1 and {MAX_FEN}")]
    InvalidAmount,
    #[error("invalid_field: {field}: {why}")]
    InvalidField { field: &'static str, why: String },
    #[error("{0}")]
    Signature(#[from] bank::NotificationError),
    #[error("conflicting: instruction {0} was already accepted with other terms")]
    Conflicting(String),
    #[error("journal: {0}")]
    Journal(#[from] JournalError),
}

impl BankError {
    pub fn code(&self) -> &'static str {
        match self {
            BankError::UnknownAccount(_) => "unknown_account",
            BankError::Unauthenticated => "unauthenticated",
            BankError::InsufficientFunds { .. } => "insufficient_funds",
            BankError::InvalidAmount => "invalid_amount",
            BankError::InvalidField { .. } => "invalid_field",
            BankError::Signature(e) => e.code(),
            BankError::Conflicting(_) => "conflicting",
            BankError::Journal(_) => "internal",
        }
    }
}

/// One line of a payer account's history; positive amounts come in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryLine {
    pub at: Timestamp,
    pub amount_fen: i64,
    pub bank_txn_id: Option<String>,
    /// What happened, in both languages, as the API gives it.
    pub memo: String,
    /// What happened, for the page to say in its own language.
    #[serde(skip)]
    pub what: Memo,
}

/// What a history line records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Memo {
    Opened,
    TransferTo {
        sub_account: String,
    },
    Refund {
        instruction: String,
        to_name: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountView {
    pub account: String,
    pub name: String,
    pub balance_fen: i64,
    pub history: Vec<HistoryLine>,
}

/// A new account and its access code, which the bank gives out this once and never again.
#[derive(Debug)]
pub struct OpenedAccount {
    pub view: AccountView,
    pub access_code: AccessCode,
}

#[derive(Debug, Clone)]
struct Account {
    view: AccountView,
    /// `None` for an account journaled before access codes: nothing opens it.
    access: Option<AccessDigest>,
}

/// Which endpoint of the hall a queued message goes to (docs/bonds.md §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbound {
    Notification,
    RefundPaid,
}

impl Outbound {
    pub fn path(self) -> &'static str {
        match self {
            Outbound::Notification => "notifications",
            Outbound::RefundPaid => "refunds-paid",
        }
    }
}

/// A signed message waiting for the hall's final answer.
#[derive(Debug, Clone)]
pub struct Queued {
    pub bank_txn_id: String,
    pub kind: Outbound,
    pub body: Vec<u8>,
    pub attempts: u32,
    pub due: Timestamp,
}

#[derive(Debug, Clone)]
struct RefundRecord {
    to_account: String,
    amount_fen: i64,
}

/// The bank's state: a fold over its journal, nothing else.
#[derive(Debug, Default)]
struct State {
    accounts: BTreeMap<String, Account>,
    clearing_fen: i64,
    lines: Vec<StatementLine>,
    refunds: HashMap<String, RefundRecord>,
    queue: BTreeMap<String, Queued>,
    settled: BTreeMap<String, (u16, String)>,
    txns: u64,
}

#[derive(Serialize)]
struct RefundPaidBody<'a> {
    amount_fen: i64,
    bank_txn_id: &'a str,
    instruction_id: &'a str,
    value_time: Timestamp,
}

impl State {
    fn apply(&mut self, event: &Event) {
        match event {
            Event::AccountOpened {
                account,
                name,
                balance_fen,
                at_ms,
                access_sha256,
            } => {
                self.accounts.insert(
                    account.clone(),
                    Account {
                        view: AccountView {
                            account: account.clone(),
                            name: name.clone(),
                            balance_fen: *balance_fen,
                            history: vec![HistoryLine {
                                at: Timestamp::from_stored(*at_ms),
                                amount_fen: *balance_fen,
                                bank_txn_id: None,
                                memo: "开户 account opened".into(),
                                what: Memo::Opened,
                            }],
                        },
                        access: *access_sha256,
                    },
                );
            }
            Event::Transferred {
                bank_txn_id,
                from_account,
                to_sub_account,
                amount_fen,
                at_ms,
            } => {
                self.txns += 1;
                let at = Timestamp::from_stored(*at_ms);
                let payer = self.accounts.get_mut(from_account).map(|a| &mut a.view);
                let payer_name = payer.as_ref().map(|p| p.name.clone()).unwrap_or_default();
                if let Some(p) = payer {
                    p.balance_fen -= amount_fen;
                    p.history.push(HistoryLine {
                        at,
                        amount_fen: -amount_fen,
                        bank_txn_id: Some(bank_txn_id.clone()),
                        memo: format!("转账至子账号 transfer to {to_sub_account}"),
                        what: Memo::TransferTo {
                            sub_account: to_sub_account.clone(),
                        },
                    });
                }
                self.clearing_fen += amount_fen;
                let id = BankTxnId::parse(bank_txn_id).expect("the bank's own id");
                let amount = Money::from_fen(*amount_fen).expect("checked before journaling");
                self.lines.push(StatementLine {
                    bank_txn_id: id.clone(),
                    amount,
                    value_time: at,
                    reference: LineRef::Credit {
                        sub_account: to_sub_account.clone(),
                    },
                });
                let body = Notification::new(
                    id,
                    to_sub_account.clone(),
                    *amount_fen,
                    payer_name,
                    from_account.clone(),
                    at,
                )
                .and_then(|n| {
                    n.to_body()
                        .map_err(|e| crate::domain::InvalidValue::new("body", e.to_string()))
                })
                .expect("checked before journaling");
                self.enqueue(bank_txn_id, Outbound::Notification, body, at);
            }
            Event::RefundPaid {
                bank_txn_id,
                instruction_id,
                to_account,
                to_name,
                amount_fen,
                at_ms,
            } => {
                self.txns += 1;
                let at = Timestamp::from_stored(*at_ms);
                self.clearing_fen -= amount_fen;
                if let Some(p) = self.accounts.get_mut(to_account).map(|a| &mut a.view) {
                    p.balance_fen += amount_fen;
                    p.history.push(HistoryLine {
                        at,
                        amount_fen: *amount_fen,
                        bank_txn_id: Some(bank_txn_id.clone()),
                        memo: format!("退款 refund {instruction_id} to {to_name}"),
                        what: Memo::Refund {
                            instruction: instruction_id.clone(),
                            to_name: to_name.clone(),
                        },
                    });
                }
                self.refunds.insert(
                    instruction_id.clone(),
                    RefundRecord {
                        to_account: to_account.clone(),
                        amount_fen: *amount_fen,
                    },
                );
                self.lines.push(StatementLine {
                    bank_txn_id: BankTxnId::parse(bank_txn_id).expect("the bank's own id"),
                    amount: Money::from_fen(*amount_fen).expect("checked before journaling"),
                    value_time: at,
                    reference: LineRef::Debit {
                        instruction_id: RefundInstructionId::parse(instruction_id)
                            .expect("checked before journaling"),
                    },
                });
                let body = crate::canonical::to_canonical_vec(&RefundPaidBody {
                    amount_fen: *amount_fen,
                    bank_txn_id,
                    instruction_id,
                    value_time: at,
                })
                .expect("plain JSON");
                self.enqueue(bank_txn_id, Outbound::RefundPaid, body, at);
            }
            Event::Settled {
                bank_txn_id,
                status,
                answer,
            } => {
                self.queue.remove(bank_txn_id);
                self.settled
                    .insert(bank_txn_id.clone(), (*status, answer.clone()));
            }
        }
    }

    fn enqueue(&mut self, id: &str, kind: Outbound, body: Vec<u8>, at: Timestamp) {
        self.queue.insert(
            id.to_owned(),
            Queued {
                bank_txn_id: id.to_owned(),
                kind,
                body,
                attempts: 0,
                due: at,
            },
        );
    }

    /// `SBX` ‖ the day `YYYYMMDD` ‖ a six-digit running number, as in docs/bonds.md's vectors.
    fn next_txn_id(&self, code: &BankCode, at: Timestamp) -> String {
        let day: String = at.to_rfc3339()[..10]
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        format!("{}{day}{:06}", code.as_str(), self.txns + 1)
    }
}

/// A refund instruction as the hall sends it (docs/bonds.md §5.2).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundInstruction {
    amount_fen: i64,
    instruction_id: RefundInstructionId,
    to_account: String,
    to_name: String,
}

/// The answer to a refund instruction; the same instruction again gets the same answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefundAccepted {
    pub instruction_id: String,
    pub status: &'static str,
}

pub struct SandboxBank {
    code: BankCode,
    secret: Secret,
    clock: Arc<dyn Clock>,
    inner: Mutex<Inner>,
    /// Set when the bank also issues electronic guarantees.
    issuer: Option<issuer::SandboxIssuer>,
}

struct Inner {
    state: State,
    journal: Journal,
}

/// Where the bank keeps its journal inside its data directory.
pub fn journal_path(data_dir: &Path) -> PathBuf {
    data_dir.join("sandbox-bank").join("journal.jsonl")
}

/// Where the hall and the bank keep their shared secret in a directory of bank secrets
/// (docs/bonds.md §5).
pub fn secret_path(secrets_dir: &Path, code: &BankCode) -> PathBuf {
    secrets_dir.join(format!("{}.secret", code.as_str()))
}

/// Reads the bank's secret (64 lowercase hex digits), creating it with 32 random bytes if missing.
pub fn load_or_create_secret(secrets_dir: &Path, code: &BankCode) -> std::io::Result<Secret> {
    let path = secret_path(secrets_dir, code);
    let bad = |what: &str| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("{}: {what}", path.display()),
        )
    };
    if !path.exists() {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes[..])
            .map_err(|_| bad("no randomness for a new secret"))?;
        std::fs::create_dir_all(path.parent().expect("banks/"))?;
        match crate::keyfile::write_private(&path, hex::encode(&bytes[..]).as_bytes()) {
            // The hall, starting at the same time, made it first: use that one.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            r => r?,
        }
    }
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(&path)?);
    let hex_text = text.trim_end();
    if hex_text.len() != 64
        || !hex_text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad("a bank secret is 64 lowercase hex digits"));
    }
    let bytes = zeroize::Zeroizing::new(hex::decode(hex_text).map_err(|_| bad("not hex"))?);
    Secret::from_bytes(&bytes).map_err(|_| bad("too short"))
}

fn check_amount(fen: i64) -> Result<Money, BankError> {
    if fen <= 0 || fen > MAX_FEN {
        return Err(BankError::InvalidAmount);
    }
    Money::from_fen(fen).map_err(|_| BankError::InvalidAmount)
}

/// Checks a request the hall signed (docs/bonds.md §2's order, ±300 s): headers, signature in
/// constant time, timestamp. The body is the caller's to parse.
pub fn check_signed(
    secret: &Secret,
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(), bank::NotificationError> {
    bank::verify_signed(secret, timestamp, signature, body, now)
}

fn field(name: &'static str, value: &str, max: usize) -> Result<String, BankError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(BankError::InvalidField {
            field: name,
            why: format!("1 to {max} characters without control characters"),
        });
    }
    Ok(v.to_owned())
}

impl SandboxBank {
    /// Opens the bank over the journal at `journal`, replaying it.
    pub fn open(
        code: BankCode,
        secret: Secret,
        clock: Arc<dyn Clock>,
        journal: &Path,
    ) -> Result<SandboxBank, JournalError> {
        let (journal, events) = Journal::open(journal)?;
        let mut state = State::default();
        for e in &events {
            state.apply(e);
        }
        Ok(SandboxBank {
            code,
            secret,
            clock,
            inner: Mutex::new(Inner { state, journal }),
            issuer: None,
        })
    }

    /// The bank also signs electronic guarantees with this issuer key.
    pub fn with_issuer(mut self, issuer: issuer::SandboxIssuer) -> SandboxBank {
        self.issuer = Some(issuer);
        self
    }

    pub fn issuer(&self) -> Option<&issuer::SandboxIssuer> {
        self.issuer.as_ref()
    }

    pub fn code(&self) -> &BankCode {
        &self.code
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Journals the event, then applies it: nothing is answered before it is on disk.
    fn record(&self, inner: &mut Inner, event: Event) -> Result<(), BankError> {
        inner.journal.append(&event)?;
        inner.state.apply(&event);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Opens a payer account with a starting balance (the sandbox's way of having money). The
    /// access code in the answer is the only copy: the journal keeps its digest.
    pub fn open_account(&self, name: &str, balance_fen: i64) -> Result<OpenedAccount, BankError> {
        let name = field("name", name, 200)?;
        if !(0..=MAX_FEN).contains(&balance_fen) {
            return Err(BankError::InvalidAmount);
        }
        let access_code = AccessCode::generate();
        let mut inner = self.lock();
        let account = format!("62220201{:011}", inner.state.accounts.len() + 1);
        let event = Event::AccountOpened {
            account: account.clone(),
            name,
            balance_fen,
            at_ms: self.now().millis(),
            access_sha256: Some(access_code.digest()),
        };
        self.record(&mut inner, event)?;
        Ok(OpenedAccount {
            view: inner.state.accounts[&account].view.clone(),
            access_code,
        })
    }

    /// The account, to the holder of its access code only.
    pub fn account(&self, account: &str, code: &AccessCode) -> Result<AccountView, BankError> {
        let inner = self.lock();
        Ok(Self::opened(&inner, account, code)?.view.clone())
    }

    /// The account if `code` opens it; a missing account, a locked one and a wrong code are
    /// refused alike, after the same digest comparison.
    fn opened<'i>(
        inner: &'i Inner,
        account: &str,
        code: &AccessCode,
    ) -> Result<&'i Account, BankError> {
        let found = inner.state.accounts.get(account);
        let digest = found
            .and_then(|a| a.access)
            .unwrap_or_else(AccessDigest::nothing);
        let opens = digest.opens_with(code);
        match found {
            Some(a) if opens => Ok(a),
            _ => Err(BankError::UnknownAccount(account.to_owned())),
        }
    }

    /// What the bank holds for the hall.
    pub fn clearing_balance(&self) -> i64 {
        self.lock().state.clearing_fen
    }

    /// A payer's transfer to a sub-account: debits the payer, credits the hall's clearing account,
    /// books the statement line and queues the signed notification.
    /// Only the holder of the payer account's access code can make it.
    pub fn transfer(
        &self,
        from_account: &str,
        code: &AccessCode,
        to_sub_account: &str,
        amount_fen: i64,
    ) -> Result<BankTxnId, BankError> {
        check_amount(amount_fen)?;
        if !bank::is_reference(to_sub_account) {
            return Err(BankError::InvalidField {
                field: "to_sub_account",
                why: "1 to 64 printable ASCII characters without spaces".into(),
            });
        }
        let mut inner = self.lock();
        let payer = &Self::opened(&inner, from_account, code)?.view;
        if payer.balance_fen < amount_fen {
            return Err(BankError::InsufficientFunds {
                balance_fen: payer.balance_fen,
                amount_fen,
            });
        }
        let now = self.now();
        let id = inner.state.next_txn_id(&self.code, now);
        let event = Event::Transferred {
            bank_txn_id: id.clone(),
            from_account: from_account.to_owned(),
            to_sub_account: to_sub_account.to_owned(),
            amount_fen,
            at_ms: now.millis(),
        };
        self.record(&mut inner, event)?;
        Ok(BankTxnId::parse(&id).expect("the bank's own id"))
    }

    /// A refund instruction from the hall (docs/bonds.md §5.2), signed like a notification. Paid
    /// once: the same instruction again gets the same answer; other terms under its id are refused.
    pub fn refund(
        &self,
        timestamp: &str,
        signature: &str,
        body: &[u8],
    ) -> Result<RefundAccepted, BankError> {
        let now = self.now();
        check_signed(&self.secret, timestamp, signature, body, now)?;
        let r: RefundInstruction =
            serde_json::from_slice(body).map_err(|e| bank::NotificationError::Malformed {
                what: format!("the body is not a refund instruction: {e}"),
            })?;
        check_amount(r.amount_fen)?;
        if !bank::is_reference(&r.to_account) {
            return Err(BankError::InvalidField {
                field: "to_account",
                why: "1 to 64 printable ASCII characters without spaces".into(),
            });
        }
        let to_name = field("to_name", &r.to_name, 200)?;
        let accepted = RefundAccepted {
            instruction_id: r.instruction_id.as_str().to_owned(),
            status: "accepted",
        };
        let mut inner = self.lock();
        if let Some(first) = inner.state.refunds.get(r.instruction_id.as_str()) {
            if first.amount_fen == r.amount_fen && first.to_account == r.to_account {
                return Ok(accepted);
            }
            return Err(BankError::Conflicting(r.instruction_id.as_str().to_owned()));
        }
        if inner.state.clearing_fen < r.amount_fen {
            return Err(BankError::InsufficientFunds {
                balance_fen: inner.state.clearing_fen,
                amount_fen: r.amount_fen,
            });
        }
        let id = inner.state.next_txn_id(&self.code, now);
        let event = Event::RefundPaid {
            bank_txn_id: id,
            instruction_id: r.instruction_id.as_str().to_owned(),
            to_account: r.to_account,
            to_name,
            amount_fen: r.amount_fen,
            at_ms: now.millis(),
        };
        self.record(&mut inner, event)?;
        Ok(accepted)
    }

    /// The day's statement of the clearing account (docs/bonds.md §5.3).
    pub fn statement(&self, date: StatementDate) -> Statement {
        let inner = self.lock();
        let before: i128 = inner
            .state
            .lines
            .iter()
            .filter(|l| l.value_time < date.start())
            .map(StatementLine::signed)
            .sum();
        let lines: Vec<StatementLine> = inner
            .state
            .lines
            .iter()
            .filter(|l| date.contains(l.value_time))
            .cloned()
            .collect();
        let during: i128 = lines.iter().map(StatementLine::signed).sum();
        let money = |fen: i128| {
            Money::from_fen(fen as i64).expect("the clearing account never goes negative")
        };
        Statement::new(
            self.code.clone(),
            date,
            money(before),
            lines,
            money(before + during),
        )
        .expect("the bank's own lines add up")
    }

    /// A signed request for a statement: checked over the empty body.
    pub fn signed_statement(
        &self,
        timestamp: &str,
        signature: &str,
        date: &str,
    ) -> Result<Statement, BankError> {
        check_signed(&self.secret, timestamp, signature, b"", self.now())?;
        let date = StatementDate::parse(date).map_err(|e| BankError::InvalidField {
            field: "date",
            why: e.message,
        })?;
        Ok(self.statement(date))
    }

    /// Signs a message the bank sends: `(timestamp, signature)` for the headers.
    pub fn sign(&self, body: &[u8]) -> (i64, String) {
        let ts = self.now().millis().div_euclid(1000);
        (ts, bank::sign(&self.secret, ts, body))
    }

    /// The queued messages due at `now`, oldest first.
    pub fn due(&self, now: Timestamp) -> Vec<Queued> {
        self.lock()
            .state
            .queue
            .values()
            .filter(|q| q.due <= now)
            .cloned()
            .collect()
    }

    /// Every message still waiting for the hall's final answer.
    pub fn pending(&self) -> Vec<Queued> {
        self.lock().state.queue.values().cloned().collect()
    }

    /// The hall's final answer to a message, if it gave one.
    pub fn settlement(&self, bank_txn_id: &str) -> Option<(u16, String)> {
        self.lock().state.settled.get(bank_txn_id).cloned()
    }

    fn settle(&self, bank_txn_id: &str, status: u16, answer: String) -> Result<(), BankError> {
        let mut inner = self.lock();
        if !inner.state.queue.contains_key(bank_txn_id) {
            return Ok(());
        }
        let event = Event::Settled {
            bank_txn_id: bank_txn_id.to_owned(),
            status,
            answer,
        };
        self.record(&mut inner, event)
    }

    /// No final answer yet: try again after the backoff for this many attempts.
    fn retry_later(&self, bank_txn_id: &str, now: Timestamp) {
        let mut inner = self.lock();
        if let Some(q) = inner.state.queue.get_mut(bank_txn_id) {
            q.attempts += 1;
            q.due = now.plus_millis(backoff_ms(q.attempts));
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
