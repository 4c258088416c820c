//! The web pages render, in Chinese by default and English on request, and the browser flow runs
//! in Chromium when it is installed (CI installs it and sets BIDHALL_BROWSER_TEST=1, which makes
//! a missing browser a failure rather than a skip).

use crate::common::*;
use reqwest::StatusCode;

#[tokio::test]
async fn the_board_renders_in_chinese_and_switches_to_english() {
    let app = TestApp::spawn().await;
    let zh = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(zh.status(), StatusCode::OK);
    let zh = zh.text().await.unwrap();
    assert!(zh.contains("教学楼改造"), "demo notices are listed");
    assert!(zh.contains("lang=\"zh-CN\""));
    let en = app
        .client
        .get(format!("{}/?lang=en", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("lang=\"en\""));
}

#[tokio::test]
async fn the_workspace_sends_strangers_to_sign_in() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(format!("{}/workspace", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/signin"));
}

/// Runs a browser script from web/test/browser against a fresh demo hall on the real clock (the
/// page computes dates from the browser's now); saves its screenshot under target/browser/.
async fn browser_flow(script: &str) {
    let Some(chromium) = chromium_for(script) else {
        return;
    };
    // The hall's clock runs ten minutes ahead of the browser's, so every time the script computes
    // from its own now (documents on sale from "now") has begun by the hall's clock.
    let ahead = bidhall::clock::Clock::now(&bidhall::clock::SystemClock).plus_millis(10 * 60_000);
    let app = TestApp::spawn_at(ahead, |_| {}).await;
    let shot = script.trim_end_matches(".mjs");
    run_browser_script(&chromium, script, shot, &app.base, &[], 600).await;
}

#[tokio::test]
async fn an_agent_publishes_a_tender_in_the_browser() {
    browser_flow("publish.mjs").await;
}

#[tokio::test]
async fn a_tenderer_asks_for_its_sub_account_and_the_platform_reconciles_in_the_browser() {
    browser_flow("bonds.mjs").await;
}

#[tokio::test]
async fn an_auditor_verifies_entries_in_the_browser() {
    browser_flow("audit.mjs").await;
}

#[tokio::test]
async fn custodians_register_keys_and_a_tenderer_seals_a_bid_in_the_browser() {
    browser_flow("seal.mjs").await;
}

/// An owner announces an agent draw from the workspace form; the owner, the platform and the
/// supervisor commit and reveal from three browsers; the hall's clock is moved when the script asks
/// (never by waiting); the result shows, the page re-runs the transcript, and so does the Rust
/// verifier here.
#[tokio::test]
async fn an_owner_runs_an_agent_draw_with_the_supervisor_as_witness_in_the_browser() {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let Some(chromium) = chromium_for("draw.mjs") else {
        return;
    };
    let root = env!("CARGO_MANIFEST_DIR");
    let app = TestApp::spawn().await;
    let agents = app.three_agents().await;
    std::fs::create_dir_all(format!("{root}/target/browser")).unwrap();
    let shot = format!("{root}/target/browser/draw.png");
    let mut child = tokio::process::Command::new("node")
        .arg(format!("{root}/web/test/browser/draw.mjs"))
        .env("BIDHALL_URL", &app.base)
        .env("BIDHALL_SCREENSHOT", &shot)
        .env("CHROMIUM", &chromium)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut log, mut draw) = (String::new(), None);
    while let Some(line) = out.next_line().await.unwrap() {
        if let Some(ms) = line.strip_prefix("@@advance ") {
            app.clock.advance_millis(ms.parse().unwrap());
            stdin.write_all(b"ok\n").await.unwrap();
        } else if let Some(id) = line.strip_prefix("@@draw ") {
            draw = Some(id.to_string());
        }
        log.push_str(&line);
        log.push('\n');
    }
    let done = child.wait_with_output().await.unwrap();
    log.push_str(&String::from_utf8_lossy(&done.stderr));
    assert!(done.status.success(), "draw.mjs failed:\n{log}");
    assert!(std::path::Path::new(&shot).exists(), "screenshot saved");

    // The transcript the page verified verifies with the Rust verifier too, with three reveals.
    let draw = draw.expect("the script names its draw");
    let r = app
        .client
        .get(format!("{}/api/draws/{draw}/transcript", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let verified = bidhall::draws::verify_json(&bytes).expect("the transcript verifies");
    let t: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(t["reveals"].as_array().unwrap().len(), 3);
    let supervisor = app.org_id("supervisor", "住房").await;
    assert!(t["parties"]
        .as_array()
        .unwrap()
        .contains(&supervisor.into()));
    match verified.outcome {
        bidhall::draws::DrawOutcome::Completed { selected, .. } => {
            assert_eq!(selected.len(), 1);
            assert!(agents.contains(&selected[0]));
        }
        other => panic!("{other:?}"),
    }
}

/// The live opening watched in four browsers — the supervisor, the host, a tenderer and the public —
/// from the lobby to the signed record. Three tenderers have sealed bids from Rust; the script asks
/// (`@@ step` on its stdout, `ok` on its stdin) when the hall's clock should reach the deadline or
/// the end of the confirmation window, and when the agent and the supervisor release their shares.
#[tokio::test]
async fn an_opening_is_watched_live_to_its_record_in_the_browser() {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

    let required = std::env::var("BIDHALL_BROWSER_TEST").is_ok_and(|v| v == "1");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let root = env!("CARGO_MANIFEST_DIR");
    if !(std::path::Path::new(&chromium).exists()
        && std::path::Path::new(&format!("{root}/web/node_modules/playwright-core")).exists())
    {
        assert!(
            !required,
            "BIDHALL_BROWSER_TEST=1 but Chromium or playwright-core is missing"
        );
        eprintln!("skipping opening.mjs: Chromium or web/node_modules/playwright-core missing");
        return;
    }
    let app = TestApp::spawn().await;
    let b = crate::bids::open_box(&app).await;
    // Two bids open; the third's bid.json is not JSON, so it is announced with its reason and the
    // tenderer at fault.
    let mut unreadable = bidhall::sealbox::tar::TarWriter::new(Vec::new());
    unreadable.append("bid.json", 9, &b"not json!"[..]).unwrap();
    for (login, payload) in [
        ("tenderer1", crate::bids::bid_archive(98_765_400)),
        ("tenderer2", crate::bids::bid_archive(99_120_000)),
        ("tenderer3", unreadable.finish().unwrap()),
    ] {
        crate::bids::bid_as(&app, &b, login, &payload).await;
    }
    // The finance desk records tenderer1's bond; the others' stay missing.
    let platform = app.sign_in("platform").await;
    let bond = app
        .post(
            format!("/api/tenders/{}/bonds", b.tender),
            Some(&platform),
            serde_json::json!({ "lot_id": b.lot, "org_id": b.tenderer_org, "amount_fen": 2_000_000, "reference": "BANK-0001" }),
        )
        .await;
    assert_eq!(bond.status, StatusCode::CREATED, "{:?}", bond.body);
    // The lobby is open: ten minutes before the deadline.
    app.clock.set(b.deadline.plus_millis(-10 * 60_000));

    std::fs::create_dir_all(format!("{root}/target/browser")).unwrap();
    let shot = format!("{root}/target/browser/opening.png");
    let mut child = tokio::process::Command::new("node")
        .arg(format!("{root}/web/test/browser/opening.mjs"))
        .env("BIDHALL_URL", &app.base)
        .env("BIDHALL_TENDER", &b.tender)
        .env("BIDHALL_SCREENSHOT", &shot)
        .env(
            "BIDHALL_SCREENSHOT_REPORT",
            format!("{root}/target/browser/opening-report.png"),
        )
        .env("CHROMIUM", &chromium)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stderr = child.stderr.take().unwrap();
    let errors = tokio::spawn(async move {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s).await;
        s
    });
    let mut log = String::new();
    let drive = async {
        while let Some(line) = lines.next_line().await.unwrap() {
            log.push_str(&line);
            log.push('\n');
            let Some(step) = line.strip_prefix("@@ ") else {
                continue;
            };
            match step {
                "deadline" => app.clock.set(b.deadline),
                "release" => {
                    for (login, index) in [("agent", 2), ("supervisor", 3), ("witness", 4)] {
                        let (status, body) =
                            crate::bids::release_as(&app, &b, login, index, false).await;
                        assert_eq!(status, StatusCode::OK, "{login}: {body}");
                    }
                }
                "window_end" => {
                    let agent = app.sign_in("agent").await;
                    let state = app
                        .get(format!("/api/tenders/{}/opening", b.tender), Some(&agent))
                        .await;
                    let until = ts(state.body["confirmation_until"].as_str().unwrap());
                    app.clock.set(until.plus_millis(1));
                }
                other => panic!("the script asked for {other:?}"),
            }
            stdin.write_all(b"ok\n").await.unwrap();
            stdin.flush().await.unwrap();
        }
    };
    let finished = tokio::time::timeout(std::time::Duration::from_secs(300), drive).await;
    if finished.is_err() {
        let _ = child.kill().await;
    }
    let status = child.wait().await.unwrap();
    let log = format!("{log}\n{}", errors.await.unwrap());
    if std::env::var("TEST_LOG").is_ok() {
        eprintln!("{log}");
    }
    assert!(finished.is_ok(), "opening.mjs timed out:\n{log}");
    assert!(status.success(), "opening.mjs failed:\n{log}");
    assert!(std::path::Path::new(&shot).exists(), "screenshot saved");
}

/// The bond pages and the trading centre's ledger, as the tenderers, the tender's agent and the
/// platform are served them, speak Chinese: amounts in yuan, times in Beijing time, each bond's
/// own deadline beside it, states, reasons and an unreadable statement in words.
#[tokio::test]
async fn the_bond_pages_and_the_ledger_speak_chinese_to_each_role() {
    use crate::bonds::{past_the_deadline, pay, tender_with_payers, BOND};
    let app = TestApp::spawn_with(|a| {
        a.refund_sender_ms = 0;
        a.opening_watcher_ms = 0;
    })
    .await;
    let (id, payers) = tender_with_payers(&app, &["tenderer1", "tenderer2"]).await;
    for (txn, sub, fen) in [
        ("SBXZ0001", payers[0].1.as_str(), BOND),
        ("SBXZ0002", payers[1].1.as_str(), BOND - 1),
        ("SBXZ0003", "8801000000000000", 12_345),
    ] {
        assert_eq!(pay(&app, txn, sub, fen).await.status, StatusCode::OK);
    }
    let page = |path: String, token: String| {
        let app = &app;
        async move {
            let r = app.get(&path, Some(&token)).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            let html = r.body.as_str().unwrap().to_owned();
            assert_speaks_chinese(&path, &html);
            html
        }
    };
    let bond = format!("/tenders/{id}/bond");
    let paid = page(bond.clone(), payers[0].0.clone()).await;
    assert!(paid.contains("¥20,000.00") && paid.contains("投标截止时间前到账："));
    let short = page(bond, payers[1].0.clone()).await;
    assert!(short.contains("金额不足") && short.contains("¥19,999.99"));

    let platform = app.sign_in("platform").await;
    let ledger = page("/ledger".into(), platform.clone()).await;
    assert!(ledger.contains("SBXZ0003") && ledger.contains("¥123.45"));
    for statement in ["not a statement", "{\"bank\": \"SBX\"", "{\"bank\": 1}"] {
        let r = app
            .client
            .post(format!("{}/ledger", app.base))
            .bearer_auth(&platform)
            .form(&[("statement", statement)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        assert_speaks_chinese("the ledger with an unreadable statement", &html);
        assert!(
            html.contains("对账单无法读取") && html.contains("行第"),
            "{statement}"
        );
    }

    past_the_deadline(&app, &id).await;
    let agent = app.sign_in("agent").await;
    let bonds = page(format!("/tenders/{id}/bonds"), agent).await;
    assert!(bonds.contains("辽宁华建建设集团有限公司") && bonds.contains("金额不足"));
}
