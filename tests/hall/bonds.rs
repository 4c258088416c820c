//! Bonds paid by bank transfer, end to end: sub-accounts, the bank's signed notifications (every
//! bad one answered with its reason and the ledger still balanced), refunds at the contract sent
//! through a fake bank with backoff on the settable clock and confirmed once, forfeiture only on a
//! legal ground, and the opening's bond check reading the ledger.

use crate::common::*;
use bidhall::bonds::adapter::{send_due_refunds, FakeBank};
use bidhall::bonds::bank::{sign, BankCode, BankTxnId, Notification, Secret};
use bidhall::domain::{OrgId, TenderId, Timestamp};
use reqwest::StatusCode;
use serde_json::{json, Value};

pub(crate) const BOND: i64 = 2_000_000;

fn sbx_secret(app: &TestApp) -> Secret {
    app.app
        .banks
        .get(&BankCode::parse("SBX").unwrap())
        .expect("the sandbox bank is configured in tests")
        .secret
}

/// Sends `body` to a bank endpoint signed under `secret` with the timestamp `ts` (Unix seconds).
async fn post_signed(app: &TestApp, path: &str, secret: &Secret, ts: i64, body: &[u8]) -> Reply {
    let resp = app
        .client
        .post(format!("{}{path}", app.base))
        .header("Content-Type", "application/json")
        .header("Bidhall-Timestamp", ts.to_string())
        .header("Bidhall-Signature", sign(secret, ts, body))
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = resp.status();
    let text = resp.text().await.unwrap();
    Reply {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
    }
}

fn note(txn: &str, sub_account: &str, fen: i64, value_time: Timestamp) -> Vec<u8> {
    Notification::new(
        BankTxnId::parse(txn).unwrap(),
        sub_account.into(),
        fen,
        "沈阳某建设工程有限公司".into(),
        "6222020100012345678".into(),
        value_time,
    )
    .unwrap()
    .to_body()
    .unwrap()
}

/// The sandbox bank notifies a credit now (on the hall's clock), properly signed.
pub(crate) async fn pay(app: &TestApp, txn: &str, sub_account: &str, fen: i64) -> Reply {
    let now = app.now();
    post_signed(
        app,
        "/api/banks/SBX/notifications",
        &sbx_secret(app),
        now.millis() / 1000,
        &note(txn, sub_account, fen, now),
    )
    .await
}

