//! Reconciliation against hand-built ledgers: a clean day, and each kind of difference.

use super::*;
use crate::bonds::bank::Notification;
use crate::bonds::ledger::{Bond, RefundInstructionId};
use crate::bonds::movements::{deposit, instruct_refund, refund_paid, ExpectedBond, RefundOf};
use crate::bonds::statement::StatementLine;
use crate::domain::{LotId, OrgId, TenderId};

fn sbx() -> BankCode {
    BankCode::parse("SBX").unwrap()
}
fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}
fn fen(n: i64) -> Money {
    Money::from_fen(n).unwrap()
}
fn txn(s: &str) -> BankTxnId {
    BankTxnId::parse(s).unwrap()
}
fn bond(o: u8) -> Bond {
    Bond::Bid {
        tender: TenderId::from_stored("tender-1".into()),
        lot: LotId::from_stored("lot-1".into()),
        tenderer: OrgId::from_stored(format!("org-{o}")),
    }
}
const SUB: &str = "8801089892966438763";

fn pay(ledger: &mut Ledger, id: &str, o: u8, amount: i64, when: &str) {
    let n = Notification::new(
        txn(id),
        SUB.into(),
        amount,
        "某公司".into(),
        "6222000011112222".into(),
        at(when),
    )
    .unwrap();
    let expected = [ExpectedBond {
        bond: bond(o),
        required: fen(amount),
        due_by: at("2027-04-01T00:00:00Z"),
    }];
    deposit(ledger, &sbx(), &n, &expected).unwrap();
}

fn refund(ledger: &mut Ledger, instruction: &str, o: u8, paid_txn: &str, when: &str) {
    let i = RefundInstructionId::parse(instruction).unwrap();
    let t = instruct_refund(ledger, i.clone(), at(when), &RefundOf::Bond(bond(o))).unwrap();
    let amount = t.postings()[0].amount();
    refund_paid(ledger, &sbx(), txn(paid_txn), i, amount, at(when)).unwrap();
}

fn credit(id: &str, amount: i64, when: &str) -> StatementLine {
    StatementLine {
        bank_txn_id: txn(id),
        amount: fen(amount),
        value_time: at(when),
        reference: LineRef::Credit {
            sub_account: SUB.into(),
        },
    }
}

fn debit(id: &str, instruction: &str, amount: i64, when: &str) -> StatementLine {
    StatementLine {
        bank_txn_id: txn(id),
        amount: fen(amount),
        value_time: at(when),
        reference: LineRef::Debit {
            instruction_id: RefundInstructionId::parse(instruction).unwrap(),
        },
    }
}

fn statement(date: &str, opening: i64, lines: Vec<StatementLine>) -> Statement {
    let closing = opening + lines.iter().map(|l| l.signed() as i64).sum::<i64>();
    Statement::new(
        sbx(),
        StatementDate::parse(date).unwrap(),
        fen(opening),
        lines,
        fen(closing),
    )
    .unwrap()
}

/// Day 1: two bonds paid. Day 2: one refunded.
fn two_days() -> Ledger {
    let mut l = Ledger::new();
    pay(&mut l, "SBX1", 1, 2_000_000, "2027-03-01T02:00:00Z");
    pay(&mut l, "SBX2", 2, 500_000, "2027-03-01T23:59:59Z");
    refund(&mut l, "R1", 1, "SBX3", "2027-03-02T08:00:00Z");
    l
}

#[test]
fn a_statement_that_agrees_with_the_ledger_has_no_difference() {
    let l = two_days();
    let day1 = statement(
        "2027-03-01",
        0,
        vec![
            credit("SBX1", 2_000_000, "2027-03-01T02:00:00Z"),
            credit("SBX2", 500_000, "2027-03-01T23:59:59Z"),
        ],
    );
    let r = reconcile(&day1, &l);
    assert!(r.is_clean(), "{r:?}");
    assert_eq!(r.matched, 2);
    let day2 = statement(
        "2027-03-02",
        2_500_000,
        vec![debit("SBX3", "R1", 2_000_000, "2027-03-02T08:00:00Z")],
    );
    let r = reconcile(&day2, &l);
    assert!(r.is_clean(), "{r:?}");
    assert!(reconcile_report(&day2, &l).contains("1 matched, 0 difference(s)"));
}

