//! Decrypting a stored envelope, in memory only: at the opening, to judge it (`open_bid`), and
//! afterwards each time an entitled reader asks for its documents (`documents_stream`). No
//! decrypted byte is ever written to disk or to the object store: the documents are decrypted
//! again from the sealed envelope with the shares the opening used, so every node serves them and
//! none keeps them in the clear (docs/opening.md §5).

use super::service::BidError;
use super::Bid;
use crate::app::AppState;
use crate::blobs::{BlobReader, ByteStream};
use crate::sealbox::envelope::{self, ContentKey, Header, ReleasedShare, PREFIX_LEN};
use crate::sealbox::error::EnvelopeError;
use crate::sealbox::error::Fault;
use crate::sealbox::tar::TarReader;
use bytes::Bytes;
use serde_json::{json, Value};
use std::io::{Read, Write};
use tokio::io::AsyncReadExt;
use tokio_util::io::SyncIoBridge;

fn storage(e: impl std::fmt::Display) -> BidError {
    BidError::Storage(e.to_string())
}

/// A stored envelope's header, and the stored file positioned at the body.
pub(super) async fn envelope(app: &AppState, bid: &Bid) -> Result<(Header, BlobReader), BidError> {
    let mut file = app
        .blobs
        .open(&bid.envelope_sha256)
        .await
        .map_err(storage)?;
    let mut bytes = vec![0u8; PREFIX_LEN];
    file.read_exact(&mut bytes).await.map_err(storage)?;
    let len = Header::declared_len(&bytes).map_err(storage)?;
    bytes.resize(len, 0);
    file.read_exact(&mut bytes[PREFIX_LEN..])
        .await
        .map_err(storage)?;
    let header = Header::parse(&bytes).map_err(storage)?;
    Ok((header, file))
}

/// Hashes what is read through it: the stored envelope is checked against its receipt.
pub struct HashingReader<R: Read> {
    inner: R,
    ctx: ring::digest::Context,
}

impl<R: Read> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            ctx: ring::digest::Context::new(&ring::digest::SHA256),
        }
    }
    pub fn update(&mut self, bytes: &[u8]) {
        self.ctx.update(bytes);
    }
    /// Reads what is left (so the hash covers the whole input) and returns the hex SHA-256.
    pub fn finish(mut self) -> String {
        let _ = std::io::copy(&mut self, &mut std::io::sink());
        hex::encode(self.ctx.finish())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.ctx.update(&buf[..n]);
        Ok(n)
    }
}

/// Storage, not a party, changed the bytes: the hall must not open (or blame anyone for) what it
/// did not receipt.
fn receipted<R: Read>(reader: HashingReader<R>, expected: &str) -> Result<(), BidError> {
    if reader.finish() == expected {
        Ok(())
    } else {
        Err(BidError::Storage(
            "the stored envelope no longer matches its receipt".into(),
        ))
    }
}

/// Decrypts the documents part of the body into `out`: v2 the documents segment (after the
/// announced one, whose bid.json goes to `announced`), v1 the whole bid archive.
fn decrypt_into(
    header: &Header,
    key: &ContentKey,
    body: &mut impl Read,
    announced: &mut Vec<u8>,
    out: &mut dyn Write,
) -> Result<Option<String>, EnvelopeError> {
    if header.version() == envelope::VERSION_2 {
        let k = envelope::announced_key(header, key)?;
        envelope::open_announced(header, &k, &mut *body, &mut *announced)?;
        envelope::open_documents(header, key, body, out)?;
        Ok(Some(hex::encode(k.expose_secret())))
    } else {
        envelope::open_payload(header, key, body, out)?;
        Ok(None)
    }
}

/// What the archive of a bid's documents holds, read as it is decrypted: its files, the v1
/// bid.json at its front, and its length and SHA-256.
struct Listing {
    bid_json: Option<Value>,
    files: Vec<Value>,
    size: u64,
    sha256: String,
}

/// Lists the archive arriving through `input` (always reading it to the end, so the decryption
/// feeding it never blocks on a reader that stopped).
fn list_archive(input: impl Read, v1: bool) -> Listing {
    let mut hashed = HashingReader::new(CountingReader {
        inner: input,
        count: 0,
    });
    let mut bid_json = None;
    let mut files = Vec::new();
    {
        let mut tar = if v1 {
            TarReader::new(&mut hashed)
        } else {
            TarReader::documents(&mut hashed)
        };
        if v1 {
            bid_json = bid_json_of_archive(&mut tar);
        }
        while let Ok(Some(entry)) = tar.next_entry() {
            files.push(json!({ "name": entry.name, "size": entry.size }));
        }
    }
    let _ = std::io::copy(&mut hashed, &mut std::io::sink());
    let size = hashed.inner.count;
    Listing {
        bid_json,
        files,
        size,
        sha256: hashed.finish(),
    }
}

struct CountingReader<R> {
    inner: R,
    count: u64,
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count += n as u64;
        Ok(n)
    }
}

/// Reads `bid.json` from the front of a v1 bid archive.
fn bid_json_of_archive<R: Read>(tar: &mut TarReader<R>) -> Option<Value> {
    match tar.next_entry() {
        Ok(Some(entry)) if entry.name == "bid.json" && entry.size <= 1024 * 1024 => {
            let mut text = String::new();
            match tar.read_to_string(&mut text) {
                Ok(_) => serde_json::from_str::<Value>(&text).ok(),
                Err(_) => None,
            }
        }
        _ => None,
    }
}