/// A published tender and the given tenderers, each with the documents and its sub-account.
pub(crate) async fn tender_with_payers(
    app: &TestApp,
    logins: &[&str],
) -> (String, Vec<(String, String)>) {
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "保证金").await;
    let id = t["id"].as_str().unwrap().to_string();
    let mut payers = Vec::new();
    for login in logins {
        let token = app.sign_in(login).await;
        let r = app
            .post(format!("/api/tenders/{id}/obtain"), Some(&token), json!({}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let r = app
            .post(
                format!("/api/tenders/{id}/sub-account"),
                Some(&token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["bank"], "SBX");
        assert_eq!(r.body["lots"][0]["amount_fen"], BOND);
        payers.push((token, r.body["sub_account"].as_str().unwrap().to_string()));
    }
    (id, payers)
}

/// Moves the clock to the tender's bid deadline: the bids are opened, and the owner's side may see
/// who paid (法22).
pub(crate) async fn past_the_deadline(app: &TestApp, id: &str) {
    let tender = app.get(format!("/api/tenders/{id}"), None).await;
    let deadline = bidhall::domain::Timestamp::parse(
        tender.body["spec"]["schedule"]["bid_deadline"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    app.clock.set(deadline);
}

async fn hall_ledger(app: &TestApp) -> Value {
    let platform = app.sign_in("platform").await;
    let r = app.get("/api/ledger", Some(&platform)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

#[tokio::test]
async fn a_sub_account_is_given_only_to_a_tenderer_that_obtained_the_documents() {
    let app = TestApp::spawn().await;
    let (id, payers) = tender_with_payers(&app, &["tenderer1"]).await;
    // asked again: the same number
    let again = app
        .post(
            format!("/api/tenders/{id}/sub-account"),
            Some(&payers[0].0),
            json!({}),
        )
        .await;
    assert_eq!(again.body["sub_account"], payers[0].1.as_str());
    let outsider = app.sign_in("tenderer2").await;
    let r = app
        .post(
            format!("/api/tenders/{id}/sub-account"),
            Some(&outsider),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "not_obtained")
    );
    for login in ["agent", "owner", "supervisor", "platform"] {
        let t = app.sign_in(login).await;
        let r = app
            .post(
                format!("/api/tenders/{id}/sub-account"),
                Some(&t),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
    }
    let r = app
        .post(format!("/api/tenders/{id}/sub-account"), None, json!({}))
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .get(format!("/api/tenders/{id}/my-bonds"), Some(&outsider))
        .await;
    assert_eq!(r.code(), "not_obtained");
}

#[tokio::test]
async fn every_bad_notification_is_refused_or_flagged_and_the_ledger_stays_balanced() {
    let app = TestApp::spawn().await;
    let (id, payers) = tender_with_payers(&app, &["tenderer1", "tenderer2", "tenderer3"]).await;
    let (sub1, sub2, sub3) = (&payers[0].1, &payers[1].1, &payers[2].1);
    let secret = sbx_secret(&app);
    let now = app.now();
    let ts = now.millis() / 1000;
    let path = "/api/banks/SBX/notifications";

    // the exact bond, on time
    let r = pay(&app, "SBX0001", sub1, BOND).await;
    assert_eq!(
        (r.status, r.body.clone()),
        (StatusCode::OK, json!({"outcome": "recorded"}))
    );
    // the bank sends it again: a harmless duplicate
    let r = pay(&app, "SBX0001", sub1, BOND).await;
    assert_eq!(r.body, json!({"outcome": "duplicate"}));
    // the same id for a different payment
    let r = pay(&app, "SBX0001", sub1, BOND + 1).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflicting"));
    // a bad signature, a stale timestamp, an unknown bank, a body that is not a notification
    let body = note("SBX0002", sub1, BOND, now);
    let wrong = Secret::from_bytes(&[7u8; 32]).unwrap();
    let r = post_signed(&app, path, &wrong, ts, &body).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "bad_signature")
    );
    let r = post_signed(&app, path, &secret, ts - 301, &body).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNAUTHORIZED, "stale_timestamp")
    );
    let r = post_signed(&app, "/api/banks/NOPE/notifications", &secret, ts, &body).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::NOT_FOUND, "unknown_bank")
    );
    let r = post_signed(&app, path, &secret, ts, br#"{"amount_fen":1}"#).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed"));
    let r = app
        .client
        .post(format!("{}{path}", app.base))
        .header("Bidhall-Timestamp", "soon")
        .header("Bidhall-Signature", "00")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    // money that arrived but is not the bond: flagged with the reason, never refused
    let mut typo = sub1.clone().into_bytes();
    let last = typo.len() - 1;
    typo[last] = if typo[last] == b'0' { b'1' } else { b'0' };
    let typo = String::from_utf8(typo).unwrap();
    let flagged = [
        (
            pay(&app, "SBX0003", &typo, BOND).await,
            "unknown_sub_account",
        ),
        (pay(&app, "SBX0004", sub1, BOND).await, "already_held"),
        (pay(&app, "SBX0005", sub2, BOND - 100).await, "short"),
        (pay(&app, "SBX0006", sub2, BOND + 100).await, "over"),
    ];
    for (r, reason) in &flagged {
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body, json!({"outcome": "flagged", "reason": reason}));
    }
    // after the bid deadline the same amount is no longer the bond
    let tender = app.get(format!("/api/tenders/{id}"), None).await;
    let deadline = Timestamp::parse(
        tender.body["spec"]["schedule"]["bid_deadline"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    app.clock.set(deadline.plus_millis(60_000));
    let r = pay(&app, "SBX0007", sub3, BOND).await;
    assert_eq!(
        r.body,
        json!({"outcome": "flagged", "reason": "after_deadline"})
    );
    // the bank confirms a refund the hall never instructed
    let paid = json!({"amount_fen": BOND, "bank_txn_id": "SBX0008", "instruction_id": "RFnope",
                      "value_time": app.now()});
    let paid = serde_json::to_vec(&paid).unwrap();
    let r = post_signed(
        &app,
        "/api/banks/SBX/refunds-paid",
        &secret,
        app.now().millis() / 1000,
        &paid,
    )
    .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unknown_instruction")
    );

    let l = hall_ledger(&app).await;
    assert_eq!(l["trial_balance_fen"], 0, "{l}");
    // 6 receipts in, 1 bond and 5 flagged; the clearing account holds all of them
    let received = BOND * 4 + (BOND - 100) + (BOND + 100);
    let clearing = l["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"]["kind"] == "clearing")
        .unwrap();
    assert_eq!(clearing["balance_fen"], received);
    let mut reasons: Vec<&str> = l["flagged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap())
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "after_deadline",
            "already_held",
            "over",
            "short",
            "unknown_sub_account"
        ]
    );
    // the payer's account number is not in the audit log
    let log = app.get("/api/log/entries?after=-1&limit=1000", None).await;
    assert!(!log.body.to_string().contains("6222020100012345678"));

    // each tenderer sees its own: tenderer1 holds the bond and sees its flagged second payment
    let token = app.sign_in("tenderer1").await;
    let mine = app
        .get(format!("/api/tenders/{id}/my-bonds"), Some(&token))
        .await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(mine.body["bonds"][0]["held_fen"], BOND);
    let receipts = mine.body["receipts"].as_array().unwrap();
    assert_eq!(receipts.len(), 2, "{receipts:?}");
    assert!(receipts.iter().any(|r| r["reason"] == "already_held"));
    let token2 = app.sign_in("tenderer2").await;
    let theirs = app
        .get(format!("/api/tenders/{id}/my-bonds"), Some(&token2))
        .await;
    assert_eq!(theirs.body["bonds"].as_array().unwrap().len(), 0);
    let short = theirs.body["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["reason"] == "short")
        .unwrap()
        .clone();
    assert_eq!(short["detail"]["required"], BOND);
    assert_eq!(short["detail"]["paid"], BOND - 100);
}

