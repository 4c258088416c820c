//! Custodian and tenderer keys: generation, fingerprints, the custodian key file and its
//! passphrase-encrypted backup. Private scalars are zeroized on drop and never printed or logged.

use crate::sealbox::hpke;
use crate::sealbox::wire::put_lp;
use p256::{PublicKey, SecretKey};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::rand::SecureRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair};
use ring::{digest, pbkdf2};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::num::NonZeroU32;
use zeroize::Zeroizing;

/// Length of a SEC1 uncompressed P-256 public key.
pub const PUBLIC_KEY_LEN: usize = 65;
/// Length of a key fingerprint: SHA-256 of the SEC1 uncompressed public key.
pub const FINGERPRINT_LEN: usize = 32;
/// Length of a P-256 private scalar, big-endian.
pub const SCALAR_LEN: usize = 32;
/// ECDSA signatures are fixed-width r ‖ s, as WebCrypto produces them.
pub const SIGNATURE_LEN: usize = 64;

pub const KEY_FILE_FORMAT: &str = "bidhall-custodian-key/1";
pub const BACKUP_FORMAT: &str = "bidhall-custodian-key-backup/1";
/// OWASP's 2023 floor for PBKDF2-HMAC-SHA256; backups below it are refused, not just discouraged.
pub const MIN_BACKUP_ITERATIONS: u32 = 600_000;
/// Upper bound so that a hostile backup file cannot pin a CPU for hours.
pub const MAX_BACKUP_ITERATIONS: u32 = 10_000_000;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("not an uncompressed P-256 public key")]
    InvalidPublicKey,
    #[error("not a valid P-256 private key")]
    InvalidPrivateKey,
    #[error("the key file's public key does not belong to its private key")]
    KeyPairMismatch,
    #[error("malformed key file: {0}")]
    KeyFile(&'static str),
    #[error("malformed key file: {0}")]
    Json(#[from] serde_json::Error),
    #[error("backup uses {0} PBKDF2 iterations; between 600000 and 10000000 are accepted")]
    BackupIterations(u32),
    #[error("wrong passphrase, or the backup was altered")]
    WrongPassphrase,
    #[error("an empty passphrase cannot protect a backup")]
    EmptyPassphrase,
    #[error("the system random number generator failed")]
    Randomness,
}

/// A custodian's public key for one tender, as registered in the tender's published record.
#[derive(Clone, PartialEq, Eq)]
pub struct CustodianPublicKey {
    point: PublicKey,
    sec1: [u8; PUBLIC_KEY_LEN],
}

impl CustodianPublicKey {
    /// Accepts only the 65-byte uncompressed encoding of a point on P-256.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        let point = hpke::deserialize_public_key(bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        Ok(Self::from_point(point))
    }

    fn from_point(point: PublicKey) -> Self {
        Self {
            sec1: hpke::serialize_public_key(&point),
            point,
        }
    }

    pub fn to_sec1(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.sec1
    }

    /// SHA-256 of the SEC1 uncompressed encoding; this is what the envelope header names.
    pub fn fingerprint(&self) -> [u8; FINGERPRINT_LEN] {
        fingerprint(&self.sec1)
    }

    pub(crate) fn point(&self) -> &PublicKey {
        &self.point
    }
}

impl fmt::Debug for CustodianPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CustodianPublicKey({})", hex::encode(self.fingerprint()))
    }
}

pub(crate) fn fingerprint(sec1: &[u8]) -> [u8; FINGERPRINT_LEN] {
    let mut out = [0u8; FINGERPRINT_LEN];
    out.copy_from_slice(digest::digest(&digest::SHA256, sec1).as_ref());
    out
}

/// A custodian's private key for one tender. Generated on the custodian's own device.
pub struct CustodianPrivateKey {
    secret: SecretKey,
    public: CustodianPublicKey,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    format: String,
    curve: String,
    private_key: String,
    public_key: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BackupFile {
    format: String,
    kdf: String,
    iterations: u32,
    salt: String,
    cipher: String,
    nonce: String,
    public_key: String,
    ciphertext: String,
}

impl CustodianPrivateKey {
    /// A fresh key: a uniformly random scalar in [1, n), by rejection.
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self, KeyError> {
        for _ in 0..64 {
            let mut bytes = Zeroizing::new([0u8; SCALAR_LEN]);
            rng.fill(&mut *bytes).map_err(|_| KeyError::Randomness)?;
            if let Ok(key) = Self::from_scalar(&*bytes) {
                return Ok(key);
            }
        }
        // 64 rejections in a row has probability below 2^-2000: the RNG is broken.
        Err(KeyError::Randomness)
    }

