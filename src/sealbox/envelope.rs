//! Envelope formats v1 and v2 (docs/sealed-envelope.md): the header's bytes, sealing, a custodian
//! opening its share, the server checking released shares, rebuilding the content key and opening
//! the payload — in v2 the announced segment (bid.json, under a key that is published after the
//! opening) apart from the documents segment (under a key that never leaves the hall). Never holds
//! a whole payload in memory; never lets a share, salt or key reach an error or Debug text.

use crate::sealbox::error::EnvelopeError;
use crate::sealbox::hpke;
use crate::sealbox::keys::{
    CustodianPrivateKey, CustodianPublicKey, TendererPublicKey, TendererSigningKey,
    FINGERPRINT_LEN, PUBLIC_KEY_LEN, SIGNATURE_LEN,
};
use crate::sealbox::shamir::{self, FixedCoefficients, Share, SECRET_LEN};
use crate::sealbox::stream::{self, CHUNK_SIZE, MAX_PAYLOAD_LEN};
use crate::sealbox::wire::{ct_eq, put_lp, read_full, Cursor};
use ring::rand::SecureRandom;
use ring::{digest, hkdf, hmac};
use std::fmt;
use std::io::{Read, Write};
use zeroize::{Zeroize, Zeroizing};

/// First seven bytes of every envelope; the eighth is the version.
pub const MAGIC: [u8; 7] = *b"BHSEAL\0";
pub const VERSION: u8 = 1;
/// Version 2 seals the announced fields and the bid documents under separate keys.
pub const VERSION_2: u8 = 2;
/// Bytes of magic, version and the header-length field that precede everything else.
pub const PREFIX_LEN: usize = 12;
pub const ENVELOPE_ID_LEN: usize = 16;
pub const CONTENT_KEY_LEN: usize = SECRET_LEN;
pub const SALT_LEN: usize = 32;
pub const COMMITMENT_LEN: usize = 32;
/// HPKE ciphertext of share ‖ salt: 64 bytes plus the AES-128-GCM tag.
pub const SEALED_SHARE_LEN: usize = SECRET_LEN + SALT_LEN + hpke::TAG_LEN;
/// index ‖ fingerprint ‖ commitment ‖ enc ‖ sealed share.
pub const RECORD_LEN: usize =
    1 + FINGERPRINT_LEN + COMMITMENT_LEN + hpke::ENC_LEN + SEALED_SHARE_LEN;
pub const MAC_LEN: usize = 32;
/// Tender, lot and tenderer ids are 1 to 255 bytes of UTF-8.
pub const MAX_ID_LEN: usize = 255;
/// The largest header v1 can produce (255 custodians, 255-byte ids) is 54 465 bytes, v2 54 505.
pub const MAX_HEADER_LEN: usize = 65_536;
/// A v2 announced segment (bid.json) is at most 1 MiB of plaintext.
pub const MAX_ANNOUNCED_LEN: u64 = 1 << 20;

/// The labels that differ between versions, so no value of one version passes for the other's.
struct Labels {
    share: &'static [u8],
    commit: &'static [u8],
    mac: &'static [u8],
    signature: &'static [u8],
}

const V1_LABELS: Labels = Labels {
    share: b"bidhall-sealbox/1 share",
    commit: b"bidhall-sealbox/1 commit",
    mac: b"bidhall-sealbox/1 header-mac",
    signature: b"bidhall-sealbox/1 signature",
};
const V2_LABELS: Labels = Labels {
    share: b"bidhall-sealbox/2 share",
    commit: b"bidhall-sealbox/2 commit",
    mac: b"bidhall-sealbox/2 header-mac",
    signature: b"bidhall-sealbox/2 signature",
};
const LABEL_PAYLOAD: &[u8] = b"bidhall-sealbox/1 payload";
const LABEL_ANNOUNCED: &[u8] = b"bidhall-sealbox/2 announced";
const LABEL_DOCUMENTS: &[u8] = b"bidhall-sealbox/2 documents";
const LABEL_ANNOUNCED_KEY: &[u8] = b"bidhall-sealbox/2 announced-key";

fn labels(version: u8) -> &'static Labels {
    if version == VERSION_2 {
        &V2_LABELS
    } else {
        &V1_LABELS
    }
}

/// What a tenderer seals for: which tender and lot, who it is, and the tender's custodians in
/// their published order (custodian i is `custodians[i - 1]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealParams {
    pub tender_id: String,
    pub lot_id: String,
    pub tenderer_id: String,
    pub custodians: Vec<CustodianPublicKey>,
    pub k: u8,
}

/// Every random value one seal consumes. `seal` draws them from the system RNG;
/// `seal_deterministic` takes them from a test vector.
pub struct SealRandomness {
    pub content_key: [u8; CONTENT_KEY_LEN],
    pub envelope_id: [u8; ENVELOPE_ID_LEN],
    /// `32 * (k - 1)` bytes in `shamir::CoefficientSource` layout.
    pub coefficients: Vec<u8>,
    /// One per custodian, in custodian order.
    pub share_salts: Vec<[u8; SALT_LEN]>,
    /// HPKE DeriveKeyPair input of each custodian's ephemeral key, in custodian order.
    pub ephemeral_ikm: Vec<[u8; 32]>,
}

impl SealRandomness {
    pub fn generate(n: u8, k: u8, rng: &dyn SecureRandom) -> Result<Self, EnvelopeError> {
        let fill = |buf: &mut [u8]| rng.fill(buf).map_err(|_| EnvelopeError::Randomness);
        let mut r = SealRandomness {
            content_key: [0; CONTENT_KEY_LEN],
            envelope_id: [0; ENVELOPE_ID_LEN],
            coefficients: vec![0; SECRET_LEN * usize::from(k.saturating_sub(1))],
            share_salts: vec![[0; SALT_LEN]; n.into()],
            ephemeral_ikm: vec![[0; 32]; n.into()],
        };
        fill(&mut r.content_key)?;
        fill(&mut r.envelope_id)?;
        fill(&mut r.coefficients)?;
        for salt in &mut r.share_salts {
            fill(salt)?;
        }
        for ikm in &mut r.ephemeral_ikm {
            fill(ikm)?;
        }
        Ok(r)
    }
}

