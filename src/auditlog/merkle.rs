//! Merkle tree hashing, proof construction and proof verification (RFC 9162 §2.1).
//! Owns the arithmetic of which complete subtrees make up a root, a proof or an append,
//! so that any store can batch-load exactly those; it never does I/O and never trusts a proof it has not checked.

use std::collections::HashMap;

use ring::digest;
use thiserror::Error;

/// A SHA-256 Merkle tree hash.
pub type Hash = [u8; 32];

/// Root hash of the empty tree: SHA-256 of the empty string.
pub const EMPTY_ROOT: Hash = [
    0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
    0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55,
];

/// Why a proof could not be built or did not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProofError {
    #[error("leaf index {index} is outside a tree of size {size}")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("tree size {size} is larger than the {available} entries the log holds")]
    SizeBeyondTree { size: u64, available: u64 },
    #[error("old tree size {old} is larger than new tree size {new}")]
    OldLargerThanNew { old: u64, new: u64 },
    #[error("proof has {got} hashes where {expected} are needed")]
    BadProofLength { expected: usize, got: usize },
    #[error("proof does not lead to the expected root hash")]
    RootMismatch,
    #[error("subtree hash at level {level}, index {index} is not available")]
    MissingNode { level: u8, index: u64 },
}

/// Hash of one log entry as a leaf: SHA-256(0x00 ‖ entry).
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut ctx = digest::Context::new(&digest::SHA256);
    ctx.update(&[0x00]);
    ctx.update(entry);
    to_hash(ctx.finish())
}

/// Hash of an interior node: SHA-256(0x01 ‖ left ‖ right).
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    // One contiguous buffer lets ring hash it in a single call, the hot path of every append.
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    to_hash(digest::digest(&digest::SHA256, &buf))
}

fn to_hash(d: digest::Digest) -> Hash {
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Read access to stored complete-subtree hashes.
///
/// `(level, index)` is the hash of leaves `[index·2^level, (index+1)·2^level)`;
/// level 0 holds the leaf hashes themselves.
pub trait SubtreeHashes {
    fn get(&self, level: u8, index: u64) -> Result<Hash, ProofError>;
}

impl<T: SubtreeHashes + ?Sized> SubtreeHashes for &T {
    fn get(&self, level: u8, index: u64) -> Result<Hash, ProofError> {
        (**self).get(level, index)
    }
}

/// A batch loaded from a database after asking for a plan.
impl SubtreeHashes for HashMap<(u8, u64), Hash> {
    fn get(&self, level: u8, index: u64) -> Result<Hash, ProofError> {
        HashMap::get(self, &(level, index))
            .copied()
            .ok_or(ProofError::MissingNode { level, index })
    }
}

/// Leaves `[start, end)`: a node of the RFC tree, complete or on the right edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u64,
    end: u64,
}

impl Span {
    /// The complete subtrees whose fold is this span's hash, left to right.
    ///
    /// Every span built here starts at a multiple of its own rounded-up width,
    /// so the binary decomposition of its length yields aligned subtrees.
    fn pieces(self, out: &mut Vec<(u8, u64)>) {
        let mut cur = self.start;
        let len = self.end - self.start;
        for bit in (0..64u8).rev() {
            let w = 1u64 << bit;
            if len & w != 0 {
                out.push((bit, cur >> bit));
                cur = cur.wrapping_add(w);
            }
        }
    }

    fn hash(self, store: &impl SubtreeHashes) -> Result<Hash, ProofError> {
        let mut pieces = Vec::with_capacity(8);
        self.pieces(&mut pieces);
        fold_pieces(&pieces, store)
    }
}

/// RFC 9162 places the larger, complete subtrees on the left, so an edge hash
/// is folded from the right.
fn fold_pieces(pieces: &[(u8, u64)], store: &impl SubtreeHashes) -> Result<Hash, ProofError> {
    let mut iter = pieces.iter().rev();
    let Some(&(l, i)) = iter.next() else {
        return Ok(EMPTY_ROOT);
    };
    let mut acc = store.get(l, i)?;
    for &(l, i) in iter {
        acc = node_hash(&store.get(l, i)?, &acc);
    }
    Ok(acc)
}

/// Siblings met while walking from node `(level, index)` up to the root of a
/// tree of `size` leaves, bottom first. A node with no right sibling inside
/// the tree is merged with its parent by RFC 9162, so it contributes nothing.
fn path_spans(level: u32, index: u64, size: u64, out: &mut Vec<Span>) {
    let size = u128::from(size);
    let mut l = level;
    let mut j = index;
    // u128 because a sibling may start at 2^64 when the tree is near the u64 limit.
    while !(j == 0 && (l >= 64 || (1u128 << l) >= size)) {
        let sib_start = u128::from(j ^ 1) << l;
        if sib_start < size {
            let sib_end = (sib_start + (1u128 << l)).min(size);
            out.push(Span {
                start: sib_start as u64,
                end: sib_end as u64,
            });
        }
        j >>= 1;
        l += 1;
    }
}

