//! C2SP tlog-cosignature v1 (Ed25519, type 0x04): witness keys, producing and checking cosignatures.
//! Owns the signed message `cosignature/v1\ntime <t>\n<checkpoint body>` and the
//! key id ‖ timestamp ‖ signature payload; it never treats an unknown witness as a valid one.

use std::fmt;

use ring::signature::Ed25519KeyPair;
use thiserror::Error;

use crate::auditlog::checkpoint::{Checkpoint, CheckpointError};
use crate::auditlog::note::{self, NoteError, NoteSignature, ALG_ED25519};

/// Signature type byte of timestamped Ed25519 cosignatures.
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// Timestamps above this are refused, as the specification caps them at 2^63 - 1.
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

const PAYLOAD_LEN: usize = 4 + 8 + 64;

/// Why a cosignature could not be produced or was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CosignatureError {
    #[error("cosigned text is not a checkpoint: {0}")]
    NotACheckpoint(#[from] CheckpointError),
    #[error("malformed cosignature: {0}")]
    Malformed(&'static str),
    #[error("key error: {0}")]
    Key(#[from] NoteError),
    #[error("timestamp {0} exceeds 2^63-1")]
    TimestampTooLarge(u64),
    #[error("cosignature from unknown witness key {name}+{key_id:08x}")]
    UnknownWitness { name: String, key_id: u32 },
    #[error("cosignature from witness {name}+{key_id:08x} does not verify")]
    BadSignature { name: String, key_id: u32 },
    #[error("no cosignature from a known witness")]
    NoKnownCosignature,
}

/// The exact bytes a witness signs.
pub fn signed_message(checkpoint_body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{checkpoint_body}")
}

/// A witness's private key.
pub struct Cosigner {
    name: String,
    key_id: u32,
    seed: [u8; 32],
    pair: Ed25519KeyPair,
}

impl fmt::Debug for Cosigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The seed is the private key: it must never reach a log line.
        f.debug_struct("Cosigner")
            .field("name", &self.name)
            .field("key_id", &format_args!("{:08x}", self.key_id))
            .finish_non_exhaustive()
    }
}

impl Cosigner {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, CosignatureError> {
        if !note::is_valid_key_name(name) {
            return Err(NoteError::BadKeyName(name.to_owned()).into());
        }
        let pair = note::key_pair_from_seed(&seed)?;
        let key_id = note::key_id(name, ALG_COSIGNATURE_V1, &note::public_key_of(&pair));
        Ok(Self {
            name: name.to_owned(),
            key_id,
            seed,
            pair,
        })
    }

    pub fn generate(name: &str) -> Result<Self, CosignatureError> {
        Self::from_seed(name, note::random_seed()?)
    }

    /// Parses a `PRIVATE+KEY+…` text of type 0x04, or an ordinary Ed25519 note
    /// key (type 0x01) that is to be used as a witness key.
    pub fn parse(text: &str) -> Result<Self, CosignatureError> {
        let (name, alg, seed) = note::parse_signer_key_text(text)?;
        if alg != ALG_COSIGNATURE_V1 && alg != ALG_ED25519 {
            return Err(NoteError::UnsupportedAlgorithm(alg).into());
        }
        Self::from_seed(&name, seed)
    }

    /// The type-0x04 key text `parse` accepts; it contains the private key.
    pub fn signer_key_text(&self) -> String {
        note::format_signer_key_text(&self.name, self.key_id, ALG_COSIGNATURE_V1, &self.seed)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn verifier(&self) -> CosignatureVerifier {
        CosignatureVerifier {
            name: self.name.clone(),
            key_id: self.key_id,
            public_key: note::public_key_of(&self.pair),
        }
    }

    /// The signature line cosigning `checkpoint_body` at `timestamp`.
    pub fn cosign(
        &self,
        checkpoint_body: &str,
        timestamp: u64,
    ) -> Result<String, CosignatureError> {
        Checkpoint::parse(checkpoint_body)?;
        if timestamp > MAX_TIMESTAMP {
            return Err(CosignatureError::TimestampTooLarge(timestamp));
        }
        let sig = self
            .pair
            .sign(signed_message(checkpoint_body, timestamp).as_bytes());
        let mut signature = Vec::with_capacity(PAYLOAD_LEN - 4);
        signature.extend_from_slice(&timestamp.to_be_bytes());
        signature.extend_from_slice(sig.as_ref());
        Ok(NoteSignature {
            name: self.name.clone(),
            key_id: self.key_id,
            signature,
        }
        .to_line())
    }

    /// Appends this witness's cosignature line to a signed checkpoint note.
    pub fn cosign_note(
        &self,
        signed_note: &str,
        timestamp: u64,
    ) -> Result<String, CosignatureError> {
        let parsed = note::parse(signed_note)?;
        let line = self.cosign(parsed.text, timestamp)?;
        Ok(format!("{signed_note}{line}"))
    }
}

/// A witness's public key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureVerifier {
    name: String,
    key_id: u32,
    public_key: [u8; 32],
}

