//! kill -9 during a burst of writes: after a restart every write that was answered is there, the
//! log is consistent with its checkpoints, and nothing unanswered is half-written.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A real `bidhall serve` on `port` over `url` and `dir`, with the extra flags and settings given;
/// ready when it returns, killed when dropped.
pub(crate) async fn serve(
    dir: &std::path::Path,
    url: &str,
    port: u16,
    flags: &[&str],
    settings: &[(&str, String)],
) -> tokio::process::Child {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .args(flags)
        .env("DATABASE_URL", url)
        .env("BIDHALL_DATA_DIR", dir)
        .env("RUST_LOG", "warn")
        // the test's own object store, if any, is passed in `settings`
        .env_remove("BIDHALL_OBJECT_STORE")
        .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_ready(&format!("http://127.0.0.1:{port}/readyz")).await;
    child
}

async fn start(args: &bidhall::config::ServeArgs, port: u16) -> tokio::process::Child {
    let mut settings = vec![
        ("BIDHALL_CHECKPOINT_MS", "100".to_string()),
        // the test registers many organisations from one address
        ("BIDHALL_REGISTRATIONS_PER_HOUR", "100000".into()),
    ];
    if let Some(store) = &args.store.object_store {
        settings.push(("BIDHALL_OBJECT_STORE", store.clone()));
    }
    serve(
        &args.store.data_dir,
        &args.store.database_url(),
        port,
        &[],
        &settings,
    )
    .await
}

fn registration(i: usize) -> serde_json::Value {
    json!({
        "organisation": { "role": "tenderer", "name": format!("崩溃测试{i}"), "credit_code": credit_code(&format!("91210100MA{i:07}")) },
        "user": { "login": format!("crash{i}"), "display_name": "测试", "password": "a long enough password" }
    })
}

