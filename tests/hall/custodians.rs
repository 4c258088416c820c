//! Custodians release only what the log counts: the closing list in the log, replacements and
//! withdrawals naming what they supersede, and `bidhall custodian release` refusing — before any
//! release, with the party at fault — a header that is altered, superseded or withdrawn.

use crate::bids::{bid_archive, bid_as, open_box, seal, submit, Box_};
use crate::common::*;
use bidhall::sealbox::envelope::Header;
use reqwest::StatusCode;
use serde_json::{json, Value};

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, bytes))
}

fn header_of(envelope: &[u8]) -> Vec<u8> {
    let len = Header::declared_len(&envelope[..12]).unwrap();
    envelope[..len].to_vec()
}

/// Overwrites the front of a stored envelope with `header` (same length), as a party with
/// access to the hall's storage could.
async fn put_header(app: &TestApp, sha: &str, header: &[u8]) {
    let mut bytes = read_blob(&app.args, sha).await;
    bytes[..header.len()].copy_from_slice(header);
    overwrite_blob(&app.args, sha, &bytes).await;
}

async fn entries_of(app: &TestApp, tender: &str) -> Vec<Value> {
    app.get(format!("/api/log/entries?tender={tender}&limit=1000"), None)
        .await
        .body
        .as_array()
        .unwrap()
        .clone()
}

async fn entry(app: &TestApp, index: &Value) -> Value {
    app.get(format!("/api/log/entries/{index}"), None)
        .await
        .body["entry"]
        .clone()
}

/// The deadline passes and the hall closes the box (the watcher would within a second).
async fn close(app: &TestApp, b: &Box_) {
    app.clock.set(b.deadline);
    bidhall::bids::closing::close_due_boxes(&app.app)
        .await
        .unwrap();
}

struct Run {
    ok: bool,
    summary: Value,
    stderr: String,
}

/// Custodian `index` (signed in as `login`) runs `bidhall custodian release --json`, with the
/// log key pinned from a file.
async fn release_cli(app: &TestApp, b: &Box_, login: &str, index: u8) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("custodian.key");
    let key = b.custodian_keys[usize::from(index) - 1].as_ref().unwrap();
    std::fs::write(&key_file, key.to_key_file().unwrap().as_bytes()).unwrap();
    let log_key_file = dir.path().join("log.vkey");
    std::fs::write(&log_key_file, log_key(app).await).unwrap();
    let token = app.sign_in(login).await;
    let (url, tender) = (app.base.clone(), b.tender.clone());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
            .args(["custodian", "release", "--tender", &tender, "--index"])
            .arg(index.to_string())
            .arg("--key")
            .arg(&key_file)
            .arg("--log-key")
            .arg(&log_key_file)
            .arg("--json")
            .env("BIDHALL_URL", url)
            .env("BIDHALL_TOKEN", token)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    Run {
        ok: out.status.success(),
        summary: serde_json::from_str(stdout.trim()).unwrap_or(Value::Null),
        stderr: String::from_utf8_lossy(&out.stderr).to_string(),
    }
}

/// Which custodians the public record says released a share of the first counted bid.
async fn released_by(app: &TestApp, b: &Box_) -> Value {
    app.get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await
        .body[0]["released_by"]
        .clone()
}

