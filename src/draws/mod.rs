//! The public random draw (摇号 / 专家抽取) of agents and experts: the `bidhall-draw/1` protocol, its
//! transcript and an offline verifier. Pure code: no clock, no store, no network, no `rand`; the
//! protocol's bytes are specified in `docs/draw.md` and must never change under the same algorithm id.

pub use crate::canonical;
pub mod audit;
mod deadline;
mod error;
pub mod pool;
pub mod protocol;
pub mod sealed;
pub mod transcript;
pub mod verify;

pub use error::{DrawError, DrawVerifyError, ReplacementProblem};
pub use pool::{pool_hash, pool_lines, Candidate, Pool, PoolField};
pub use protocol::{
    commitment, derive_seed, shuffle, SeedInput, Selection, Stream, ALGORITHM, COMMIT_DOMAIN,
    SECRET_LEN,
};
pub use sealed::{
    handle_position, member_commitment, position_handle, sealed_lines, sealed_pool_hash, Opening,
    SealedPool, MEMBER_DOMAIN,
};
pub use transcript::{
    Announcement, Beacon, BeaconSpec, Commitment, Deadlines, DrawResult, MissedRevealRule,
    Replacement, ReplacementReason, Reveal, Transcript,
};
pub use verify::{verify, verify_json, DrawFailure, DrawOutcome, VerifiedDraw};

#[cfg(test)]
mod tests;
