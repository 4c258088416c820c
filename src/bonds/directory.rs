//! The banks the hall takes bonds through: each bank's code, base URL, sub-account prefix and the
//! secret shared with it, and the hall's own sub-account secret. Secrets are read from private files
//! under the data directory (docs/bonds.md §5, §6) and never printed.

use super::bank::{BankCode, Secret, SubAccountPrefix};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

/// The sandbox bank the demo and the tests pay through; mounted in-process under this path.
pub const SANDBOX_CODE: &str = "SBX";
pub const SANDBOX_PATH: &str = "/sandbox-bank";
/// The sub-account prefix a bank gets unless its entry names one.
pub const DEFAULT_PREFIX: &str = "8801";

/// One bank as the hall reaches it.
#[derive(Debug, Clone)]
pub struct BankEndpoint {
    pub code: BankCode,
    /// Where the bank's API lives, without a trailing `/`.
    pub base_url: String,
    pub prefix: SubAccountPrefix,
    pub secret: Secret,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("BIDHALL_BANKS entry {entry:?}: {why}")]
    BadEntry { entry: String, why: String },
    #[error("bank {code}: its secret file {path} is missing; create it with 32 random bytes as 64 lowercase hex digits, mode 0600")]
    MissingSecret { code: String, path: PathBuf },
    #[error("secret file {path}: {why}")]
    BadSecret { path: PathBuf, why: String },
    #[error("secret file {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The banks by code, and the hall's secret that derives sub-accounts.
#[derive(Debug)]
pub struct BankDirectory {
    banks: RwLock<BTreeMap<BankCode, BankEndpoint>>,
    hall_secret: Secret,
}

impl BankDirectory {
    /// A directory of the given banks (tests and benchmarks build one by hand).
    pub fn new(banks: Vec<BankEndpoint>, hall_secret: Secret) -> Self {
        BankDirectory {
            banks: RwLock::new(banks.into_iter().map(|b| (b.code.clone(), b)).collect()),
            hall_secret,
        }
    }

