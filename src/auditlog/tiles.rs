//! C2SP tlog-tiles: tile and entry-bundle paths, which tiles a tree size has, tile bytes and bundle bytes.
//! Owns the canonical spelling of every tile path, so its parser can sit behind an HTTP route;
//! it never accepts a path it would not have produced, nor one for a tile no u64-sized log can hold.

use std::fmt;
use std::ops::Range;

use thiserror::Error;

use crate::auditlog::merkle::{Hash, ProofError, SubtreeHashes};

/// Merkle levels covered by one tile level.
pub const TILE_HEIGHT: u8 = 8;
/// Hashes in a full tile, entries in a full bundle.
pub const TILE_WIDTH: u16 = 256;
/// Largest entry an entry bundle can carry: its length prefix is a big-endian u16.
pub const MAX_ENTRY_LEN: usize = u16::MAX as usize;

/// Paths longer than this are refused before any parsing.
const MAX_PATH_LEN: usize = 64;
/// Largest syntactic tile level the specification allows.
const MAX_LEVEL: u8 = 63;

/// Why a path was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TilePathError {
    #[error("not a tile path: {0}")]
    Malformed(&'static str),
    #[error("no log with a 64-bit size can hold this tile")]
    BeyondAnyLog,
}

/// Why an entry bundle could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BundleError {
    #[error("entry {index} is {len} bytes; bundles carry at most 65535")]
    EntryTooLong { index: usize, len: usize },
    #[error("bundle holds more than {TILE_WIDTH} entries")]
    TooManyEntries,
    #[error("bundle ends inside entry {index}")]
    Truncated { index: usize },
}

/// A tile of Merkle hashes: level `level` holds the level-8·level subtree hashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    pub level: u8,
    pub index: u64,
    /// 1..=256; 256 is a full tile.
    pub width: u16,
}

/// A bundle of consecutive entries, mirroring a level-0 tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryBundle {
    pub index: u64,
    /// 1..=256; 256 is a full bundle.
    pub width: u16,
}

/// What a parsed path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TileRef {
    Hashes(Tile),
    Entries(EntryBundle),
}

/// `N` as 3-digit groups, every group but the last prefixed with `x`: 1234067 → `x001/x234/067`.
pub fn encode_index(n: u64) -> String {
    let mut groups = Vec::with_capacity(7);
    let mut rest = n;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(groups.len() * 5);
    for (i, g) in groups.iter().rev().enumerate() {
        if i > 0 {
            out.push('/');
        }
        if i + 1 < groups.len() {
            out.push('x');
        }
        out.push_str(&format!("{g:03}"));
    }
    out
}

fn suffix(width: u16) -> String {
    if width == TILE_WIDTH {
        String::new()
    } else {
        format!(".p/{width}")
    }
}

/// Leaves covered by hashes `[pos, pos + count)` of tile `tile` at Merkle level
/// `merkle_level`, clamped to u64 so hand-built tiles cannot overflow.
fn covered(merkle_level: u32, tile: u64, pos: u64, count: u64) -> Range<u64> {
    if merkle_level >= 64 {
        return u64::MAX..u64::MAX;
    }
    let first = u128::from(tile) * u128::from(TILE_WIDTH) + u128::from(pos);
    let shl = |v: u128| {
        if v > u128::from(u64::MAX >> merkle_level) {
            u64::MAX
        } else {
            (v << merkle_level) as u64
        }
    };
    shl(first)..shl(first + u128::from(count))
}

impl Tile {
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    /// Merkle level of the hashes this tile holds.
    pub fn merkle_level(&self) -> u8 {
        self.level.saturating_mul(TILE_HEIGHT)
    }

    /// `(merkle level, index)` of the tile's hashes, in order.
    pub fn plan(&self) -> Vec<(u8, u64)> {
        let first = self.index.saturating_mul(u64::from(TILE_WIDTH));
        (0..u64::from(self.width))
            .map(|i| (self.merkle_level(), first.saturating_add(i)))
            .collect()
    }

