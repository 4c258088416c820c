//! Offline export of the log to a folder, and verification of such a folder with nothing else at hand.
//! Owns the folder layout (key.vkey, checkpoint, checkpoints/<size>, tile/…, tile/entries/…);
//! it streams entries one bundle at a time and never holds more of the log than its 32-byte hashes.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Serialize, Serializer};
use thiserror::Error;

use crate::auditlog::checkpoint::{parse_canonical_u64, Checkpoint};
use crate::auditlog::cosignature::{self, CosignatureError, CosignatureVerifier};
use crate::auditlog::merkle::{verify_consistency, Hash, MemoryTree, ProofError, SubtreeHashes};
use crate::auditlog::note::{self, NoteError, NoteVerifier};
use crate::auditlog::tiles::{
    self, bundles_for_size, tiles_for_size, EntryBundle, Tile, TileRef, TILE_WIDTH,
};

/// The log's verifier key text.
pub const KEY_FILE: &str = "key.vkey";
/// The latest signed checkpoint.
pub const LATEST_FILE: &str = "checkpoint";
/// Every checkpoint ever published, one file per tree size.
pub const CHECKPOINTS_DIR: &str = "checkpoints";
/// Tiles and entry bundles, as in C2SP tlog-tiles.
pub const TILE_DIR: &str = "tile";

fn hex_hash<S: Serializer>(h: &Hash, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex::encode(h))
}

/// Why an export could not be written.
#[derive(Debug, Error)]
pub enum ExportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("the export folder already holds files")]
    FolderNotEmpty,
    #[error("verifier key is invalid: {0}")]
    BadKey(#[source] NoteError),
    #[error("no checkpoint to export")]
    NoCheckpoints,
    #[error("checkpoint #{position} is not a checkpoint signed by the log key: {reason}")]
    BadCheckpoint { position: usize, reason: String },
    #[error("two different checkpoints for tree size {size}")]
    ConflictingCheckpoints { size: u64 },
    #[error("entry {index} is {len} bytes; bundles carry at most 65535")]
    EntryTooLong { index: u64, len: usize },
    #[error("more entries than the latest checkpoint's {size}")]
    EntriesBeyondLatestCheckpoint { size: u64 },
    #[error("only {have} entries given, the latest checkpoint covers {need}")]
    MissingEntries { have: u64, need: u64 },
    #[error("checkpoint at size {size} does not match the given entries")]
    RootMismatch { size: u64 },
    #[error("cannot build tiles: {0}")]
    Tree(#[from] ProofError),
}

/// What `write` produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExportSummary {
    pub entries: u64,
    pub checkpoints: usize,
    pub tiles: usize,
    pub bundles: usize,
    #[serde(serialize_with = "hex_hash")]
    pub root: Hash,
}