impl CosignatureVerifier {
    pub fn new(name: &str, public_key: [u8; 32]) -> Result<Self, CosignatureError> {
        if !note::is_valid_key_name(name) {
            return Err(NoteError::BadKeyName(name.to_owned()).into());
        }
        Ok(Self {
            name: name.to_owned(),
            key_id: note::key_id(name, ALG_COSIGNATURE_V1, &public_key),
            public_key,
        })
    }

    /// Parses a witness vkey `<name>+<hex id>+<base64(0x04 ‖ key)>`; a type-0x01
    /// note vkey is also accepted and converted, its own id checked first.
    pub fn parse(text: &str) -> Result<Self, CosignatureError> {
        let kt = note::split_key_text(text).ok_or(NoteError::BadVerifierKey("not name+id+key"))?;
        if kt.alg != ALG_COSIGNATURE_V1 && kt.alg != ALG_ED25519 {
            return Err(NoteError::UnsupportedAlgorithm(kt.alg).into());
        }
        let public_key: [u8; 32] = kt
            .key
            .as_slice()
            .try_into()
            .map_err(|_| NoteError::BadVerifierKey("public key is not 32 bytes"))?;
        if note::key_id(kt.name, kt.alg, &public_key) != kt.key_id {
            return Err(NoteError::BadVerifierKey("key id does not match the key").into());
        }
        Self::new(kt.name, public_key)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    pub fn public_key(&self) -> [u8; 32] {
        self.public_key
    }
}

impl fmt::Display for CosignatureVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&note::format_verifier_key_text(
            &self.name,
            self.key_id,
            ALG_COSIGNATURE_V1,
            &self.public_key,
        ))
    }
}

/// A checked cosignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    pub name: String,
    pub key_id: u32,
    pub timestamp: u64,
}

/// Splits a cosignature's note signature into timestamp and Ed25519 signature.
pub fn decode(sig: &NoteSignature) -> Result<(u64, [u8; 64]), CosignatureError> {
    if sig.signature.len() != PAYLOAD_LEN - 4 {
        return Err(CosignatureError::Malformed(
            "payload is not key id, timestamp and a 64-byte signature",
        ));
    }
    let (ts, ed) = sig.signature.split_at(8);
    let mut t = [0u8; 8];
    t.copy_from_slice(ts);
    let mut s = [0u8; 64];
    s.copy_from_slice(ed);
    let timestamp = u64::from_be_bytes(t);
    if timestamp > MAX_TIMESTAMP {
        return Err(CosignatureError::TimestampTooLarge(timestamp));
    }
    Ok((timestamp, s))
}

fn check(
    body: &str,
    sig: &NoteSignature,
    v: &CosignatureVerifier,
) -> Result<Cosignature, CosignatureError> {
    let bad = || CosignatureError::BadSignature {
        name: sig.name.clone(),
        key_id: sig.key_id,
    };
    let (timestamp, ed) = decode(sig).map_err(|_| bad())?;
    if !note::ed25519_verify(
        &v.public_key,
        signed_message(body, timestamp).as_bytes(),
        &ed,
    ) {
        return Err(bad());
    }
    Ok(Cosignature {
        name: sig.name.clone(),
        key_id: sig.key_id,
        timestamp,
    })
}

/// Checks one signature line (`— name base64…`, newline optional) over a checkpoint body.
pub fn verify_line(
    checkpoint_body: &str,
    line: &str,
    witnesses: &[CosignatureVerifier],
) -> Result<Cosignature, CosignatureError> {
    Checkpoint::parse(checkpoint_body)?;
    let line = line.strip_suffix('\n').unwrap_or(line);
    let wrapped = format!("x\n\n{line}\n");
    let parsed = note::parse(&wrapped)?;
    let [sig] = parsed.signatures.as_slice() else {
        return Err(CosignatureError::Malformed(
            "expected exactly one signature line",
        ));
    };
    let v = witnesses
        .iter()
        .find(|w| w.name == sig.name && w.key_id == sig.key_id)
        .ok_or_else(|| CosignatureError::UnknownWitness {
            name: sig.name.clone(),
            key_id: sig.key_id,
        })?;
    check(checkpoint_body, sig, v)
}

/// Checks every cosignature on a signed checkpoint from a known witness.
/// Lines from other keys (the log's own signature, unknown witnesses) are
/// skipped, as the note format requires; a known witness's bad line is an error.
pub fn verify_note(
    signed_note: &str,
    witnesses: &[CosignatureVerifier],
) -> Result<Vec<Cosignature>, CosignatureError> {
    let parsed = note::parse(signed_note)?;
    Checkpoint::parse(parsed.text)?;
    let mut out: Vec<Cosignature> = Vec::new();
    for sig in &parsed.signatures {
        let Some(v) = witnesses
            .iter()
            .find(|w| w.name == sig.name && w.key_id == sig.key_id)
        else {
            continue;
        };
        let c = check(parsed.text, sig, v)?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    if out.is_empty() {
        return Err(CosignatureError::NoKnownCosignature);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
