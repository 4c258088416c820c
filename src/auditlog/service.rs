//! The log as the hall runs it: signing checkpoints with the platform's key, serving proofs and
//! tiles from stored hashes, taking witness cosignatures, and the startup self-check that refuses
//! a log inconsistent with its last checkpoint. The private key lives in a file, never in the
//! database or a log line.

use super::checkpoint::Checkpoint;
use super::cosignature::{self, CosignatureVerifier};
use super::merkle::{self, Hash, MemoryTree, SubtreeHashes};
use super::note::{self, NoteSigner, NoteVerifier};
use super::tiles::{self, TileRef};
use crate::app::AppState;
use crate::store::{Store, StoreError, StoredCheckpoint};
use std::path::Path;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error("{0}")]
    BadRequest(String),
    #[error("not in the log yet: {0}")]
    NotYet(String),
    #[error("unknown witness: {0}")]
    UnknownWitness(String),
    #[error("the cosignature does not verify: {0}")]
    BadCosignature(String),
    #[error("the log is inconsistent with its checkpoint of size {size}: {detail}")]
    Inconsistent { size: i64, detail: String },
    #[error("log key: {0}")]
    Key(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The platform's log identity: the origin line, the signing key and the witnesses it accepts.
pub struct LogKeys {
    pub signer: NoteSigner,
    pub witnesses: Vec<CosignatureVerifier>,
}

impl std::fmt::Debug for LogKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogKeys")
            .field("origin", &self.signer.name())
            .finish_non_exhaustive()
    }
}

