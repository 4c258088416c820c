//! The draw's errors in its own words: `DrawError` for building a pool, a commitment or a selection,
//! `DrawVerifyError` for the one step at which a transcript stops matching its re-run. Each verify
//! error has a stable `step()` code shared with the JS verifier; a code must never be renamed.

use thiserror::Error;

use crate::draws::PoolField;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DrawError {
    #[error("a candidate has an empty id")]
    EmptyCandidateId,
    #[error("candidate {id:?}: its {field} contains a tab or a line feed, which would forge a pool line")]
    ForbiddenCharacter { id: String, field: PoolField },
    #[error("candidate id {id:?} appears more than once in the pool")]
    DuplicateCandidate { id: String },
    #[error("sealed pool positions {first} and {second} carry the same commitment")]
    DuplicateCommitment { first: usize, second: usize },
    #[error("party {party:?} contributes more than once")]
    DuplicateParty { party: String },
    #[error("the {field} is {len} bytes, more than a u32 length prefix can describe")]
    TooLong { field: &'static str, len: usize },
    #[error("a draw must select at least one candidate")]
    NothingToSelect,
    #[error("the pool has {pool} candidates but the draw needs {needed} (selected plus reserves)")]
    PoolTooSmall { pool: usize, needed: usize },
}

/// Why a recorded replacement does not follow "the next reserve, in order".
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReplacementProblem {
    #[error("{id:?} is not on the panel at that point, so it cannot be replaced")]
    NotOnPanel { id: String },
    #[error("the next reserve in order is {expected:?}, but {found:?} was brought in")]
    NotNextReserve { expected: String, found: String },
    #[error("no reserve is left to bring in, but {found:?} was recorded")]
    NoReserveLeft { found: String },
}

/// The first step at which a transcript differs from its re-run. Positions and replacement numbers
/// are 1-based, as a person reads the result list.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DrawVerifyError {
    #[error("the transcript is not a bidhall-draw/1 transcript: {reason}")]
    MalformedTranscript { reason: String },
    #[error("unknown algorithm {found:?}: this verifier checks bidhall-draw/1 only")]
    BadAlgorithm { found: String },
    #[error("the draw id is empty")]
    EmptyDrawId,
    #[error("the announcement selects nobody: at least one candidate must be selected")]
    NothingToSelect,
    #[error("no party was announced to contribute randomness")]
    NoParties,
    #[error("an announced party has an empty id")]
    EmptyPartyId,
    #[error("party {party:?} appears twice in {list}")]
    DuplicateParty { list: &'static str, party: String },
    #[error("party {party:?} in {list} was not announced")]
    UnknownParty { list: &'static str, party: String },
    #[error(
        "the {which} deadline {value:?} is not a UTC time of the form YYYY-MM-DDTHH:MM:SS[.f]Z"
    )]
    BadDeadline { which: &'static str, value: String },
    #[error("the {earlier} deadline must come before the {later} deadline")]
    DeadlinesOutOfOrder {
        earlier: &'static str,
        later: &'static str,
    },
    #[error("a beacon and a beacon deadline must be announced together")]
    BeaconDeadlineMismatch,
    #[error("the rule that leaves out a party who misses its reveal needs a beacon: without one the last party to reveal could choose the outcome")]
    ExcludeWithoutBeacon,
    #[error("the pool is not well formed: {0}")]
    PoolInvalid(DrawError),
    #[error("the pool has {pool} candidates but the draw needs {needed} (selected plus reserves)")]
    PoolTooSmall { pool: usize, needed: usize },
    #[error("{field} is not lower-case hexadecimal")]
    MalformedHex { field: String },
    #[error("{field} is {found} bytes, expected {expected}")]
    WrongLength {
        field: String,
        expected: usize,
        found: usize,
    },
    #[error("the pool hashes to {expected} but the transcript says {found}")]
    PoolHashMismatch { expected: String, found: String },
    #[error("party {party:?} revealed without having committed")]
    RevealMissingCommitment { party: String },
    #[error("party {party:?} revealed a value that does not match its commitment")]
    CommitmentMismatch { party: String },
    #[error("party {party:?} is listed both as revealed and as having missed its reveal")]
    RevealedAndMissed { party: String },
    #[error(
        "announced party {party:?} neither revealed nor is listed as having missed its reveal"
    )]
    PartyUnaccounted { party: String },
    #[error("the beacon was announced but its value is missing")]
    BeaconValueMissing,
    #[error("the draw failed (a party missed its reveal), yet the transcript carries a {field}: a failed draw has no result and is never re-run")]
    FailedDrawHasResult { field: &'static str },
    #[error("the transcript has no seed")]
    SeedMissing,
    #[error("the seed recomputes to {expected} but the transcript says {found}")]
    SeedMismatch { expected: String, found: String },
    #[error("the transcript has no result")]
    ResultMissing,
    #[error("the announcement selects {expected} but the result lists {found}")]
    SelectionCountMismatch { expected: usize, found: usize },
    #[error("the announcement asks for {expected} reserves but the result lists {found}")]
    ReserveCountMismatch { expected: usize, found: usize },
    #[error("selected position {position}: the re-run draws {expected:?} but the transcript says {found:?}")]
    SelectionMismatch {
        position: usize,
        expected: String,
        found: String,
    },
    #[error("reserve position {position}: the re-run draws {expected:?} but the transcript says {found:?}")]
    ReserveMismatch {
        position: usize,
        expected: String,
        found: String,
    },
    #[error("replacement {number}: {problem}")]
    ReplacementInvalid {
        number: usize,
        problem: ReplacementProblem,
    },
    #[error("opening {number} (in the order listed): {problem}")]
    OpeningInvalid {
        number: usize,
        problem: &'static str,
    },
    #[error("the opening of position {position} does not match its commitment in the sealed pool")]
    OpeningMismatch { position: usize },
    #[error("position {position} of the sealed pool has no opening")]
    OpeningMissing { position: usize },
    #[error("positions {position} and {next}: the opened ids are not in bytewise order, so the positions were not assigned by the pool's line order")]
    OpeningOutOfOrder { position: usize, next: usize },
}

