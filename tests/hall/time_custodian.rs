//! The time-release custodian as its own process (`bidhall time-custodian serve`,
//! docs/bid-box.md): the hall's nodes ask it over HTTP with a bearer token; it keeps the tender
//! keys, and opens no share before the bid deadline by its own clock, whoever asks.

use crate::common::*;
use bidhall::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::sync::Arc;

const TOKEN: &str = "the-custodian-token-of-this-test";

#[tokio::test]
async fn the_time_custodian_in_its_own_process_keeps_the_keys_and_opens_nothing_before_the_deadline(
) {
    // The custodian's own clock: settable here, the system clock in `bidhall time-custodian serve`.
    let clock = Arc::new(ManualClock::new(ts(START)));
    let (url, identity, dir) = spawn_time_custodian(clock.clone(), Some(TOKEN)).await;

    let app = TestApp::spawn_with(|a| {
        a.time_custodian_url = Some(url.clone());
        a.time_custodian_token = Some(TOKEN.into());
    })
    .await;
    let ready = app
        .client
        .get(format!("{}/readyz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let b = crate::bids::open_box(&app).await;
    // Its identity is the one the hall serves; the tender's key is in its directory, not the node's.
    let served = app.get("/api/time-custodian/key", None).await;
    assert_eq!(served.body["public_key"], identity.as_str());
    assert!(dir.path().join(format!("{}.1.key", b.tender)).exists());
    assert!(!app
        .args
        .time_custodian_dir()
        .join(format!("{}.1.key", b.tender))
        .exists());
    let keys = app
        .get(format!("/api/tenders/{}/custodians", b.tender), None)
        .await;
    let time_key = keys.body.as_array().unwrap()[0].clone();
    assert_eq!(time_key["kind"], "time_release", "{time_key}");
    crate::opening::bids_in(&app, &b, &[Some(1), Some(2), Some(3)], &[]).await;

    // Asked directly before the deadline: without the token, refused; with it, too early.
    let ask = |token: Option<&str>| {
        let mut r = app
            .client
            .post(format!(
                "{url}/v1/tenders/{}/custodians/1/release",
                b.tender
            ))
            .json(&json!({
                "fingerprint": time_key["fingerprint"], "k": 3,
                "custodian_keys": [], "counted": [], "headers": []
            }));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        r.send()
    };
    let r = ask(None).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = ask(Some(TOKEN)).await.unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_early", "{body}");
    assert_eq!(body["error"]["not_before"], json!(b.deadline.millis()));

    // A malformed request is named as one: not a tender id, a body that is not a release.
    for (path, body) in [
        (
            "/v1/tenders/not-a-tender/custodians/1/release".to_string(),
            json!({}),
        ),
        (
            format!("/v1/tenders/{}/custodians/1/release", b.tender),
            json!({ "headers": "none" }),
        ),
    ] {
        let r = app
            .client
            .post(format!("{url}{path}"))
            .bearer_auth(TOKEN)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request", "{body}");
    }

    // The hall's clock reaches the deadline, the custodian's does not: the other custodians
    // release, the box does not open without the time share.
    app.clock.set(b.deadline);
    for (login, index) in [("agent", 2), ("supervisor", 3), ("witness", 4)] {
        let (status, body) = crate::bids::release_as(&app, &b, login, index, false).await;
        assert_eq!(status, StatusCode::OK, "{login}: {body}");
    }
    let phase = || async {
        app.get(format!("/api/tenders/{}/opening", b.tender), None)
            .await
            .body["phase"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(phase().await, "decrypting");

    // The custodian's clock reaches it: its shares come on the next pass and the bids open.
    clock.set(b.deadline);
    let mut now = String::new();
    for _ in 0..100 {
        now = phase().await;
        if now == "announced" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(now, "announced");
    let record = app
        .get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await;
    for line in record.body.as_array().unwrap() {
        assert_eq!(line["outcome"]["status"], "opened", "{line}");
        assert!(line["released_by"].as_array().unwrap().contains(&json!(1)));
    }
}

/// An amendment that moves the deadline later moves the custodian's hold with it: at the old
/// deadline it still opens nothing.
#[tokio::test]
async fn a_deadline_moved_by_an_amendment_moves_the_custodians_hold() {
    let clock = Arc::new(ManualClock::new(ts(START)));
    let (url, _, _dir) = spawn_time_custodian(clock.clone(), None).await;
    let app = TestApp::spawn_with(|a| a.time_custodian_url = Some(url.clone())).await;
    let b = crate::bids::open_box(&app).await;
    let agent = app.sign_in("agent").await;
    let tender = app.get(format!("/api/tenders/{}", b.tender), None).await;
    let later = b.deadline.plus_days(1);
    let r = app
        .post(
            format!("/api/tenders/{}/amendments", b.tender),
            Some(&agent),
            json!({ "version": tender.body["version"], "kind": "amendment", "summary": "延期开标",
                    "body": "投标截止时间顺延一日", "affects_bids": true,
                    "changes": { "bid_deadline": later } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let keys = app
        .get(format!("/api/tenders/{}/custodians", b.tender), None)
        .await;
    clock.set(b.deadline);
    let r = app
        .client
        .post(format!(
            "{url}/v1/tenders/{}/custodians/1/release",
            b.tender
        ))
        .json(&json!({
            "fingerprint": keys.body[0]["fingerprint"], "k": 3,
            "custodian_keys": [], "counted": [], "headers": []
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_early", "{body}");
    assert_eq!(body["error"]["not_before"], json!(later.millis()));
}
