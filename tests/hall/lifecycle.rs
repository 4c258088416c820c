//! A tender's whole life with its money, on the settable clock and through the sandbox bank's
//! real path: publish → bid bonds paid by transfer (one first short, flagged) → bids → opening
//! (every bond received) → evaluation → publicity with an objection → award notice → the contract
//! waits for the performance bond → performance bond → contract → every bid bond and the flagged
//! payment refunded by the bank within the 5 days of 条例57 → each day reconciled with the bank's
//! statement with no difference, and the ledger balanced.

use crate::award::{
    codes, committee, conclude_opening, declare, expert_draw, mark, member_sign_in, post_award,
    sign_all,
};
use crate::bids::{open_box_with, Box_};
use crate::common::*;
use crate::opening::{bids_in, Bidder};
use bidhall::domain::DAY_MS;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Waits until the sandbox bank's deliveries (a 1 s timer of its own) and the hall's refund
/// sender have done what `done` looks for. This waits for delivery, not for a deadline: every
/// deadline below is reached by moving the clock.
pub(crate) async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..300 {
        if done().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("gave up waiting: {what}");
}

/// A payer at the sandbox bank: its account and the access code only it holds.
pub(crate) struct Payer {
    account: String,
    code: String,
}

pub(crate) async fn open_bank_account(app: &TestApp, name: &str, fen: i64) -> Payer {
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

pub(crate) async fn transfer(
    app: &TestApp,
    from: &Payer,
    to_sub_account: &str,
    fen: i64,
) -> String {
    let r = app
        .post(
            "/sandbox-bank/transfers",
            Some(&from.code),
            json!({ "from_account": from.account, "to_sub_account": to_sub_account, "amount_fen": fen }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["bank_txn_id"].as_str().unwrap().to_owned()
}

async fn balance(app: &TestApp, payer: &Payer) -> i64 {
    app.get(
        format!("/sandbox-bank/accounts/{}", payer.account),
        Some(&payer.code),
    )
    .await
    .body["balance_fen"]
        .as_i64()
        .unwrap()
}

pub(crate) async fn my_bonds(app: &TestApp, b: &Box_, who: &Bidder) -> Value {
    let r = app
        .get(
            format!("/api/tenders/{}/my-bonds", b.tender),
            Some(&who.token),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

pub(crate) fn held(view: &Value, bond: &str) -> i64 {
    view["bonds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["bond"] == bond)
        .map(|l| l["held_fen"].as_i64().unwrap())
        .sum()
}

#[tokio::test]
async fn a_tender_runs_from_publication_to_contract_and_refunds_and_every_fen_reconciles() {
    // The demo hall mounts the sandbox bank; the conductor is driven by hand.
    let app = TestApp::spawn_with(|a| {
        a.demo = true;
        a.draw_conductor_ms = 0;
    })
    .await;
    let b = open_box_with(&app, json!({ "performance_bond_percent": 5 })).await;
    expert_draw(&app, &b.tender).await;
    let prices = [98_000_000, 96_000_000, 97_000_000, 99_000_000];
    let unpaid: Vec<usize> = (0..prices.len()).collect();
    let mut bidders = bids_in(
        &app,
        &b,
        &prices.iter().map(|p| Some(*p)).collect::<Vec<_>>(),
        &unpaid,
    )
    .await;

    // Bid bonds: each tenderer asks for its sub-account and pays by transfer at the sandbox bank.
    let start = 1_000_000_000;
    let mut accounts = Vec::new();
    let mut subs = Vec::new();
    let mut bond = 0;
    for (i, who) in bidders.iter().enumerate() {
        let r = app
            .post(
                format!("/api/tenders/{}/sub-account", b.tender),
                Some(&who.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["bank"], "SBX");
        bond = r.body["lots"][0]["amount_fen"].as_i64().unwrap();
        let sub = r.body["sub_account"].as_str().unwrap().to_owned();
        let account = open_bank_account(&app, &format!("投标人{i}"), start).await;
        if i == 2 {
            // one fen short: recorded and flagged, never the bond
            transfer(&app, &account, &sub, bond - 1).await;
        }
        transfer(&app, &account, &sub, bond).await;
        accounts.push(account);
        subs.push(sub);
    }
    assert!(bond > 0);
    for who in &bidders {
        until("every bid bond in the ledger", || async {
            held(&my_bonds(&app, &b, who).await, "bid") == bond
        })
        .await;
    }
    let third = my_bonds(&app, &b, &bidders[2]).await;
    let flagged: Vec<&Value> = third["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "flagged")
        .collect();
    assert_eq!(flagged.len(), 1, "{third}");
    assert_eq!(flagged[0]["reason"], "short");
    assert_eq!(flagged[0]["amount_fen"], bond - 1);
    let payment_day = app.now();
    // A payment to a mistyped sub-account names no tender: flagged, kept in suspense.
    let mut mistyped = subs[0].clone();
    let last = mistyped.pop().unwrap().to_digit(10).unwrap();
    mistyped.push(char::from_digit((last + 1) % 10, 10).unwrap());
    let stray = transfer(&app, &accounts[0], &mistyped, 12_345).await;
    let platform = app.sign_in("platform").await;
    until("the stray payment flagged", || async {
        let l = app.get("/api/ledger", Some(&platform)).await;
        l.body["flagged"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["bank_txn_id"] == stray.as_str() && r["reason"] == "unknown_sub_account")
    })
    .await;

    // The opening: every bond received, by transfer into the ledger.
    conclude_opening(&app, &b, &mut bidders).await;
    let events = app
        .get(format!("/api/tenders/{}/opening/events", b.tender), None)
        .await;
    let checked = events.body["events"]
        .as_array()
        .or(events.body.as_array())
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "bonds_checked")
        .cloned()
        .expect("the bonds were checked");
    for line in checked["body"]["lines"].as_array().unwrap() {
        assert_eq!(line["bond"], "received", "{checked}");
    }

    // Evaluation: five drawn experts mark every bid compliant; the lowest price ranks first.
    let agent = app.sign_in("agent").await;
    let formed = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let mut members = Vec::new();
    for (_, code) in codes(&formed) {
        members.push(member_sign_in(&app, &code).await);
    }
    for m in &members {
        assert_eq!(declare(&app, &b, m, false).await.status, StatusCode::OK);
        for line in 1..=prices.len() as i64 {
            let r = mark(&app, &b, m, line, true, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    sign_all(&app, &b, &members).await;

    // Publicity with an objection and its answer, then the award notice to the lowest price.
    let until_at = app.now().plus_millis(3 * DAY_MS);
    let r = post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        json!({ "count": 3, "until": until_at.to_rfc3339() }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let objector = app.sign_in(&bidders[3].login).await;
    let r = post_award(
        &app,
        &b,
        &objector,
        "award/objections",
        json!({ "text": "第一名的业绩证明存疑" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let objection = r.body["id"].as_i64().unwrap();
    let owner = app.sign_in("owner").await;
    let r = post_award(
        &app,
        &b,
        &owner,
        &format!("award/objections/{objection}/answer"),
        json!({ "text": "经核查，业绩证明真实有效" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    app.clock.set(until_at.plus_millis(1));
    let owner = app.sign_in("owner").await;
    let notice = post_award(&app, &b, &owner, "award/notice", json!({})).await;
    assert_eq!(notice.status, StatusCode::OK, "{:?}", notice.body);
    let winner = bidders
        .iter()
        .position(|w| notice.body["org_id"] == w.org.as_str())
        .unwrap();
    assert_eq!(winner, 1, "the lowest price wins");
    // 法45: the others are told the result, each its own.
    for (i, who) in bidders.iter().enumerate() {
        let token = app.sign_in(&who.login).await;
        let view = app
            .get(format!("/api/tenders/{}/award", b.tender), Some(&token))
            .await;
        let want = if i == winner {
            "awarded"
        } else {
            "not_awarded"
        };
        assert_eq!(view.body["lots"][0]["my_result"], want, "{:?}", view.body);
    }
    let performance = 96_000_000 * 5 / 100;
    assert_eq!(notice.body["performance_bond_fen"], performance);

    // The contract waits for the performance bond (条例58, 74).
    let contract = json!({ "price_fen": 96_000_000, "document_sha256": "ab".repeat(32) });
    let r = post_award(&app, &b, &owner, "award/contract", contract.clone()).await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "performance_bond_missing"),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["error"]["details"]["required_fen"], performance);
    let w = &bidders[winner];
    let w_token = app.sign_in(&w.login).await;
    let w = Bidder {
        token: w_token,
        login: w.login.clone(),
        org: w.org.clone(),
        pkcs8: w.pkcs8.clone(),
    };
    transfer(&app, &accounts[winner], &subs[winner], performance).await;
    until("the performance bond in the ledger", || async {
        held(&my_bonds(&app, &b, &w).await, "performance") == performance
    })
    .await;
    let signed = post_award(&app, &b, &owner, "award/contract", contract).await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    let contract_at = app.now();

    // 条例57: every bid bond, the winner's included, goes back within 5 days of the contract (the
    // flagged payment already went back as it arrived); the winner's performance bond stays.
    let platform = app.sign_in("platform").await;
    let ledger_of_tender = |token: String| {
        let app = &app;
        let path = format!("/api/tenders/{}/bonds/ledger", b.tender);
        async move { app.get(path, Some(&token)).await.body }
    };
    let view = ledger_of_tender(platform.clone()).await;
    let refunds = view["refunds"].as_array().unwrap().clone();
    assert_eq!(refunds.len(), prices.len() + 1, "{view}");
    for r in &refunds {
        let due = bidhall::domain::Timestamp::parse(r["due_by"].as_str().unwrap()).unwrap();
        if r["article"] == "非保证金来款，原路退回" {
            // the flagged payment is no bond: it went back within 5 days of its arrival
            assert!(due < contract_at, "{r}");
        } else {
            assert_eq!(due, contract_at.plus_millis(5 * DAY_MS), "{r}");
            assert!(r["article"].as_str().unwrap().contains("五十七"), "{r}");
        }
    }
    assert_eq!(
        refunds
            .iter()
            .filter(|r| r["article"] == "非保证金来款，原路退回")
            .count(),
        1
    );
    until("every refund paid by the bank", || async {
        let v = ledger_of_tender(platform.clone()).await;
        v["refunds"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["state"] == "paid")
    })
    .await;
    assert!(app.now() <= contract_at.plus_millis(5 * DAY_MS));

    // The stray payment goes back on the trading centre's word, once.
    let stray_path = format!("/api/ledger/receipts/SBX/{stray}/refund");
    let r = app.post(&stray_path, Some(&w.token), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            "/api/ledger/receipts/SBX/SBX00000000000000/refund",
            Some(&platform),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.post(&stray_path, Some(&platform), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(r.body["instruction_id"].is_string());
    let r = app.post(&stray_path, Some(&platform), json!({})).await;
    assert_eq!(
        r.body["instruction_id"],
        Value::Null,
        "nothing more to return"
    );

    // The contract is performed: the owner's side returns the performance bond.
    let path = format!("/api/tenders/{}/bonds/performance-completed", b.tender);
    let r = app.post(&path, Some(&w.token), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post(&path, Some(&owner), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let public = app
        .get(format!("/api/tenders/{}/award", b.tender), None)
        .await;
    assert_eq!(public.body["stage"], "completed", "{:?}", public.body);
    let again = app.post(&path, Some(&owner), json!({})).await;
    assert_eq!(again.body["instruction_id"], Value::Null, "once");
    until(
        "the stray payment and the performance bond paid back",
        || async {
            let l = app.get("/api/ledger", Some(&platform)).await;
            l.body["refunds"]
                .as_array()
                .unwrap()
                .iter()
                .all(|r| r["state"] == "paid")
                && l.body["refunds"].as_array().unwrap().len() == prices.len() + 3
        },
    )
    .await;
    for (i, account) in accounts.iter().enumerate() {
        assert_eq!(
            balance(&app, account).await,
            start,
            "tenderer {i} has every fen back"
        );
    }
    let winner_view = my_bonds(&app, &b, &w).await;
    assert_eq!(held(&winner_view, "bid"), 0);
    assert_eq!(held(&winner_view, "performance"), 0);

    // Each day with movements reconciles with the bank's statement, with no difference.
    app.clock.advance_millis(DAY_MS);
    let platform = app.sign_in("platform").await;
    let mut day = payment_day;
    let mut matched = 0;
    while day <= contract_at.plus_millis(DAY_MS) {
        let r = app
            .post(
                "/api/ledger/reconciliations",
                Some(&platform),
                json!({ "bank": "SBX", "day": &day.to_rfc3339()[..10] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(r.body["differences"], json!([]), "{:?}", r.body);
        matched += r.body["matched"].as_i64().unwrap();
        day = day.plus_millis(DAY_MS);
    }
    // 4 bonds, 1 short payment, 1 stray payment, 1 performance bond, and their 7 refunds
    assert_eq!(matched, 14);
    let stored = app
        .get("/api/ledger/reconciliations", Some(&platform))
        .await;
    assert!(
        stored.body.as_array().unwrap().len() >= 2,
        "{:?}",
        stored.body
    );
    let tenderer = app.sign_in("tenderer1").await;
    assert_eq!(
        app.get("/api/ledger/reconciliations", Some(&tenderer))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let ledger = app.get("/api/ledger", Some(&platform)).await;
    assert_eq!(ledger.body["trial_balance_fen"], 0, "{:?}", ledger.body);
    // The trading centre's ledger page lists the days reconciled, none with a difference.
    let page = app.get("/ledger", Some(&platform)).await;
    let html = page.body.as_str().unwrap();
    assert!(html.contains(r#"id="daily-reconciliations""#), "{html}");
    assert!(html.contains(r#"data-differences="0""#));
    assert!(!html.contains(r#"data-differences="1""#));
}