#[tokio::test]
async fn ledger_views_are_refused_to_the_wrong_role_and_to_an_unrelated_owner() {
    let app = TestApp::spawn_with(|a| a.opening_watcher_ms = 0).await;
    let (id, payers) = tender_with_payers(&app, &["tenderer1"]).await;
    pay(&app, "SBX1001", &payers[0].1, BOND).await;
    let url = format!("/api/tenders/{id}/bonds/ledger");
    // 法22: until the opening the owner, its agent and the supervisor do not learn who is bidding.
    for login in ["agent", "owner", "supervisor"] {
        let t = app.sign_in(login).await;
        let r = app.get(&url, Some(&t)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::FORBIDDEN, "confidential_until_opening"),
            "{login}"
        );
    }
    for (login, before) in [("platform", true)].into_iter().chain([
        ("agent", false),
        ("owner", false),
        ("supervisor", false),
    ]) {
        if !before {
            past_the_deadline(&app, &id).await;
        }
        let t = app.sign_in(login).await;
        let r = app.get(&url, Some(&t)).await;
        assert_eq!(r.status, StatusCode::OK, "{login}: {:?}", r.body);
        assert_eq!(r.body["bonds"][0]["held_fen"], BOND);
    }
    for login in ["owner2", "agent2", "tenderer1", "witness"] {
        let t = app.sign_in(login).await;
        assert_eq!(
            app.get(&url, Some(&t)).await.status,
            StatusCode::FORBIDDEN,
            "{login}"
        );
        assert_eq!(
            app.get("/api/ledger", Some(&t)).await.status,
            StatusCode::FORBIDDEN,
            "{login}"
        );
    }
    let agent = app.sign_in("agent").await;
    assert_eq!(
        app.get("/api/ledger", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get("/api/ledger", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .get(format!("/api/tenders/{id}/my-bonds"), Some(&agent))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn refunds_at_the_contract_are_sent_with_backoff_and_confirmed_once() {
    let app = TestApp::spawn_with(|a| {
        a.refund_sender_ms = 0;
        a.opening_watcher_ms = 0;
    })
    .await;
    let (id, payers) = tender_with_payers(&app, &["tenderer1", "tenderer2"]).await;
    pay(&app, "SBX2001", &payers[0].1, BOND).await;
    pay(&app, "SBX2002", &payers[1].1, BOND).await;
    let tid = TenderId::parse(&id).unwrap();
    past_the_deadline(&app, &id).await;
    let contract = app.now();
    let made = bidhall::bonds::service::contract_signed(&app.app, &tid, None, contract)
        .await
        .unwrap();
    assert_eq!(made.len(), 2);
    // the contract event again instructs nothing new
    assert!(
        bidhall::bonds::service::contract_signed(&app.app, &tid, None, contract)
            .await
            .unwrap()
            .is_empty()
    );

    // the bank is down for the first order: it is tried again after 2 s on the hall's clock
    let bank = FakeBank::failing_first(1);
    let sent = send_due_refunds(&app.app, &bank).await.unwrap();
    assert_eq!((sent.accepted, sent.failed), (1, 1));
    let sent = send_due_refunds(&app.app, &bank).await.unwrap();
    assert_eq!((sent.accepted, sent.failed), (0, 0), "backing off");
    app.clock.advance_millis(2_000);
    let sent = send_due_refunds(&app.app, &bank).await.unwrap();
    assert_eq!((sent.accepted, sent.failed), (1, 0));
    assert_eq!(send_due_refunds(&app.app, &bank).await.unwrap().accepted, 0);
    let orders = bank.orders();
    assert_eq!(orders.len(), 3);
    assert_eq!(orders[0].1, orders[2].1, "the same instruction, sent again");
    assert!(orders
        .iter()
        .all(|(_, o)| o.to_account == "6222020100012345678"));

    let agent = app.sign_in("agent").await;
    let view = app
        .get(format!("/api/tenders/{id}/bonds/ledger"), Some(&agent))
        .await;
    let refunds = view.body["refunds"].as_array().unwrap().clone();
    assert_eq!(refunds.len(), 2);
    for r in &refunds {
        assert_eq!(r["state"], "accepted");
        assert_eq!(r["due_by"], json!(contract.plus_days(5)));
        assert_eq!(r["article"], "条例 第五十七条");
    }
    assert_eq!(view.body["bonds"][0]["refunded_fen"], BOND);
    assert_eq!(view.body["bonds"][0]["held_fen"], 0);

    // the bank confirms: a wrong amount is refused, the right one recorded once
    let secret = sbx_secret(&app);
    let first = crate::bids::org_of(&app, &app.sign_in("tenderer1").await).await;
    let bond_refund = refunds
        .iter()
        .find(|r| r["tenderer_id"] == first.as_str())
        .unwrap();
    let confirm = |txn: &str, fen: i64| {
        serde_json::to_vec(&json!({"amount_fen": fen, "bank_txn_id": txn,
            "instruction_id": bond_refund["instruction_id"], "value_time": app.now()}))
        .unwrap()
    };
    let ts = app.now().millis() / 1000;
    let path = "/api/banks/SBX/refunds-paid";
    let r = post_signed(&app, path, &secret, ts, &confirm("SBXR1", BOND - 5)).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "amount_mismatch")
    );
    let body = confirm("SBXR1", BOND);
    let r = post_signed(&app, path, &secret, ts, &body).await;
    assert_eq!(r.body, json!({"outcome": "recorded"}), "{:?}", r.body);
    let r = post_signed(&app, path, &secret, ts, &body).await;
    assert_eq!(r.body, json!({"outcome": "duplicate"}));
    let r = post_signed(&app, path, &secret, ts, &confirm("SBXR2", BOND)).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "already_paid"));

    let token = app.sign_in("tenderer1").await;
    let mine = app
        .get(format!("/api/tenders/{id}/my-bonds"), Some(&token))
        .await;
    assert_eq!(mine.body["refunds"][0]["state"], "paid");
    let l = hall_ledger(&app).await;
    assert_eq!(l["trial_balance_fen"], 0);
    let clearing = l["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"]["kind"] == "clearing")
        .unwrap()
        .clone();
    assert_eq!(
        clearing["balance_fen"], BOND,
        "only the second bond's refund is unpaid"
    );
}

