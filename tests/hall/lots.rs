//! A tender of two lots (标段) through its whole life after the opening: one committee, each lot
//! ranked on its own, a rejection with its ground of 条例51, publicity, an objection to one lot
//! that holds only that lot's notice, each tenderer told its own result per lot (法45), contracts
//! per lot, each lot's bid bonds going back at its own contract (条例57), and the tender completed
//! once every lot is performed.

use crate::award::{
    award, codes, committee, conclude_opening, declare, expert_draw, mark, member_sign_in,
    post_award, sign_all,
};
use crate::bids::{bid_archive, open_box_with, Box_};
use crate::common::*;
use crate::lifecycle::{held, my_bonds, open_bank_account, transfer, until};
use crate::opening::{bid, bidder, Bidder};
use bidhall::auditlog::note::NoteVerifier;
use bidhall::award::letter;
use bidhall::domain::{TenderId, DAY_MS};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// Each bidder pays each of its lots' bid bonds into its sub-account at the sandbox bank (one
/// transfer per lot), and the ledger holds them all.
async fn pay_bonds(app: &TestApp, b: &Box_, bidders: &[Bidder], owed: &[(usize, i64)]) {
    for (i, who) in bidders.iter().enumerate() {
        let mine: Vec<i64> = owed
            .iter()
            .filter(|(w, _)| *w == i)
            .map(|(_, f)| *f)
            .collect();
        if mine.is_empty() {
            continue;
        }
        let r = app
            .post(
                format!("/api/tenders/{}/sub-account", b.tender),
                Some(&who.token),
                json!({}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let sub = r.body["sub_account"].as_str().unwrap().to_owned();
        let account = open_bank_account(app, &format!("投标人{i}"), 100_000_000).await;
        for fen in &mine {
            transfer(app, &account, &sub, *fen).await;
        }
        let total: i64 = mine.iter().sum();
        until("the bid bonds in the ledger", || async {
            held(&my_bonds(app, b, who).await, "bid") == total
        })
        .await;
    }
}

/// The lot of `view` (the award's public or personal view) with id `lot`.
fn lot<'a>(view: &'a Value, lot: &str) -> &'a Value {
    view["lots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["lot_id"] == lot)
        .unwrap_or_else(|| panic!("no lot {lot} in {view:?}"))
}

/// A published tender of two lots (bonds 20 000 and 10 000 元), its custodians registered: the
/// box for lot 1, the same box for lot 2, and the lots' ids.
async fn two_lot_box(app: &TestApp) -> (Box_, Box_, String, String) {
    two_lot_box_with(app, json!({})).await
}

/// As `two_lot_box`, with `overrides` of the tender spec's fields (e.g. its evaluation method).
async fn two_lot_box_with(app: &TestApp, overrides: Value) -> (Box_, Box_, String, String) {
    let lots = json!([
        { "name": "第一标段", "estimate_fen": 100_000_000, "bid_bond_fen": 2_000_000 },
        { "name": "第二标段", "estimate_fen": 50_000_000, "bid_bond_fen": 1_000_000 },
    ]);
    let mut spec = json!({ "lots": lots });
    for (k, v) in overrides.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let b = open_box_with(app, spec).await;
    let spec = app.get(format!("/api/tenders/{}", b.tender), None).await;
    let id = |i: usize| {
        spec.body["spec"]["lots"][i]["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (lot1, lot2) = (id(0), id(1));
    let b2 = Box_ {
        tender: b.tender.clone(),
        lot: lot2.clone(),
        deadline: b.deadline,
        custodian_keys: Vec::new(),
        tenderer: b.tenderer.clone(),
        tenderer_org: b.tenderer_org.clone(),
        signer_pkcs8: b.signer_pkcs8.clone(),
    };
    (b, b2, lot1, lot2)
}

/// Six bids in two lots — lot 1: tenderer1, 2, 3; lot 2: tenderer1 (in both), builder4, builder5
/// — their bonds paid at the sandbox bank, an expert draw, and the opening concluded.
async fn two_lots(app: &TestApp) -> (Box_, String, String, Vec<Bidder>, Vec<(String, usize, i64)>) {
    two_lots_with(app, json!({})).await
}

/// As `two_lots`, the tender spec with `overrides`.
async fn two_lots_with(
    app: &TestApp,
    overrides: Value,
) -> (Box_, String, String, Vec<Bidder>, Vec<(String, usize, i64)>) {
    let (b, b2, lot1, lot2) = two_lot_box_with(app, overrides).await;
    expert_draw(app, &b.tender).await;

    // lot 1: tenderer1, 2, 3; lot 2: tenderer1 (in both), builder4, builder5
    let logins = [
        "tenderer1",
        "tenderer2",
        "tenderer3",
        "builder4",
        "builder5",
    ];
    let mut bidders: Vec<Bidder> = Vec::new();
    for (i, login) in logins.iter().enumerate() {
        let code = credit_code(&format!("91210100MA0Y8100{i}"));
        bidders.push(bidder(app, &b, login, &code).await);
    }
    let bids: [(&Box_, usize, i64); 6] = [
        (&b, 0, 96_000_000),
        (&b, 1, 98_000_000),
        (&b, 2, 99_000_000),
        (&b2, 0, 45_000_000),
        (&b2, 3, 47_000_000),
        (&b2, 4, 48_000_000),
    ];
    let mut owed = Vec::new();
    for (bx, who, price) in &bids {
        bid(app, bx, &bidders[*who], &bid_archive(*price)).await;
        owed.push((*who, if bx.lot == lot1 { 2_000_000 } else { 1_000_000 }));
    }
    pay_bonds(app, &b, &bidders, &owed).await;
    conclude_opening(app, &b, &mut bidders).await;
    let bids = bids
        .iter()
        .map(|(bx, who, price)| (bx.lot.clone(), *who, *price))
        .collect();
    (b, lot1, lot2, bidders, bids)
}

#[tokio::test]
async fn two_lots_are_ranked_awarded_contracted_and_refunded_each_on_its_own() {
    // The demo hall mounts the sandbox bank, where the bonds are paid.
    let app = TestApp::spawn_with(|a| {
        a.demo = true;
        a.draw_conductor_ms = 0;
    })
    .await;
    let (b, lot1, lot2, bidders, bids) = two_lots(&app).await;
    let logins = [
        "tenderer1",
        "tenderer2",
        "tenderer3",
        "builder4",
        "builder5",
    ];

    // one committee for the tender: its documents form no committee per lot, so naming a lot is
    // refused
    let agent = app.sign_in("agent").await;
    let r = post_award(
        &app,
        &b,
        &agent,
        "evaluation/committee",
        json!({ "owner_representatives": [], "lot_id": lot1 }),
    )
    .await;
    assert_eq!(r.code(), "one_committee", "{:?}", r.body);
    let formed = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let mut members = Vec::new();
    for (_, code) in codes(&formed) {
        let m = member_sign_in(&app, &code).await;
        assert_eq!(declare(&app, &b, &m, false).await.status, StatusCode::OK);
        members.push(m);
    }
    // the room shows each bid's lot and what was read out for it, and the grounds of 条例51
    let room = app
        .get(
            format!("/api/tenders/{}/evaluation", b.tender),
            Some(&members[0]),
        )
        .await;
    let room_bids = room.body["bids"].as_array().unwrap();
    assert_eq!(room_bids.len(), 6);
    assert!(room_bids.iter().all(|x| x["bid_id"].is_string()));
    assert_eq!(room.body["rejection_grounds"].as_array().unwrap().len(), 7);
    // lines are in announcement order; find each bid's line by its lot and price
    let line = |lot: &str, price: i64| {
        room_bids
            .iter()
            .find(|x| x["lot_id"] == lot && x["price_fen"] == price)
            .unwrap()["line"]
            .as_i64()
            .unwrap()
    };
    // a rejection without its ground is refused (条例51)
    let r = post_award(
        &app,
        &b,
        &members[0],
        "evaluation/scores",
        json!({ "line": line(&lot2, 48_000_000), "compliant": false, "scores": [] }),
    )
    .await;
    assert_eq!(r.code(), "rejection_ground_required", "{:?}", r.body);
    // 条例52: a member asks tenderer2 to clarify its bid in writing; only tenderer2 reads the
    // question (by seat, never a name) and answers it from its own account
    let r = post_award(
        &app,
        &b,
        &members[1],
        "evaluation/clarifications",
        json!({ "line": line(&lot1, 98_000_000), "text": "请说明工期计算依据" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let asked = r.body["id"].as_i64().unwrap();
    let tenderer2 = app.sign_in("tenderer2").await;
    let tenderer3 = app.sign_in("tenderer3").await;
    let mine = award(&app, &b, Some(&tenderer2)).await;
    assert_eq!(mine["clarifications"][0]["text"], "请说明工期计算依据");
    assert_eq!(mine["clarifications"][0]["seat"], 2);
    assert_eq!(
        award(&app, &b, Some(&tenderer3)).await["clarifications"],
        json!([])
    );
    assert_eq!(award(&app, &b, None).await["clarifications"], json!([]));
    let answer = format!("award/clarifications/{asked}/answer");
    let r = post_award(&app, &b, &tenderer3, &answer, json!({ "text": "冒名答复" })).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
    let r = post_award(
        &app,
        &b,
        &tenderer2,
        &answer,
        json!({ "text": "按投标文件第三章计算" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = post_award(&app, &b, &tenderer2, &answer, json!({ "text": "再答" })).await;
    assert_eq!(r.code(), "invalid_input", "answered once: {:?}", r.body);
    let room = app
        .get(
            format!("/api/tenders/{}/evaluation", b.tender),
            Some(&members[0]),
        )
        .await;
    assert_eq!(
        room.body["clarifications"][0]["answer"],
        "按投标文件第三章计算"
    );

    // every member rejects builder5's bid for lot 2; the rest pass
    for m in &members {
        for (lot, who, price) in &bids {
            let ok = *who != 4;
            let r = mark(&app, &b, m, line(lot, *price), ok, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    sign_all(&app, &b, &members).await;
    let report = app
        .get(
            format!("/api/tenders/{}/evaluation/report", b.tender),
            Some(&agent),
        )
        .await;
    let ranking = report.body["report"]["ranking"].as_array().unwrap();
    let rank_of = |lot: &str, price: i64| {
        ranking
            .iter()
            .find(|r| r["lot_id"] == lot && r["price_fen"] == price)
            .unwrap()["rank"]
            .clone()
    };
    // each lot ranked on its own: both lots have a first
    assert_eq!(rank_of(&lot1, 96_000_000), 1);
    assert_eq!(rank_of(&lot1, 99_000_000), 3);
    assert_eq!(rank_of(&lot2, 45_000_000), 1);
    assert_eq!(rank_of(&lot2, 47_000_000), 2);
    assert_eq!(rank_of(&lot2, 48_000_000), Value::Null);
    assert_eq!(
        report.body["report"]["clarifications"][0]["answer"],
        "按投标文件第三章计算"
    );
    let marks = report.body["report"]["marks"].as_array().unwrap();
    assert!(marks
        .iter()
        .any(|m| m["rejection"]["ground"] == "not_responsive"));
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "evaluated");
    assert_eq!(lot(&public, &lot1)["stage"], "evaluated");
    assert_eq!(lot(&public, &lot1)["name"], "第一标段");

    // publicity per lot; without naming the lot the host is asked to
    let until = app.now().plus_millis(3 * DAY_MS).to_rfc3339();
    let r = post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        json!({ "count": 2, "until": until }),
    )
    .await;
    assert_eq!(r.code(), "lot_required", "{:?}", r.body);
    for (l, n) in [(&lot1, 3), (&lot2, 2)] {
        let r = post_award(
            &app,
            &b,
            &agent,
            "award/candidates",
            json!({ "count": n, "until": until, "lot_id": l }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "publicised");
    assert_eq!(
        lot(&public, &lot2)["candidates"].as_array().unwrap().len(),
        2
    );
    // builder4 objects to lot 2's candidates
    let builder4 = app.sign_in("builder4").await;
    let r = post_award(
        &app,
        &b,
        &builder4,
        "award/objections",
        json!({ "text": "第一名工期不满足要求", "lot_id": lot2 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let objection = r.body["id"].as_i64().unwrap();

    app.clock.advance_millis(3 * DAY_MS);
    let owner = app.sign_in("owner").await;
    let notice = |l: &str| format!("award/notice?lot_id={l}");
    // lot 1's notice goes; lot 2's waits for the answer
    let r = post_award(&app, &b, &owner, &notice(&lot1), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["lot_id"], lot1.as_str());
    assert_eq!(r.body["org_id"], bidders[0].org.as_str());
    let r = post_award(&app, &b, &owner, &notice(&lot2), json!({})).await;
    assert_eq!(r.code(), "objections_unanswered", "{:?}", r.body);
    // the result is not determined while lot 2 has no notice: the report stays with insiders
    let tenderer2 = app.sign_in("tenderer2").await;
    let early = app
        .get(
            format!("/api/tenders/{}/evaluation/report", b.tender),
            Some(&tenderer2),
        )
        .await;
    assert_eq!(early.status, StatusCode::FORBIDDEN, "{:?}", early.body);
    let r = post_award(
        &app,
        &b,
        &owner,
        &format!("award/objections/{objection}/answer"),
        json!({ "text": "经复核，工期满足要求" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = post_award(&app, &b, &owner, &notice(&lot2), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // 法45: each tenderer reads its own result, per lot it bid for
    for (i, login) in logins.iter().enumerate() {
        let token = app.sign_in(login).await;
        let view = award(&app, &b, Some(&token)).await;
        let (want1, want2) = match i {
            0 => ("awarded", "awarded"),
            1 | 2 => ("not_awarded", ""),
            _ => ("", "not_awarded"),
        };
        let got = |l: &str| {
            lot(&view, l)["my_result"]
                .as_str()
                .unwrap_or("")
                .to_string()
        };
        assert_eq!(
            (got(&lot1).as_str(), got(&lot2).as_str()),
            (want1, want2),
            "{login}"
        );
    }
    let r = app
        .get(
            format!("/api/tenders/{}/evaluation/report", b.tender),
            Some(&tenderer2),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "the result is determined: {:?}",
        r.body
    );

    // 法45: the signed letters — two award notices to tenderer1, a notice of the result to
    // tenderer2 — each checks against the log's key, and the printable page says them in words
    let key = log_key(&app).await;
    let verifier = NoteVerifier::parse(key.trim()).unwrap();
    let letters = format!("/api/tenders/{}/award/letters", b.tender);
    let tenderer1 = app.sign_in("tenderer1").await;
    let mine = app.get(&letters, Some(&tenderer1)).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    let mine = mine.body.as_array().unwrap().clone();
    assert_eq!(mine.len(), 2, "{mine:?}");
    for item in &mine {
        assert_eq!(item["letter"]["kind"], "award_notice");
        let sig = item["signature"].as_str().unwrap();
        letter::verify(&item["letter"], sig, &verifier).unwrap();
        let mut forged = item["letter"].clone();
        forged["price_fen"] = json!(1);
        assert!(letter::verify(&forged, sig, &verifier).is_err());
    }
    let theirs = app.get(&letters, Some(&tenderer2)).await.body;
    assert_eq!(theirs.as_array().unwrap().len(), 1, "{theirs:?}");
    assert_eq!(theirs[0]["letter"]["kind"], "result_notice");
    assert_eq!(theirs[0]["letter"]["winner"]["price_fen"], 96_000_000);
    assert_eq!(
        app.get(&letters, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let page = app
        .client
        .get(format!("{}/tenders/{}/award/letters", app.base, b.tender))
        .header("Authorization", format!("Bearer {tenderer1}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches(r#"data-kind="award_notice""#).count(),
        2,
        "{page}"
    );
    assert!(page.contains("人民币玖拾陆万元整"), "{page}");
    assert!(page.contains("人民币肆拾伍万元整"));

    // 条例74 is a fact, not a word: tenderer2 was never awarded lot 1
    let agent = app.sign_in("agent").await;
    let forfeit = |org: &str, l: &str| {
        json!({ "tenderer_id": org, "bond": "bid", "lot_id": l,
        "ground": "refused_to_sign", "reason": "拒不签订合同" })
    };
    let r = post_award(
        &app,
        &b,
        &agent,
        "bonds/forfeit",
        forfeit(&bidders[1].org, &lot1),
    )
    .await;
    assert_eq!(r.code(), "ground_not_established", "{:?}", r.body);

    // contracts per lot; each returns its own lot's bid bonds (条例57)
    let tid = TenderId::parse(&b.tender).unwrap();
    let contract = |l: &str, price: i64| json!({ "price_fen": price, "document_sha256": "cd".repeat(32), "lot_id": l });
    app.clock.advance_millis(DAY_MS);
    let owner = app.sign_in("owner").await;
    let r = post_award(
        &app,
        &b,
        &owner,
        "award/contract",
        contract(&lot1, 96_000_000),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let refunds = app.app.store.refunds(Some(&tid)).await.unwrap();
    let amounts: Vec<i64> = refunds.iter().map(|r| r.amount.fen()).collect();
    assert_eq!(
        amounts, [2_000_000; 3],
        "lot 1's three bonds, lot 2's none yet"
    );
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "awarded", "lot 2 is still awarded only");
    assert_eq!(lot(&public, &lot1)["stage"], "contracted");
    let r = post_award(
        &app,
        &b,
        &owner,
        "award/contract",
        contract(&lot2, 45_000_000),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let refunds = app.app.store.refunds(Some(&tid)).await.unwrap();
    let mut amounts: Vec<i64> = refunds.iter().map(|r| r.amount.fen()).collect();
    amounts.sort();
    assert_eq!(
        amounts,
        [1_000_000, 1_000_000, 1_000_000, 2_000_000, 2_000_000, 2_000_000]
    );
    assert!(refunds.iter().all(|r| r.article == "条例 第五十七条"));
    assert_eq!(award(&app, &b, None).await["stage"], "contracted");
    // the winner signed: refusing to sign is no longer a ground against it
    let agent = app.sign_in("agent").await;
    let r = post_award(
        &app,
        &b,
        &agent,
        "bonds/forfeit",
        forfeit(&bidders[0].org, &lot1),
    )
    .await;
    assert_eq!(r.code(), "ground_not_established", "{:?}", r.body);

    // performance per lot: the tender completes with the last
    let performed = |l: &str| format!("bonds/performance-completed?lot_id={l}");
    let agent = app.sign_in("agent").await;
    let r = post_award(&app, &b, &agent, &performed(&lot1), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(award(&app, &b, None).await["stage"], "contracted");
    let r = post_award(&app, &b, &agent, &performed(&lot2), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "completed");
    // the tender's page shows both lots with their own stage
    let page = app
        .client
        .get(format!("{}/tenders/{}", app.base, b.tender))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches(r#"class="award-lot""#).count(), 2, "{page}");
    assert!(page.contains("第二标段"));
}

/// A lot with fewer than 3 bids is not evaluated and fails alone (条例44); its bonds go back.
#[tokio::test]
async fn a_lot_with_fewer_than_three_bids_fails_alone_and_its_bonds_go_back() {
    // The demo hall mounts the sandbox bank, where the bonds are paid.
    let app = TestApp::spawn_with(|a| {
        a.demo = true;
        a.draw_conductor_ms = 0;
    })
    .await;
    let (b, b2, lot1, lot2) = two_lot_box(&app).await;
    expert_draw(&app, &b.tender).await;
    let logins = ["tenderer1", "tenderer2", "tenderer3"];
    let mut bidders: Vec<Bidder> = Vec::new();
    for (i, login) in logins.iter().enumerate() {
        let code = credit_code(&format!("91210100MA0Y8200{i}"));
        bidders.push(bidder(&app, &b, login, &code).await);
    }
    // three bids for lot 1, one for lot 2
    let bids = [
        (&b, 0, 96_000_000),
        (&b, 1, 97_000_000),
        (&b, 2, 98_000_000),
        (&b2, 0, 45_000_000),
    ];
    let mut owed = Vec::new();
    for (bx, who, price) in &bids {
        bid(&app, bx, &bidders[*who], &bid_archive(*price)).await;
        owed.push((*who, if bx.lot == lot2 { 1_000_000 } else { 2_000_000 }));
    }
    pay_bonds(&app, &b, &bidders, &owed).await;
    conclude_opening(&app, &b, &mut bidders).await;
    // the opening did not open lot 2 (条例44): its bid was neither decrypted nor read out, the
    // signed record says so, and its bond went back with the opening
    let opening = app
        .get(format!("/api/tenders/{}/opening", b.tender), None)
        .await;
    assert_eq!(
        opening.body["not_opened"],
        json!([{ "lot_id": lot2, "count": 1 }])
    );
    let lines = opening.body["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l["lot_id"] == lot1.as_str()));
    let report = app
        .get(format!("/api/tenders/{}/opening/report", b.tender), None)
        .await;
    assert_eq!(
        report.body["record"]["not_opened"],
        json!([{ "lot_id": lot2, "count": 1 }])
    );
    let tid = TenderId::parse(&b.tender).unwrap();
    let refunds = app.app.store.refunds(Some(&tid)).await.unwrap();
    assert_eq!(
        refunds.len(),
        1,
        "lot 2's bond, at the opening: {refunds:?}"
    );
    let page = app
        .client
        .get(format!("{}/tenders/{}/opening/report", app.base, b.tender))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("不予开标的标段") && page.contains("第二标段"),
        "{page}"
    );
    let agent = app.sign_in("agent").await;
    let formed = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let public = award(&app, &b, None).await;
    let thin = lot(&public, &lot2);
    assert_eq!(thin["stage"], "failed");
    assert_eq!(thin["failure"]["rule"], "min_three_bids");
    assert_eq!(thin["failure"]["article"], "条例44");
    // its bid is not in the room to be scored
    let m = member_sign_in(&app, &codes(&formed)[0].1).await;
    let room = app
        .get(format!("/api/tenders/{}/evaluation", b.tender), Some(&m))
        .await;
    let evaluated = room.body["bids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["evaluated"] == true)
        .count();
    assert_eq!(evaluated, 3);
    // the lot was not opened (条例44) and its bond went back (条例31), and only it; nothing is
    // left for the dispatcher
    let round = bidhall::reactions::dispatch::dispatch_due(&app.app)
        .await
        .unwrap();
    assert_eq!(round.failed, 0);
    let refunds = app.app.store.refunds(Some(&tid)).await.unwrap();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].amount.fen(), 1_000_000);
    assert_eq!(refunds[0].article, "条例 第三十一条");

    // the owner cancels lot 1 with its reason (条例31): public, and its bonds go back too
    let url = format!("/api/tenders/{}/award/termination", b.tender);
    let cancel = |lot: &str| json!({ "lot_id": lot, "reason": "项目资金未落实，取消本标段" });
    for login in ["tenderer1", "agent", "supervisor"] {
        let token = app.sign_in(login).await;
        let r = app.post(&url, Some(&token), cancel(&lot1)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}: {:?}", r.body);
    }
    let owner = app.sign_in("owner").await;
    let r = app.post(&url, Some(&owner), cancel(&lot2)).await;
    assert_eq!(
        r.code(),
        "lot_wrong_stage",
        "an already failed lot: {:?}",
        r.body
    );
    let r = app.post(&url, Some(&owner), cancel(&lot1)).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["stage"], "failed", "every lot has failed");
    assert_eq!(lot(&r.body, &lot1)["failure"]["rule"], "terminated");
    assert_eq!(
        lot(&r.body, &lot1)["failure"]["message"],
        "项目资金未落实，取消本标段"
    );
    let refunds = app.app.store.refunds(Some(&tid)).await.unwrap();
    assert_eq!(refunds.len(), 4, "{refunds:?}");
    assert!(refunds.iter().all(|r| r.article == "条例 第三十一条"));
    let r = app
        .post(&url, Some(&owner), json!({ "reason": "终止" }))
        .await;
    assert_eq!(r.code(), "award_wrong_stage", "{:?}", r.body);
}

/// The tender of the browser test: comprehensive scoring, the technical criterion scored by the
/// members and the price criterion computed by the hall from the lowest valid price (docs/award.md
/// §3), 2 hundredths of a point off per 1 % above it.
/// Forms `lot`'s committee (with `draw` when named) and signs its members in, each declared
/// free of conflict; returns the answer and the member tokens.
async fn lot_committee(
    app: &TestApp,
    b: &Box_,
    lot: &str,
    draw: Option<&str>,
) -> (Reply, Vec<String>) {
    let agent = app.sign_in("agent").await;
    let mut body = json!({ "owner_representatives": [], "lot_id": lot });
    if let Some(d) = draw {
        body["draw_id"] = json!(d);
    }
    let r = post_award(app, b, &agent, "evaluation/committee", body).await;
    let mut members = Vec::new();
    if r.status == StatusCode::CREATED {
        for (_, code) in codes(&r) {
            let m = member_sign_in(app, &code).await;
            assert_eq!(declare(app, b, &m, false).await.status, StatusCode::OK);
            members.push(m);
        }
    }
    (r, members)
}

/// Where the documents say so (`committee_per_lot`), each lot has its own committee from an
/// expert draw of its own: formed per lot, seated after the other's seats, scoring only its lot's
/// bids, signing its own report; one lot is publicised while the other is still evaluated.
#[tokio::test]
async fn each_lot_has_a_committee_of_its_own_where_the_documents_say_so() {
    let app = TestApp::spawn_with(|a| {
        a.demo = true;
        a.draw_conductor_ms = 0;
    })
    .await;
    let (b, lot1, lot2, _bidders, bids) =
        two_lots_with(&app, json!({ "committee_per_lot": true })).await;
    let first_draw = app
        .get("/api/draws", None)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["draw"]["tender_id"] == b.tender.as_str())
        .unwrap()["draw"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let agent = app.sign_in("agent").await;

    // the lot must be named, and be one of the tender's
    let r = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(r.code(), "lot_required", "{:?}", r.body);
    let (r, _) = lot_committee(&app, &b, "no-such-lot", None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);

    // lot 1's committee from the one draw there is: seats 1 to 5
    let (r, lot1_members) = lot_committee(&app, &b, &lot1, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        codes(&r).iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    let (r, _) = lot_committee(&app, &b, &lot1, None).await;
    assert_eq!(
        r.code(),
        "lot_wrong_stage",
        "lot 1 has its committee: {:?}",
        r.body
    );
    // lot 2 needs a draw of its own
    let (r, _) = lot_committee(&app, &b, &lot2, None).await;
    assert_eq!(r.code(), "no_expert_draw", "{:?}", r.body);
    let (r, _) = lot_committee(&app, &b, &lot2, Some(&first_draw)).await;
    assert_eq!(r.code(), "draw_already_used", "{:?}", r.body);
    assert_eq!(r.body["error"]["details"]["draw_id"], first_draw.as_str());

    // lot 1's room shows only lot 1's three bids; lot 2's bid cannot be scored there
    let room = app
        .get(
            format!("/api/tenders/{}/evaluation", b.tender),
            Some(&lot1_members[0]),
        )
        .await;
    assert_eq!(room.body["lot_id"], lot1.as_str());
    let room_bids = room.body["bids"].as_array().unwrap().clone();
    assert_eq!(room_bids.len(), 3);
    assert!(room_bids.iter().all(|x| x["lot_id"] == lot1.as_str()));
    let line_of = |room: &[Value], price: i64| {
        room.iter().find(|x| x["price_fen"] == price).unwrap()["line"]
            .as_i64()
            .unwrap()
    };
    let lot2_price = bids.iter().find(|(l, _, _)| *l == lot2).unwrap().2;
    let lot2_line = {
        let report = app
            .get(format!("/api/tenders/{}/opening/report", b.tender), None)
            .await;
        report.body["record"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["lot_id"] == lot2.as_str() && l["price_fen"] == lot2_price)
            .unwrap()["n"]
            .as_i64()
            .unwrap()
    };
    let r = mark(&app, &b, &lot1_members[0], lot2_line, true, json!([])).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);

    // lot 1's committee scores its bids and signs: its report names lot 1 and holds only its bids
    for m in &lot1_members {
        for (l, _, price) in bids.iter().filter(|(l, _, _)| *l == lot1) {
            assert_eq!(l, &lot1);
            let r = mark(&app, &b, m, line_of(&room_bids, *price), true, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    sign_all(&app, &b, &lot1_members).await;
    let report = |lot: Option<&str>| {
        let path = match lot {
            Some(l) => format!("/api/tenders/{}/evaluation/report?lot_id={l}", b.tender),
            None => format!("/api/tenders/{}/evaluation/report", b.tender),
        };
        let agent = agent.clone();
        let app = &app;
        async move { app.get(path, Some(&agent)).await }
    };
    let r1 = report(Some(&lot1)).await;
    assert_eq!(r1.status, StatusCode::OK, "{:?}", r1.body);
    assert_eq!(r1.body["report"]["lot_id"], lot1.as_str());
    assert_eq!(r1.body["report"]["bids"].as_array().unwrap().len(), 3);
    assert_eq!(r1.body["report"]["committee"].as_array().unwrap().len(), 5);
    assert_eq!(r1.body["report"]["ranking"][0]["price_fen"], 96_000_000);
    let r = report(None).await;
    assert_eq!(r.code(), "lot_required", "{:?}", r.body);
    let r = report(Some(&lot2)).await;
    assert_eq!(
        r.code(),
        "award_wrong_stage",
        "lot 2 has no committee yet: {:?}",
        r.body
    );
    let verifier = NoteVerifier::parse(log_key(&app).await.trim()).unwrap();
    bidhall::award::report::verify(
        &r1.body["report"],
        r1.body["signature"].as_str().unwrap(),
        &verifier,
    )
    .unwrap();

    // lot 1 goes on to its publicity while lot 2 still waits for its committee
    let until = app.now().plus_millis(3 * DAY_MS).to_rfc3339();
    let r = post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        json!({ "count": 3, "until": until, "lot_id": lot1 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let public = award(&app, &b, None).await;
    assert_eq!(lot(&public, &lot1)["stage"], "publicised");
    assert_eq!(lot(&public, &lot2)["stage"], "not_started");
    assert_eq!(public["stage"], "not_started");
    assert_eq!(public["committee_lots"][0]["lot_id"], lot2.as_str());

    // lot 2's committee, from a second draw, sits after lot 1's seats
    expert_draw(&app, &b.tender).await;
    let (r, lot2_members) = lot_committee(&app, &b, &lot2, None).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        codes(&r).iter().map(|(s, _)| *s).collect::<Vec<_>>(),
        [6, 7, 8, 9, 10]
    );
    let room = app
        .get(
            format!("/api/tenders/{}/evaluation", b.tender),
            Some(&lot2_members[0]),
        )
        .await;
    let room_bids = room.body["bids"].as_array().unwrap().clone();
    assert!(room_bids.iter().all(|x| x["lot_id"] == lot2.as_str()));
    // lot 2's documents are for lot 2's committee, not lot 1's (法44)
    let documents = format!(
        "/api/tenders/{}/opening/documents/{}",
        b.tender,
        room_bids[0]["bid_id"].as_str().unwrap()
    );
    let r = app.get(&documents, Some(&lot1_members[0])).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    let r = app.get(&documents, Some(&lot2_members[0])).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for m in &lot2_members {
        for (_, _, price) in bids.iter().filter(|(l, _, _)| *l == lot2) {
            let r = mark(&app, &b, m, line_of(&room_bids, *price), true, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    sign_all(&app, &b, &lot2_members).await;
    let r2 = report(Some(&lot2)).await;
    assert_eq!(r2.status, StatusCode::OK, "{:?}", r2.body);
    assert_eq!(r2.body["report"]["lot_id"], lot2.as_str());
    assert_eq!(r2.body["report"]["ranking"][0]["price_fen"], 45_000_000);
    assert_ne!(r1.body["report_sha256"], r2.body["report_sha256"]);
    // a member reads its own committee's report
    let own = app
        .get(
            format!("/api/tenders/{}/evaluation/report", b.tender),
            Some(&lot2_members[0]),
        )
        .await;
    assert_eq!(own.body["report"]["lot_id"], lot2.as_str());
    let public = award(&app, &b, None).await;
    assert_eq!(lot(&public, &lot2)["stage"], "evaluated");
    assert_eq!(public["stage"], "evaluated");
    assert_eq!(public["committee_lots"], json!([]));
}

fn priced_by_the_hall() -> Value {
    json!({ "evaluation_method": { "kind": "comprehensive_scoring", "criteria": [
        { "name": "技术", "weight": 70 },
        { "name": "价格", "weight": 30,
          "price": { "method": "lowest_valid", "deduct_above_centi": 200 } } ] } })
}

/// In Chromium (when installed; CI makes it required with BIDHALL_BROWSER_TEST=1), from the pages
/// alone (web/test/browser/award.mjs): the committee evaluates the two lots in the evaluation room
/// (one member on a phone, who reads a bid's documents and asks its tenderer a written question
/// that the tenderer answers from its award desk, 条例52), scoring the technical criterion while
/// the hall computes the price scores, and rejecting a bid with its ground of 条例51; the agent
/// publicises each lot and a losing tenderer objects (条例54); three days on, the owner answers
/// the objection, issues both notices and records a contract in yuan; each tenderer reads its own
/// letters and a losing tenderer sees its bond's refund (条例57); the objector then complains to
/// the supervising department, naming its objection (条例60), and the department accepts and
/// decides. Every page speaks Chinese, fits its width and logs no error.
#[tokio::test]
async fn a_two_lot_award_runs_in_the_browser_from_the_room_to_the_letters() {
    let Some(chromium) = chromium_for("award.mjs") else {
        return;
    };
    let app = TestApp::spawn_with(|a| {
        a.demo = true;
        a.draw_conductor_ms = 0;
    })
    .await;
    let (b, lot1, lot2, bidders, _) = two_lots_with(&app, priced_by_the_hall()).await;
    let agent = app.sign_in("agent").await;
    let formed = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let seats = codes(&formed);
    let codes: Vec<String> = seats.iter().map(|(_, c)| c.clone()).collect();
    let run = |phase: &'static str, extra: Vec<(&'static str, String)>| {
        let mut env = vec![
            ("BIDHALL_TENDER", b.tender.clone()),
            ("BIDHALL_PHASE", phase.to_string()),
            ("BIDHALL_CODES", codes.join(",")),
            ("BIDHALL_REJECT_PRICE", "48000000".to_string()),
            ("BIDHALL_CLARIFY_PRICE", "98000000".to_string()),
            ("BIDHALL_CLARIFY_LOGIN", "tenderer2".to_string()),
            ("BIDHALL_OBJECTOR", "builder4".to_string()),
            ("BIDHALL_REFUNDED", "tenderer2".to_string()),
            ("BIDHALL_PASSWORD", bidhall::demo::password().to_string()),
        ];
        env.extend(extra);
        let (chromium, base) = (chromium.clone(), app.base.clone());
        async move {
            let shot = format!("award-{phase}");
            run_browser_script(&chromium, "award.mjs", &shot, &base, &env, 300).await;
        }
    };
    let tid = TenderId::parse(&b.tender).unwrap();
    run("evaluate", vec![]).await;

    // the first member read tenderer2's bid documents, logged with its seat (docs/opening.md §5)
    let record = app
        .get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await;
    let asked_bid = record
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["outcome"]["bid"]["price_fen"] == 98_000_000)
        .unwrap()["bid_id"]
        .clone();
    let entries = app
        .app
        .store
        .audit_entries(Some(&tid), -1, 10_000)
        .await
        .unwrap();
    let reads: Vec<Value> = entries
        .iter()
        .filter(|e| e.kind == "bid_documents_read")
        .map(|e| serde_json::from_slice::<Value>(&e.entry).unwrap()["payload"].clone())
        .collect();
    assert!(
        reads
            .iter()
            .any(|p| p["bid_id"] == asked_bid && p["member_seat"] == seats[0].0),
        "{reads:?}"
    );

    // the signed report: the question and its answer, and the price scores the hall computed
    let report = app
        .get(
            format!("/api/tenders/{}/evaluation/report", b.tender),
            Some(&agent),
        )
        .await;
    assert_eq!(report.status, StatusCode::OK, "{:?}", report.body);
    let report = &report.body["report"];
    let ranking = report["ranking"].as_array().unwrap();
    let line_of = |price: i64| ranking.iter().find(|r| r["price_fen"] == price).unwrap();
    let clarification = &report["clarifications"][0];
    assert_eq!(clarification["line"], line_of(98_000_000)["line"]);
    assert_eq!(clarification["seat"], seats[0].0);
    assert_eq!(clarification["text"], "请说明投标工期的计算依据");
    assert_eq!(clarification["answer"], "按投标文件第三章施工进度计划计算");
    assert_eq!(
        report["method"]["criteria"][1]["price"]["method"],
        "lowest_valid"
    );
    // docs/award.md §3, lowest_valid with deduct_above_centi r = 200: the benchmark is the lot's
    // lowest valid price a, a price p scores S = (10000·a − 100·r·(p − a)) / a hundredths, rounded
    // half up once. Lot 1 (a = 960 000 元): 980 000 → 920000/96 = 9583.3… → 9583, 990 000 →
    // 900000/96 = 9375. Lot 2 (a = 450 000 元; 480 000 was rejected and has no price score):
    // 470 000 → 410000/45 = 9111.1… → 9111.
    let expected: [(i64, Option<i64>, Value); 6] = [
        (96_000_000, Some(10_000), json!(1)),
        (98_000_000, Some(9_583), json!(2)),
        (99_000_000, Some(9_375), json!(3)),
        (45_000_000, Some(10_000), json!(1)),
        (47_000_000, Some(9_111), json!(2)),
        (48_000_000, None, Value::Null),
    ];
    let m = codes.len() as i64;
    for (price, centi, rank) in expected {
        let r = line_of(price);
        assert_eq!(r["price_score_centi"].as_i64(), centi, "{price}: {r:?}");
        assert_eq!(r["rank"], rank, "{price}: {r:?}");
        // every member typed 80 for the technical criterion (weight 70); price weighs 30
        if let Some(centi) = centi {
            let numerator = 70 * 100 * (m * 80) + 30 * m * centi;
            assert_eq!(r["score_numerator"], numerator, "{price}");
            assert_eq!(
                r["score_centi"],
                (2 * numerator + 100 * m) / (200 * m),
                "{price}"
            );
        }
    }
    let public = award(&app, &b, None).await;
    assert_eq!(lot(&public, &lot1)["stage"], "publicised");
    assert_eq!(
        lot(&public, &lot2)["candidates"].as_array().unwrap().len(),
        2
    );
    assert_eq!(public["objections_count"], 1);

    app.clock.advance_millis(3 * DAY_MS + 2 * 3_600_000);
    run("award", vec![]).await;
    let public = award(&app, &b, None).await;
    assert_eq!(lot(&public, &lot1)["stage"], "contracted");
    assert_eq!(lot(&public, &lot2)["stage"], "awarded");
    // lot 1's contract instructed its three bid bonds back (条例57), delivered with the step
    // (docs/reactions.md §3); lot 2's stay until its own contract
    let refunds = app.app.store.refunds(Some(&tid)).await.unwrap();
    let mut refunded: Vec<(String, i64)> = refunds
        .iter()
        .map(|r| {
            (
                r.tenderer
                    .as_ref()
                    .map(|o| o.to_string())
                    .unwrap_or_default(),
                r.amount.fen(),
            )
        })
        .collect();
    refunded.sort();
    let mut lot1_bonds: Vec<(String, i64)> = bidders[..3]
        .iter()
        .map(|w| (w.org.clone(), 2_000_000))
        .collect();
    lot1_bonds.sort();
    assert_eq!(refunded, lot1_bonds, "{refunds:?}");
    assert!(refunds.iter().all(|r| r.article == "条例 第五十七条"));

    // the objector knew of the matter when its objection was answered
    let knew_at = app.now().to_rfc3339();
    run("complaint", vec![("BIDHALL_KNEW_AT", knew_at)]).await;
    let complaints = app
        .get(format!("/api/tenders/{}/complaints", b.tender), None)
        .await;
    let complaints = complaints.body.as_array().unwrap();
    assert_eq!(complaints.len(), 1, "{complaints:?}");
    assert_eq!(complaints[0]["matter"], "candidates");
    assert_eq!(complaints[0]["state"], "decided");
    assert_eq!(complaints[0]["decision"]["upheld"], false);
    // the decision is public on the tender page
    let page = app
        .client
        .get(format!("{}/tenders/{}", app.base, b.tender))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("经调查，评标委员会按招标文件规定的标准评审，投诉事项缺乏事实依据"),
        "{page}"
    );
}
