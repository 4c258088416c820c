//! Opening the box, from the deadline on: custodians fetch the envelope headers, open their
//! shares on their own devices and release them; the hall checks each against its commitment
//! (a mismatch is refused and names the custodian); the time-release custodian releases by
//! itself; with k valid shares a bid's content key is rebuilt in memory only and the bid
//! decrypted. A bid that cannot be opened is recorded with its reason and the party at fault.
//! What becomes public is the announced line and, for a v2 envelope, its announced key; never a
//! released share (k of them rebuild the content key, which opens the bid documents).

use super::custody::{closing_list, refuse, ListedEnvelope, Party, Refusal};
use super::service::BidError;
use super::time_custodian::{answer_of, HeaderToRelease, ReleaseRequest, Unreleased};
use super::{custodian_org, Bid};
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::TenderId;
use crate::identity::{Actor, Role};
use crate::sealbox::envelope::{self, Header, ReleasedShare};
use crate::tenders::model::{Tender, TenderState};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

pub(crate) async fn closed_tender(app: &AppState, id: &TenderId) -> Result<Tender, BidError> {
    let t = published(app, id).await?;
    closed(app, &t)?;
    Ok(t)
}

pub(crate) async fn published(app: &AppState, id: &TenderId) -> Result<Tender, BidError> {
    let t = app.store.get_tender(id).await?;
    if t.state != TenderState::Published {
        return Err(BidError::NotFound);
    }
    Ok(t)
}

/// Nothing is released or opened before the box closes. Checked after who asks, so that a
/// refusal of the wrong caller says nothing about the box.
pub(crate) fn closed(app: &AppState, t: &Tender) -> Result<(), BidError> {
    if !t.is_past_opening(app.clock.now()) {
        return Err(BidError::TooEarly {
            opening: t.spec.schedule.bid_deadline.shanghai(),
        });
    }
    Ok(())
}

async fn header_of(app: &AppState, bid: &Bid) -> Result<Header, BidError> {
    Ok(super::decryption::envelope(app, bid).await?.0)
}

