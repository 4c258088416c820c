//! Storage of the record of writes (`crate::write_record`): appended outside the audit log, read
//! per tender in the order written.

use super::sql::SqlStore;
use super::StoreError;
use crate::domain::{OrgId, TenderId, Timestamp, UserId};
use crate::identity::Role;
use crate::write_record::WriteRecord;
use async_trait::async_trait;
use sqlx::Row;

#[async_trait]
pub trait WriteRecordStore: Send + Sync {
    async fn record_write(&self, w: &WriteRecord) -> Result<(), StoreError>;
    /// Every write to the tender, oldest first.
    async fn write_record(&self, tender: &TenderId) -> Result<Vec<WriteRecord>, StoreError>;
}

fn row(r: &sqlx::any::AnyRow) -> Result<WriteRecord, StoreError> {
    let role: String = r.try_get("role")?;
    let status: i32 = r.try_get("status")?;
    Ok(WriteRecord {
        at: Timestamp::from_stored(r.try_get("at")?),
        user_id: UserId::from_stored(r.try_get("user_id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        role: Role::parse(&role)
            .map_err(|_| StoreError::Unavailable("a stored write record's role".into()))?,
        method: r.try_get("method")?,
        route: r.try_get("route")?,
        tender_id: r
            .try_get::<Option<String>, _>("tender_id")?
            .map(TenderId::from_stored),
        status: u16::try_from(status).unwrap_or(0),
        address: r.try_get("address")?,
    })
}

#[async_trait]
impl WriteRecordStore for SqlStore {
    async fn record_write(&self, w: &WriteRecord) -> Result<(), StoreError> {
        let w = w.clone();
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO write_record (at, user_id, org_id, role, method, route, \
                           tender_id, status, address) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(w.at.millis())
                    .bind(w.user_id.to_string())
                    .bind(w.org_id.to_string())
                    .bind(w.role.as_str())
                    .bind(w.method.clone())
                    .bind(w.route.clone())
                    .bind(w.tender_id.as_ref().map(|t| t.to_string()))
                    .bind(i32::from(w.status))
                    .bind(w.address.clone())
                    .execute(&mut *c)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn write_record(&self, tender: &TenderId) -> Result<Vec<WriteRecord>, StoreError> {
        sqlx::query("SELECT * FROM write_record WHERE tender_id = $1 ORDER BY seq")
            .bind(tender.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(row)
            .collect()
    }
}
