//! `bidhall bid verify`: re-checks an opening from what anyone can fetch — the signed opening
//! record, the audit log (rebuilt up to a signed checkpoint), the public events and the receipted
//! envelopes — and names every line whose outcome or fault differs (docs/bid-box.md, "After the
//! opening"). It never needs an account, and it says what the public cannot check rather than
//! guessing: released shares are not published, so a version 1 bid and a failed bid cannot be
//! re-decrypted by anyone.

use crate::auditlog::checkpoint::Checkpoint;
use crate::auditlog::merkle::MemoryTree;
use crate::auditlog::note::{self, NoteVerifier};
use crate::sealbox::envelope::{self, Header};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// One difference between what the hall published and what can be recomputed or what its log says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mismatch {
    /// The line number in the announcement order, when the difference concerns one line.
    pub n: Option<i64>,
    /// A stable code: `outcome`, `fault`, `terms`, `announced_key`, `announced_segment`,
    /// `bid_json`, `envelope_sha256`, `envelope_header`, `version`, `commitment`, `not_received`,
    /// `withdrawn`, `no_outcome_logged`, `record_disagrees_with_log`, `shares`, `missing_line`,
    /// `unknown_line`, `count`, `record_signature`, `record_hash`, `concluded_event`,
    /// `event_not_logged`, `log`.
    pub what: &'static str,
    pub message: String,
}

/// What was checked of one counted bid.
#[derive(Debug, Clone, Default, Serialize)]
pub struct LineReport {
    pub n: Option<i64>,
    pub bid_id: String,
    pub commitment: String,
    pub org_id: String,
    pub version: Option<u64>,
    /// The line's status and fault as published (`None` before it is announced).
    pub status: Option<String>,
    pub fault: Option<String>,
    pub checked: Vec<String>,
    pub cannot_check: Vec<String>,
    pub mismatches: Vec<Mismatch>,
}

/// What the log says about the tender's bids, from entries proved against a signed checkpoint.
#[derive(Debug, Default, Clone)]
pub struct LogFacts {
    /// `bid_received`: commitment → envelope SHA-256.
    pub received: BTreeMap<String, String>,
    /// `bid_withdrawn` commitments.
    pub withdrawn: BTreeSet<String>,
    /// `bid_opened` of this tender: commitment → the public outcome.
    pub opened: BTreeMap<String, Value>,
    /// `opening_event` of this tender: seq → (log index, event kind, sha256).
    pub events: BTreeMap<i64, (u64, String, String)>,
}

