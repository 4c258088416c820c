//! The reactions' outbox (src/reactions): rows written inside another use case's transaction, and
//! claimed, delivered and retried by the dispatcher.
//!
//! Claiming is how two dispatchers (two nodes, or the writer's own delivery racing the periodic
//! one) never deliver the same reaction at the same moment: a claim moves `next_attempt_at` to
//! the end of a lease with `UPDATE … WHERE next_attempt_at <= now`, and only the dispatcher whose
//! update changed the row delivers it. On PostgreSQL a second claimant's update waits for the
//! first one's row lock and then no longer matches; on SQLite writes are serial anyway. A
//! dispatcher that dies mid-delivery leaves the lease to run out, after which the reaction is
//! claimed again: every effect is idempotent.

use super::sql::SqlStore;
use super::StoreError;
use crate::domain::{TenderId, Timestamp};
use crate::reactions::Reaction;
use async_trait::async_trait;
use sqlx::Row;

/// A reaction as stored, with its delivery so far.
#[derive(Debug, Clone)]
pub struct StoredReaction {
    pub key: String,
    pub tender: TenderId,
    pub body: String,
    pub created_at: Timestamp,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub delivered_at: Option<Timestamp>,
}

#[async_trait]
pub trait ReactionStore: Send + Sync {
    /// Claims up to `limit` undelivered reactions due at `now` (only those named in `keys`, if
    /// given) until `lease_until`, and returns them; a reaction someone else claimed is skipped.
    async fn claim_reactions(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        keys: Option<Vec<String>>,
        limit: i64,
    ) -> Result<Vec<StoredReaction>, StoreError>;
    /// The reaction was delivered.
    async fn reaction_delivered(&self, key: &str, at: Timestamp) -> Result<(), StoreError>;
    /// The delivery failed: counted, with the error, and tried again from `next_attempt_at`.
    async fn reaction_failed(
        &self,
        key: &str,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Every reaction not yet delivered, oldest first (for the operator's view).
    async fn undelivered_reactions(&self) -> Result<Vec<StoredReaction>, StoreError>;
    /// A tender's reactions, delivered or not, oldest first.
    async fn reactions_of(&self, tender: &TenderId) -> Result<Vec<StoredReaction>, StoreError>;
}

const COLUMNS: &str =
    "key, tender_id, body, created_at, attempts, next_attempt_at, last_error, delivered_at";

/// Writes `reactions` inside the caller's transaction, due at once; a reaction already written
/// (the same key) is left as it is.
pub(super) async fn insert(
    c: &mut sqlx::AnyConnection,
    reactions: &[Reaction],
    now: Timestamp,
) -> Result<(), StoreError> {
    for r in reactions {
        sqlx::query(
            "INSERT INTO reactions (key, tender_id, body, created_at, attempts, next_attempt_at) \
             VALUES ($1, $2, $3, $4, 0, $4) ON CONFLICT (key) DO NOTHING",
        )
        .bind(r.key.clone())
        .bind(r.tender.to_string())
        .bind(r.body())
        .bind(now.millis())
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

fn row(r: &sqlx::any::AnyRow) -> Result<StoredReaction, StoreError> {
    Ok(StoredReaction {
        key: r.try_get("key")?,
        tender: TenderId::from_stored(r.try_get("tender_id")?),
        body: r.try_get("body")?,
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
        attempts: r.try_get("attempts")?,
        next_attempt_at: Timestamp::from_stored(r.try_get("next_attempt_at")?),
        last_error: r.try_get("last_error")?,
        delivered_at: r
            .try_get::<Option<i64>, _>("delivered_at")?
            .map(Timestamp::from_stored),
    })
}

#[async_trait]
impl ReactionStore for SqlStore {
    async fn claim_reactions(
        &self,
        now: Timestamp,
        lease_until: Timestamp,
        keys: Option<Vec<String>>,
        limit: i64,
    ) -> Result<Vec<StoredReaction>, StoreError> {
        let candidates = match keys {
            Some(keys) => keys,
            None => sqlx::query(
                "SELECT key FROM reactions WHERE delivered_at IS NULL AND next_attempt_at <= $1 \
                 ORDER BY next_attempt_at, key LIMIT $2",
            )
            .bind(now.millis())
            .bind(limit)
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("key"))
            .collect::<Result<_, _>>()?,
        };
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    let mut claimed = Vec::new();
                    for key in candidates {
                        let taken = sqlx::query(&format!(
                            "UPDATE reactions SET next_attempt_at = $2 \
                             WHERE key = $1 AND delivered_at IS NULL AND next_attempt_at <= $3 \
                             RETURNING {COLUMNS}"
                        ))
                        .bind(key)
                        .bind(lease_until.millis())
                        .bind(now.millis())
                        .fetch_optional(&mut *c)
                        .await?;
                        if let Some(r) = taken {
                            claimed.push(row(&r)?);
                        }
                    }
                    Ok(claimed)
                })
            })
            .await
    }

    async fn reaction_delivered(&self, key: &str, at: Timestamp) -> Result<(), StoreError> {
        let key = key.to_owned();
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE reactions SET delivered_at = $2, attempts = attempts + 1, \
                         last_error = NULL WHERE key = $1 AND delivered_at IS NULL",
                    )
                    .bind(key)
                    .bind(at.millis())
                    .execute(&mut *c)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn reaction_failed(
        &self,
        key: &str,
        next_attempt_at: Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let (key, error) = (key.to_owned(), error.to_owned());
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    sqlx::query(
                        "UPDATE reactions SET attempts = attempts + 1, next_attempt_at = $2, \
                         last_error = $3 WHERE key = $1 AND delivered_at IS NULL",
                    )
                    .bind(key)
                    .bind(next_attempt_at.millis())
                    .bind(error)
                    .execute(&mut *c)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn undelivered_reactions(&self) -> Result<Vec<StoredReaction>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reactions WHERE delivered_at IS NULL \
             ORDER BY created_at, key LIMIT 1000"
        ))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(row).collect()
    }

    async fn reactions_of(&self, tender: &TenderId) -> Result<Vec<StoredReaction>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM reactions WHERE tender_id = $1 ORDER BY created_at, key"
        ))
        .bind(tender.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(row).collect()
    }
}