/// Why an export folder failed verification; every variant names the place.
#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path} is missing")]
    MissingFile { path: String },
    #[error("{path} does not belong in an export")]
    UnexpectedFile { path: String },
    #[error("{KEY_FILE} does not hold a valid verifier key: {0}")]
    BadKey(#[source] NoteError),
    #[error("the export holds no checkpoint")]
    NoCheckpoints,
    #[error("{path}: {reason}")]
    BadCheckpoint { path: String, reason: String },
    #[error("checkpoint at size {size}: the log's signature does not verify ({source})")]
    CheckpointSignature {
        size: u64,
        #[source]
        source: NoteError,
    },
    #[error(
        "{LATEST_FILE} differs from {CHECKPOINTS_DIR}/{size}, the latest published checkpoint"
    )]
    LatestCheckpointMismatch { size: u64 },
    #[error("{path}: malformed entry bundle: {reason}")]
    BadBundle { path: String, reason: String },
    #[error("entries {from}..{to} are missing ({path})")]
    EntriesMissing { from: u64, to: u64, path: String },
    #[error("entry {index} was altered: it matches neither its hash in {tile} nor the checkpoint at size {checkpoint}")]
    EntryAltered {
        index: u64,
        tile: String,
        checkpoint: u64,
    },
    #[error("checkpoint at size {size} no longer matches the entries: something in entries {from}..{to} changed since it was signed")]
    CheckpointRootMismatch { size: u64, from: u64, to: u64 },
    #[error("{path} was altered: hash {position} (entries {from}..{to}) does not match the signed entries")]
    TileMismatch {
        path: String,
        position: u16,
        from: u64,
        to: u64,
    },
    #[error("{path} is {found} bytes, expected {expected}")]
    TileSize {
        path: String,
        found: usize,
        expected: usize,
    },
    #[error("checkpoints at sizes {old} and {new} are not consistent: {source}")]
    Inconsistent {
        old: u64,
        new: u64,
        #[source]
        source: ProofError,
    },
    #[error("checkpoint at size {size}: the cosignature of witness {witness} does not verify ({source})")]
    BadCosignature {
        size: u64,
        witness: String,
        #[source]
        source: CosignatureError,
    },
    #[error("witness {witness} cosigned none of the exported checkpoints")]
    NotCosigned { witness: String },
    #[error("cannot rebuild the tree: {0}")]
    Tree(#[from] ProofError),
}

/// What a given witness vouched for: the checkpoints it cosigned, all of them verified.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WitnessReport {
    /// The witness's verifier key text.
    pub witness: String,
    /// How many exported checkpoints carry its valid cosignature.
    pub checkpoints: usize,
    /// The largest tree size it cosigned.
    pub largest_size: u64,
}

/// What `verify` checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub origin: String,
    pub entries: u64,
    pub checkpoints_checked: usize,
    pub tiles_checked: usize,
    pub final_size: u64,
    #[serde(serialize_with = "hex_hash")]
    pub final_root: Hash,
    /// One report per witness key given to `verify_with_witnesses`, in the order given.
    pub witnesses: Vec<WitnessReport>,
}

fn checkpoint_path(size: u64) -> String {
    format!("{CHECKPOINTS_DIR}/{size}")
}

/// Writes an export of `entries` (exactly the entries the latest checkpoint covers)
/// with every checkpoint in `checkpoints`, each of which must be signed by `vkey`.
pub fn write<I>(
    dir: &Path,
    entries: I,
    checkpoints: &[String],
    vkey: &str,
) -> Result<ExportSummary, ExportError>
where
    I: IntoIterator<Item = Vec<u8>>,
{
    let verifier = NoteVerifier::parse(vkey).map_err(ExportError::BadKey)?;
    let published = signed_checkpoints(checkpoints, &verifier)?;
    let Some((&size, _)) = published.last_key_value() else {
        return Err(ExportError::NoCheckpoints);
    };
    prepare_folder(dir)?;

    let mut tree = MemoryTree::with_capacity(size);
    let mut entries = entries.into_iter();
    let mut bundles = 0usize;
    for bundle in bundles_for_size(size) {
        let mut bytes = Vec::new();
        for offset in 0..usize::from(bundle.width) {
            let index = tree.size();
            let Some(entry) = entries.next() else {
                return Err(ExportError::MissingEntries {
                    have: index,
                    need: size,
                });
            };
            tiles::push_bundle_entry(&mut bytes, offset, &entry).map_err(|_| {
                ExportError::EntryTooLong {
                    index,
                    len: entry.len(),
                }
            })?;
            tree.append_entry(&entry);
        }
        write_file(dir, &bundle.path(), &bytes)?;
        bundles += 1;
    }
    if entries.next().is_some() {
        return Err(ExportError::EntriesBeyondLatestCheckpoint { size });
    }

    for (&s, (cp, _)) in &published {
        if tree.root_at(s).ok() != Some(cp.root) {
            return Err(ExportError::RootMismatch { size: s });
        }
    }

    let mut tiles = 0usize;
    for tile in tiles_for_size(size) {
        // Every hash of a tile within the final size is stored in the tree.
        let bytes = tiles::tile_bytes(&tile, &tree)?;
        write_file(dir, &tile.path(), &bytes)?;
        tiles += 1;
    }

    write_file(dir, KEY_FILE, format!("{verifier}\n").as_bytes())?;
    let mut latest = "";
    for (&s, (_, text)) in &published {
        write_file(dir, &checkpoint_path(s), text.as_bytes())?;
        latest = text;
    }
    write_file(dir, LATEST_FILE, latest.as_bytes())?;

    Ok(ExportSummary {
        entries: size,
        checkpoints: published.len(),
        tiles,
        bundles,
        root: tree.root(),
    })
}