#[tokio::test]
async fn the_closing_lists_every_counted_envelope_in_the_log_with_an_inclusion_proof() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    // tenderer1 bids, then replaces its bid; tenderer2 bids and withdraws; tenderer3 bids
    let first = seal(&app, &b, &bid_archive(100)).await;
    let second = seal(&app, &b, &bid_archive(90)).await;
    let (_, r1) = submit(&app, &b, first.clone(), &b.tenderer).await;
    let (_, r2) = submit(&app, &b, second.clone(), &b.tenderer).await;
    bid_as(&app, &b, "tenderer2", &bid_archive(80)).await;
    let t2 = app.sign_in("tenderer2").await;
    let w = app
        .request(
            reqwest::Method::DELETE,
            format!("/api/tenders/{}/lots/{}/bid", b.tender, b.lot),
            Some(&t2),
            None,
        )
        .await;
    assert_eq!(w.status, StatusCode::OK, "{:?}", w.body);
    bid_as(&app, &b, "tenderer3", &bid_archive(70)).await;

    // the replacement names the envelope it supersedes; the first bid names none
    let received_first = entry(&app, &r1["log_index"]).await;
    assert!(received_first["payload"].get("supersedes").is_none());
    let received_second = entry(&app, &r2["log_index"]).await;
    assert_eq!(
        received_second["payload"]["supersedes"],
        json!({ "commitment": r1["commitment"], "envelope_sha256": r1["envelope_sha256"] })
    );
    assert!(
        received_second.get("tender").is_none(),
        "still no tender before the opening: {received_second}"
    );
    // the withdrawal names the envelope it takes out of the count, by its own commitment
    let withdrawn = entry(&app, &w.body["log_index"]).await;
    assert_eq!(withdrawn["type"], "bid_withdrawn");
    assert_eq!(
        withdrawn["payload"]["supersedes"]["envelope_sha256"],
        w.body["envelope_sha256"]
    );
    assert_eq!(
        withdrawn["payload"]["supersedes"]["commitment"],
        withdrawn["actor"]["commitment"]
    );

    close(&app, &b).await;
    let entries = entries_of(&app, &b.tender).await;
    let closed: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "box_closed")
        .collect();
    assert_eq!(closed.len(), 1);
    let closing = &closed[0]["entry"]["payload"];
    assert_eq!(closing["bids"], 2);
    let lists = closing["envelope_lists"].as_array().unwrap();
    assert_eq!(lists.len(), 1, "two bids fit one list entry");
    // the list entry is in the log: its inclusion proof verifies under a signed checkpoint
    let receipt: bidhall::auditlog::offline::Receipt = serde_json::from_value(
        app.get(format!("/api/log/receipts/{}", lists[0]), None)
            .await
            .body,
    )
    .unwrap();
    let proven = bidhall::auditlog::offline::prove(&receipt, log_key(&app).await.trim())
        .expect("the closing list is proven in the log");
    assert_eq!(proven.entry["type"], "box_closed_envelopes");
    assert_eq!(proven.entry["tender"], b.tender.as_str());
    assert_eq!(proven.entry["payload"]["part"], 1);
    assert_eq!(proven.entry["payload"]["parts"], 1);
    let listed = proven.entry["payload"]["envelopes"].as_array().unwrap();
    // in announcement order, as the opening record numbers them; by commitment, no tenderer
    let record = app
        .get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await
        .body;
    assert_eq!(listed.len(), 2);
    for (i, (l, r)) in listed.iter().zip(record.as_array().unwrap()).enumerate() {
        assert_eq!(l["n"], i + 1);
        assert_eq!(l["bid_id"], r["bid_id"]);
        assert_eq!(l["lot_id"], b.lot.as_str());
        assert_eq!(l["commitment"], r["commitment"]);
        assert_eq!(l["envelope_sha256"], r["envelope_sha256"]);
        let text = l.to_string();
        assert!(!text.contains(r["org_id"].as_str().unwrap()), "{text}");
    }
    assert_eq!(listed[0]["envelope_sha256"], r2["envelope_sha256"]);
    assert_eq!(listed[0]["header_sha256"], sha256_hex(&header_of(&second)));
    let served: Vec<&str> = listed
        .iter()
        .map(|l| l["envelope_sha256"].as_str().unwrap())
        .collect();
    assert!(!served.contains(&r1["envelope_sha256"].as_str().unwrap()));
    assert!(!served.contains(&w.body["envelope_sha256"].as_str().unwrap()));
}