impl Drop for SealRandomness {
    fn drop(&mut self) {
        self.content_key.zeroize();
        self.coefficients.zeroize();
        for s in &mut self.share_salts {
            s.zeroize();
        }
        for s in &mut self.ephemeral_ikm {
            s.zeroize();
        }
    }
}

impl fmt::Debug for SealRandomness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SealRandomness([redacted])")
    }
}

/// What the tenderer's client keeps after sealing, to compare with the platform's receipt.
#[derive(Debug, Clone)]
pub struct SealedSummary {
    pub header: Header,
    pub body_len: u64,
    pub envelope_len: u64,
    /// SHA-256 of the whole envelope (header ‖ body), the value the receipt names.
    pub envelope_sha256: [u8; 32],
}

/// One custodian's entry in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustodianRecord {
    pub index: u8,
    pub fingerprint: [u8; FINGERPRINT_LEN],
    pub commitment: [u8; COMMITMENT_LEN],
    pub enc: [u8; hpke::ENC_LEN],
    pub sealed_share: [u8; SEALED_SHARE_LEN],
}

/// A parsed envelope header (v1 or v2). It keeps its exact bytes, since the MAC and signature
/// cover them.
#[derive(Clone, PartialEq, Eq)]
pub struct Header {
    bytes: Vec<u8>,
    version: u8,
    tender_id: String,
    lot_id: String,
    tenderer_id: String,
    envelope_id: [u8; ENVELOPE_ID_LEN],
    k: u8,
    /// v1: the whole payload; v2: the documents segment's plaintext.
    payload_len: u64,
    /// v2 only: bid.json's length and the commitment to the key it is sealed under.
    announced_len: u64,
    announced_commitment: Option<[u8; COMMITMENT_LEN]>,
    custodians: Vec<CustodianRecord>,
}

impl fmt::Debug for Header {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Header")
            .field("version", &self.version)
            .field("tender_id", &self.tender_id)
            .field("lot_id", &self.lot_id)
            .field("tenderer_id", &self.tenderer_id)
            .field("envelope_id", &hex::encode(self.envelope_id))
            .field("n", &self.custodians.len())
            .field("k", &self.k)
            .field("payload_len", &self.payload_len)
            .field("announced_len", &self.announced_len)
            .finish()
    }
}

/// A share as a custodian releases it at the opening: its value and the salt of its commitment.
#[derive(Clone, PartialEq, Eq)]
pub struct ReleasedShare {
    pub index: u8,
    pub share: [u8; SECRET_LEN],
    pub salt: [u8; SALT_LEN],
}

/// Wire length of a released share: index ‖ share ‖ salt.
pub const RELEASED_SHARE_LEN: usize = 1 + SECRET_LEN + SALT_LEN;

impl ReleasedShare {
    pub fn to_bytes(&self) -> Zeroizing<[u8; RELEASED_SHARE_LEN]> {
        let mut out = Zeroizing::new([0u8; RELEASED_SHARE_LEN]);
        out[0] = self.index;
        out[1..1 + SECRET_LEN].copy_from_slice(&self.share);
        out[1 + SECRET_LEN..].copy_from_slice(&self.salt);
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, EnvelopeError> {
        if bytes.len() != RELEASED_SHARE_LEN {
            return Err(EnvelopeError::InvalidField {
                field: "released share",
                reason: "must be 65 bytes",
            });
        }
        let mut out = ReleasedShare {
            index: bytes[0],
            share: [0; SECRET_LEN],
            salt: [0; SALT_LEN],
        };
        out.share.copy_from_slice(&bytes[1..1 + SECRET_LEN]);
        out.salt.copy_from_slice(&bytes[1 + SECRET_LEN..]);
        Ok(out)
    }
}

impl Drop for ReleasedShare {
    fn drop(&mut self) {
        self.share.zeroize();
        self.salt.zeroize();
    }
}

impl fmt::Debug for ReleasedShare {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReleasedShare {{ index: {}, [redacted] }}", self.index)
    }
}

/// The rebuilt content key. Zeroized on drop; its Debug never shows the bytes.
pub struct ContentKey(Zeroizing<[u8; CONTENT_KEY_LEN]>);

impl ContentKey {
    pub fn from_bytes(bytes: [u8; CONTENT_KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The raw key, e.g. to publish it after the opening so anyone can re-decrypt the bid.
    pub fn expose_secret(&self) -> &[u8; CONTENT_KEY_LEN] {
        &self.0
    }
}

impl fmt::Debug for ContentKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ContentKey([redacted])")
    }
}

/// The key of a v2 envelope's announced segment. Secret until the opening; the hall publishes it
/// then, and anyone checks it against the commitment in the signed header (`check_announced_key`).
/// It opens bid.json and nothing else: the documents are under another key derived from CK.
#[derive(Clone)]
pub struct AnnouncedKey(Zeroizing<[u8; 32]>);

impl AnnouncedKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    pub fn expose_secret(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for AnnouncedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AnnouncedKey([redacted])")
    }
}

fn id_field(field: &'static str, value: &str) -> Result<(), EnvelopeError> {
    if value.is_empty() || value.len() > MAX_ID_LEN {
        return Err(EnvelopeError::InvalidField {
            field,
            reason: "must be 1 to 255 bytes of UTF-8",
        });
    }
    Ok(())
}

