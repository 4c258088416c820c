//! The sealed bid box: the envelope a tenderer seals on its own device so that only k of a tender's
//! n custodians together can open it. Never talks to storage or the network, and never holds a
//! whole payload in memory.

pub mod envelope;
pub mod error;
pub mod hpke;
pub mod keys;
pub mod shamir;
pub mod stream;
pub mod tar;
mod wire;

#[cfg(test)]
mod tests;

pub use envelope::{
    announced_key, announced_key_commitment, check_announced_key, check_released_share,
    check_sealed_for, open_announced, open_documents, open_payload, open_share, rebuild_key, seal,
    seal_deterministic, seal_v2, seal_v2_deterministic, verify_signature, AnnouncedKey, ContentKey,
    CustodianRecord, Header, ReleasedShare, SealParams, SealRandomness, SealedSummary,
};
pub use error::{EnvelopeError, Fault};
pub use keys::{
    CustodianPrivateKey, CustodianPublicKey, KeyError, TendererPublicKey, TendererSigningKey,
};
