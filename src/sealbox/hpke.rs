//! RFC 9180 HPKE, base mode, for the one suite the bid box uses: DHKEM(P-256, HKDF-SHA256),
//! HKDF-SHA256, AES-128-GCM (0x0010/0x0001/0x0001). Owns the KEM and key schedule; it must never
//! accept a compressed or off-curve point, nor reuse a nonce within a context.

use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::{hkdf, hmac};
use zeroize::Zeroizing;

pub const KEM_ID: u16 = 0x0010;
pub const KDF_ID: u16 = 0x0001;
pub const AEAD_ID: u16 = 0x0001;
/// Length of `enc`, an uncompressed SEC1 P-256 point.
pub const ENC_LEN: usize = 65;
/// AES-128-GCM tag length.
pub const TAG_LEN: usize = 16;

const N_SECRET: usize = 32;
const N_K: usize = 16;
const N_N: usize = 12;
const N_H: usize = 32;
const MODE_BASE: u8 = 0x00;

const KEM_SUITE_ID: [u8; 5] = [b'K', b'E', b'M', 0x00, 0x10];
const HPKE_SUITE_ID: [u8; 10] = [b'H', b'P', b'K', b'E', 0x00, 0x10, 0x00, 0x01, 0x00, 0x01];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HpkeError {
    #[error("not an uncompressed P-256 public key")]
    InvalidPublicKey,
    #[error("DeriveKeyPair found no valid scalar")]
    DeriveKeyPair,
    #[error("HPKE decryption failed")]
    OpenFailed,
    #[error("HPKE message limit reached")]
    MessageLimit,
    #[error("requested output length is out of range")]
    BadLength,
}

struct OkmLen(usize);

impl hkdf::KeyType for OkmLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// LabeledExtract(salt, label, ikm) = HKDF-Extract(salt, "HPKE-v1" ‖ suite_id ‖ label ‖ ikm).
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Zeroizing<[u8; N_H]> {
    // HMAC pads its key with zeros, so an empty salt is the RFC's "Nh zero bytes" exactly.
    let key = hmac::Key::new(hmac::HMAC_SHA256, salt);
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(b"HPKE-v1");
    ctx.update(suite_id);
    ctx.update(label);
    ctx.update(ikm);
    let mut out = Zeroizing::new([0u8; N_H]);
    out.copy_from_slice(ctx.sign().as_ref());
    out
}

/// LabeledExpand(prk, label, info, L) = HKDF-Expand(prk, I2OSP(L, 2) ‖ "HPKE-v1" ‖ suite_id ‖ label ‖ info, L).
fn labeled_expand(
    suite_id: &[u8],
    prk: &[u8],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), HpkeError> {
    let len = u16::try_from(out.len()).map_err(|_| HpkeError::BadLength)?;
    let len_be = len.to_be_bytes();
    let prk = hkdf::Prk::new_less_safe(hkdf::HKDF_SHA256, prk);
    let parts: [&[u8]; 5] = [&len_be, b"HPKE-v1", suite_id, label, info];
    prk.expand(&parts, OkmLen(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| HpkeError::BadLength)
}

/// SerializePublicKey: the uncompressed SEC1 encoding.
pub fn serialize_public_key(pk: &PublicKey) -> [u8; ENC_LEN] {
    let mut out = [0u8; ENC_LEN];
    out.copy_from_slice(pk.to_encoded_point(false).as_bytes());
    out
}

/// DeserializePublicKey: only the uncompressed form, on the curve, not the identity.
pub fn deserialize_public_key(bytes: &[u8]) -> Result<PublicKey, HpkeError> {
    if bytes.len() != ENC_LEN || bytes[0] != 0x04 {
        return Err(HpkeError::InvalidPublicKey);
    }
    PublicKey::from_sec1_bytes(bytes).map_err(|_| HpkeError::InvalidPublicKey)
}

/// DeriveKeyPair(ikm) for P-256 (RFC 9180 §7.1.3): rejection sampling with bitmask 0xFF.
pub fn derive_key_pair(ikm: &[u8]) -> Result<SecretKey, HpkeError> {
    let dkp_prk = labeled_extract(&KEM_SUITE_ID, b"", b"dkp_prk", ikm);
    for counter in 0u8..=255 {
        let mut bytes = Zeroizing::new([0u8; 32]);
        labeled_expand(
            &KEM_SUITE_ID,
            &*dkp_prk,
            b"candidate",
            &[counter],
            &mut *bytes,
        )?;
        // bitmask 0xFF for P-256 leaves bytes[0] unchanged; from_slice rejects 0 and values ≥ order.
        if let Ok(sk) = SecretKey::from_slice(&*bytes) {
            return Ok(sk);
        }
    }
    Err(HpkeError::DeriveKeyPair)
}

fn dh(sk: &SecretKey, pk: &PublicKey) -> Zeroizing<[u8; 32]> {
    let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), pk.as_affine());
    let mut out = Zeroizing::new([0u8; 32]);
    out.copy_from_slice(shared.raw_secret_bytes());
    out
}