#[tokio::test]
async fn a_bond_is_forfeited_only_on_a_legal_ground_by_the_owner_or_agent() {
    let app = TestApp::spawn_with(|a| a.opening_watcher_ms = 0).await;
    let (id, payers) = tender_with_payers(&app, &["tenderer1"]).await;
    pay(&app, "SBX3001", &payers[0].1, BOND).await;
    let org = crate::bids::org_of(&app, &payers[0].0).await;
    let tender = app.get(format!("/api/tenders/{id}"), None).await;
    let lot = tender.body["spec"]["lots"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    past_the_deadline(&app, &id).await;
    let url = format!("/api/tenders/{id}/bonds/forfeit");
    let body = |ground: &str, reason: &str| json!({"tenderer_id": org, "bond": "bid", "lot_id": lot, "ground": ground, "reason": reason});
    for login in ["tenderer1", "owner2", "agent2", "supervisor", "platform"] {
        let t = app.sign_in(login).await;
        let r = app
            .post(&url, Some(&t), body("refused_to_sign", "拒签"))
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}");
    }
    let agent = app.sign_in("agent").await;
    let r = app
        .post(&url, Some(&agent), body("contract_not_performed", "未履约"))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "ground_does_not_apply")
    );
    let r = app
        .post(&url, Some(&agent), body("we_felt_like_it", "不想退"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(&url, Some(&agent), body("refused_to_sign", "  "))
        .await;
    assert_eq!(r.code(), "invalid_field");
    // a ground is a fact of the record, not a word: nobody was awarded anything
    let r = app
        .post(
            &url,
            Some(&agent),
            body("refused_to_sign", "中标人无正当理由拒不签订合同"),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "ground_not_established"),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            &url,
            Some(&agent),
            body("revoked_after_deadline", "投标截止后书面撤销投标文件"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["amount_fen"], BOND);
    assert_eq!(r.body["article"], "条例 第三十五条");
    let owner = app.sign_in("owner").await;
    let r = app
        .post(&url, Some(&owner), body("revoked_after_deadline", "再次"))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "nothing_held"));
    let view = app
        .get(format!("/api/tenders/{id}/bonds/ledger"), Some(&owner))
        .await;
    assert_eq!(view.body["bonds"][0]["forfeited_fen"], BOND);
    assert_eq!(
        view.body["forfeitures"][0]["reason"],
        "投标截止后书面撤销投标文件"
    );
    // a forfeited bond is not refunded at the contract
    let tid = TenderId::parse(&id).unwrap();
    assert!(
        bidhall::bonds::service::contract_signed(&app.app, &tid, None, app.now())
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(hall_ledger(&app).await["trial_balance_fen"], 0);
}

