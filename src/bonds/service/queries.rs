//! The views of the ledger: a tenderer's own bonds, a tender's, the hall's ledger and its
//! receipts (docs/bonds.md, docs/bond-pages.md).

use super::*;

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
