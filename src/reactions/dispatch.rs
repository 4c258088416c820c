//! Delivering reactions: claimed from the outbox, done, and marked delivered — or counted, with
//! the error kept, and tried again after a pause that doubles with each failure (30 s, 1 min,
//! 2 min, … at most an hour). A reaction is never given up: the money it moves is owed. The
//! pauses and the claim's lease run on the hall's clock, so tests drive retries by moving it.

use super::{Effect, Reaction};
use crate::app::AppState;
use crate::domain::OrgId;
use crate::store::{StoreError, StoredReaction};

/// How long a claim holds a reaction against other dispatchers; a delivery that outlives it (a
/// crashed node) is claimed again.
pub const LEASE_MS: i64 = 5 * 60 * 1000;
/// Reactions taken per round.
const BATCH: i64 = 100;

/// The pause before the next attempt after the `failures`-th failure (1, 2, …).
pub fn pause_after(failures: i64) -> i64 {
    crate::domain::time::doubling_pause(30 * 1000, 60 * 60 * 1000, failures)
}

/// What one round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    pub delivered: usize,
    pub failed: usize,
}

/// Delivers the reactions a use case has just committed, if nobody else has claimed them. A
/// failure is not the caller's: the use case is done, and the dispatcher tries again.
pub async fn deliver_now(app: &AppState, keys: Vec<String>) {
    if keys.is_empty() {
        return;
    }
    if let Err(e) = round(app, Some(keys)).await {
        tracing::warn!(error = %e, "delivering reactions failed; the dispatcher will retry");
    }
}

/// One round over every reaction due: what the periodic dispatcher runs, and tests call.
pub async fn dispatch_due(app: &AppState) -> Result<Round, StoreError> {
    round(app, None).await
}

/// Runs `dispatch_due` every `every`.
pub fn spawn_dispatcher(app: &AppState, every: std::time::Duration) {
    app.every("reactions", every, |app| async move {
        if let Err(e) = dispatch_due(&app).await {
            tracing::warn!(error = %e, "the reactions' dispatcher could not read its outbox");
        }
    });
}

async fn round(app: &AppState, keys: Option<Vec<String>>) -> Result<Round, StoreError> {
    let now = app.clock.now();
    let claimed = app
        .store
        .claim_reactions(now, now.plus_millis(LEASE_MS), keys, BATCH)
        .await?;
    let mut done = Round::default();
    for stored in claimed {
        match deliver(app, &stored).await {
            Ok(()) => {
                app.store
                    .reaction_delivered(&stored.key, app.clock.now())
                    .await?;
                done.delivered += 1;
            }
            Err(error) => {
                let failures = stored.attempts + 1;
                let next = app.clock.now().plus_millis(pause_after(failures));
                if failures >= 5 {
                    tracing::error!(key = %stored.key, failures, %error, "a reaction keeps failing");
                } else {
                    tracing::warn!(key = %stored.key, failures, %error, "a reaction failed; it will be retried");
                }
                app.store.reaction_failed(&stored.key, next, &error).await?;
                done.failed += 1;
            }
        }
    }
    Ok(done)
}

/// Does what the reaction asks. Every effect is idempotent.
async fn deliver(app: &AppState, stored: &StoredReaction) -> Result<(), String> {
    let r = Reaction::parse(&stored.key, stored.tender.clone(), &stored.body)?;
    let tender = &r.tender;
    let bonds = |e: crate::bonds::service::BondsError| e.to_string();
    match &r.effect {
        Effect::PerformanceBondOwed { org_id } => crate::bonds::service::performance_bond_owed(
            app,
            tender,
            &OrgId::from_stored(org_id.clone()),
        )
        .await
        .map_err(bonds),
        Effect::ContractSigned { lot_id, at } => {
            crate::bonds::service::contract_signed(app, tender, lot_id.as_deref(), *at)
                .await
                .map(drop)
                .map_err(bonds)
        }
        Effect::LotFailed { lot_id, at } => {
            crate::bonds::service::lot_failed(app, tender, lot_id.as_deref(), *at)
                .await
                .map(drop)
                .map_err(bonds)
        }
        Effect::BidWithdrawn { org_id, lot_id, at } => crate::bonds::service::refund_withdrawn(
            app,
            tender,
            &OrgId::from_stored(org_id.clone()),
            lot_id,
            *at,
        )
        .await
        .map(drop)
        .map_err(bonds),
        Effect::ReceiptFlagged {
            org_id,
            bank,
            bank_txn_id,
            at,
        } => crate::bonds::service::refund_flagged(
            app,
            tender,
            &OrgId::from_stored(org_id.clone()),
            bank,
            bank_txn_id,
            *at,
        )
        .await
        .map(drop)
        .map_err(bonds),
        Effect::ResultMaybeDetermined => {
            crate::lottery::service::open_pools_if_determined(app, tender)
                .await
                .map(drop)
                .map_err(|e| e.to_string())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_from_thirty_seconds_to_an_hour() {
        let minutes: Vec<i64> = (1..=9).map(|f| pause_after(f) / 1000).collect();
        assert_eq!(minutes, [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
        assert_eq!(pause_after(1000), 3600 * 1000);
    }
}