#[tokio::test]
async fn a_bid_bond_paid_into_the_ledger_makes_the_opening_show_received() {
    let app = TestApp::spawn().await;
    let b = crate::bids::open_box(&app).await;
    let mut bidders = Vec::new();
    for (i, login) in ["tenderer1", "tenderer2", "tenderer3"].iter().enumerate() {
        let who = crate::opening::bidder(
            &app,
            &b,
            login,
            &credit_code(&format!("91210100MA0Y8000{i}")),
        )
        .await;
        crate::opening::bid(
            &app,
            &b,
            &who,
            &crate::bids::bid_archive(90_000_000 + i as i64),
        )
        .await;
        bidders.push(who);
    }
    // only the first pays, through its sub-account
    let r = app
        .post(
            format!("/api/tenders/{}/sub-account", b.tender),
            Some(&bidders[0].token),
            json!({}),
        )
        .await;
    let sub = r.body["sub_account"].as_str().unwrap().to_string();
    let bond = r.body["lots"][0]["amount_fen"].as_i64().unwrap();
    assert_eq!(
        pay(&app, "SBX4001", &sub, bond).await.body["outcome"],
        "recorded"
    );
    app.clock.set(b.deadline);
    let s = app
        .get(format!("/api/tenders/{}/opening", b.tender), None)
        .await
        .body;
    assert_eq!(s["bonds"][0]["bond"], "received", "{s}");
    assert_eq!(s["bonds"][1]["bond"], "missing", "{s}");
    let _ = OrgId::parse(&bidders[0].org).unwrap();
}

