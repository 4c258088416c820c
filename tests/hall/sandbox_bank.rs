//! The sandbox bank mounted in a demo hall: its page, accounts and transfers, and its statements
//! behind the hall's shared secret.

use crate::common::*;
use bidhall::bonds::bank::{sign, Secret};
use bidhall::bonds::statement::Statement;
use reqwest::StatusCode;
use serde_json::json;

fn secret(app: &TestApp) -> Secret {
    let path = app.args.store.data_dir.join("banks").join("SBX.secret");
    let text = std::fs::read_to_string(path).expect("the demo creates the bank's secret");
    assert_eq!(text.trim().len(), 64);
    Secret::from_bytes(&hex::decode(text.trim()).unwrap()).unwrap()
}

#[tokio::test]
async fn a_demo_hall_serves_the_sandbox_bank_and_its_signed_statements() {
    let app = TestApp::spawn_with(|a| a.demo = true).await;
    let page = app.get("/sandbox-bank", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let typed = app.get("/sandbox-bank/", None).await;
    assert_eq!(
        typed.status,
        StatusCode::OK,
        "a trailing slash leads to the same page"
    );
    assert!(page.body.as_str().unwrap().contains("网上银行 sandbox"));

    let r = app
        .post(
            "/sandbox-bank/accounts",
            None,
            json!({ "name": "辽宁华建建设集团有限公司", "balance_fen": 5_000_000 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let account = r.body["account"].as_str().unwrap().to_owned();
    let pay = |amount: i64| json!({ "from_account": account, "to_sub_account": "8801089892966438763", "amount_fen": amount });
    let r = app
        .post("/sandbox-bank/transfers", None, pay(9_000_000))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds")
    );
    let r = app
        .post("/sandbox-bank/transfers", None, pay(2_000_000))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let txn = r.body["bank_txn_id"].as_str().unwrap().to_owned();
    let acct = app
        .get(format!("/sandbox-bank/accounts/{account}"), None)
        .await;
    assert_eq!(acct.body["balance_fen"], 3_000_000);

    // The statement is for the hall only: unsigned or wrongly signed requests are refused.
    let date = &app.now().to_rfc3339()[..10];
    let path = format!("/sandbox-bank/statements/{date}");
    assert_eq!(app.get(&path, None).await.code(), "malformed");
    let ts = app.now().millis() / 1000;
    let wrong = Secret::from_bytes(&[7u8; 32]).unwrap();
    let statement = |key: &Secret| {
        app.client
            .get(format!("{}{path}", app.base))
            .header("Bidhall-Timestamp", ts.to_string())
            .header("Bidhall-Signature", sign(key, ts, b""))
            .send()
    };
    let refused = statement(&wrong).await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let r = statement(&secret(&app)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let s: Statement = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(s.bank().as_str(), "SBX");
    assert_eq!(s.lines().len(), 1);
    assert_eq!(s.lines()[0].bank_txn_id.as_str(), txn);
    assert_eq!(s.closing().fen(), 2_000_000);
}

#[tokio::test]
async fn a_guarantee_the_sandbox_bank_issues_is_accepted_once_the_platform_registers_the_bank() {
    let app = TestApp::spawn_with(|a| a.demo = true).await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "沙箱保函").await;
    let deadline = ts(t["spec"]["schedule"]["bid_deadline"].as_str().unwrap());
    let request = json!({
        "tender_id": t["id"],
        "lot_id": t["spec"]["lots"][0]["id"],
        "tenderer_id": app.org_id("tenderer", "华建").await,
        "amount_fen": 2_000_000,
        "valid_from": app.now().to_rfc3339(),
        "valid_until": deadline.plus_days(100).to_rfc3339(),
    });
    let issued = app.post("/sandbox-bank/guarantees", None, request).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let upload =
        json!({ "document": issued.body["document"], "signature": issued.body["signature"] });
    let path = format!("/api/tenders/{}/guarantees", t["id"].as_str().unwrap());
    let tenderer = app.sign_in("tenderer1").await;
    let r = app.post(&path, Some(&tenderer), upload.clone()).await;
    assert_eq!(r.code(), "guarantee_unknown_issuer");

    let issuer = app.get("/sandbox-bank/guarantee-issuer", None).await;
    let platform = app.sign_in("platform").await;
    let r = app
        .post("/api/guarantee-issuers", Some(&platform), issuer.body)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app.post(&path, Some(&tenderer), upload).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}