#[tokio::test]
async fn an_honest_custodian_checks_the_log_and_releases() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, &bid_archive(5)).await;
    assert_eq!(
        submit(&app, &b, envelope, &b.tenderer).await.0,
        StatusCode::CREATED
    );
    // two more honest bids, so that the lot has the 3 it needs to be opened (条例44); the
    // custodian releases theirs whatever it refuses for the first
    crate::bids::two_more_bids(&app, &b).await;
    close(&app, &b).await;
    let run = release_cli(&app, &b, "agent", 2).await;
    assert!(run.ok, "{} {}", run.summary, run.stderr);
    assert_eq!(run.summary["released"], 3, "{}", run.summary);
    assert_eq!(run.summary["refused"], 0);
    assert_eq!(run.summary["bids"][0]["status"], "released");
    assert_eq!(run.summary["log_key_from"], "file");
    assert_eq!(released_by(&app, &b).await, json!([1, 2]));
}

#[tokio::test]
async fn a_superseded_or_withdrawn_envelope_served_under_a_counted_bid_is_refused_and_nothing_is_released(
) {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    // tenderer1's first bid is replaced; tenderer2's bid is withdrawn; tenderer1's second counts
    let superseded = seal(&app, &b, &bid_archive(100)).await;
    let counted = seal(&app, &b, &bid_archive(90)).await;
    submit(&app, &b, superseded.clone(), &b.tenderer).await;
    let (_, current) = submit(&app, &b, counted, &b.tenderer).await;
    let current_sha = current["envelope_sha256"].as_str().unwrap().to_string();
    // two more honest bids, so that the lot has the 3 it needs to be opened (条例44); the
    // custodian releases theirs whatever it refuses for the first
    crate::bids::two_more_bids(&app, &b).await;
    close(&app, &b).await;
    // the operator serves the superseded envelope's header under the counted bid's id
    put_header(&app, &current_sha, &header_of(&superseded)).await;
    let run = release_cli(&app, &b, "agent", 2).await;
    assert!(
        !run.ok,
        "a refused bid makes the command fail: {}",
        run.summary
    );
    assert_eq!(run.summary["released"], 2, "{}", run.summary);
    let refused = &run.summary["bids"][0];
    assert_eq!(refused["status"], "refused");
    assert_eq!(refused["code"], "header_not_logged", "{refused}");
    assert_eq!(refused["fault"], "hall");
    assert!(
        !run.stderr.contains("Some("),
        "no debug text: {}",
        run.stderr
    );
    assert_eq!(
        released_by(&app, &b).await,
        json!([1]),
        "only the hall's own custodian released"
    );
}

#[tokio::test]
async fn a_withdrawn_envelope_is_not_opened_when_served_in_place_of_a_counted_one() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let withdrawn = seal(&app, &b, &bid_archive(100)).await;
    submit(&app, &b, withdrawn.clone(), &b.tenderer).await;
    let w = app
        .request(
            reqwest::Method::DELETE,
            format!("/api/tenders/{}/lots/{}/bid", b.tender, b.lot),
            Some(&b.tenderer),
            None,
        )
        .await;
    assert_eq!(w.status, StatusCode::OK);
    let counted = seal(&app, &b, &bid_archive(95)).await;
    let (_, current) = submit(&app, &b, counted, &b.tenderer).await;
    // two more honest bids, so that the lot has the 3 it needs to be opened (条例44); the
    // custodian releases theirs whatever it refuses for the first
    crate::bids::two_more_bids(&app, &b).await;
    close(&app, &b).await;
    put_header(
        &app,
        current["envelope_sha256"].as_str().unwrap(),
        &header_of(&withdrawn),
    )
    .await;
    for (login, index) in [("agent", 2u8), ("supervisor", 3), ("witness", 4)] {
        let run = release_cli(&app, &b, login, index).await;
        assert!(!run.ok);
        assert_eq!(run.summary["bids"][0]["code"], "header_not_logged");
        assert_eq!(run.summary["released"], 2);
    }
    // with only the hall's own share the withdrawn bid stays sealed
    let agent = app.sign_in("agent").await;
    let r = app
        .post(
            format!("/api/tenders/{}/opening/decrypt", b.tender),
            Some(&agent),
            json!({}),
        )
        .await;
    assert_eq!(r.body[0]["status"], "waiting", "{:?}", r.body);
}