fn holds(actor: &Actor, tender: &Tender, index: u8) -> Result<(), BidError> {
    match custodian_org(tender, index) {
        Ok(Some(org)) if org == actor.org_id && actor.role != Role::Tenderer => Ok(()),
        Ok(None) => Err(BidError::Forbidden(
            "the time-release custodian releases by itself".into(),
        )),
        _ => Err(BidError::Forbidden(
            "only the custodian named in the tender releases this share".into(),
        )),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SealedShareView {
    pub bid_id: String,
    pub lot_id: String,
    /// Base64 of the envelope header, which holds every custodian's sealed share.
    pub header: String,
    /// The bidder the hall received the envelope from, and its registered signing keys (base64
    /// SEC1), so the custodian checks the tenderer's signature before releasing (docs/bid-box.md,
    /// "What a custodian checks").
    pub tenderer_id: String,
    pub tenderer_keys: Vec<String>,
}

/// The counted bids that are opened: a lot with fewer than 3 bids is not (条例44), so no share
/// of its bids is served, taken or used, and nobody can read them.
pub async fn to_open(app: &AppState, id: &TenderId) -> Result<Vec<Bid>, BidError> {
    let counted = app.store.counted_bids(id).await?;
    Ok(crate::opening::decide::to_open(&counted)
        .into_iter()
        .cloned()
        .collect())
}

/// What custodian `index` must open: the header of every bid that counts and is opened.
pub async fn sealed_shares(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    index: u8,
) -> Result<Vec<SealedShareView>, BidError> {
    let tender = published(app, id).await?;
    holds(actor, &tender, index)?;
    closed(app, &tender)?;
    let mut out = Vec::new();
    for bid in to_open(app, id).await? {
        let header = header_of(app, &bid).await?;
        let keys = app.store.list_signing_keys(&bid.org_id).await?;
        out.push(SealedShareView {
            bid_id: bid.id.clone(),
            lot_id: bid.lot_id.clone(),
            header: B64.encode(header.as_bytes()),
            tenderer_id: bid.org_id.to_string(),
            tenderer_keys: keys
                .iter()
                .map(|k| B64.encode(k.public_key.as_bytes()))
                .collect(),
        });
    }
    Ok(out)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    pub bid_id: String,
    /// Base64 of the released share: index ‖ share ‖ salt (docs/sealed-envelope.md).
    pub share: String,
}

/// A custodian releases its opened shares; each is checked against the tenderer's commitment.
pub async fn release(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    index: u8,
    shares: Vec<Release>,
) -> Result<usize, BidError> {
    let tender = published(app, id).await?;
    holds(actor, &tender, index)?;
    closed(app, &tender)?;
    let bids = to_open(app, id).await?;
    let mut accepted = 0;
    for r in shares {
        let bid = bids
            .iter()
            .find(|b| b.id == r.bid_id)
            .ok_or_else(|| BidError::Invalid {
                field: "bid_id".into(),
                message: "no bid to open by that id in this tender (a lot with fewer than 3 bids is not opened, 条例44)".into(),
            })?;
        let bytes = B64.decode(r.share.trim()).map_err(|_| BidError::Invalid {
            field: "share".into(),
            message: "not base64".into(),
        })?;
        let released = ReleasedShare::from_bytes(&bytes).map_err(|e| BidError::Invalid {
            field: "share".into(),
            message: e.to_string(),
        })?;
        let header = header_of(app, bid).await?;
        envelope::check_released_share(&header, index, &released).map_err(|_| {
            BidError::ShareMismatch {
                bid_id: bid.id.clone(),
                custodian: index,
            }
        })?;
        let audit = AuditEvent::new(
            "share_released",
            Some(id),
            actor.into(),
            app.clock.now(),
            json!({ "bid": bid.commitment, "custodian": index }),
        );
        if app
            .store
            .save_released_share(
                &bid.id,
                index,
                &hex::encode(&bytes),
                actor.org_id.as_str(),
                app.clock.now(),
                &audit,
            )
            .await?
        {
            accepted += 1;
        }
    }
    Ok(accepted)
}

/// The hall's time-release custodian releases its share of every counted bid, after the same
/// checks a custodian's own client makes (`custody.rs`): against the closing list in the log, the
/// tenderer's registered signing keys and the tender's custodian keys. A share its key cannot
/// open is the tenderer's doing and decryption records it; any other refusal withholds the share
/// and is logged once as `share_withheld`, naming the code and the party at fault.
pub async fn release_time_shares(app: &AppState, id: &TenderId) -> Result<usize, BidError> {
    let tender = closed_tender(app, id).await?;
    let Some(index) = tender.spec.custodians.time_release_index() else {
        return Ok(0);
    };
    let registered = app.store.custodian_keys(id).await?;
    // Without its registered key no bid was sealed (bidding waits for every custodian's key).
    let Some(fingerprint) = registered
        .iter()
        .find(|k| k.index == index)
        .map(|k| k.fingerprint.clone())
    else {
        return Ok(0);
    };
    let logged = tender_log(app, id).await?;
    let withheld_before: Vec<(String, String)> = logged
        .iter()
        .filter(|(_, e)| e["type"] == "share_withheld" && e["payload"]["custodian"] == index)
        .map(|(_, e)| {
            let p = &e["payload"];
            (
                p["bid"].as_str().unwrap_or_default().to_string(),
                p["code"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let counted = match logged_closing_list(id, &logged) {
        Ok(list) => list,
        // The closing releases as soon as it has logged the list.
        Err(r) if r.code == "box_not_closed" => return Ok(0),
        Err(r) => {
            // Without the logged list nothing shows which envelopes count: release nothing.
            tracing::error!(tender = %id, code = r.code, "the time-release custodian releases nothing: {r}");
            Vec::new()
        }
    };
    let mut headers = Vec::new();
    let mut bids = HashMap::new();
    for bid in to_open(app, id).await? {
        let header = header_of(app, &bid).await?;
        let tenderer_keys = app
            .store
            .list_signing_keys(&bid.org_id)
            .await?
            .iter()
            .map(|k| B64.encode(k.public_key.as_bytes()))
            .collect();
        headers.push(HeaderToRelease {
            bid_id: bid.id.clone(),
            header: B64.encode(header.as_bytes()),
            tenderer_id: bid.org_id.to_string(),
            tenderer_keys,
        });
        bids.insert(bid.id.clone(), (bid, header));
    }
    if headers.is_empty() {
        return Ok(0);
    }
    let request = ReleaseRequest {
        fingerprint,
        k: tender.spec.custodians.k,
        custodian_keys: registered.iter().map(|k| k.public_key.clone()).collect(),
        counted,
        headers,
    };
    // A custodian that cannot release now is late, like any other: the closing and the opening
    // go on, the next pass asks again, and the window's end names it (docs/bid-box.md).
    let answers = match app
        .time_custodian
        .release(id, index, &request, app.clock.now())
        .await
    {
        Ok(answers) => answers,
        Err(e @ Unreleased::TooEarly { .. }) => {
            tracing::warn!(tender = %id, "the time-release custodian releases nothing yet: {e}");
            return Ok(0);
        }
        Err(e) => {
            tracing::error!(tender = %id, "the time-release custodian releases nothing: {e}");
            return Ok(0);
        }
    };
    let unreleased = |e: Unreleased| BidError::Storage(e.to_string());
    let mut released = 0;
    for answer in &answers {
        let Some((bid, header)) = bids.get(&answer.bid_id) else {
            continue;
        };
        let share = match answer_of(answer, index).map_err(unreleased)? {
            Ok(share) => share,
            Err(r) if matches!(r.code, "share_undecryptable" | "share_not_committed") => continue,
            Err(r) => {
                let said = withheld_before
                    .iter()
                    .any(|(b, code)| *b == bid.commitment && code == r.code);
                if !said {
                    tracing::error!(tender = %id, bid = %bid.id, code = r.code, "the time-release custodian withholds its share: {r}");
                    let audit = AuditEvent::new(
                        "share_withheld",
                        Some(id),
                        AuditActor::System,
                        app.clock.now(),
                        json!({
                            "bid": bid.commitment,
                            "custodian": index,
                            "by": "time-release",
                            "code": r.code,
                            "fault": r.fault.map(Party::code),
                        }),
                    );
                    app.store.record_event(&audit).await?;
                }
                continue;
            }
        };
        // What the custodian released is checked as every custodian's is: against the
        // tenderer's commitment in the header.
        if let Err(e) = envelope::check_released_share(header, index, &share) {
            tracing::error!(tender = %id, bid = %bid.id, error = %e, "the time-release custodian released a share that does not match its commitment");
            continue;
        }
        let audit = AuditEvent::new(
            "share_released",
            Some(id),
            AuditActor::System,
            app.clock.now(),
            json!({ "bid": bid.commitment, "custodian": index, "by": "time-release" }),
        );
        if app
            .store
            .save_released_share(
                &bid.id,
                index,
                &hex::encode(*share.to_bytes()),
                "time-release",
                app.clock.now(),
                &audit,
            )
            .await?
        {
            released += 1;
        }
    }
    Ok(released)
}

/// Every log entry of the tender, oldest first: its index and the entry as JSON.
async fn tender_log(app: &AppState, id: &TenderId) -> Result<Vec<(i64, Value)>, BidError> {
    let mut out = Vec::new();
    let mut after = -1;
    loop {
        let page = app.store.audit_entries(Some(id), after, 1000).await?;
        for e in &page {
            let entry = serde_json::from_slice(&e.entry)
                .map_err(|e| BidError::Storage(format!("a log entry does not parse: {e}")))?;
            out.push((e.index, entry));
        }
        match page.last() {
            Some(last) if page.len() == 1000 => after = last.index,
            _ => return Ok(out),
        }
    }
}

/// The closing list in the tender's log entries (`box_closed` and the parts it names).
fn logged_closing_list(
    id: &TenderId,
    log: &[(i64, Value)],
) -> Result<Vec<ListedEnvelope>, Refusal> {
    let Some((index, closing)) = log.iter().find(|(_, e)| e["type"] == "box_closed") else {
        return Err(refuse(
            "box_not_closed",
            None,
            format!("the log has no closing of tender {id}"),
        ));
    };
    let lists: Vec<i64> =
        serde_json::from_value(closing["payload"]["envelope_lists"].clone()).unwrap_or_default();
    let parts: Vec<(i64, Value)> = lists
        .iter()
        .filter_map(|at| {
            log.iter()
                .find(|(i, _)| i == at)
                .map(|(_, e)| (*at, e.clone()))
        })
        .collect();
    closing_list(id.as_str(), *index, closing, &parts)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BidOutcome {
    pub bid_id: String,
    pub lot_id: String,
    /// `opened`, `failed` or `waiting` (fewer than k shares released so far).
    pub status: String,
    #[schema(value_type = Object)]
    pub detail: Value,
}

/// Decrypts every bid with k released shares (the host — the tender's agent or owner — or its
/// supervisor asks), records each outcome, and reports the rest as waiting with who is missing.
pub async fn decrypt(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<BidOutcome>, BidError> {
    let tender = published(app, id).await?;
    let r = crate::tenders::access::Relations::of(Some(actor), &tender);
    let may = r.manages() || r.supervisor;
    if !may {
        return Err(BidError::Forbidden(
            "the opening is run by the tender's host and watched by its supervisor".into(),
        ));
    }
    closed(app, &tender)?;
    release_time_shares(app, id).await?;
    // The host can open what is complete now; the release window's end is the opening's to judge.
    decrypt_ready(app, &tender, false).await
}

/// Opens every counted bid whose shares are all in — every custodian has released, or the
/// release window has closed (`window_closed`) with at least k — and that has no outcome yet, side
/// by side (one per core), and records each outcome; returns every bid's outcome, `waiting` ones
/// naming who is missing. Safe to run twice at once: an outcome is recorded once.
///
/// Why not at k: the key is rebuilt through every released share (docs/sealed-envelope.md §1.2),
/// so a bid opened at the first k would be judged on whichever shares came first, and a custodian
/// could choose "opens" or "fails" for a tenderer who dealt one share off the polynomial by when
/// it releases. Waiting for all, or for the window, makes the outcome a function of the set of
/// shares released in the window, whatever their order.
pub async fn decrypt_ready(
    app: &AppState,
    tender: &Tender,
    window_closed: bool,
) -> Result<Vec<BidOutcome>, BidError> {
    use futures_util::stream::{self, StreamExt};
    let id = &tender.id;
    let k = usize::from(tender.spec.custodians.k);
    let n = tender.spec.custodians.members.len() as u8;
    let shares = app.store.released_shares(id).await?;
    let done = app.store.openings(id).await?;
    let bids = to_open(app, id).await?;
    let mut ready = Vec::new();
    for bid in &bids {
        if done.iter().any(|(b, _)| *b == bid.id) {
            continue;
        }
        let mine: Vec<ReleasedShare> = shares
            .iter()
            .filter(|(b, _, _)| *b == bid.id)
            .filter_map(|(_, _, h)| hex::decode(h).ok())
            .filter_map(|b| ReleasedShare::from_bytes(&b).ok())
            .collect();
        let all_in = mine.len() == usize::from(n);
        if all_in || (window_closed && mine.len() >= k) {
            ready.push((bid.clone(), mine));
        }
    }
    let width = std::thread::available_parallelism().map_or(2, |n| n.get());
    let opened: Vec<Result<(String, Value), BidError>> = stream::iter(ready)
        .map(|(bid, mine)| async move {
            let outcome = super::decryption::open_bid(app, &bid, mine).await?;
            // The log is public: it gets the public outcome, with the announced key.
            let audit = AuditEvent::new(
                "bid_opened",
                Some(&bid.tender_id),
                AuditActor::System,
                app.clock.now(),
                json!({ "bid": bid.commitment, "outcome": public_outcome(&outcome) }),
            );
            match app
                .store
                .save_opening(&bid.id, &bid.tender_id, &outcome, app.clock.now(), &audit)
                .await
            {
                // Another process opened it first: its record stands.
                Ok(()) | Err(crate::store::StoreError::Conflict(_)) => Ok((bid.id, outcome)),
                Err(e) => Err(e.into()),
            }
        })
        .buffer_unordered(width)
        .collect()
        .await;
    for r in opened {
        r?;
    }
    let done = app.store.openings(id).await?;
    let mut out = Vec::new();
    for bid in bids {
        if let Some((_, outcome)) = done.iter().find(|(b, _)| *b == bid.id) {
            out.push(BidOutcome {
                bid_id: bid.id.clone(),
                lot_id: bid.lot_id.clone(),
                status: outcome["status"].as_str().unwrap_or("").to_string(),
                detail: outcome.clone(),
            });
            continue;
        }
        let released: Vec<u8> = shares
            .iter()
            .filter(|(b, _, _)| *b == bid.id)
            .map(|(_, i, _)| *i)
            .collect();
        let missing: Vec<u8> = (1..=n).filter(|i| !released.contains(i)).collect();
        out.push(BidOutcome {
            bid_id: bid.id.clone(),
            lot_id: bid.lot_id.clone(),
            status: "waiting".into(),
            detail: json!({
                "released": released.len(), "needed": k, "all": n,
                "missing_custodians": missing, "window_closed": window_closed,
            }),
        });
    }
    Ok(out)
}

/// What of an outcome is public: the status, the announced bid.json, the announced key (v2), the
/// reason and fault of a failure — not the list of attachments, which belongs to the documents.
pub fn public_outcome(outcome: &Value) -> Value {
    let mut public = serde_json::Map::new();
    for key in [
        "status",
        "version",
        "bid",
        "announced_key",
        "reason",
        "fault",
    ] {
        if let Some(v) = outcome.get(key) {
            public.insert(key.into(), v.clone());
        }
    }
    Value::Object(public)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenedBidRecord {
    pub bid_id: String,
    pub lot_id: String,
    /// The bidder, revealed at the opening.
    pub org_id: String,
    /// The salt that opens the bid's commitments in the audit log.
    pub salt: String,
    pub commitment: String,
    pub envelope_sha256: String,
    pub size: i64,
    /// The envelope format, 1 or 2 (docs/sealed-envelope.md).
    pub version: u8,
    /// Which custodians released their share (the shares themselves are never published).
    pub released_by: Vec<u8>,
    /// v2, once opened: hex of the announced key, which the signed header commits to and which
    /// opens the envelope's announced segment (bid.json) and nothing else.
    pub announced_key: Option<String>,
    /// The public part of the recorded outcome, once decrypted: status, bid.json, reason, fault.
    #[schema(value_type = Option<Object>)]
    pub outcome: Option<Value>,
}

/// The public record of the opening: every counted bid, its bidder and salt, who released, the
/// outcome and, for v2 envelopes, the announced key — so anyone can check each announced line
/// against its receipted envelope. Released shares are not in it: k of them rebuild the content
/// key, which opens the bid documents (docs/opening.md §5).
pub async fn record(app: &AppState, id: &TenderId) -> Result<Vec<OpenedBidRecord>, BidError> {
    closed_tender(app, id).await?;
    let shares = app.store.released_shares(id).await?;
    let outcomes = app.store.openings(id).await?;
    let mut out = Vec::new();
    for b in app.store.counted_bids(id).await? {
        let outcome = outcomes
            .iter()
            .find(|(bid, _)| *bid == b.id)
            .map(|(_, o)| public_outcome(o));
        let version = match outcome.as_ref().and_then(|o| o["version"].as_u64()) {
            Some(v) => v as u8,
            None => header_of(app, &b).await?.version(),
        };
        let mut released_by: Vec<u8> = shares
            .iter()
            .filter(|(bid, _, _)| *bid == b.id)
            .map(|(_, i, _)| *i)
            .collect();
        released_by.sort_unstable();
        out.push(OpenedBidRecord {
            announced_key: outcome
                .as_ref()
                .and_then(|o| o["announced_key"].as_str())
                .map(str::to_string),
            outcome,
            version,
            released_by,
            bid_id: b.id,
            lot_id: b.lot_id,
            org_id: b.org_id.to_string(),
            salt: b.salt,
            commitment: b.commitment,
            envelope_sha256: b.envelope_sha256,
            size: b.size,
        });
    }
    Ok(out)
}

/// A counted bid's envelope, for re-checking the opening; public once the box is closed. It is
/// ciphertext under keys derived from the content key, which needs k shares that are never
/// published: of a v2 envelope anyone opens only the announced segment, with the published
/// announced key; of a v1 envelope, nothing — its SHA-256 still checks the receipt.
pub async fn envelope_file(
    app: &AppState,
    id: &TenderId,
    bid_id: &str,
) -> Result<(Bid, crate::blobs::BlobReader), BidError> {
    closed_tender(app, id).await?;
    let bid = app
        .store
        .counted_bids(id)
        .await?
        .into_iter()
        .find(|b| b.id == bid_id)
        .ok_or(BidError::NotFound)?;
    let file = app
        .blobs
        .open(&bid.envelope_sha256)
        .await
        .map_err(|e| BidError::Storage(e.to_string()))?;
    Ok((bid, file))
}
