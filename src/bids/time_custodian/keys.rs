//! The time-release custodian's key directory: one P-256 key per tender and custodian index,
//! created when the tender's box is set up, with the earliest time its shares may be opened, and
//! an identity key that signs each tender key's registration. Its keys never enter the database or
//! a log line.

use crate::sealbox::keys::CustodianPrivateKey;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use std::path::{Path, PathBuf};

pub struct TimeCustodian {
    dir: PathBuf,
    identity: EcdsaKeyPair,
}

impl TimeCustodian {
    /// Opens the key directory, creating it and the identity key on first use.
    pub fn open(dir: &Path) -> Result<Self, String> {
        crate::keyfile::private_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let id_path = dir.join("identity.p8");
        let rng = SystemRandom::new();
        let pkcs8 = match std::fs::read(&id_path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .map_err(|_| "cannot generate the identity key".to_string())?;
                crate::keyfile::write_private(&id_path, doc.as_ref()).map_err(|e| e.to_string())?;
                doc.as_ref().to_vec()
            }
            Err(e) => return Err(format!("{}: {e}", id_path.display())),
        };
        let identity = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
            .map_err(|_| format!("{} is not a P-256 key", id_path.display()))?;
        Ok(TimeCustodian {
            dir: dir.to_path_buf(),
            identity,
        })
    }

    /// Is the key directory usable now (`/readyz`)? Absent is fine (nothing made yet); present,
    /// it and its identity key must be readable.
    pub fn ready(dir: &Path) -> Result<(), String> {
        if !dir.exists() {
            return Ok(());
        }
        std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let id_path = dir.join("identity.p8");
        if id_path.exists() {
            std::fs::read(&id_path).map_err(|e| format!("{}: {e}", id_path.display()))?;
        }
        Ok(())
    }

    /// The identity key (SEC1) that signs this custodian's tender keys.
    pub fn identity_public_key(&self) -> Vec<u8> {
        self.identity.public_key().as_ref().to_vec()
    }

    fn key_path(&self, tender: &str, index: u8) -> PathBuf {
        self.dir.join(format!("{tender}.{index}.key"))
    }

    /// The tender's key, to release its shares: it must be here. A node whose key directory is
    /// not the one that registered the key (docs/operations.md: one directory for every node)
    /// is told so, and never makes another key in its place.
    pub fn key_for(&self, tender: &str, index: u8) -> Result<CustodianPrivateKey, String> {
        let path = self.key_path(tender, index);
        match std::fs::read_to_string(&path) {
            Ok(text) => CustodianPrivateKey::from_key_file(&text).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(format!(
                "the time-release custodian has no key for tender {tender} in {}: every node must use the key directory that registered it (BIDHALL_TIME_CUSTODIAN_DIR)",
                self.dir.display()
            )),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// The tender's key to register: the one made for it before, or a new one.
    pub fn key_to_register(&self, tender: &str, index: u8) -> Result<CustodianPrivateKey, String> {
        let path = self.key_path(tender, index);
        match std::fs::read_to_string(&path) {
            Ok(text) => CustodianPrivateKey::from_key_file(&text).map_err(|e| e.to_string()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = CustodianPrivateKey::generate(&SystemRandom::new())
                    .map_err(|e| e.to_string())?;
                let text = key.to_key_file().map_err(|e| e.to_string())?;
                crate::keyfile::write_private(&path, text.as_bytes()).map_err(|e| e.to_string())?;
                Ok(key)
            }
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    fn not_before_path(&self, tender: &str, index: u8) -> PathBuf {
        self.dir.join(format!("{tender}.{index}.not-before"))
    }

    /// The earliest moment (ms since the epoch) this tender's shares may be opened, as last told.
    pub fn not_before(&self, tender: &str, index: u8) -> Result<Option<i64>, String> {
        let path = self.not_before_path(tender, index);
        match std::fs::read_to_string(&path) {
            Ok(text) => text
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| format!("{} is not a time", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Records when the tender's shares may first be opened: later than before, never earlier (a
    /// deadline extended by an amendment moves it on; nothing moves it back). Returns the time
    /// that now stands.
    pub fn hold_until(&self, tender: &str, index: u8, at_ms: i64) -> Result<i64, String> {
        let stands = match self.not_before(tender, index)? {
            Some(before) if before >= at_ms => return Ok(before),
            _ => at_ms,
        };
        // written beside, then renamed over: a crash leaves the old time or the new, never half
        let path = self.not_before_path(tender, index);
        let next = path.with_extension(format!("next-{}", uuid::Uuid::now_v7()));
        crate::keyfile::write_private(&next, stands.to_string().as_bytes())
            .and_then(|()| std::fs::rename(&next, &path))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(stands)
    }

    /// Signs a key registration message with the identity key (ECDSA P-256, r ‖ s).
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        self.identity
            .sign(&SystemRandom::new(), message)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| "signing failed".to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only registration makes a tender's key; releasing asks for the one that is there, so a node
    /// with another key directory is told so instead of releasing with a key of its own.
    #[test]
    fn only_registration_makes_a_key_and_a_release_never_does() {
        let dir = tempfile::tempdir().unwrap();
        let c = TimeCustodian::open(dir.path()).unwrap();
        let missing = c.key_for("t1", 4).err().unwrap();
        assert!(missing.contains("BIDHALL_TIME_CUSTODIAN_DIR"), "{missing}");
        assert!(!dir.path().join("t1.4.key").exists());
        let made = c.key_to_register("t1", 4).unwrap();
        assert_eq!(
            c.key_to_register("t1", 4).unwrap().fingerprint(),
            made.fingerprint(),
            "registering again keeps the key"
        );
        assert_eq!(
            c.key_for("t1", 4).unwrap().fingerprint(),
            made.fingerprint()
        );
        assert_eq!(TimeCustodian::ready(dir.path()), Ok(()));
        // the hold moves later, never earlier
        assert_eq!(c.not_before("t1", 4), Ok(None));
        assert_eq!(c.hold_until("t1", 4, 2_000), Ok(2_000));
        assert_eq!(c.hold_until("t1", 4, 1_000), Ok(2_000));
        assert_eq!(c.hold_until("t1", 4, 3_000), Ok(3_000));
        assert_eq!(c.not_before("t1", 4), Ok(Some(3_000)));
        assert_eq!(TimeCustodian::ready(&dir.path().join("absent")), Ok(()));
    }
}