fn extract_and_expand(
    dh: &[u8],
    kem_context: &[u8],
) -> Result<Zeroizing<[u8; N_SECRET]>, HpkeError> {
    let eae_prk = labeled_extract(&KEM_SUITE_ID, b"", b"eae_prk", dh);
    let mut shared_secret = Zeroizing::new([0u8; N_SECRET]);
    labeled_expand(
        &KEM_SUITE_ID,
        &*eae_prk,
        b"shared_secret",
        kem_context,
        &mut *shared_secret,
    )?;
    Ok(shared_secret)
}

fn encap(
    pk_r: &PublicKey,
    sk_e: &SecretKey,
) -> Result<([u8; ENC_LEN], Zeroizing<[u8; N_SECRET]>), HpkeError> {
    let dh = dh(sk_e, pk_r);
    let enc = serialize_public_key(&sk_e.public_key());
    let mut kem_context = [0u8; 2 * ENC_LEN];
    kem_context[..ENC_LEN].copy_from_slice(&enc);
    kem_context[ENC_LEN..].copy_from_slice(&serialize_public_key(pk_r));
    Ok((enc, extract_and_expand(&*dh, &kem_context)?))
}

fn decap(enc: &[u8], sk_r: &SecretKey) -> Result<Zeroizing<[u8; N_SECRET]>, HpkeError> {
    let pk_e = deserialize_public_key(enc)?;
    let dh = dh(sk_r, &pk_e);
    let mut kem_context = [0u8; 2 * ENC_LEN];
    kem_context[..ENC_LEN].copy_from_slice(enc);
    kem_context[ENC_LEN..].copy_from_slice(&serialize_public_key(&sk_r.public_key()));
    extract_and_expand(&*dh, &kem_context)
}

/// An HPKE encryption context (one per encapsulation); seals or opens messages in order.
pub struct Context {
    key: LessSafeKey,
    base_nonce: [u8; N_N],
    exporter_secret: Zeroizing<[u8; N_H]>,
    seq: u64,
    #[cfg(test)]
    pub(crate) raw: KeyScheduleOutput,
}

#[cfg(test)]
pub(crate) struct KeyScheduleOutput {
    pub shared_secret: Vec<u8>,
    pub key_schedule_context: Vec<u8>,
    pub secret: Vec<u8>,
    pub key: Vec<u8>,
    pub base_nonce: Vec<u8>,
    pub exporter_secret: Vec<u8>,
}

fn key_schedule(shared_secret: &[u8], info: &[u8]) -> Result<Context, HpkeError> {
    let psk_id_hash = labeled_extract(&HPKE_SUITE_ID, b"", b"psk_id_hash", b"");
    let info_hash = labeled_extract(&HPKE_SUITE_ID, b"", b"info_hash", info);
    let mut ksc = [0u8; 1 + 2 * N_H];
    ksc[0] = MODE_BASE;
    ksc[1..1 + N_H].copy_from_slice(&*psk_id_hash);
    ksc[1 + N_H..].copy_from_slice(&*info_hash);

    let secret = labeled_extract(&HPKE_SUITE_ID, shared_secret, b"secret", b"");
    let mut key = Zeroizing::new([0u8; N_K]);
    let mut base_nonce = [0u8; N_N];
    let mut exporter_secret = Zeroizing::new([0u8; N_H]);
    labeled_expand(&HPKE_SUITE_ID, &*secret, b"key", &ksc, &mut *key)?;
    labeled_expand(
        &HPKE_SUITE_ID,
        &*secret,
        b"base_nonce",
        &ksc,
        &mut base_nonce,
    )?;
    labeled_expand(
        &HPKE_SUITE_ID,
        &*secret,
        b"exp",
        &ksc,
        &mut *exporter_secret,
    )?;

    let unbound = UnboundKey::new(&aead::AES_128_GCM, &*key).map_err(|_| HpkeError::BadLength)?;
    Ok(Context {
        key: LessSafeKey::new(unbound),
        base_nonce,
        #[cfg(test)]
        raw: KeyScheduleOutput {
            shared_secret: shared_secret.to_vec(),
            key_schedule_context: ksc.to_vec(),
            secret: secret.to_vec(),
            key: key.to_vec(),
            base_nonce: base_nonce.to_vec(),
            exporter_secret: exporter_secret.to_vec(),
        },
        exporter_secret,
        seq: 0,
    })
}