/// HPKE `info` for custodian i: binds the share to this version, tender, lot, envelope and position.
pub(crate) fn share_info(
    version: u8,
    tender_id: &str,
    lot_id: &str,
    envelope_id: &[u8],
    index: u8,
) -> Vec<u8> {
    let mut info = Vec::with_capacity(64 + tender_id.len() + lot_id.len());
    put_lp(&mut info, labels(version).share);
    put_lp(&mut info, tender_id.as_bytes());
    put_lp(&mut info, lot_id.as_bytes());
    put_lp(&mut info, envelope_id);
    info.push(index);
    info
}

/// SHA-256(lp(label) ‖ lp(envelope id) ‖ u8 i ‖ share ‖ salt). The 256-bit salt travels only
/// inside the HPKE ciphertext, so the commitment reveals nothing about the share.
pub(crate) fn share_commitment(
    version: u8,
    envelope_id: &[u8],
    index: u8,
    share: &[u8; SECRET_LEN],
    salt: &[u8; SALT_LEN],
) -> [u8; COMMITMENT_LEN] {
    let mut ctx = digest::Context::new(&digest::SHA256);
    let mut prefix = Vec::with_capacity(64);
    put_lp(&mut prefix, labels(version).commit);
    put_lp(&mut prefix, envelope_id);
    prefix.push(index);
    ctx.update(&prefix);
    ctx.update(share);
    ctx.update(salt);
    let mut out = [0u8; COMMITMENT_LEN];
    out.copy_from_slice(ctx.finish().as_ref());
    out
}

/// HKDF-SHA256(IKM = content key, salt = envelope id, info = label), 32 bytes.
pub(crate) fn derive_key(
    content_key: &[u8; CONTENT_KEY_LEN],
    envelope_id: &[u8],
    label: &[u8],
) -> Zeroizing<[u8; 32]> {
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, envelope_id).extract(content_key);
    let mut out = Zeroizing::new([0u8; 32]);
    // 32 bytes is within HKDF-SHA256's 8160-byte limit, so neither step can fail.
    if let Ok(okm) = prk.expand(&[label], hkdf::HKDF_SHA256) {
        let _ = okm.fill(&mut *out);
    }
    out
}

/// v1's one payload key.
pub(crate) fn payload_key(ck: &[u8; CONTENT_KEY_LEN], envelope_id: &[u8]) -> Zeroizing<[u8; 32]> {
    derive_key(ck, envelope_id, LABEL_PAYLOAD)
}

/// v2's key of the announced segment (bid.json).
pub(crate) fn announced_key_bytes(
    ck: &[u8; CONTENT_KEY_LEN],
    envelope_id: &[u8],
) -> Zeroizing<[u8; 32]> {
    derive_key(ck, envelope_id, LABEL_ANNOUNCED)
}

/// v2's key of the documents segment (the attachments archive).
pub(crate) fn documents_key(ck: &[u8; CONTENT_KEY_LEN], envelope_id: &[u8]) -> Zeroizing<[u8; 32]> {
    derive_key(ck, envelope_id, LABEL_DOCUMENTS)
}

pub(crate) fn mac_key(
    version: u8,
    ck: &[u8; CONTENT_KEY_LEN],
    envelope_id: &[u8],
) -> Zeroizing<[u8; 32]> {
    derive_key(ck, envelope_id, labels(version).mac)
}

/// SHA-256(lp("bidhall-sealbox/2 announced-key") ‖ lp(envelope id) ‖ announced key): what the
/// signed v2 header carries, so a published announced key can be checked by anyone. AES-GCM does
/// not commit to its key; this does.
pub fn announced_key_commitment(envelope_id: &[u8], key: &[u8; 32]) -> [u8; COMMITMENT_LEN] {
    let mut msg = Vec::with_capacity(96);
    put_lp(&mut msg, LABEL_ANNOUNCED_KEY);
    put_lp(&mut msg, envelope_id);
    msg.extend_from_slice(key);
    let mut out = [0u8; COMMITMENT_LEN];
    out.copy_from_slice(digest::digest(&digest::SHA256, &msg).as_ref());
    out
}

pub(crate) fn signature_message(version: u8, signed_part: &[u8]) -> Vec<u8> {
    let mut msg = Vec::with_capacity(signed_part.len() + 40);
    put_lp(&mut msg, labels(version).signature);
    msg.extend_from_slice(signed_part);
    msg
}

/// v2 adds the announced length and the announced-key commitment to v1's fixed fields.
const V2_EXTRA_LEN: usize = 8 + COMMITMENT_LEN;

fn header_len_for(version: u8, params: &SealParams) -> usize {
    let extra = if version == VERSION_2 {
        V2_EXTRA_LEN
    } else {
        0
    };
    extra
        + PREFIX_LEN
        + 12
        + params.tender_id.len()
        + params.lot_id.len()
        + params.tenderer_id.len()
        + ENVELOPE_ID_LEN
        + 2
        + 4
        + 8
        + params.custodians.len() * RECORD_LEN
        + MAC_LEN
        + SIGNATURE_LEN
}

fn validate_params(params: &SealParams, payload_len: u64) -> Result<u8, EnvelopeError> {
    id_field("tender_id", &params.tender_id)?;
    id_field("lot_id", &params.lot_id)?;
    id_field("tenderer_id", &params.tenderer_id)?;
    let n = u8::try_from(params.custodians.len())
        .ok()
        .filter(|n| *n >= 1)
        .ok_or(EnvelopeError::InvalidParams(
            "a tender has 1 to 255 custodians",
        ))?;
    if params.k == 0 || params.k > n {
        return Err(EnvelopeError::InvalidParams(
            "threshold k must be between 1 and the number of custodians",
        ));
    }
    for (i, c) in params.custodians.iter().enumerate() {
        // Two shares under one key would let a single custodian count twice toward k.
        if params.custodians[..i].contains(c) {
            return Err(EnvelopeError::InvalidParams(
                "a custodian key appears twice",
            ));
        }
    }
    if payload_len > MAX_PAYLOAD_LEN {
        return Err(EnvelopeError::InvalidParams("payload larger than 1 TiB"));
    }
    Ok(n)
}

