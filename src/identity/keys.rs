//! P-256 public signing keys registered by organisations (for signed bids and confirmations).
//! A key is accepted only with a proof of possession: a signature by that key over the registration
//! message, which also proves the point is on the curve. Private keys never reach the server.

use crate::domain::{InvalidValue, KeyId, Line, OrgId, Timestamp};
use base64::Engine;
use serde::{Deserialize, Serialize};

const REGISTRATION_DOMAIN: &str = "bidhall-signing-key/1";

/// An uncompressed SEC1 P-256 point (65 bytes, 0x04 ‖ X ‖ Y), as WebCrypto exports a raw key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct P256PublicKey(Vec<u8>);

impl P256PublicKey {
    pub fn parse_base64(s: &str) -> Result<Self, InvalidValue> {
        let raw = base64::engine::general_purpose::STANDARD
            .decode(s.trim())
            .map_err(|_| InvalidValue::new("not_base64", "the public key is not base64"))?;
        if raw.len() != 65 || raw[0] != 0x04 {
            return Err(InvalidValue::new(
                "not_p256_point",
                "expected an uncompressed P-256 public key (65 bytes starting 0x04)",
            ));
        }
        Ok(P256PublicKey(raw))
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(&self.0)
    }
    /// SHA-256 of the SEC1 bytes, hex: how people and other records refer to a key.
    pub fn fingerprint(&self) -> String {
        hex::encode(ring::digest::digest(&ring::digest::SHA256, &self.0))
    }
    /// Verifies a fixed-size (r ‖ s, 64 bytes) ECDSA P-256 SHA-256 signature, as WebCrypto makes.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, &self.0)
            .verify(message, signature)
            .is_ok()
    }
}

impl TryFrom<String> for P256PublicKey {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse_base64(&s)
    }
}
impl From<P256PublicKey> for String {
    fn from(k: P256PublicKey) -> String {
        k.to_base64()
    }
}

/// The exact bytes a key's holder signs to register it for an organisation.
pub fn registration_message(org: &OrgId, key: &P256PublicKey) -> Vec<u8> {
    format!("{REGISTRATION_DOMAIN}\n{org}\n{}\n", key.to_base64()).into_bytes()
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SigningKey {
    pub id: KeyId,
    pub org_id: OrgId,
    pub label: Line<1, 100>,
    pub public_key: P256PublicKey,
    pub fingerprint: String,
    pub created_at: Timestamp,
}

impl SigningKey {
    /// Registers `public_key` for `org` if `proof` is its signature over the registration message.
    pub fn register(
        org: &OrgId,
        label: Line<1, 100>,
        public_key: P256PublicKey,
        proof_base64: &str,
        now: Timestamp,
    ) -> Result<SigningKey, InvalidValue> {
        let proof = base64::engine::general_purpose::STANDARD
            .decode(proof_base64.trim())
            .map_err(|_| InvalidValue::new("not_base64", "the proof is not base64"))?;
        if !public_key.verify(&registration_message(org, &public_key), &proof) {
            return Err(InvalidValue::new(
                "bad_proof_of_possession",
                "the proof is not a signature by this key over the registration message",
            ));
        }
        Ok(SigningKey {
            id: KeyId::generate(),
            org_id: org.clone(),
            label,
            fingerprint: public_key.fingerprint(),
            public_key,
            created_at: now,
        })
    }
}

/// What a client does to register a key: generate a pair and sign the registration message.
/// Used by the tests and by command-line clients.
pub mod test_support {
    use super::*;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

    /// A fresh key pair and its registration proof for `org`, as a client would make them.
    pub fn key_and_proof(org: &OrgId) -> (P256PublicKey, String) {
        let (_, pkcs8) = new_pair();
        proof_for(&pkcs8, org)
    }

    /// A fresh P-256 key pair and its PKCS#8 document.
    pub fn new_pair() -> (EcdsaKeyPair, Vec<u8>) {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        (pair, pkcs8.as_ref().to_vec())
    }

    /// The public key of a PKCS#8 P-256 key and its registration proof for `org`.
    pub fn proof_for(pkcs8: &[u8], org: &OrgId) -> (P256PublicKey, String) {
        let rng = ring::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng).unwrap();
        let public = P256PublicKey(pair.public_key().as_ref().to_vec());
        let sig = pair
            .sign(&rng, &registration_message(org, &public))
            .unwrap();
        (
            public,
            base64::engine::general_purpose::STANDARD.encode(sig.as_ref()),
        )
    }

    /// Base64 ECDSA signature (r ‖ s) of `message` with a PKCS#8 P-256 key.
    pub fn sign(pkcs8: &[u8], message: &[u8]) -> String {
        let rng = ring::rand::SystemRandom::new();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng).unwrap();
        base64::engine::general_purpose::STANDARD.encode(pair.sign(&rng, message).unwrap().as_ref())
    }
}

#[cfg(test)]
pub mod tests {
    use super::test_support::key_and_proof;
    use super::*;
    #[test]
    fn a_key_registers_only_with_its_own_signature() {
        let org = OrgId::generate();
        let now = Timestamp::parse("2026-11-23T00:00:00Z").unwrap();
        let label = Line::parse("CA 1").unwrap();
        let (key, proof) = key_and_proof(&org);
        assert!(SigningKey::register(&org, label.clone(), key.clone(), &proof, now).is_ok());
        // The same proof does not register the key for another organisation.
        let other = OrgId::generate();
        let err = SigningKey::register(&other, label.clone(), key, &proof, now).unwrap_err();
        assert_eq!(err.rule, "bad_proof_of_possession");
        // Nor does a proof made by a different key.
        let (key2, _) = key_and_proof(&org);
        assert!(SigningKey::register(&org, label, key2, &proof, now).is_err());
    }

    #[test]
    fn malformed_keys_are_refused() {
        assert_eq!(
            P256PublicKey::parse_base64("AAAA").unwrap_err().rule,
            "not_p256_point"
        );
        assert_eq!(
            P256PublicKey::parse_base64("***").unwrap_err().rule,
            "not_base64"
        );
    }
}