    /// From a 32-byte big-endian scalar in [1, n).
    pub fn from_scalar(scalar: &[u8]) -> Result<Self, KeyError> {
        if scalar.len() != SCALAR_LEN {
            return Err(KeyError::InvalidPrivateKey);
        }
        let secret = SecretKey::from_slice(scalar).map_err(|_| KeyError::InvalidPrivateKey)?;
        let public = CustodianPublicKey::from_point(secret.public_key());
        Ok(Self { secret, public })
    }

    /// RFC 9180 DeriveKeyPair(ikm): lets a test vector name a key by its seed.
    pub fn derive(ikm: &[u8]) -> Result<Self, KeyError> {
        let secret = hpke::derive_key_pair(ikm).map_err(|_| KeyError::InvalidPrivateKey)?;
        let public = CustodianPublicKey::from_point(secret.public_key());
        Ok(Self { secret, public })
    }

    pub fn public_key(&self) -> &CustodianPublicKey {
        &self.public
    }

    pub fn fingerprint(&self) -> [u8; FINGERPRINT_LEN] {
        self.public.fingerprint()
    }

    pub(crate) fn secret(&self) -> &SecretKey {
        &self.secret
    }

    /// The private scalar, for writing a key file; the caller keeps it out of logs.
    pub fn to_scalar(&self) -> Zeroizing<[u8; SCALAR_LEN]> {
        let mut out = Zeroizing::new([0u8; SCALAR_LEN]);
        out.copy_from_slice(&self.secret.to_bytes());
        out
    }

    /// The plain key file: JSON with the hex scalar and public key (see docs/sealed-envelope.md).
    pub fn to_key_file(&self) -> Result<Zeroizing<String>, KeyError> {
        let file = KeyFile {
            format: KEY_FILE_FORMAT.into(),
            curve: "P-256".into(),
            private_key: hex::encode(*self.to_scalar()),
            public_key: hex::encode(self.public.sec1),
        };
        let text = serde_json::to_string_pretty(&file).map(Zeroizing::new);
        let _wipe = Zeroizing::new(file.private_key);
        Ok(text?)
    }

    pub fn from_key_file(text: &str) -> Result<Self, KeyError> {
        let file: KeyFile = serde_json::from_str(text)?;
        let private_key = Zeroizing::new(file.private_key);
        if file.format != KEY_FILE_FORMAT {
            return Err(KeyError::KeyFile("unknown format"));
        }
        if file.curve != "P-256" {
            return Err(KeyError::KeyFile("unsupported curve"));
        }
        let scalar = Zeroizing::new(
            hex::decode(&*private_key).map_err(|_| KeyError::KeyFile("private_key is not hex"))?,
        );
        let key = Self::from_scalar(&scalar)?;
        let public = hex::decode(&file.public_key)
            .map_err(|_| KeyError::KeyFile("public_key is not hex"))?;
        if public != key.public.sec1 {
            return Err(KeyError::KeyPairMismatch);
        }
        Ok(key)
    }

    /// A backup encrypted under a passphrase: PBKDF2-HMAC-SHA256 (600 000 iterations, 16-byte
    /// salt) → AES-256-GCM over the scalar, with the public key bound in the AAD.
    pub fn to_backup(&self, passphrase: &str, rng: &dyn SecureRandom) -> Result<String, KeyError> {
        self.to_backup_with_iterations(passphrase, MIN_BACKUP_ITERATIONS, rng)
    }

    pub fn to_backup_with_iterations(
        &self,
        passphrase: &str,
        iterations: u32,
        rng: &dyn SecureRandom,
    ) -> Result<String, KeyError> {
        if passphrase.is_empty() {
            return Err(KeyError::EmptyPassphrase);
        }
        let mut salt = [0u8; 16];
        let mut nonce = [0u8; 12];
        rng.fill(&mut salt).map_err(|_| KeyError::Randomness)?;
        rng.fill(&mut nonce).map_err(|_| KeyError::Randomness)?;
        let key = backup_key(passphrase, iterations, &salt)?;
        let mut buf = self.to_scalar().to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(backup_aad(&self.public.sec1, iterations)),
            &mut buf,
        )
        .map_err(|_| KeyError::Randomness)?;
        let file = BackupFile {
            format: BACKUP_FORMAT.into(),
            kdf: "PBKDF2-SHA256".into(),
            iterations,
            salt: hex::encode(salt),
            cipher: "AES-256-GCM".into(),
            nonce: hex::encode(nonce),
            public_key: hex::encode(self.public.sec1),
            ciphertext: hex::encode(&buf),
        };
        serde_json::to_string_pretty(&file).map_err(KeyError::from)
    }

