//! Bid bonds (投标保证金) on record for a tender. Until bonds arrive through the bank's signed
//! notifications, the trading centre's finance desk records each bond it has received; the
//! opening's bond check reads only these records. `ledger` and `bank` are the pure core of bonds
//! deposited online: the double-entry ledger and the bank's signed notifications (docs/bonds.md).

pub mod adapter;
pub mod bank;
pub mod directory;
pub mod guarantee;
pub mod ledger;
#[cfg(test)]
mod ledger_tests;
pub mod movements;
pub mod reconcile;
pub mod service;
pub mod statement;

pub use bank::{BankCode, BankTxnId, Notification, NotificationError, SubAccount, SubAccountError};
pub use ledger::{
    Account, Bond, Ground, IdempotencyKey, Ledger, LedgerError, SuspenseReason, Transaction,
    TransactionError,
};
pub use movements::{ExpectedBond, RefundDue, RefundEvent};

use crate::domain::{Money, OrgId, TenderId, Timestamp};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct BondReceipt {
    pub id: String,
    #[schema(value_type = String)]
    pub tender_id: TenderId,
    pub lot_id: String,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = i64)]
    pub amount_fen: Money,
    /// The bank's or the desk's reference; one record per reference and tender.
    pub reference: String,
    pub recorded_by: String,
    #[schema(value_type = String)]
    pub received_at: Timestamp,
}

/// A bid's bond as the opening announces it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BondStatus {
    NotRequired,
    Received,
    Missing,
}

impl BondStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BondStatus::NotRequired => "not_required",
            BondStatus::Received => "received",
            BondStatus::Missing => "missing",
        }
    }

    /// The bond counts as received when what is on record for the tenderer and lot reaches the
    /// lot's required amount.
    pub fn of(required: Money, lot: &str, org: &OrgId, receipts: &[BondReceipt]) -> Self {
        if required.fen() == 0 {
            return BondStatus::NotRequired;
        }
        let paid: i64 = receipts
            .iter()
            .filter(|r| r.lot_id == lot && &r.org_id == org)
            .map(|r| r.amount_fen.fen())
            .sum();
        if paid >= required.fen() {
            BondStatus::Received
        } else {
            BondStatus::Missing
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(lot: &str, org: &str, fen: i64) -> BondReceipt {
        BondReceipt {
            id: "r".into(),
            tender_id: TenderId::from_stored("t".into()),
            lot_id: lot.into(),
            org_id: OrgId::from_stored(org.into()),
            amount_fen: Money::from_fen(fen).unwrap(),
            reference: "x".into(),
            recorded_by: "platform".into(),
            received_at: Timestamp::from_stored(0),
        }
    }

    #[test]
    fn a_bond_is_received_only_when_the_lot_s_amount_is_reached_by_that_tenderer() {
        let a = OrgId::from_stored("a".into());
        let need = Money::from_fen(10_000).unwrap();
        let rs = vec![
            receipt("L1", "a", 6_000),
            receipt("L2", "a", 9_000),
            receipt("L1", "b", 9_000),
        ];
        assert_eq!(BondStatus::of(need, "L1", &a, &rs), BondStatus::Missing);
        let mut rs = rs;
        rs.push(receipt("L1", "a", 4_000));
        assert_eq!(BondStatus::of(need, "L1", &a, &rs), BondStatus::Received);
        assert_eq!(
            BondStatus::of(Money::ZERO, "L1", &a, &[]),
            BondStatus::NotRequired
        );
    }
}