impl Context {
    fn next_nonce(&mut self) -> Result<Nonce, HpkeError> {
        let mut nonce = self.base_nonce;
        for (n, s) in nonce[N_N - 8..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq = self.seq.checked_add(1).ok_or(HpkeError::MessageLimit)?;
        Ok(Nonce::assume_unique_for_key(nonce))
    }

    pub fn seal(&mut self, aad: &[u8], pt: &[u8]) -> Result<Vec<u8>, HpkeError> {
        let nonce = self.next_nonce()?;
        let mut buf = pt.to_vec();
        self.key
            .seal_in_place_append_tag(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| HpkeError::MessageLimit)?;
        Ok(buf)
    }

    pub fn open(&mut self, aad: &[u8], ct: &[u8]) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        let nonce = self.next_nonce()?;
        let mut buf = Zeroizing::new(ct.to_vec());
        let len = self
            .key
            .open_in_place(nonce, Aad::from(aad), &mut buf)
            .map_err(|_| HpkeError::OpenFailed)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    /// Secret export (RFC 9180 §5.3); the bid box does not use it but the RFC vectors check it.
    pub fn export(
        &self,
        exporter_context: &[u8],
        len: usize,
    ) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
        let mut out = Zeroizing::new(vec![0u8; len]);
        labeled_expand(
            &HPKE_SUITE_ID,
            &*self.exporter_secret,
            b"sec",
            exporter_context,
            &mut out,
        )?;
        Ok(out)
    }
}

/// SetupBaseS with the ephemeral key derived from `ikm_e` (RFC 9180's DeriveKeyPair), so that a
/// given ikm reproduces the same `enc` in any implementation.
pub fn setup_base_s(
    pk_r: &PublicKey,
    info: &[u8],
    ikm_e: &[u8],
) -> Result<([u8; ENC_LEN], Context), HpkeError> {
    let sk_e = derive_key_pair(ikm_e)?;
    let (enc, shared_secret) = encap(pk_r, &sk_e)?;
    Ok((enc, key_schedule(&*shared_secret, info)?))
}

pub fn setup_base_r(enc: &[u8], sk_r: &SecretKey, info: &[u8]) -> Result<Context, HpkeError> {
    let shared_secret = decap(enc, sk_r)?;
    key_schedule(&*shared_secret, info)
}

/// Single-shot base-mode seal. `ikm_e` must be 32 fresh random bytes per call (or fixed bytes
/// from a test vector).
pub fn seal(
    pk_r: &PublicKey,
    info: &[u8],
    aad: &[u8],
    pt: &[u8],
    ikm_e: &[u8],
) -> Result<([u8; ENC_LEN], Vec<u8>), HpkeError> {
    let (enc, mut ctx) = setup_base_s(pk_r, info, ikm_e)?;
    Ok((enc, ctx.seal(aad, pt)?))
}

