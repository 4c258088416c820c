//! What auditors run without the server: exporting the log from the store to a folder of tiles,
//! entries and checkpoints (`bidhall log export`), verifying such a folder (`bidhall log verify`,
//! in `export.rs`), and proving one entry from a receipt (`bidhall log prove`).

use super::checkpoint::Checkpoint;
use super::export::{self, ExportSummary};
use super::merkle::{self, Hash};
use super::note::{self, NoteVerifier};
use crate::store::Store;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::sync::Arc;

/// Everything needed to prove offline that an entry is in the log: the entry, a signed
/// checkpoint that covers it, and the inclusion proof against that checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Receipt {
    pub index: i64,
    /// The exact entry bytes, base64.
    pub entry_b64: String,
    pub tree_size: i64,
    /// Base64 hashes of the inclusion proof, leaf to root.
    pub inclusion: Vec<String>,
    /// The signed checkpoint note the proof is against.
    pub checkpoint: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ProveError {
    #[error("the receipt is malformed: {0}")]
    Malformed(String),
    #[error("the checkpoint is not signed by the log's key: {0}")]
    Signature(String),
    #[error("the receipt's tree size {receipt} differs from its checkpoint's {checkpoint}")]
    SizeMismatch { receipt: i64, checkpoint: u64 },
    #[error("the entry is not in the log at that checkpoint: {0}")]
    NotIncluded(String),
}

/// What a verified receipt proves.
#[derive(Debug, Serialize)]
pub struct Proven {
    pub origin: String,
    pub index: i64,
    pub tree_size: u64,
    pub root_hex: String,
    pub entry: serde_json::Value,
}

fn hash_of(b64: &str) -> Result<Hash, ProveError> {
    B64.decode(b64)
        .ok()
        .and_then(|v| <Hash>::try_from(v).ok())
        .ok_or_else(|| ProveError::Malformed(format!("{b64:?} is not a base64 SHA-256 hash")))
}

/// Checks a receipt against the log's verifier key, with no server involved.
pub fn prove(receipt: &Receipt, vkey: &str) -> Result<Proven, ProveError> {
    let verifier =
        NoteVerifier::parse(vkey.trim()).map_err(|e| ProveError::Signature(e.to_string()))?;
    let opened = note::open(&receipt.checkpoint, &[verifier])
        .map_err(|e| ProveError::Signature(e.to_string()))?;
    let cp = Checkpoint::parse(&opened.text).map_err(|e| ProveError::Malformed(e.to_string()))?;
    if receipt.tree_size < 0 || cp.size != receipt.tree_size as u64 {
        return Err(ProveError::SizeMismatch {
            receipt: receipt.tree_size,
            checkpoint: cp.size,
        });
    }
    let entry = B64
        .decode(&receipt.entry_b64)
        .map_err(|_| ProveError::Malformed("entry_b64 is not base64".into()))?;
    let proof = receipt
        .inclusion
        .iter()
        .map(|h| hash_of(h))
        .collect::<Result<Vec<_>, _>>()?;
    if receipt.index < 0 {
        return Err(ProveError::Malformed("negative index".into()));
    }
    merkle::verify_inclusion(
        &merkle::leaf_hash(&entry),
        receipt.index as u64,
        cp.size,
        &proof,
        &cp.root,
    )
    .map_err(|e| ProveError::NotIncluded(e.to_string()))?;
    Ok(Proven {
        origin: cp.origin,
        index: receipt.index,
        tree_size: cp.size,
        root_hex: hex::encode(cp.root),
        entry: serde_json::from_slice(&entry).unwrap_or(serde_json::Value::Null),
    })
}

/// Exports every entry the latest checkpoint covers, every checkpoint and the verifier key.
/// Entries are streamed from the store page by page, never all in memory.
pub async fn export_from_store(
    store: Arc<dyn Store>,
    dir: &Path,
    vkey: &str,
) -> Result<ExportSummary, String> {
    // Each checkpoint as `/log/checkpoint` serves it: the log's note with the witnesses'
    // cosignature lines appended, so `log verify --witness-key` can check them offline.
    let mut checkpoints: Vec<String> = Vec::new();
    for c in store.list_checkpoints().await.map_err(|e| e.to_string())? {
        let mut note = c.note;
        for line in store
            .cosignatures(c.size)
            .await
            .map_err(|e| e.to_string())?
        {
            note.push_str(&line);
            note.push('\n');
        }
        checkpoints.push(note);
    }
    let size = store
        .latest_checkpoint()
        .await
        .map_err(|e| e.to_string())?
        .map(|c| c.size)
        .ok_or("the log has no checkpoint yet; start the server once to sign one")?;
    let handle = tokio::runtime::Handle::current();
    let dir = dir.to_path_buf();
    let vkey = vkey.to_string();
    tokio::task::spawn_blocking(move || {
        let pages = Pages {
            store,
            handle,
            after: -1,
            size,
            buffer: Vec::new().into_iter(),
        };
        export::write(&dir, pages, &checkpoints, &vkey).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

struct Pages {
    store: Arc<dyn Store>,
    handle: tokio::runtime::Handle,
    after: i64,
    size: i64,
    buffer: std::vec::IntoIter<Vec<u8>>,
}

impl Iterator for Pages {
    type Item = Vec<u8>;
    fn next(&mut self) -> Option<Vec<u8>> {
        if let Some(e) = self.buffer.next() {
            return Some(e);
        }
        if self.after + 1 >= self.size {
            return None;
        }
        let want = (self.size - self.after - 1).min(10_000);
        let page = self
            .handle
            .block_on(self.store.audit_entries(None, self.after, want))
            .ok()?;
        self.after = page.last()?.index;
        self.buffer = page
            .into_iter()
            .map(|e| e.entry)
            .collect::<Vec<_>>()
            .into_iter();
        self.buffer.next()
    }
}