    /// Reads the hall's secret from `hall_secret_file` and each configured bank's secret from
    /// `<secrets_dir>/<CODE>.secret`. `entries` are
    /// `CODE=BASE_URL` or `CODE:PREFIX=BASE_URL`. With `sandbox`, the bank `SBX` is added at
    /// `http://<listen>/sandbox-bank`, and a missing bank secret is created instead of refused.
    pub fn load(
        hall_secret_file: &Path,
        secrets_dir: &Path,
        entries: &[String],
        sandbox: bool,
        listen: &str,
    ) -> Result<Self, DirectoryError> {
        let hall_secret = load_or_create(hall_secret_file)?;
        let mut banks = Vec::new();
        for entry in entries.iter().map(|e| e.trim()).filter(|e| !e.is_empty()) {
            let bad = |why: &str| DirectoryError::BadEntry {
                entry: entry.to_owned(),
                why: why.to_owned(),
            };
            let (name, url) = entry
                .split_once('=')
                .ok_or_else(|| bad("expected CODE=BASE_URL"))?;
            let (code, prefix) = name.split_once(':').unwrap_or((name, DEFAULT_PREFIX));
            let code = BankCode::parse(code).map_err(|e| bad(&e.message))?;
            let prefix = SubAccountPrefix::parse(prefix).map_err(|e| bad(&e.message))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad("the base URL starts with http:// or https://"));
            }
            banks.push((code, prefix, url.trim_end_matches('/').to_owned()));
        }
        if sandbox && !banks.iter().any(|(c, _, _)| c.as_str() == SANDBOX_CODE) {
            let code = BankCode::parse(SANDBOX_CODE).map_err(|e| DirectoryError::BadEntry {
                entry: SANDBOX_CODE.into(),
                why: e.message,
            })?;
            let prefix =
                SubAccountPrefix::parse(DEFAULT_PREFIX).map_err(|e| DirectoryError::BadEntry {
                    entry: SANDBOX_CODE.into(),
                    why: e.message,
                })?;
            banks.push((code, prefix, sandbox_url(listen)));
        }
        let dir = secrets_dir;
        let mut endpoints = Vec::new();
        for (code, prefix, base_url) in banks {
            let path = dir.join(format!("{}.secret", code.as_str()));
            let secret = if path.exists() || !sandbox {
                read_secret(&path).map_err(|e| match e {
                    DirectoryError::Io { source, .. }
                        if source.kind() == std::io::ErrorKind::NotFound =>
                    {
                        DirectoryError::MissingSecret {
                            code: code.as_str().to_owned(),
                            path: path.clone(),
                        }
                    }
                    e => e,
                })?
            } else {
                load_or_create(&path)?
            };
            endpoints.push(BankEndpoint {
                code,
                base_url,
                prefix,
                secret,
            });
        }
        Ok(BankDirectory::new(endpoints, hall_secret))
    }

    /// Once the server is bound: the sandbox bank lives on the hall's own address.
    pub fn bound_to(&self, addr: std::net::SocketAddr) {
        let mut banks = self.banks.write().unwrap_or_else(|p| p.into_inner());
        if let Some(sbx) = banks.values_mut().find(|b| b.code.as_str() == SANDBOX_CODE) {
            if sbx.base_url.ends_with(SANDBOX_PATH) {
                sbx.base_url = sandbox_url(&addr.to_string());
            }
        }
    }

    pub fn get(&self, code: &BankCode) -> Option<BankEndpoint> {
        let banks = self.banks.read().unwrap_or_else(|p| p.into_inner());
        banks.get(code).cloned()
    }

    /// The bank a new sub-account is opened at: the sandbox bank when present, else the first by code
    /// (usually the only one).
    pub fn default_bank(&self) -> Option<BankEndpoint> {
        let banks = self.banks.read().unwrap_or_else(|p| p.into_inner());
        if let Some(sbx) = banks.values().find(|b| b.code.as_str() == SANDBOX_CODE) {
            return Some(sbx.clone());
        }
        banks.values().next().cloned()
    }

    pub fn codes(&self) -> Vec<BankCode> {
        let banks = self.banks.read().unwrap_or_else(|p| p.into_inner());
        banks.keys().cloned().collect()
    }

    pub fn hall_secret(&self) -> &Secret {
        &self.hall_secret
    }
}

impl Default for BankDirectory {
    /// No banks, and a random hall secret held only in memory.
    fn default() -> Self {
        let mut raw = [0u8; 32];
        crate::identity::session::fill_random(&mut raw);
        let secret = Secret::from_bytes(&raw).expect("32 bytes is a valid secret");
        BankDirectory::new(Vec::new(), secret)
    }
}

fn sandbox_url(listen: &str) -> String {
    format!("http://{listen}{SANDBOX_PATH}")
}

/// Reads a secret file: 64 lowercase hex digits (a trailing newline allowed), not readable by others.
pub fn read_secret(path: &Path) -> Result<Secret, DirectoryError> {
    let io = |source| DirectoryError::Io {
        path: path.to_owned(),
        source,
    };
    let bad = |why: &str| DirectoryError::BadSecret {
        path: path.to_owned(),
        why: why.to_owned(),
    };
    let text = std::fs::read_to_string(path).map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).map_err(io)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(bad("readable by others than its owner; chmod 600 it"));
        }
    }
    let text = text.trim_end_matches('\n');
    if text.len() != 64
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(bad("not 64 lowercase hex digits"));
    }
    let bytes = hex::decode(text).map_err(|_| bad("not 64 lowercase hex digits"))?;
    Secret::from_bytes(&bytes).map_err(|e| bad(&e.message))
}