    /// Entries whose hashes this tile's hashes cover.
    pub fn entry_range(&self) -> Range<u64> {
        covered(
            u32::from(self.merkle_level()),
            self.index,
            0,
            u64::from(self.width),
        )
    }

    /// Entries covered by the hash at `position` in this tile.
    pub fn entries_of_hash(&self, position: u16) -> Range<u64> {
        covered(
            u32::from(self.merkle_level()),
            self.index,
            u64::from(position),
            1,
        )
    }

    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}{}",
            self.level,
            encode_index(self.index),
            suffix(self.width)
        )
    }
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl EntryBundle {
    pub fn is_full(&self) -> bool {
        self.width == TILE_WIDTH
    }

    pub fn entry_range(&self) -> Range<u64> {
        covered(0, self.index, 0, u64::from(self.width))
    }

    pub fn path(&self) -> String {
        format!(
            "tile/entries/{}{}",
            encode_index(self.index),
            suffix(self.width)
        )
    }
}

impl fmt::Display for EntryBundle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

fn parse_small_decimal(s: &str, max: u16) -> Option<u16> {
    if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if s.len() > 1 && s.starts_with('0') {
        return None;
    }
    s.parse::<u16>().ok().filter(|v| *v <= max)
}

fn parse_index(s: &str) -> Result<u64, TilePathError> {
    let groups: Vec<&str> = s.split('/').collect();
    let mut n: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let last = i + 1 == groups.len();
        let digits = if last {
            *g
        } else {
            g.strip_prefix('x')
                .ok_or(TilePathError::Malformed("index group must start with x"))?
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(TilePathError::Malformed("index group must be 3 digits"));
        }
        let v: u64 = digits
            .parse()
            .map_err(|_| TilePathError::Malformed("index group must be 3 digits"))?;
        n = n
            .checked_mul(1000)
            .and_then(|n| n.checked_add(v))
            .ok_or(TilePathError::BeyondAnyLog)?;
    }
    // A leading x000 group would give the same number a second spelling.
    if encode_index(n) != s {
        return Err(TilePathError::Malformed("index is not in canonical form"));
    }
    Ok(n)
}

/// Whether `width` hashes from tile `index` at Merkle level `merkle_level` fit under 2^64 leaves.
fn fits(merkle_level: u32, index: u64, width: u16) -> bool {
    if merkle_level >= 64 {
        return false;
    }
    let last_hash = u128::from(index) * u128::from(TILE_WIDTH) + u128::from(width);
    last_hash <= u128::from(u64::MAX >> merkle_level)
}

/// Parses `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]` (no leading slash).
pub fn parse_path(path: &str) -> Result<TileRef, TilePathError> {
    if path.len() > MAX_PATH_LEN {
        return Err(TilePathError::Malformed("path too long"));
    }
    let rest = path
        .strip_prefix("tile/")
        .ok_or(TilePathError::Malformed("path must start with tile/"))?;
    let (kind, rest) = rest
        .split_once('/')
        .ok_or(TilePathError::Malformed("missing tile index"))?;
    let (index_part, width) = match rest.split_once(".p/") {
        Some((n, w)) => {
            let w = parse_small_decimal(w, TILE_WIDTH - 1)
                .filter(|w| *w >= 1)
                .ok_or(TilePathError::Malformed("partial width must be 1..=255"))?;
            (n, w)
        }
        None => (rest, TILE_WIDTH),
    };
    let index = parse_index(index_part)?;
    if kind == "entries" {
        if !fits(0, index, width) {
            return Err(TilePathError::BeyondAnyLog);
        }
        return Ok(TileRef::Entries(EntryBundle { index, width }));
    }
    let level = parse_small_decimal(kind, u16::from(MAX_LEVEL))
        .and_then(|l| u8::try_from(l).ok())
        .ok_or(TilePathError::Malformed(
            "tile level must be 0..=63 without leading zeros",
        ))?;
    if !fits(u32::from(level) * u32::from(TILE_HEIGHT), index, width) {
        return Err(TilePathError::BeyondAnyLog);
    }
    Ok(TileRef::Hashes(Tile {
        level,
        index,
        width,
    }))
}

