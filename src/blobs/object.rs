//! An S3-compatible object store, shared by every node (docs/operations.md): a file is streamed to
//! `tmp/<uuid>` while hashed (multipart above the buffer), copied on the server to
//! `sha256/<ab>/<hash>` once complete, and the temporary object deleted. The object store answers
//! a write only once it is durable, so `put` returns as the local folder's does.
//!
//! Settings: `BIDHALL_OBJECT_STORE=s3://bucket[/prefix]`; the endpoint, region and credentials come
//! from the standard environment (`AWS_ENDPOINT`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`,
//! `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP` for a plain-HTTP endpoint on a private network),
//! never from the command line, and never logged.

use super::{BlobError, BlobReader, BlobStore, ByteStream, StoredBlob};
use async_trait::async_trait;
use futures_util::TryStreamExt;
use object_store::aws::AmazonS3Builder;
use object_store::buffered::BufWriter;
use object_store::path::Path;
use object_store::{ObjectStore, PutPayload};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;

pub struct ObjectStorage {
    store: Arc<dyn ObjectStore>,
    prefix: String,
}

fn io(e: object_store::Error) -> BlobError {
    match e {
        object_store::Error::NotFound { .. } => BlobError::NotFound,
        other => BlobError::Io(std::io::Error::other(other.to_string())),
    }
}

impl ObjectStorage {
    /// `s3://bucket` or `s3://bucket/prefix`, with the rest from the `AWS_*` environment.
    pub fn from_url(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("s3://").ok_or_else(|| {
            format!("BIDHALL_OBJECT_STORE must be s3://bucket or s3://bucket/prefix, not {url:?}")
        })?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err("BIDHALL_OBJECT_STORE names no bucket".into());
        }
        let store = AmazonS3Builder::from_env()
            .with_bucket_name(bucket)
            .build()
            .map_err(|e| format!("object store {url}: {e}"))?;
        Ok(ObjectStorage {
            store: Arc::new(store),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }

    fn path(&self, rest: &str) -> Path {
        if self.prefix.is_empty() {
            Path::from(rest)
        } else {
            Path::from(format!("{}/{rest}", self.prefix))
        }
    }

    fn final_path(&self, sha256: &str) -> Option<Path> {
        super::is_sha256(sha256).then(|| self.path(&format!("sha256/{}/{sha256}", &sha256[..2])))
    }

    fn temporary(&self) -> Path {
        self.path(&format!("tmp/{}", uuid::Uuid::now_v7()))
    }
}

#[async_trait]
impl BlobStore for ObjectStorage {
    async fn put(&self, body: ByteStream, limit: u64) -> Result<StoredBlob, BlobError> {
        let tmp = self.temporary();
        let mut out = BufWriter::new(self.store.clone(), tmp.clone());
        let written = super::copy_hashed(body, limit, &mut out).await;
        let stored = match written {
            Ok(s) => s,
            Err(e) => {
                let _ = out.abort().await;
                return Err(e);
            }
        };
        out.shutdown().await?;
        let target = self
            .final_path(&stored.sha256)
            .expect("a SHA-256 we computed is a valid name");
        let copied = self.store.copy(&tmp, &target).await.map_err(io);
        let _ = self.store.delete(&tmp).await;
        copied?;
        Ok(stored)
    }

    async fn open(&self, sha256: &str) -> Result<BlobReader, BlobError> {
        let path = self.final_path(sha256).ok_or(BlobError::NotFound)?;
        let got = self.store.get(&path).await.map_err(io)?;
        let stream = got
            .into_stream()
            .map_err(|e| std::io::Error::other(e.to_string()));
        Ok(Box::pin(tokio_util::io::StreamReader::new(stream)))
    }

    async fn ready(&self) -> Result<(), BlobError> {
        let probe = self.path(&format!("tmp/ready-{}", uuid::Uuid::now_v7()));
        let checked = async {
            self.store
                .put(&probe, PutPayload::from_static(b"ready"))
                .await
                .map_err(io)?;
            let back = self
                .store
                .get(&probe)
                .await
                .map_err(io)?
                .bytes()
                .await
                .map_err(io)?;
            if back.as_ref() != b"ready" {
                return Err(BlobError::Io(std::io::Error::other(
                    "the probe object read back differently",
                )));
            }
            Ok(())
        }
        .await;
        let _ = self.store.delete(&probe).await;
        checked
    }
}