fn inclusion_spans(index: u64, size: u64) -> Result<Vec<Span>, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut spans = Vec::with_capacity(64);
    path_spans(0, index, size, &mut spans);
    Ok(spans)
}

fn consistency_spans(old: u64, new: u64) -> Result<Vec<Span>, ProofError> {
    if old > new {
        return Err(ProofError::OldLargerThanNew { old, new });
    }
    let mut spans = Vec::with_capacity(64);
    if old == 0 || old == new {
        return Ok(spans);
    }
    // The old tree's smallest complete subtree is the last one on its right
    // edge; its path up the new tree proves everything else.
    let level = old.trailing_zeros();
    let index = (old - 1) >> level;
    if index != 0 {
        // When old is a power of two the verifier already knows this hash: it is the old root.
        spans.push(Span {
            start: index << level,
            end: old,
        });
    }
    path_spans(level, index, new, &mut spans);
    Ok(spans)
}

fn plan_of(spans: &[Span]) -> Vec<(u8, u64)> {
    let mut out = Vec::with_capacity(spans.len() + 8);
    for s in spans {
        s.pieces(&mut out);
    }
    out
}

fn proof_of(spans: &[Span], store: &impl SubtreeHashes) -> Result<Vec<Hash>, ProofError> {
    spans.iter().map(|s| s.hash(store)).collect()
}

/// Complete-subtree hashes needed for the inclusion proof of leaf `index` in a tree of `size`.
pub fn inclusion_plan(index: u64, size: u64) -> Result<Vec<(u8, u64)>, ProofError> {
    Ok(plan_of(&inclusion_spans(index, size)?))
}

/// Complete-subtree hashes needed for the consistency proof from `old` to `new`.
pub fn consistency_plan(old: u64, new: u64) -> Result<Vec<(u8, u64)>, ProofError> {
    Ok(plan_of(&consistency_spans(old, new)?))
}

/// Complete-subtree hashes whose fold is the root of a tree of `size` (empty for size 0).
pub fn root_plan(size: u64) -> Vec<(u8, u64)> {
    let mut out = Vec::with_capacity(64);
    if size > 0 {
        Span {
            start: 0,
            end: size,
        }
        .pieces(&mut out);
    }
    out
}

/// RFC 9162 §2.1.3.1 inclusion proof of leaf `index` in the tree of `size`.
pub fn inclusion_proof(
    index: u64,
    size: u64,
    store: &impl SubtreeHashes,
) -> Result<Vec<Hash>, ProofError> {
    proof_of(&inclusion_spans(index, size)?, store)
}

/// RFC 9162 §2.1.4.1 consistency proof between trees of `old` and `new` leaves.
pub fn consistency_proof(
    old: u64,
    new: u64,
    store: &impl SubtreeHashes,
) -> Result<Vec<Hash>, ProofError> {
    proof_of(&consistency_spans(old, new)?, store)
}

/// Root hash of the tree of `size` leaves.
pub fn root(size: u64, store: &impl SubtreeHashes) -> Result<Hash, ProofError> {
    fold_pieces(&root_plan(size), store)
}

/// Number of hashes in an inclusion proof, so a verifier can reject a wrong length up front.
pub fn inclusion_proof_len(index: u64, size: u64) -> Result<usize, ProofError> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    Ok(path_len(index, size - 1))
}

/// Number of hashes in a consistency proof from `old` to `new`.
pub fn consistency_proof_len(old: u64, new: u64) -> Result<usize, ProofError> {
    if old > new {
        return Err(ProofError::OldLargerThanNew { old, new });
    }
    if old == 0 || old == new {
        return Ok(0);
    }
    let level = old.trailing_zeros();
    let index = (old - 1) >> level;
    Ok(usize::from(index != 0) + path_len(index, (new - 1) >> level))
}

/// Below the level where the node's path meets the last leaf's path every
/// level has a sibling; above it only the levels where the node is a right child.
fn path_len(index: u64, last: u64) -> usize {
    let inner = 64 - (index ^ last).leading_zeros();
    let above = if inner >= 64 { 0 } else { index >> inner };
    inner as usize + above.count_ones() as usize
}

/// A complete subtree that exists once a leaf is appended, and the two children it is hashed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompletedNode {
    pub level: u8,
    pub index: u64,
    pub left: (u8, u64),
    pub right: (u8, u64),
}

/// The complete subtrees (level ≥ 1) created by appending leaf `leaf_index`,
/// lowest level first, so each one's right child is the leaf or the node before it.
pub fn nodes_completed_by_append(leaf_index: u64) -> impl Iterator<Item = CompletedNode> {
    let count = leaf_index.trailing_ones() as u8;
    (1..=count).map(move |level| {
        let index = leaf_index >> level;
        CompletedNode {
            level,
            index,
            left: (level - 1, index << 1),
            right: (level - 1, (index << 1) | 1),
        }
    })
}

/// Stored hashes needed to compute every node completed by appending `leaf_index`:
/// the left child of each, since each right child is computed in the same append.
pub fn append_plan(leaf_index: u64) -> Vec<(u8, u64)> {
    nodes_completed_by_append(leaf_index)
        .map(|n| n.left)
        .collect()
}

