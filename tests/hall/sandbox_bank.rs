//! The sandbox bank mounted in a demo hall: its page, accounts and transfers (each account private
//! to the holder of its access code, 法22), and its statements behind the hall's shared secret.

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
    let html = page.body.as_str().unwrap();
    assert!(html.contains("网上银行（沙箱）"));
    assert_speaks_chinese("the sandbox bank", html);
    assert!(
        html.contains(r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)
    );

    let r = app
        .post(
            "/sandbox-bank/accounts",
            None,
            json!({ "name": "辽宁华建建设集团有限公司", "balance_fen": 5_000_000 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let account = r.body["account"].as_str().unwrap().to_owned();
    let code = r.body["access_code"].as_str().unwrap().to_owned();
    let pay = |amount: i64| json!({ "from_account": account, "to_sub_account": "8801089892966438763", "amount_fen": amount });
    let r = app
        .post("/sandbox-bank/transfers", Some(&code), pay(9_000_000))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "insufficient_funds")
    );
    let r = app
        .post("/sandbox-bank/transfers", Some(&code), pay(2_000_000))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let txn = r.body["bank_txn_id"].as_str().unwrap().to_owned();
    let acct = app
        .get(format!("/sandbox-bank/accounts/{account}"), Some(&code))
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

/// A payer opened through the API: its number and the access code only it was given.
struct Payer {
    account: String,
    code: String,
}

async fn open_account(app: &TestApp, name: &str, fen: i64) -> Payer {
    let r = app
        .post(
            "/sandbox-bank/accounts",
            None,
            json!({ "name": name, "balance_fen": fen }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    Payer {
        account: r.body["account"].as_str().unwrap().to_owned(),
        code: r.body["access_code"].as_str().unwrap().to_owned(),
    }
}

async fn balance(app: &TestApp, p: &Payer) -> i64 {
    let r = app
        .get(
            format!("/sandbox-bank/accounts/{}", p.account),
            Some(&p.code),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["balance_fen"].as_i64().unwrap()
}

const SUB: &str = "8801089892966438763";
const NAME: &str = "辽宁华建建设集团有限公司";

#[tokio::test]
async fn a_signed_out_visitor_sees_no_payers_name_balance_or_history() {
    let app = TestApp::spawn_with(|a| a.demo = true).await;
    let payer = open_account(&app, NAME, 5_000_000).await;
    let other = open_account(&app, "浙江乙工程有限公司", 100).await;
    let paid = app
        .post(
            "/sandbox-bank/transfers",
            Some(&payer.code),
            json!({ "from_account": payer.account, "to_sub_account": SUB, "amount_fen": 2_000_000 }),
        )
        .await;
    assert_eq!(paid.status, StatusCode::CREATED, "{:?}", paid.body);
    let txn = paid.body["bank_txn_id"].as_str().unwrap();

    let page = app.get("/sandbox-bank", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.body.as_str().unwrap();
    for secret in [NAME, payer.account.as_str(), "30,000.00", SUB, txn] {
        assert!(!html.contains(secret), "the public page shows {secret}");
    }

    let path = format!("/sandbox-bank/accounts/{}", payer.account);
    let anonymous = app.get(&path, None).await;
    assert_eq!(
        (anonymous.status, anonymous.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let not_a_code = app.get(&path, Some("guess")).await;
    let someone_else = app.get(&path, Some(&other.code)).await;
    let no_such_account = app
        .get(
            "/sandbox-bank/accounts/6222020199999999999",
            Some(&other.code),
        )
        .await;
    for r in [&anonymous, &not_a_code, &someone_else, &no_such_account] {
        let text = r.body.to_string();
        assert!(!text.contains(NAME) && !text.contains("3000000"), "{text}");
    }
    // A wrong code and a missing account answer alike, so account numbers cannot be probed.
    for r in [&not_a_code, &someone_else, &no_such_account] {
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::NOT_FOUND, "unknown_account")
        );
    }

    let mine = app.get(&path, Some(&payer.code)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body["name"], NAME);
    assert_eq!(mine.body["balance_fen"], 3_000_000);
    assert_eq!(mine.body["history"][1]["bank_txn_id"], txn);
}

#[tokio::test]
async fn a_transfer_from_someone_elses_account_needs_its_access_code() {
    let app = TestApp::spawn_with(|a| a.demo = true).await;
    let victim = open_account(&app, NAME, 5_000_000).await;
    let thief = open_account(&app, "某某有限公司", 100).await;
    let steal =
        json!({ "from_account": victim.account, "to_sub_account": SUB, "amount_fen": 5_000_000 });

    let r = app
        .post("/sandbox-bank/transfers", None, steal.clone())
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "unauthenticated")
    );
    let r = app
        .post("/sandbox-bank/transfers", Some(&thief.code), steal.clone())
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "unknown_account")
    );
    assert_eq!(balance(&app, &victim).await, 5_000_000, "no money moved");
    assert_eq!(balance(&app, &thief).await, 100);

    let r = app
        .post("/sandbox-bank/transfers", Some(&victim.code), steal)
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(balance(&app, &victim).await, 0);
}

/// A browser: it keeps cookies, as the bank's page expects, and says that its forms come from the
/// page itself, as browsers do (the hall refuses cookie-borne posts from elsewhere).
fn browser() -> reqwest::Client {
    let mut same_origin = reqwest::header::HeaderMap::new();
    same_origin.insert("sec-fetch-site", "same-origin".parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(same_origin)
        .build()
        .unwrap()
}

async fn html(r: reqwest::Response) -> (StatusCode, String) {
    (r.status(), r.text().await.unwrap())
}

#[tokio::test]
async fn a_browser_that_opens_an_account_sees_only_that_account() {
    let app = TestApp::spawn_with(|a| a.demo = true).await;
    let stranger = open_account(&app, "浙江乙工程有限公司", 7_654_321).await;
    let me = "江苏甲建设有限公司";
    let url = |path: &str| format!("{}/sandbox-bank{path}", app.base);
    let b = browser();

    let r = b
        .post(url("/form/accounts"))
        .form(&[("name", me), ("balance_yuan", "100,000")])
        .send()
        .await
        .unwrap();
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/sandbox-bank;"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert_eq!(r.headers()["cache-control"], "no-store");
    let (status, opened) = html(r).await;
    assert_eq!(status, StatusCode::OK);
    assert!(opened.contains("开户成功") && opened.contains(me));
    assert_speaks_chinese("the sandbox bank, an account just opened", &opened);
    let code = opened
        .split("<code id=\"access-code\" translate=\"no\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the access code is shown once")
        .to_owned();
    let account = opened
        .split("<strong class=\"number\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();

    let (_, home) = html(b.get(url("")).send().await.unwrap()).await;
    assert!(home.contains(me) && home.contains(&account));
    assert!(home.contains("100,000.00 元"), "amounts in 元");
    assert!(
        home.contains(&app.now().shanghai()),
        "times in Beijing time"
    );
    assert!(
        !home.contains(&code),
        "the code is shown only when the account is opened"
    );
    assert!(!home.contains("浙江乙工程有限公司") && !home.contains(&stranger.account));

    // Transfers from the page: from this browser's account, never from the stranger's.
    let pay = |from: &str| {
        let form = [
            ("from_account", from),
            ("to_sub_account", SUB),
            ("amount_yuan", "20000"),
        ];
        b.post(url("/form/transfers")).form(&form).send()
    };
    let (status, page) = html(pay(&stranger.account).await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("账号或网银口令不正确") && !page.contains("浙江乙工程有限公司"));
    assert_speaks_chinese("the sandbox bank's refusal", &page);
    assert_eq!(balance(&app, &stranger).await, 7_654_321);
    let (status, page) = html(pay(&account).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("转账成功") && page.contains("80,000.00 元") && page.contains("-20,000.00")
    );
    assert_speaks_chinese("the sandbox bank after a transfer", &page);
    // the language the hall's pages were switched to is the bank's too
    let (_, english) = html(b.get(url("?lang=en")).send().await.unwrap()).await;
    assert!(english.contains(r#"<html lang="en">"#) && english.contains("Transfer to"));
    let (_, still) = html(b.get(url("")).send().await.unwrap()).await;
    assert!(still.contains("Sign out of every account"));
    let (_, chinese) = html(b.get(url("?lang=zh")).send().await.unwrap()).await;
    assert_speaks_chinese("the sandbox bank, switched back", &chinese);

    // Another browser signs in with the stranger's number and code: it sees the stranger only.
    let other = browser();
    let sign_in = |code: &str| {
        let form = [
            ("account", stranger.account.as_str()),
            ("access_code", code),
        ];
        other.post(url("/form/sign-in")).form(&form).send()
    };
    let (status, page) = html(sign_in(&code).await.unwrap()).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "my code does not open the stranger's account"
    );
    assert!(!page.contains("浙江乙工程有限公司") && !page.contains(me));
    let (status, page) = html(sign_in(&stranger.code).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("浙江乙工程有限公司") && page.contains("76,543.21 元"));
    assert!(!page.contains(me) && !page.contains(&account));

    // Signing out forgets the accounts.
    let (_, page) = html(other.post(url("/form/sign-out")).send().await.unwrap()).await;
    assert!(!page.contains("浙江乙工程有限公司"));
    assert!(page.contains("本浏览器尚未登录任何账户"));
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
