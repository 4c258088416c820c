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
    let required = std::env::var("BIDHALL_BROWSER_TEST").is_ok_and(|v| v == "1");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let root = env!("CARGO_MANIFEST_DIR");
    let have = std::path::Path::new(&chromium).exists()
        && std::path::Path::new(&format!("{root}/web/node_modules/playwright-core")).exists();
    if !have {
        assert!(
            !required,
            "BIDHALL_BROWSER_TEST=1 but Chromium or playwright-core is missing"
        );
        eprintln!("skipping {script}: Chromium or web/node_modules/playwright-core missing");
        return;
    }
    // The hall's clock runs ten minutes ahead of the browser's, so every time the script computes
    // from its own now (documents on sale from "now") has begun by the hall's clock.
    let ahead = bidhall::clock::Clock::now(&bidhall::clock::SystemClock).plus_millis(10 * 60_000);
    let app = TestApp::spawn_at(ahead, |_| {}).await;
    std::fs::create_dir_all(format!("{root}/target/browser")).unwrap();
    let shot = format!(
        "{root}/target/browser/{}.png",
        script.trim_end_matches(".mjs")
    );
    let out = tokio::process::Command::new("node")
        .arg(format!("{root}/web/test/browser/{script}"))
        .env("BIDHALL_URL", &app.base)
        .env("BIDHALL_SCREENSHOT", &shot)
        .env("CHROMIUM", &chromium)
        .output()
        .await
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{log}");
    assert!(std::path::Path::new(&shot).exists(), "screenshot saved");
}

#[tokio::test]
async fn an_agent_publishes_a_tender_in_the_browser() {
    browser_flow("publish.mjs").await;
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
        eprintln!("skipping draw.mjs: Chromium or web/node_modules/playwright-core missing");
        return;
    }
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