/// Opens each checkpoint with the log key and orders them by size; the same
/// size twice is only allowed for the very same note.
fn signed_checkpoints(
    checkpoints: &[String],
    verifier: &NoteVerifier,
) -> Result<BTreeMap<u64, (Checkpoint, String)>, ExportError> {
    let mut out: BTreeMap<u64, (Checkpoint, String)> = BTreeMap::new();
    for (position, text) in checkpoints.iter().enumerate() {
        let bad = |reason: String| ExportError::BadCheckpoint { position, reason };
        let opened =
            note::open(text, std::slice::from_ref(verifier)).map_err(|e| bad(e.to_string()))?;
        let cp = Checkpoint::parse(&opened.text).map_err(|e| bad(e.to_string()))?;
        match out.get(&cp.size) {
            Some((_, existing)) if existing != text => {
                return Err(ExportError::ConflictingCheckpoints { size: cp.size });
            }
            Some(_) => {}
            None => {
                out.insert(cp.size, (cp, text.clone()));
            }
        }
    }
    Ok(out)
}

fn prepare_folder(dir: &Path) -> Result<(), ExportError> {
    let io_err = |source| ExportError::Io {
        path: ".".into(),
        source,
    };
    match fs::read_dir(dir) {
        Ok(mut it) => {
            if it.next().is_some() {
                return Err(ExportError::FolderNotEmpty);
            }
            Ok(())
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => fs::create_dir_all(dir).map_err(io_err),
        Err(e) => Err(io_err(e)),
    }
}

fn write_file(dir: &Path, rel: &str, bytes: &[u8]) -> Result<(), ExportError> {
    let path = dir.join(rel);
    let io_err = |source| ExportError::Io {
        path: rel.to_owned(),
        source,
    };
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).map_err(io_err)?;
    }
    fs::write(&path, bytes).map_err(io_err)
}

/// Reads files of an export by their path relative to its root, so errors never show machine paths.
struct Folder<'a> {
    root: &'a Path,
}

impl Folder<'_> {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    fn read(&self, rel: &str) -> Result<Vec<u8>, VerifyError> {
        fs::read(self.path(rel)).map_err(|source| {
            if source.kind() == io::ErrorKind::NotFound {
                VerifyError::MissingFile {
                    path: rel.to_owned(),
                }
            } else {
                VerifyError::Io {
                    path: rel.to_owned(),
                    source,
                }
            }
        })
    }

    fn read_text(&self, rel: &str) -> Result<String, VerifyError> {
        String::from_utf8(self.read(rel)?).map_err(|_| VerifyError::BadCheckpoint {
            path: rel.to_owned(),
            reason: "not UTF-8 text".into(),
        })
    }

    /// Names in a folder of the export, sorted; `None` if the folder does not exist.
    fn list(&self, rel: &str) -> Result<Option<Vec<(String, bool)>>, VerifyError> {
        let io_err = |source| VerifyError::Io {
            path: rel.to_owned(),
            source,
        };
        let it = match fs::read_dir(self.path(rel)) {
            Ok(it) => it,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(e)),
        };
        let mut out = Vec::new();
        for e in it {
            let e = e.map_err(io_err)?;
            let is_dir = e.file_type().map_err(io_err)?.is_dir();
            let name = e.file_name().to_string_lossy().into_owned();
            out.push((name, is_dir));
        }
        out.sort();
        Ok(Some(out))
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_owned()
    } else {
        format!("{dir}/{name}")
    }
}

