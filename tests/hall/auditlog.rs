//! The audit log: every mutation lands one entry; checkpoints, proofs, tiles, receipts and
//! witness cosignatures verify independently of the server; tampering is found.

use crate::common::*;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use bidhall::auditlog::checkpoint::Checkpoint;
use bidhall::auditlog::merkle::{self, Hash};
use bidhall::auditlog::note::{self, NoteVerifier};
use bidhall::auditlog::offline::{self, Receipt};
use bidhall::auditlog::{export, tiles};
use reqwest::StatusCode;
use serde_json::json;

fn hashes(v: &serde_json::Value) -> Vec<Hash> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|h| B64.decode(h.as_str().unwrap()).unwrap().try_into().unwrap())
        .collect()
}

/// Signs a checkpoint now and opens it with the log's published key.
async fn checkpoint(app: &TestApp) -> (Checkpoint, String) {
    let r = app.post("/api/log/checkpoint", None, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let note_text = r.body["note"].as_str().unwrap().to_string();
    let key = log_key(app).await;
    let opened = note::open(&note_text, &[NoteVerifier::parse(key.trim()).unwrap()]).unwrap();
    (Checkpoint::parse(&opened.text).unwrap(), note_text)
}

#[tokio::test]
async fn every_tender_mutation_lands_exactly_one_entry() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let owner = app.sign_in("owner").await;
    let tenderer = app.sign_in("tenderer1").await;
    let agent_org = app.get("/api/me", Some(&agent)).await.body["org_id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut n = app.log_size().await;
    macro_rules! one_entry {
        ($what:expr, $call:expr) => {{
            let r = $call;
            let now = app.log_size().await;
            assert_eq!(
                now,
                n + 1,
                "{} must land exactly one entry ({:?})",
                $what,
                r.body
            );
            n = now;
            r
        }};
    }
    one_entry!(
        "create project",
        app.post(
            "/api/projects",
            Some(&owner),
            json!({ "name": "日志项目", "code": "LOG-1", "agent_org_id": agent_org })
        )
        .await
    );
    let project = app.school_project(&agent).await;
    let spec = app.spec("日志招标").await;
    let t = one_entry!(
        "draft",
        app.post(
            "/api/tenders",
            Some(&agent),
            json!({ "project_id": project, "spec": spec.clone() })
        )
        .await
    );
    let id = t.body["id"].as_str().unwrap().to_string();
    one_entry!(
        "edit",
        app.request(
            reqwest::Method::PUT,
            format!("/api/tenders/{id}"),
            Some(&agent),
            Some(json!({ "version": 1, "spec": spec }))
        )
        .await
    );
    let up = app
        .client
        .post(format!(
            "{}/api/tenders/{id}/documents?name=a.pdf",
            app.base
        ))
        .bearer_auth(&agent)
        .header("content-type", "application/pdf")
        .body("%PDF")
        .send()
        .await
        .unwrap();
    assert_eq!(up.status(), StatusCode::CREATED);
    assert_eq!(app.log_size().await, n + 1, "upload lands one entry");
    n += 1;
    one_entry!(
        "publish",
        app.post(
            format!("/api/tenders/{id}/publish"),
            Some(&agent),
            json!({ "version": 2 })
        )
        .await
    );
    one_entry!("clarify", app.post(format!("/api/tenders/{id}/amendments"), Some(&agent), json!({ "version": 3, "kind": "clarification", "summary": "答疑", "body": "说明", "affects_bids": false })).await);
    one_entry!(
        "obtain",
        app.post(
            format!("/api/tenders/{id}/obtain"),
            Some(&tenderer),
            json!({})
        )
        .await
    );
    one_entry!(
        "cancel",
        app.post(
            format!("/api/tenders/{id}/cancel"),
            Some(&agent),
            json!({ "version": 4, "reason": "测试" })
        )
        .await
    );
    // refused calls land nothing
    let r = app
        .post(
            format!("/api/tenders/{id}/cancel"),
            Some(&agent),
            json!({ "version": 5, "reason": "again" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(app.log_size().await, n);
    // the tender's entries are browsable by tender
    let entries = app.get(format!("/api/log/entries?tender={id}"), None).await;
    let kinds: Vec<&str> = entries
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "tender_drafted",
            "tender_draft_edited",
            "tender_document_uploaded",
            "tender_published",
            "tender_amended",
            "tender_cancelled"
        ]
    );
    // The obtain is a sealed entry: not found by tender, and a tender cancelled before its
    // opening keeps it sealed (法 第二十二条).
    let sealed = app.get(format!("/api/tenders/{id}/log/sealed"), None).await;
    assert_eq!(sealed.code(), "confidential_until_opening");
}

#[tokio::test]
async fn proofs_from_the_api_verify_against_signed_checkpoints() {
    let app = TestApp::spawn().await;
    let (first, _) = checkpoint(&app).await;
    let agent = app.sign_in("agent").await;
    app.publish_tender(&agent, "证明").await;
    let (second, _) = checkpoint(&app).await;
    assert!(second.size > first.size);
    for index in [0, first.size / 2, second.size - 1] {
        let e = app.get(format!("/api/log/entries/{index}"), None).await;
        let entry = B64.decode(e.body["entry_b64"].as_str().unwrap()).unwrap();
        let p = app
            .get(
                format!(
                    "/api/log/proofs/inclusion?index={index}&size={}",
                    second.size
                ),
                None,
            )
            .await;
        assert_eq!(p.status, StatusCode::OK, "{:?}", p.body);
        merkle::verify_inclusion(
            &merkle::leaf_hash(&entry),
            index,
            second.size,
            &hashes(&p.body["hashes"]),
            &second.root,
        )
        .unwrap();
    }
    let c = app
        .get(
            format!(
                "/api/log/proofs/consistency?from={}&to={}",
                first.size, second.size
            ),
            None,
        )
        .await;
    merkle::verify_consistency(
        first.size,
        second.size,
        &first.root,
        &second.root,
        &hashes(&c.body["hashes"]),
    )
    .unwrap();
}

#[tokio::test]
async fn bad_proof_and_tile_requests_get_a_clear_4xx() {
    let app = TestApp::spawn().await;
    let (cp, _) = checkpoint(&app).await;
    let size = cp.size;
    for (path, status) in [
        (
            format!("/api/log/proofs/inclusion?index=0&size={}", size + 10),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/log/proofs/inclusion?index=-1&size={size}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/log/proofs/inclusion?index={size}&size={size}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/log/proofs/inclusion?index=99999999999999999999&size=1".to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/log/proofs/inclusion?index=abc&size=1".to_string(),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("/api/log/proofs/consistency?from={}&to=1", size),
            StatusCode::BAD_REQUEST,
        ),
        ("/api/log/entries/-3".to_string(), StatusCode::BAD_REQUEST),
        (
            "/api/log/entries/123456789".to_string(),
            StatusCode::NOT_FOUND,
        ),
        ("/log/tile/0/x001".to_string(), StatusCode::BAD_REQUEST),
        ("/log/tile/0/000.p/0".to_string(), StatusCode::BAD_REQUEST),
        (
            "/log/tile/entries/000.p/999".to_string(),
            StatusCode::BAD_REQUEST,
        ),
        ("/log/tile/64/000".to_string(), StatusCode::BAD_REQUEST),
        ("/log/tile/0/999".to_string(), StatusCode::NOT_FOUND),
        (
            "/api/log/entries?limit=5000".to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = app.get(&path, None).await;
        assert_eq!(r.status, status, "{path}: {:?}", r.body);
        assert!(
            r.body["error"]["code"].is_string(),
            "{path}: stable error body"
        );
    }
}

#[tokio::test]
async fn tiles_serve_the_tree_and_the_entries_of_the_checkpoint() {
    let app = TestApp::spawn().await;
    let (cp, _) = checkpoint(&app).await;
    assert!(
        cp.size > 0 && cp.size < 256,
        "the demo log fits one partial tile"
    );
    let w = cp.size;
    let tile = app
        .client
        .get(format!("{}/log/tile/0/000.p/{w}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(tile.status(), StatusCode::OK);
    let leaves = tiles::tile_hashes(&tile.bytes().await.unwrap(), w as u16).unwrap();
    let bundle = app
        .client
        .get(format!("{}/log/tile/entries/000.p/{w}", app.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let entries = tiles::decode_bundle(&bundle).unwrap();
    assert_eq!(entries.len() as u64, w);
    let mut tree = merkle::MemoryTree::new();
    for (e, leaf) in entries.iter().zip(&leaves) {
        assert_eq!(&merkle::leaf_hash(e), leaf);
        tree.append_entry(e);
    }
    assert_eq!(
        tree.root(),
        cp.root,
        "a mirror rebuilds the signed root from tiles alone"
    );
}

#[tokio::test]
async fn a_receipt_proves_an_entry_offline_and_a_changed_entry_fails() {
    let app = TestApp::spawn().await;
    let r = app.get("/api/log/receipts/3", None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let receipt: Receipt = serde_json::from_value(r.body).unwrap();
    let key = log_key(&app).await;
    let proven = offline::prove(&receipt, &key).unwrap();
    assert_eq!(proven.index, 3);
    let mut forged = receipt.clone();
    let mut entry = B64.decode(&forged.entry_b64).unwrap();
    entry[10] ^= 1;
    forged.entry_b64 = B64.encode(entry);
    assert!(offline::prove(&forged, &key).is_err());
    let other_key = bidhall::auditlog::note::NoteSigner::generate("bidhall.localhost/log")
        .unwrap()
        .verifier()
        .to_string();
    assert!(
        offline::prove(&receipt, &other_key).is_err(),
        "only the log's key signs its checkpoints"
    );
}

#[tokio::test]
async fn witnesses_cosign_checkpoints_and_strangers_are_refused() {
    let witness = bidhall::auditlog::cosignature::Cosigner::generate("witness.example/w1").unwrap();
    let vkey = witness.verifier().to_string();
    let app = TestApp::spawn_with(|a| a.log.witness_keys = vec![vkey.clone()]).await;
    let (cp, note_text) = checkpoint(&app).await;
    let body = note::parse(&note_text).unwrap().text.to_string();
    let line = witness.cosign(&body, 1_790_000_000).unwrap();
    let r = app
        .post(
            "/api/log/cosignatures",
            None,
            json!({ "size": cp.size, "line": line }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let shown = app
        .client
        .get(format!("{}/log/checkpoint", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains(line.trim_end()),
        "the checkpoint shows its cosignature:\n{shown}"
    );
    let cosigs = bidhall::auditlog::cosignature::verify_note(&shown, &[witness.verifier()]);
    assert!(cosigs.is_ok(), "{cosigs:?}");
    // the export keeps the cosignature, and `log verify --witness-key` checks it offline
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let log_vkey = app.app.log.verifier().to_string();
    offline::export_from_store(app.app.store.clone(), &out, &log_vkey)
        .await
        .unwrap();
    let report = export::verify_with_witnesses(&out, &[witness.verifier()])
        .expect("the exported checkpoint carries the witness's cosignature");
    assert_eq!(report.witnesses[0].largest_size, cp.size);
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
        .args(["log", "verify"])
        .arg(&out)
        .args(["--witness-key", &vkey])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&cli.stdout).to_string();
    assert!(
        cli.status.success() && said.contains("witness witness.example/w1+"),
        "{said}{}",
        String::from_utf8_lossy(&cli.stderr)
    );
    // an unknown witness key
    let stranger =
        bidhall::auditlog::cosignature::Cosigner::generate("stranger.example/w").unwrap();
    let r = app
        .post(
            "/api/log/cosignatures",
            None,
            json!({ "size": cp.size, "line": stranger.cosign(&body, 1).unwrap() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "unknown_witness");
    // the configured witness's name with another key: a key the hall does not know, so 403 too
    // (a witness is its name and key id together), not a bad signature of the known key
    let impostor =
        bidhall::auditlog::cosignature::Cosigner::generate("witness.example/w1").unwrap();
    let r = app
        .post(
            "/api/log/cosignatures",
            None,
            json!({ "size": cp.size, "line": impostor.cosign(&body, 3).unwrap() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert_eq!(r.code(), "unknown_witness");
    // the right witness name over other content
    let other_body = body.replace(&format!("\n{}\n", cp.size), &format!("\n{}\n", cp.size + 1));
    let forged = witness.cosign(&other_body, 2).unwrap();
    let r = app
        .post(
            "/api/log/cosignatures",
            None,
            json!({ "size": cp.size, "line": forged }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(r.code(), "bad_cosignature");
}

#[tokio::test]
async fn an_export_verifies_offline_and_names_the_first_altered_entry() {
    let app = TestApp::spawn().await;
    checkpoint(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let vkey = app.app.log.verifier().to_string();
    let summary = offline::export_from_store(app.app.store.clone(), &out, &vkey)
        .await
        .unwrap();
    let report = export::verify(&out).unwrap();
    assert_eq!(report.entries, summary.entries);
    // alter one byte of entry 5 inside its bundle
    let mut bundle_path = out.join("tile/entries");
    while bundle_path.is_dir() {
        bundle_path = std::fs::read_dir(&bundle_path)
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .path();
    }
    let mut bytes = std::fs::read(&bundle_path).unwrap();
    let entries = tiles::decode_bundle(&bytes).unwrap();
    let offset: usize = entries[..5].iter().map(|e| e.len() + 2).sum::<usize>() + 2 + 3;
    bytes[offset] ^= 0x20;
    std::fs::write(&bundle_path, &bytes).unwrap();
    let err = export::verify(&out).unwrap_err().to_string();
    assert!(err.contains("entry 5"), "{err}");
}

/// Signs two checkpoints, stops the hall, runs `tamper` on its database, and returns why the
/// hall then refuses to start.
async fn refused_after(tamper: &str) -> String {
    let app = TestApp::spawn().await;
    checkpoint(&app).await;
    let agent = app.sign_in("agent").await;
    app.publish_tender(&agent, "篡改检测").await;
    checkpoint(&app).await;
    let args = app.args.clone();
    app.app.shutdown.cancel();
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&args.store.database_url())
        .await
        .unwrap();
    let done = sqlx::query(tamper).execute(&mut c).await.unwrap();
    assert!(done.rows_affected() >= 1, "{tamper} changed nothing");
    drop(c);
    let clock = std::sync::Arc::new(bidhall::clock::ManualClock::new(app.now()));
    match bidhall::server::state(&args, clock).await {
        Ok(_) => panic!("the hall started on a tampered log ({tamper})"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn the_hall_refuses_to_start_on_a_log_rewritten_under_it() {
    let cases = [
        // an entry rewritten
        "UPDATE audit_log SET entry = (SELECT entry FROM audit_log WHERE idx = 1) WHERE idx = 2",
        // an entry pruned
        "DELETE FROM audit_log WHERE idx = (SELECT MAX(idx) FROM audit_log)",
        // a stored tree node replaced
        "UPDATE audit_hashes SET hash = (SELECT hash FROM audit_hashes WHERE level = 0 AND idx = 0) WHERE level = 1 AND idx = 0",
        // an older checkpoint's root rewritten
        "UPDATE audit_checkpoints SET root = (SELECT hash FROM audit_hashes WHERE level = 0 AND idx = 0) WHERE size = (SELECT MIN(size) FROM audit_checkpoints)",
    ];
    for tamper in cases {
        let why = refused_after(tamper).await;
        assert!(why.contains("inconsistent"), "{tamper}: {why}");
    }
}
