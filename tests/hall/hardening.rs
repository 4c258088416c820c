//! Against the open internet: a request that carries the hall's cookies must come from the hall's
//! own pages, and every answer carries the security headers (docs/api.md, "Browsers").

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

/// Signs in as a browser would and returns the session cookie.
async fn cookie(app: &TestApp, login: &str) -> String {
    let r = app
        .client
        .post(format!("{}/api/session", app.base))
        .json(&json!({ "login": login, "password": bidhall::demo::password() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let set = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    set.split(';').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_cookie_borne_post_from_another_origin_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "跨站请求").await;
    let id = t["id"].as_str().unwrap();
    let session = cookie(&app, "tenderer1").await;
    let obtain = format!("{}/api/tenders/{id}/obtain", app.base);
    // A form on evil.example posts to the hall with the tenderer's cookie.
    for (origin, site) in [
        (Some("http://evil.example"), Some("cross-site")),
        (Some("http://sub.127.0.0.1.nip.io"), Some("same-site")),
        (None, None),
    ] {
        let mut req = app
            .client
            .post(&obtain)
            .header("cookie", &session)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("");
        if let Some(o) = origin {
            req = req.header("origin", o);
        }
        if let Some(s) = site {
            req = req.header("sec-fetch-site", s);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{origin:?}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "cross_site_request");
    }
    let platform = app.sign_in("platform").await;
    let obtainers = app
        .get(format!("/api/tenders/{id}/obtainers"), Some(&platform))
        .await;
    assert_eq!(obtainers.body, json!([]), "nothing was obtained");
    // From the hall's own page it works.
    let r = app
        .client
        .post(&obtain)
        .header("cookie", &session)
        .header("origin", &app.base)
        .header("sec-fetch-site", "same-origin")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // An API client with a bearer token is not a browser: no Origin needed.
    let tenderer2 = app.sign_in("tenderer2").await;
    let r = app
        .client
        .post(&obtain)
        .bearer_auth(&tenderer2)
        .header("origin", "http://evil.example")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_opening_s_websocket_refuses_another_origin_with_the_cookie() {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "跨站套接字").await;
    let session = cookie(&app, "agent").await;
    let url = format!(
        "{}/api/tenders/{}/opening/ws?after=0",
        app.base.replace("http://", "ws://"),
        t["id"].as_str().unwrap()
    );
    let with = |origin: String| {
        let mut req = url.clone().into_client_request().unwrap();
        req.headers_mut().insert("cookie", session.parse().unwrap());
        req.headers_mut().insert("origin", origin.parse().unwrap());
        req
    };
    let refused = tokio_tungstenite::connect_async(with("http://evil.example".into())).await;
    assert!(
        refused.is_err(),
        "a cross-site page opened the host's socket"
    );
    let ok = tokio_tungstenite::connect_async(with(app.base.clone())).await;
    assert!(ok.is_ok(), "{:?}", ok.err());
}

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let app = TestApp::spawn().await;
    for path in ["/", "/api/notices", "/api/nothing-here", "/signin"] {
        let r = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
            "{path}: {csp}"
        );
    }
    // A token's answer is never cached.
    let r = app
        .client
        .post(format!("{}/api/session", app.base))
        .json(&json!({ "login": "agent", "password": bidhall::demo::password() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_login_with_retry_after_on_the_hall_s_clock() {
    let app = TestApp::spawn().await;
    let attempt = |password: String| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/api/session", app.base))
                .json(&json!({ "login": "agent", "password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("wrong-password-1".into()).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Locked: even the right password is not looked at.
    let r = attempt(bidhall::demo::password()).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.headers()["retry-after"], "60");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_attempts");
    // Another account is not locked by them.
    assert!(app.sign_in("owner").await.len() > 10);
    // After the minute, the right password works.
    app.clock.advance_millis(61 * 1000);
    assert_eq!(
        attempt(bidhall::demo::password()).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn one_address_self_registers_at_most_five_organisations_an_hour() {
    let app = TestApp::spawn().await;
    let register = |n: u32| {
        let app = &app;
        async move {
            app.post(
                "/api/register",
                None,
                json!({
                    "organisation": { "role": "tenderer", "name": format!("自注册{n}建设有限公司"), "credit_code": credit_code(&format!("91210100MA0Y5{n:04}")), "region": "沈阳市" },
                    "user": { "login": format!("selfreg{n}"), "display_name": "自注册", "password": bidhall::demo::password() }
                }),
            )
            .await
        }
    };
    for n in 0..5 {
        let r = register(n).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    let size = app.log_size().await;
    let r = register(5).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts")
    );
    assert_eq!(
        app.log_size().await,
        size,
        "a refused registration writes nothing"
    );
    app.clock.advance_millis(60 * 60 * 1000);
    assert_eq!(register(5).await.status, StatusCode::CREATED);
}

/// A NUL reached PostgreSQL and came back as a 503 (on SQLite `?q=%00` listed every notice).
#[tokio::test]
async fn a_nul_in_the_address_or_in_a_body_is_refused_with_invalid_field_on_both_backends() {
    let app = TestApp::spawn().await;
    for path in ["/api/notices?q=%00", "/api/draws/x%00y", "/api/tenders/%00"] {
        let r = app.get(path, None).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field"),
            "{path}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["details"]["rule"], "control_character");
    }
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "空字符").await;
    let platform = app.sign_in("platform").await;
    let size = app.log_size().await;
    let r = app
        .post(
            format!("/api/tenders/{}/bonds", t["id"].as_str().unwrap()),
            Some(&platform),
            json!({ "lot_id": t["spec"]["lots"][0]["id"], "org_id": "x", "amount_fen": 1, "reference": "R-\u{0}" }),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
    );
    assert_eq!(app.log_size().await, size);
}

/// docs/api.md: a token that is present but unknown is refused even where the public may read, so a
/// stale client never silently acts as the public (it was ignored on the notice board and others).
#[tokio::test]
async fn an_unknown_bearer_token_is_refused_on_every_api_route_even_public_ones() {
    let app = TestApp::spawn().await;
    let forged = format!("bh_{}", "A".repeat(43));
    for path in [
        "/api/notices",
        "/api/log/entries",
        "/api/draws",
        "/api/registry/rules",
        "/api/time-custodian/key",
    ] {
        assert_eq!(app.get(path, None).await.status, StatusCode::OK, "{path}");
        for bad in [forged.as_str(), "not-a-token"] {
            let r = app.get(path, Some(bad)).await;
            assert_eq!(
                (r.status, r.code()),
                (StatusCode::UNAUTHORIZED, "unauthenticated"),
                "{path}"
            );
        }
        let good = app.sign_in("tenderer1").await;
        assert_eq!(
            app.get(path, Some(&good)).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

/// A name that reads like another company's, through invisible or direction-changing characters,
/// is refused with the field and the rule.
#[tokio::test]
async fn a_name_with_invisible_or_bidi_characters_is_refused() {
    let app = TestApp::spawn().await;
    for (i, name) in [
        "华建\u{200B}集团有限公司",
        "\u{202E}司公限有团集建华",
        "\u{FEFF}华建集团有限公司",
    ]
    .iter()
    .enumerate()
    {
        let r = app
            .post(
                "/api/register",
                None,
                json!({
                    "organisation": { "role": "tenderer", "name": name, "credit_code": credit_code(&format!("91210100MA0Y6{i:04}")), "region": "沈阳市" },
                    "user": { "login": format!("spoof{i}"), "display_name": "张三", "password": bidhall::demo::password() }
                }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name:?}: {:?}",
            r.body
        );
        assert_eq!(
            r.body["error"]["details"]["rule"], "invisible_character",
            "{:?}",
            r.body
        );
    }
}

/// `1234567890` passed the length check; a password made of the login or the company's name too.
#[tokio::test]
async fn a_new_account_s_password_may_not_be_common_trivial_or_its_own_name() {
    let app = TestApp::spawn().await;
    for (i, (login, password)) in [
        ("weak1", "1234567890"),
        ("weak2", "password123"),
        ("zhangsan2027", "zhangsan2027!"),
    ]
    .iter()
    .enumerate()
    {
        let r = app
            .post(
                "/api/register",
                None,
                json!({
                    "organisation": { "role": "tenderer", "name": format!("弱口令{i}有限公司"), "credit_code": credit_code(&format!("91210100MA0Y4{i:04}")), "region": "沈阳市" },
                    "user": { "login": login, "display_name": "张三", "password": password }
                }),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{password}: {:?}",
            r.body
        );
        assert_eq!(
            r.body["error"]["details"]["rule"], "weak_password",
            "{password}"
        );
    }
}

/// Connects to the hall with a raw socket (reqwest cannot send half a request).
async fn raw(app: &TestApp) -> tokio::net::TcpStream {
    tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Reads until the hall closes the connection (or `limit` passes) and says what arrived and when
/// the connection closed, if it did.
async fn until_closed(
    s: &mut tokio::net::TcpStream,
    limit: std::time::Duration,
) -> (String, Option<std::time::Duration>) {
    use tokio::io::AsyncReadExt;
    let start = std::time::Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(start.elapsed());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), None),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(start.elapsed()),
                )
            }
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn ms(n: u64) -> std::time::Duration {
    std::time::Duration::from_millis(n)
}

/// Found: a client that sent half a header line and stopped was held for 70 s and more.
#[tokio::test]
async fn a_client_that_stops_halfway_through_its_request_head_is_disconnected() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(|a| {
        a.header_timeout_ms = 300;
        a.idle_timeout_ms = 30_000;
    })
    .await;
    let mut s = raw(&app).await;
    s.write_all(b"GET /api/notices HTTP/1.1\r\nHost: hall\r\nAccept: appl")
        .await
        .unwrap();
    let (got, closed) = until_closed(&mut s, ms(5_000)).await;
    let closed = closed.expect("the half-sent request was still held after 5 s");
    assert!(closed >= ms(250) && closed < ms(3_000), "{closed:?}");
    assert!(got.is_empty(), "no answer to half a request: {got}");
    // A whole request on a fresh connection is answered as before.
    assert_eq!(app.get("/api/notices", None).await.status, StatusCode::OK);
}

/// Found: an idle connection was held for 70 s and more. The idle bound is its own: a kept-alive
/// connection is closed after it even though the header bound is longer.
#[tokio::test]
async fn a_kept_alive_connection_that_stays_idle_is_closed() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|a| {
        a.header_timeout_ms = 30_000;
        a.idle_timeout_ms = 300;
    })
    .await;
    let mut s = raw(&app).await;
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: hall\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = s.read(&mut buf).await.unwrap();
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with("ok"),
        "the whole answer in one read: {answer}"
    );
    let (_, closed) = until_closed(&mut s, ms(5_000)).await;
    let closed = closed.expect("the idle connection was still open after 5 s");
    assert!(closed >= ms(250) && closed < ms(3_000), "{closed:?}");
    // A connection that never sends anything is idle too.
    let mut silent = raw(&app).await;
    let (_, closed) = until_closed(&mut silent, ms(5_000)).await;
    assert!(closed.is_some_and(|c| c < ms(3_000)), "{closed:?}");
}

/// Found: a 1 MB body sent a byte every 5 s was held for 70 s and more. A body that trickles, or
/// stalls, is answered 408 in the house's error body and the connection closed.
#[tokio::test]
async fn a_request_body_that_trickles_or_stalls_is_cut_off_with_408() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(|a| {
        a.body_timeout_ms = 300;
        a.body_min_bytes_per_second = 100;
    })
    .await;
    let head = "POST /api/session HTTP/1.1\r\nHost: hall\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n";
    // A byte every 100 ms: never a 300 ms pause, but far below 100 bytes a second.
    let mut s = raw(&app).await;
    s.write_all(head.as_bytes()).await.unwrap();
    let start = std::time::Instant::now();
    let (mut r, mut w) = s.into_split();
    let trickle = tokio::spawn(async move {
        for b in b"{\"login\": \"agent\", \"password\": \""
            .iter()
            .cycle()
            .take(1000)
        {
            if w.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(ms(100)).await;
        }
    });
    let mut got = Vec::new();
    let _ = tokio::time::timeout(
        ms(10_000),
        tokio::io::AsyncReadExt::read_to_end(&mut r, &mut got),
    )
    .await;
    let took = start.elapsed();
    trickle.abort();
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 408"), "after {took:?}: {got}");
    assert!(took < ms(5_000), "{took:?}");
    assert!(got.contains("\"code\":\"request_timeout\""), "{got}");
    assert!(
        got.to_ascii_lowercase().contains("connection: close"),
        "{got}"
    );
    // A body that stops halfway.
    let mut s = raw(&app).await;
    s.write_all(format!("{head}{{\"login\": \"ag").as_bytes())
        .await
        .unwrap();
    let (got, closed) = until_closed(&mut s, ms(5_000)).await;
    assert!(
        closed.is_some(),
        "the stalled body was still held after 5 s"
    );
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    assert!(got.contains("\"code\":\"request_timeout\""), "{got}");
    // A body sent at once is taken as before.
    assert!(app.sign_in("agent").await.len() > 10);
}

/// Connections beyond the cap wait until one closes instead of being served.
#[tokio::test]
async fn connections_beyond_the_cap_wait_for_one_to_close() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(|a| {
        a.max_connections = 2;
        // Nothing of the hall's own may call it over HTTP meanwhile (the sandbox bank's refunds).
        a.refund_sender_ms = 0;
    })
    .await;
    let first = raw(&app).await;
    let _second = raw(&app).await;
    let mut third = raw(&app).await;
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: hall\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (got, closed) = until_closed(&mut third, ms(500)).await;
    assert!(
        got.is_empty() && closed.is_none(),
        "a third connection was served: {got}"
    );
    drop(first);
    let (got, closed) = until_closed(&mut third, ms(5_000)).await;
    assert!(got.starts_with("HTTP/1.1 200"), "{got}");
    assert!(closed.is_some());
}

/// 《电子招标投标办法》: the time, network address and person of every step. Every write of a
/// signed-in user is recorded (refused ones too), outside the public audit log, and only the
/// tender's supervisor (from the deadline on, 法22) and the trading centre may read the record.
#[tokio::test]
async fn every_write_is_recorded_with_time_person_and_address_for_the_supervisor_and_the_centre() {
    let app = TestApp::spawn_with(|a| a.trusted_proxy = Some("127.0.0.1".parse().unwrap())).await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "操作留痕").await;
    let id = t["id"].as_str().unwrap().to_owned();
    let record = format!("/api/tenders/{id}/write-record");
    let tenderer1 = app.sign_in("tenderer1").await;
    let me = app.get("/api/me", Some(&tenderer1)).await.body;
    // Behind the trusted proxy, the client's address is the proxy's X-Forwarded-For.
    let r = app
        .client
        .post(format!("{}/api/tenders/{id}/obtain", app.base))
        .bearer_auth(&tenderer1)
        .header("x-forwarded-for", "203.0.113.7")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let obtained_at = app.now();
    // A browser's write with the session cookie is recorded as its user's.
    let session = cookie(&app, "tenderer2").await;
    let r = app
        .client
        .post(format!("{}/api/tenders/{id}/obtain", app.base))
        .header("cookie", &session)
        .header("origin", &app.base)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // A refused write is a step too; a read is not.
    let refused = app
        .post(
            format!("/api/tenders/{id}/cancel"),
            Some(&tenderer1),
            json!({ "version": t["version"], "reason": "试探" }),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(format!("/api/tenders/{id}"), Some(&tenderer1))
            .await
            .status,
        StatusCode::OK
    );

    let platform = app.sign_in("platform").await;
    let rows = app.get(&record, Some(&platform)).await;
    assert_eq!(rows.status, StatusCode::OK, "{:?}", rows.body);
    let rows = rows.body.as_array().unwrap().clone();
    let obtains: Vec<&serde_json::Value> = rows
        .iter()
        .filter(|w| w["route"] == "/api/tenders/{id}/obtain")
        .collect();
    assert_eq!(obtains.len(), 2, "{rows:#?}");
    let first = obtains[0];
    assert_eq!(first["method"], "POST");
    assert_eq!(first["status"], 200);
    assert_eq!(first["address"], "203.0.113.7");
    assert_eq!(first["user_id"], me["user_id"]);
    assert_eq!(first["org_id"], me["org_id"]);
    assert_eq!(first["role"], "tenderer");
    assert_eq!(first["tender_id"], id.as_str());
    assert_eq!(
        bidhall::domain::Timestamp::parse(first["at"].as_str().unwrap()).unwrap(),
        obtained_at
    );
    assert_eq!(
        obtains[1]["address"], "127.0.0.1",
        "no proxy header: the peer"
    );
    assert_ne!(obtains[1]["user_id"], me["user_id"]);
    let cancel = rows
        .iter()
        .find(|w| w["route"] == "/api/tenders/{id}/cancel")
        .expect("the refused write is recorded");
    assert_eq!(cancel["status"], 403);
    assert!(
        rows.iter().all(|w| w["method"] != "GET"),
        "reads are not recorded"
    );
    assert!(
        rows.iter()
            .any(|w| w["route"] == "/api/tenders/{id}/publish" && w["role"] == "agent"),
        "the agent's publishing is recorded"
    );
    // Never in the public audit log.
    let log = app
        .get(format!("/api/log/entries?tender={id}&limit=1000"), None)
        .await;
    assert!(!log.body.to_string().contains("203.0.113.7"));

    // Nobody else reads it; the supervisor from the deadline on.
    let supervisor = app.sign_in("supervisor").await;
    let r = app.get(&record, Some(&supervisor)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "confidential_until_opening")
    );
    for login in ["owner", "agent", "tenderer1", "witness", "agent2"] {
        let token = app.sign_in(login).await;
        let r = app.get(&record, Some(&token)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}: {:?}", r.body);
    }
    assert_eq!(
        app.get(&record, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    app.advance_days(26);
    let supervisor = app.sign_in("supervisor").await;
    let r = app.get(&record, Some(&supervisor)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body.as_array().unwrap().len() >= rows.len());
}

/// A write cut off because its body stalled is a step too: recorded with the 408 its user got.
#[tokio::test]
async fn a_write_cut_off_for_its_slow_body_is_recorded_with_its_408() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(|a| a.body_timeout_ms = 300).await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "慢速留痕").await;
    let id = t["id"].as_str().unwrap();
    let mut s = raw(&app).await;
    s.write_all(
        format!(
            "POST /api/tenders/{id}/cancel HTTP/1.1\r\nHost: hall\r\nAuthorization: Bearer {agent}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let (got, _) = until_closed(&mut s, ms(5_000)).await;
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    let platform = app.sign_in("platform").await;
    let rows = app
        .get(format!("/api/tenders/{id}/write-record"), Some(&platform))
        .await;
    let cancel = rows
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["route"] == "/api/tenders/{id}/cancel")
        .cloned()
        .expect("the cut-off write is recorded");
    assert_eq!(cancel["status"], 408);
    assert_eq!(cancel["role"], "agent");
}