/// Seals `payload_len` bytes read from `payload` for the tender's custodians and writes a
/// version 1 envelope (header ‖ body) to `out`, one 64 KiB chunk at a time. New bids are sealed
/// with `seal_v2`; v1 stays for envelopes already receipted and for its test vectors.
///
/// The length is needed up front because the signed header states it, which lets the server
/// reject a truncated upload before it issues a receipt; the reader must yield exactly that many.
pub fn seal(
    params: &SealParams,
    signing_key: &TendererSigningKey,
    payload: impl Read,
    payload_len: u64,
    out: impl Write,
    rng: &dyn SecureRandom,
) -> Result<SealedSummary, EnvelopeError> {
    let n = validate_params(params, payload_len)?;
    let randomness = SealRandomness::generate(n, params.k, rng)?;
    seal_deterministic(
        params,
        signing_key,
        payload,
        payload_len,
        out,
        &randomness,
        rng,
    )
}

/// `seal` with every random value given; `rng` is used only for the ECDSA signature, which
/// therefore differs between runs while every other byte is fixed.
pub fn seal_deterministic(
    params: &SealParams,
    signing_key: &TendererSigningKey,
    payload: impl Read,
    payload_len: u64,
    out: impl Write,
    randomness: &SealRandomness,
    rng: &dyn SecureRandom,
) -> Result<SealedSummary, EnvelopeError> {
    seal_with(
        VERSION,
        Dealing::Honest,
        params,
        signing_key,
        None,
        payload,
        payload_len,
        out,
        randomness,
        rng,
    )
}

/// Seals a version 2 envelope: `announced` (bid.json, the 开标一览表 fields read out at the
/// opening, at most 1 MiB) under the announced key, and `documents_len` bytes of `documents` (the
/// attachments archive) under the documents key, both derived from one content key. After the
/// opening the hall publishes the announced key; the documents stay readable only with CK.
#[allow(clippy::too_many_arguments)]
pub fn seal_v2(
    params: &SealParams,
    signing_key: &TendererSigningKey,
    announced: &[u8],
    documents: impl Read,
    documents_len: u64,
    out: impl Write,
    rng: &dyn SecureRandom,
) -> Result<SealedSummary, EnvelopeError> {
    let n = validate_params(params, documents_len)?;
    let randomness = SealRandomness::generate(n, params.k, rng)?;
    seal_v2_deterministic(
        params,
        signing_key,
        announced,
        documents,
        documents_len,
        out,
        &randomness,
        rng,
    )
}

/// `seal_v2` with every random value given (test vectors); only the signature varies.
#[allow(clippy::too_many_arguments)]
pub fn seal_v2_deterministic(
    params: &SealParams,
    signing_key: &TendererSigningKey,
    announced: &[u8],
    documents: impl Read,
    documents_len: u64,
    out: impl Write,
    randomness: &SealRandomness,
    rng: &dyn SecureRandom,
) -> Result<SealedSummary, EnvelopeError> {
    if announced.len() as u64 > MAX_ANNOUNCED_LEN {
        return Err(EnvelopeError::InvalidParams(
            "the announced fields are larger than 1 MiB",
        ));
    }
    seal_with(
        VERSION_2,
        Dealing::Honest,
        params,
        signing_key,
        Some(announced),
        documents,
        documents_len,
        out,
        randomness,
        rng,
    )
}

/// How the shares are dealt: honestly, or — to test that the hall and every verifier catch it — with
/// one share off the polynomial (its commitment made over the wrong share, as a faulty or
/// malicious tenderer's client would; docs/sealed-envelope.md §4: the tenderer's fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dealing {
    Honest,
    OffPolynomial { index: u8 },
}

/// [`seal_deterministic`] with a given dealing: for tests of a tenderer's faulty dealing only.
#[doc(hidden)]
#[allow(clippy::too_many_arguments)]
pub fn seal_dealt(
    dealing: Dealing,
    params: &SealParams,
    signing_key: &TendererSigningKey,
    payload: impl Read,
    payload_len: u64,
    out: impl Write,
    rng: &dyn SecureRandom,
) -> Result<SealedSummary, EnvelopeError> {
    let n = validate_params(params, payload_len)?;
    let randomness = SealRandomness::generate(n, params.k, rng)?;
    seal_with(
        VERSION,
        dealing,
        params,
        signing_key,
        None,
        payload,
        payload_len,
        out,
        &randomness,
        rng,
    )
}