/// The byte offsets in a version 1 header of k, payload_len, the MAC and the signature.
fn offsets(header: &[u8]) -> [(&'static str, usize); 4] {
    let h = Header::parse(header).unwrap();
    let ids = h.tender_id().len() + h.lot_id().len() + h.tenderer_id().len();
    let k = 12 + 12 + ids + 16 + 1;
    let len = header.len();
    [
        ("signature", len - 1),
        ("k", k),
        ("payload_len", k + 1 + 4 + 7),
        ("mac", len - 64 - 1),
    ]
}

#[tokio::test]
async fn an_altered_header_is_refused_before_any_release_and_the_tenderer_is_not_blamed() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, &bid_archive(7)).await;
    let (_, r) = submit(&app, &b, envelope.clone(), &b.tenderer).await;
    let sha = r["envelope_sha256"].as_str().unwrap().to_string();
    let genuine = header_of(&envelope);
    // two more honest bids, so that the lot has the 3 it needs to be opened (条例44); the
    // custodian releases theirs whatever it refuses for the first
    crate::bids::two_more_bids(&app, &b).await;
    close(&app, &b).await;
    // altered after the closing (in storage or on the way): not the header the log counts
    for (field, at) in offsets(&genuine) {
        let mut altered = genuine.clone();
        altered[at] ^= 0x01;
        put_header(&app, &sha, &altered).await;
        let run = release_cli(&app, &b, "agent", 2).await;
        assert!(!run.ok, "{field}");
        let bid = &run.summary["bids"][0];
        assert_eq!(bid["code"], "header_not_logged", "{field}: {bid}");
        assert_eq!(bid["fault"], "hall", "{field}: the tenderer is not blamed");
        assert_eq!(run.summary["released"], 2, "{field}");
    }
    assert_eq!(released_by(&app, &b).await, json!([1]), "nothing released");
    // the genuine header again: released
    put_header(&app, &sha, &genuine).await;
    let run = release_cli(&app, &b, "agent", 2).await;
    assert!(run.ok, "{} {}", run.summary, run.stderr);
    assert_eq!(released_by(&app, &b).await, json!([1, 2]));
}

/// Signs a header again with the tenderer's key, as only the tenderer can.
fn resign(header: &mut [u8], pkcs8: &[u8]) {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &rng).unwrap();
    let label = b"bidhall-sealbox/1 signature";
    let len = header.len();
    let mut msg = (label.len() as u32).to_be_bytes().to_vec();
    msg.extend_from_slice(label);
    msg.extend_from_slice(&header[..len - 64]);
    let sig = pair.sign(&rng, &msg).unwrap();
    header[len - 64..].copy_from_slice(sig.as_ref());
}

