//! Bid-box use cases: registering custodian keys, receiving sealed bids (streamed, checked,
//! stored durably, then receipted), withdrawing them. The deadline is the hall's clock: a bid
//! received at the deadline or later is refused, however close.

use super::receipt::{at_text, ReceiptBody};
use super::{custodian_org, key_registration_message, Bid, BidState, CustodianKey};
use crate::app::AppState;
use crate::auditlog::event::commitment;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::blobs::{BlobError, ByteStream};
use crate::domain::{TenderId, Timestamp};
use crate::identity::keys::P256PublicKey;
use crate::identity::{Actor, Role};
use crate::sealbox::envelope::{self, Header, SealParams, PREFIX_LEN};
use crate::sealbox::keys::{CustodianPublicKey, TendererPublicKey};
use crate::store::StoreError;
use crate::tenders::model::{CustodianKind, Tender, TenderState};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bytes::Bytes;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};

#[derive(Debug, thiserror::Error)]
pub enum BidError {
    #[error("no such tender")]
    NotFound,
    #[error("{0}")]
    Forbidden(String),
    #[error("the bid box closed at {deadline} (Asia/Shanghai)")]
    BoxClosed { deadline: String },
    #[error("the tender is not open for bids")]
    NotOpen,
    #[error("bidding opens once every custodian has registered its key; missing: {missing:?}")]
    CustodiansIncomplete { missing: Vec<u8> },
    #[error("obtain the tender documents first")]
    NotObtained,
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("the envelope is refused: {0}")]
    Envelope(String),
    #[error("the envelope is larger than the limit of {limit_bytes} bytes")]
    TooLarge { limit_bytes: u64 },
    #[error("this custodian's key is already registered")]
    KeyExists,
    #[error("no bid to withdraw")]
    NothingToWithdraw,
    #[error("the box opens at {opening} (Asia/Shanghai); nothing is released before")]
    TooEarly { opening: String },
    #[error(
        "custodian {custodian}'s share for bid {bid_id} does not match the tenderer's commitment"
    )]
    ShareMismatch { bid_id: String, custodian: u8 },
    #[error("sign in first: bid documents are not public")]
    SignInFirst,
    #[error("this bid's documents are not available: it has not been opened, or could not be")]
    DocumentsUnavailable,
    #[error("storage failed: {0}")]
    Storage(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for BidError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => BidError::NotFound,
            other => BidError::Store(other),
        }
    }
}

