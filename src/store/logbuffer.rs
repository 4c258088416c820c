//! The audit-log side of a group commit. Within one batch, entries and their tree hashes are
//! computed in memory — indexes follow the log's size read once at the start of the batch (under
//! the writer's exclusivity), left children come from the tree's right edge loaded once — and are
//! written with a few multi-row inserts just before the commit. A write that fails takes its
//! entries back out, so later writes in the batch get dense indexes.

use super::log::to_hash;
use super::StoreError;
use crate::auditlog::event::Disclosure;
use crate::auditlog::merkle::{self, Hash};
use crate::auditlog::AuditEvent;
use sqlx::{AnyConnection, Row};
use std::collections::HashMap;

/// Rows per insert statement (SQLite and PostgreSQL both take this many parameters easily).
const ROWS_PER_INSERT: usize = 200;

struct PendingEntry {
    index: i64,
    tender: Option<String>,
    kind: &'static str,
    bytes: Vec<u8>,
    at: i64,
    /// A sealed entry's facts, kept beside the log until the tender's opening discloses them.
    disclosure: Option<Disclosure>,
}

pub struct LogBuffer {
    size: i64,
    known: HashMap<(u8, u64), Hash>,
    entries: Vec<PendingEntry>,
    hashes: Vec<(u8, u64, Hash)>,
}

/// The hashes of the perfect subtrees along the right edge of a log of `size` entries: all
/// that the next appends need. Valid only while the log still has that size (it only grows).
pub struct Edge {
    size: i64,
    hashes: Vec<((u8, u64), Hash)>,
}

/// Where the buffer stood when a write began, to take its entries back out if it fails.
pub struct Mark {
    size: i64,
    entries: usize,
    hashes: usize,
}

