//! Errors of the sealed bid box and whose fault each one is.
//! An error here must never carry secret material (shares, salts, keys, plaintext) in its text.

use std::fmt;

/// The party a failure is attributed to, as the opening record will state it.
///
/// Attribution assumes the header's signature was verified against the tenderer's registered key
/// (the server does so on upload, a custodian before opening): only the tenderer can then have
/// written anything inside the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The tenderer sealed something that cannot be opened: its bid fails by its own doing.
    Tenderer,
    /// Custodian `i` (1-based, as in the header) released nothing usable.
    Custodian(u8),
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Tenderer => f.write_str("the tenderer"),
            Fault::Custodian(i) => write!(f, "custodian {i}"),
        }
    }
}

/// Everything that can go wrong sealing, checking or opening an envelope.
#[derive(Debug, thiserror::Error)]
pub enum EnvelopeError {
    // --- Not an envelope of this version: nobody's fault in the opening record, the bytes are
    // simply not a valid envelope (and the server refuses them on upload).
    #[error("not a sealed bid envelope (bad magic)")]
    BadMagic,
    #[error("sealed envelope version {0} is not supported")]
    UnsupportedVersion(u8),
    #[error("envelope header declares {declared} bytes but {actual} were given")]
    HeaderLength { declared: u64, actual: u64 },
    #[error("envelope header field `{field}` is invalid: {reason}")]
    InvalidField {
        field: &'static str,
        reason: &'static str,
    },
    #[error("envelope header is not signed by this tenderer's key")]
    BadSignature,
    #[error("the envelope has no custodian {index}")]
    NoSuchCustodian { index: u8 },

    // --- The caller's own mistakes while sealing or opening.
    #[error("cannot seal: {0}")]
    InvalidParams(&'static str),
    #[error("payload declared as {declared} bytes but the reader gave {actual}{more}", more = if *.longer { " or more" } else { "" })]
    PayloadLength {
        declared: u64,
        actual: u64,
        longer: bool,
    },
    #[error("share of custodian {index} was given more than once")]
    DuplicateShare { index: u8 },
    #[error("only {have} valid shares released; the envelope needs {need}")]
    NotEnoughShares { have: usize, need: usize },
    #[error("this content key does not belong to this envelope")]
    KeyDoesNotMatchHeader,
    #[error("this announced key is not the one the tenderer committed to in the envelope header")]
    AnnouncedKeyMismatch,
    #[error("a version {version} envelope {reason}")]
    WrongVersion { version: u8, reason: &'static str },
    #[error("the system random number generator failed")]
    Randomness,
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),

    // --- Custodian faults.
    #[error("custodian {index} used a key that is not the one the envelope was sealed to")]
    WrongCustodianKey { index: u8 },
    #[error("share released by custodian {index} does not match its commitment in the header")]
    ShareMismatch { index: u8 },

    // --- Tenderer faults.
    #[error("the envelope was not sealed for this tender: `{field}` differs")]
    NotSealedFor { field: &'static str },
    #[error("custodian {index}'s key in the header is not the tender's registered key for custodian {index}")]
    CustodianKeyNotRegistered { index: u8 },
    #[error("the share sealed to custodian {index} cannot be decrypted with the key it names")]
    ShareUndecryptable { index: u8 },
    #[error("the share sealed to custodian {index} does not match the tenderer's own commitment")]
    ShareNotCommitted { index: u8 },
    #[error("all released shares match their commitments but the header MAC fails: the tenderer sealed an inconsistent envelope")]
    HeaderMac,
    #[error("payload chunk {chunk} fails authentication (corrupt, reordered, duplicated or dropped chunk)")]
    ChunkCorrupt { chunk: u64 },
    #[error("payload ends inside chunk {chunk}: the ciphertext is truncated")]
    PayloadTruncated { chunk: u64 },
    #[error("ciphertext continues after the last payload chunk")]
    TrailingCiphertext,
    #[error("the announced key derived from the content key does not match the tenderer's commitment in the header")]
    AnnouncedKeyNotCommitted,
}

impl EnvelopeError {
    /// Whose fault this failure is, or `None` when it is not a failure of a sealed bid (malformed
    /// bytes, a caller's mistake, an I/O error, or simply not enough shares released yet).
    pub fn fault(&self) -> Option<Fault> {
        use EnvelopeError::*;
        match self {
            WrongCustodianKey { index } | ShareMismatch { index } => Some(Fault::Custodian(*index)),
            NotSealedFor { .. }
            | CustodianKeyNotRegistered { .. }
            | ShareUndecryptable { .. }
            | ShareNotCommitted { .. }
            | HeaderMac
            | ChunkCorrupt { .. }
            | PayloadTruncated { .. }
            | TrailingCiphertext
            | AnnouncedKeyNotCommitted => Some(Fault::Tenderer),
            BadMagic
            | UnsupportedVersion(_)
            | HeaderLength { .. }
            | InvalidField { .. }
            | BadSignature
            | NoSuchCustodian { .. }
            | InvalidParams(_)
            | PayloadLength { .. }
            | DuplicateShare { .. }
            | NotEnoughShares { .. }
            | KeyDoesNotMatchHeader
            | AnnouncedKeyMismatch
            | WrongVersion { .. }
            | Randomness
            | Io(_) => None,
        }
    }

    /// True for the errors that mean "these bytes are not a well-formed envelope of this version".
    pub fn is_format(&self) -> bool {
        use EnvelopeError::*;
        matches!(
            self,
            BadMagic | UnsupportedVersion(_) | HeaderLength { .. } | InvalidField { .. }
        )
    }
}