#[test]
fn a_line_the_ledger_lacks_is_listed_with_the_balance_it_leaves_apart() {
    let l = two_days();
    let day1 = statement(
        "2027-03-01",
        0,
        vec![
            credit("SBX1", 2_000_000, "2027-03-01T02:00:00Z"),
            credit("SBX2", 500_000, "2027-03-01T23:59:59Z"),
            credit("SBX9", 700, "2027-03-01T12:00:00Z"),
        ],
    );
    let r = reconcile(&day1, &l);
    let codes: Vec<&str> = r.differences.iter().map(Difference::code).collect();
    assert_eq!(codes, ["missing_in_ledger", "closing_balance_differs"]);
    assert_eq!(
        r.differences[1],
        Difference::ClosingBalanceDiffers {
            statement_fen: 2_500_700,
            ledger_fen: 2_500_000
        }
    );
    let report = reconcile_report(&day1, &l);
    assert!(report.contains("missing_in_ledger SBX9"), "{report}");
}

#[test]
fn a_ledger_transaction_the_statement_lacks_is_listed() {
    let l = two_days();
    let day1 = statement(
        "2027-03-01",
        0,
        vec![credit("SBX1", 2_000_000, "2027-03-01T02:00:00Z")],
    );
    let r = reconcile(&day1, &l);
    assert_eq!(
        r.differences,
        vec![
            Difference::MissingInStatement {
                bank_txn_id: txn("SBX2"),
                direction: Direction::Credit,
                amount_fen: 500_000,
                at: at("2027-03-01T23:59:59Z"),
            },
            Difference::ClosingBalanceDiffers {
                statement_fen: 2_000_000,
                ledger_fen: 2_500_000
            }
        ]
    );
}

#[test]
fn an_amount_direction_reference_or_day_that_differs_is_listed() {
    let l = two_days();
    // The bank booked SBX2 for 400 000 fen and a day late; the refund as a credit to another
    // sub-account (both balances then disagree too).
    let day2 = statement(
        "2027-03-02",
        2_500_000,
        vec![
            credit("SBX2", 400_000, "2027-03-02T00:00:01Z"),
            StatementLine {
                reference: LineRef::Credit {
                    sub_account: "8801000000000000000".into(),
                },
                ..credit("SBX3", 2_000_000, "2027-03-02T08:00:00Z")
            },
        ],
    );
    let r = reconcile(&day2, &l);
    let codes: Vec<&str> = r.differences.iter().map(Difference::code).collect();
    assert_eq!(
        codes,
        [
            "amount_differs",
            "day_differs",
            "direction_differs",
            "reference_differs",
            "closing_balance_differs"
        ],
        "{r:?}"
    );
    assert_eq!(r.matched, 0);
}

#[test]
fn an_opening_balance_that_differs_is_listed() {
    let l = two_days();
    let day2 = statement(
        "2027-03-02",
        2_000_000,
        vec![debit("SBX3", "R1", 2_000_000, "2027-03-02T08:00:00Z")],
    );
    let r = reconcile(&day2, &l);
    let codes: Vec<&str> = r.differences.iter().map(Difference::code).collect();
    assert_eq!(
        codes,
        ["opening_balance_differs", "closing_balance_differs"]
    );
}

#[test]
fn another_bank_s_transactions_are_not_this_statement_s_business() {
    let l = two_days();
    let other = Statement::new(
        BankCode::parse("ICBC").unwrap(),
        StatementDate::parse("2027-03-01").unwrap(),
        Money::ZERO,
        vec![],
        Money::ZERO,
    )
    .unwrap();
    assert!(reconcile(&other, &l).is_clean());
}