/// A published checkpoint, reduced to what verification needs.
struct Published {
    size: u64,
    root: Hash,
}

/// Verifies an export folder: signatures, entries against tiles and checkpoints,
/// consistency between successive checkpoints, and that nothing else is there.
pub fn verify(dir: &Path) -> Result<VerifyReport, VerifyError> {
    verify_with_witnesses(dir, &[])
}

/// As `verify`, and checks the cosignatures of the given witnesses on the exported checkpoints:
/// every line of a given witness (same name and key id) must verify, and each given witness must
/// have cosigned at least one checkpoint. Lines of other keys are set aside, as in a signed note.
pub fn verify_with_witnesses(
    dir: &Path,
    witnesses: &[CosignatureVerifier],
) -> Result<VerifyReport, VerifyError> {
    let folder = Folder { root: dir };
    let key_text = folder.read_text(KEY_FILE)?;
    let verifier = NoteVerifier::parse(key_text.strip_suffix('\n').unwrap_or(&key_text))
        .map_err(VerifyError::BadKey)?;

    let (origin, published, witnesses) = read_checkpoints(&folder, &verifier, witnesses)?;
    let Some(latest) = published.last() else {
        return Err(VerifyError::NoCheckpoints);
    };
    let size = latest.size;
    let latest_path = checkpoint_path(size);
    if folder.read(LATEST_FILE)? != folder.read(&latest_path)? {
        return Err(VerifyError::LatestCheckpointMismatch { size });
    }

    let tree = rebuild(&folder, size)?;

    let mut from = 0u64;
    let mut root_mismatch = None;
    for p in &published {
        if tree.root_at(p.size)? != p.root {
            root_mismatch = Some((p.size, from));
            break;
        }
        from = p.size;
    }
    if let Some((bad_size, from)) = root_mismatch {
        return Err(explain_root_mismatch(&folder, &tree, bad_size, from)?);
    }

    for pair in published.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        let proof = tree.consistency_proof(a.size, b.size)?;
        verify_consistency(a.size, b.size, &a.root, &b.root, &proof).map_err(|source| {
            VerifyError::Inconsistent {
                old: a.size,
                new: b.size,
                source,
            }
        })?;
    }

    let mut tiles_checked = 0usize;
    for tile in tiles_for_size(size) {
        if let Some(position) = first_tile_mismatch(&folder, &tree, &tile)? {
            let covered = tile.entries_of_hash(position);
            return Err(VerifyError::TileMismatch {
                path: tile.path(),
                position,
                from: covered.start,
                to: covered.end,
            });
        }
        tiles_checked += 1;
    }

    check_no_strays(&folder, size)?;

    Ok(VerifyReport {
        origin,
        entries: tree.size(),
        checkpoints_checked: published.len(),
        tiles_checked,
        final_size: size,
        final_root: tree.root(),
        witnesses,
    })
}

type CheckpointsRead = (String, Vec<Published>, Vec<WitnessReport>);