/// Both versions: the header (v2 with the announced length and key commitment), then the body —
/// v1 one STREAM of the payload, v2 the announced STREAM followed by the documents STREAM.
#[allow(clippy::too_many_arguments)]
fn seal_with(
    version: u8,
    dealing: Dealing,
    params: &SealParams,
    signing_key: &TendererSigningKey,
    announced: Option<&[u8]>,
    mut payload: impl Read,
    payload_len: u64,
    mut out: impl Write,
    randomness: &SealRandomness,
    rng: &dyn SecureRandom,
) -> Result<SealedSummary, EnvelopeError> {
    let n = validate_params(params, payload_len)?;
    let r = randomness;
    if r.share_salts.len() != usize::from(n) || r.ephemeral_ikm.len() != usize::from(n) {
        return Err(EnvelopeError::InvalidParams(
            "randomness must hold one salt and one ephemeral seed per custodian",
        ));
    }
    let mut shares = shamir::split(
        &r.content_key,
        n,
        params.k,
        &mut FixedCoefficients(&r.coefficients),
    )
    .map_err(|_| EnvelopeError::InvalidParams("coefficients must be 32 * (k - 1) bytes"))?;
    if let Dealing::OffPolynomial { index } = dealing {
        if let Some(share) = shares.iter_mut().find(|s| s.x == index) {
            share.y[0] ^= 1;
        }
    }

    let header_len = header_len_for(version, params);
    let mut bytes = Vec::with_capacity(header_len);
    bytes.extend_from_slice(&MAGIC);
    bytes.push(version);
    bytes.extend_from_slice(&(header_len as u32).to_be_bytes());
    put_lp(&mut bytes, params.tender_id.as_bytes());
    put_lp(&mut bytes, params.lot_id.as_bytes());
    put_lp(&mut bytes, params.tenderer_id.as_bytes());
    bytes.extend_from_slice(&r.envelope_id);
    bytes.push(n);
    bytes.push(params.k);
    bytes.extend_from_slice(&(CHUNK_SIZE as u32).to_be_bytes());
    if let Some(announced) = announced {
        bytes.extend_from_slice(&(announced.len() as u64).to_be_bytes());
        bytes.extend_from_slice(&payload_len.to_be_bytes());
        let key = announced_key_bytes(&r.content_key, &r.envelope_id);
        bytes.extend_from_slice(&announced_key_commitment(&r.envelope_id, &key));
    } else {
        bytes.extend_from_slice(&payload_len.to_be_bytes());
    }

    for (pos, (custodian, share)) in params.custodians.iter().zip(&shares).enumerate() {
        let index = share.x;
        let salt = &r.share_salts[pos];
        let mut plain = Zeroizing::new([0u8; SECRET_LEN + SALT_LEN]);
        plain[..SECRET_LEN].copy_from_slice(&share.y);
        plain[SECRET_LEN..].copy_from_slice(salt);
        let info = share_info(
            version,
            &params.tender_id,
            &params.lot_id,
            &r.envelope_id,
            index,
        );
        let (enc, sealed) = hpke::seal(
            custodian.point(),
            &info,
            b"",
            &*plain,
            &r.ephemeral_ikm[pos],
        )
        .map_err(|_| EnvelopeError::InvalidParams("HPKE could not seal to a custodian key"))?;
        bytes.push(index);
        bytes.extend_from_slice(&custodian.fingerprint());
        bytes.extend_from_slice(&share_commitment(
            version,
            &r.envelope_id,
            index,
            &share.y,
            salt,
        ));
        bytes.extend_from_slice(&enc);
        bytes.extend_from_slice(&sealed);
    }
    drop(shares);

    let mac_key = mac_key(version, &r.content_key, &r.envelope_id);
    let mac = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &*mac_key), &bytes);
    bytes.extend_from_slice(mac.as_ref());
    let signature = signing_key
        .sign(&signature_message(version, &bytes), rng)
        .map_err(|_| EnvelopeError::Randomness)?;
    bytes.extend_from_slice(&signature);
    // Parsing what was just written proves the writer and the strict parser agree.
    let header = Header::parse(&bytes)?;

    let mut hash = digest::Context::new(&digest::SHA256);
    hash.update(&bytes);
    out.write_all(&bytes)?;
    match announced {
        None => {
            let key = stream::payload_cipher(&payload_key(&r.content_key, &r.envelope_id))?;
            stream::encrypt(&key, payload_len, &mut payload, &mut out, &mut hash)?;
        }
        Some(announced) => {
            let key = stream::payload_cipher(&announced_key_bytes(&r.content_key, &r.envelope_id))?;
            let mut from = announced;
            stream::encrypt(&key, announced.len() as u64, &mut from, &mut out, &mut hash)?;
            let key = stream::payload_cipher(&documents_key(&r.content_key, &r.envelope_id))?;
            stream::encrypt(&key, payload_len, &mut payload, &mut out, &mut hash)?;
        }
    }
    out.flush()?;

    let body_len = header.body_len();
    let mut envelope_sha256 = [0u8; 32];
    envelope_sha256.copy_from_slice(hash.finish().as_ref());
    Ok(SealedSummary {
        envelope_len: bytes.len() as u64 + body_len,
        header,
        body_len,
        envelope_sha256,
    })
}

fn field<T>(value: Option<T>, field: &'static str) -> Result<T, EnvelopeError> {
    value.ok_or(EnvelopeError::InvalidField {
        field,
        reason: "runs past the end of the header",
    })
}

fn id_from(bytes: &[u8], name: &'static str) -> Result<String, EnvelopeError> {
    let s = std::str::from_utf8(bytes).map_err(|_| EnvelopeError::InvalidField {
        field: name,
        reason: "not UTF-8",
    })?;
    id_field(name, s)?;
    Ok(s.to_owned())
}

