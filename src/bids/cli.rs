//! The bid box's command-line clients: `bidhall seal`, `bidhall custodian keygen|release`,
//! `bidhall receipt verify` and `bidhall bid verify`. They run on the tenderer's or custodian's own machine: keys are read
//! from local files and never sent; only public keys, envelopes and released shares travel.

use super::receipt::ReceiptBody;
use crate::auditlog::note::NoteVerifier;
use crate::config::{BidCommand, ClientArgs, CustodianCommand, ReceiptCommand, SealArgs};
use crate::sealbox::envelope::{self, Header, SealParams};
use crate::sealbox::keys::{CustodianPrivateKey, CustodianPublicKey, TendererSigningKey};
use crate::sealbox::tar::{archive_len, TarWriter};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use serde_json::{json, Value};
use std::io::{BufWriter, Read};

pub mod verify;

/// The hall's client for a signed-in command: the HTTP client, the base URL and the token.
pub(crate) fn client(args: &ClientArgs) -> Result<(reqwest::Client, String, String), String> {
    let token = args
        .token
        .clone()
        .ok_or("sign in first: pass --token or set BIDHALL_TOKEN")?;
    Ok((
        reqwest::Client::new(),
        args.url.trim_end_matches('/').to_string(),
        token,
    ))
}

pub(crate) async fn get_json(
    c: &reqwest::Client,
    url: &str,
    token: Option<&str>,
) -> Result<Value, String> {
    let mut req = c.get(url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = r.status();
    let body: Value = r.json().await.map_err(|e| format!("{url}: {e}"))?;
    if !status.is_success() {
        return Err(format!("{url}: {status}: {}", body["error"]["message"]));
    }
    Ok(body)
}

/// Seals bid.json and the attachments for the tender's registered custodians, on this machine, as a
/// version 2 envelope: bid.json in the announced segment (its key is published after the opening),
/// the attachments archive in the documents segment (read only by the entitled).
pub async fn seal(args: SealArgs) -> Result<(), String> {
    let (c, base, token) = client(&args.client)?;
    let me = get_json(&c, &format!("{base}/api/me"), Some(&token)).await?;
    let tender = get_json(
        &c,
        &format!("{base}/api/tenders/{}", args.tender),
        Some(&token),
    )
    .await?;
    let listed = get_json(
        &c,
        &format!("{base}/api/tenders/{}/custodians", args.tender),
        None,
    )
    .await?;
    let mut custodians = Vec::new();
    for entry in listed.as_array().ok_or("custodians: not a list")? {
        let key = entry["public_key"].as_str().ok_or_else(|| {
            format!(
                "custodian {} has not registered its key yet",
                entry["index"]
            )
        })?;
        let raw = B64.decode(key).map_err(|e| e.to_string())?;
        custodians.push(CustodianPublicKey::from_sec1(&raw).map_err(|e| e.to_string())?);
    }
    let params = SealParams {
        tender_id: args.tender.clone(),
        lot_id: args.lot.clone(),
        tenderer_id: me["org_id"].as_str().ok_or("who am I?")?.to_string(),
        custodians,
        k: tender["spec"]["custodians"]["k"]
            .as_u64()
            .ok_or("the tender has no threshold")? as u8,
    };
    let rng = SystemRandom::new();
    let pkcs8 = std::fs::read(&args.signing_key)
        .map_err(|e| format!("{}: {e}", args.signing_key.display()))?;
    let signer = TendererSigningKey::from_pkcs8(&pkcs8, &rng).map_err(|e| e.to_string())?;
    // bid.json must be JSON; the archive streams every file, never holding one whole in memory.
    let bid_text = std::fs::read(&args.bid).map_err(|e| format!("{}: {e}", args.bid.display()))?;
    serde_json::from_slice::<Value>(&bid_text)
        .map_err(|e| format!("{}: not JSON: {e}", args.bid.display()))?;
    let mut sizes = Vec::new();
    for a in &args.attachments {
        sizes.push(
            std::fs::metadata(a)
                .map_err(|e| format!("{}: {e}", a.display()))?
                .len(),
        );
    }
    let documents_len = archive_len(sizes);
    let (mut writer, reader) = chunk_pipe();
    let attachments = args.attachments.clone();
    let producer = std::thread::spawn(move || -> Result<(), String> {
        let mut tar = TarWriter::documents(&mut writer);
        for a in &attachments {
            let name = a
                .file_name()
                .and_then(|n| n.to_str())
                .ok_or("attachment name is not UTF-8")?;
            let f = std::fs::File::open(a).map_err(|e| format!("{}: {e}", a.display()))?;
            let len = f.metadata().map_err(|e| e.to_string())?.len();
            tar.append(name, len, f).map_err(|e| e.to_string())?;
        }
        tar.finish().map_err(|e| e.to_string())?;
        drop(writer);
        Ok(())
    });
    let out =
        std::fs::File::create(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;
    let summary = envelope::seal_v2(
        &params,
        &signer,
        &bid_text,
        reader,
        documents_len,
        BufWriter::new(out),
        &rng,
    )
    .map_err(|e| e.to_string())?;
    producer.join().map_err(|_| "archiving failed")??;
    let sha = hex::encode(summary.envelope_sha256);
    println!(
        "sealed {} bytes into {} (SHA-256 {sha})",
        summary.envelope_len,
        args.out.display()
    );
    if args.upload {
        let file = tokio::fs::File::open(&args.out)
            .await
            .map_err(|e| e.to_string())?;
        let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
        let url = format!("{base}/api/tenders/{}/lots/{}/bid", args.tender, args.lot);
        let r = c
            .post(&url)
            .bearer_auth(&token)
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let answer: Value = r.json().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!(
                "upload refused: {status}: {}",
                answer["error"]["message"]
            ));
        }
        if answer["envelope_sha256"] != json!(sha) {
            return Err("the hall receipted a different SHA-256 than was sealed".into());
        }
        let receipt_path = args.out.with_extension("receipt");
        std::fs::write(
            &receipt_path,
            answer["receipt"].as_str().unwrap_or_default(),
        )
        .map_err(|e| e.to_string())?;
        let log_path = args.out.with_extension("log-receipt.json");
        std::fs::write(&log_path, answer["log_receipt"].to_string()).map_err(|e| e.to_string())?;
        println!(
            "receipted at log index {}; receipt saved to {}, its log proof to {}",
            answer["log_index"],
            receipt_path.display(),
            log_path.display()
        );
    }
    Ok(())
}

