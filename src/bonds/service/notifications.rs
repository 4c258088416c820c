//! The bank's signed notifications taken into the ledger: a receipt matched to its bond or held
//! in suspense with its reason, and a refund's payment confirmed (docs/bonds.md).

use super::*;

/// What the hall answers a bank (docs/bonds.md §5.1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Recorded,
    Flagged { reason: String },
    Duplicate,
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
