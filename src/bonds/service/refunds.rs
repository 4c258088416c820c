//! Refunds on the law's dates (条例57, 条例31, 条例44, 条例58 …) and forfeiture on its grounds,
//! each checked against what happened (docs/bonds.md).

use super::*;

/// The instruction id of the refund of everything an account holds: derived from the account,
/// so scheduling the same refund twice instructs it once.
pub fn instruction_for(account: &Account) -> RefundInstructionId {
    let key = serde_json::to_vec(account).unwrap_or_default();
    let digest = ring::digest::digest(&ring::digest::SHA256, &key);
    RefundInstructionId::parse(&format!("RF{}", &hex::encode(digest.as_ref())[..30]))
        .expect("an RF id of hex digits is a valid instruction id")
}

/// Instructs the refund of what `of` holds in the pair's ledger, with its outbox row, once.
/// `Ok(None)` when nothing is held (never paid, already refunded or forfeited).
async fn instruct(
    app: &AppState,
    scope: Option<(TenderId, OrgId)>,
    of: RefundOf,
    due: RefundDue,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let id = instruction_for(&of.account());
    for attempt in 0..ATTEMPTS {
        pause(attempt).await;
        let (mut ledger, after) = match &scope {
            Some((t, o)) => {
                let (stored, after) = app.store.ledger_scope(t, o).await?;
                (rebuild(&stored)?, after)
            }
            None => (rebuild(&app.store.ledger_transactions(None).await?)?, 0),
        };
        let now = app.clock.now();
        let t = match movements::instruct_refund(&mut ledger, id.clone(), now, &of) {
            Ok(t) => t.clone(),
            Err(RefundError::Duplicate { .. }) | Err(RefundError::NothingHeld { .. }) => {
                return Ok(None)
            }
            Err(e) => return Err(BondsError::Refund(e)),
        };
        let Memo::RefundInstructed { bank, to, .. } = t.memo().clone() else {
            return Err(corrupt("a refund that is not instructed"));
        };
        let amount = t.postings()[0].amount();
        let facts = json!({ "instruction_id": id, "bank": bank, "amount_fen": amount.fen(),
                            "due_by": due.due, "article": due.article });
        // A refund before the opening (a withdrawn bid's bond) would say that someone bid.
        let audit = match &scope {
            Some((tender, _)) => AuditEvent::about_a_tenderer(
                "refund_instructed",
                tender,
                deadline_of(app, tender).await?,
                AuditActor::System,
                now,
                facts,
            ),
            None => AuditEvent::new("refund_instructed", None, AuditActor::System, now, facts),
        };
        let w = LedgerWrite {
            scope: scope.clone(),
            after,
            transaction: t,
            note: None,
            notification: None,
            refund: Some(RefundRow {
                instruction: id.clone(),
                tender: scope.as_ref().map(|(t, _)| t.clone()),
                tenderer: scope.as_ref().map(|(_, o)| o.clone()),
                bank,
                to_account: to.account,
                to_name: to.name,
                amount,
                due_by: due.due,
                article: due.article.to_owned(),
                state: "pending".into(),
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                created_at: now,
            }),
            paid: None,
            audit,
            reactions: Vec::new(),
        };
        match app.store.write_ledger(w).await {
            Ok(_) => return Ok(Some(id)),
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}

/// What a tender's ledger holds that goes back when a lot's award ends (its contract, or its
/// failure): the lot's bid bonds (every lot's with `None`) and every receipt flagged on the
/// tender (performance bonds stay until the contract is performed).
fn refundable(ledger: &Ledger, lot: Option<&str>) -> Vec<RefundOf> {
    ledger
        .balances()
        .into_iter()
        .filter(|(_, balance)| *balance > 0)
        .filter_map(|(account, _)| match account {
            Account::BidBond {
                tender,
                lot: of,
                tenderer,
            } if lot.is_none_or(|l| l == of.as_str()) => Some(RefundOf::Bond(Bond::Bid {
                tender,
                lot: of,
                tenderer,
            })),
            Account::Suspense { bank, bank_txn } => Some(RefundOf::Unidentified {
                bank,
                txn: bank_txn,
            }),
            _ => None,
        })
        .collect()
}

/// A lot's written contract was signed (条例 第五十七条): every tenderer's bid bond for the lot,
/// the winner's included, and every receipt flagged on the tender go back within 5 days. `None`
/// (a tender whose award predates lots): every lot's. Returns the instructions made now (none
/// for what was already instructed).
pub async fn contract_signed(
    app: &AppState,
    id: &TenderId,
    lot: Option<&str>,
    at: Timestamp,
) -> Result<Vec<RefundInstructionId>, BondsError> {
    let due = movements::refund_due(RefundEvent::ContractSigned { at }).map_err(corrupt)?;
    refund_lot(app, id, lot, due).await
}

/// A lot (or with `None` the whole tender) failed or was terminated: its bid bonds go back
/// (条例 第三十一条).
pub async fn lot_failed(
    app: &AppState,
    id: &TenderId,
    lot: Option<&str>,
    at: Timestamp,
) -> Result<Vec<RefundInstructionId>, BondsError> {
    let due = movements::refund_due(RefundEvent::Failed { at }).map_err(corrupt)?;
    refund_lot(app, id, lot, due).await
}

async fn refund_lot(
    app: &AppState,
    id: &TenderId,
    lot: Option<&str>,
    due: RefundDue,
) -> Result<Vec<RefundInstructionId>, BondsError> {
    let stored = app.store.ledger_transactions(Some(id)).await?;
    let ledger = rebuild(&stored)?;
    // Flagged receipts carry their pair on the stored row, not in the account.
    let pair_of_suspense: BTreeMap<String, OrgId> = stored
        .iter()
        .filter(|s| matches!(s.transaction.memo(), Memo::Unidentified { .. }))
        .filter_map(|s| {
            let acct = s
                .transaction
                .postings()
                .iter()
                .find(|p| matches!(p.account(), Account::Suspense { .. }))?;
            Some((
                serde_json::to_string(acct.account()).ok()?,
                s.tenderer.clone()?,
            ))
        })
        .collect();
    let mut made = Vec::new();
    for of in refundable(&ledger, lot) {
        let tenderer = match &of {
            RefundOf::Bond(b) => b.tenderer().clone(),
            RefundOf::Unidentified { .. } => {
                let key = serde_json::to_string(&of.account()).unwrap_or_default();
                match pair_of_suspense.get(&key) {
                    Some(o) => o.clone(),
                    None => continue,
                }
            }
        };
        if let Some(i) = instruct(app, Some((id.clone(), tenderer)), of, due).await? {
            made.push(i);
        }
    }
    Ok(made)
}

/// The performance bond a winner owes (条例 第五十八条): what every award notice in force to it
/// asks, due by the latest of their contract dates, as the award's state says now. Expected anew
/// on every notice (a winner of a second lot owes the sum); a reaction to each notice.
pub async fn performance_bond_owed(
    app: &AppState,
    tender: &TenderId,
    org: &OrgId,
) -> Result<(), BondsError> {
    let events = app.store.award_events(tender).await?;
    let s = crate::award::state::AwardState::fold(&events).map_err(corrupt)?;
    if let Some((owed, due)) = s.performance_bond_owed(org.as_str()) {
        if let Some(amount) = Money::from_fen(owed).ok().filter(|m| m.fen() > 0) {
            expect_performance_bond(app, tender, org, amount, due).await?;
        }
    }
    Ok(())
}

/// How long the hall gives itself to return money the law sets no date for: a performance bond
/// once the contract is performed (the contract's own terms govern; the hall does not hold it
/// longer), and a receipt that names no tender.
const PROMPT_RETURN_DAYS: i64 = 5;

/// The owner (or its agent) says the contract is performed: the winner's performance bond goes
/// back (its forfeiture is only for non-performance, 法 第六十条). Only after the contract.
pub async fn performance_completed(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(BondsError::Forbidden(
            "the owner or its agent says when the contract is performed",
        ));
    }
    use crate::award::service::AwardError;
    use crate::award::state::Refusal;
    let done = crate::award::service::record_performance(app, actor, id, lot)
        .await
        .map_err(|e| match e {
            AwardError::Refused(Refusal::WrongStage { .. } | Refusal::LotWrongStage { .. }) => {
                BondsError::NoContract
            }
            AwardError::Refused(Refusal::LotRequired) => BondsError::Invalid {
                field: "lot_id",
                value: InvalidValue::new("lot_required", "this tender has several lots: name one"),
            },
            AwardError::Refused(Refusal::NotFound(_)) => BondsError::Invalid {
                field: "lot_id",
                value: InvalidValue::new("unknown_lot", "no such lot in this tender's award"),
            },
            e => corrupt(e),
        })?;
    // One performance bond covers every lot the winner won: it goes back with the last of them.
    if !done.all_of_its_lots {
        return Ok(None);
    }
    let due = RefundDue {
        due: app.clock.now().plus_days(PROMPT_RETURN_DAYS),
        article: "合同履行完毕（履约保证金按合同约定退还）",
    };
    let of = RefundOf::Bond(Bond::Performance {
        tender: id.clone(),
        tenderer: done.org.clone(),
    });
    instruct(app, Some((id.clone(), done.org)), of, due).await
}

/// The trading centre returns a receipt that named no tender (a mistyped or unknown sub-account)
/// to whoever paid it. A receipt flagged on a tender goes back with the tender's bonds instead.
pub async fn refund_unidentified(
    app: &AppState,
    actor: &Actor,
    bank: &str,
    bank_txn_id: &str,
) -> Result<Option<RefundInstructionId>, BondsError> {
    if actor.role != Role::Platform {
        return Err(BondsError::Forbidden(
            "the trading centre returns money that names no tender",
        ));
    }
    let bank = bank_of(app, bank)?.code;
    let txn = BankTxnId::parse(bank_txn_id).map_err(|value| BondsError::Invalid {
        field: "bank_txn_id",
        value,
    })?;
    let stored = app.store.ledger_transactions(None).await?;
    let unscoped = stored.iter().any(|s| {
        s.tenderer.is_none()
            && matches!(s.transaction.key(), crate::bonds::IdempotencyKey::Bank { bank: b, txn: t } if *b == bank && *t == txn)
            && matches!(s.transaction.memo(), Memo::Unidentified { .. })
    });
    if !unscoped {
        return Err(BondsError::NotFound);
    }
    let due = RefundDue {
        due: app.clock.now().plus_days(PROMPT_RETURN_DAYS),
        article: "无法识别的来款，原路退回",
    };
    instruct(app, None, RefundOf::Unidentified { bank, txn }, due).await
}

/// A receipt flagged on a tender (short, over, a second payment, after the deadline…: not a bond)
/// goes back to its payer within 5 days of its arrival; it is no one's bond to hold until the
/// contract. Idempotent: a receipt already refunded is not instructed again.
pub async fn refund_flagged(
    app: &AppState,
    id: &TenderId,
    tenderer: &OrgId,
    bank: &str,
    bank_txn_id: &str,
    at: Timestamp,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let bank = bank_of(app, bank)?.code;
    let txn = BankTxnId::parse(bank_txn_id).map_err(|value| BondsError::Invalid {
        field: "bank_txn_id",
        value,
    })?;
    let due = RefundDue {
        due: at.plus_days(PROMPT_RETURN_DAYS),
        article: "非保证金来款，原路退回",
    };
    instruct(
        app,
        Some((id.clone(), tenderer.clone())),
        RefundOf::Unidentified { bank, txn },
        due,
    )
    .await
}

/// A tenderer withdrew its bid for a lot by written notice before the deadline (条例 第三十五条):
/// that lot's bid bond goes back within 5 days. After the deadline nothing is refunded.
pub async fn refund_withdrawn(
    app: &AppState,
    id: &TenderId,
    tenderer: &OrgId,
    lot: &str,
    at: Timestamp,
) -> Result<Option<RefundInstructionId>, BondsError> {
    let t = tender(app, id).await?;
    let due = match movements::refund_due(RefundEvent::Withdrawn {
        at,
        bid_deadline: t.spec.schedule.bid_deadline,
    }) {
        Ok(due) => due,
        Err(_) => return Ok(None),
    };
    let Some(lot) = t.spec.lots.iter().find(|l| l.id.as_str() == lot) else {
        return Ok(None);
    };
    let bond = Bond::Bid {
        tender: id.clone(),
        lot: lot.id.clone(),
        tenderer: tenderer.clone(),
    };
    instruct(
        app,
        Some((id.clone(), tenderer.clone())),
        RefundOf::Bond(bond),
        due,
    )
    .await
}

/// The owner or agent keeps a bond on one of the law's grounds.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForfeitInput {
    pub tenderer_id: String,
    /// `bid` or `performance`.
    pub bond: String,
    /// For a bid bond: the lot.
    #[serde(default)]
    pub lot_id: Option<String>,
    #[schema(value_type = String)]
    pub ground: Ground,
    /// The decision in the owner's words (at most 500 characters).
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Forfeiture {
    pub decision_id: String,
    pub amount_fen: i64,
    pub ground: &'static str,
    pub article: &'static str,
}

pub async fn forfeit(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: ForfeitInput,
) -> Result<Forfeiture, BondsError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(BondsError::Forbidden(
            "bonds are forfeited by the tender's owner or its agent",
        ));
    }
    let invalid = |field: &'static str, rule: &'static str, msg: &str| BondsError::Invalid {
        field,
        value: InvalidValue::new(rule, msg.to_owned()),
    };
    let reason = input.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(invalid(
            "reason",
            "reason_required",
            "a forfeiture states its reason in 1 to 500 characters",
        ));
    }
    let tenderer = OrgId::parse(&input.tenderer_id).map_err(|e| BondsError::Invalid {
        field: "tenderer_id",
        value: e,
    })?;
    let bond = match (input.bond.as_str(), &input.lot_id) {
        ("bid", Some(lot)) => {
            let lot = t
                .spec
                .lots
                .iter()
                .find(|l| l.id.as_str() == lot)
                .ok_or_else(|| invalid("lot_id", "unknown_lot", "no such lot in this tender"))?;
            Bond::Bid {
                tender: id.clone(),
                lot: lot.id.clone(),
                tenderer: tenderer.clone(),
            }
        }
        ("bid", None) => {
            return Err(invalid(
                "lot_id",
                "missing_field",
                "a bid bond names its lot",
            ))
        }
        ("performance", _) => Bond::Performance {
            tender: id.clone(),
            tenderer: tenderer.clone(),
        },
        _ => {
            return Err(invalid(
                "bond",
                "unknown_bond",
                "bond is bid or performance",
            ))
        }
    };
    // The ground must be a fact of this tender's record, not only a word (docs/bonds.md §4).
    let award = crate::award::state::AwardState::fold(&app.store.award_events(id).await?)
        .map_err(corrupt)?;
    // (A ground that cannot keep this kind of bond is refused below, as not applying.)
    if input.ground.applies_to(&bond) {
        established(input.ground, &bond, &award, &t, app.clock.now()).map_err(|facts| {
            BondsError::Forfeit(ForfeitError::GroundNotEstablished {
                ground: input.ground,
                facts,
            })
        })?;
    }
    let decision = DecisionId::parse(&format!("FD{}", uuid::Uuid::now_v7().simple()))
        .map_err(|e| corrupt(e.message))?;
    for attempt in 0..ATTEMPTS {
        pause(attempt).await;
        let (stored, after) = app.store.ledger_scope(id, &tenderer).await?;
        let mut ledger = rebuild(&stored)?;
        let now = app.clock.now();
        let tx = match movements::forfeit(&mut ledger, decision.clone(), now, &bond, input.ground) {
            Ok(tx) => tx.clone(),
            Err(e) => return Err(BondsError::Forfeit(e)),
        };
        let amount = tx.postings()[0].amount();
        let audit = AuditEvent::new(
            "bond_forfeited",
            Some(id),
            actor.into(),
            now,
            json!({ "decision_id": decision, "tenderer": tenderer, "bond": bond_kind(&bond),
                    "lot": bond_lot(&bond), "amount_fen": amount.fen(), "ground": input.ground,
                    "article": input.ground.article(), "reason": reason }),
        );
        let w = LedgerWrite {
            scope: Some((id.clone(), tenderer.clone())),
            after,
            transaction: tx,
            note: Some(reason.to_owned()),
            notification: None,
            refund: None,
            paid: None,
            audit,
            reactions: Vec::new(),
        };
        match app.store.write_ledger(w).await {
            Ok(_) => {
                return Ok(Forfeiture {
                    decision_id: decision.as_str().to_owned(),
                    amount_fen: amount.fen(),
                    ground: input.ground.code(),
                    article: input.ground.article(),
                })
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}

/// Does the tender's record show the facts `ground` rests on, for this bond? `Err` names them.
///
/// - `revoked_after_deadline` (条例35): the bid deadline has passed;
/// - `refused_to_sign`, `conditions_at_signing` (条例74): the tenderer was issued the lot's award
///   notice (in force, or it declined after it) and no contract for the lot is recorded;
/// - `no_performance_bond` (条例74): a notice in force to the tenderer asks for a performance bond
///   and no contract for the lot is recorded;
/// - `contract_not_performed` (法60): a contract with the tenderer is recorded and not performed.
pub fn established(
    ground: Ground,
    bond: &Bond,
    award: &crate::award::state::AwardState,
    t: &Tender,
    now: Timestamp,
) -> Result<(), &'static str> {
    let org = bond.tenderer().as_str();
    let lot = match bond {
        Bond::Bid { lot, .. } => Some(lot.as_str()),
        Bond::Performance { .. } => None,
    };
    let of_lot = |l: &&crate::award::state::LotAward| lot.is_none_or(|x| x == l.lot_id);
    let notice_to =
        |l: &crate::award::state::LotAward| l.notice.as_ref().is_some_and(|n| n.0.org_id == org);
    // A candidate of the lot that declined: it had the notice, or stood to get it.
    let declined = |l: &crate::award::state::LotAward| {
        l.candidates
            .iter()
            .any(|c| c.org_id == org && award.declined.contains(&c.line))
    };
    let ok = match ground {
        Ground::RevokedAfterDeadline => now >= t.spec.schedule.bid_deadline,
        Ground::RefusedToSign | Ground::ConditionsAtSigning => award
            .lots
            .iter()
            .filter(of_lot)
            .any(|l| (notice_to(l) || declined(l)) && l.contract.is_none()),
        Ground::NoPerformanceBond => award.lots.iter().filter(of_lot).any(|l| {
            l.contract.is_none()
                && l.notice
                    .as_ref()
                    .is_some_and(|n| n.0.org_id == org && n.0.performance_bond_fen.fen() > 0)
        }),
        Ground::ContractNotPerformed => award.lots.iter().any(|l| {
            !l.performed
                && l.contract
                    .as_ref()
                    .is_some_and(|c| c["org_id"].as_str() == Some(org))
        }),
    };
    if ok {
        return Ok(());
    }
    Err(match ground {
        Ground::RevokedAfterDeadline => "the bid deadline to have passed",
        Ground::RefusedToSign | Ground::ConditionsAtSigning => {
            "the lot's award notice issued to this tenderer and no contract signed"
        }
        Ground::NoPerformanceBond => {
            "an award notice to this tenderer asking for a performance bond and no contract signed"
        }
        Ground::ContractNotPerformed => "a contract with this tenderer not yet performed",
    })
}
