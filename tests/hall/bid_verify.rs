//! `bidhall bid verify` on a concluded opening: the signed record, the log and every envelope
//! agree; a hall that rewrites a line and signs the record again is caught, line by line.

use crate::award::conclude_opening;
use crate::common::*;
use crate::opening::bids_in;
use bidhall::domain::TenderId;
use serde_json::{json, Value};

/// Runs `bidhall bid verify --json` with the log key pinned from a file.
async fn verify(app: &TestApp, tender: &str, key: &std::path::Path) -> (bool, Value) {
    let (url, tender, key) = (app.base.clone(), tender.to_string(), key.to_path_buf());
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
            .args(["bid", "verify", "--json", "--tender", &tender, "--log-key"])
            .arg(&key)
            .env("BIDHALL_URL", &url)
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "{e}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )
        });
        (out.status.success(), report)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn bid_verify_checks_a_concluded_opening_and_names_a_line_the_hall_rewrote() {
    let app = TestApp::spawn().await;
    let b = crate::bids::open_box_with(&app, json!({})).await;
    // two honest bids and one whose payload is not a bid archive (failed, the tenderer's fault)
    let mut bidders = bids_in(&app, &b, &[Some(98_000_000), Some(96_000_000), None], &[]).await;
    conclude_opening(&app, &b, &mut bidders).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("log.vkey");
    std::fs::write(&key, format!("{}\n", app.app.log.verifier())).unwrap();

    let (ok, report) = verify(&app, &b.tender, &key).await;
    assert!(ok, "{report:#}");
    assert_eq!(report["concluded"], true);
    assert_eq!(report["record"]["signature"], "verified");
    assert!(report["record"]["concluded_event"]["log_index"].is_u64());
    assert_eq!(report["log"]["rebuilt"], true);
    let lines = report["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3);
    let failed: Vec<&Value> = lines.iter().filter(|l| l["status"] == "failed").collect();
    assert_eq!(failed.len(), 1, "{report:#}");
    assert_eq!(failed[0]["fault"], "tenderer");
    for l in lines {
        // these bids are version 1: the public cannot re-decrypt them, and the report says so
        assert!(
            l["cannot_check"][0]
                .as_str()
                .is_some_and(|c| c.contains("not published")),
            "{l:#}"
        );
    }

    // The operator rewrites line 1 (an honest bid) as failed, the tenderer's fault, rebuilds the
    // record from the events and signs it again with the log's key.
    let tender = TenderId::parse(&b.tender).unwrap();
    let events = bidhall::opening::service::all_events(&app.app, &tender)
        .await
        .unwrap();
    let announced = events
        .iter()
        .find(|e| e.kind == "bid_announced" && e.body["n"] == 1)
        .unwrap();
    assert_eq!(announced.body["status"], "opened");
    let mut body = announced.body.clone();
    for f in ["price_fen", "duration_days", "quality", "announced_key"] {
        body[f] = Value::Null;
    }
    body["status"] = json!("failed");
    body["fault"] = json!("tenderer");
    body["reason"] = json!("the header MAC does not verify");
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&app.args.store.database_url())
        .await
        .unwrap();
    let set_body = |seq: i64, body: Value| {
        sqlx::query("UPDATE opening_events SET body = $1 WHERE tender_id = $2 AND seq = $3")
            .bind(body.to_string())
            .bind(b.tender.clone())
            .bind(seq)
    };
    set_body(announced.seq, body).execute(&mut c).await.unwrap();
    let events = bidhall::opening::service::all_events(&app.app, &tender)
        .await
        .unwrap();
    let end = events.iter().position(|e| e.kind == "concluded").unwrap();
    let t = app.app.store.get_tender(&tender).await.unwrap();
    let record =
        bidhall::opening::record::build(&t, &events[..end], &events[end].at.to_rfc3339()).unwrap();
    let sha = bidhall::opening::record::sha256(&record);
    let signature = bidhall::opening::record::sign(&app.app.log.signer, &b.tender, &sha);
    set_body(
        events[end].seq,
        json!({ "record_sha256": sha, "signature": signature }),
    )
    .execute(&mut c)
    .await
    .unwrap();
    drop(c);
    let served = app
        .get(format!("/api/tenders/{}/opening/report", b.tender), None)
        .await;
    assert_eq!(served.body["record"]["lines"][0]["status"], "failed");

    let (ok, report) = verify(&app, &b.tender, &key).await;
    assert!(!ok, "{report:#}");
    // the signature verifies (the operator holds the key), yet the lie is named: line 1's
    // outcome differs from the log's bid_opened entry, and the rewritten events are not logged
    assert_eq!(report["record"]["signature"], "verified");
    let mismatches = report["mismatches"].as_array().unwrap();
    assert!(
        mismatches.iter().any(|m| m["n"] == 1
            && m["what"] == "outcome"
            && m["message"]
                .as_str()
                .unwrap()
                .contains("calls this bid failed")),
        "{report:#}"
    );
    for what in ["event_not_logged", "concluded_event"] {
        assert!(
            mismatches.iter().any(|m| m["what"] == what),
            "{what}: {report:#}"
        );
    }
    // the other lines still check out
    assert!(
        !mismatches.iter().any(|m| m["n"] == 2 || m["n"] == 3),
        "{report:#}"
    );
}
