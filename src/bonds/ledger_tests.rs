//! The ledger and its movements: every refusal, and a property test against a model of the bank.

use super::bank::*;
use super::ledger::*;
use super::movements::*;
use crate::domain::money::MAX_FEN;
use crate::domain::{LotId, Money, OrgId, TenderId, Timestamp};
use proptest::prelude::*;
use std::collections::HashMap;

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
        let bank_says =
            m.bank_in.get(&sub).copied().unwrap_or(0) - m.bank_out.get(&sub).copied().unwrap_or(0);
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
