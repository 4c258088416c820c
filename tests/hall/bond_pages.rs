//! The bonds' pages: the tenderer's bond page, a tender's bonds and the trading centre's ledger
//! show the figures the ledger holds after the bank's signed notifications, each flagged receipt
//! with its reason in words, refunds with their due date, and a pasted statement's differences;
//! each page is refused to the wrong role and to an unrelated organisation of the right role.

use crate::common::*;
use bidhall::bonds::bank::{sign, BankCode, BankTxnId, Notification};
use bidhall::bonds::statement::{Statement, StatementDate, StatementLine};
use bidhall::domain::{Money, TenderId};
use reqwest::StatusCode;
use serde_json::{json, Value};

const BOND: i64 = 2_000_000;

/// The sandbox bank notifies a credit of `fen` to `sub_account` now, properly signed.
async fn pay(app: &TestApp, txn: &str, sub_account: &str, fen: i64) {
    let secret = app
        .app
        .banks
        .get(&BankCode::parse("SBX").unwrap())
        .unwrap()
        .secret;
    let now = app.now();
    let body = Notification::new(
        BankTxnId::parse(txn).unwrap(),
        sub_account.into(),
        fen,
        "沈阳某建设工程有限公司".into(),
        "6222020100012345678".into(),
        now,
    )
    .unwrap()
    .to_body()
    .unwrap();
    let ts = now.millis() / 1000;
    let r = app
        .client
        .post(format!("{}/api/banks/SBX/notifications", app.base))
        .header("Content-Type", "application/json")
        .header("Bidhall-Timestamp", ts.to_string())
        .header("Bidhall-Signature", sign(&secret, ts, &body))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

/// The page without the table of every word the scripts may need, so that a word found is a
/// word shown.
fn shown(html: &str) -> String {
    let start = html.find(r#"<script type="application/json" id="bidhall-i18n">"#);
    match start.and_then(|s| html[s..].find("</script>").map(|e| (s, s + e))) {
        Some((s, e)) => format!("{}{}", &html[..s], &html[e..]),
        None => html.to_string(),
    }
}

/// A page as `token` sees it: its status and what it shows.
async fn page(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let r = app.get(path, token).await;
    (r.status, shown(r.body.as_str().unwrap_or_default()))
}

/// Posts the reconciliation form with `statement` pasted.
async fn reconcile(app: &TestApp, token: &str, statement: &str) -> (StatusCode, String) {
    let body = format!("statement={}", bidhall::web::format::url_encode(statement));
    let r = app
        .client
        .post(format!("{}/ledger", app.base))
        .bearer_auth(token)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    (r.status(), shown(&r.text().await.unwrap()))
}

struct Paid {
    id: String,
    tenderer1: String,
    tenderer2: String,
    sub1: String,
}

/// A published tender; tenderer1 pays its bond exactly, tenderer2 pays one fen short, and money
/// arrives on a sub-account nobody has; tenderer3 never obtains the documents.
async fn paid_tender(app: &TestApp) -> Paid {
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "保证金页面").await;
    let id = t["id"].as_str().unwrap().to_string();
    let mut subs = Vec::new();
    let mut tokens = Vec::new();
    for login in ["tenderer1", "tenderer2"] {
        let token = app.sign_in(login).await;
        let r = app
            .post(format!("/api/tenders/{id}/obtain"), Some(&token), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        if login == "tenderer1" {
            // before asking for a sub-account the page offers to get one
            let (status, html) = page(app, &format!("/tenders/{id}/bond"), Some(&token)).await;
            assert_eq!(status, StatusCode::OK);
            assert!(html.contains(r#"id="get-sub-account""#), "{html}");
            assert!(html.contains("待缴纳"));
            assert!(html.contains(r#"第一标段：<span class="num">¥20,000.00</span>"#));
        }
        let r = app
            .post(
                format!("/api/tenders/{id}/sub-account"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        subs.push(r.body["sub_account"].as_str().unwrap().to_string());
        tokens.push(token);
    }
    pay(app, "SBXP0001", &subs[0], BOND).await;
    pay(app, "SBXP0002", &subs[1], BOND - 1).await;
    pay(app, "SBXP0003", "8801000000000000", 12_345).await;
    Paid {
        id,
        tenderer1: tokens[0].clone(),
        tenderer2: tokens[1].clone(),
        sub1: subs[0].clone(),
    }
}

#[tokio::test]
async fn the_tenderer_sees_how_to_pay_its_bond_s_state_and_a_flagged_receipt_s_reason() {
    // in the demo the page links the sandbox bank's own page
    let app = TestApp::spawn_with(|a| {
        a.refund_sender_ms = 0;
        a.demo = true;
    })
    .await;
    let p = paid_tender(&app).await;
    let path = format!("/tenders/{}/bond", p.id);

    let (status, html) = page(&app, &path, Some(&p.tenderer1)).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "公共资源交易中心保证金专户",
        p.sub1.as_str(),
        "SBX",
        "第一标段",
        "¥20,000.00",
        "已到账",
        "SBXP0001",
        "已确认为保证金",
        r#"id="sandbox-link""#,
        r#"id="guarantee-form""#,
        "/static/js/app/bond-page.js",
    ] {
        assert!(html.contains(want), "{want} missing");
    }
    assert!(!html.contains(r#"id="get-sub-account""#));
    // another tenderer's receipts are not on this page
    assert!(!html.contains("SBXP0002") && !html.contains("SBXP0003"));

    // one fen short: flagged with its reason and the amounts, and the bond still awaited
    let (_, html) = page(&app, &path, Some(&p.tenderer2)).await;
    assert!(html.contains("SBXP0002") && html.contains("金额不足"));
    assert!(html.contains("应缴 ¥20,000.00") && html.contains("实缴 ¥19,999.99"));
    assert!(html.contains(r#"data-state="awaiting""#));
    let (_, en) = page(&app, &format!("{path}?lang=en"), Some(&p.tenderer2)).await;
    assert!(en.contains("Short of the amount due") && en.contains("Awaiting payment"));
    // the short payment is no bond: it goes back at once, within 5 days of its arrival, not a
    // month later with the contract
    assert!(html.contains("非保证金来款，原路退回"), "{html}");

    // the contract is signed: the bond goes back within 5 days, then the refund is overdue
    let tid = TenderId::parse(&p.id).unwrap();
    let made = bidhall::bonds::service::contract_signed(&app.app, &tid, None, app.now())
        .await
        .unwrap();
    assert_eq!(made.len(), 1, "the short payment went back already");
    let (_, html) = page(&app, &path, Some(&p.tenderer1)).await;
    assert!(html.contains(r#"data-state="refund_instructed""#));
    assert!(html.contains("待发送") && html.contains("条例 第五十七条"));
    assert!(!html.contains(r#"class="badge overdue""#));
    app.advance_days(6);
    let token = app.sign_in("tenderer1").await;
    let (_, html) = page(&app, &path, Some(&token)).await;
    assert!(html.contains(r#"class="badge overdue""#));
}

#[tokio::test]
async fn the_bond_page_is_only_for_a_tenderer_that_obtained_the_documents() {
    let app = TestApp::spawn_with(|a| a.refund_sender_ms = 0).await;
    let p = paid_tender(&app).await;
    let path = format!("/tenders/{}/bond", p.id);
    let outsider = app.sign_in("tenderer3").await;
    let (status, html) = page(&app, &path, Some(&outsider)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("请先获取招标文件"));
    for login in ["agent", "owner", "supervisor", "platform"] {
        let token = app.sign_in(login).await;
        let (status, html) = page(&app, &path, Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(html.contains("此页面不对您开放"), "{login}");
        assert!(!html.contains(&p.sub1));
    }
    // signed out: to the sign-in page
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // the tender page links the bond page for a tenderer
    let (_, html) = page(&app, &format!("/tenders/{}", p.id), Some(&p.tenderer1)).await;
    assert!(html.contains(&format!(r#"href="/tenders/{}/bond""#, p.id)));
}

#[tokio::test]
async fn a_tender_s_bonds_are_shown_to_its_side_with_totals_and_refused_to_others() {
    let app = TestApp::spawn_with(|a| {
        a.refund_sender_ms = 0;
        a.opening_watcher_ms = 0;
    })
    .await;
    let p = paid_tender(&app).await;
    let path = format!("/tenders/{}/bonds", p.id);
    // 法22: before the opening the owner's side is told the page opens at the opening.
    for login in ["agent", "owner"] {
        let token = app.sign_in(login).await;
        let (status, html) = page(&app, &path, Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(html.contains("开标前不公开"), "{login}");
        assert!(!html.contains("辽宁华建建设集团有限公司"), "{login}");
    }
    crate::bonds::past_the_deadline(&app, &p.id).await;
    for login in ["agent", "owner", "supervisor", "platform"] {
        let token = app.sign_in(login).await;
        let (status, html) = page(&app, &path, Some(&token)).await;
        assert_eq!(status, StatusCode::OK, "{login}");
        for want in [
            "辽宁华建建设集团有限公司",
            "沈阳盛京建筑工程有限公司",
            "第一标段",
            "SBXP0002",
            "金额不足",
        ] {
            assert!(html.contains(want), "{login}: {want} missing");
        }

        // one bond received and held; one flagged receipt of ¥19,999.99
        assert!(
            html.contains(r#"id="total-received">¥20,000.00"#),
            "{login}"
        );
        assert!(html.contains(r#"id="total-held">¥20,000.00"#));
        assert!(html.contains(r#"id="total-flagged">1 · ¥19,999.99"#));
        // the stray payment to an unknown sub-account belongs to no tender
        assert!(!html.contains("SBXP0003"));
    }
    let agent = app.sign_in("agent").await;
    let (_, html) = page(&app, &format!("/tenders/{}", p.id), Some(&agent)).await;
    assert!(html.contains(&format!(r#"href="/tenders/{}/bonds""#, p.id)));

    // refunds due and, a week later, overdue
    let tid = TenderId::parse(&p.id).unwrap();
    bidhall::bonds::service::contract_signed(&app.app, &tid, None, app.now())
        .await
        .unwrap();
    app.advance_days(6);
    let agent = app.sign_in("agent").await;
    let (_, html) = page(&app, &path, Some(&agent)).await;
    assert!(html.contains(r#"id="refunds-due">2"#) && html.contains("逾期 2"));

    for login in ["tenderer1", "tenderer2", "agent2", "owner2", "witness"] {
        let token = app.sign_in(login).await;
        let (status, html) = page(&app, &path, Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(!html.contains("SBXP0002"), "{login}");
    }
}

#[tokio::test]
async fn the_ledger_balances_and_a_pasted_statement_shows_its_differences() {
    let app = TestApp::spawn_with(|a| a.refund_sender_ms = 0).await;
    let p = paid_tender(&app).await;
    let platform = app.sign_in("platform").await;
    let (status, html) = page(&app, "/ledger", Some(&platform)).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "借贷平衡",
        "银行清算户",
        "¥40,123.44", // the clearing account: every fen that arrived
        "待处理款项",
        "SBXP0002",
        "金额不足",
        "SBXP0003",
        "子账户不存在或已关闭",
        r#"id="reconcile-form""#,
    ] {
        assert!(html.contains(want), "{want} missing");
    }
    assert!(html.contains(r#"id="trial-balance" class="alert success""#));

    // the bank's statement of today lists only the first transfer
    let today = StatementDate::of(app.now());
    let line: StatementLine = serde_json::from_value(json!({
        "amount_fen": BOND, "bank_txn_id": "SBXP0001", "direction": "credit",
        "sub_account": p.sub1, "value_time": app.now(),
    }))
    .unwrap();
    let statement = Statement::new(
        BankCode::parse("SBX").unwrap(),
        today,
        Money::ZERO,
        vec![line],
        Money::from_fen(BOND).unwrap(),
    )
    .unwrap();
    let text = String::from_utf8(statement.to_body().unwrap()).unwrap();
    let (status, html) = reconcile(&app, &platform, &text).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("一致 1") && html.contains("差异 3"), "{html}");
    assert!(html.contains(r#"data-kind="missing_in_statement""#));
    assert!(html.contains("对账单缺少该笔") && html.contains("期末余额不一致"));
    assert!(html.contains("SBXP0002") && html.contains("SBXP0003"));

    // a day without movements reconciles clean; nonsense is refused in words
    let quiet = r#"{"bank":"SBX","closing_balance_fen":0,"date":"2020-01-01","lines":[],"opening_balance_fen":0}"#;
    let (_, html) = reconcile(&app, &platform, quiet).await;
    assert!(html.contains(r#"class="alert success" id="reconcile-summary""#));
    assert!(html.contains("无差异"));
    let (_, html) = reconcile(&app, &platform, "{\"bank\": 1}").await;
    assert!(html.contains("对账单无法读取"));

    for login in ["agent", "owner", "supervisor", "tenderer1"] {
        let token = app.sign_in(login).await;
        let (status, html) = page(&app, "/ledger", Some(&token)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(!html.contains("SBXP0001"));
        let (status, html) = reconcile(&app, &token, quiet).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{login}");
        assert!(!html.contains(r#"id="reconcile-summary""#));
    }
    // the platform's navigation links the ledger
    assert!(page(&app, "/", Some(&platform))
        .await
        .1
        .contains(r#"href="/ledger""#));
    assert!(!page(&app, "/", Some(&p.tenderer2))
        .await
        .1
        .contains(r#"href="/ledger""#));
}

/// Signs a guarantee document as docs/guarantees.md says: the domain line, then RFC 8785.
fn sign_guarantee(key: &ring::signature::EcdsaKeyPair, doc: &Value) -> String {
    use base64::Engine;
    let mut msg = b"bidhall-guarantee/1\n".to_vec();
    msg.extend_from_slice(&bidhall::canonical::canonicalize(doc));
    let sig = key.sign(&ring::rand::SystemRandom::new(), &msg).unwrap();
    base64::engine::general_purpose::STANDARD.encode(sig.as_ref())
}

#[tokio::test]
async fn the_tenderer_s_guarantees_on_record_are_listed_and_the_form_closes_at_the_deadline() {
    use base64::Engine;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "电子保函页面").await;
    let id = t["id"].as_str().unwrap().to_string();
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let platform = app.sign_in("platform").await;
    let r = app
        .post(
            "/api/guarantee-issuers",
            Some(&platform),
            json!({ "id": "PICC-LN", "name": "某财产保险股份有限公司辽宁分公司", "kind": "insurer",
                    "public_key": base64::engine::general_purpose::STANDARD.encode(key.public_key().as_ref()) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let token = app.sign_in("tenderer1").await;
    let r = app
        .post(format!("/api/tenders/{id}/obtain"), Some(&token), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let deadline = ts(t["spec"]["schedule"]["bid_deadline"].as_str().unwrap());
    let doc = json!({
        "issuer_id": "PICC-LN", "guarantee_number": "BH-2027-0042", "kind": "bid",
        "tender_id": id, "lot_id": t["spec"]["lots"][0]["id"],
        "tenderer_id": app.org_id("tenderer", "华建").await, "amount_fen": 2_500_000,
        "valid_from": app.now().to_rfc3339(),
        "valid_until": deadline.plus_days(120).to_rfc3339(),
    });
    let path = format!("/tenders/{id}/bond");
    let (_, html) = page(&app, &path, Some(&token)).await;
    assert!(html.contains(r#"id="guarantee-form""#) && !html.contains("BH-2027-0042"));
    let r = app
        .post(
            format!("/api/tenders/{id}/guarantees"),
            Some(&token),
            json!({ "document": doc, "signature": sign_guarantee(&key, &doc) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let (_, html) = page(&app, &path, Some(&token)).await;
    assert!(html.contains("BH-2027-0042") && html.contains("¥25,000.00"));
    // another tenderer does not see it
    let other = app.sign_in("tenderer2").await;
    app.post(format!("/api/tenders/{id}/obtain"), Some(&other), json!({}))
        .await;
    let (status, html) = page(&app, &path, Some(&other)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(!html.contains("BH-2027-0042"));
    // after the deadline no guarantee is taken: the form is gone
    app.advance_days(26);
    let token = app.sign_in("tenderer1").await;
    let (_, html) = page(&app, &path, Some(&token)).await;
    assert!(html.contains(r#"id="guarantee-closed""#) && !html.contains(r#"id="guarantee-form""#));
    assert!(html.contains("BH-2027-0042"));
}

#[tokio::test]
async fn a_forfeited_bond_shows_its_ground_and_article_to_the_tenderer_and_the_tender_s_side() {
    let app = TestApp::spawn_with(|a| {
        a.refund_sender_ms = 0;
        a.opening_watcher_ms = 0;
    })
    .await;
    let p = paid_tender(&app).await;
    crate::bonds::past_the_deadline(&app, &p.id).await;
    let agent = app.sign_in("agent").await;
    let tenderer1 = app.sign_in("tenderer1").await;
    let t = app
        .get(format!("/api/tenders/{}", p.id), Some(&agent))
        .await;
    let lot = t.body["spec"]["lots"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = app
        .post(
            format!("/api/tenders/{}/bonds/forfeit", p.id),
            Some(&agent),
            json!({ "tenderer_id": app.org_id("tenderer", "华建").await, "bond": "bid",
                    "lot_id": lot, "ground": "revoked_after_deadline", "reason": "截止后撤销投标" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let (_, html) = page(&app, &format!("/tenders/{}/bond", p.id), Some(&tenderer1)).await;
    assert!(html.contains(r#"data-state="forfeited""#));
    assert!(
        html.contains("投标截止后撤销投标文件（条例 第三十五条）"),
        "{html}"
    );
    assert!(html.contains("截止后撤销投标"));
    let (_, html) = page(&app, &format!("/tenders/{}/bonds", p.id), Some(&agent)).await;
    assert!(html.contains("截止后撤销投标") && html.contains("不予退还的保证金"));
}
