//! Reconciliation: a bank's daily statement against the ledger, listing every difference and never
//! correcting either side. Pure; the rule for which ledger transactions belong to a day is in
//! docs/sandbox-bank.md ("Reconciliation").

use super::bank::{BankCode, BankTxnId};
use super::ledger::{Account, IdempotencyKey, Ledger, Side, Transaction};
use super::statement::{Direction, LineRef, Statement, StatementDate, StatementLine};
use crate::domain::{Money, Timestamp};
use serde::Serialize;
use std::fmt::Write;

/// One way the statement and the ledger disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Difference {
    /// The bank booked a movement the ledger has no transaction for.
    MissingInLedger {
        bank_txn_id: BankTxnId,
        direction: Direction,
        amount_fen: i64,
    },
    /// The ledger has a movement of the clearing account on this day that the statement lacks.
    MissingInStatement {
        bank_txn_id: BankTxnId,
        direction: Direction,
        amount_fen: i64,
        at: Timestamp,
    },
    AmountDiffers {
        bank_txn_id: BankTxnId,
        statement_fen: i64,
        ledger_fen: i64,
    },
    DirectionDiffers {
        bank_txn_id: BankTxnId,
        statement: Direction,
        ledger: Direction,
    },
    /// Matched, but the ledger dates it on another day.
    DayDiffers {
        bank_txn_id: BankTxnId,
        statement: Timestamp,
        ledger: Timestamp,
    },
    /// Matched, but to a different sub-account or refund instruction.
    ReferenceDiffers {
        bank_txn_id: BankTxnId,
        statement: String,
        ledger: String,
    },
    /// The clearing account's balance at the day's start differs from the bank's.
    OpeningBalanceDiffers {
        statement_fen: i64,
        ledger_fen: i128,
    },
    /// The clearing account's balance at the day's end differs from the bank's.
    ClosingBalanceDiffers {
        statement_fen: i64,
        ledger_fen: i128,
    },
}

impl Difference {
    pub fn code(&self) -> &'static str {
        match self {
            Difference::MissingInLedger { .. } => "missing_in_ledger",
            Difference::MissingInStatement { .. } => "missing_in_statement",
            Difference::AmountDiffers { .. } => "amount_differs",
            Difference::DirectionDiffers { .. } => "direction_differs",
            Difference::DayDiffers { .. } => "day_differs",
            Difference::ReferenceDiffers { .. } => "reference_differs",
            Difference::OpeningBalanceDiffers { .. } => "opening_balance_differs",
            Difference::ClosingBalanceDiffers { .. } => "closing_balance_differs",
        }
    }
}

/// The outcome: how many lines matched exactly, and every difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reconciliation {
    pub bank: BankCode,
    pub date: StatementDate,
    pub matched: usize,
    pub differences: Vec<Difference>,
}

impl Reconciliation {
    pub fn is_clean(&self) -> bool {
        self.differences.is_empty()
    }
}

/// The clearing-account posting of a ledger transaction: its direction as the bank books it
/// (a ledger debit of the clearing asset is the bank's credit to the hall) and its amount.
fn clearing_leg(t: &Transaction, bank: &BankCode) -> Option<(Direction, Money)> {
    let clearing = Account::Clearing { bank: bank.clone() };
    t.postings()
        .iter()
        .find(|p| *p.account() == clearing)
        .map(|p| {
            let dir = match p.side() {
                Side::Debit => Direction::Credit,
                Side::Credit => Direction::Debit,
            };
            (dir, p.amount())
        })
}

/// The clearing account's balance from every transaction dated before `before`.
fn clearing_balance_before(ledger: &Ledger, bank: &BankCode, before: Timestamp) -> i128 {
    ledger
        .transactions()
        .iter()
        .filter(|t| t.at() < before)
        .filter_map(|t| clearing_leg(t, bank))
        .map(|(dir, amount)| match dir {
            Direction::Credit => amount.fen() as i128,
            Direction::Debit => -(amount.fen() as i128),
        })
        .sum()
}

fn ledger_reference(t: &Transaction) -> Option<String> {
    use super::ledger::Memo;
    match t.memo() {
        Memo::BondReceived { sub_account, .. } | Memo::Unidentified { sub_account, .. } => {
            Some(sub_account.clone())
        }
        Memo::RefundPaid { instruction } => Some(instruction.as_str().to_owned()),
        _ => None,
    }
}

fn line_reference(l: &StatementLine) -> String {
    match &l.reference {
        LineRef::Credit { sub_account } => sub_account.clone(),
        LineRef::Debit { instruction_id } => instruction_id.as_str().to_owned(),
    }
}