impl LogFacts {
    /// Collects what concerns `tender` from one entry.
    pub fn add(&mut self, tender: &str, index: u64, e: &Value) {
        let p = &e["payload"];
        match e["type"].as_str().unwrap_or_default() {
            "bid_received" => {
                if let (Some(c), Some(sha)) = (
                    e["actor"]["commitment"].as_str(),
                    p["envelope_sha256"].as_str(),
                ) {
                    self.received.insert(c.into(), sha.into());
                }
            }
            "bid_withdrawn" => {
                if let Some(c) = e["actor"]["commitment"].as_str() {
                    self.withdrawn.insert(c.into());
                }
            }
            "bid_opened" if e["tender"] == tender => {
                if let Some(c) = p["bid"].as_str() {
                    self.opened.insert(c.into(), p["outcome"].clone());
                }
            }
            "opening_event" if e["tender"] == tender => {
                if let (Some(seq), Some(kind), Some(sha)) =
                    (p["seq"].as_i64(), p["event"].as_str(), p["sha256"].as_str())
                {
                    self.events.insert(seq, (index, kind.into(), sha.into()));
                }
            }
            _ => {}
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

/// The stored outcome says "the tenderer" or "custodian i"; lines say `tenderer` or `custodian i`.
fn normalise_fault(f: &Value) -> Option<String> {
    match f.as_str() {
        Some("the tenderer") => Some("tenderer".into()),
        Some(other) => Some(other.into()),
        None => None,
    }
}

/// The line the hall's announcement rule gives for a decrypted `bid.json` (docs/opening.md §2:
/// a positive `price_fen`, as a number or a decimal string, or the bid fails, the tenderer's fault).
fn line_of_bid(bid: &Value) -> Value {
    let price = bid["price_fen"]
        .as_i64()
        .or_else(|| bid["price_fen"].as_str().and_then(|s| s.parse().ok()))
        .filter(|p| *p > 0);
    match price {
        Some(price) => json!({
            "status": "opened", "fault": null, "price_fen": price,
            "duration_days": bid["duration_days"],
            "quality": match (&bid["quality_commitment"], &bid["quality"]) {
                (Value::String(q), _) | (_, Value::String(q)) => Value::String(q.clone()),
                _ => Value::Null,
            },
        }),
        None => json!({ "status": "failed", "fault": "tenderer",
                        "reason": "bid.json has no valid price_fen" }),
    }
}

/// Checks one counted bid: `bid` is its entry in the hall's public list
/// (`/opening/record`), `line` its line in the signed record (or its `bid_announced` event before
/// the conclusion), `envelope` the envelope as served. Every difference is named.
pub fn check_bid(
    tender: &str,
    k: Option<u64>,
    bid: &Value,
    line: Option<&Value>,
    log: &LogFacts,
    envelope_bytes: &[u8],
) -> LineReport {
    let c = bid["commitment"].as_str().unwrap_or_default().to_string();
    let mut r = LineReport {
        n: line.and_then(|l| l["n"].as_i64()),
        bid_id: bid["bid_id"].as_str().unwrap_or_default().into(),
        commitment: c.clone(),
        org_id: bid["org_id"].as_str().unwrap_or_default().into(),
        version: bid["version"].as_u64(),
        status: line.and_then(|l| l["status"].as_str()).map(str::to_string),
        fault: line.and_then(|l| l["fault"].as_str()).map(str::to_string),
        ..LineReport::default()
    };
    let n = r.n;
    let mut mis = Vec::new();
    let mut bad = |what: &'static str, message: String| {
        mis.push(Mismatch { n, what, message });
    };
    let mut ok = Vec::new();
    let mut cannot = Vec::new();

    // The commitment binds the bid to its tender, lot and tenderer (docs/bid-box.md).
    let lot = bid["lot_id"].as_str().unwrap_or_default();
    let salt = hex::decode(bid["salt"].as_str().unwrap_or_default()).unwrap_or_default();
    let mut pre = salt;
    pre.extend_from_slice(format!("{tender}\n{lot}\n{}", r.org_id).as_bytes());
    if sha256_hex(&pre) == c {
        ok.push("commitment opens to this tender, lot and tenderer".to_string());
    } else {
        bad(
            "commitment",
            "the published salt does not open the commitment to this tender, lot and tenderer"
                .into(),
        );
    }
    if let Some(l) = line {
        if l["org_id"] != bid["org_id"] || l["lot_id"] != bid["lot_id"] {
            bad(
                "commitment",
                "the line names another tenderer or lot than the bid with its commitment".into(),
            );
        }
    }

    // The envelope: receipted in the log, never withdrawn, and the bytes served are those.
    let sha = sha256_hex(envelope_bytes);
    match log.received.get(&c) {
        None => bad(
            "not_received",
            "the log has no bid_received entry with this commitment".into(),
        ),
        Some(logged) if *logged != sha => bad(
            "envelope_sha256",
            format!("the envelope served hashes to {sha}, the log receipted {logged}"),
        ),
        Some(_) => ok.push("envelope SHA-256 matches the log's bid_received entry".into()),
    }
    if bid["envelope_sha256"] != json!(sha) {
        bad(
            "envelope_sha256",
            "the envelope's SHA-256 differs from the one the hall lists for the bid".into(),
        );
    }
    if log.withdrawn.contains(&c) {
        bad(
            "withdrawn",
            "the log shows this bid withdrawn, yet it is counted".into(),
        );
    }
    let header = Header::declared_len(envelope_bytes.get(..12).unwrap_or_default())
        .ok()
        .and_then(|len| envelope_bytes.get(..len))
        .and_then(|h| Header::parse(h).ok());
    let Some(header) = header else {
        bad(
            "envelope_header",
            "the envelope's header does not parse".into(),
        );
        return finish(r, ok, cannot, mis);
    };
    let body = &envelope_bytes[header.as_bytes().len()..];
    if header.tender_id() != tender || header.lot_id() != lot || header.tenderer_id() != r.org_id {
        bad(
            "envelope_header",
            "the envelope was not sealed for this tender, lot and tenderer".into(),
        );
    }
    let version = u64::from(header.version());
    r.version = Some(version);
    if bid["version"].as_u64() != Some(version) {
        bad(
            "version",
            format!(
                "the hall lists version {} but the envelope is version {version}",
                bid["version"]
            ),
        );
    }

    // The outcome the log recorded when the hall opened the bid.
    let logged = log.opened.get(&c);
    if let Some(o) = logged {
        if bid["outcome"] != *o {
            bad(
                "record_disagrees_with_log",
                "the hall's list and its log's bid_opened entry record different outcomes".into(),
            );
        }
        let released = bid["released_by"].as_array().map_or(0, Vec::len) as u64;
        if k.is_some_and(|k| released < k) {
            bad(
                "shares",
                format!("an outcome is recorded with only {released} of k shares released"),
            );
        }
    }
    let Some(o) = logged else {
        if line.is_some() {
            bad(
                "no_outcome_logged",
                "the line is announced but the log has no bid_opened entry for this bid".into(),
            );
        } else {
            cannot.push("not opened yet: no outcome recorded".into());
        }
        return finish(r, ok, cannot, mis);
    };

    // What the line should say, from the strongest evidence the public has.
    let none = Value::Null;
    let said = line.unwrap_or(&none);
    let key_hex = said["announced_key"]
        .as_str()
        .or_else(|| o["announced_key"].as_str());
    if said["announced_key"].is_string()
        && o["announced_key"].is_string()
        && said["announced_key"] != o["announced_key"]
    {
        bad(
            "announced_key",
            "the line and the log publish different announced keys".into(),
        );
    }
    let expected = if version == 2 && key_hex.is_some() {
        let key = key_hex
            .and_then(|k| hex::decode(k).ok())
            .and_then(|k| <[u8; 32]>::try_from(k).ok())
            .map(envelope::AnnouncedKey::from_bytes);
        let opened = key
            .ok_or("not 32 bytes of hex".to_string())
            .and_then(|key| {
                envelope::check_announced_key(&header, &key).map_err(|e| e.to_string())?;
                let mut announced = Vec::new();
                let mut rest = body;
                envelope::open_announced(&header, &key, &mut rest, &mut announced)
                    .map_err(|e| format!("the announced segment does not decrypt: {e}"))?;
                Ok(announced)
            });
        match opened {
            Err(e) => {
                bad(
                    "announced_key",
                    format!("the published announced key does not open this envelope: {e}"),
                );
                None
            }
            Ok(announced) => {
                ok.push("announced key matches the signed header's commitment".into());
                match serde_json::from_slice::<Value>(&announced) {
                    Err(_) => {
                        bad(
                            "announced_segment",
                            "the announced segment is not JSON, yet a key was published".into(),
                        );
                        None
                    }
                    Ok(decrypted) => {
                        if o["bid"] != decrypted {
                            bad(
                                "bid_json",
                                "the decrypted bid.json differs from the one the log recorded"
                                    .into(),
                            );
                        } else {
                            ok.push(format!("bid.json {decrypted} matches the log"));
                        }
                        Some(line_of_bid(&decrypted))
                    }
                }
            }
        }
    } else if o["status"] == "opened" {
        if version == 2 {
            bad(
                "announced_key",
                "the log records the version 2 bid opened but publishes no announced key".into(),
            );
        } else {
            cannot.push(
                "version 1 envelope: not re-decryptable by the public (one key opens the whole bid, and released shares are not published); the line is compared with the log's bid_opened entry"
                    .into(),
            );
        }
        Some(line_of_bid(&o["bid"]))
    } else {
        cannot.push(format!(
            "failed as recorded ({}; fault: {}): the public cannot re-check why (the shares that would rebuild the key are not published); the line is compared with the log's bid_opened entry",
            o["reason"].as_str().unwrap_or("?"),
            normalise_fault(&o["fault"]).unwrap_or_else(|| "none".into())
        ));
        Some(
            json!({ "status": "failed", "fault": normalise_fault(&o["fault"]), "reason": o["reason"] }),
        )
    };
    let Some(e) = expected else {
        return finish(r, ok, cannot, mis);
    };
    let Some(line) = line else {
        cannot.push(
            "not announced: the recorded outcome is checked, there is no line to compare".into(),
        );
        return finish(r, ok, cannot, mis);
    };
    let stated = (line["status"].as_str(), normalise_fault(&line["fault"]));
    let want = (
        e["status"].as_str(),
        e["fault"].as_str().map(str::to_string),
    );
    if stated.0 != want.0 {
        bad(
            "outcome",
            match want.0 {
                Some("opened") => format!(
                    "the record calls this bid {} (fault: {}), but it opens: {}",
                    stated.0.unwrap_or("?"),
                    stated.1.as_deref().unwrap_or("none"),
                    if version == 2 && key_hex.is_some() {
                        "its announced segment decrypts to a valid bid.json"
                    } else {
                        "the log recorded it opened with a valid bid.json"
                    }
                ),
                _ => format!(
                    "the record calls this bid {}, but it failed ({}; fault: {})",
                    stated.0.unwrap_or("?"),
                    e["reason"].as_str().unwrap_or("?"),
                    want.1.as_deref().unwrap_or("none")
                ),
            },
        );
    } else if stated.1 != want.1 {
        bad(
            "fault",
            format!(
                "the record blames {}, the evidence {}",
                stated.1.as_deref().unwrap_or("nobody"),
                want.1.as_deref().unwrap_or("nobody")
            ),
        );
    } else if want.0 == Some("opened") {
        let terms = ["price_fen", "duration_days", "quality"];
        let differ: Vec<&str> = terms.into_iter().filter(|t| line[*t] != e[*t]).collect();
        if differ.is_empty() {
            ok.push(format!(
                "the line's terms match bid.json (price_fen {})",
                e["price_fen"]
            ));
        } else {
            bad(
                "terms",
                format!("the line's {} differ from bid.json", differ.join(", ")),
            );
        }
    } else {
        ok.push(format!(
            "failed, with the same party at fault ({}) as the log records",
            want.1.as_deref().unwrap_or("none")
        ));
        if line["reason"] != e["reason"] {
            cannot.push(format!(
                "the reasons are worded differently ({} / {}); the party at fault is the same",
                line["reason"], e["reason"]
            ));
        }
    }
    finish(r, ok, cannot, mis)
}

fn finish(
    mut r: LineReport,
    checked: Vec<String>,
    cannot_check: Vec<String>,
    mismatches: Vec<Mismatch>,
) -> LineReport {
    r.checked = checked;
    r.cannot_check = cannot_check;
    r.mismatches = mismatches;
    r
}

/// The whole verification, as printed (text) or returned (`--json`).
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub tender: String,
    /// Whether the opening is concluded and its signed record was checked.
    pub concluded: bool,
    pub log: Value,
    pub record: Value,
    pub lines: Vec<LineReport>,
    /// Every mismatch, the lines' included, in order.
    pub mismatches: Vec<Mismatch>,
}

async fn get(c: &reqwest::Client, url: &str) -> Result<(reqwest::StatusCode, Value), String> {
    let r = c.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    let status = r.status();
    let body = r.json().await.map_err(|e| format!("{url}: {e}"))?;
    Ok((status, body))
}

async fn get_ok(c: &reqwest::Client, url: &str) -> Result<Value, String> {
    match get(c, url).await? {
        (s, body) if s.is_success() => Ok(body),
        (s, body) => Err(format!("{url}: {s}: {}", body["error"]["message"])),
    }
}

/// Fetches everything and checks it. `log_key` is the key text the caller trusts; `None` takes
/// the one the hall serves at `/api/log/key` (the report says which).
pub async fn run(base: &str, tender: &str, log_key: Option<String>) -> Result<Report, String> {
    let c = reqwest::Client::new();
    let (key_text, key_source) = match log_key {
        Some(k) => (k, "given"),
        None => (
            c.get(format!("{base}/api/log/key"))
                .send()
                .await
                .map_err(|e| e.to_string())?
                .text()
                .await
                .map_err(|e| e.to_string())?,
            "fetched from the hall (/api/log/key): this proves the hall's publications agree with each other; pin the key with --log-key to prove they are the log's",
        ),
    };
    let key = NoteVerifier::parse(key_text.trim()).map_err(|e| format!("log key: {e}"))?;
    let mut mismatches = Vec::new();

    // The log, rebuilt from its entries up to a checkpoint signed now.
    let signed = c
        .post(format!("{base}/api/log/checkpoint"))
        .json(&json!({}))
        .send()
        .await
        .map_err(|e| e.to_string())?
        .json::<Value>()
        .await
        .map_err(|e| e.to_string())?;
    let note_text = signed["note"]
        .as_str()
        .ok_or("the hall signs no checkpoint")?;
    let opened = note::open(note_text, std::slice::from_ref(&key))
        .map_err(|e| format!("the log's checkpoint does not verify with the log key: {e}"))?;
    let cp = Checkpoint::parse(&opened.text).map_err(|e| e.to_string())?;
    let mut tree = MemoryTree::with_capacity(cp.size);
    let mut facts = LogFacts::default();
    let mut after = -1i64;
    while tree.size() < cp.size {
        let page = get_ok(
            &c,
            &format!("{base}/api/log/entries?after={after}&limit=1000"),
        )
        .await?;
        let page = page.as_array().cloned().unwrap_or_default();
        if page.is_empty() {
            break;
        }
        for e in page {
            let index = e["index"].as_i64().unwrap_or(-1);
            if index != tree.size() as i64 || tree.size() >= cp.size {
                break;
            }
            let bytes = B64
                .decode(e["entry_b64"].as_str().unwrap_or_default())
                .map_err(|_| format!("entry {index}: entry_b64 is not base64"))?;
            tree.append_entry(&bytes);
            let entry: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
            facts.add(tender, index as u64, &entry);
            after = index;
        }
    }
    let log_ok = tree.size() == cp.size && tree.root() == cp.root;
    if !log_ok {
        mismatches.push(Mismatch {
            n: None,
            what: "log",
            message: format!(
                "the log's entries do not rebuild the signed checkpoint at size {}",
                cp.size
            ),
        });
    }
    let log = json!({
        "key": key.to_string(), "key_source": key_source, "origin": cp.origin,
        "size": cp.size, "root": hex::encode(cp.root), "rebuilt": log_ok,
    });

    // The public events, each against its opening_event entry.
    let mut events = Vec::new();
    let mut seq = 0i64;
    loop {
        let page = get_ok(
            &c,
            &format!("{base}/api/tenders/{tender}/opening/events?after={seq}&limit=1000"),
        )
        .await?;
        let list = page["events"].as_array().cloned().unwrap_or_default();
        let last = page["last_seq"].as_i64().unwrap_or(seq);
        events.extend(list);
        if last <= seq {
            break;
        }
        seq = last;
    }
    for e in &events {
        let s = e["seq"].as_i64().unwrap_or_default();
        let sha = sha256_hex(&crate::canonical::canonicalize(e));
        match facts.events.get(&s) {
            Some((_, _, logged)) if *logged == sha => {}
            _ => mismatches.push(Mismatch {
                n: None,
                what: "event_not_logged",
                message: format!(
                    "opening event {s} ({}) is not the one the log recorded",
                    e["kind"]
                ),
            }),
        }
    }

    // The signed record, once concluded.
    let (status, report) = get(&c, &format!("{base}/api/tenders/{tender}/opening/report")).await?;
    let concluded = status.is_success();
    let mut k = None;
    let lines: Vec<Value>;
    let record_view = if concluded {
        let record = &report["record"];
        let mut v = json!({ "record_sha256": report["record_sha256"] });
        match crate::opening::record::verify(
            record,
            report["signature"].as_str().unwrap_or_default(),
            &key,
        ) {
            Ok(()) => v["signature"] = "verified".into(),
            Err(e) => mismatches.push(Mismatch {
                n: None,
                what: "record_signature",
                message: format!("the opening record: {e}"),
            }),
        }
        let sha = crate::opening::record::sha256(record);
        if report["record_sha256"] != json!(sha) || record["tender_id"] != tender {
            mismatches.push(Mismatch {
                n: None,
                what: "record_hash",
                message: "the record's SHA-256 or tender is not the one published".into(),
            });
        }
        // The `concluded` event carries the record's hash and signature; the log has its hash.
        match events.iter().find(|e| e["kind"] == "concluded") {
            Some(e)
                if e["body"]["record_sha256"] == json!(sha)
                    && e["body"]["signature"] == report["signature"]
                    && facts
                        .events
                        .get(&e["seq"].as_i64().unwrap_or(-1))
                        .is_some_and(|(_, kind, logged)| {
                            kind == "concluded"
                                && *logged == sha256_hex(&crate::canonical::canonicalize(e))
                        }) =>
            {
                let s = e["seq"].as_i64().unwrap_or_default();
                v["concluded_event"] = json!({ "seq": s, "log_index": facts.events[&s].0 });
            }
            _ => mismatches.push(Mismatch {
                n: None,
                what: "concluded_event",
                message: "no logged `concluded` event carries this record's hash and signature"
                    .into(),
            }),
        }
        k = record["k"].as_u64();
        lines = record["lines"].as_array().cloned().unwrap_or_default();
        v
    } else {
        lines = events
            .iter()
            .filter(|e| e["kind"] == "bid_announced")
            .map(|e| e["body"].clone())
            .collect();
        json!({ "signature": null, "note": "the opening is not concluded: no signed record yet; lines are the announced events" })
    };

    // Every counted bid, against its line.
    let bids = get_ok(&c, &format!("{base}/api/tenders/{tender}/opening/record")).await?;
    let bids = bids.as_array().cloned().unwrap_or_default();
    if concluded && report["record"]["count"].as_u64() != Some(bids.len() as u64) {
        mismatches.push(Mismatch {
            n: None,
            what: "count",
            message: format!(
                "the record counts {} bids, the hall lists {}",
                report["record"]["count"],
                bids.len()
            ),
        });
    }
    let mut reports = Vec::new();
    for b in &bids {
        let id = b["bid_id"].as_str().unwrap_or_default();
        let bytes = c
            .get(format!(
                "{base}/api/tenders/{tender}/opening/envelopes/{id}"
            ))
            .send()
            .await
            .map_err(|e| e.to_string())?
            .bytes()
            .await
            .map_err(|e| e.to_string())?;
        let line = lines.iter().find(|l| l["commitment"] == b["commitment"]);
        let r = check_bid(tender, k, b, line, &facts, &bytes);
        if concluded && line.is_none() {
            mismatches.push(Mismatch {
                n: None,
                what: "missing_line",
                message: format!("bid {id} counts but has no line in the signed record"),
            });
        }
        mismatches.extend(r.mismatches.iter().cloned());
        reports.push(r);
    }
    for l in &lines {
        if !bids.iter().any(|b| b["commitment"] == l["commitment"]) {
            mismatches.push(Mismatch {
                n: l["n"].as_i64(),
                what: "unknown_line",
                message: "the line's commitment is not a bid the hall counts".into(),
            });
        }
    }
    Ok(Report {
        ok: mismatches.is_empty(),
        tender: tender.into(),
        concluded,
        log,
        record: record_view,
        lines: reports,
        mismatches,
    })
}

/// The report as text, one block per line.
pub fn text(r: &Report) -> String {
    let mut out = format!(
        "tender {}: log {} at size {} ({}), key {}\n",
        r.tender,
        r.log["origin"].as_str().unwrap_or("?"),
        r.log["size"],
        if r.log["rebuilt"] == true {
            "every entry rebuilds the signed root"
        } else {
            "does NOT rebuild"
        },
        r.log["key_source"].as_str().unwrap_or("?")
    );
    if r.concluded {
        out.push_str(&format!(
            "signed opening record {}: signature {}\n",
            r.record["record_sha256"].as_str().unwrap_or("?"),
            r.record["signature"].as_str().unwrap_or("NOT verified")
        ));
    } else {
        out.push_str(
            "the opening is not concluded: no signed record yet; lines are compared as announced\n",
        );
    }
    for l in &r.lines {
        let head = match l.n {
            Some(n) => format!("line {n} (bid {})", l.bid_id),
            None => format!("bid {} (not announced)", l.bid_id),
        };
        for m in &l.mismatches {
            out.push_str(&format!("{head}: MISMATCH ({}): {}\n", m.what, m.message));
        }
        for c in &l.checked {
            out.push_str(&format!("{head}: ok: {c}\n"));
        }
        for c in &l.cannot_check {
            out.push_str(&format!("{head}: cannot check: {c}\n"));
        }
    }
    for m in r.mismatches.iter().filter(|m| m.n.is_none()) {
        if !r.lines.iter().any(|l| l.mismatches.contains(m)) {
            out.push_str(&format!("MISMATCH ({}): {}\n", m.what, m.message));
        }
    }
    out
}

#[cfg(test)]
mod tests;
