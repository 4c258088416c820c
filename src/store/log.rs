//! Storage of the transparency log: entries with their complete-subtree hashes (written by
//! `SqlStore::append_audit` in the caller's transaction), signed checkpoints and witness
//! cosignatures. Reads only; the tree arithmetic lives in `auditlog::merkle`.

use super::sql::SqlStore;
use super::{StoreError, StoredEntry};
use crate::auditlog::merkle::Hash;
use crate::domain::{TenderId, Timestamp};
use async_trait::async_trait;
use sqlx::Row;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct StoredCheckpoint {
    pub size: i64,
    pub root: Hash,
    /// The signed note, exactly as published.
    pub note: String,
    pub created_at: Timestamp,
}

/// A sealed entry's facts, as the disclosure route serves them.
#[derive(Debug, Clone, PartialEq)]
pub struct SealedEntry {
    pub index: i64,
    pub salt: Vec<u8>,
    pub facts: Vec<u8>,
}

#[async_trait]
pub trait LogStore: Send + Sync {
    /// How many entries the log holds.
    async fn audit_size(&self) -> Result<i64, StoreError>;
    async fn audit_entry(&self, index: i64) -> Result<StoredEntry, StoreError>;
    /// The stored hashes of the given complete subtrees; missing ones are absent from the map.
    async fn audit_hashes(
        &self,
        nodes: &[(u8, u64)],
    ) -> Result<HashMap<(u8, u64), Hash>, StoreError>;
    /// Records a checkpoint; a second one of the same size is ignored (the first stays).
    async fn save_checkpoint(&self, c: &StoredCheckpoint) -> Result<(), StoreError>;
    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError>;
    async fn checkpoint_of_size(&self, size: i64) -> Result<StoredCheckpoint, StoreError>;
    async fn list_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError>;
    /// Records a witness's cosignature line for the checkpoint of `size` (replacing an older one
    /// from the same witness).
    async fn save_cosignature(
        &self,
        size: i64,
        witness: &str,
        line: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    async fn cosignatures(&self, size: i64) -> Result<Vec<String>, StoreError>;
    /// The disclosures of the tender's sealed entries, oldest first.
    async fn sealed_entries(&self, tender: &TenderId) -> Result<Vec<SealedEntry>, StoreError>;
}

/// A stored 32-byte hash.
pub(super) fn to_hash(bytes: Vec<u8>) -> Result<Hash, StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Unavailable("a stored hash is not 32 bytes".into()))
}

fn checkpoint(r: &sqlx::any::AnyRow) -> Result<StoredCheckpoint, StoreError> {
    Ok(StoredCheckpoint {
        size: r.try_get("size")?,
        root: to_hash(r.try_get("root")?)?,
        note: r.try_get("note")?,
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
    })
}

pub(super) fn entry(r: &sqlx::any::AnyRow) -> Result<StoredEntry, StoreError> {
    Ok(StoredEntry {
        index: r.try_get("idx")?,
        tender: r
            .try_get::<Option<String>, _>("tender_id")?
            .map(TenderId::from_stored),
        kind: r.try_get("kind")?,
        entry: r.try_get("entry")?,
    })
}

#[async_trait]
impl LogStore for SqlStore {
    async fn audit_size(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_log")
                .fetch_one(&self.read)
                .await?,
        )
    }

    async fn audit_entry(&self, index: i64) -> Result<StoredEntry, StoreError> {
        let row = sqlx::query("SELECT idx, tender_id, kind, entry FROM audit_log WHERE idx = $1")
            .bind(index)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        entry(&row)
    }

    async fn audit_hashes(
        &self,
        nodes: &[(u8, u64)],
    ) -> Result<HashMap<(u8, u64), Hash>, StoreError> {
        let mut out = HashMap::with_capacity(nodes.len());
        let mut sorted: Vec<(u8, u64)> = nodes.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        // Proofs name a few scattered nodes; tiles name runs of up to 256 in one level. Runs
        // become ranges, and everything goes in one query.
        let mut ranges: Vec<(u8, u64, u64)> = Vec::new();
        for (level, idx) in sorted {
            match ranges.last_mut() {
                Some((l, _, end)) if *l == level && *end + 1 == idx => *end = idx,
                _ => ranges.push((level, idx, idx)),
            }
        }
        for chunk in ranges.chunks(200) {
            let wanted = (0..chunk.len())
                .map(|i| {
                    format!(
                        "(level = ${} AND idx BETWEEN ${} AND ${})",
                        3 * i + 1,
                        3 * i + 2,
                        3 * i + 3
                    )
                })
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!("SELECT level, idx, hash FROM audit_hashes WHERE {wanted}");
            let mut q = sqlx::query(&sql);
            for (level, start, end) in chunk {
                q = q.bind(*level as i64).bind(*start as i64).bind(*end as i64);
            }
            for r in q.fetch_all(&self.read).await? {
                let level: i64 = r.try_get("level")?;
                let idx: i64 = r.try_get("idx")?;
                out.insert((level as u8, idx as u64), to_hash(r.try_get("hash")?)?);
            }
        }
        Ok(out)
    }

    async fn save_checkpoint(&self, c: &StoredCheckpoint) -> Result<(), StoreError> {
        let c = c.clone();
        self.commit
            .run(move |conn, _log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO audit_checkpoints (size, root, note, created_at) \
                         VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING",
                    )
                    .bind(c.size)
                    .bind(c.root.to_vec())
                    .bind(c.note.clone())
                    .bind(c.created_at.millis())
                    .execute(&mut *conn)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, StoreError> {
        let row = sqlx::query("SELECT * FROM audit_checkpoints ORDER BY size DESC LIMIT 1")
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(checkpoint).transpose()
    }

    async fn checkpoint_of_size(&self, size: i64) -> Result<StoredCheckpoint, StoreError> {
        let row = sqlx::query("SELECT * FROM audit_checkpoints WHERE size = $1")
            .bind(size)
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        checkpoint(&row)
    }

    async fn list_checkpoints(&self) -> Result<Vec<StoredCheckpoint>, StoreError> {
        sqlx::query("SELECT * FROM audit_checkpoints ORDER BY size")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(checkpoint)
            .collect()
    }

    async fn save_cosignature(
        &self,
        size: i64,
        witness: &str,
        line: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let (witness, line) = (witness.to_string(), line.to_string());
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM audit_cosignatures WHERE size = $1 AND witness = $2")
                        .bind(size)
                        .bind(witness.clone())
                        .execute(&mut *c)
                        .await?;
                    sqlx::query(
                        "INSERT INTO audit_cosignatures (size, witness, line, received_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(size)
                    .bind(witness)
                    .bind(line)
                    .bind(at.millis())
                    .execute(&mut *c)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn sealed_entries(&self, tender: &TenderId) -> Result<Vec<SealedEntry>, StoreError> {
        sqlx::query("SELECT idx, salt, facts FROM audit_sealed WHERE tender_id = $1 ORDER BY idx")
            .bind(tender.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(SealedEntry {
                    index: r.try_get("idx")?,
                    salt: r.try_get("salt")?,
                    facts: r.try_get("facts")?,
                })
            })
            .collect()
    }

    async fn cosignatures(&self, size: i64) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT line FROM audit_cosignatures WHERE size = $1 ORDER BY witness")
                .bind(size)
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| Ok(r.try_get::<String, _>("line")?))
            .collect()
    }
}
