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
