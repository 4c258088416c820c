//! A tenderer's sub-account and the bonds the hall expects on it: per lot (bid bonds) and after
//! the award notice (the performance bond) (docs/bonds.md).

use super::*;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LotBond {
    pub lot_id: String,
    pub amount_fen: i64,
}

/// How a tenderer pays its bonds for a tender.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayingIn {
    pub bank: String,
    pub sub_account: String,
    pub payee_name: String,
    /// One transfer per lot, of exactly this amount.
    pub lots: Vec<LotBond>,
    /// The bid deadline: money that arrives later is not a bid bond.
    #[schema(value_type = String)]
    pub due_by: Timestamp,
}

/// The bonds a sub-account stands for, in the order a receipt is matched to them.
pub async fn expected_bonds(
    app: &AppState,
    t: &Tender,
    tenderer: &OrgId,
) -> Result<Vec<ExpectedBond>, BondsError> {
    let mut out: Vec<ExpectedBond> = t
        .spec
        .lots
        .iter()
        .filter(|l| l.bid_bond_fen.fen() > 0)
        .map(|l| ExpectedBond {
            bond: Bond::Bid {
                tender: t.id.clone(),
                lot: l.id.clone(),
                tenderer: tenderer.clone(),
            },
            required: l.bid_bond_fen,
            due_by: t.spec.schedule.bid_deadline,
        })
        .collect();
    if let Some((required, due_by)) = app.store.performance_bond_expected(&t.id, tenderer).await? {
        out.push(ExpectedBond {
            bond: Bond::Performance {
                tender: t.id.clone(),
                tenderer: tenderer.clone(),
            },
            required,
            due_by,
        });
    }
    Ok(out)
}

/// What the ledger holds of the winner's performance bond (履约保证金) now: the award's contract
/// step waits until it reaches the amount the award notice set.
pub async fn performance_bond_held(
    app: &AppState,
    tender_id: &TenderId,
    tenderer: &OrgId,
) -> Result<Money, BondsError> {
    let ledger = tender_ledger_of(app, tender_id).await?;
    let bond = Bond::Performance {
        tender: tender_id.clone(),
        tenderer: tenderer.clone(),
    };
    let held = i64::try_from(ledger.balance(&bond.account())).unwrap_or(0);
    Ok(Money::from_fen(held.max(0)).unwrap_or(Money::ZERO))
}

/// The award names the performance bond the winner is to give (≤ 10% of the contract price,
/// 条例 第五十八条, checked by the award), and by when. It is then matched like a bid bond.
pub async fn expect_performance_bond(
    app: &AppState,
    tender_id: &TenderId,
    tenderer: &OrgId,
    amount: Money,
    due_by: Timestamp,
) -> Result<(), BondsError> {
    tender(app, tender_id).await?;
    let audit = AuditEvent::new(
        "performance_bond_expected",
        Some(tender_id),
        AuditActor::System,
        app.clock.now(),
        json!({ "tenderer": tenderer, "amount_fen": amount.fen(), "due_by": due_by }),
    );
    app.store
        .expect_performance_bond(tender_id, tenderer, amount, due_by, &audit)
        .await?;
    Ok(())
}

/// The tenderer's sub-account for the tender, opened on first request at the default bank.
pub async fn sub_account(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<PayingIn, BondsError> {
    if actor.role != Role::Tenderer {
        return Err(BondsError::Forbidden("bonds are paid by tenderers"));
    }
    let t = tender(app, id).await?;
    if app.store.find_obtained(id, &actor.org_id).await?.is_none() {
        return Err(BondsError::NotObtained);
    }
    let row = match app.store.sub_account_of(id, &actor.org_id).await? {
        Some(row) => row,
        None => {
            let bank = app.banks.default_bank().ok_or(BondsError::NoBank)?;
            open(app, &bank, &t, actor).await?
        }
    };
    Ok(PayingIn {
        bank: row.bank.as_str().to_owned(),
        sub_account: row.number,
        payee_name: PAYEE_NAME.to_owned(),
        lots: t
            .spec
            .lots
            .iter()
            .map(|l| LotBond {
                lot_id: l.id.as_str().to_owned(),
                amount_fen: l.bid_bond_fen.fen(),
            })
            .collect(),
        due_by: t.spec.schedule.bid_deadline,
    })
}

async fn open(
    app: &AppState,
    bank: &BankEndpoint,
    t: &Tender,
    who: &Actor,
) -> Result<crate::store::SubAccountRow, BondsError> {
    let tenderer = &who.org_id;
    let secret = app.banks.hall_secret();
    for attempt in 0..ATTEMPTS as u32 {
        let number = SubAccount::derive(secret, &bank.prefix, &t.id, tenderer, attempt);
        let row = crate::store::SubAccountRow {
            tender: t.id.clone(),
            tenderer: tenderer.clone(),
            bank: bank.code.clone(),
            number: number.to_string(),
            attempt: i64::from(attempt),
            opened_at: app.clock.now(),
        };
        // Before the opening the log must not say who, nor for which tender (法 第二十二条).
        let audit = AuditEvent::about_a_tenderer(
            "sub_account_opened",
            &t.id,
            t.spec.schedule.bid_deadline,
            who.into(),
            row.opened_at,
            json!({ "bank": bank.code, "sub_account": row.number }),
        );
        match app.store.open_sub_account(&row, &audit).await {
            Ok(()) => return Ok(row),
            Err(StoreError::Conflict(_)) => {
                // Either this pair got one meanwhile, or the number belongs to another pair.
                if let Some(existing) = app.store.sub_account_of(&t.id, tenderer).await? {
                    return Ok(existing);
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(BondsError::Busy)
}