#[tokio::test]
async fn a_header_altered_before_the_closing_is_the_halls_fault_unless_the_tenderer_signed_it() {
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, &bid_archive(3)).await;
    let (_, r) = submit(&app, &b, envelope.clone(), &b.tenderer).await;
    let sha = r["envelope_sha256"].as_str().unwrap().to_string();
    let genuine = header_of(&envelope);
    let (_, k_at) = offsets(&genuine)[1];
    // k changed in storage before the closing: the list counts it, but the tenderer never signed it
    let mut altered = genuine.clone();
    altered[k_at] = 2;
    put_header(&app, &sha, &altered).await;
    // two more honest bids, so that the lot has the 3 it needs to be opened (条例44); the
    // custodian releases theirs whatever it refuses for the first
    crate::bids::two_more_bids(&app, &b).await;
    close(&app, &b).await;
    let run = release_cli(&app, &b, "agent", 2).await;
    assert!(!run.ok);
    assert_eq!(
        run.summary["bids"][0]["code"], "bad_signature",
        "{}",
        run.summary
    );
    assert_eq!(run.summary["bids"][0]["fault"], "hall");
    assert_eq!(run.summary["released"], 2);
    // the hall's own time-release custodian makes the same checks: it withholds, and says why
    assert_eq!(released_by(&app, &b).await, json!([]));
    assert_eq!(
        withheld(&app, &b).await,
        vec![json!({"code": "bad_signature", "fault": "hall"})]
    );
    // the watcher's later passes do not say it again
    bidhall::opening::service::advance(
        &app.app,
        &bidhall::domain::TenderId::parse(&b.tender).unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(withheld(&app, &b).await.len(), 1);

    // a second box where the tenderer itself signed a header with another k
    let app = TestApp::spawn().await;
    let b = open_box(&app).await;
    let envelope = seal(&app, &b, &bid_archive(3)).await;
    let (_, r) = submit(&app, &b, envelope.clone(), &b.tenderer).await;
    let mut signed = header_of(&envelope);
    signed[k_at] = 2;
    resign(&mut signed, &b.signer_pkcs8);
    put_header(&app, r["envelope_sha256"].as_str().unwrap(), &signed).await;
    crate::bids::two_more_bids(&app, &b).await;
    close(&app, &b).await;
    let run = release_cli(&app, &b, "agent", 2).await;
    assert!(!run.ok);
    assert_eq!(
        run.summary["bids"][0]["code"], "not_sealed_for",
        "{}",
        run.summary
    );
    assert_eq!(run.summary["bids"][0]["fault"], "tenderer");
    assert_eq!(run.summary["released"], 2);
    assert_eq!(
        withheld(&app, &b).await,
        vec![json!({"code": "not_sealed_for", "fault": "tenderer"})]
    );
}

/// The time-release custodian's `share_withheld` entries in the tender's log: code and fault.
async fn withheld(app: &TestApp, b: &Box_) -> Vec<Value> {
    let mut out = Vec::new();
    for e in entries_of(app, &b.tender).await {
        if e["kind"] == "share_withheld" {
            let entry = entry(app, &e["index"]).await;
            assert_eq!(entry["payload"]["by"], "time-release");
            out.push(json!({"code": entry["payload"]["code"], "fault": entry["payload"]["fault"]}));
        }
    }
    out
}

#[tokio::test]
async fn a_wrong_key_file_releases_nothing_and_fails_in_plain_words() {
    let app = TestApp::spawn().await;
    let mut b = open_box(&app).await;
    let envelope = seal(&app, &b, &bid_archive(9)).await;
    submit(&app, &b, envelope, &b.tenderer).await;
    // two more honest bids, so that the lot has the 3 it needs to be opened (条例44); the
    // custodian releases theirs whatever it refuses for the first
    crate::bids::two_more_bids(&app, &b).await;
    close(&app, &b).await;
    // the agent runs the command with the supervisor's key file
    let supervisors = b.custodian_keys[2].as_ref().unwrap().to_key_file().unwrap();
    b.custodian_keys[1] =
        Some(bidhall::sealbox::keys::CustodianPrivateKey::from_key_file(&supervisors).unwrap());
    let run = release_cli(&app, &b, "agent", 2).await;
    assert!(!run.ok);
    assert_eq!(
        run.summary["error"]["code"], "wrong_custodian_key",
        "{}",
        run.summary
    );
    assert_eq!(run.summary["error"]["fault"], "custodian");
    assert!(
        run.stderr
            .contains("not the key registered for custodian 2"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("Custodian("),
        "no debug text: {}",
        run.stderr
    );
    assert_eq!(released_by(&app, &b).await, json!([1]));
}
