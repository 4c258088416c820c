//! The award and what follows it: an hour after the publicity ends the owner issues each lot's
//! award notice (中标通知书); the next day the winner pays its performance bond at the sandbox bank;
//! the owner records the contract (法46) and every bid bond goes back through the bank (条例57);
//! later the owner records the contract performed and the performance bond goes back too.

use super::{Hall, Life};
use crate::award::service::{issue_notice, record_contract, ContractInput};
use crate::bonds::service::performance_completed;
use crate::demo::fixture::bad;
use crate::demo::past::hours;
use crate::domain::{OrgId, Timestamp, DAY_MS};
use crate::server::StartError;

pub(super) async fn run(hall: &Hall, life: &Life<'_>, until: Timestamp) -> Result<(), StartError> {
    let t = &life.tender;
    let contract = life
        .fx
        .contract
        .as_ref()
        .ok_or_else(|| bad(format!("{}: an awarded tender names its contract", t.id)))?;
    let owner = life.owner(&hall.people)?;
    let document_sha256 = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        contract.document.as_bytes(),
    ));
    let notice_at = until.plus_millis(hours(1));
    let signed_at = notice_at.plus_millis(contract.days_after_notice * DAY_MS);
    let performed_at = signed_at.plus_millis(contract.performed_days_after_contract * DAY_MS);
    for lot in &t.spec.lots {
        let lot_id = Some(lot.id.as_str());
        let app = hall.past.at(notice_at)?;
        let notice = issue_notice(app, &owner, &t.id, lot_id)
            .await
            .map_err(|e| bad(format!("{}: the award notice: {e}", t.id)))?;
        let winner = hall.people.acting_for(&OrgId::from_stored(
            notice["org_id"].as_str().unwrap_or_default().to_owned(),
        ))?;
        let performance = notice["performance_bond_fen"].as_i64().unwrap_or(0);
        if performance > 0 {
            let app = hall.past.at(notice_at.plus_millis(DAY_MS))?;
            hall.bank.pay(app, &winner, &t.id, &[performance]).await?;
        }
        let app = hall.past.at(signed_at)?;
        let input = ContractInput {
            price_fen: notice["price_fen"].as_i64().unwrap_or_default(),
            document_sha256: document_sha256.clone(),
            lot_id: lot_id.map(str::to_owned),
        };
        record_contract(app, &owner, &t.id, input)
            .await
            .map_err(|e| bad(format!("{}: the contract: {e}", t.id)))?;
        // What the contract asks of the bonds is written with it and delivered right after; the
        // dispatcher's round finds it done (or does it), then the bank pays.
        crate::reactions::dispatch::dispatch_due(app)
            .await
            .map_err(bad)?;
        hall.bank.settle(app).await?;
        let app = hall.past.at(performed_at)?;
        performance_completed(app, &owner, &t.id, lot_id)
            .await
            .map_err(|e| bad(format!("{}: the performance: {e}", t.id)))?;
        hall.bank.settle(app).await?;
    }
    Ok(())
}
