//! Signing in and out, sessions, registration and signing keys.

use crate::common::*;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn sign_in_sets_an_http_only_cookie_that_the_web_uses() {
    let app = TestApp::spawn().await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = client
        .post(format!("{}/api/session", app.base))
        .json(&json!({ "login": "agent", "password": bidhall::demo::password() }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.starts_with("bidhall_session=bh_")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax")
    );
    let me: serde_json::Value = client
        .get(format!("{}/api/me", app.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "agent");
    // signing out from the hall's own page (a browser says so; from elsewhere it is refused)
    let forged = client
        .delete(format!("{}/api/session", app.base))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let out = client
        .delete(format!("{}/api/session", app.base))
        .header("origin", &app.base)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    let me = client
        .get(format!("{}/api/me", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_login_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let a = app
        .post(
            "/api/session",
            None,
            json!({ "login": "agent", "password": "wrong password!" }),
        )
        .await;
    let b = app
        .post(
            "/api/session",
            None,
            json!({ "login": "nobody", "password": "wrong password!" }),
        )
        .await;
    assert_eq!(a.status, StatusCode::UNAUTHORIZED);
    assert_eq!(a.body, b.body);
    assert!(
        !a.body.to_string().contains("wrong password!"),
        "secrets never echo back"
    );
}

#[tokio::test]
async fn sessions_are_stored_only_as_digests() {
    let app = TestApp::spawn().await;
    let token = app.sign_in("owner").await;
    let digest = bidhall::identity::session::SessionToken::parse(&token)
        .unwrap()
        .digest();
    assert!(app.app.store.find_session(&digest).await.unwrap().is_some());
    // The token itself is not a key the store knows.
    assert!(app.app.store.find_session(&token).await.unwrap().is_none());
}

#[tokio::test]
async fn a_tenderer_registers_itself_but_not_as_another_role() {
    let app = TestApp::spawn().await;
    let body = |role: &str, code: &str, login: &str| {
        json!({
            "organisation": { "role": role, "name": "新投标人有限公司", "credit_code": code, "region": "沈阳市" },
            "user": { "login": login, "display_name": "新人", "password": "a long enough password" }
        })
    };
    let r = app
        .post(
            "/api/register",
            None,
            body("tenderer", "91210100MA0Y777778", "newcomer"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let t = app
        .post(
            "/api/session",
            None,
            json!({ "login": "newcomer", "password": "a long enough password" }),
        )
        .await;
    assert_eq!(t.status, StatusCode::OK);
    let again = app
        .post(
            "/api/register",
            None,
            body("tenderer", "91210100MA0Y777778", "newcomer2"),
        )
        .await;
    assert_eq!(again.code(), "organisation_exists");
    let agent = app
        .post(
            "/api/register",
            None,
            body("agent", "91210100MA0Y77778B", "sneaky"),
        )
        .await;
    assert_eq!(agent.status, StatusCode::UNPROCESSABLE_ENTITY);
    let bad = app
        .post(
            "/api/register",
            None,
            body("tenderer", "91210100MA0Y77778I", "x1x"),
        )
        .await;
    assert_eq!(bad.body["error"]["details"]["rule"], "bad_credit_code");
}

/// GB 32100-2015: the 18th character checks the other 17, so one mistyped character is caught.
/// Only the alphabet and the length were checked before.
#[tokio::test]
async fn a_credit_code_whose_check_character_is_wrong_is_refused_on_registration_and_by_the_platform(
) {
    let app = TestApp::spawn().await;
    let platform = app.sign_in("platform").await;
    let size = app.log_size().await;
    // 91440300708461136T is a company's published code; the last character mistyped.
    for code in ["91440300708461136X", "91440300708461163T"] {
        let r = app
            .post(
                "/api/register",
                None,
                json!({
                    "organisation": { "role": "tenderer", "name": "校验位有限公司", "credit_code": code, "region": "沈阳市" },
                    "user": { "login": "checkchar", "display_name": "新人", "password": "a long enough password" }
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        assert_eq!(
            r.body["error"]["details"]["rule"], "credit_code_check",
            "{code}: {:?}",
            r.body
        );
        let r = app
            .post(
                "/api/organisations",
                Some(&platform),
                json!({ "role": "supervisor", "name": "校验位监督局", "credit_code": code }),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{code}");
        assert_eq!(r.body["error"]["details"]["rule"], "credit_code_check");
    }
    assert_eq!(app.log_size().await, size, "nothing was registered");
    let r = app
        .post(
            "/api/register",
            None,
            json!({
                "organisation": { "role": "tenderer", "name": "校验位有限公司", "credit_code": "91440300708461136T", "region": "沈阳市" },
                "user": { "login": "checkchar", "display_name": "新人", "password": "a long enough password" }
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

/// Found: anonymous self-registration took the exact name of an existing company. Names are
/// compared after NFKC, case folding and without whitespace, for self-registration and for
/// organisations the platform creates.
#[tokio::test]
async fn an_organisation_may_not_take_a_name_already_registered_in_any_spelling() {
    let app = TestApp::spawn_with(|a| a.registrations_per_hour = 100).await;
    let platform = app.sign_in("platform").await;
    let register = |n: u32, name: &'static str| {
        let app = &app;
        async move {
            app.post(
                "/api/register",
                None,
                json!({
                    "organisation": { "role": "tenderer", "name": name, "credit_code": credit_code(&format!("91210100MA0Y9{n:04}")), "region": "沈阳市" },
                    "user": { "login": format!("namesake{n}"), "display_name": "冒名", "password": "a long enough password" }
                }),
            )
            .await
        }
    };
    let size = app.log_size().await;
    // The demo's tenderer1 is 辽宁华建建设集团有限公司.
    for (n, name) in [
        "辽宁华建建设集团有限公司",
        " 辽宁华建 建设集团有限公司",
        "辽宁华建建设集团有限公司\u{3000}",
    ]
    .into_iter()
    .enumerate()
    {
        let r = register(n as u32, name).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::CONFLICT, "organisation_name_taken"),
            "{name:?}: {:?}",
            r.body
        );
    }
    let r = app
        .post(
            "/api/organisations",
            Some(&platform),
            json!({ "role": "agent", "name": "辽宁正信招标代理有限公司", "credit_code": credit_code("91210100MA0Y90009") }),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "organisation_name_taken")
    );
    assert_eq!(app.log_size().await, size, "nothing was registered");
    // Full-width and half-width brackets, letters and case are the same name.
    assert_eq!(
        register(10, "Ａcme（沈阳）工程有限公司").await.status,
        StatusCode::CREATED
    );
    let r = register(11, "ACME (沈阳) 工程有限公司").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "organisation_name_taken")
    );
    // Another name is fine.
    assert_eq!(
        register(12, "Acme（沈阳）安装工程有限公司").await.status,
        StatusCode::CREATED
    );
}

/// Many registrations of one name at once: exactly one wins, whichever backend decides.
#[tokio::test]
async fn of_registrations_racing_for_one_name_exactly_one_wins() {
    let app = TestApp::spawn_with(|a| a.registrations_per_hour = 100).await;
    let tasks: Vec<_> = (0..8u32)
        .map(|i| {
            let base = app.base.clone();
            tokio::spawn(async move {
                let name = if i % 2 == 0 { "抢注（沈阳）有限公司" } else { "抢注(沈阳)有限公司" };
                let body = json!({
                    "organisation": { "role": "tenderer", "name": name, "credit_code": credit_code(&format!("91210100MA0Y8{i:04}")) },
                    "user": { "login": format!("racer{i}"), "display_name": "抢注", "password": "a long enough password" }
                });
                let r = reqwest::Client::new()
                    .post(format!("{base}/api/register"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                let status = r.status();
                let body: serde_json::Value = r.json().await.unwrap();
                (status, body["error"]["code"].as_str().unwrap_or("").to_owned())
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.unwrap() {
            (StatusCode::CREATED, _) => created += 1,
            (status, code) => assert_eq!(
                (status, code.as_str()),
                (StatusCode::CONFLICT, "organisation_name_taken")
            ),
        }
    }
    assert_eq!(created, 1);
}

#[tokio::test]
async fn an_organisation_registers_a_signing_key_only_with_proof_of_possession() {
    let app = TestApp::spawn().await;
    let token = app.sign_in("tenderer1").await;
    let me = app.get("/api/me", Some(&token)).await;
    let org = bidhall::domain::OrgId::parse(me.body["org_id"].as_str().unwrap()).unwrap();
    let (key, proof) = bidhall::identity::keys::test_support::key_and_proof(&org);
    let r = app
        .post(
            "/api/keys",
            Some(&token),
            json!({ "label": "投标专用", "public_key": key.to_base64(), "proof": proof }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let other = app.sign_in("tenderer2").await;
    let r = app
        .post(
            "/api/keys",
            Some(&other),
            json!({ "label": "偷来的", "public_key": key.to_base64(), "proof": proof }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a proof binds the key to its organisation"
    );
    let keys = app.get("/api/keys", Some(&token)).await;
    assert_eq!(keys.body.as_array().unwrap().len(), 1);
}