pub async fn custodian(cmd: CustodianCommand) -> Result<(), String> {
    match cmd {
        CustodianCommand::Keygen { out } => {
            let key =
                CustodianPrivateKey::generate(&SystemRandom::new()).map_err(|e| e.to_string())?;
            let text = key.to_key_file().map_err(|e| e.to_string())?;
            crate::keyfile::write_private(&out, text.as_bytes())
                .map_err(|e| format!("{}: {e}", out.display()))?;
            println!(
                "public key (register it for the tender): {}\nfingerprint: {}",
                B64.encode(key.public_key().to_sec1()),
                hex::encode(key.fingerprint())
            );
            Ok(())
        }
        CustodianCommand::Release {
            client: ca,
            tender,
            index,
            key,
        } => {
            let (c, base, token) = client(&ca)?;
            let text =
                std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
            let private = CustodianPrivateKey::from_key_file(&text).map_err(|e| e.to_string())?;
            let url = format!("{base}/api/tenders/{tender}/opening/shares/{index}");
            let sealed = get_json(&c, &url, Some(&token)).await?;
            let mut releases = Vec::new();
            for item in sealed.as_array().ok_or("not a list")? {
                let bytes = B64
                    .decode(item["header"].as_str().unwrap_or_default())
                    .map_err(|e| e.to_string())?;
                let header = Header::parse(&bytes).map_err(|e| e.to_string())?;
                match envelope::open_share(&header, index, &private) {
                    Ok(share) => releases.push(json!({
                        "bid_id": item["bid_id"],
                        "share": B64.encode(*share.to_bytes()),
                    })),
                    Err(e) => {
                        eprintln!("bid {}: {e} (whose fault: {:?})", item["bid_id"], e.fault())
                    }
                }
            }
            let r = c
                .post(&url)
                .bearer_auth(&token)
                .json(&releases)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = r.status();
            let body: Value = r.json().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!(
                    "release refused: {status}: {}",
                    body["error"]["message"]
                ));
            }
            println!(
                "released {} shares ({} new)",
                releases.len(),
                body["accepted"]
            );
            Ok(())
        }
    }
}