/// Reads the secret at `path`, or creates it (32 random bytes, mode 0600) if it does not exist.
pub fn load_or_create(path: &Path) -> Result<Secret, DirectoryError> {
    if !path.exists() {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| DirectoryError::Io {
                path: parent.to_owned(),
                source,
            })?;
        }
        let mut raw = zeroize::Zeroizing::new([0u8; 32]);
        crate::identity::session::fill_random(&mut *raw);
        let text = zeroize::Zeroizing::new(format!("{}\n", hex::encode(*raw)));
        match crate::keyfile::write_private(path, text.as_bytes()) {
            Ok(()) => {}
            // Another process created it first: read theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(source) => {
                return Err(DirectoryError::Io {
                    path: path.to_owned(),
                    source,
                })
            }
        }
    }
    read_secret(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_configured_bank_without_its_secret_file_is_refused_outside_the_sandbox() {
        let dir = tempfile::tempdir().unwrap();
        let e = BankDirectory::load(
            &dir.path().join("hall.secret"),
            &dir.path().join("banks"),
            &["ICBC=https://bank.example".into()],
            false,
            "127.0.0.1:0",
        )
        .unwrap_err();
        assert!(matches!(e, DirectoryError::MissingSecret { .. }), "{e}");
        // The hall's own secret was created, privately.
        let hall = dir.path().join("hall.secret");
        assert!(read_secret(&hall).is_ok());
    }

    #[test]
    fn the_sandbox_bank_is_added_and_its_secret_created_in_demo_mode() {
        let dir = tempfile::tempdir().unwrap();
        let d = BankDirectory::load(
            &dir.path().join("hall.secret"),
            &dir.path().join("banks"),
            &[],
            true,
            "127.0.0.1:8080",
        )
        .unwrap();
        let sbx = d.get(&BankCode::parse("SBX").unwrap()).unwrap();
        assert_eq!(sbx.base_url, "http://127.0.0.1:8080/sandbox-bank");
        assert_eq!(sbx.prefix.as_str(), DEFAULT_PREFIX);
        d.bound_to("127.0.0.1:4321".parse().unwrap());
        assert_eq!(
            d.default_bank().unwrap().base_url,
            "http://127.0.0.1:4321/sandbox-bank"
        );
        // The same secret is read back on the next start.
        let again = BankDirectory::load(
            &dir.path().join("hall.secret"),
            &dir.path().join("banks"),
            &[],
            true,
            "127.0.0.1:8080",
        )
        .unwrap();
        let b1 = super::super::bank::sign(&sbx.secret, 1, b"x");
        let b2 = super::super::bank::sign(
            &again.get(&BankCode::parse("SBX").unwrap()).unwrap().secret,
            1,
            b"x",
        );
        assert_eq!(b1, b2);
        assert!(!format!("{sbx:?}").contains(&b1[..8]));
    }

    #[test]
    fn entries_name_code_prefix_and_url_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("banks")).unwrap();
        let path = dir.path().join("banks/BOC.secret");
        crate::keyfile::write_private(&path, format!("{}\n", "ab".repeat(32)).as_bytes()).unwrap();
        let d = BankDirectory::load(
            &dir.path().join("hall.secret"),
            &dir.path().join("banks"),
            &["BOC:6601=https://boc.example/api/".into()],
            false,
            "x",
        )
        .unwrap();
        let boc = d.default_bank().unwrap();
        assert_eq!(
            (
                boc.code.as_str(),
                boc.prefix.as_str(),
                boc.base_url.as_str()
            ),
            ("BOC", "6601", "https://boc.example/api")
        );
        for bad in ["BOC", "B C=https://x", "BOC:12a=https://x", "BOC=ftp://x"] {
            assert!(
                BankDirectory::load(
                    &dir.path().join("hall.secret"),
                    &dir.path().join("banks"),
                    &[bad.into()],
                    false,
                    "x"
                )
                .is_err(),
                "{bad}"
            );
        }
        std::fs::write(&path, "AB".repeat(32)).unwrap();
        assert!(matches!(
            read_secret(&path),
            Err(DirectoryError::BadSecret { .. })
        ));
    }
}
