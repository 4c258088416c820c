//! The box closes by itself at the deadline: a watcher on the hall's clock logs the list of the
//! envelopes that count and then the box's closing, and the time-release custodian releases its
//! shares. Custodians release only what that logged list names (docs/bid-box.md, "The closing
//! list"). Writes after the deadline are refused by the bid use cases themselves, so the
//! watcher's pace never lets a late bid in.

use super::opening::release_time_shares;
use super::service::BidError;
use super::Bid;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::TenderId;
use crate::tenders::model::Tender;
use serde_json::{json, Value};
use std::time::Duration;

/// The bytes of envelopes one `box_closed_envelopes` entry may list, well under the 65 535 bytes
/// an entry bundle carries (C2SP tlog-tiles); a larger box is listed in several parts.
const LIST_BUDGET: usize = 48 * 1024;

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

/// Closes this tender's box if its deadline has passed and it is still open: the opening calls
/// this before its own closing, so that the ceremony never waits for the watcher.
pub async fn close_if_due(app: &AppState, t: &Tender) -> Result<(), BidError> {
    let now = app.clock.now();
    if now >= t.spec.schedule.bid_deadline && !app.store.box_is_closed(&t.id).await? {
        close_one(app, &t.id, now).await?;
    }
    Ok(())
}

async fn close_one(
    app: &AppState,
    tender: &TenderId,
    now: crate::domain::Timestamp,
) -> Result<Option<(TenderId, i64)>, BidError> {
    let bids = app.store.counted_bids(tender).await?;
    let count = bids.len() as i64;
    // The list goes into the log first and the closing names it: a crash in between leaves a
    // list no closing names, and the next pass writes it again.
    let mut listed = Vec::with_capacity(bids.len());
    for (n, bid) in bids.iter().enumerate() {
        listed.push(counted_envelope(app, n + 1, bid).await?);
    }
    let parts = split_list(listed);
    let total = parts.len();
    let mut lists = Vec::with_capacity(total);
    for (p, envelopes) in parts.into_iter().enumerate() {
        let part = AuditEvent::new(
            "box_closed_envelopes",
            Some(tender),
            AuditActor::System,
            now,
            json!({ "part": p + 1, "parts": total, "envelopes": envelopes }),
        );
        lists.push(app.store.record_event(&part).await?);
    }
    let audit = AuditEvent::new(
        "box_closed",
        Some(tender),
        AuditActor::System,
        now,
        json!({ "bids": count, "envelope_lists": lists }),
    );
    if !app.store.close_box(tender, count, now, &audit).await? {
        return Ok(None);
    }
    if count > 0 {
        release_time_shares(app, tender).await?;
    }
    Ok(Some((tender.clone(), count)))
}

/// One counted envelope as the closing lists it: by bid id and commitment, never by tenderer (the
/// bidder is disclosed at the announcement), with the hash of its header so that a custodian, who
/// receives headers only, can tell the counted envelope from any other the tenderer signed.
async fn counted_envelope(app: &AppState, n: usize, bid: &Bid) -> Result<Value, BidError> {
    let (header, _) = super::decryption::envelope(app, bid).await?;
    let header_sha256 = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        header.as_bytes(),
    ));
    Ok(json!({
        "n": n,
        "bid_id": bid.id,
        "lot_id": bid.lot_id,
        "commitment": bid.commitment,
        "envelope_sha256": bid.envelope_sha256,
        "header_sha256": header_sha256,
    }))
}

/// Splits the list into parts of at most `LIST_BUDGET` bytes each; an empty box has one empty
/// part, so every closing names at least one list.
fn split_list(listed: Vec<Value>) -> Vec<Vec<Value>> {
    let mut parts = vec![Vec::new()];
    let mut used = 0;
    for item in listed {
        let len = item.to_string().len() + 1;
        let current = parts.last_mut().expect("never empty");
        if used + len > LIST_BUDGET && !current.is_empty() {
            parts.push(Vec::new());
            used = 0;
        }
        used += len;
        parts.last_mut().expect("never empty").push(item);
    }
    parts
}

/// Watches the clock every `every` until shutdown.
pub fn spawn_closer(app: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    app.every("closer", every, |app| async move {
        if let Err(e) = close_due_boxes(&app).await {
            tracing::warn!(error = %e, "closing due boxes failed");
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: usize) -> Value {
        json!({ "n": n, "bid_id": "0190f5d2-0000-7000-8000-000000000001", "lot_id": "标段-01",
                "commitment": "c".repeat(64), "envelope_sha256": "e".repeat(64), "header_sha256": "h".repeat(64) })
    }

    #[test]
    fn a_large_box_is_listed_in_parts_that_each_fit_an_entry_bundle() {
        let parts = split_list((1..=1000).map(item).collect());
        assert!(parts.len() > 1);
        let mut n = 0;
        for p in &parts {
            let entry = json!({ "part": 1, "parts": parts.len(), "envelopes": p }).to_string();
            assert!(
                entry.len() < crate::auditlog::tiles::MAX_ENTRY_LEN - 1024,
                "{}",
                entry.len()
            );
            for e in p {
                n += 1;
                assert_eq!(e["n"], n, "announcement order is kept across parts");
            }
        }
        assert_eq!(n, 1000);
        assert_eq!(split_list(Vec::new()), vec![Vec::<Value>::new()]);
    }
}
