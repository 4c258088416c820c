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
                    "organisation": { "role": "tenderer", "name": format!("自注册{n}建设有限公司"), "credit_code": format!("91210100MA0Y5{n:05}"), "region": "沈阳市" },
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
                    "organisation": { "role": "tenderer", "name": name, "credit_code": format!("91210100MA0Y6{i:05}"), "region": "沈阳市" },
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
                    "organisation": { "role": "tenderer", "name": format!("弱口令{i}有限公司"), "credit_code": format!("91210100MA0Y4{i:05}"), "region": "沈阳市" },
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