/// Hashes of the nodes completed by appending `leaf` at `leaf_index`, ready to
/// be written alongside the leaf in one transaction.
pub fn hashes_completed_by_append(
    leaf_index: u64,
    leaf: &Hash,
    store: &impl SubtreeHashes,
) -> Result<Vec<(u8, u64, Hash)>, ProofError> {
    let mut right = *leaf;
    let mut out = Vec::new();
    for n in nodes_completed_by_append(leaf_index) {
        let left = store.get(n.left.0, n.left.1)?;
        right = node_hash(&left, &right);
        out.push((n.level, n.index, right));
    }
    Ok(out)
}

/// Checks an inclusion proof exactly as RFC 9162 §2.1.3.2.
pub fn verify_inclusion(
    leaf: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), ProofError> {
    let expected = inclusion_proof_len(index, size)?;
    if proof.len() != expected {
        return Err(ProofError::BadProofLength {
            expected,
            got: proof.len(),
        });
    }
    let mut fnn = index;
    let mut sn = size - 1;
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return Err(ProofError::BadProofLength {
                expected,
                got: proof.len(),
            });
        }
        if fnn & 1 == 1 || fnn == sn {
            r = node_hash(p, &r);
            while fnn & 1 == 0 && fnn != 0 {
                fnn >>= 1;
                sn >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnn >>= 1;
        sn >>= 1;
    }
    if sn != 0 || r != *root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// Checks a consistency proof exactly as RFC 9162 §2.1.4.2, with the trivial
/// cases (old = 0, old = new) requiring an empty proof.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    let expected = consistency_proof_len(old_size, new_size)?;
    if proof.len() != expected {
        return Err(ProofError::BadProofLength {
            expected,
            got: proof.len(),
        });
    }
    if old_size == new_size {
        return if old_root == new_root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        };
    }
    if old_size == 0 {
        return Ok(());
    }
    let bad_len = ProofError::BadProofLength {
        expected,
        got: proof.len(),
    };
    let mut path: Vec<&Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(old_root);
    }
    path.extend(proof.iter());
    let mut fnn = old_size - 1;
    let mut sn = new_size - 1;
    while fnn & 1 == 1 {
        fnn >>= 1;
        sn >>= 1;
    }
    let Some((first, rest)) = path.split_first() else {
        return Err(bad_len);
    };
    let mut fr = **first;
    let mut sr = **first;
    for c in rest {
        if sn == 0 {
            return Err(bad_len);
        }
        if fnn & 1 == 1 || fnn == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnn & 1 == 0 && fnn != 0 {
                fnn >>= 1;
                sn >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnn >>= 1;
        sn >>= 1;
    }
    if sn != 0 || fr != *old_root || sr != *new_root {
        return Err(ProofError::RootMismatch);
    }
    Ok(())
}

/// An append-only tree held entirely in memory: one vector of hashes per level.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves room for `leaves` entries on every level so large builds never reallocate.
    pub fn with_capacity(leaves: u64) -> Self {
        let mut levels = Vec::new();
        let mut n = leaves;
        while n > 0 {
            levels.push(Vec::with_capacity(usize::try_from(n).unwrap_or(0)));
            n >>= 1;
        }
        Self { levels }
    }

    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |l| l.len() as u64)
    }

    /// Appends a leaf hash and returns its index.
    pub fn append(&mut self, leaf: Hash) -> u64 {
        if self.levels.is_empty() {
            self.levels.push(Vec::new());
        }
        let index = self.levels[0].len() as u64;
        self.levels[0].push(leaf);
        let mut level = 0usize;
        let mut n = index + 1;
        while n & 1 == 0 {
            let parent = match self.levels[level].as_slice() {
                [.., l, r] => node_hash(l, r),
                _ => break,
            };
            level += 1;
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(parent);
            n >>= 1;
        }
        index
    }

    /// Hashes `entry` as a leaf, appends it and returns its index.
    pub fn append_entry(&mut self, entry: &[u8]) -> u64 {
        self.append(leaf_hash(entry))
    }

    /// Root of the whole tree.
    pub fn root(&self) -> Hash {
        // Every node of the root plan of the current size is stored.
        root(self.size(), self).unwrap_or(EMPTY_ROOT)
    }

    fn check_size(&self, size: u64) -> Result<(), ProofError> {
        if size > self.size() {
            return Err(ProofError::SizeBeyondTree {
                size,
                available: self.size(),
            });
        }
        Ok(())
    }

    /// Root of the tree as it was at `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash, ProofError> {
        self.check_size(size)?;
        root(size, self)
    }

    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(size)?;
        inclusion_proof(index, size, self)
    }

    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, ProofError> {
        self.check_size(new)?;
        consistency_proof(old, new, self)
    }
}

impl SubtreeHashes for MemoryTree {
    fn get(&self, level: u8, index: u64) -> Result<Hash, ProofError> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.levels.get(usize::from(level))?.get(i))
            .copied()
            .ok_or(ProofError::MissingNode { level, index })
    }
}

#[cfg(test)]
mod tests;
