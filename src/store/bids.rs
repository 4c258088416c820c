//! Storage of the bid box: custodian keys and sealed-bid records, each write with its audit entry.

use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::bids::{Bid, BidState, CustodianKey};
use crate::domain::{OrgId, TenderId, Timestamp};
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
pub trait BidStore: Send + Sync {
    /// Registers a custodian key; `Conflict` if that custodian already has one.
    async fn add_custodian_key(
        &self,
        key: &CustodianKey,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn custodian_keys(&self, tender: &TenderId) -> Result<Vec<CustodianKey>, StoreError>;
    /// Records a received bid (the one that now counts for its tenderer and lot; an earlier one
    /// becomes `replaced`) and returns it with its audit-log index.
    async fn submit_bid(&self, bid: &Bid, audit: &AuditEvent) -> Result<Bid, StoreError>;
    /// Withdraws the tenderer's bid for the lot; `NotFound` if it has none that counts.
    /// Withdraws the tenderer's counting bid for the lot, with the reaction that returns its
    /// bond, in one transaction.
    async fn withdraw_bid(
        &self,
        tender: &TenderId,
        lot: &str,
        org: &OrgId,
        audit: &AuditEvent,
        refund: &crate::reactions::Reaction,
    ) -> Result<Bid, StoreError>;
    /// The tenderer's own bids for a tender, newest first.
    async fn bids_of(&self, tender: &TenderId, org: &OrgId) -> Result<Vec<Bid>, StoreError>;
    /// The bids that count (not replaced, not withdrawn), in the order received.
    async fn counted_bids(&self, tender: &TenderId) -> Result<Vec<Bid>, StoreError>;
    /// Records a custodian's released share of a bid; a second release of the same share is
    /// ignored (`false`).
    async fn save_released_share(
        &self,
        bid_id: &str,
        index: u8,
        released_hex: &str,
        released_by: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
    /// Every released share of the tender's bids: (bid id, custodian index, hex of the share).
    async fn released_shares(
        &self,
        tender: &TenderId,
    ) -> Result<Vec<(String, u8, String)>, StoreError>;
    /// Records a bid's final outcome at the opening.
    async fn save_opening(
        &self,
        bid_id: &str,
        tender: &TenderId,
        outcome: &serde_json::Value,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn openings(
        &self,
        tender: &TenderId,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError>;
    /// Published tenders whose deadline has passed and whose box is not closed yet.
    async fn boxes_due(&self, now: Timestamp) -> Result<Vec<TenderId>, StoreError>;
    /// Whether the tender's box is closed.
    async fn box_is_closed(&self, tender: &TenderId) -> Result<bool, StoreError>;
    /// Closes a box with the number of bids that count; `false` if it was already closed.
    async fn close_box(
        &self,
        tender: &TenderId,
        bid_count: i64,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError>;
}

fn custodian_key(r: &sqlx::any::AnyRow) -> Result<CustodianKey, StoreError> {
    Ok(CustodianKey {
        tender_id: TenderId::from_stored(r.try_get("tender_id")?),
        index: r.try_get::<i64, _>("idx")? as u8,
        public_key: r.try_get("public_key")?,
        fingerprint: r.try_get("fingerprint")?,
        registered_by: r.try_get("registered_by")?,
        proof: r.try_get("proof")?,
        registered_at: Timestamp::from_stored(r.try_get("registered_at")?),
    })
}

fn bid(r: &sqlx::any::AnyRow) -> Result<Bid, StoreError> {
    let state: String = r.try_get("state")?;
    Ok(Bid {
        id: r.try_get("id")?,
        tender_id: TenderId::from_stored(r.try_get("tender_id")?),
        lot_id: r.try_get("lot_id")?,
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        salt: r.try_get("salt")?,
        commitment: r.try_get("commitment")?,
        envelope_sha256: r.try_get("envelope_sha256")?,
        size: r.try_get("size")?,
        state: BidState::parse(&state)
            .ok_or_else(|| StoreError::Unavailable(format!("unknown bid state {state}")))?,
        received_at: Timestamp::from_stored(r.try_get("received_at")?),
        log_index: r.try_get("log_index")?,
    })
}

#[async_trait]
impl BidStore for SqlStore {
    async fn add_custodian_key(
        &self,
        key: &CustodianKey,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (k, audit) = (key.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO custodian_keys (tender_id, idx, public_key, fingerprint, \
                           registered_by, proof, registered_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(k.tender_id.to_string())
                    .bind(i64::from(k.index))
                    .bind(k.public_key.clone())
                    .bind(k.fingerprint.clone())
                    .bind(k.registered_by.clone())
                    .bind(k.proof.clone())
                    .bind(k.registered_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn custodian_keys(&self, tender: &TenderId) -> Result<Vec<CustodianKey>, StoreError> {
        sqlx::query("SELECT * FROM custodian_keys WHERE tender_id = $1 ORDER BY idx")
            .bind(tender.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(custodian_key)
            .collect()
    }

    async fn submit_bid(&self, b: &Bid, audit: &AuditEvent) -> Result<Bid, StoreError> {
        let (mut b, audit) = (b.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE bids SET state = $1 \
                         WHERE tender_id = $2 AND lot_id = $3 AND org_id = $4 AND state = $5",
                    )
                    .bind(BidState::Replaced.as_str())
                    .bind(b.tender_id.to_string())
                    .bind(b.lot_id.clone())
                    .bind(b.org_id.to_string())
                    .bind(BidState::Submitted.as_str())
                    .execute(&mut *c)
                    .await?;
                    b.log_index = append_audit(log, &audit)?;
                    sqlx::query(
                        "INSERT INTO bids (id, tender_id, lot_id, org_id, salt, commitment, \
                           envelope_sha256, size, state, received_at, log_index) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    )
                    .bind(b.id.clone())
                    .bind(b.tender_id.to_string())
                    .bind(b.lot_id.clone())
                    .bind(b.org_id.to_string())
                    .bind(b.salt.clone())
                    .bind(b.commitment.clone())
                    .bind(b.envelope_sha256.clone())
                    .bind(b.size)
                    .bind(b.state.as_str())
                    .bind(b.received_at.millis())
                    .bind(b.log_index)
                    .execute(&mut *c)
                    .await?;
                    Ok(b)
                })
            })
            .await
    }

    async fn withdraw_bid(
        &self,
        tender: &TenderId,
        lot: &str,
        org: &OrgId,
        audit: &AuditEvent,
        refund: &crate::reactions::Reaction,
    ) -> Result<Bid, StoreError> {
        let (tender, lot, org, audit, refund) = (
            tender.clone(),
            lot.to_string(),
            org.clone(),
            audit.clone(),
            refund.clone(),
        );
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    super::reactions::insert(c, std::slice::from_ref(&refund), audit.at).await?;
                    let row = sqlx::query(
                        "SELECT * FROM bids \
                         WHERE tender_id = $1 AND lot_id = $2 AND org_id = $3 AND state = $4",
                    )
                    .bind(tender.to_string())
                    .bind(lot.clone())
                    .bind(org.to_string())
                    .bind(BidState::Submitted.as_str())
                    .fetch_optional(&mut *c)
                    .await?
                    .ok_or(StoreError::NotFound)?;
                    let mut b = bid(&row)?;
                    sqlx::query("UPDATE bids SET state = $1 WHERE id = $2")
                        .bind(BidState::Withdrawn.as_str())
                        .bind(b.id.clone())
                        .execute(&mut *c)
                        .await?;
                    b.state = BidState::Withdrawn;
                    b.log_index = append_audit(log, &audit)?;
                    Ok(b)
                })
            })
            .await
    }

    async fn counted_bids(&self, tender: &TenderId) -> Result<Vec<Bid>, StoreError> {
        sqlx::query(
            "SELECT * FROM bids WHERE tender_id = $1 AND state = $2 ORDER BY received_at, id",
        )
        .bind(tender.to_string())
        .bind(BidState::Submitted.as_str())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(bid)
        .collect()
    }

    async fn save_released_share(
        &self,
        bid_id: &str,
        index: u8,
        released_hex: &str,
        released_by: &str,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let (bid_id, released_hex, released_by, audit) = (
            bid_id.to_string(),
            released_hex.to_string(),
            released_by.to_string(),
            audit.clone(),
        );
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let exists = sqlx::query("SELECT 1 FROM released_shares WHERE bid_id = $1 AND idx = $2")
                        .bind(bid_id.clone())
                        .bind(i64::from(index))
                        .fetch_optional(&mut *c)
                        .await?
                        .is_some();
                    if exists {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO released_shares (bid_id, idx, released, released_by, released_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(bid_id)
                    .bind(i64::from(index))
                    .bind(released_hex)
                    .bind(released_by)
                    .bind(at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(true)
                })
            })
            .await
    }

    async fn released_shares(
        &self,
        tender: &TenderId,
    ) -> Result<Vec<(String, u8, String)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.bid_id, r.idx, r.released FROM released_shares r JOIN bids b ON b.id = r.bid_id \
             WHERE b.tender_id = $1 ORDER BY r.bid_id, r.idx",
        )
        .bind(tender.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("bid_id")?,
                    r.try_get::<i64, _>("idx")? as u8,
                    r.try_get("released")?,
                ))
            })
            .collect()
    }

    async fn save_opening(
        &self,
        bid_id: &str,
        tender: &TenderId,
        outcome: &serde_json::Value,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (bid_id, tender, outcome, audit) = (
            bid_id.to_string(),
            tender.to_string(),
            outcome.to_string(),
            audit.clone(),
        );
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bid_openings (bid_id, tender_id, outcome, opened_at) VALUES ($1, $2, $3, $4)",
                    )
                    .bind(bid_id)
                    .bind(tender)
                    .bind(outcome)
                    .bind(at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn openings(
        &self,
        tender: &TenderId,
    ) -> Result<Vec<(String, serde_json::Value)>, StoreError> {
        let rows = sqlx::query("SELECT bid_id, outcome FROM bid_openings WHERE tender_id = $1 ORDER BY opened_at, bid_id")
            .bind(tender.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let text: String = r.try_get("outcome")?;
                Ok((
                    r.try_get("bid_id")?,
                    serde_json::from_str(&text)
                        .map_err(|e| StoreError::Unavailable(e.to_string()))?,
                ))
            })
            .collect()
    }

    async fn boxes_due(&self, now: Timestamp) -> Result<Vec<TenderId>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id FROM tenders t WHERE t.state = 'published' AND t.bid_deadline <= $1 \
             AND NOT EXISTS (SELECT 1 FROM closed_boxes c WHERE c.tender_id = t.id) \
             ORDER BY t.bid_deadline LIMIT 1000",
        )
        .bind(now.millis())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok(TenderId::from_stored(r.try_get("id")?)))
            .collect()
    }

    async fn box_is_closed(&self, tender: &TenderId) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 FROM closed_boxes WHERE tender_id = $1")
                .bind(tender.to_string())
                .fetch_optional(&self.read)
                .await?
                .is_some(),
        )
    }

    async fn close_box(
        &self,
        tender: &TenderId,
        bid_count: i64,
        at: Timestamp,
        audit: &AuditEvent,
    ) -> Result<bool, StoreError> {
        let (tender, audit) = (tender.to_string(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let exists = sqlx::query("SELECT 1 FROM closed_boxes WHERE tender_id = $1")
                        .bind(tender.clone())
                        .fetch_optional(&mut *c)
                        .await?
                        .is_some();
                    if exists {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO closed_boxes (tender_id, bid_count, closed_at) VALUES ($1, $2, $3)",
                    )
                    .bind(tender)
                    .bind(bid_count)
                    .bind(at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(true)
                })
            })
            .await
    }

    async fn bids_of(&self, tender: &TenderId, org: &OrgId) -> Result<Vec<Bid>, StoreError> {
        sqlx::query(
            "SELECT * FROM bids WHERE tender_id = $1 AND org_id = $2 ORDER BY received_at DESC, id DESC",
        )
        .bind(tender.to_string())
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(bid)
        .collect()
    }
}