impl Header {
    /// Reads the 12-byte prefix (magic, version, header length) and returns the header length.
    pub fn declared_len(prefix: &[u8]) -> Result<usize, EnvelopeError> {
        if prefix.len() < MAGIC.len() || prefix[..MAGIC.len()] != MAGIC {
            return Err(EnvelopeError::BadMagic);
        }
        let version = *prefix.get(7).ok_or(EnvelopeError::BadMagic)?;
        if version != VERSION && version != VERSION_2 {
            return Err(EnvelopeError::UnsupportedVersion(version));
        }
        let len_bytes: [u8; 4] = prefix
            .get(8..PREFIX_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(EnvelopeError::HeaderLength {
                declared: 0,
                actual: prefix.len() as u64,
            })?;
        let declared = u32::from_be_bytes(len_bytes) as usize;
        if declared > MAX_HEADER_LEN {
            return Err(EnvelopeError::InvalidField {
                field: "header_len",
                reason: "larger than any v1 or v2 header",
            });
        }
        Ok(declared)
    }

    /// Strict parse of exactly one header: every length, count and range is checked, and the
    /// input must end with the signature.
    pub fn parse(bytes: &[u8]) -> Result<Header, EnvelopeError> {
        let declared = Self::declared_len(bytes)?;
        if declared != bytes.len() {
            return Err(EnvelopeError::HeaderLength {
                declared: declared as u64,
                actual: bytes.len() as u64,
            });
        }
        let version = bytes[7];
        let mut c = Cursor::new(bytes);
        c.take(PREFIX_LEN);
        let tender_id = id_from(field(c.lp(), "tender_id")?, "tender_id")?;
        let lot_id = id_from(field(c.lp(), "lot_id")?, "lot_id")?;
        let tenderer_id = id_from(field(c.lp(), "tenderer_id")?, "tenderer_id")?;
        let envelope_id: [u8; ENVELOPE_ID_LEN] = field(c.array(), "envelope_id")?;
        let n = field(c.u8(), "n")?;
        let k = field(c.u8(), "k")?;
        if n == 0 {
            return Err(EnvelopeError::InvalidField {
                field: "n",
                reason: "an envelope needs at least one custodian",
            });
        }
        if k == 0 || k > n {
            return Err(EnvelopeError::InvalidField {
                field: "k",
                reason: "must be between 1 and n",
            });
        }
        if field(c.u32(), "chunk_size")? != CHUNK_SIZE as u32 {
            return Err(EnvelopeError::InvalidField {
                field: "chunk_size",
                reason: "versions 1 and 2 use 65536-byte chunks",
            });
        }
        let announced_len = if version == VERSION_2 {
            let len = field(c.u64(), "announced_len")?;
            if len > MAX_ANNOUNCED_LEN {
                return Err(EnvelopeError::InvalidField {
                    field: "announced_len",
                    reason: "larger than 1 MiB",
                });
            }
            len
        } else {
            0
        };
        let payload_field = if version == VERSION_2 {
            "documents_len"
        } else {
            "payload_len"
        };
        let payload_len = field(c.u64(), payload_field)?;
        if payload_len > MAX_PAYLOAD_LEN {
            return Err(EnvelopeError::InvalidField {
                field: payload_field,
                reason: "larger than 1 TiB",
            });
        }
        let announced_commitment = if version == VERSION_2 {
            Some(field(c.array(), "announced_key_commitment")?)
        } else {
            None
        };
        let mut custodians: Vec<CustodianRecord> = Vec::with_capacity(n.into());
        for expected in 1..=n {
            let index = field(c.u8(), "custodian.index")?;
            if index != expected {
                return Err(EnvelopeError::InvalidField {
                    field: "custodian.index",
                    reason: "custodians must be numbered 1..n in order",
                });
            }
            let record = CustodianRecord {
                index,
                fingerprint: field(c.array(), "custodian.fingerprint")?,
                commitment: field(c.array(), "custodian.commitment")?,
                enc: field(c.array(), "custodian.enc")?,
                sealed_share: field(c.array(), "custodian.sealed_share")?,
            };
            if custodians
                .iter()
                .any(|r| r.fingerprint == record.fingerprint)
            {
                return Err(EnvelopeError::InvalidField {
                    field: "custodian.fingerprint",
                    reason: "the same custodian key appears twice",
                });
            }
            if hpke::deserialize_public_key(&record.enc).is_err() {
                return Err(EnvelopeError::InvalidField {
                    field: "custodian.enc",
                    reason: "not an uncompressed P-256 point",
                });
            }
            custodians.push(record);
        }
        field(c.take(MAC_LEN), "mac")?;
        field(c.take(SIGNATURE_LEN), "signature")?;
        if c.remaining() != 0 {
            return Err(EnvelopeError::InvalidField {
                field: "signature",
                reason: "bytes follow the signature",
            });
        }
        debug_assert_eq!(c.position(), bytes.len());
        Ok(Header {
            bytes: bytes.to_vec(),
            version,
            tender_id,
            lot_id,
            tenderer_id,
            envelope_id,
            k,
            payload_len,
            announced_len,
            announced_commitment,
            custodians,
        })
    }

    /// Reads one header from the front of an envelope stream, leaving the reader at the body.
    pub fn read_from(reader: &mut impl Read) -> Result<Header, EnvelopeError> {
        let mut prefix = [0u8; PREFIX_LEN];
        let got = read_full(reader, &mut prefix)?;
        let declared = Self::declared_len(&prefix[..got])?;
        if declared < PREFIX_LEN {
            return Err(EnvelopeError::HeaderLength {
                declared: declared as u64,
                actual: PREFIX_LEN as u64,
            });
        }
        let mut bytes = vec![0u8; declared];
        bytes[..PREFIX_LEN].copy_from_slice(&prefix);
        let got = read_full(reader, &mut bytes[PREFIX_LEN..])?;
        if got < declared - PREFIX_LEN {
            return Err(EnvelopeError::HeaderLength {
                declared: declared as u64,
                actual: (PREFIX_LEN + got) as u64,
            });
        }
        Self::parse(&bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// 1 or 2: the format of this envelope (docs/sealed-envelope.md).
    pub fn version(&self) -> u8 {
        self.version
    }
    pub fn tender_id(&self) -> &str {
        &self.tender_id
    }
    pub fn lot_id(&self) -> &str {
        &self.lot_id
    }
    pub fn tenderer_id(&self) -> &str {
        &self.tenderer_id
    }
    pub fn envelope_id(&self) -> &[u8; ENVELOPE_ID_LEN] {
        &self.envelope_id
    }
    pub fn n(&self) -> u8 {
        // parse caps the record count at 255.
        self.custodians.len() as u8
    }
    pub fn k(&self) -> u8 {
        self.k
    }
    pub fn chunk_size(&self) -> u32 {
        CHUNK_SIZE as u32
    }
    /// Plaintext bytes sealed in the body: v1 the payload, v2 the announced and documents
    /// segments together.
    pub fn payload_len(&self) -> u64 {
        self.payload_len + self.announced_len
    }
    /// v2: bid.json's length in bytes; v1 has no announced segment.
    pub fn announced_len(&self) -> Option<u64> {
        (self.version == VERSION_2).then_some(self.announced_len)
    }
    /// v2: the documents segment's plaintext length; v1: the whole payload's.
    pub fn documents_len(&self) -> u64 {
        self.payload_len
    }
    /// v2: the commitment to the announced key, covered by the MAC and the signature.
    pub fn announced_key_commitment(&self) -> Option<&[u8; COMMITMENT_LEN]> {
        self.announced_commitment.as_ref()
    }
    /// v2: bytes of the announced segment, which starts right after the header.
    pub fn announced_segment_len(&self) -> Option<u64> {
        self.announced_len().map(stream::body_len)
    }
    /// Exact length of the ciphertext that must follow this header.
    pub fn body_len(&self) -> u64 {
        match self.announced_segment_len() {
            Some(announced) => announced + stream::body_len(self.payload_len),
            None => stream::body_len(self.payload_len),
        }
    }
    /// Exact length of the whole envelope; the server checks an upload against it.
    pub fn envelope_len(&self) -> u64 {
        self.bytes.len() as u64 + self.body_len()
    }
    pub fn custodians(&self) -> &[CustodianRecord] {
        &self.custodians
    }
    /// Custodian `index` (1-based).
    pub fn custodian(&self, index: u8) -> Option<&CustodianRecord> {
        self.custodians.get(usize::from(index).checked_sub(1)?)
    }
    fn mac_offset(&self) -> usize {
        self.bytes.len() - SIGNATURE_LEN - MAC_LEN
    }
    pub fn mac(&self) -> &[u8] {
        &self.bytes[self.mac_offset()..self.mac_offset() + MAC_LEN]
    }
    pub fn signature(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - SIGNATURE_LEN..]
    }

    fn mac_matches(&self, content_key: &[u8; CONTENT_KEY_LEN]) -> bool {
        let key = mac_key(self.version, content_key, &self.envelope_id);
        hmac::verify(
            &hmac::Key::new(hmac::HMAC_SHA256, &*key),
            &self.bytes[..self.mac_offset()],
            self.mac(),
        )
        .is_ok()
    }
}

/// Checks the tenderer's ECDSA P-256 signature over the whole header (MAC included).
pub fn verify_signature(
    header: &Header,
    tenderer: &TendererPublicKey,
) -> Result<(), EnvelopeError> {
    let signed = &header.bytes[..header.bytes.len() - SIGNATURE_LEN];
    if tenderer.verify(
        &signature_message(header.version, signed),
        header.signature(),
    ) {
        Ok(())
    } else {
        Err(EnvelopeError::BadSignature)
    }
}

/// The server's upload check: the header was sealed for exactly this tender, lot, tenderer,
/// threshold and custodian list. Any difference is the tenderer's fault and the upload is refused.
pub fn check_sealed_for(header: &Header, expected: &SealParams) -> Result<(), EnvelopeError> {
    let not_for = |field| Err(EnvelopeError::NotSealedFor { field });
    if header.tender_id != expected.tender_id {
        return not_for("tender_id");
    }
    if header.lot_id != expected.lot_id {
        return not_for("lot_id");
    }
    if header.tenderer_id != expected.tenderer_id {
        return not_for("tenderer_id");
    }
    if header.k != expected.k {
        return not_for("k");
    }
    if header.custodians.len() != expected.custodians.len() {
        return not_for("n");
    }
    for (record, key) in header.custodians.iter().zip(&expected.custodians) {
        if record.fingerprint != key.fingerprint() {
            return Err(EnvelopeError::CustodianKeyNotRegistered {
                index: record.index,
            });
        }
    }
    Ok(())
}

/// The custodian's side of the opening: decrypt share `index` with this custodian's key and check
/// it against the tenderer's commitment.
///
/// Once the key is shown to be the one the header names, a failure to decrypt or to match the
/// commitment can only come from what the tenderer sealed; a custodian proves it by disclosing
/// its per-tender key after the opening, letting anyone re-run this function.
pub fn open_share(
    header: &Header,
    index: u8,
    key: &CustodianPrivateKey,
) -> Result<ReleasedShare, EnvelopeError> {
    let record = header
        .custodian(index)
        .ok_or(EnvelopeError::NoSuchCustodian { index })?;
    if !ct_eq(&key.fingerprint(), &record.fingerprint) {
        return Err(EnvelopeError::WrongCustodianKey { index });
    }
    let info = share_info(
        header.version,
        &header.tender_id,
        &header.lot_id,
        &header.envelope_id,
        index,
    );
    let plain = hpke::open(key.secret(), &record.enc, &info, b"", &record.sealed_share)
        .map_err(|_| EnvelopeError::ShareUndecryptable { index })?;
    if plain.len() != SECRET_LEN + SALT_LEN {
        return Err(EnvelopeError::ShareUndecryptable { index });
    }
    let mut released = ReleasedShare {
        index,
        share: [0; SECRET_LEN],
        salt: [0; SALT_LEN],
    };
    released.share.copy_from_slice(&plain[..SECRET_LEN]);
    released.salt.copy_from_slice(&plain[SECRET_LEN..]);
    let commitment = share_commitment(
        header.version,
        &header.envelope_id,
        index,
        &released.share,
        &released.salt,
    );
    if !ct_eq(&commitment, &record.commitment) {
        return Err(EnvelopeError::ShareNotCommitted { index });
    }
    Ok(released)
}

/// The server's check of a share released by custodian `index`: it must match the commitment.
pub fn check_released_share(
    header: &Header,
    index: u8,
    released: &ReleasedShare,
) -> Result<(), EnvelopeError> {
    let record = header
        .custodian(index)
        .ok_or(EnvelopeError::NoSuchCustodian { index })?;
    let commitment = share_commitment(
        header.version,
        &header.envelope_id,
        index,
        &released.share,
        &released.salt,
    );
    if released.index != index || !ct_eq(&commitment, &record.commitment) {
        return Err(EnvelopeError::ShareMismatch { index });
    }
    Ok(())
}

/// Rebuilds the content key from released shares (at least k, each checked against its
/// commitment) and checks the header MAC. Every released share is used, so a tenderer who dealt
/// shares off one polynomial is caught whenever more than k are released.
pub fn rebuild_key(
    header: &Header,
    released: &[ReleasedShare],
) -> Result<ContentKey, EnvelopeError> {
    let mut order: Vec<&ReleasedShare> = released.iter().collect();
    order.sort_by_key(|s| s.index);
    for pair in order.windows(2) {
        if pair[0].index == pair[1].index {
            return Err(EnvelopeError::DuplicateShare {
                index: pair[0].index,
            });
        }
    }
    for share in &order {
        check_released_share(header, share.index, share)?;
    }
    let need = usize::from(header.k);
    if order.len() < need {
        return Err(EnvelopeError::NotEnoughShares {
            have: order.len(),
            need,
        });
    }
    let points: Vec<Share> = order
        .iter()
        .map(|s| Share {
            x: s.index,
            y: s.share,
        })
        .collect();
    let ck =
        Zeroizing::new(
            shamir::combine(&points).map_err(|_| EnvelopeError::NotEnoughShares {
                have: order.len(),
                need,
            })?,
        );
    // Every share used is exactly what the tenderer committed to, so a MAC failure now is the
    // tenderer's doing: its shares do not lie on one polynomial, or the MAC was made wrongly.
    if !header.mac_matches(&ck) {
        return Err(EnvelopeError::HeaderMac);
    }
    Ok(ContentKey::from_bytes(*ck))
}

/// Decrypts the body (the bytes after the header) to `out`, chunk by chunk; returns the payload
/// length. Output written before an error must be discarded: write to a temporary file and keep
/// it only on `Ok`.
pub fn open_payload(
    header: &Header,
    content_key: &ContentKey,
    mut ciphertext: impl Read,
    mut out: impl Write,
) -> Result<u64, EnvelopeError> {
    if header.version != VERSION {
        return Err(EnvelopeError::WrongVersion {
            version: header.version,
            reason: "has two segments: open them with open_announced and open_documents",
        });
    }
    if !header.mac_matches(content_key.expose_secret()) {
        return Err(EnvelopeError::KeyDoesNotMatchHeader);
    }
    let key = stream::payload_cipher(&payload_key(
        content_key.expose_secret(),
        &header.envelope_id,
    ))?;
    let written = stream::decrypt(&key, header.payload_len, &mut ciphertext, &mut out)?;
    out.flush()?;
    Ok(written)
}

fn require_v2(header: &Header, reason: &'static str) -> Result<(), EnvelopeError> {
    if header.version == VERSION_2 {
        Ok(())
    } else {
        Err(EnvelopeError::WrongVersion {
            version: header.version,
            reason,
        })
    }
}

/// The hall's step after `rebuild_key` on a v2 envelope: derive the announced key from CK and
/// check it against the tenderer's commitment. CK passed the MAC, which covers the commitment, so
/// only the tenderer can have written a commitment that does not fit (`AnnouncedKeyNotCommitted`).
pub fn announced_key(
    header: &Header,
    content_key: &ContentKey,
) -> Result<AnnouncedKey, EnvelopeError> {
    require_v2(header, "has no announced key")?;
    if !header.mac_matches(content_key.expose_secret()) {
        return Err(EnvelopeError::KeyDoesNotMatchHeader);
    }
    let key = announced_key_bytes(content_key.expose_secret(), &header.envelope_id);
    let committed = announced_key_commitment(&header.envelope_id, &key);
    match header.announced_commitment {
        Some(c) if ct_eq(&c, &committed) => Ok(AnnouncedKey(key)),
        _ => Err(EnvelopeError::AnnouncedKeyNotCommitted),
    }
}

/// Anyone's check of a published announced key: it must be the one the signed header commits to
/// (`AnnouncedKeyMismatch` otherwise: the publisher's error, not a party's fault in the opening).
pub fn check_announced_key(header: &Header, key: &AnnouncedKey) -> Result<(), EnvelopeError> {
    require_v2(header, "has no announced key")?;
    let committed = announced_key_commitment(&header.envelope_id, key.expose_secret());
    match header.announced_commitment {
        Some(c) if ct_eq(&c, &committed) => Ok(()),
        _ => Err(EnvelopeError::AnnouncedKeyMismatch),
    }
}

/// Decrypts a v2 envelope's announced segment (bid.json) from `body`, the bytes right after the
/// header, with a key checked against the header's commitment first. Reads exactly the announced
/// segment and leaves `body` at the documents segment. Anyone can do this after the opening.
pub fn open_announced(
    header: &Header,
    key: &AnnouncedKey,
    mut body: impl Read,
    mut out: impl Write,
) -> Result<u64, EnvelopeError> {
    check_announced_key(header, key)?;
    let cipher = stream::payload_cipher(key.expose_secret())?;
    let written = stream::decrypt_segment(&cipher, header.announced_len, &mut body, &mut out)?;
    out.flush()?;
    Ok(written)
}

/// Decrypts a v2 envelope's documents segment — the bytes after the announced segment — with the
/// documents key derived from CK, then requires the end of the input. Output written before an
/// error must be discarded.
pub fn open_documents(
    header: &Header,
    content_key: &ContentKey,
    mut rest: impl Read,
    mut out: impl Write,
) -> Result<u64, EnvelopeError> {
    require_v2(header, "has no documents segment")?;
    if !header.mac_matches(content_key.expose_secret()) {
        return Err(EnvelopeError::KeyDoesNotMatchHeader);
    }
    let cipher = stream::payload_cipher(&documents_key(
        content_key.expose_secret(),
        &header.envelope_id,
    ))?;
    let written = stream::decrypt(&cipher, header.payload_len, &mut rest, &mut out)?;
    out.flush()?;
    Ok(written)
}

/// Compile-time guard that the record layout above adds up to what the spec states.
const _: () = assert!(RECORD_LEN == 210 && PUBLIC_KEY_LEN == hpke::ENC_LEN);
