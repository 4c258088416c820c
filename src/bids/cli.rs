//! The bid box's command-line clients: `bidhall seal`, `bidhall custodian keygen|release`,
//! `bidhall receipt verify` and `bidhall bid verify`. They run on the tenderer's or custodian's own machine: keys are read
//! from local files and never sent; only public keys, envelopes and released shares travel.

use super::receipt::ReceiptBody;
use crate::auditlog::note::NoteVerifier;
use crate::config::{BidCommand, ClientArgs, CustodianCommand, ReceiptCommand, SealArgs};
use crate::sealbox::envelope::{self, SealParams};
use crate::sealbox::keys::{
    CustodianPrivateKey, CustodianPublicKey, TendererPublicKey, TendererSigningKey,
};
use crate::sealbox::tar::{archive_len, TarWriter};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufWriter, Read};

pub mod verify;

use super::custody::{
    check_before_release, closing_list, refuse, ListedEnvelope, Party, Refusal, ReleaseCheck,
    ServedHeader,
};

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
            client,
            tender,
            index,
            key,
            log_key,
            json,
        } => {
            release(ReleaseArgs {
                client,
                tender,
                index,
                key,
                log_key,
                json,
            })
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// `bidhall custodian release`: check every header before releasing anything for it
// (docs/bid-box.md, "What a custodian checks before releasing").

struct ReleaseArgs {
    client: ClientArgs,
    tender: String,
    index: u8,
    key: std::path::PathBuf,
    log_key: Option<std::path::PathBuf>,
    json: bool,
}

/// The closing list of `tender` from the log: its first `box_closed` entry and the
/// `box_closed_envelopes` entries it names, each proven included under a checkpoint signed by
/// `vkey`. Waits a little for the closing, which the hall writes within seconds of the deadline.
async fn logged_closing(
    c: &reqwest::Client,
    base: &str,
    tender: &str,
    vkey: &str,
) -> Result<(i64, Vec<ListedEnvelope>), Refusal> {
    let hall = |code, m: String| refuse(code, Some(Party::Hall), m);
    let mut closing = None;
    for attempt in 0..CLOSING_WAIT_SECS {
        closing = find_closing(c, base, tender)
            .await
            .map_err(|e| hall("log_unavailable", e))?;
        if closing.is_some() {
            break;
        }
        if attempt + 1 < CLOSING_WAIT_SECS {
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
    let index = closing.ok_or_else(|| {
        refuse(
            "box_not_closed",
            None,
            format!("the log has no closing of tender {tender} yet, so nothing shows which bids count; try again shortly"),
        )
    })?;
    let entry = proven_entry(c, base, index, vkey).await?;
    let lists: Vec<i64> =
        serde_json::from_value(entry["payload"]["envelope_lists"].clone()).unwrap_or_default();
    let mut parts = Vec::with_capacity(lists.len());
    for at in &lists {
        parts.push((*at, proven_entry(c, base, *at, vkey).await?));
    }
    Ok((index, closing_list(tender, index, &entry, &parts)?))
}

/// How long `custodian release` waits for the box's closing to reach the log.
const CLOSING_WAIT_SECS: u32 = 15;

/// The index of the tender's first `box_closed` entry, if the log has one.
async fn find_closing(
    c: &reqwest::Client,
    base: &str,
    tender: &str,
) -> Result<Option<i64>, String> {
    let mut after = -1i64;
    loop {
        let page = get_json(
            c,
            &format!("{base}/api/log/entries?tender={tender}&after={after}&limit=1000"),
            None,
        )
        .await?;
        let page = page.as_array().ok_or("the log's entries are not a list")?;
        if let Some(e) = page.iter().find(|e| e["kind"] == "box_closed") {
            return Ok(e["index"].as_i64());
        }
        match page.last().and_then(|e| e["index"].as_i64()) {
            Some(last) if page.len() == 1000 => after = last,
            _ => return Ok(None),
        }
    }
}

/// Log entry `index`, proven included in the log under a checkpoint signed by `vkey`.
async fn proven_entry(
    c: &reqwest::Client,
    base: &str,
    index: i64,
    vkey: &str,
) -> Result<Value, Refusal> {
    let hall = |code, m: String| refuse(code, Some(Party::Hall), m);
    let body = get_json(c, &format!("{base}/api/log/receipts/{index}"), None)
        .await
        .map_err(|e| hall("log_unavailable", e))?;
    let receipt: crate::auditlog::offline::Receipt = serde_json::from_value(body)
        .map_err(|e| hall("closing_not_proven", format!("log entry {index}: {e}")))?;
    let proven = crate::auditlog::offline::prove(&receipt, vkey).map_err(|e| {
        hall(
            "closing_not_proven",
            format!("log entry {index} is not proven in the log signed by the log key: {e}"),
        )
    })?;
    Ok(proven.entry)
}

/// The outcome for one bid, as printed and in `--json`.
#[derive(Debug, Serialize)]
struct BidOutcome {
    bid_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    n: Option<u64>,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fault: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

impl BidOutcome {
    fn refused(bid_id: &str, n: Option<u64>, r: &Refusal) -> Self {
        BidOutcome {
            bid_id: bid_id.to_string(),
            n,
            status: "refused",
            code: Some(r.code),
            fault: r.fault.map(Party::code),
            message: Some(r.to_string()),
        }
    }
}

/// Prints the `--json` summary of a run that stopped before any bid was looked at.
fn refused_whole(args: &ReleaseArgs, r: &Refusal) -> String {
    if args.json {
        println!(
            "{}",
            json!({ "tender": args.tender, "index": args.index, "released": 0, "refused": [],
                    "error": { "code": r.code, "fault": r.fault.map(Party::code), "message": r.to_string() } })
        );
    }
    format!("nothing released: {r}")
}

/// A run that stops: either it already said why (`--json` included), or it did not yet.
enum Stop {
    Said(String),
    Plain(String),
}

impl From<String> for Stop {
    fn from(m: String) -> Self {
        Stop::Plain(m)
    }
}

impl From<&str> for Stop {
    fn from(m: &str) -> Self {
        Stop::Plain(m.to_string())
    }
}

async fn release(args: ReleaseArgs) -> Result<(), String> {
    match release_checked(&args).await {
        Ok(()) => Ok(()),
        Err(Stop::Said(m)) => Err(m),
        Err(Stop::Plain(m)) => {
            if args.json {
                println!(
                    "{}",
                    json!({ "tender": args.tender, "index": args.index, "released": 0,
                            "error": { "code": "failed", "message": m } })
                );
            }
            Err(m)
        }
    }
}

async fn release_checked(args: &ReleaseArgs) -> Result<(), Stop> {
    let (c, base, token) = client(&args.client)?;
    let (tender, index) = (args.tender.as_str(), args.index);
    let text =
        std::fs::read_to_string(&args.key).map_err(|e| format!("{}: {e}", args.key.display()))?;
    let private = CustodianPrivateKey::from_key_file(&text)
        .map_err(|e| format!("{}: not a custodian key file: {e}", args.key.display()))?;
    let url = format!("{base}/api/tenders/{tender}/opening/shares/{index}");
    let sealed = get_json(&c, &url, Some(&token)).await?;
    let served = sealed
        .as_array()
        .ok_or("the hall's list of headers is not a list")?;

    // The tender as published: its threshold and registered custodian keys, this key among them.
    let published = get_json(&c, &format!("{base}/api/tenders/{tender}"), Some(&token)).await?;
    let k = published["spec"]["custodians"]["k"]
        .as_u64()
        .and_then(|k| u8::try_from(k).ok())
        .ok_or("the tender has no threshold")?;
    let listed = get_json(&c, &format!("{base}/api/tenders/{tender}/custodians"), None).await?;
    let mut custodians = Vec::new();
    for entry in listed.as_array().ok_or("custodians: not a list")? {
        let raw = B64
            .decode(entry["public_key"].as_str().unwrap_or_default())
            .map_err(|_| format!("custodian {} has no registered key", entry["index"]))?;
        custodians.push(CustodianPublicKey::from_sec1(&raw).map_err(|e| e.to_string())?);
    }
    let mine = custodians.get(usize::from(index).wrapping_sub(1));
    if mine.is_none_or(|k| k.fingerprint() != private.fingerprint()) {
        let r = refuse(
            "wrong_custodian_key",
            Some(Party::Custodian(index)),
            format!(
                "{} is not the key registered for custodian {index} of tender {tender}",
                args.key.display()
            ),
        );
        return Err(Stop::Said(refused_whole(args, &r)));
    }

    // The log key: given (trusted as the custodian obtained it), or fetched from the hall and shown.
    let (vkey, log_key_source) = match &args.log_key {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?,
            "file",
        ),
        None => {
            let r = c
                .get(format!("{base}/api/log/key"))
                .send()
                .await
                .map_err(|e| format!("{base}/api/log/key: {e}"))?;
            (r.text().await.map_err(|e| e.to_string())?, "hall")
        }
    };
    let vkey = vkey.trim().to_string();
    NoteVerifier::parse(&vkey).map_err(|e| format!("the log key is not a verifier key: {e}"))?;
    if log_key_source == "hall" && !args.json {
        eprintln!("log key fetched from the hall (pass --log-key to pin it): {vkey}");
    }
    let (closing_index, counted) = match logged_closing(&c, &base, tender, &vkey).await {
        Ok(found) => found,
        Err(r) => return Err(Stop::Said(refused_whole(args, &r))),
    };
    let counted: HashMap<String, ListedEnvelope> =
        counted.into_iter().map(|e| (e.bid_id.clone(), e)).collect();
    let check = ReleaseCheck {
        tender,
        k,
        custodians: &custodians,
        index,
        counted: &counted,
    };

    let mut outcomes = Vec::new();
    let mut releases = Vec::new();
    for item in served {
        let bid_id = item["bid_id"].as_str().unwrap_or_default();
        let n = counted.get(bid_id).map(|e| e.n);
        let header = B64.decode(item["header"].as_str().unwrap_or_default());
        let keys: Vec<TendererPublicKey> = item["tenderer_keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| B64.decode(k.as_str()?).ok())
            .filter_map(|raw| TendererPublicKey::from_sec1(&raw).ok())
            .collect();
        let verdict = match &header {
            Ok(bytes) => check_before_release(
                &check,
                &ServedHeader {
                    bid_id,
                    header: bytes,
                    tenderer_id: item["tenderer_id"].as_str().unwrap_or_default(),
                    tenderer_keys: &keys,
                },
                &private,
            ),
            Err(_) => Err(refuse(
                "bad_header",
                Some(Party::Hall),
                format!("the hall served bid {bid_id}'s header in a form that is not base64"),
            )),
        };
        match verdict {
            Ok(share) => {
                releases.push(json!({ "bid_id": bid_id, "share": B64.encode(*share.to_bytes()) }));
                outcomes.push(BidOutcome {
                    bid_id: bid_id.to_string(),
                    n,
                    status: "released",
                    code: None,
                    fault: None,
                    message: None,
                });
            }
            Err(r) => outcomes.push(BidOutcome::refused(bid_id, n, &r)),
        }
    }
    // A counted bid the hall did not serve is one this custodian cannot release: say so.
    let mut missing: Vec<&ListedEnvelope> = counted
        .values()
        .filter(|e| !served.iter().any(|s| s["bid_id"] == e.bid_id.as_str()))
        .collect();
    missing.sort_by_key(|e| e.n);
    for e in missing {
        let r = refuse(
            "not_served",
            Some(Party::Hall),
            format!(
                "the closing list counts bid {} but the hall did not serve its header",
                e.bid_id
            ),
        );
        outcomes.push(BidOutcome::refused(&e.bid_id, Some(e.n), &r));
    }

    let mut accepted = json!(0);
    if !releases.is_empty() {
        let r = c
            .post(&url)
            .bearer_auth(&token)
            .json(&releases)
            .send()
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = r.status();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        if !status.is_success() {
            return Err(Stop::Plain(format!(
                "the hall refused the release: {status}: {}",
                body["error"]["message"]
                    .as_str()
                    .unwrap_or("no reason given")
            )));
        }
        accepted = body["accepted"].clone();
    }
    let refused = outcomes.iter().filter(|o| o.status == "refused").count();
    if args.json {
        println!(
            "{}",
            json!({ "tender": tender, "index": index, "closing_index": closing_index,
                    "log_key": vkey, "log_key_from": log_key_source, "counted": counted.len(),
                    "released": releases.len(), "accepted": accepted, "refused": refused,
                    "bids": outcomes })
        );
    } else {
        for o in &outcomes {
            match &o.message {
                None => println!("bid {}: released", o.bid_id),
                Some(m) => println!("bid {}: REFUSED: {m}", o.bid_id),
            }
        }
        println!(
            "custodian {index}: released {} of {} counted bids ({accepted} new), refused {refused}",
            releases.len(),
            counted.len()
        );
    }
    if refused > 0 {
        return Err(Stop::Said(format!(
            "{refused} bid(s) refused: nothing was released for them (see above)"
        )));
    }
    Ok(())
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