/// Compares one day's statement with the ledger. A line matches the ledger transaction keyed by
/// the same (bank, bank transaction id), whatever its date; a ledger transaction belongs to the
/// day when its time (`at`: the bank's value time for a deposit or a refund paid) falls in it.
pub fn reconcile(statement: &Statement, ledger: &Ledger) -> Reconciliation {
    let bank = statement.bank();
    let date = statement.date();
    let mut differences = Vec::new();
    let mut matched = 0;
    let opening = clearing_balance_before(ledger, bank, date.start());
    if opening != statement.opening().fen() as i128 {
        differences.push(Difference::OpeningBalanceDiffers {
            statement_fen: statement.opening().fen(),
            ledger_fen: opening,
        });
    }
    for line in statement.lines() {
        let key = IdempotencyKey::Bank {
            bank: bank.clone(),
            txn: line.bank_txn_id.clone(),
        };
        let id = || line.bank_txn_id.clone();
        let Some((t, (dir, amount))) = ledger
            .get(&key)
            .and_then(|t| clearing_leg(t, bank).map(|leg| (t, leg)))
        else {
            differences.push(Difference::MissingInLedger {
                bank_txn_id: id(),
                direction: line.direction(),
                amount_fen: line.amount.fen(),
            });
            continue;
        };
        let before = differences.len();
        if dir != line.direction() {
            differences.push(Difference::DirectionDiffers {
                bank_txn_id: id(),
                statement: line.direction(),
                ledger: dir,
            });
        }
        if amount != line.amount {
            differences.push(Difference::AmountDiffers {
                bank_txn_id: id(),
                statement_fen: line.amount.fen(),
                ledger_fen: amount.fen(),
            });
        }
        if !date.contains(t.at()) {
            differences.push(Difference::DayDiffers {
                bank_txn_id: id(),
                statement: line.value_time,
                ledger: t.at(),
            });
        }
        if let Some(r) = ledger_reference(t) {
            if r != line_reference(line) {
                differences.push(Difference::ReferenceDiffers {
                    bank_txn_id: id(),
                    statement: line_reference(line),
                    ledger: r,
                });
            }
        }
        if differences.len() == before {
            matched += 1;
        }
    }
    for t in ledger
        .transactions()
        .iter()
        .filter(|t| date.contains(t.at()))
    {
        let IdempotencyKey::Bank { bank: b, txn } = t.key() else {
            continue;
        };
        if b != bank || statement.lines().iter().any(|l| &l.bank_txn_id == txn) {
            continue;
        }
        if let Some((dir, amount)) = clearing_leg(t, bank) {
            differences.push(Difference::MissingInStatement {
                bank_txn_id: txn.clone(),
                direction: dir,
                amount_fen: amount.fen(),
                at: t.at(),
            });
        }
    }
    let closing = clearing_balance_before(ledger, bank, date.end());
    if closing != statement.closing().fen() as i128 {
        differences.push(Difference::ClosingBalanceDiffers {
            statement_fen: statement.closing().fen(),
            ledger_fen: closing,
        });
    }
    Reconciliation {
        bank: bank.clone(),
        date,
        matched,
        differences,
    }
}

/// The report `bidhall reconcile STATEMENT` prints: a summary line, then one line per difference.
pub fn reconcile_report(statement: &Statement, ledger: &Ledger) -> String {
    let r = reconcile(statement, ledger);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "bank {} {}: {} line(s), {} matched, {} difference(s)",
        r.bank.as_str(),
        r.date,
        statement.lines().len(),
        r.matched,
        r.differences.len()
    );
    for d in &r.differences {
        let _ = match d {
            Difference::MissingInLedger {
                bank_txn_id,
                direction,
                amount_fen,
            } => writeln!(
                out,
                "missing_in_ledger {}: the bank booked a {} of {amount_fen} fen the ledger lacks",
                bank_txn_id.as_str(),
                direction.as_str()
            ),
            Difference::MissingInStatement {
                bank_txn_id,
                direction,
                amount_fen,
                at,
            } => writeln!(
                out,
                "missing_in_statement {}: the ledger has a {} of {amount_fen} fen at {at} the statement lacks",
                bank_txn_id.as_str(),
                direction.as_str()
            ),
            Difference::AmountDiffers {
                bank_txn_id,
                statement_fen,
                ledger_fen,
            } => writeln!(
                out,
                "amount_differs {}: statement {statement_fen} fen, ledger {ledger_fen} fen",
                bank_txn_id.as_str()
            ),
            Difference::DirectionDiffers {
                bank_txn_id,
                statement,
                ledger,
            } => writeln!(
                out,
                "direction_differs {}: statement {}, ledger {}",
                bank_txn_id.as_str(),
                statement.as_str(),
                ledger.as_str()
            ),
            Difference::DayDiffers {
                bank_txn_id,
                statement,
                ledger,
            } => writeln!(
                out,
                "day_differs {}: statement {statement}, ledger {ledger}",
                bank_txn_id.as_str()
            ),
            Difference::ReferenceDiffers {
                bank_txn_id,
                statement,
                ledger,
            } => writeln!(
                out,
                "reference_differs {}: statement {statement}, ledger {ledger}",
                bank_txn_id.as_str()
            ),
            Difference::OpeningBalanceDiffers {
                statement_fen,
                ledger_fen,
            } => writeln!(
                out,
                "opening_balance_differs: statement {statement_fen} fen, ledger {ledger_fen} fen"
            ),
            Difference::ClosingBalanceDiffers {
                statement_fen,
                ledger_fen,
            } => writeln!(
                out,
                "closing_balance_differs: statement {statement_fen} fen, ledger {ledger_fen} fen"
            ),
        };
    }
    out
}

#[cfg(test)]
#[path = "reconcile_tests.rs"]
mod tests;