#[tokio::test]
async fn a_killed_server_keeps_every_answered_write_and_a_consistent_log() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = fresh_database(dir.path()).await;
    let args = bidhall::config::ServeArgs::for_store(bidhall::config::StoreArgs {
        database_url: Some(url.clone()),
        data_dir: dir.path().to_path_buf(),
        object_store: object_store(),
    });
    let port = free_port();
    let mut server = start(&args, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let answered = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..8 {
        let (answered, stop, base) = (answered.clone(), stop.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut i = w;
            while !stop.load(Ordering::Relaxed) {
                match client
                    .post(format!("{base}/api/register"))
                    .json(&registration(i))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == StatusCode::CREATED => answered.lock().unwrap().push(i),
                    Ok(r) => panic!("registration {i} refused: {}", r.status()),
                    Err(_) => break, // the server is gone
                }
                i += 8;
            }
        }));
    }
    while answered.lock().unwrap().len() < 40 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    server.start_kill().unwrap(); // SIGKILL, mid-burst
    server.wait().await.unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.unwrap();
    }
    let answered = answered.lock().unwrap().clone();

    // restart: the self-check passes (or the server would refuse to start)
    let _server = start(&args, port).await;
    let client = reqwest::Client::new();
    for i in &answered {
        let r = client
            .post(format!("{base}/api/session"))
            .json(&json!({ "login": format!("crash{i}"), "password": "a long enough password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "registration {i} was answered but is gone"
        );
    }
    // every entry in the log is a whole registration, and the log proves itself
    let cp: serde_json::Value = client
        .post(format!("{base}/api/log/checkpoint"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let size = cp["size"].as_i64().unwrap();
    assert!(size >= answered.len() as i64);
    let entries: serde_json::Value = client
        .get(format!("{base}/api/log/entries?limit=1000"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(entries.as_array().unwrap().len() as i64, size);
    for e in entries.as_array().unwrap() {
        let name = e["entry"]["payload"]["name"].as_str().unwrap();
        let login = format!("crash{}", name.trim_start_matches("崩溃测试"));
        let r = client
            .post(format!("{base}/api/session"))
            .json(&json!({ "login": login, "password": "a long enough password" }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "logged registration {login} must exist"
        );
    }
}

#[tokio::test]
async fn a_killed_server_keeps_every_receipted_bid_whole_and_openable() {
    use bidhall::sealbox::envelope::{self, Header};
    // Set up a tender with its box open in-process (the hall's clock a little ahead of the real
    // one, which the server process below uses), then hand the same data to a real process.
    let now = bidhall::clock::Clock::now(&bidhall::clock::SystemClock).plus_millis(10 * 60_000);
    let app = TestApp::spawn_at(now, |_| {}).await;
    let b = crate::bids::open_box(&app).await;
    let mut envelopes = Vec::new();
    for i in 0..48 {
        envelopes.push(
            crate::bids::seal(
                &app,
                &b,
                format!("{{\"price_fen\": {}}}", 1000 + i).as_bytes(),
            )
            .await,
        );
    }
    let dir = app.args.store.data_dir.clone();
    app.app.shutdown.cancel();
    let port = free_port();
    let mut server = start(&app.args, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let receipts = Arc::new(Mutex::new(Vec::<String>::new()));
    let queue = Arc::new(Mutex::new(envelopes));
    let mut workers = Vec::new();
    for _ in 0..6 {
        let (receipts, queue, base) = (receipts.clone(), queue.clone(), base.clone());
        let (tender, lot, token) = (b.tender.clone(), b.lot.clone(), b.tenderer.clone());
        workers.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            loop {
                let Some(e) = queue.lock().unwrap().pop() else {
                    break;
                };
                let url = format!("{base}/api/tenders/{tender}/lots/{lot}/bid");
                match client.post(url).bearer_auth(&token).body(e).send().await {
                    Ok(r) if r.status() == StatusCode::CREATED => {
                        let v: serde_json::Value = match r.json().await {
                            Ok(v) => v,
                            Err(_) => break,
                        };
                        receipts
                            .lock()
                            .unwrap()
                            .push(v["envelope_sha256"].as_str().unwrap().to_string());
                    }
                    Ok(r) => panic!("submission refused: {}", r.status()),
                    Err(_) => break,
                }
            }
        }));
    }
    while receipts.lock().unwrap().len() < 12 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.start_kill().unwrap(); // SIGKILL, mid-burst
    server.wait().await.unwrap();
    for w in workers {
        w.await.unwrap();
    }
    let receipted = receipts.lock().unwrap().clone();
    let _server = start(&app.args, port).await;
    let mine: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/tenders/{}/bids/mine", b.tender))
        .bearer_auth(&b.tenderer)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let recorded: Vec<String> = mine
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["envelope_sha256"].as_str().unwrap().to_string())
        .collect();
    for sha in &receipted {
        assert!(
            recorded.contains(sha),
            "receipted bid {sha} is gone after the crash"
        );
    }
    assert_eq!(
        mine.as_array()
            .unwrap()
            .iter()
            .filter(|x| x["state"] == "submitted")
            .count(),
        1,
        "exactly one bid counts"
    );
    // every recorded bid is whole in storage and opens with k keys: the time-release custodian's
    // (from its own directory) and two others
    let time_key = std::fs::read_to_string(
        dir.join("time-custodian")
            .join(format!("{}.1.key", b.tender)),
    )
    .unwrap();
    let time_key = bidhall::sealbox::keys::CustodianPrivateKey::from_key_file(&time_key).unwrap();
    for sha in &recorded {
        let bytes = read_blob(&app.args, sha).await;
        assert_eq!(
            &hex::encode(ring::digest::digest(&ring::digest::SHA256, &bytes)),
            sha,
            "stored whole"
        );
        let header = Header::parse(&bytes[..Header::declared_len(&bytes[..12]).unwrap()]).unwrap();
        let shares = vec![
            envelope::open_share(&header, 1, &time_key).unwrap(),
            envelope::open_share(&header, 2, b.custodian_keys[1].as_ref().unwrap()).unwrap(),
            envelope::open_share(&header, 3, b.custodian_keys[2].as_ref().unwrap()).unwrap(),
        ];
        let key = envelope::rebuild_key(&header, &shares).unwrap();
        let mut out = Vec::new();
        envelope::open_payload(&header, &key, &bytes[header.as_bytes().len()..], &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().contains("price_fen"));
    }
}

/// A real `bidhall serve` whose bank is the separate `bidhall sandbox-bank` at `bank_port`.
async fn start_hall_with_bank(
    dir: &std::path::Path,
    url: &str,
    port: u16,
    bank_port: u16,
) -> tokio::process::Child {
    let settings = [
        ("BIDHALL_BANKS", format!("SBX=http://127.0.0.1:{bank_port}")),
        ("BIDHALL_REFUND_SENDER_MS", "20".into()),
        ("BIDHALL_DRAW_CONDUCTOR_MS", "0".into()),
    ];
    serve(dir, url, port, &[], &settings).await
}

async fn wait_ready(url: &str) {
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client.get(url).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{url} did not become ready");
}

async fn kill(child: &mut tokio::process::Child) {
    child.start_kill().unwrap(); // SIGKILL
    child.wait().await.unwrap();
}

/// Polls `check` (delivery between two processes), giving up after about 30 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..600 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("gave up waiting: {what}");
}

#[tokio::test]
async fn a_hall_killed_while_notifications_and_refunds_are_in_flight_loses_nothing_and_pays_nothing_twice(
) {
    use bidhall::domain::{TenderId, Timestamp};
    // The tender, its tenderers and their sub-accounts are set up in-process on the real time; the
    // in-process hall sends no refunds, so only the real processes below move money.
    let now = bidhall::clock::Clock::now(&bidhall::clock::SystemClock);
    let app = TestApp::spawn_at(now, |a| {
        a.refund_sender_ms = 0;
        a.draw_conductor_ms = 0;
    })
    .await;
    let (id, payers) =
        crate::bonds::tender_with_payers(&app, &["tenderer1", "tenderer2", "tenderer3"]).await;
    let bond = crate::bonds::BOND;
    let subs: Vec<String> = payers.into_iter().map(|(_, sub)| sub).collect();

    let dir = &app.args.store.data_dir;
    let url = app.args.store.database_url();
    let (port, bank_port) = (free_port(), free_port());
    let hall = format!("http://127.0.0.1:{port}");
    let bank = format!("http://127.0.0.1:{bank_port}");
    let _bank = tokio::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
        .args([
            "sandbox-bank",
            "--listen",
            &format!("127.0.0.1:{bank_port}"),
        ])
        .args(["--hall", &hall, "--deliver-ms", "10"])
        .arg("--data-dir")
        .arg(dir)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    wait_ready(&format!("{bank}/")).await;
    let mut server = start_hall_with_bank(dir, &url, port, bank_port).await;

    // Three payers; each pays its bond once and then 19 odd amounts (flagged, refunded later).
    let client = reqwest::Client::new();
    let start = 1_000_000_000_i64;
    let mut payers = Vec::new();
    for i in 0..3 {
        let r: serde_json::Value = client
            .post(format!("{bank}/accounts"))
            .json(&json!({ "name": format!("付款人{i}"), "balance_fen": start }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let account = r["account"].as_str().unwrap().to_owned();
        payers.push((account, r["access_code"].as_str().unwrap().to_owned()));
    }
    let mut sent = 0;
    for round in 0..20 {
        for (i, (payer, code)) in payers.iter().enumerate() {
            let amount = if round == 0 {
                bond
            } else {
                1_000 + round * 10 + i as i64
            };
            let r = client
                .post(format!("{bank}/transfers"))
                .bearer_auth(code)
                .json(&json!({ "from_account": payer, "to_sub_account": subs[i], "amount_fen": amount }))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED);
            sent += 1;
        }
    }
    let tender_id = TenderId::parse(&id).unwrap();
    // The receipts the hall recorded (a flagged payment's refund, instructed as it arrives, is a
    // transaction too, but no receipt).
    let recorded = || async {
        app.app
            .store
            .ledger_transactions(Some(&tender_id))
            .await
            .unwrap()
            .iter()
            .filter(|s| {
                matches!(
                    s.transaction.memo(),
                    bidhall::bonds::ledger::Memo::BondReceived { .. }
                        | bidhall::bonds::ledger::Memo::Unidentified { .. }
                )
            })
            .count()
    };
    // Kill the hall with notifications in flight, then start it again: the bank keeps sending.
    eventually("a first notification", || async { recorded().await >= 1 }).await;
    kill(&mut server).await;
    let at_kill = recorded().await;
    let mut server = start_hall_with_bank(dir, &url, port, bank_port).await;
    eventually("every notification after the restart", || async {
        recorded().await == sent
    })
    .await;
    eprintln!("notifications: {at_kill} of {sent} recorded when the hall was killed");

    // The contract is signed: 60 refunds leave the outbox — the 3 bonds now, and the 57 flagged
    // payments, each instructed as it arrived (or now, for one whose reaction the kill cut off).
    let at =
        Timestamp::from_stored(bidhall::clock::Clock::now(&bidhall::clock::SystemClock).millis());
    let made = bidhall::bonds::service::contract_signed(&app.app, &tender_id, None, at)
        .await
        .unwrap();
    assert!(made.len() >= 3, "{}", made.len());
    assert_eq!(
        app.app.store.refunds(Some(&tender_id)).await.unwrap().len(),
        sent
    );
    let states = || async {
        app.app
            .store
            .refunds(Some(&tender_id))
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.state)
            .collect::<Vec<_>>()
    };
    eventually("a first refund accepted", || async {
        states().await.iter().any(|s| s != "pending")
    })
    .await;
    kill(&mut server).await;
    let pending_at_kill = states().await.iter().filter(|s| *s != "paid").count();
    let _server = start_hall_with_bank(dir, &url, port, bank_port).await;
    eventually("every refund paid after the restart", || async {
        states().await.iter().all(|s| s == "paid")
    })
    .await;
    eprintln!("refunds: {pending_at_kill} of {sent} not yet paid when the hall was killed");

    // Every payer has exactly its money back: nothing lost, nothing paid twice.
    for (payer, code) in &payers {
        let r: serde_json::Value = client
            .get(format!("{bank}/accounts/{payer}"))
            .bearer_auth(code)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["balance_fen"], start, "{r}");
    }
    let ledger = bidhall::bonds::service::tender_ledger_of(&app.app, &tender_id)
        .await
        .unwrap();
    assert_eq!(ledger.trial_balance(), 0);
    assert!(
        ledger.balances().values().all(|b| *b == 0),
        "every bond, suspense and payable account is settled"
    );
}
