//! The sandbox bank as a guarantee issuer (电子保函), so the demo can show one: it signs guarantee
//! documents (docs/guarantees.md) with a P-256 key kept in its data directory. The platform must
//! still register the key before the hall accepts what it signs.

use super::BankError;
use crate::bonds::guarantee::{signing_message, SignedDocument};
use crate::domain::Timestamp;
use base64::Engine;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// The sandbox bank's id as an issuer on the platform.
pub const ISSUER_ID: &str = "SBX";

pub struct SandboxIssuer {
    pair: EcdsaKeyPair,
}

impl std::fmt::Debug for SandboxIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SandboxIssuer(…)")
    }
}

/// Where the issuer's private key lives (PKCS#8 DER, mode 0600).
pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("sandbox-bank").join("issuer.p8")
}

/// What a customer asks the bank to guarantee.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuaranteeRequest {
    pub tender_id: String,
    pub lot_id: String,
    pub tenderer_id: String,
    pub amount_fen: i64,
    pub valid_from: String,
    pub valid_until: String,
}

/// A signed bid guarantee, ready to upload to the hall as `{document, signature}`.
#[derive(Debug, Serialize)]
pub struct IssuedGuarantee {
    pub document: Value,
    pub signature: String,
    pub issuer_id: &'static str,
    pub public_key: String,
}

impl SandboxIssuer {
    /// Reads the key, creating it on first use.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<SandboxIssuer> {
        let path = key_path(data_dir);
        let rng = ring::rand::SystemRandom::new();
        let bad = |what: &str| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{}: {what}", path.display()),
            )
        };
        if !path.exists() {
            let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                .map_err(|_| bad("no randomness for a new key"))?;
            std::fs::create_dir_all(path.parent().expect("sandbox-bank/"))?;
            crate::keyfile::write_private(&path, doc.as_ref())?;
        }
        let pkcs8 = zeroize::Zeroizing::new(std::fs::read(&path)?);
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|_| bad("not a P-256 PKCS#8 key"))?;
        Ok(SandboxIssuer { pair })
    }

    /// The public key as the platform registers it: uncompressed SEC1, base64.
    pub fn public_key(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.pair.public_key().as_ref())
    }

    /// Signs a bid guarantee with a fresh guarantee number. The document is checked for form
    /// only: whether it is good for a tender is the hall's to decide.
    pub fn issue(&self, r: GuaranteeRequest, now: Timestamp) -> Result<IssuedGuarantee, BankError> {
        let mut random = [0u8; 8];
        crate::identity::session::fill_random(&mut random);
        let day: String = now.to_rfc3339()[..10]
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        let document = json!({
            "issuer_id": ISSUER_ID,
            "guarantee_number": format!("SBXG{day}{}", hex::encode(random)),
            "kind": "bid",
            "tender_id": r.tender_id,
            "lot_id": r.lot_id,
            "tenderer_id": r.tenderer_id,
            "amount_fen": r.amount_fen,
            "valid_from": r.valid_from,
            "valid_until": r.valid_until,
        });
        let signed =
            SignedDocument::from_value(&document).map_err(|e| BankError::InvalidField {
                field: "guarantee",
                why: e.to_string(),
            })?;
        let sig = self
            .pair
            .sign(
                &ring::rand::SystemRandom::new(),
                &signing_message(&signed.bytes),
            )
            .map_err(|_| BankError::InvalidField {
                field: "guarantee",
                why: "the signature could not be made".into(),
            })?;
        Ok(IssuedGuarantee {
            document,
            signature: base64::engine::general_purpose::STANDARD.encode(sig.as_ref()),
            issuer_id: ISSUER_ID,
            public_key: self.public_key(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bonds::guarantee::verify_signature;
    use crate::identity::keys::P256PublicKey;

    #[test]
    fn an_issued_guarantee_verifies_with_the_key_kept_across_restarts() {
        let dir = tempfile::tempdir().unwrap();
        let issuer = SandboxIssuer::load_or_create(dir.path()).unwrap();
        let again = SandboxIssuer::load_or_create(dir.path()).unwrap();
        assert_eq!(issuer.public_key(), again.public_key());
        let g = issuer
            .issue(
                GuaranteeRequest {
                    tender_id: "01890a5d-ac96-774b-bcce-b302099a8057".into(),
                    lot_id: "01890a5d-ac96-774b-bcce-b302099a8060".into(),
                    tenderer_id: "01890a5d-ac96-774b-bcce-b302099a8058".into(),
                    amount_fen: 2_000_000,
                    valid_from: "2027-03-01T00:00:00Z".into(),
                    valid_until: "2027-09-01T00:00:00Z".into(),
                },
                Timestamp::parse("2027-03-01T02:00:00Z").unwrap(),
            )
            .unwrap();
        let key = P256PublicKey::parse_base64(&g.public_key).unwrap();
        let signed = SignedDocument::from_value(&g.document).unwrap();
        assert_eq!(verify_signature(&key, &signed.bytes, &g.signature), Ok(()));
        assert!(format!("{issuer:?}").len() < 30);
        let bad = issuer.issue(
            GuaranteeRequest {
                tender_id: "not an id".into(),
                lot_id: "x".into(),
                tenderer_id: "y".into(),
                amount_fen: 0,
                valid_from: "2027-03-01T00:00:00Z".into(),
                valid_until: "2027-09-01T00:00:00Z".into(),
            },
            Timestamp::parse("2027-03-01T02:00:00Z").unwrap(),
        );
        assert!(matches!(bad, Err(BankError::InvalidField { .. })));
    }
}