/// Hashes at tile level `level` of a tree of `size` leaves.
fn hashes_at(level: u8, size: u64) -> u64 {
    let shift = u32::from(level) * u32::from(TILE_HEIGHT);
    if shift >= 64 {
        0
    } else {
        size >> shift
    }
}

/// Tiles a log of `size` entries serves, level by level, in index order:
/// full tiles and then the partial one, if any.
pub fn tiles_for_size(size: u64) -> impl Iterator<Item = Tile> {
    (0..=MAX_LEVEL)
        .take_while(move |&level| hashes_at(level, size) > 0)
        .flat_map(move |level| {
            spans(hashes_at(level, size)).map(move |(index, width)| Tile {
                level,
                index,
                width,
            })
        })
}

/// Entry bundles a log of `size` entries serves.
pub fn bundles_for_size(size: u64) -> impl Iterator<Item = EntryBundle> {
    spans(size).map(|(index, width)| EntryBundle { index, width })
}

/// `(index, width)` of the full tiles holding `count` hashes, then of the partial remainder.
fn spans(count: u64) -> impl Iterator<Item = (u64, u16)> {
    let w = u64::from(TILE_WIDTH);
    let full = count / w;
    let partial = (count % w) as u16;
    (0..full)
        .map(|i| (i, TILE_WIDTH))
        .chain((partial > 0).then_some((full, partial)))
}

/// The bytes of `tile`: its hashes concatenated.
pub fn tile_bytes(tile: &Tile, store: &impl SubtreeHashes) -> Result<Vec<u8>, ProofError> {
    let mut out = Vec::with_capacity(usize::from(tile.width) * 32);
    for (level, index) in tile.plan() {
        out.extend_from_slice(&store.get(level, index)?);
    }
    Ok(out)
}

/// Splits tile bytes into hashes; `None` unless it is exactly `width` hashes.
pub fn tile_hashes(bytes: &[u8], width: u16) -> Option<Vec<Hash>> {
    if bytes.len() != usize::from(width) * 32 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(32)
            .map(|c| {
                let mut h = [0u8; 32];
                h.copy_from_slice(c);
                h
            })
            .collect(),
    )
}

/// An entry bundle: each entry prefixed by its big-endian u16 length.
pub fn encode_bundle<E: AsRef<[u8]>>(
    entries: impl IntoIterator<Item = E>,
) -> Result<Vec<u8>, BundleError> {
    let mut out = Vec::new();
    for (index, e) in entries.into_iter().enumerate() {
        if index == usize::from(TILE_WIDTH) {
            return Err(BundleError::TooManyEntries);
        }
        push_bundle_entry(&mut out, index, e.as_ref())?;
    }
    Ok(out)
}

/// Appends one length-prefixed entry to a bundle being built.
pub fn push_bundle_entry(
    bundle: &mut Vec<u8>,
    index: usize,
    entry: &[u8],
) -> Result<(), BundleError> {
    let len = u16::try_from(entry.len()).map_err(|_| BundleError::EntryTooLong {
        index,
        len: entry.len(),
    })?;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(entry);
    Ok(())
}

/// Reads the entries of a bundle, borrowing from it.
pub fn decode_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, BundleError> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let index = out.len();
        if index == usize::from(TILE_WIDTH) {
            return Err(BundleError::TooManyEntries);
        }
        let [a, b, tail @ ..] = rest else {
            return Err(BundleError::Truncated { index });
        };
        let len = usize::from(u16::from_be_bytes([*a, *b]));
        if tail.len() < len {
            return Err(BundleError::Truncated { index });
        }
        let (entry, next) = tail.split_at(len);
        out.push(entry);
        rest = next;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