/// Single-shot base-mode open with the recipient's static private key.
pub fn open(
    sk_r: &SecretKey,
    enc: &[u8],
    info: &[u8],
    aad: &[u8],
    ct: &[u8],
) -> Result<Zeroizing<Vec<u8>>, HpkeError> {
    setup_base_r(enc, sk_r, info)?.open(aad, ct)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn vector() -> Value {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/vectors/hpke-rfc9180-a3.json"
        ))
        .unwrap();
        serde_json::from_str(&text).unwrap()
    }

    fn h(v: &Value, key: &str) -> Vec<u8> {
        hex::decode(v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))).unwrap()
    }

    #[test]
    fn rfc9180_a3_base_mode_vector() {
        let v = vector();
        assert_eq!(v["mode"], 0);
        assert_eq!(v["kem_id"], u64::from(KEM_ID));
        assert_eq!(v["kdf_id"], u64::from(KDF_ID));
        assert_eq!(v["aead_id"], u64::from(AEAD_ID));

        let sk_e = derive_key_pair(&h(&v, "ikmE")).unwrap();
        assert_eq!(sk_e.to_bytes().to_vec(), h(&v, "skEm"));
        assert_eq!(
            serialize_public_key(&sk_e.public_key()).to_vec(),
            h(&v, "pkEm")
        );
        let sk_r = derive_key_pair(&h(&v, "ikmR")).unwrap();
        assert_eq!(sk_r.to_bytes().to_vec(), h(&v, "skRm"));
        let pk_r = deserialize_public_key(&h(&v, "pkRm")).unwrap();
        assert_eq!(pk_r, sk_r.public_key());

        let info = h(&v, "info");
        let (enc, mut sender) = setup_base_s(&pk_r, &info, &h(&v, "ikmE")).unwrap();
        assert_eq!(enc.to_vec(), h(&v, "enc"));
        let mut receiver = setup_base_r(&enc, &sk_r, &info).unwrap();
        for ctx in [&sender, &receiver] {
            assert_eq!(ctx.raw.shared_secret, h(&v, "shared_secret"));
            assert_eq!(ctx.raw.key_schedule_context, h(&v, "key_schedule_context"));
            assert_eq!(ctx.raw.secret, h(&v, "secret"));
            assert_eq!(ctx.raw.key, h(&v, "key"));
            assert_eq!(ctx.raw.base_nonce, h(&v, "base_nonce"));
            assert_eq!(ctx.raw.exporter_secret, h(&v, "exporter_secret"));
        }

        let encryptions = v["encryptions"].as_array().unwrap();
        assert!(encryptions.len() >= 2);
        for (seq, e) in encryptions.iter().enumerate() {
            assert_eq!(
                e["sequence_number"], seq as u64,
                "vectors are consecutive from 0"
            );
            let ct = sender.seal(&h(e, "aad"), &h(e, "pt")).unwrap();
            assert_eq!(ct, h(e, "ct"), "encryption {seq}");
            let pt = receiver.open(&h(e, "aad"), &ct).unwrap();
            assert_eq!(*pt, h(e, "pt"));
        }
        for e in v["exports"].as_array().unwrap() {
            let len = e["L"].as_u64().unwrap() as usize;
            let got = sender.export(&h(e, "exporter_context"), len).unwrap();
            assert_eq!(*got, h(e, "exported_value"));
        }

        // The single-shot API is the same thing at sequence number 0.
        let first = &encryptions[0];
        let (enc1, ct1) = seal(
            &pk_r,
            &info,
            &h(first, "aad"),
            &h(first, "pt"),
            &h(&v, "ikmE"),
        )
        .unwrap();
        assert_eq!(enc1, enc);
        assert_eq!(ct1, h(first, "ct"));
        let pt = open(&sk_r, &enc1, &info, &h(first, "aad"), &ct1).unwrap();
        assert_eq!(*pt, h(first, "pt"));
    }

    #[test]
    fn open_rejects_wrong_info_aad_key_or_bits() {
        let sk_r = derive_key_pair(b"recipient").unwrap();
        let other = derive_key_pair(b"someone else").unwrap();
        let (enc, ct) = seal(&sk_r.public_key(), b"info", b"aad", b"share", &[9u8; 32]).unwrap();
        assert!(open(&sk_r, &enc, b"info", b"aad", &ct).is_ok());
        assert_eq!(
            open(&sk_r, &enc, b"inf0", b"aad", &ct),
            Err(HpkeError::OpenFailed)
        );
        assert_eq!(
            open(&sk_r, &enc, b"info", b"aaD", &ct),
            Err(HpkeError::OpenFailed)
        );
        assert_eq!(
            open(&other, &enc, b"info", b"aad", &ct),
            Err(HpkeError::OpenFailed)
        );
        let mut bad = ct.clone();
        bad[0] ^= 1;
        assert_eq!(
            open(&sk_r, &enc, b"info", b"aad", &bad),
            Err(HpkeError::OpenFailed)
        );
        let mut compressed = enc.to_vec();
        compressed[0] = 0x02;
        assert_eq!(
            open(&sk_r, &compressed, b"info", b"aad", &ct),
            Err(HpkeError::InvalidPublicKey)
        );
        let mut off_curve = enc;
        off_curve[64] ^= 1;
        assert_eq!(
            open(&sk_r, &off_curve, b"info", b"aad", &ct),
            Err(HpkeError::InvalidPublicKey)
        );
    }
}