pub fn receipt(cmd: ReceiptCommand) -> Result<(), String> {
    match cmd {
        ReceiptCommand::Verify { receipt, key } => {
            let mut text = String::new();
            std::fs::File::open(&receipt)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(|e| format!("{}: {e}", receipt.display()))?;
            let vkey =
                std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
            let verifier = NoteVerifier::parse(vkey.trim()).map_err(|e| e.to_string())?;
            let body = ReceiptBody::verify(&text, &verifier)
                .map_err(|e| format!("receipt INVALID: {e}"))?;
            println!(
                "valid receipt: {} bid for tender {} lot {}, envelope SHA-256 {} ({} bytes), at {}, log index {}",
                body.action, body.tender, body.lot, body.envelope_sha256, body.size, body.at, body.log_index
            );
            Ok(())
        }
    }
}

/// Re-checks an opening as anyone can (docs/bid-box.md, "After the opening"): the signed opening
/// record against the log's key and the log's `concluded` entry, then every counted bid — its
/// envelope against the log's receipt, its line against the log's `bid_opened` entry and, for an
/// opened version 2 bid, against its announced segment decrypted with the published key. Names
/// every line whose outcome or fault differs and fails if any does; says what the public cannot
/// check (released shares are not published).
pub async fn bid(cmd: BidCommand) -> Result<(), String> {
    let BidCommand::Verify {
        url,
        tender,
        log_key,
        json,
    } = cmd;
    let key = match &log_key {
        Some(path) => {
            Some(std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?)
        }
        None => None,
    };
    let report = match verify::run(url.trim_end_matches('/'), &tender, key).await {
        Ok(r) => r,
        Err(e) if json => {
            println!("{}", json!({ "ok": false, "tender": tender, "error": e }));
            return Err(e);
        }
        Err(e) => return Err(e),
    };
    if json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        );
    } else {
        print!("{}", verify::text(&report));
    }
    if report.ok {
        Ok(())
    } else {
        Err(format!(
            "{} mismatch(es) between the opening's record and what anyone can check",
            report.mismatches.len()
        ))
    }
}

/// One counted bid against its line and the log (see `verify::check_bid`).
pub fn check_bid(
    tender: &str,
    k: Option<u64>,
    bid: &Value,
    line: Option<&Value>,
    log: &verify::LogFacts,
    envelope_bytes: &[u8],
) -> verify::LineReport {
    verify::check_bid(tender, k, bid, line, log, envelope_bytes)
}

/// A bounded in-process pipe: the archive is written on one thread and sealed on another, a few
/// 64 KiB chunks in flight, so no file is ever held whole in memory.
fn chunk_pipe() -> (ChunkWriter, ChunkReader) {
    let (tx, rx) = std::sync::mpsc::sync_channel(8);
    (
        ChunkWriter {
            tx,
            buf: Vec::new(),
        },
        ChunkReader {
            rx,
            current: Vec::new(),
            pos: 0,
        },
    )
}

struct ChunkWriter {
    tx: std::sync::mpsc::SyncSender<Vec<u8>>,
    buf: Vec<u8>,
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= 64 * 1024 {
            self.flush()?;
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        if !self.buf.is_empty() {
            self.tx
                .send(std::mem::take(&mut self.buf))
                .map_err(|_| std::io::Error::other("the sealer stopped reading"))?;
        }
        Ok(())
    }
}

impl Drop for ChunkWriter {
    fn drop(&mut self) {
        let _ = std::io::Write::flush(self);
    }
}

struct ChunkReader {
    rx: std::sync::mpsc::Receiver<Vec<u8>>,
    current: Vec<u8>,
    pos: usize,
}

impl Read for ChunkReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.pos == self.current.len() {
            match self.rx.recv() {
                Ok(next) => {
                    self.current = next;
                    self.pos = 0;
                }
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len() - self.pos);
        out[..n].copy_from_slice(&self.current[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
