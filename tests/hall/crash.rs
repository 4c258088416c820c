//! kill -9 during a burst of writes: after a restart every write that was answered is there, the
//! log is consistent with its checkpoints, and nothing unanswered is half-written.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(dir: &std::path::Path, url: &str, port: u16) -> tokio::process::Child {
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", url)
        .env("BIDHALL_DATA_DIR", dir)
        .env("BIDHALL_CHECKPOINT_MS", "100")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let client = reqwest::Client::new();
    for _ in 0..300 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            if r.status() == StatusCode::OK {
                return child;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the server did not become ready");
}

fn registration(i: usize) -> serde_json::Value {
    json!({
        "organisation": { "role": "tenderer", "name": format!("崩溃测试{i}"), "credit_code": format!("91210100MA{i:08}") },
        "user": { "login": format!("crash{i}"), "display_name": "测试", "password": "a long enough password" }
    })
}

#[tokio::test]
async fn a_killed_server_keeps_every_answered_write_and_a_consistent_log() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = fresh_database(dir.path()).await;
    let port = free_port();
    let mut server = start(dir.path(), &url, port).await;
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
    let _server = start(dir.path(), &url, port).await;
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
