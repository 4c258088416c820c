//! Storage of the live opening's events and of the bid bonds on record. Events are appended only
//! after the last one the caller folded (`Conflict` otherwise, so two writers cannot both decide
//! the next step) and, on PostgreSQL, announced to every process with NOTIFY at commit.

use super::sql::{append_audit, Dialect, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::bonds::BondReceipt;
use crate::domain::{Money, OrgId, TenderId, Timestamp};
use crate::opening::{Audience, OpeningEvent};
use async_trait::async_trait;
use sqlx::Row;

/// The channel every process listens on; the payload is `<tender id> <first new seq>`.
pub const NOTIFY_CHANNEL: &str = "bidhall_opening";

#[async_trait]
pub trait OpeningStore: Send + Sync {
    /// Appends `events` (numbered `after + 1`, `after + 2`, …) with their audit entries, if the
    /// tender's last event is still `after`; `Conflict` if another write came first.
    /// Appends `events` with their audit entries and the reactions they ask for, if the tender's
    /// last opening event is still `after` (`Conflict` otherwise), and sets the tender's public
    /// award stage (`None`: unchanged).
    async fn append_opening_events(
        &self,
        tender: &TenderId,
        after: i64,
        events: Vec<OpeningEvent>,
        audits: Vec<AuditEvent>,
        reactions: Vec<crate::reactions::Reaction>,
        stage: Option<&'static str>,
    ) -> Result<(), StoreError>;
    /// The tender's events after `after`, oldest first, at most `limit`.
    async fn opening_events(
        &self,
        tender: &TenderId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<OpeningEvent>, StoreError>;
    /// Published tenders whose deadline is at most `horizon` and whose opening is not over.
    async fn openings_due(&self, horizon: Timestamp) -> Result<Vec<TenderId>, StoreError>;
    /// Records a received bond; `Conflict` if the reference is already on record for the tender.
    async fn record_bond(&self, r: &BondReceipt, audit: &AuditEvent) -> Result<(), StoreError>;
    async fn bonds(&self, tender: &TenderId) -> Result<Vec<BondReceipt>, StoreError>;
}

/// A stored event row of `opening_events` or `award_events` (the same columns).
pub(super) fn event(r: &sqlx::any::AnyRow) -> Result<OpeningEvent, StoreError> {
    let audience: String = r.try_get("audience")?;
    let party: Option<String> = r.try_get("party_org")?;
    let body: String = r.try_get("body")?;
    Ok(OpeningEvent {
        seq: r.try_get("seq")?,
        at: Timestamp::from_stored(r.try_get("at")?),
        kind: r.try_get("kind")?,
        audience: Audience::from_stored(&audience, party)
            .ok_or_else(|| StoreError::Unavailable(format!("unknown audience {audience}")))?,
        body: serde_json::from_str(&body).map_err(|e| StoreError::Unavailable(e.to_string()))?,
    })
}

/// Inserts `events` into `table` (`opening_events` or `award_events`, the same columns) if the
/// tender's last event there is still `after`; `Conflict` naming `what` otherwise.
pub(super) async fn append_after(
    c: &mut sqlx::AnyConnection,
    table: &str,
    what: &str,
    tender: &str,
    after: i64,
    events: &[OpeningEvent],
) -> Result<(), StoreError> {
    let last: i64 = sqlx::query(&format!(
        "SELECT COALESCE(MAX(seq), 0) AS last FROM {table} WHERE tender_id = $1"
    ))
    .bind(tender.to_owned())
    .fetch_one(&mut *c)
    .await?
    .try_get("last")?;
    if last != after {
        return Err(StoreError::Conflict(format!(
            "the {what} moved on to event {last}"
        )));
    }
    for e in events {
        sqlx::query(&format!(
            "INSERT INTO {table} (tender_id, seq, at, kind, audience, party_org, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(tender.to_owned())
        .bind(e.seq)
        .bind(e.at.millis())
        .bind(e.kind.clone())
        .bind(e.audience.as_str())
        .bind(e.audience.party().map(|o| o.to_string()))
        .bind(e.body.to_string())
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl OpeningStore for SqlStore {
    async fn append_opening_events(
        &self,
        tender: &TenderId,
        after: i64,
        events: Vec<OpeningEvent>,
        audits: Vec<AuditEvent>,
        reactions: Vec<crate::reactions::Reaction>,
        stage: Option<&'static str>,
    ) -> Result<(), StoreError> {
        let tender = tender.to_string();
        let notify = self.dialect == Dialect::Postgres;
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    append_after(c, "opening_events", "opening", &tender, after, &events).await?;
                    if let Some(first) = events.first() {
                        super::reactions::insert(c, &reactions, first.at).await?;
                    }
                    super::award::set_award_stage(c, &tender, stage).await?;
                    for a in &audits {
                        append_audit(log, a)?;
                    }
                    if notify {
                        if let Some(first) = events.first() {
                            sqlx::query("SELECT pg_notify($1, $2)")
                                .bind(NOTIFY_CHANNEL)
                                .bind(format!("{tender} {}", first.seq))
                                .execute(&mut *c)
                                .await?;
                        }
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn opening_events(
        &self,
        tender: &TenderId,
        after: i64,
        limit: i64,
    ) -> Result<Vec<OpeningEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, audience, party_org, body FROM opening_events \
             WHERE tender_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(tender.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(event).collect()
    }

    async fn openings_due(&self, horizon: Timestamp) -> Result<Vec<TenderId>, StoreError> {
        let rows = sqlx::query(
            "SELECT t.id FROM tenders t WHERE t.state = 'published' AND t.bid_deadline <= $1 \
             AND NOT EXISTS (SELECT 1 FROM opening_events e WHERE e.tender_id = t.id \
                             AND e.kind IN ('concluded', 'opening_failed')) \
             ORDER BY t.bid_deadline LIMIT 1000",
        )
        .bind(horizon.millis())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok(TenderId::from_stored(r.try_get("id")?)))
            .collect()
    }

    async fn record_bond(&self, r: &BondReceipt, audit: &AuditEvent) -> Result<(), StoreError> {
        let (r, audit) = (r.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bond_receipts (id, tender_id, lot_id, org_id, amount_fen, \
                           reference, recorded_by, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(r.id)
                    .bind(r.tender_id.to_string())
                    .bind(r.lot_id)
                    .bind(r.org_id.to_string())
                    .bind(r.amount_fen.fen())
                    .bind(r.reference)
                    .bind(r.recorded_by)
                    .bind(r.received_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn bonds(&self, tender: &TenderId) -> Result<Vec<BondReceipt>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tender_id, lot_id, org_id, amount_fen, reference, recorded_by, received_at \
             FROM bond_receipts WHERE tender_id = $1 ORDER BY received_at, id",
        )
        .bind(tender.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BondReceipt {
                    id: r.try_get("id")?,
                    tender_id: TenderId::from_stored(r.try_get("tender_id")?),
                    lot_id: r.try_get("lot_id")?,
                    org_id: OrgId::from_stored(r.try_get("org_id")?),
                    amount_fen: Money::from_fen(r.try_get("amount_fen")?)
                        .map_err(|e| StoreError::Unavailable(e.to_string()))?,
                    reference: r.try_get("reference")?,
                    recorded_by: r.try_get("recorded_by")?,
                    received_at: Timestamp::from_stored(r.try_get("received_at")?),
                })
            })
            .collect()
    }
}