impl LogKeys {
    /// Loads the signing key from `key_file`, creating it (mode 0600) on first start.
    pub fn load_or_create(
        key_file: &Path,
        origin: &str,
        witnesses: &[String],
    ) -> Result<Self, LogError> {
        let signer = match std::fs::read_to_string(key_file) {
            Ok(text) => NoteSigner::parse(text.trim())
                .map_err(|e| LogError::Key(format!("{}: {e}", key_file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let signer =
                    NoteSigner::generate(origin).map_err(|e| LogError::Key(e.to_string()))?;
                write_private(key_file, &signer.signer_key_text())
                    .map_err(|e| LogError::Key(format!("{}: {e}", key_file.display())))?;
                signer
            }
            Err(e) => return Err(LogError::Key(format!("{}: {e}", key_file.display()))),
        };
        if signer.name() != origin {
            return Err(LogError::Key(format!(
                "the key in {} is for the log {:?}, not {origin:?}",
                key_file.display(),
                signer.name()
            )));
        }
        let witnesses = witnesses
            .iter()
            .filter(|w| !w.trim().is_empty())
            .map(|w| {
                CosignatureVerifier::parse(w.trim())
                    .map_err(|e| LogError::Key(format!("witness key {w:?}: {e}")))
            })
            .collect::<Result<_, _>>()?;
        Ok(LogKeys { signer, witnesses })
    }

    pub fn origin(&self) -> &str {
        self.signer.name()
    }

    /// The public key text auditors verify checkpoints with.
    pub fn verifier(&self) -> NoteVerifier {
        self.signer.verifier()
    }
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        crate::keyfile::private_dir(dir)?;
    }
    crate::keyfile::write_private(path, format!("{text}\n").as_bytes())
}

async fn root_of(store: &dyn Store, size: u64) -> Result<Hash, LogError> {
    let known = store.audit_hashes(&merkle::root_plan(size)).await?;
    merkle::root(size, &known).map_err(|e| LogError::Inconsistent {
        size: size as i64,
        detail: e.to_string(),
    })
}

/// Signs a checkpoint of the log as it stands, unless the latest already covers it.
pub async fn checkpoint(app: &AppState) -> Result<StoredCheckpoint, LogError> {
    let size = app.store.audit_size().await?;
    if let Some(latest) = app.store.latest_checkpoint().await? {
        if latest.size >= size {
            return Ok(latest);
        }
    }
    let root = root_of(&*app.store, size as u64).await?;
    let body = Checkpoint::new(app.log.origin(), size as u64, root)
        .map_err(|e| LogError::Key(e.to_string()))?
        .to_body();
    let signed = note::sign(&body, &[&app.log.signer]).map_err(|e| LogError::Key(e.to_string()))?;
    app.store
        .save_checkpoint(&StoredCheckpoint {
            size,
            root,
            note: signed,
            created_at: app.clock.now(),
        })
        .await?;
    // Another process may have signed this size first; its note is the one that stands.
    Ok(app.store.checkpoint_of_size(size).await?)
}

/// The latest signed checkpoint with the witnesses' cosignature lines appended.
pub async fn latest_note(app: &AppState) -> Result<String, LogError> {
    let cp = match app.store.latest_checkpoint().await? {
        Some(cp) => cp,
        None => checkpoint(app).await?,
    };
    with_cosignatures(app, &cp).await
}

pub async fn with_cosignatures(app: &AppState, cp: &StoredCheckpoint) -> Result<String, LogError> {
    let mut note = cp.note.clone();
    for line in app.store.cosignatures(cp.size).await? {
        note.push_str(&line);
        note.push('\n');
    }
    Ok(note)
}

fn bad(msg: impl Into<String>) -> LogError {
    LogError::BadRequest(msg.into())
}

async fn check_size(app: &AppState, size: i64) -> Result<(), LogError> {
    let have = app.store.audit_size().await?;
    if size < 0 || size > have {
        return Err(bad(format!(
            "tree size {size} is not in the log, which holds {have} entries"
        )));
    }
    Ok(())
}

/// The inclusion proof of entry `index` in the tree of `size` entries.
pub async fn inclusion(app: &AppState, index: i64, size: i64) -> Result<Vec<Hash>, LogError> {
    check_size(app, size).await?;
    if index < 0 || index >= size {
        return Err(bad(format!("index {index} is not below tree size {size}")));
    }
    let plan = merkle::inclusion_plan(index as u64, size as u64).map_err(|e| bad(e.to_string()))?;
    let known = app.store.audit_hashes(&plan).await?;
    merkle::inclusion_proof(index as u64, size as u64, &known).map_err(|e| LogError::Inconsistent {
        size,
        detail: e.to_string(),
    })
}

/// The consistency proof from the tree of `from` entries to the tree of `to` entries.
pub async fn consistency(app: &AppState, from: i64, to: i64) -> Result<Vec<Hash>, LogError> {
    check_size(app, to).await?;
    if from < 0 || from > to {
        return Err(bad(format!("size {from} must be between 0 and {to}")));
    }
    let plan = merkle::consistency_plan(from as u64, to as u64).map_err(|e| bad(e.to_string()))?;
    let known = app.store.audit_hashes(&plan).await?;
    merkle::consistency_proof(from as u64, to as u64, &known).map_err(|e| LogError::Inconsistent {
        size: to,
        detail: e.to_string(),
    })
}

/// A C2SP tlog-tiles resource (`tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`), served
/// only within the latest checkpoint.
pub async fn tile(app: &AppState, path: &str) -> Result<Vec<u8>, LogError> {
    let tile = tiles::parse_path(path).map_err(|e| bad(e.to_string()))?;
    let size = app
        .store
        .latest_checkpoint()
        .await?
        .map(|c| c.size as u64)
        .unwrap_or(0);
    match tile {
        TileRef::Hashes(t) => {
            let wanted = t.entry_range();
            if wanted.end > size {
                return Err(LogError::NotYet(format!(
                    "{path} lies beyond the latest checkpoint"
                )));
            }
            let known = app.store.audit_hashes(&t.plan()).await?;
            tiles::tile_bytes(&t, &known).map_err(|e| LogError::Inconsistent {
                size: size as i64,
                detail: e.to_string(),
            })
        }
        TileRef::Entries(b) => {
            let range = b.entry_range();
            if range.end > size {
                return Err(LogError::NotYet(format!(
                    "{path} lies beyond the latest checkpoint"
                )));
            }
            let entries = app
                .store
                .audit_entries(
                    None,
                    range.start as i64 - 1,
                    (range.end - range.start) as i64,
                )
                .await?;
            let bytes: Vec<Vec<u8>> = entries.into_iter().map(|e| e.entry).collect();
            tiles::encode_bundle(&bytes).map_err(|e| bad(e.to_string()))
        }
    }
}

/// Stores a witness's cosignature of the checkpoint of `size` after verifying it.
pub async fn cosign(app: &AppState, size: i64, line: &str) -> Result<String, LogError> {
    let cp = match app.store.checkpoint_of_size(size).await {
        Ok(cp) => cp,
        Err(StoreError::NotFound) => {
            return Err(bad(format!("there is no checkpoint of size {size}")))
        }
        Err(e) => return Err(e.into()),
    };
    let body = cp
        .note
        .split_once("\n\n")
        .map(|(b, _)| format!("{b}\n"))
        .ok_or_else(|| LogError::Inconsistent {
            size,
            detail: "stored note has no signature block".into(),
        })?;
    let line = line.trim_end_matches('\n');
    // A witness is its name and key together (C2SP signed-note): a line under a configured name
    // but another key is from a key this hall does not know, not a bad signature of one it does.
    let c = cosignature::verify_line(&body, line, &app.log.witnesses).map_err(|e| match e {
        cosignature::CosignatureError::UnknownWitness { .. } => LogError::UnknownWitness(
            "the line is not signed by a witness key this hall is configured to accept".into(),
        ),
        other => LogError::BadCosignature(other.to_string()),
    })?;
    app.store
        .save_cosignature(size, &c.name, line, app.clock.now())
        .await?;
    Ok(c.name)
}

/// Rebuilds the tree from the stored entries and checks it against the latest checkpoint and its
/// signature: the hall refuses to serve a log that was rewritten under it.
pub async fn self_check(store: &dyn Store, keys: &LogKeys) -> Result<u64, LogError> {
    let Some(cp) = store.latest_checkpoint().await? else {
        return Ok(0);
    };
    let inconsistent = |size: i64, detail: String| LogError::Inconsistent { size, detail };
    // Rebuild the tree from every stored entry, checkpointed or not.
    let size = store.audit_size().await?;
    let mut tree = MemoryTree::with_capacity(size as u64);
    let mut after = -1;
    while (tree.size() as i64) < size {
        let batch = store.audit_entries(None, after, 10_000).await?;
        if batch.is_empty() {
            break;
        }
        for e in &batch {
            if e.index != tree.size() as i64 {
                return Err(inconsistent(
                    cp.size,
                    format!("entry {} is missing", tree.size()),
                ));
            }
            tree.append_entry(&e.entry);
            after = e.index;
        }
    }
    if (tree.size() as i64) < cp.size {
        return Err(inconsistent(
            cp.size,
            format!("only {} entries are stored", tree.size()),
        ));
    }
    // Every checkpoint ever published: signed by our key, and a root of these same entries.
    for c in store.list_checkpoints().await? {
        let bad = |detail: String| inconsistent(c.size, detail);
        note::open(&c.note, &[keys.verifier()])
            .map_err(|e| bad(format!("checkpoint signature: {e}")))?;
        let body = note::parse(&c.note)
            .map_err(|e| bad(e.to_string()))?
            .text
            .to_string();
        let parsed = Checkpoint::parse(&body).map_err(|e| bad(e.to_string()))?;
        if parsed.size != c.size as u64 || parsed.root != c.root {
            return Err(bad(
                "the stored size or root differs from the signed note".into()
            ));
        }
        if tree.root_at(c.size as u64).ok() != Some(c.root) {
            return Err(bad(
                "the entries no longer hash to the checkpoint's root".into()
            ));
        }
    }
    // Every stored subtree hash, which proofs and tiles are served from, level by level.
    let mut level = 0u8;
    while (tree.size() >> level) > 0 {
        let count = tree.size() >> level;
        let mut start = 0u64;
        while start < count {
            let end = (start + 10_000).min(count);
            let plan: Vec<(u8, u64)> = (start..end).map(|i| (level, i)).collect();
            let stored = store.audit_hashes(&plan).await?;
            for (l, i) in plan {
                let expected = tree.get(l, i).ok();
                if stored.get(&(l, i)).copied() != expected {
                    return Err(inconsistent(
                        cp.size,
                        format!("the stored tree hash at level {l}, index {i} is wrong or missing"),
                    ));
                }
            }
            start = end;
        }
        level += 1;
    }
    Ok(tree.size())
}

/// Signs a checkpoint every `every` while entries arrive, until shutdown.
pub fn spawn_checkpointer(app: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    app.every("checkpointer", every, |app| async move {
        if let Err(e) = checkpoint(&app).await {
            tracing::warn!(error = %e, "checkpoint failed");
        }
    })
}
