//! Storage of guarantee issuers and verified electronic guarantees. A guarantee is kept with the
//! exact bytes its issuer signed, so it can be re-verified from the store alone; a second one
//! with the same issuer and number is a `Conflict`.

use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::bonds::guarantee::{Guarantee, Issuer, IssuerId, IssuerKind, SignedDocument};
use crate::domain::TenderId;
use crate::domain::{Line, Timestamp};
use crate::identity::keys::P256PublicKey;
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

#[async_trait]
pub trait GuaranteeStore: Send + Sync {
    /// `Conflict` if an issuer with this id is registered already.
    async fn register_issuer(&self, issuer: &Issuer, audit: &AuditEvent) -> Result<(), StoreError>;
    async fn issuers(&self) -> Result<Vec<Issuer>, StoreError>;
    async fn issuer(&self, id: &IssuerId) -> Result<Issuer, StoreError>;
    /// Keeps a verified guarantee and the salt of its audit entry's commitment; `Conflict` if
    /// its issuer's number is on record already.
    async fn record_guarantee(
        &self,
        g: &Guarantee,
        salt_hex: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn guarantee(&self, id: &str) -> Result<Guarantee, StoreError>;
    /// Every guarantee given for the tender, oldest first: what the bond check reads.
    async fn guarantees_of_tender(&self, tender: &TenderId) -> Result<Vec<Guarantee>, StoreError>;
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("a stored guarantee does not read back: {e}"))
}

fn issuer_from(r: &AnyRow) -> Result<Issuer, StoreError> {
    Ok(Issuer {
        id: IssuerId::parse(&r.try_get::<String, _>("id")?).map_err(corrupt)?,
        name: Line::parse(&r.try_get::<String, _>("name")?).map_err(corrupt)?,
        kind: IssuerKind::parse(&r.try_get::<String, _>("kind")?)
            .ok_or_else(|| corrupt("issuer kind"))?,
        public_key: P256PublicKey::parse_base64(&r.try_get::<String, _>("public_key")?)
            .map_err(corrupt)?,
        registered_at: Timestamp::from_stored(r.try_get("registered_at")?),
    })
}

fn guarantee_from(r: &AnyRow) -> Result<Guarantee, StoreError> {
    let text: String = r.try_get("document")?;
    let signed = SignedDocument::from_bytes(text.clone().into_bytes()).map_err(corrupt)?;
    Ok(Guarantee {
        id: r.try_get("id")?,
        document: signed.document,
        document_text: text,
        signature: r.try_get("signature")?,
        uploaded_at: Timestamp::from_stored(r.try_get("uploaded_at")?),
    })
}

const GUARANTEE_COLUMNS: &str = "id, document, signature, uploaded_at";

#[async_trait]
impl GuaranteeStore for SqlStore {
    async fn register_issuer(&self, issuer: &Issuer, audit: &AuditEvent) -> Result<(), StoreError> {
        let (i, audit) = (issuer.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO guarantee_issuers (id, name, kind, public_key, registered_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(i.id.as_str().to_owned())
                    .bind(i.name.as_str().to_owned())
                    .bind(i.kind.as_str())
                    .bind(i.public_key.to_base64())
                    .bind(i.registered_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn issuers(&self) -> Result<Vec<Issuer>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, kind, public_key, registered_at FROM guarantee_issuers ORDER BY id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(issuer_from).collect()
    }

    async fn issuer(&self, id: &IssuerId) -> Result<Issuer, StoreError> {
        let row = sqlx::query(
            "SELECT id, name, kind, public_key, registered_at FROM guarantee_issuers WHERE id = $1",
        )
        .bind(id.as_str().to_owned())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        issuer_from(&row)
    }

    async fn record_guarantee(
        &self,
        g: &Guarantee,
        salt_hex: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (g, salt, audit) = (g.clone(), salt_hex.to_owned(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let d = &g.document;
                    sqlx::query(
                        "INSERT INTO guarantees (id, issuer_id, guarantee_number, kind, tender_id, \
                           lot_id, tenderer_id, amount_fen, valid_from, valid_until, document, \
                           signature, salt, uploaded_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
                    )
                    .bind(g.id.clone())
                    .bind(d.issuer_id.as_str().to_owned())
                    .bind(d.guarantee_number.clone())
                    .bind(d.kind.as_str())
                    .bind(d.tender_id.to_string())
                    .bind(d.lot_id.as_ref().map(|l| l.to_string()))
                    .bind(d.tenderer_id.to_string())
                    .bind(d.amount_fen.fen())
                    .bind(d.valid_from.millis())
                    .bind(d.valid_until.millis())
                    .bind(g.document_text.clone())
                    .bind(g.signature.clone())
                    .bind(salt)
                    .bind(g.uploaded_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn guarantee(&self, id: &str) -> Result<Guarantee, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {GUARANTEE_COLUMNS} FROM guarantees WHERE id = $1"
        ))
        .bind(id.to_owned())
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        guarantee_from(&row)
    }

    async fn guarantees_of_tender(&self, tender: &TenderId) -> Result<Vec<Guarantee>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {GUARANTEE_COLUMNS} FROM guarantees WHERE tender_id = $1 ORDER BY uploaded_at, id"
        ))
        .bind(tender.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(guarantee_from).collect()
    }
}