fn read_checkpoints(
    folder: &Folder<'_>,
    verifier: &NoteVerifier,
    witnesses: &[CosignatureVerifier],
) -> Result<CheckpointsRead, VerifyError> {
    let mut cosigned: Vec<WitnessReport> = witnesses
        .iter()
        .map(|w| WitnessReport {
            witness: w.to_string(),
            checkpoints: 0,
            largest_size: 0,
        })
        .collect();
    let Some(names) = folder.list(CHECKPOINTS_DIR)? else {
        return Err(VerifyError::MissingFile {
            path: CHECKPOINTS_DIR.into(),
        });
    };
    let mut sizes = Vec::with_capacity(names.len());
    for (name, is_dir) in names {
        match parse_canonical_u64(&name) {
            Some(size) if !is_dir => sizes.push(size),
            _ => {
                return Err(VerifyError::UnexpectedFile {
                    path: join(CHECKPOINTS_DIR, &name),
                })
            }
        }
    }
    sizes.sort_unstable();
    let mut origin: Option<String> = None;
    let mut out = Vec::with_capacity(sizes.len());
    for size in sizes {
        let path = checkpoint_path(size);
        let text = folder.read_text(&path)?;
        let opened = note::open(&text, std::slice::from_ref(verifier))
            .map_err(|source| VerifyError::CheckpointSignature { size, source })?;
        let cp = Checkpoint::parse(&opened.text).map_err(|e| VerifyError::BadCheckpoint {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        if cp.size != size {
            return Err(VerifyError::BadCheckpoint {
                path,
                reason: format!("holds a checkpoint for size {}", cp.size),
            });
        }
        match &origin {
            Some(o) if *o != cp.origin => {
                return Err(VerifyError::BadCheckpoint {
                    path,
                    reason: format!("origin {:?} differs from {o:?}", cp.origin),
                });
            }
            Some(_) => {}
            None => origin = Some(cp.origin.clone()),
        }
        for (w, report) in witnesses.iter().zip(cosigned.iter_mut()) {
            match cosignature::verify_note(&text, std::slice::from_ref(w)) {
                Ok(_) => {
                    report.checkpoints += 1;
                    report.largest_size = report.largest_size.max(size);
                }
                Err(CosignatureError::NoKnownCosignature) => {}
                Err(source) => {
                    return Err(VerifyError::BadCosignature {
                        size,
                        witness: w.to_string(),
                        source,
                    })
                }
            }
        }
        out.push(Published {
            size,
            root: cp.root,
        });
    }
    if let Some(r) = cosigned.iter().find(|r| r.checkpoints == 0) {
        return Err(VerifyError::NotCosigned {
            witness: r.witness.clone(),
        });
    }
    Ok((origin.unwrap_or_default(), out, cosigned))
}

/// Hashes every entry, one bundle in memory at a time.
fn rebuild(folder: &Folder<'_>, size: u64) -> Result<MemoryTree, VerifyError> {
    let mut tree = MemoryTree::with_capacity(size);
    for bundle in bundles_for_size(size) {
        let path = bundle.path();
        let range = bundle.entry_range();
        let bytes = match folder.read(&path) {
            Err(VerifyError::MissingFile { .. }) => {
                return Err(VerifyError::EntriesMissing {
                    from: range.start,
                    to: range.end,
                    path,
                })
            }
            other => other?,
        };
        let entries = match tiles::decode_bundle(&bytes) {
            Ok(e) => e,
            Err(e) => {
                return Err(VerifyError::BadBundle {
                    path,
                    reason: e.to_string(),
                })
            }
        };
        let found = entries.len() as u64;
        let want = u64::from(bundle.width);
        if found < want {
            return Err(VerifyError::EntriesMissing {
                from: range.start + found,
                to: range.end,
                path,
            });
        }
        if found > want {
            return Err(VerifyError::BadBundle {
                path,
                reason: format!("holds {found} entries, its name says {want}"),
            });
        }
        for e in entries {
            tree.append_entry(e);
        }
    }
    Ok(tree)
}

/// A checkpoint of `size` no longer matches and the one before it (of size `from`) did: something
/// in entries `from..size` changed. The export holds the level-0 tiles of the latest size only, so
/// those are the ones compared, at the positions of entries `from..size`: where a tile still holds
/// the signed leaf hash and the entry does not hash to it, the entry itself is the altered part.
/// A tile that is missing or of the wrong size proves nothing here; it is reported later (step 7).
fn explain_root_mismatch(
    folder: &Folder<'_>,
    tree: &MemoryTree,
    size: u64,
    from: u64,
) -> Result<VerifyError, VerifyError> {
    for tile in tiles_for_size(tree.size()).take_while(|t| t.level == 0) {
        let range = tile.entry_range();
        if range.end <= from || range.start >= size {
            continue;
        }
        let Ok(bytes) = folder.read(&tile.path()) else {
            continue;
        };
        if bytes.len() != usize::from(tile.width) * 32 {
            continue;
        }
        let wanted = range.start.max(from)..range.end.min(size);
        for index in wanted {
            let at = ((index - range.start) * 32) as usize;
            if tree.get(0, index)?.as_slice() != &bytes[at..at + 32] {
                return Ok(VerifyError::EntryAltered {
                    index,
                    tile: tile.path(),
                    checkpoint: size,
                });
            }
        }
    }
    Ok(VerifyError::CheckpointRootMismatch {
        size,
        from,
        to: size,
    })
}

/// Position of the first hash in the tile file that differs from the rebuilt tree.
fn first_tile_mismatch(
    folder: &Folder<'_>,
    tree: &MemoryTree,
    tile: &Tile,
) -> Result<Option<u16>, VerifyError> {
    let path = tile.path();
    let bytes = folder.read(&path)?;
    let expected = usize::from(tile.width) * 32;
    if bytes.len() != expected {
        return Err(VerifyError::TileSize {
            path,
            found: bytes.len(),
            expected,
        });
    }
    for ((level, index), (pos, got)) in tile
        .plan()
        .into_iter()
        .zip(bytes.chunks_exact(32).enumerate())
    {
        if tree.get(level, index)?.as_slice() != got {
            return Ok(Some(pos as u16));
        }
    }
    Ok(None)
}

/// Whether a parsed tile path is one the export of `size` entries should hold.
fn expected_in_export(r: TileRef, size: u64) -> bool {
    let expected = |count: u64, index: u64, width: u16| {
        let w = u64::from(TILE_WIDTH);
        if width == TILE_WIDTH {
            index < count / w
        } else {
            index == count / w && u64::from(width) == count % w
        }
    };
    match r {
        TileRef::Hashes(Tile {
            level,
            index,
            width,
        }) => {
            let shift = u32::from(level) * 8;
            shift < 64 && expected(size >> shift, index, width)
        }
        TileRef::Entries(EntryBundle { index, width }) => expected(size, index, width),
    }
}

/// Walks the folder; anything not produced by `write` is reported.
fn check_no_strays(folder: &Folder<'_>, size: u64) -> Result<(), VerifyError> {
    let Some(top) = folder.list("")? else {
        return Ok(());
    };
    for (name, is_dir) in top {
        let ok = match name.as_str() {
            KEY_FILE | LATEST_FILE => !is_dir,
            CHECKPOINTS_DIR => is_dir,
            TILE_DIR if is_dir => {
                walk_tiles(folder, TILE_DIR, size)?;
                true
            }
            _ => false,
        };
        if !ok {
            return Err(VerifyError::UnexpectedFile { path: name });
        }
    }
    Ok(())
}

fn walk_tiles(folder: &Folder<'_>, rel: &str, size: u64) -> Result<(), VerifyError> {
    let names = folder.list(rel)?.unwrap_or_default();
    for (name, is_dir) in names {
        let path = join(rel, &name);
        if is_dir {
            // Tile paths are at most a few components deep; deeper nesting is garbage.
            if path.matches('/').count() > 10 {
                return Err(VerifyError::UnexpectedFile { path });
            }
            walk_tiles(folder, &path, size)?;
        } else {
            let wanted = tiles::parse_path(&path)
                .map(|r| expected_in_export(r, size))
                .unwrap_or(false);
            if !wanted {
                return Err(VerifyError::UnexpectedFile { path });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