    pub fn from_backup(text: &str, passphrase: &str) -> Result<Self, KeyError> {
        let file: BackupFile = serde_json::from_str(text)?;
        if file.format != BACKUP_FORMAT {
            return Err(KeyError::KeyFile("unknown format"));
        }
        if file.kdf != "PBKDF2-SHA256" || file.cipher != "AES-256-GCM" {
            return Err(KeyError::KeyFile("unsupported kdf or cipher"));
        }
        let salt = hex::decode(&file.salt).map_err(|_| KeyError::KeyFile("salt is not hex"))?;
        let nonce: [u8; 12] = hex::decode(&file.nonce)
            .ok()
            .and_then(|n| n.try_into().ok())
            .ok_or(KeyError::KeyFile("nonce must be 12 hex bytes"))?;
        let public = hex::decode(&file.public_key)
            .map_err(|_| KeyError::KeyFile("public_key is not hex"))?;
        let mut buf = Zeroizing::new(
            hex::decode(&file.ciphertext)
                .map_err(|_| KeyError::KeyFile("ciphertext is not hex"))?,
        );
        if salt.len() != 16 || buf.len() != SCALAR_LEN + aead::AES_256_GCM.tag_len() {
            return Err(KeyError::KeyFile("salt or ciphertext has the wrong length"));
        }
        let key = backup_key(passphrase, file.iterations, &salt)?;
        let scalar = key
            .open_in_place(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(backup_aad(&public, file.iterations)),
                &mut buf,
            )
            .map_err(|_| KeyError::WrongPassphrase)?;
        let restored = Self::from_scalar(scalar)?;
        if restored.public.sec1[..] != public[..] {
            return Err(KeyError::KeyPairMismatch);
        }
        Ok(restored)
    }
}

fn backup_key(passphrase: &str, iterations: u32, salt: &[u8]) -> Result<LessSafeKey, KeyError> {
    if !(MIN_BACKUP_ITERATIONS..=MAX_BACKUP_ITERATIONS).contains(&iterations) {
        return Err(KeyError::BackupIterations(iterations));
    }
    if passphrase.is_empty() {
        return Err(KeyError::EmptyPassphrase);
    }
    let rounds = NonZeroU32::new(iterations).ok_or(KeyError::BackupIterations(iterations))?;
    let mut key = Zeroizing::new([0u8; 32]);
    pbkdf2::derive(
        pbkdf2::PBKDF2_HMAC_SHA256,
        rounds,
        salt,
        passphrase.as_bytes(),
        &mut *key,
    );
    let unbound =
        UnboundKey::new(&aead::AES_256_GCM, &*key).map_err(|_| KeyError::InvalidPrivateKey)?;
    Ok(LessSafeKey::new(unbound))
}

fn backup_aad(public_key: &[u8], iterations: u32) -> Vec<u8> {
    let mut aad = Vec::with_capacity(128);
    put_lp(&mut aad, BACKUP_FORMAT.as_bytes());
    put_lp(&mut aad, public_key);
    aad.extend_from_slice(&iterations.to_be_bytes());
    aad
}

impl fmt::Debug for CustodianPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CustodianPrivateKey({}, [redacted])",
            hex::encode(self.fingerprint())
        )
    }
}

/// The tenderer's registered P-256 signing key; it signs every envelope header it seals.
pub struct TendererSigningKey {
    pair: EcdsaKeyPair,
}

impl TendererSigningKey {
    /// A fresh key as PKCS#8 v1 (with its public key), the form `from_pkcs8` reads back.
    pub fn generate_pkcs8(rng: &dyn SecureRandom) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        let doc = EcdsaKeyPair::generate_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, rng)
            .map_err(|_| KeyError::Randomness)?;
        Ok(Zeroizing::new(doc.as_ref().to_vec()))
    }

    pub fn from_pkcs8(pkcs8: &[u8], rng: &dyn SecureRandom) -> Result<Self, KeyError> {
        let pair =
            EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, rng)
                .map_err(|_| KeyError::InvalidPrivateKey)?;
        Ok(Self { pair })
    }

    /// From a bare 32-byte scalar, as test vectors and WebCrypto JWK `d` carry it.
    pub fn from_scalar(scalar: &[u8], rng: &dyn SecureRandom) -> Result<Self, KeyError> {
        if scalar.len() != SCALAR_LEN {
            return Err(KeyError::InvalidPrivateKey);
        }
        let secret = SecretKey::from_slice(scalar).map_err(|_| KeyError::InvalidPrivateKey)?;
        let public = hpke::serialize_public_key(&secret.public_key());
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            scalar,
            &public,
            rng,
        )
        .map_err(|_| KeyError::InvalidPrivateKey)?;
        Ok(Self { pair })
    }

    pub fn public_key(&self) -> TendererPublicKey {
        let mut sec1 = [0u8; PUBLIC_KEY_LEN];
        sec1.copy_from_slice(self.pair.public_key().as_ref());
        TendererPublicKey(sec1)
    }

    pub(crate) fn sign(
        &self,
        message: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<[u8; SIGNATURE_LEN], KeyError> {
        let sig = self
            .pair
            .sign(rng, message)
            .map_err(|_| KeyError::Randomness)?;
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(sig.as_ref());
        Ok(out)
    }
}

