//! The local folder: bytes streamed to `tmp/`, fsynced, renamed to `sha256/<ab>/<hash>`.

use super::{BlobError, BlobReader, BlobStore, ByteStream, StoredBlob};
use async_trait::async_trait;
use std::path::{Path, PathBuf};
use tokio::io::AsyncWriteExt;

pub struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    pub fn new(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        crate::keyfile::private_dir(&root.join("tmp"))?;
        crate::keyfile::private_dir(&root.join("sha256"))?;
        Ok(LocalDir { root })
    }

    fn path_of(&self, sha256: &str) -> Option<PathBuf> {
        super::is_sha256(sha256).then(|| self.root.join("sha256").join(&sha256[..2]).join(sha256))
    }
}

async fn fsync_dir(dir: &Path) -> std::io::Result<()> {
    tokio::fs::File::open(dir).await?.sync_all().await
}

#[async_trait]
impl BlobStore for LocalDir {
    async fn ready(&self) -> Result<(), BlobError> {
        let probe = self
            .root
            .join("tmp")
            .join(format!("ready-{}", uuid::Uuid::now_v7()));
        let written = async {
            tokio::fs::write(&probe, b"ready").await?;
            let back = tokio::fs::read(&probe).await?;
            if back != b"ready" {
                return Err(std::io::Error::other(
                    "the probe file read back differently",
                ));
            }
            Ok(())
        }
        .await;
        let _ = tokio::fs::remove_file(&probe).await;
        Ok(written?)
    }

    async fn put(&self, body: ByteStream, limit: u64) -> Result<StoredBlob, BlobError> {
        let tmp = self.root.join("tmp").join(uuid::Uuid::now_v7().to_string());
        let result = async {
            // Writes are gathered into 1 MiB before they go to the file: each tokio file write is
            // a trip to the blocking pool, and HTTP bodies arrive in small pieces.
            let mut file = tokio::io::BufWriter::with_capacity(
                1 << 20,
                tokio::fs::OpenOptions::from(
                    crate::keyfile::private_options()
                        .write(true)
                        .create_new(true)
                        .clone(),
                )
                .open(&tmp)
                .await?,
            );
            let stored = super::copy_hashed(body, limit, &mut file).await?;
            file.flush().await?;
            file.get_mut().sync_all().await?;
            Ok(stored)
        }
        .await;
        let stored = match result {
            Ok(s) => s,
            Err(e) => {
                let _ = tokio::fs::remove_file(&tmp).await;
                return Err(e);
            }
        };
        let target = self
            .path_of(&stored.sha256)
            .expect("a SHA-256 we computed is a valid name");
        let dir = target
            .parent()
            .expect("blob paths have a parent")
            .to_path_buf();
        {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || crate::keyfile::private_dir(&dir))
                .await
                .map_err(std::io::Error::other)??;
        }
        tokio::fs::rename(&tmp, &target).await?;
        fsync_dir(&dir).await?;
        Ok(stored)
    }

    async fn open(&self, sha256: &str) -> Result<BlobReader, BlobError> {
        let path = self.path_of(sha256).ok_or(BlobError::NotFound)?;
        match tokio::fs::File::open(path).await {
            Ok(f) => Ok(Box::pin(f)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(BlobError::NotFound),
            Err(e) => Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use tokio::io::AsyncReadExt;

    fn stream(parts: Vec<&'static [u8]>) -> ByteStream {
        Box::pin(futures_util::stream::iter(
            parts.into_iter().map(|p| Ok(Bytes::from_static(p))),
        ))
    }

    #[tokio::test]
    async fn stores_by_hash_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path()).unwrap();
        let b = store.put(stream(vec![b"ab", b"c"]), 10).await.unwrap();
        assert_eq!(
            b.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(b.size, 3);
        let mut s = String::new();
        store
            .open(&b.sha256)
            .await
            .unwrap()
            .read_to_string(&mut s)
            .await
            .unwrap();
        assert_eq!(s, "abc");
    }

    #[tokio::test]
    async fn refuses_files_over_the_limit_and_leaves_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path()).unwrap();
        let err = store
            .put(stream(vec![b"abcd", b"efgh"]), 6)
            .await
            .unwrap_err();
        assert!(matches!(err, BlobError::TooLarge { limit: 6 }));
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }

    #[tokio::test]
    async fn path_traversal_is_not_a_hash() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDir::new(dir.path()).unwrap();
        assert!(matches!(
            store.open("../../etc/passwd").await,
            Err(BlobError::NotFound)
        ));
    }
}
