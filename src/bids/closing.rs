//! The box closes by itself at the deadline: a watcher on the hall's clock logs each box's
//! closing with the number of bids that count, and the time-release custodian then releases its
//! shares. Writes after the deadline are refused by the bid use cases themselves, so the watcher's
//! pace never lets a late bid in.

use super::opening::release_time_shares;
use super::service::BidError;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::TenderId;
use serde_json::json;
use std::time::Duration;

/// Closes every box whose deadline has passed; returns the tenders closed and their bid counts.
/// Closings run side by side, so the group committer takes them together.
pub async fn close_due_boxes(app: &AppState) -> Result<Vec<(TenderId, i64)>, BidError> {
    let now = app.clock.now();
    let mut closed = Vec::new();
    for chunk in app.store.boxes_due(now).await?.chunks(64) {
        let results =
            futures_util::future::join_all(chunk.iter().map(|t| close_one(app, t, now))).await;
        for r in results {
            if let Some(done) = r? {
                closed.push(done);
            }
        }
    }
    Ok(closed)
}

async fn close_one(
    app: &AppState,
    tender: &TenderId,
    now: crate::domain::Timestamp,
) -> Result<Option<(TenderId, i64)>, BidError> {
    let count = app.store.counted_bids(tender).await?.len() as i64;
    let audit = AuditEvent::new(
        "box_closed",
        Some(tender),
        AuditActor::System,
        now,
        json!({ "bids": count }),
    );
    if !app.store.close_box(tender, count, now, &audit).await? {
        return Ok(None);
    }
    if count > 0 {
        release_time_shares(app, tender).await?;
    }
    Ok(Some((tender.clone(), count)))
}

/// Watches the clock every `every` until shutdown.
pub fn spawn_closer(app: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    app.every(every, |app| async move {
        if let Err(e) = close_due_boxes(&app).await {
            tracing::warn!(error = %e, "closing due boxes failed");
        }
    })
}
