//! Storage of the daily reconciliations: one row per bank and day with the differences found, and
//! its audit entry in the same transaction. A later run of the same day replaces the row.

use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::domain::Timestamp;
use async_trait::async_trait;
use serde::Serialize;
use sqlx::Row;

/// A reconciliation as stored: the bank, the statement's day, and what was found.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StoredReconciliation {
    pub bank: String,
    pub day: String,
    #[schema(value_type = String)]
    pub ran_at: Timestamp,
    pub matched: i64,
    /// The `Difference`s as JSON.
    pub differences: serde_json::Value,
}

#[async_trait]
pub trait ReconciliationStore: Send + Sync {
    async fn record_reconciliation(
        &self,
        r: &StoredReconciliation,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn reconciliation(
        &self,
        bank: &str,
        day: &str,
    ) -> Result<Option<StoredReconciliation>, StoreError>;
    /// The latest first, at most `limit`.
    async fn reconciliations(&self, limit: i64) -> Result<Vec<StoredReconciliation>, StoreError>;
}

fn row(r: &sqlx::any::AnyRow) -> Result<StoredReconciliation, StoreError> {
    let differences: String = r.try_get("differences")?;
    Ok(StoredReconciliation {
        bank: r.try_get("bank")?,
        day: r.try_get("day")?,
        ran_at: Timestamp::from_stored(r.try_get("ran_at")?),
        matched: r.try_get("matched")?,
        differences: serde_json::from_str(&differences)
            .map_err(|e| StoreError::Unavailable(format!("a stored reconciliation: {e}")))?,
    })
}

#[async_trait]
impl ReconciliationStore for SqlStore {
    async fn record_reconciliation(
        &self,
        r: &StoredReconciliation,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (r, audit) = (r.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO reconciliations (bank, day, ran_at, matched, differences) \
                         VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (bank, day) DO UPDATE SET ran_at = excluded.ran_at, \
                           matched = excluded.matched, differences = excluded.differences",
                    )
                    .bind(r.bank.clone())
                    .bind(r.day.clone())
                    .bind(r.ran_at.millis())
                    .bind(r.matched)
                    .bind(r.differences.to_string())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn reconciliation(
        &self,
        bank: &str,
        day: &str,
    ) -> Result<Option<StoredReconciliation>, StoreError> {
        sqlx::query(
            "SELECT bank, day, ran_at, matched, differences FROM reconciliations \
             WHERE bank = $1 AND day = $2",
        )
        .bind(bank.to_owned())
        .bind(day.to_owned())
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(row)
        .transpose()
    }

    async fn reconciliations(&self, limit: i64) -> Result<Vec<StoredReconciliation>, StoreError> {
        let rows = sqlx::query(
            "SELECT bank, day, ran_at, matched, differences FROM reconciliations \
             ORDER BY day DESC, bank LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(row).collect()
    }
}
