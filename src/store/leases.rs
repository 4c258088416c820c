//! Leases on the hall's periodic jobs (the closer, the opening watcher, the checkpointer, the
//! refund sender, …): on PostgreSQL, where several `serve` processes share one database, exactly
//! one node runs each job; the others skip their ticks until its lease runs out (docs/operations.md).
//!
//! A claim is one statement: insert the lease, or take it over when it is the claimant's own
//! (a renewal) or has run out. PostgreSQL runs an `INSERT … ON CONFLICT DO UPDATE … WHERE` as one
//! atomic step under the row's lock, so of two nodes claiming at once exactly one changes the row
//! and sees `rows_affected() == 1`. The lease table is not part of the audit log and does not go
//! through the group committer: it says who works, not what happened.
//!
//! SQLite is one process's file (the embedded default): its jobs are that process's, and every
//! claim succeeds without touching the database.

use super::sql::{Dialect, SqlStore};
use super::StoreError;
use async_trait::async_trait;

#[async_trait]
pub trait LeaseStore: Send + Sync {
    /// Claims (or renews) `job` for `holder` until `until_ms` if nobody else holds it at
    /// `now_ms`; true when `holder` holds it now.
    async fn claim_job(
        &self,
        job: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError>;
    /// Gives `job` up at once (a node shutting down), if `holder` holds it.
    async fn release_job(&self, job: &str, holder: &str) -> Result<(), StoreError>;
}

#[async_trait]
impl LeaseStore for SqlStore {
    async fn claim_job(
        &self,
        job: &str,
        holder: &str,
        now_ms: i64,
        until_ms: i64,
    ) -> Result<bool, StoreError> {
        if self.dialect == Dialect::Sqlite {
            return Ok(true);
        }
        let changed = sqlx::query(
            "INSERT INTO job_leases (job, holder, until_ms) VALUES ($1, $2, $3) \
             ON CONFLICT (job) DO UPDATE SET holder = EXCLUDED.holder, until_ms = EXCLUDED.until_ms \
             WHERE job_leases.holder = EXCLUDED.holder OR job_leases.until_ms < $4",
        )
        .bind(job.to_owned())
        .bind(holder.to_owned())
        .bind(until_ms)
        .bind(now_ms)
        .execute(&self.read)
        .await?
        .rows_affected();
        Ok(changed == 1)
    }

    async fn release_job(&self, job: &str, holder: &str) -> Result<(), StoreError> {
        if self.dialect == Dialect::Sqlite {
            return Ok(());
        }
        sqlx::query("DELETE FROM job_leases WHERE job = $1 AND holder = $2")
            .bind(job.to_owned())
            .bind(holder.to_owned())
            .execute(&self.read)
            .await?;
        Ok(())
    }
}