impl DrawVerifyError {
    /// The stable, machine-readable name of the step that failed (also used by `draw.js`).
    pub fn step(&self) -> &'static str {
        match self {
            DrawVerifyError::MalformedTranscript { .. } => "malformed_transcript",
            DrawVerifyError::BadAlgorithm { .. } => "bad_algorithm",
            DrawVerifyError::EmptyDrawId => "empty_draw_id",
            DrawVerifyError::NothingToSelect => "nothing_to_select",
            DrawVerifyError::NoParties => "no_parties",
            DrawVerifyError::EmptyPartyId => "empty_party_id",
            DrawVerifyError::DuplicateParty { .. } => "duplicate_party",
            DrawVerifyError::UnknownParty { .. } => "unknown_party",
            DrawVerifyError::BadDeadline { .. } => "bad_deadline",
            DrawVerifyError::DeadlinesOutOfOrder { .. } => "deadlines_out_of_order",
            DrawVerifyError::BeaconDeadlineMismatch => "beacon_deadline_mismatch",
            DrawVerifyError::ExcludeWithoutBeacon => "exclude_without_beacon",
            DrawVerifyError::PoolInvalid(_) => "pool_invalid",
            DrawVerifyError::PoolTooSmall { .. } => "pool_too_small",
            DrawVerifyError::MalformedHex { .. } => "malformed_hex",
            DrawVerifyError::WrongLength { .. } => "wrong_length",
            DrawVerifyError::PoolHashMismatch { .. } => "pool_hash_mismatch",
            DrawVerifyError::RevealMissingCommitment { .. } => "reveal_missing_commitment",
            DrawVerifyError::CommitmentMismatch { .. } => "commitment_mismatch",
            DrawVerifyError::RevealedAndMissed { .. } => "revealed_and_missed",
            DrawVerifyError::PartyUnaccounted { .. } => "party_unaccounted",
            DrawVerifyError::BeaconValueMissing => "beacon_value_missing",
            DrawVerifyError::FailedDrawHasResult { .. } => "failed_draw_has_result",
            DrawVerifyError::SeedMissing => "seed_missing",
            DrawVerifyError::SeedMismatch { .. } => "seed_mismatch",
            DrawVerifyError::ResultMissing => "result_missing",
            DrawVerifyError::SelectionCountMismatch { .. } => "selection_count_mismatch",
            DrawVerifyError::ReserveCountMismatch { .. } => "reserve_count_mismatch",
            DrawVerifyError::SelectionMismatch { .. } => "selection_mismatch",
            DrawVerifyError::ReserveMismatch { .. } => "reserve_mismatch",
            DrawVerifyError::ReplacementInvalid { .. } => "replacement_invalid",
            DrawVerifyError::OpeningInvalid { .. } => "opening_invalid",
            DrawVerifyError::OpeningMismatch { .. } => "opening_mismatch",
            DrawVerifyError::OpeningMissing { .. } => "opening_missing",
            DrawVerifyError::OpeningOutOfOrder { .. } => "opening_out_of_order",
        }
    }
}