/// Rebuilds the key, decrypts the envelope and reads `bid.json` — from the archive (v1) or the
/// announced segment (v2, whose announced key is recorded for publication); every failure is
/// attributed. The stored bytes are checked against the receipt before any failure is blamed on
/// a party. The documents pass through a pipe to a lister on another thread and are dropped: the
/// outcome records their files, length and SHA-256 and the shares used, so that a reader gets
/// exactly these bytes again.
pub(super) async fn open_bid(
    app: &AppState,
    bid: &Bid,
    shares: Vec<ReleasedShare>,
) -> Result<Value, BidError> {
    let (header, body) = envelope(app, bid).await?;
    let body = SyncIoBridge::new(body);
    let expected = bid.envelope_sha256.clone();
    tokio::task::spawn_blocking(move || -> Result<Value, BidError> {
        let failed = |fault: Option<Fault>, reason: String| {
            json!({ "status": "failed", "fault": fault.map(|f| f.to_string()), "reason": reason })
        };
        let version = header.version();
        let mut reader = HashingReader::new(body);
        reader.update(header.as_bytes());
        let used: Vec<u8> = shares.iter().map(|s| s.index).collect();
        let key = match envelope::rebuild_key(&header, &shares) {
            Ok(k) => k,
            Err(e) => {
                receipted(reader, &expected)?;
                return Ok(failed(e.fault(), e.to_string()));
            }
        };
        let (pipe_out, mut pipe_in) = std::io::pipe().map_err(storage)?;
        let mut announced = Vec::new();
        let (opened, listing) = std::thread::scope(|s| {
            let lister = s.spawn(move || list_archive(pipe_out, version != envelope::VERSION_2));
            let opened = decrypt_into(&header, &key, &mut reader, &mut announced, &mut pipe_in);
            drop(pipe_in);
            (opened, lister.join())
        });
        let listing = listing.map_err(|_| storage("listing the bid documents failed"))?;
        let announced_key = match opened {
            Ok(k) => k,
            Err(e) => {
                receipted(reader, &expected)?;
                return Ok(failed(e.fault(), e.to_string()));
            }
        };
        receipted(reader, &expected)?;
        let bid_json = if version == envelope::VERSION_2 {
            serde_json::from_slice::<Value>(&announced).ok()
        } else {
            listing.bid_json
        };
        Ok(match bid_json {
            Some(bid) => {
                let mut outcome = json!({
                    "status": "opened", "version": version, "bid": bid,
                    "attachments": listing.files, "shares": used,
                    "documents_size": listing.size, "documents_sha256": listing.sha256,
                });
                if let Some(k) = announced_key {
                    outcome["announced_key"] = k.into();
                }
                outcome
            }
            None => failed(
                Some(Fault::Tenderer),
                if version == envelope::VERSION_2 {
                    "the announced segment is not a readable bid.json".into()
                } else {
                    "the payload does not start with a readable bid.json".into()
                },
            ),
        })
    })
    .await
    .map_err(storage)?
}

/// Sends what is written to it down a channel, in pieces, to a response body.
struct ChannelWriter(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

impl Write for ChannelWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::BrokenPipe))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The documents of an opened bid, decrypted again as they are sent: with the shares its outcome
/// records (all released shares, for an outcome from before they were recorded). A stored
/// envelope that no longer matches its receipt, or a reader that goes away, ends the stream with
/// an error; nothing is kept.
pub(super) async fn documents_stream(
    app: &AppState,
    bid: &Bid,
    outcome: &Value,
) -> Result<ByteStream, BidError> {
    let used: Option<Vec<u8>> = outcome["shares"].as_array().map(|a| {
        a.iter()
            .filter_map(|i| i.as_u64().and_then(|i| u8::try_from(i).ok()))
            .collect()
    });
    let shares: Vec<ReleasedShare> = app
        .store
        .released_shares(&bid.tender_id)
        .await?
        .into_iter()
        .filter(|(b, i, _)| *b == bid.id && used.as_ref().is_none_or(|u| u.contains(i)))
        .filter_map(|(_, _, h)| hex::decode(h).ok())
        .filter_map(|b| ReleasedShare::from_bytes(&b).ok())
        .collect();
    let (header, body) = envelope(app, bid).await?;
    let key =
        envelope::rebuild_key(&header, &shares).map_err(|_| BidError::DocumentsUnavailable)?;
    let body = SyncIoBridge::new(body);
    let expected = bid.envelope_sha256.clone();
    let bid_id = bid.id.clone();
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    tokio::task::spawn_blocking(move || {
        let mut reader = HashingReader::new(body);
        reader.update(header.as_bytes());
        let mut out = std::io::BufWriter::with_capacity(256 * 1024, ChannelWriter(tx.clone()));
        let mut announced = Vec::new();
        let opened = decrypt_into(&header, &key, &mut reader, &mut announced, &mut out)
            .map_err(|e| e.to_string())
            .and_then(|_| out.flush().map_err(|e| e.to_string()));
        drop(out);
        let checked = opened.and_then(|()| receipted(reader, &expected).map_err(|e| e.to_string()));
        if let Err(e) = checked {
            if tx.is_closed() {
                return; // the reader went away
            }
            tracing::error!(bid = %bid_id, error = %e, "bid documents could not be served");
            let _ = tx.blocking_send(Err(std::io::Error::other(
                "the bid documents could not be decrypted again",
            )));
        }
    });
    Ok(Box::pin(futures_util::stream::unfold(rx, |mut rx| async {
        rx.recv().await.map(|item| (item, rx))
    })))
}
