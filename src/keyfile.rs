//! Files that hold private keys (the log's signing key, the time-release custodian's keys, a
//! custodian's key file): created once, never overwritten, readable by the owner only, and on
//! disk before the key is used.

use std::io::Write;
use std::path::Path;

/// Creates `path` (which must not exist) with mode 0600 and writes `bytes`, fsynced.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}