impl fmt::Debug for TendererSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TendererSigningKey({:?}, [redacted])", self.public_key())
    }
}

/// The tenderer's registered public key (SEC1 uncompressed).
#[derive(Clone, PartialEq, Eq)]
pub struct TendererPublicKey([u8; PUBLIC_KEY_LEN]);

impl TendererPublicKey {
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, KeyError> {
        hpke::deserialize_public_key(bytes).map_err(|_| KeyError::InvalidPublicKey)?;
        let mut sec1 = [0u8; PUBLIC_KEY_LEN];
        sec1.copy_from_slice(bytes);
        Ok(Self(sec1))
    }

    pub fn to_sec1(&self) -> [u8; PUBLIC_KEY_LEN] {
        self.0
    }

    pub fn fingerprint(&self) -> [u8; FINGERPRINT_LEN] {
        fingerprint(&self.0)
    }

    /// ECDSA P-256 / SHA-256 over `message`, signature as fixed 64-byte r ‖ s.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature::UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Debug for TendererPublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TendererPublicKey({})", hex::encode(self.fingerprint()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;

    #[test]
    fn key_file_round_trips_and_rejects_a_foreign_public_key() {
        let rng = SystemRandom::new();
        let key = CustodianPrivateKey::generate(&rng).unwrap();
        let text = key.to_key_file().unwrap();
        let back = CustodianPrivateKey::from_key_file(&text).unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(!format!("{key:?}").contains(&hex::encode(*key.to_scalar())));

        let other = CustodianPrivateKey::generate(&rng).unwrap();
        let forged = text.replace(
            &hex::encode(key.public_key().to_sec1()),
            &hex::encode(other.public_key().to_sec1()),
        );
        assert!(matches!(
            CustodianPrivateKey::from_key_file(&forged),
            Err(KeyError::KeyPairMismatch)
        ));
    }

    #[test]
    fn backup_round_trips_and_refuses_wrong_passphrase_and_weak_iterations() {
        let rng = SystemRandom::new();
        let key = CustodianPrivateKey::generate(&rng).unwrap();
        let backup = key.to_backup("correct horse battery staple", &rng).unwrap();
        assert!(!backup.contains(&hex::encode(*key.to_scalar())));
        let back =
            CustodianPrivateKey::from_backup(&backup, "correct horse battery staple").unwrap();
        assert_eq!(back.public_key(), key.public_key());
        assert!(matches!(
            CustodianPrivateKey::from_backup(&backup, "correct horse battery stable"),
            Err(KeyError::WrongPassphrase)
        ));
        let weakened = backup.replace("\"iterations\": 600000", "\"iterations\": 1000");
        assert!(matches!(
            CustodianPrivateKey::from_backup(&weakened, "correct horse battery staple"),
            Err(KeyError::BackupIterations(1000))
        ));
        assert!(key.to_backup_with_iterations("pw", 1000, &rng).is_err());
        assert!(key.to_backup("", &rng).is_err());
    }

    #[test]
    fn tenderer_signatures_verify_only_for_their_message_and_key() {
        let rng = SystemRandom::new();
        let pkcs8 = TendererSigningKey::generate_pkcs8(&rng).unwrap();
        let key = TendererSigningKey::from_pkcs8(&pkcs8, &rng).unwrap();
        let sig = key.sign(b"header", &rng).unwrap();
        let public = key.public_key();
        assert!(public.verify(b"header", &sig));
        assert!(!public.verify(b"headeR", &sig));
        let other = TendererSigningKey::from_scalar(&[1u8; 32], &rng).unwrap();
        assert!(!other.public_key().verify(b"header", &sig));
        assert_eq!(
            TendererPublicKey::from_sec1(&public.to_sec1()).unwrap(),
            public
        );
    }
}