#[tokio::test]
async fn a_withdrawn_bid_s_bond_is_instructed_back_within_five_days() {
    let app = TestApp::spawn_with(|a| a.refund_sender_ms = 0).await;
    let b = crate::bids::open_box(&app).await;
    let who =
        crate::opening::bidder(&app, &b, "tenderer1", &credit_code("91210100MA0Y80001")).await;
    crate::opening::bid(&app, &b, &who, &crate::bids::bid_archive(90_000_000)).await;
    let r = app
        .post(
            format!("/api/tenders/{}/sub-account", b.tender),
            Some(&who.token),
            json!({}),
        )
        .await;
    let sub = r.body["sub_account"].as_str().unwrap().to_string();
    pay(
        &app,
        "SBX5001",
        &sub,
        r.body["lots"][0]["amount_fen"].as_i64().unwrap(),
    )
    .await;
    let at = app.now();
    let r = app
        .request(
            reqwest::Method::DELETE,
            format!("/api/tenders/{}/lots/{}/bid", b.tender, b.lot),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mine = app
        .get(
            format!("/api/tenders/{}/my-bonds", b.tender),
            Some(&who.token),
        )
        .await;
    assert_eq!(
        mine.body["refunds"][0]["due_by"],
        json!(at.plus_days(5)),
        "{:?}",
        mine.body
    );
    assert_eq!(mine.body["refunds"][0]["article"], "条例 第三十五条");
    assert_eq!(mine.body["bonds"][0]["held_fen"], 0);
}

async fn start_demo(dir: &std::path::Path, url: &str, port: u16) -> tokio::process::Child {
    let settings = [("BIDHALL_REFUND_SENDER_MS", "0".to_string())];
    crate::crash::serve(dir, url, port, &["--demo"], &settings).await
}

async fn send_signed(
    client: &reqwest::Client,
    base: &str,
    secret: &Secret,
    body: &[u8],
) -> Option<(StatusCode, Value)> {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let r = client
        .post(format!("{base}/api/banks/SBX/notifications"))
        .header("Content-Type", "application/json")
        .header("Bidhall-Timestamp", ts.to_string())
        .header("Bidhall-Signature", sign(secret, ts, body))
        .body(body.to_vec())
        .send()
        .await
        .ok()?;
    let status = r.status();
    Some((status, r.json().await.ok()?))
}

#[tokio::test]
async fn a_killed_server_loses_no_answered_notification_and_takes_no_bond_twice() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _pg) = fresh_database(dir.path()).await;
    let port = crate::crash::free_port();
    let mut server = start_demo(dir.path(), &url, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let sign_in = |login: &'static str| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let r: Value = client
                .post(format!("{base}/api/session"))
                .json(&json!({ "login": login, "password": bidhall::demo::password() }))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            r["token"].as_str().unwrap().to_string()
        }
    };
    let board: Value = client
        .get(format!("{base}/api/notices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tender = board["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["title"].as_str().unwrap_or("").contains("教学楼改造"))
        .expect("the demo's school tender is on the board")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut subs = Vec::new();
    let mut lots = Vec::new();
    let mut payers = Vec::new();
    // Tenderers that have paid nothing for this tender in the demo hall.
    for login in ["tenderer1", "tenderer3", "tenderer5"] {
        let token = sign_in(login).await;
        let me: Value = client
            .get(format!("{base}/api/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        payers.push(me["org_id"].clone());
        let r = client
            .post(format!("{base}/api/tenders/{tender}/obtain"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let r: Value = client
            .post(format!("{base}/api/tenders/{tender}/sub-account"))
            .bearer_auth(&token)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        subs.push(r["sub_account"].as_str().unwrap().to_string());
        lots = r["lots"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["amount_fen"].as_i64().unwrap())
            .collect();
    }
    let text = std::fs::read_to_string(dir.path().join("banks/SBX.secret")).unwrap();
    let secret = Secret::from_bytes(&hex::decode(text.trim()).unwrap()).unwrap();
    let ledger = |token: String| {
        let (client, base) = (client.clone(), base.clone());
        async move {
            let l: Value = client
                .get(format!("{base}/api/ledger"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            l
        }
    };
    // The demo hall's own bonds and refunds are in the ledger already.
    let start = ledger(sign_in("platform").await).await;
    let (start_transactions, start_flagged, start_refunds) = (
        start["transactions"].as_i64().unwrap(),
        start["flagged"].as_array().unwrap().len(),
        start["refunds"].as_array().unwrap().len() as i64,
    );

    // Each tenderer pays every lot's bond twice (the second is already held), and strangers pay
    // to unknown sub-accounts; all in flight at once while the server is killed.
    let now = Timestamp::parse(&chrono_like_now()).unwrap();
    let mut bodies = Vec::new();
    for (t, sub) in subs.iter().enumerate() {
        for (l, fen) in lots.iter().enumerate() {
            for k in 0..2 {
                bodies.push(note(&format!("SBXK{t}{l}{k}"), sub, *fen, now));
            }
        }
    }
    for i in 0..200 {
        bodies.push(note(
            &format!("SBXU{i:04}"),
            &format!("88010000{i:04}"),
            1_000 + i,
            now,
        ));
    }
    let bodies = std::sync::Arc::new(bodies);
    let answered = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for w in 0..16 {
        let (client, base, secret, bodies, answered) = (
            client.clone(),
            base.clone(),
            secret.clone(),
            bodies.clone(),
            answered.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for i in (w..bodies.len()).step_by(16) {
                if let Some((StatusCode::OK, v)) =
                    send_signed(&client, &base, &secret, &bodies[i]).await
                {
                    answered.lock().unwrap().push((i, v));
                }
            }
        }));
    }
    // Kill as soon as some, not all, are answered.
    for _ in 0..400 {
        if answered.lock().unwrap().len() >= 30 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    server.kill().await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let before: Vec<(usize, Value)> = answered.lock().unwrap().clone();
    assert!(!before.is_empty());

    // After the restart the bank sends everything again: what was answered is a duplicate now,
    // the rest is taken once.
    let mut server = start_demo(dir.path(), &url, port).await;
    let mut outcomes = std::collections::BTreeMap::new();
    for (i, body) in bodies.iter().enumerate() {
        let (status, v) = send_signed(&client, &base, &secret, body).await.unwrap();
        assert_eq!(status, StatusCode::OK, "{v}");
        outcomes.insert(i, v);
    }
    for (i, _) in &before {
        assert_eq!(
            outcomes[i],
            json!({"outcome": "duplicate"}),
            "answered before the kill: {i}"
        );
    }
    let l = ledger(sign_in("platform").await).await;
    assert_eq!(l["trial_balance_fen"], 0);
    // A second payment of a held bond is no bond: its refund is instructed as it arrives (one
    // more transaction each, docs/reactions.md); nothing else is added.
    let refunds = l["refunds"].as_array().unwrap().len() as i64 - start_refunds;
    assert!(refunds <= (subs.len() * lots.len()) as i64, "{refunds}");
    assert_eq!(
        l["transactions"].as_i64().unwrap(),
        start_transactions + bodies.len() as i64 + refunds,
        "one transaction per payment and per refund instructed, none twice"
    );
    let balances = l["balances"].as_array().unwrap();
    let bid_bonds: Vec<i64> = balances
        .iter()
        .filter(|b| b["account"]["kind"] == "bid_bond")
        .filter(|b| b["account"]["tender"] == tender.as_str())
        .filter(|b| payers.contains(&b["account"]["tenderer"]))
        .map(|b| b["balance_fen"].as_i64().unwrap())
        .collect();
    assert_eq!(bid_bonds.len(), subs.len() * lots.len());
    let mut want: Vec<i64> = lots
        .iter()
        .flat_map(|f| std::iter::repeat_n(*f, subs.len()))
        .collect();
    let mut got = bid_bonds.clone();
    want.sort();
    got.sort();
    assert_eq!(got, want, "each bond taken exactly once");
    let flagged = l["flagged"].as_array().unwrap();
    assert_eq!(flagged.len(), start_flagged + 200 + subs.len() * lots.len());
    server.kill().await.unwrap();
}

/// The real time as RFC 3339 (the child server runs on the system clock).
fn chrono_like_now() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    Timestamp::from_stored(ms).to_rfc3339()
}

#[tokio::test]
async fn the_http_adapter_sends_a_signed_canonical_order_and_reads_the_acceptance() {
    use axum::http::HeaderMap;
    use bidhall::bonds::adapter::{AdapterError, BankAdapter, HttpBankAdapter, RefundOrder};
    use bidhall::bonds::directory::BankEndpoint;
    use std::sync::{Arc, Mutex};
    let clock = Arc::new(bidhall::clock::ManualClock::new(ts(START)));
    let secret = Secret::from_bytes(&[9u8; 32]).unwrap();
    let seen: Arc<Mutex<Vec<Vec<u8>>>> = Arc::default();
    let (bank_secret, bank_seen, bank_clock) = (secret.clone(), seen.clone(), clock.clone());
    // A bank that checks the signature against the hall's clock, accepts once, then is down.
    let bank = axum::Router::new().route(
        "/refunds",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (secret, seen, clock) =
                (bank_secret.clone(), bank_seen.clone(), bank_clock.clone());
            async move {
                let h = |n: &str| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                let now = bidhall::clock::Clock::now(&*clock);
                if bidhall::bonds::bank::verify_signed(
                    &secret,
                    &h("Bidhall-Timestamp"),
                    &h("Bidhall-Signature"),
                    &body,
                    now,
                )
                .is_err()
                {
                    return (StatusCode::UNAUTHORIZED, String::new());
                }
                let mut seen = seen.lock().unwrap();
                seen.push(body.to_vec());
                if seen.len() > 1 {
                    return (StatusCode::SERVICE_UNAVAILABLE, String::new());
                }
                let v: Value = serde_json::from_slice(&body).unwrap();
                (
                    StatusCode::OK,
                    json!({"instruction_id": v["instruction_id"], "status": "accepted"})
                        .to_string(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, bank).await });
    let endpoint = BankEndpoint {
        code: BankCode::parse("TST").unwrap(),
        base_url: format!("http://{addr}"),
        prefix: bidhall::bonds::bank::SubAccountPrefix::parse("8801").unwrap(),
        secret,
    };
    let order = RefundOrder {
        amount_fen: 2_000_000,
        instruction_id: "RF0123".into(),
        to_account: "6222020100012345678".into(),
        to_name: "沈阳某建设工程有限公司".into(),
    };
    let adapter = HttpBankAdapter::new(clock.clone());
    let accepted = adapter.send_refund(&endpoint, &order).await.unwrap();
    assert_eq!(accepted.instruction_id, "RF0123");
    assert_eq!(
        String::from_utf8(seen.lock().unwrap()[0].clone()).unwrap(),
        r#"{"amount_fen":2000000,"instruction_id":"RF0123","to_account":"6222020100012345678","to_name":"沈阳某建设工程有限公司"}"#
    );
    assert_eq!(
        adapter.send_refund(&endpoint, &order).await,
        Err(AdapterError::Refused { status: 503 })
    );
    // signed under another secret, the bank refuses it
    let wrong = BankEndpoint {
        secret: Secret::from_bytes(&[1u8; 32]).unwrap(),
        ..endpoint
    };
    assert_eq!(
        adapter.send_refund(&wrong, &order).await,
        Err(AdapterError::Refused { status: 401 })
    );
}

#[tokio::test]
async fn payments_racing_for_the_same_bond_make_it_once() {
    let app = TestApp::spawn().await;
    let (_, payers) = tender_with_payers(&app, &["tenderer1"]).await;
    let sub = payers[0].1.clone();
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let (app, sub) = (app.clone(), sub.clone());
        tasks.push(tokio::spawn(async move {
            pay(&app, &format!("SBXRACE{i:02}"), &sub, BOND).await.body
        }));
    }
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await.unwrap());
    }
    let recorded = answers
        .iter()
        .filter(|a| a["outcome"] == "recorded")
        .count();
    let held = answers
        .iter()
        .filter(|a| a["reason"] == "already_held")
        .count();
    assert_eq!((recorded, held), (1, 19), "{answers:?}");
    let l = hall_ledger(&app).await;
    assert_eq!(l["trial_balance_fen"], 0);
    let bond = l["balances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["account"]["kind"] == "bid_bond")
        .unwrap()
        .clone();
    assert_eq!(bond["balance_fen"], BOND);
}

#[tokio::test]
async fn an_award_step_crashed_before_its_reactions_is_followed_by_the_dispatcher() {
    use bidhall::award::AwardEvent;
    use bidhall::opening::Audience;
    let app = TestApp::spawn_with(|a| {
        a.refund_sender_ms = 0;
        a.opening_watcher_ms = 0;
    })
    .await;
    let (id, payers) = tender_with_payers(&app, &["tenderer1", "tenderer2"]).await;
    pay(&app, "SBX5001", &payers[0].1, BOND).await;
    pay(&app, "SBX5002", &payers[1].1, BOND).await;
    let winner = crate::bids::org_of(&app, &payers[0].0).await;
    past_the_deadline(&app, &id).await;
    let tid = TenderId::parse(&id).unwrap();
    // The award's notice and contract are committed with their reactions, but the hall stopped
    // before delivering them: no performance bond expected, no refund instructed.
    let notice_at = app.now();
    let event = |seq: i64, kind: &str, body: Value| AwardEvent {
        seq,
        at: app.now(),
        kind: kind.into(),
        audience: Audience::Public,
        body,
    };
    let audit = || {
        bidhall::auditlog::AuditEvent::new(
            "award_event",
            Some(&tid),
            bidhall::auditlog::AuditActor::System,
            app.now(),
            json!({}),
        )
    };
    // The notice as the hall writes it: a stored body is parsed strictly (docs/award.md).
    let notice = json!({ "rank": 1, "org_id": winner, "org_name": "甲", "line": 1,
        "price_fen": 96_000_000, "performance_bond_fen": 4_800_000,
        "issued_at": notice_at.to_rfc3339(),
        "contract_due": notice_at.plus_days(30).to_rfc3339() });
    let notice = vec![event(1, "award_notice_issued", notice)];
    let reactions = bidhall::reactions::after_award(&tid, &notice);
    app.app
        .store
        .append_award_events(
            &tid,
            0,
            notice,
            vec![audit()],
            vec![],
            reactions,
            Some("awarded"),
            app.now(),
        )
        .await
        .unwrap();
    app.advance_days(2);
    let contract_at = app.now();
    let contract = vec![event(
        2,
        "contract_recorded",
        json!({ "tender_id": tid.to_string(), "line": 1, "org_id": winner, "org_name": "甲",
            "price_fen": 96_000_000, "document_sha256": "ab".repeat(32),
            "notice_issued_at": notice_at.to_rfc3339(), "signed_at": contract_at.to_rfc3339() }),
    )];
    let reactions = bidhall::reactions::after_award(&tid, &contract);
    app.app
        .store
        .append_award_events(
            &tid,
            1,
            contract,
            vec![audit()],
            vec![],
            reactions,
            Some("awarded"),
            app.now(),
        )
        .await
        .unwrap();
    assert!(app.app.store.refunds(Some(&tid)).await.unwrap().is_empty());

    let round = bidhall::reactions::dispatch::dispatch_due(&app.app)
        .await
        .unwrap();
    assert_eq!(
        (round.delivered, round.failed),
        (3, 0),
        "the performance bond, the result and the contract's refunds"
    );
    assert_eq!(
        app.app.store.refunds(Some(&tid)).await.unwrap().len(),
        2,
        "both bid bonds, the winner's included"
    );
    let refunds = app.app.store.refunds(Some(&tid)).await.unwrap();
    assert!(refunds.iter().all(|r| r.due_by == contract_at.plus_days(5)));
    let expected = app
        .app
        .store
        .performance_bond_expected(&tid, &OrgId::from_stored(winner.clone()))
        .await
        .unwrap();
    assert_eq!(
        expected.map(|(m, _)| m.fen()),
        Some(4_800_000),
        "the winner's performance bond is expected"
    );
    // A second run finds nothing to do and writes nothing.
    let log = app.log_size().await;
    let again = bidhall::reactions::dispatch::dispatch_due(&app.app)
        .await
        .unwrap();
    assert_eq!((again.delivered, again.failed), (0, 0));
    assert_eq!(app.log_size().await, log);
}

#[tokio::test]
async fn a_reaction_that_fails_is_retried_after_a_growing_pause_and_keeps_its_error() {
    use bidhall::reactions::{dispatch, Effect, Reaction};
    let app = TestApp::spawn_with(|a| a.refund_sender_ms = 0).await;
    let (id, _) = tender_with_payers(&app, &["tenderer1"]).await;
    let tid = TenderId::parse(&id).unwrap();
    // A withdrawn bid's refund for a tender the hall cannot find: every delivery fails.
    let lost = TenderId::from_stored("no-such-tender".into());
    let reaction = Reaction {
        key: format!("award/{tid}/1/refunds"),
        tender: lost,
        effect: Effect::BidWithdrawn {
            org_id: "no-such-tenderer".into(),
            lot_id: "no-such-lot".into(),
            at: app.now(),
        },
    };
    let failed = bidhall::award::AwardEvent {
        seq: 1,
        at: app.now(),
        kind: "award_failed".into(),
        audience: bidhall::opening::Audience::Public,
        body: json!({ "rule": "terminated", "article": "条例31", "message": "m" }),
    };
    let audit = bidhall::auditlog::AuditEvent::new(
        "award_event",
        Some(&tid),
        bidhall::auditlog::AuditActor::System,
        app.now(),
        json!({}),
    );
    app.app
        .store
        .append_award_events(
            &tid,
            0,
            vec![failed],
            vec![audit],
            vec![],
            vec![reaction],
            Some("terminated"),
            app.now(),
        )
        .await
        .unwrap();
    let round = dispatch::dispatch_due(&app.app).await.unwrap();
    assert_eq!((round.delivered, round.failed), (0, 1));
    let stuck = app.app.store.undelivered_reactions().await.unwrap();
    assert_eq!(stuck.len(), 1);
    assert_eq!(stuck[0].attempts, 1);
    assert!(
        stuck[0].last_error.is_some(),
        "the error is kept for the operator"
    );
    assert_eq!(stuck[0].next_attempt_at, app.now().plus_millis(30_000));
    // Not again before the pause is over; again after it, with a longer pause next.
    assert_eq!(dispatch::dispatch_due(&app.app).await.unwrap().failed, 0);
    app.clock.advance_millis(30_000);
    assert_eq!(dispatch::dispatch_due(&app.app).await.unwrap().failed, 1);
    let stuck = app.app.store.undelivered_reactions().await.unwrap();
    assert_eq!(stuck[0].attempts, 2);
    assert_eq!(stuck[0].next_attempt_at, app.now().plus_millis(60_000));
}