impl LogBuffer {
    /// Reads the log's size and, unless `cached` is the edge of a log of that size, the right
    /// edge of its tree, inside the batch's transaction.
    pub async fn start(conn: &mut AnyConnection, cached: Option<Edge>) -> Result<Self, StoreError> {
        let size: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(idx) + 1, 0) FROM audit_log")
            .fetch_one(&mut *conn)
            .await?;
        if let Some(c) = cached.filter(|c| c.size == size) {
            return Ok(Self::from_edge(c));
        }
        let edge = merkle::root_plan(size as u64);
        let mut known = HashMap::with_capacity(edge.len() + 64);
        if !edge.is_empty() {
            let wanted = (0..edge.len())
                .map(|i| format!("(level = ${} AND idx = ${})", 2 * i + 1, 2 * i + 2))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!("SELECT level, idx, hash FROM audit_hashes WHERE {wanted}");
            let mut q = sqlx::query(&sql);
            for (level, idx) in &edge {
                q = q.bind(*level as i64).bind(*idx as i64);
            }
            for row in q.fetch_all(&mut *conn).await? {
                let level: i64 = row.try_get("level")?;
                let idx: i64 = row.try_get("idx")?;
                known.insert((level as u8, idx as u64), to_hash(row.try_get("hash")?)?);
            }
        }
        Ok(LogBuffer {
            size,
            known,
            entries: Vec::new(),
            hashes: Vec::new(),
        })
    }

    fn from_edge(edge: Edge) -> Self {
        LogBuffer {
            size: edge.size,
            known: edge.hashes.into_iter().collect(),
            entries: Vec::new(),
            hashes: Vec::new(),
        }
    }

    /// The right edge of the tree as this batch leaves it, for the next batch to start from
    /// once this one has committed.
    pub fn edge(&self) -> Edge {
        Edge {
            size: self.size,
            hashes: merkle::root_plan(self.size as u64)
                .into_iter()
                .filter_map(|k| self.known.get(&k).map(|h| (k, *h)))
                .collect(),
        }
    }

    /// Appends an entry and returns its index.
    pub fn append(&mut self, event: &AuditEvent) -> Result<i64, StoreError> {
        let bytes = event.canonical_bytes();
        let index = self.size;
        let leaf = merkle::leaf_hash(&bytes);
        let completed = merkle::hashes_completed_by_append(index as u64, &leaf, &self.known)
            .map_err(|e| StoreError::Unavailable(format!("log tree is incomplete: {e}")))?;
        for (level, idx, hash) in std::iter::once((0u8, index as u64, leaf)).chain(completed) {
            if level > 0 {
                self.known.insert((level, idx), hash);
            } else if idx & 1 == 0 {
                // An even leaf is the left child of the next append's level-1 node.
                self.known.insert((0, idx), hash);
            }
            self.hashes.push((level, idx, hash));
        }
        self.entries.push(PendingEntry {
            index,
            tender: event.tender.as_ref().map(|t| t.to_string()),
            kind: event.kind,
            bytes,
            at: event.at.millis(),
            disclosure: event.disclosure.clone(),
        });
        self.size += 1;
        Ok(index)
    }

    pub fn mark(&self) -> Mark {
        Mark {
            size: self.size,
            entries: self.entries.len(),
            hashes: self.hashes.len(),
        }
    }

    /// Takes back everything appended since `mark`.
    pub fn rollback_to(&mut self, mark: Mark) {
        for (level, idx, _) in self.hashes.drain(mark.hashes..) {
            self.known.remove(&(level, idx));
        }
        self.entries.truncate(mark.entries);
        self.size = mark.size;
    }

    /// Writes the batch's entries and hashes.
    pub async fn flush(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        for chunk in self.entries.chunks(ROWS_PER_INSERT) {
            let values = (0..chunk.len())
                .map(|i| {
                    let b = 5 * i;
                    format!(
                        "(${}, ${}, ${}, ${}, ${})",
                        b + 1,
                        b + 2,
                        b + 3,
                        b + 4,
                        b + 5
                    )
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql =
                format!("INSERT INTO audit_log (idx, tender_id, kind, entry, at) VALUES {values}");
            let mut q = sqlx::query(&sql);
            for e in chunk {
                q = q
                    .bind(e.index)
                    .bind(e.tender.clone())
                    .bind(e.kind)
                    .bind(e.bytes.clone())
                    .bind(e.at);
            }
            q.execute(&mut *conn).await?;
        }
        let sealed: Vec<(i64, &Disclosure)> = self
            .entries
            .iter()
            .filter_map(|e| Some((e.index, e.disclosure.as_ref()?)))
            .collect();
        for chunk in sealed.chunks(ROWS_PER_INSERT) {
            let values = (0..chunk.len())
                .map(|i| {
                    let b = 4 * i;
                    format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4)
                })
                .collect::<Vec<_>>()
                .join(", ");
            let sql =
                format!("INSERT INTO audit_sealed (idx, tender_id, salt, facts) VALUES {values}");
            let mut q = sqlx::query(&sql);
            for (index, d) in chunk {
                q = q
                    .bind(*index)
                    .bind(d.tender.to_string())
                    .bind(d.salt.to_vec())
                    .bind(d.facts.clone());
            }
            q.execute(&mut *conn).await?;
        }
        for chunk in self.hashes.chunks(ROWS_PER_INSERT) {
            let values = (0..chunk.len())
                .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!("INSERT INTO audit_hashes (level, idx, hash) VALUES {values}");
            let mut q = sqlx::query(&sql);
            for (level, idx, hash) in chunk {
                q = q.bind(*level as i64).bind(*idx as i64).bind(hash.to_vec());
            }
            q.execute(&mut *conn).await?;
        }
        self.entries.clear();
        self.hashes.clear();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auditlog::AuditActor;
    use crate::domain::Timestamp;

    fn ev(n: i64) -> AuditEvent {
        AuditEvent::new(
            "test",
            None,
            AuditActor::System,
            Timestamp::from_stored(n),
            serde_json::json!({ "n": n }),
        )
    }

    #[test]
    fn buffered_hashes_match_the_tree_and_a_rollback_leaves_no_trace() {
        let mut buf = LogBuffer {
            size: 0,
            known: HashMap::new(),
            entries: Vec::new(),
            hashes: Vec::new(),
        };
        let mut tree = merkle::MemoryTree::new();
        for n in 0..37 {
            let mark = buf.mark();
            buf.append(&ev(n)).unwrap();
            if n % 5 == 3 {
                buf.append(&ev(1000 + n)).unwrap();
                buf.rollback_to(mark); // this write failed: both entries go
                continue;
            }
            tree.append_entry(&ev(n).canonical_bytes());
        }
        assert_eq!(buf.size as u64, tree.size());
        let stored: HashMap<(u8, u64), Hash> =
            buf.hashes.iter().map(|(l, i, h)| ((*l, *i), *h)).collect();
        assert_eq!(merkle::root(tree.size(), &stored).unwrap(), tree.root());
        for (i, e) in buf.entries.iter().enumerate() {
            assert_eq!(e.index, i as i64, "indexes stay dense after rollbacks");
        }
    }

    #[test]
    fn a_batch_started_from_the_last_ones_edge_extends_the_same_tree() {
        let mut tree = merkle::MemoryTree::new();
        let mut stored: HashMap<(u8, u64), Hash> = HashMap::new();
        let mut edge = Edge {
            size: 0,
            hashes: Vec::new(),
        };
        // Batches of uneven sizes, each starting only from what the previous one left.
        for batch in [1i64, 2, 5, 1, 8, 13, 3] {
            let mut buf = LogBuffer::from_edge(edge);
            for _ in 0..batch {
                let n = tree.size() as i64;
                buf.append(&ev(n)).unwrap();
                tree.append_entry(&ev(n).canonical_bytes());
            }
            stored.extend(buf.hashes.iter().map(|(l, i, h)| ((*l, *i), *h)));
            assert_eq!(merkle::root(tree.size(), &stored).unwrap(), tree.root());
            edge = buf.edge();
        }
    }
}
