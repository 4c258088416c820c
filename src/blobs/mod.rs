//! Content-addressed file storage — tender documents and sealed bid envelopes: bytes are streamed
//! into storage while hashed and filed under their SHA-256 once durable. A local folder by default
//! (`local.rs`); an S3-compatible object store when several nodes share the files (`object.rs`,
//! docs/operations.md). Nothing decrypted is ever stored: a bid's documents are decrypted from its
//! envelope whenever an entitled reader asks (`bids/documents.rs`).

mod local;
mod object;

pub use local::LocalDir;
pub use object::ObjectStorage;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::Stream;
use std::pin::Pin;
use tokio::io::AsyncRead;

pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;
/// A stored file, read from its start.
pub type BlobReader = Pin<Box<dyn AsyncRead + Send>>;

#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("no stored file with that hash")]
    NotFound,
    #[error("storage failed: {0}")]
    Io(#[from] std::io::Error),
}

#[derive(Debug, Clone, PartialEq)]
pub struct StoredBlob {
    pub sha256: String,
    pub size: u64,
}

#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Streams `body` into storage, refusing it once it passes `limit` bytes. Returns only after
    /// the bytes are durable.
    async fn put(&self, body: ByteStream, limit: u64) -> Result<StoredBlob, BlobError>;
    async fn open(&self, sha256: &str) -> Result<BlobReader, BlobError>;
    /// Can this node write and read back a file now? (`/readyz`)
    async fn ready(&self) -> Result<(), BlobError>;
}

/// Copies `body` into `out` while hashing it, refusing it once it passes `limit` bytes: the one
/// rule both storages write by. `out` is not flushed.
async fn copy_hashed(
    mut body: ByteStream,
    limit: u64,
    out: &mut (impl tokio::io::AsyncWrite + Unpin),
) -> Result<StoredBlob, BlobError> {
    use futures_util::StreamExt;
    use tokio::io::AsyncWriteExt;
    let mut hash = ring::digest::Context::new(&ring::digest::SHA256);
    let mut size: u64 = 0;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(BlobError::TooLarge { limit });
        }
        hash.update(&chunk);
        out.write_all(&chunk).await?;
    }
    Ok(StoredBlob {
        sha256: hex::encode(hash.finish()),
        size,
    })
}

/// Is `sha256` a name this storage files things under (64 lowercase hex digits)? Anything else —
/// a path, a traversal — is not a stored file.
pub(crate) fn is_sha256(sha256: &str) -> bool {
    sha256.len() == 64
        && sha256
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Where files are stored, from the settings: the object store `url` names (`s3://bucket/prefix`,
/// credentials and endpoint from the standard `AWS_*` environment), or else `dir`.
pub fn open(
    url: Option<&str>,
    dir: &std::path::Path,
) -> Result<std::sync::Arc<dyn BlobStore>, String> {
    match url.filter(|u| !u.is_empty()) {
        Some(url) => Ok(std::sync::Arc::new(ObjectStorage::from_url(url)?)),
        None => Ok(std::sync::Arc::new(
            LocalDir::new(dir).map_err(|e| format!("{}: {e}", dir.display()))?,
        )),
    }
}
