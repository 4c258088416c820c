//! The transparency log's pure core: Merkle hashing and proofs, checkpoints, signed notes,
//! witness cosignatures, tiles and offline exports. It never chooses where hashes are stored
//! and never holds more than one tile or bundle of entries in memory at a time.

pub mod checkpoint;
pub mod cosignature;
pub mod export;
pub mod merkle;
pub mod note;
pub mod tiles;
