//! Tests of the sealed bid box against shared vectors, the other implementation's fixtures, and
//! every tampering the format claims to detect. Test keys only; nothing here touches real data.

mod cross;
mod roundtrip;
mod tamper;
mod threshold;
mod vectors;
mod vectors_v2;

use crate::sealbox::envelope::{self, Header, ReleasedShare, SealParams};
use crate::sealbox::error::EnvelopeError;
use crate::sealbox::keys::{CustodianPrivateKey, TendererSigningKey};
use ring::rand::SystemRandom;
use std::path::PathBuf;

pub(super) fn project_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// A tender with freshly generated custodian keys and a tenderer signing key.
pub(super) struct Tender {
    pub params: SealParams,
    pub keys: Vec<CustodianPrivateKey>,
    pub signer: TendererSigningKey,
}

pub(super) fn tender(n: u8, k: u8) -> Tender {
    let rng = SystemRandom::new();
    let keys: Vec<CustodianPrivateKey> = (0..n)
        .map(|_| CustodianPrivateKey::generate(&rng).unwrap())
        .collect();
    let pkcs8 = TendererSigningKey::generate_pkcs8(&rng).unwrap();
    Tender {
        params: SealParams {
            tender_id: "ZFCG-2026-0042".into(),
            lot_id: "标段-01".into(),
            tenderer_id: "91110000MA01ABCD2X".into(),
            custodians: keys.iter().map(|k| k.public_key().clone()).collect(),
            k,
        },
        keys,
        signer: TendererSigningKey::from_pkcs8(&pkcs8, &rng).unwrap(),
    }
}

/// Deterministic, incompressible-looking filler: byte j = j mod 251.
pub(super) fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|j| (j % 251) as u8).collect()
}

pub(super) fn seal_bytes(t: &Tender, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    envelope::seal(
        &t.params,
        &t.signer,
        payload,
        payload.len() as u64,
        &mut out,
        &SystemRandom::new(),
    )
    .unwrap();
    out
}

/// The custodians' shares of an envelope, each opened with its own key.
pub(super) fn released(
    header: &Header,
    t: &Tender,
    which: &[u8],
) -> Result<Vec<ReleasedShare>, EnvelopeError> {
    which
        .iter()
        .map(|&i| envelope::open_share(header, i, &t.keys[usize::from(i) - 1]))
        .collect()
}

/// The whole opening as the platform runs it: parse, verify the signature, check the header
/// against the tender, open the named custodians' shares, rebuild the key, decrypt.
pub(super) fn open_envelope(
    bytes: &[u8],
    t: &Tender,
    which: &[u8],
) -> Result<Vec<u8>, EnvelopeError> {
    let mut reader = bytes;
    let header = Header::read_from(&mut reader)?;
    envelope::verify_signature(&header, &t.signer.public_key())?;
    envelope::check_sealed_for(&header, &t.params)?;
    let shares = released(&header, t, which)?;
    for s in &shares {
        envelope::check_released_share(&header, s.index, s)?;
    }
    let key = envelope::rebuild_key(&header, &shares)?;
    let mut out = Vec::new();
    envelope::open_payload(&header, &key, reader, &mut out)?;
    Ok(out)
}

pub(super) fn all(t: &Tender) -> Vec<u8> {
    (1..=t.keys.len() as u8).collect()
}