fn invalid(field: &str, message: impl Into<String>) -> BidError {
    BidError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

async fn published(app: &AppState, id: &TenderId) -> Result<Tender, BidError> {
    let t = app.store.get_tender(id).await?;
    if t.state == TenderState::Draft {
        return Err(BidError::NotFound);
    }
    Ok(t)
}

// ---------------------------------------------------------------------------------------------
// custodian keys

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustodianView {
    pub index: u8,
    #[schema(value_type = String)]
    pub kind: CustodianKind,
    /// The organisation holding the key (absent for the hall's time-release custodian).
    pub org_id: Option<String>,
    pub public_key: Option<String>,
    pub fingerprint: Option<String>,
    pub proof: Option<String>,
    pub registered_by: Option<String>,
}

/// The tender's custodians and their keys. The time-release custodian's key is created and
/// registered here the first time anyone asks after publication.
pub async fn custodians(app: &AppState, id: &TenderId) -> Result<Vec<CustodianView>, BidError> {
    let tender = published(app, id).await?;
    let keys = ensure_time_release_key(app, &tender).await?;
    let mut out = Vec::new();
    for (i, member) in tender.spec.custodians.members.iter().enumerate() {
        let index = (i + 1) as u8;
        let key = keys.iter().find(|k| k.index == index);
        out.push(CustodianView {
            index,
            kind: member.kind,
            org_id: custodian_org(&tender, index)
                .ok()
                .flatten()
                .map(|o| o.to_string()),
            public_key: key.map(|k| k.public_key.clone()),
            fingerprint: key.map(|k| k.fingerprint.clone()),
            proof: key.map(|k| k.proof.clone()),
            registered_by: key.map(|k| k.registered_by.clone()),
        });
    }
    Ok(out)
}

/// The tender's registered custodian keys, after registering the time-release custodian's key
/// if the tender is published and it has none yet.
async fn ensure_time_release_key(
    app: &AppState,
    tender: &Tender,
) -> Result<Vec<CustodianKey>, BidError> {
    let keys = app.store.custodian_keys(&tender.id).await?;
    if tender.state != TenderState::Published {
        return Ok(keys);
    }
    let mut registered = false;
    for (i, member) in tender.spec.custodians.members.iter().enumerate() {
        let index = (i + 1) as u8;
        if member.kind != CustodianKind::TimeRelease || keys.iter().any(|k| k.index == index) {
            continue;
        }
        // Held by the custodian until the bid deadline: it opens no share before, by its clock.
        let registration = app
            .time_custodian
            .register(&tender.id, index, tender.spec.schedule.bid_deadline)
            .await
            .map_err(|e| BidError::Storage(e.to_string()))?;
        let record = CustodianKey {
            tender_id: tender.id.clone(),
            index,
            public_key: registration.public_key,
            fingerprint: registration.fingerprint,
            registered_by: "time-release".into(),
            proof: registration.proof,
            registered_at: app.clock.now(),
        };
        let audit = AuditEvent::new(
            "custodian_key_registered",
            Some(&tender.id),
            AuditActor::System,
            record.registered_at,
            json!({ "index": index, "kind": "time_release", "fingerprint": record.fingerprint }),
        );
        match app.store.add_custodian_key(&record, &audit).await {
            Ok(()) | Err(StoreError::Conflict(_)) => registered = true,
            Err(e) => return Err(e.into()),
        }
    }
    if registered {
        // Read back: on a race, the key another request registered is the one that stands.
        return Ok(app.store.custodian_keys(&tender.id).await?);
    }
    Ok(keys)
}

/// Tells the time-release custodian a tender's deadline moved (an amendment): it holds the key
/// until the new one (never earlier than before). A custodian that cannot be told now is logged;
/// the amendment stands.
pub async fn hold_time_release_until_deadline(app: &AppState, tender: &Tender) {
    let Some(index) = tender.spec.custodians.time_release_index() else {
        return;
    };
    let Ok(keys) = app.store.custodian_keys(&tender.id).await else {
        return;
    };
    if !keys.iter().any(|k| k.index == index) {
        return;
    }
    if let Err(e) = app
        .time_custodian
        .register(&tender.id, index, tender.spec.schedule.bid_deadline)
        .await
    {
        tracing::error!(tender = %tender.id, "the time-release custodian was not told the new deadline: {e}");
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustodianKey {
    /// Base64 of the 65-byte SEC1 P-256 point (WebCrypto `exportKey('raw')`).
    pub public_key: String,
    /// Base64 ECDSA P-256 signature (r ‖ s) over `bidhall-custodian-key/1\n{tender}\n{index}\n{public_key}\n`
    /// by one of the organisation's registered signing keys.
    pub signature: String,
}

/// A custodian registers its public key for the tender, generated on its own device.
pub async fn register_key(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    index: u8,
    new: NewCustodianKey,
) -> Result<CustodianKey, BidError> {
    let tender = published(app, id).await?;
    let holder = custodian_org(&tender, index).map_err(|m| invalid("index", m))?;
    match &holder {
        Some(org) if *org == actor.org_id && actor.role != Role::Tenderer => {}
        None => {
            return Err(BidError::Forbidden(
                "the time-release custodian's key is the hall's own; it registers itself".into(),
            ))
        }
        _ => {
            return Err(BidError::Forbidden(
                "only the custodian named in the tender registers this key".into(),
            ))
        }
    }
    if !tender.is_bidding_open(app.clock.now()) {
        return Err(BidError::NotOpen);
    }
    let raw = B64
        .decode(new.public_key.trim())
        .map_err(|_| invalid("public_key", "not base64"))?;
    let key = CustodianPublicKey::from_sec1(&raw)
        .map_err(|e| invalid("public_key", format!("not a P-256 public key: {e}")))?;
    let signature = B64
        .decode(new.signature.trim())
        .map_err(|_| invalid("signature", "not base64"))?;
    let public_b64 = B64.encode(key.to_sec1());
    let message = key_registration_message(id, index, &public_b64);
    let signers = app.store.list_signing_keys(&actor.org_id).await?;
    let signer = signers
        .iter()
        .find(|k| k.public_key.verify(&message, &signature))
        .ok_or_else(|| {
            invalid(
                "signature",
                "not signed by a signing key registered to your organisation",
            )
        })?;
    let record = CustodianKey {
        tender_id: id.clone(),
        index,
        public_key: public_b64,
        fingerprint: hex::encode(key.fingerprint()),
        registered_by: actor.org_id.to_string(),
        proof: B64.encode(&signature),
        registered_at: app.clock.now(),
    };
    let audit = AuditEvent::new(
        "custodian_key_registered",
        Some(id),
        actor.into(),
        record.registered_at,
        json!({ "index": index, "fingerprint": record.fingerprint, "signed_with": signer.fingerprint }),
    );
    app.store
        .add_custodian_key(&record, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => BidError::KeyExists,
            other => other.into(),
        })?;
    Ok(record)
}

// ---------------------------------------------------------------------------------------------
// bids

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BidReceipt {
    /// The receipt as a signed note (the hall's log key); keep it.
    pub receipt: String,
    pub action: String,
    pub envelope_sha256: String,
    pub size: i64,
    #[schema(value_type = String)]
    pub received_at: Timestamp,
    pub log_index: i64,
    /// The commitment in the log and its salt, to check the log entry yourself.
    pub commitment: String,
    pub salt: String,
    /// The log entry with a signed checkpoint covering it and its inclusion proof
    /// (`bidhall log prove`).
    #[schema(value_type = Object)]
    pub log_receipt: Option<crate::auditlog::offline::Receipt>,
}

/// The parameters a bid for this tender and lot must have been sealed with.
fn seal_params(
    keys: &[CustodianKey],
    tender: &Tender,
    lot: &str,
    tenderer: &str,
) -> Result<SealParams, BidError> {
    let n = tender.spec.custodians.members.len();
    let missing: Vec<u8> = (1..=n as u8)
        .filter(|i| !keys.iter().any(|k| k.index == *i))
        .collect();
    if !missing.is_empty() {
        return Err(BidError::CustodiansIncomplete { missing });
    }
    let custodians = keys
        .iter()
        .map(|k| {
            let raw = B64
                .decode(&k.public_key)
                .map_err(|e| BidError::Storage(e.to_string()))?;
            CustodianPublicKey::from_sec1(&raw).map_err(|e| BidError::Storage(e.to_string()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(SealParams {
        tender_id: tender.id.to_string(),
        lot_id: lot.to_string(),
        tenderer_id: tenderer.to_string(),
        custodians,
        k: tender.spec.custodians.k,
    })
}

fn bid_commitment(salt: &[u8; 32], tender: &TenderId, lot: &str, org: &str) -> String {
    commitment(salt, &format!("{tender}\n{lot}\n{org}"))
}

fn closed(tender: &Tender) -> BidError {
    BidError::BoxClosed {
        deadline: tender.spec.schedule.bid_deadline.shanghai(),
    }
}

/// Checks that may refuse a bid before any byte of it is read.
async fn admissible(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: &str,
) -> Result<Tender, BidError> {
    if actor.role != Role::Tenderer {
        return Err(BidError::Forbidden(
            "bids are submitted by tenderers".into(),
        ));
    }
    let tender = published(app, id).await?;
    if tender.state != TenderState::Published {
        return Err(BidError::NotOpen);
    }
    if !tender.is_bidding_open(app.clock.now()) {
        return Err(closed(&tender));
    }
    if !tender.spec.lots.iter().any(|l| l.id.as_str() == lot) {
        return Err(invalid("lot", "no such lot in this tender"));
    }
    if app.store.find_obtained(id, &actor.org_id).await?.is_none() {
        return Err(BidError::NotObtained);
    }
    // A red credit record in force excludes from bidding (信用惩戒).
    crate::registry::service::check_may_bid(app, &actor.org_id, app.clock.now())
        .await
        .map_err(|e| BidError::Forbidden(e.to_string()))?;
    Ok(tender)
}

/// Receives a sealed bid: the header is checked (sealed for this tender, lot and tenderer, with
/// the registered custodian keys, signed by the tenderer's registered key) before the body is
/// streamed to storage; the receipt is issued only after the ciphertext and its record are durable.
pub async fn submit(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: &str,
    mut body: ByteStream,
) -> Result<BidReceipt, BidError> {
    let tender = admissible(app, actor, id, lot).await?;
    let keys = ensure_time_release_key(app, &tender).await?;
    let params = seal_params(&keys, &tender, lot, actor.org_id.as_str())?;

    // The header: prefix, then exactly its declared length.
    let mut head: Vec<u8> = Vec::new();
    let mut declared = None;
    loop {
        if declared.is_none() && head.len() >= PREFIX_LEN {
            declared = Some(
                Header::declared_len(&head[..PREFIX_LEN])
                    .map_err(|e| BidError::Envelope(e.to_string()))?,
            );
        }
        if let Some(d) = declared {
            if head.len() >= d {
                break;
            }
        }
        match body.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(BidError::Envelope(format!("upload interrupted: {e}"))),
            None => {
                return Err(BidError::Envelope(
                    "the envelope ends inside its header".into(),
                ))
            }
        }
    }
    let declared = declared.expect("set before the loop ends");
    let rest_of_first = head.split_off(declared);
    let header = Header::parse(&head).map_err(|e| BidError::Envelope(e.to_string()))?;
    envelope::check_sealed_for(&header, &params).map_err(|e| BidError::Envelope(e.to_string()))?;
    let signers = app.store.list_signing_keys(&actor.org_id).await?;
    let signed = signers.iter().any(|k| {
        tenderer_key(&k.public_key)
            .is_some_and(|pk| envelope::verify_signature(&header, &pk).is_ok())
    });
    if !signed {
        return Err(BidError::Envelope(
            "not signed by a signing key registered to your organisation".into(),
        ));
    }
    let limit = app.config.max_bid_mib * 1024 * 1024;
    let expected = header.envelope_len();
    if expected > limit {
        return Err(BidError::TooLarge { limit_bytes: limit });
    }

    // The whole envelope (header ‖ body) to storage, hashed and fsynced; exactly its length.
    let first = futures_util::stream::iter([
        Ok::<Bytes, std::io::Error>(Bytes::from(head)),
        Ok(Bytes::from(rest_of_first)),
    ]);
    let stored = app
        .blobs
        .put(Box::pin(first.chain(body)), expected)
        .await
        .map_err(|e| match e {
            BlobError::TooLarge { .. } => {
                BidError::Envelope("the envelope is longer than its header declares".into())
            }
            other => BidError::Storage(other.to_string()),
        })?;
    if stored.size != expected {
        return Err(BidError::Envelope(format!(
            "the envelope is truncated: {} of {expected} bytes arrived",
            stored.size
        )));
    }
    // The box may have closed while the bytes arrived: what counts is when the bid is complete.
    let received_at = app.clock.now();
    if !tender.is_bidding_open(received_at) {
        return Err(closed(&tender));
    }
    let mut salt = [0u8; 32];
    crate::identity::session::fill_random(&mut salt);
    let c = bid_commitment(&salt, id, lot, actor.org_id.as_str());
    // From reading what counts now to recording what replaces it, this tenderer's lot is ours
    // alone, so the entry names exactly the envelope the store marks replaced.
    let lock = lot_lock(id, lot, actor.org_id.as_str());
    let _held = lock.lock().await;
    let previous = counting_bid(app, id, lot, actor).await?;
    let bid = Bid {
        id: uuid::Uuid::now_v7().to_string(),
        tender_id: id.clone(),
        lot_id: lot.to_string(),
        org_id: actor.org_id.clone(),
        salt: hex::encode(salt),
        commitment: c.clone(),
        envelope_sha256: stored.sha256.clone(),
        size: stored.size as i64,
        state: BidState::Submitted,
        received_at,
        log_index: -1,
    };
    // The log learns neither the tender nor the tenderer before the opening: both are inside
    // the commitment, whose salt is published then. A replacement names the entry it supersedes
    // by that entry's own commitment and envelope hash, which say no more (docs/bid-box.md).
    let mut payload = json!({ "envelope_sha256": stored.sha256 });
    if let Some(p) = &previous {
        payload["supersedes"] = supersedes(p);
    }
    let audit = AuditEvent::new(
        "bid_received",
        None,
        AuditActor::Committed { commitment: c },
        received_at,
        payload,
    );
    let bid = app.store.submit_bid(&bid, &audit).await?;
    let mut r = receipt(app, &bid, "submitted");
    r.log_receipt = log_receipt(app, bid.log_index).await;
    Ok(r)
}

/// The tenderer's bid for the lot that counts now, if any.
async fn counting_bid(
    app: &AppState,
    id: &TenderId,
    lot: &str,
    actor: &Actor,
) -> Result<Option<Bid>, BidError> {
    Ok(app
        .store
        .bids_of(id, &actor.org_id)
        .await?
        .into_iter()
        .find(|b| b.lot_id == lot && b.state == BidState::Submitted))
}

/// How a `bid_received` or `bid_withdrawn` entry names the envelope it takes out of the count:
/// that envelope's own log commitment and SHA-256, both already in the log, so the link says
/// nothing about the tender or the tenderer before the opening.
fn supersedes(previous: &Bid) -> serde_json::Value {
    json!({ "commitment": previous.commitment, "envelope_sha256": previous.envelope_sha256 })
}

/// One lock per tenderer and lot. The store replaces or withdraws whatever counts when it
/// writes; two writes of one tenderer to one lot racing each other could otherwise each name
/// the same predecessor. This holds in one hall process, which is how the hall runs (one writer).
fn lot_lock(tender: &TenderId, lot: &str, org: &str) -> Arc<tokio::sync::Mutex<()>> {
    static LOCKS: LazyLock<Mutex<HashMap<String, Weak<tokio::sync::Mutex<()>>>>> =
        LazyLock::new(Default::default);
    let key = format!("{tender}\n{lot}\n{org}");
    let mut locks = LOCKS.lock().unwrap_or_else(|e| e.into_inner());
    locks.retain(|_, w| w.strong_count() > 0);
    if let Some(lock) = locks.get(&key).and_then(Weak::upgrade) {
        return lock;
    }
    let lock = Arc::new(tokio::sync::Mutex::new(()));
    locks.insert(key, Arc::downgrade(&lock));
    lock
}

fn tenderer_key(k: &P256PublicKey) -> Option<TendererPublicKey> {
    TendererPublicKey::from_sec1(k.as_bytes()).ok()
}

fn receipt(app: &AppState, bid: &Bid, action: &str) -> BidReceipt {
    let body = ReceiptBody {
        action: action.into(),
        tender: bid.tender_id.to_string(),
        lot: bid.lot_id.clone(),
        commitment: bid.commitment.clone(),
        envelope_sha256: bid.envelope_sha256.clone(),
        size: bid.size,
        at: at_text(bid.received_at),
        log_index: bid.log_index,
    };
    BidReceipt {
        receipt: body.sign(&app.log.signer),
        action: action.into(),
        envelope_sha256: bid.envelope_sha256.clone(),
        size: bid.size,
        received_at: bid.received_at,
        log_index: bid.log_index,
        commitment: bid.commitment.clone(),
        salt: bid.salt.clone(),
        log_receipt: None,
    }
}

/// The log entry's receipt against a checkpoint signed now. The bid is already durable and
/// receipted; if signing fails the tenderer can fetch this later (`/api/log/receipts/{index}`).
async fn log_receipt(app: &AppState, index: i64) -> Option<crate::auditlog::offline::Receipt> {
    let cp = crate::auditlog::service::checkpoint(app).await.ok()?;
    let proof = crate::auditlog::service::inclusion(app, index, cp.size)
        .await
        .ok()?;
    let entry = app.store.audit_entry(index).await.ok()?;
    Some(crate::auditlog::offline::Receipt {
        index,
        entry_b64: B64.encode(&entry.entry),
        tree_size: cp.size,
        inclusion: proof.iter().map(|h| B64.encode(h)).collect(),
        checkpoint: cp.note,
    })
}

/// Withdraws the tenderer's bid for the lot, before the deadline.
pub async fn withdraw(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: &str,
) -> Result<BidReceipt, BidError> {
    if actor.role != Role::Tenderer {
        return Err(BidError::Forbidden(
            "bids are withdrawn by their tenderer".into(),
        ));
    }
    let tender = published(app, id).await?;
    let now = app.clock.now();
    if !tender.is_bidding_open(now) {
        return Err(closed(&tender));
    }
    let lock = lot_lock(id, lot, actor.org_id.as_str());
    let _held = lock.lock().await;
    let current = counting_bid(app, id, lot, actor)
        .await?
        .ok_or(BidError::NothingToWithdraw)?;
    let audit = AuditEvent::new(
        "bid_withdrawn",
        None,
        AuditActor::Committed {
            commitment: current.commitment.clone(),
        },
        now,
        json!({ "envelope_sha256": current.envelope_sha256, "supersedes": supersedes(&current) }),
    );
    // The bid bond goes back within 5 days of the withdrawal (条例 第三十五条): the reaction is
    // written with the withdrawal and delivered after it.
    let refund =
        crate::reactions::after_withdrawal(id, &current.id, actor.org_id.as_str(), lot, now);
    let mut bid = app
        .store
        .withdraw_bid(id, lot, &actor.org_id, &audit, &refund)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => BidError::NothingToWithdraw,
            other => other.into(),
        })?;
    bid.received_at = now;
    crate::reactions::dispatch::deliver_now(app, vec![refund.key]).await;
    let mut r = receipt(app, &bid, "withdrawn");
    r.log_receipt = log_receipt(app, bid.log_index).await;
    Ok(r)
}

/// The tenderer's own bids for the tender (nobody else may list bids before the opening).
pub async fn my_bids(app: &AppState, actor: &Actor, id: &TenderId) -> Result<Vec<Bid>, BidError> {
    if actor.role != Role::Tenderer {
        return Err(BidError::Forbidden(
            "nobody lists the bids of a tender before the opening".into(),
        ));
    }
    published(app, id).await?;
    Ok(app.store.bids_of(id, &actor.org_id).await?)
}
