//! The live opening end to end on the settable clock: lobby, closing, bond check, custodians'
//! releases, the announcement, confirmations, objections and answers, suspension, the signed
//! record — and the websocket's promise: every event once, in order, across reconnects.

use crate::bids::{bid_archive, open_box, release_as, seal_as, signing_key, submit, Box_};
use crate::common::*;
use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A tenderer ready to bid in the box: its token, organisation and signing key.
pub(crate) struct Bidder {
    pub login: String,
    pub token: String,
    pub org: String,
    pub pkcs8: Vec<u8>,
}

/// A tenderer that registers itself, obtains the documents and registers a signing key.
pub(crate) async fn bidder(app: &TestApp, b: &Box_, login: &str, credit_code: &str) -> Bidder {
    let token = if login.starts_with("tenderer") {
        app.sign_in(login).await
    } else {
        let r = app
            .post(
                "/api/register",
                None,
                json!({
                    "organisation": { "role": "tenderer", "name": format!("{login}建设有限公司"), "credit_code": credit_code, "region": "沈阳市" },
                    "user": { "login": login, "display_name": login, "password": bidhall::demo::password() }
                }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        app.sign_in(login).await
    };
    let obtained = app
        .post(
            format!("/api/tenders/{}/obtain", b.tender),
            Some(&token),
            json!({}),
        )
        .await;
    assert_eq!(obtained.status, StatusCode::OK, "{:?}", obtained.body);
    let pkcs8 = signing_key(app, &token).await;
    let org = crate::bids::org_of(app, &token).await;
    Bidder {
        login: login.to_string(),
        token,
        org,
        pkcs8,
    }
}

pub(crate) async fn bid(app: &TestApp, b: &Box_, who: &Bidder, payload: &[u8]) {
    let sealed = seal_as(app, b, &who.org, &who.pkcs8, payload).await;
    let (status, body) = submit(app, b, sealed, &who.token).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The box of `open_box` with `prices.len()` bids (None: a corrupt payload), all bonds paid but
/// those listed in `unpaid`.
async fn box_with_bids(
    app: &TestApp,
    prices: &[Option<i64>],
    unpaid: &[usize],
) -> (Box_, Vec<Bidder>) {
    let b = open_box(app).await;
    let bidders = bids_in(app, &b, prices, unpaid).await;
    (b, bidders)
}

/// `prices.len()` bids in box `b` (None: a corrupt payload), all bonds paid but those in `unpaid`.
pub(crate) async fn bids_in(
    app: &TestApp,
    b: &Box_,
    prices: &[Option<i64>],
    unpaid: &[usize],
) -> Vec<Bidder> {
    let logins = [
        "tenderer1",
        "tenderer2",
        "tenderer3",
        "builder4",
        "builder5",
    ];
    let mut bidders = Vec::new();
    for (i, price) in prices.iter().enumerate() {
        let who = bidder(
            app,
            b,
            logins[i],
            &credit_code(&format!("91210100MA0Y8000{i}")),
        )
        .await;
        let payload = match price {
            Some(p) => bid_archive(*p),
            None => b"not a tar archive at all".to_vec(),
        };
        bid(app, b, &who, &payload).await;
        bidders.push(who);
    }
    let tender = app.get(format!("/api/tenders/{}", b.tender), None).await;
    let bond = tender.body["spec"]["lots"][0]["bid_bond_fen"]
        .as_i64()
        .unwrap();
    let platform = app.sign_in("platform").await;
    for (i, who) in bidders.iter().enumerate() {
        if unpaid.contains(&i) {
            continue;
        }
        let r = app
            .post(
                format!("/api/tenders/{}/bonds", b.tender),
                Some(&platform),
                json!({ "lot_id": b.lot, "org_id": who.org, "amount_fen": bond, "reference": format!("BANK-{i}") }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    bidders
}

/// Sessions last hours and the clock jumps days: sign everyone in again.
pub(crate) async fn relogin(app: &TestApp, bidders: &mut [Bidder]) {
    for b in bidders {
        b.token = app.sign_in(&b.login).await;
    }
}

async fn opening(app: &TestApp, b: &Box_, token: Option<&str>) -> Value {
    let r = app
        .get(format!("/api/tenders/{}/opening", b.tender), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

async fn act(app: &TestApp, b: &Box_, token: &str, path: &str, body: Value) -> Reply {
    app.post(
        format!("/api/tenders/{}/opening/{path}", b.tender),
        Some(token),
        body,
    )
    .await
}

async fn events(app: &TestApp, b: &Box_, token: Option<&str>) -> Vec<Value> {
    let r = app
        .get(
            format!("/api/tenders/{}/opening/events?after=0", b.tender),
            token,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    r.body["events"].as_array().unwrap().clone()
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events.iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_full_ceremony_runs_from_the_lobby_to_a_signed_record() {
    let app = TestApp::spawn().await;
    let prices = [
        Some(98_000_000),
        Some(97_500_000),
        None,
        Some(99_100_000),
        Some(96_800_000),
    ];
    // bidder 3 (index 3) pays no bond
    let (b, mut bidders) = box_with_bids(&app, &prices, &[3]).await;

    // before the lobby opens, nobody signs in
    let early = act(&app, &b, &bidders[0].token, "sign-in", json!({})).await;
    assert_eq!(early.code(), "opening_wrong_phase", "{:?}", early.body);

    // 签到 from 30 minutes before the deadline
    app.clock.set(b.deadline.plus_millis(-29 * 60 * 1000));
    relogin(&app, &mut bidders).await;
    let (host, supervisor) = (app.sign_in("agent").await, app.sign_in("supervisor").await);
    assert_eq!(opening(&app, &b, None).await["phase"], "lobby");
    for t in [&host, &supervisor, &bidders[0].token, &bidders[1].token] {
        let r = act(&app, &b, t, "sign-in", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    // a tenderer without a bid, and the witness, are not in the hall
    let outsider = app.sign_in("witness").await;
    assert_eq!(
        act(&app, &b, &outsider, "sign-in", json!({})).await.status,
        StatusCode::FORBIDDEN
    );

    // the deadline: 5 bids counted, the bond check, the time-release custodian's share
    app.clock.set(b.deadline);
    let s = opening(&app, &b, None).await;
    assert_eq!(s["phase"], "decrypting", "{s}");
    assert_eq!(s["count"], 5);
    assert_eq!(s["bonds"][3]["bond"], "missing");
    assert_eq!(s["bonds"][0]["bond"], "received");
    assert_eq!(s["progress"][0]["released"], 1, "{s}");
    // no bidder's identity is public before the announcement
    let public_text = serde_json::to_string(&events(&app, &b, None).await).unwrap();
    for who in &bidders {
        assert!(
            !public_text.contains(&who.org),
            "bidder leaked: {public_text}"
        );
    }

    // the custodians release from their devices: at k = 3 nothing is judged yet (the key is
    // rebuilt through every share, so the order of releases cannot decide a bid); with all four
    // in, the bids are opened and announced
    assert_eq!(
        release_as(&app, &b, "agent", 2, false).await.0,
        StatusCode::OK
    );
    assert_eq!(opening(&app, &b, None).await["lines"], json!([]));
    assert_eq!(
        release_as(&app, &b, "supervisor", 3, false).await.0,
        StatusCode::OK
    );
    assert_eq!(opening(&app, &b, None).await["lines"], json!([]));
    assert_eq!(
        release_as(&app, &b, "witness", 4, false).await.0,
        StatusCode::OK
    );
    let s = opening(&app, &b, None).await;
    assert_eq!(s["phase"], "announced", "{s}");
    let lines = s["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 5);
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["n"], i as i64 + 1);
        assert_eq!(
            line["org_id"],
            bidders[i].org.as_str(),
            "announced in the order received"
        );
    }
    assert_eq!(lines[0]["price_fen"], 98_000_000);
    assert_eq!(lines[0]["duration_days"], 180);
    assert_eq!(lines[0]["quality"], "合格");
    assert_eq!(lines[2]["status"], "failed");
    assert_eq!(lines[2]["fault"], "tenderer", "{}", lines[2]);
    assert!(lines[2]["price_fen"].is_null());
    assert_eq!(lines[3]["bond"], "missing");

    // a tenderer cannot run the host's actions; confirmation waits for the window
    let t0 = &bidders[0].token;
    let r = act(
        &app,
        &b,
        t0,
        "confirmation-window",
        json!({ "minutes": 10 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = act(&app, &b, t0, "lines/1/confirm", json!({})).await;
    assert_eq!(r.code(), "opening_wrong_phase");
    let r = act(
        &app,
        &b,
        &host,
        "confirmation-window",
        json!({ "minutes": 10 }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // confirm one's own line, once; not another's
    assert_eq!(
        act(&app, &b, t0, "lines/1/confirm", json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(
        act(&app, &b, t0, "lines/1/confirm", json!({})).await.code(),
        "already_confirmed"
    );
    assert_eq!(
        act(&app, &b, t0, "lines/2/confirm", json!({})).await.code(),
        "not_your_line"
    );
    let t1 = &bidders[1].token;
    let r = act(
        &app,
        &b,
        t1,
        "objections",
        json!({ "line": 1, "text": "第1号的工期读错了" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let objection = r.body["id"].as_i64().unwrap();

    // the hall's page, in Chinese: the objector sees its objection; the public and the other
    // tenderers are told one was raised, never that there is none
    let hall = format!("/tenders/{}/opening", b.tender);
    let page = |token: Option<&str>| {
        let (app, hall) = (&app, hall.clone());
        let token = token.map(str::to_owned);
        async move {
            let r = app.get(&hall, token.as_deref()).await;
            assert_eq!(r.status, StatusCode::OK);
            let html = r.body.as_str().unwrap().to_owned();
            assert_speaks_chinese("the opening hall", &html);
            html
        }
    };
    let own = page(Some(t1.as_str())).await;
    assert!(own.contains("第1号的工期读错了"));
    assert!(own.contains(r#"id="op-objections-withheld" hidden"#));
    for viewer in [None, Some(t0.as_str())] {
        let html = page(viewer).await;
        assert!(
            !html.contains("第1号的工期读错了"),
            "{viewer:?} reads the objection"
        );
        assert!(html.contains("本页未显示的异议：1 条"), "{viewer:?}");
        assert!(
            html.contains(r#"id="op-objections-empty" hidden"#),
            "{viewer:?}"
        );
    }

    // the host cannot conclude during the window; after it, not with an objection open
    assert_eq!(
        act(&app, &b, &host, "conclude", json!({})).await.code(),
        "window_open"
    );
    app.clock.advance_millis(10 * 60 * 1000);
    let late = act(
        &app,
        &b,
        t0,
        "objections",
        json!({ "line": null, "text": "太迟了" }),
    )
    .await;
    assert_eq!(late.code(), "window_closed");
    assert_eq!(
        act(&app, &b, &host, "conclude", json!({})).await.code(),
        "objections_unanswered"
    );
    // only the host answers
    let path = format!("objections/{objection}/answer");
    assert_eq!(
        act(&app, &b, t1, &path, json!({ "text": "自答" }))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // the supervisor suspends; nothing moves until it resumes
    assert_eq!(
        act(&app, &b, &host, "suspend", json!({ "reason": "x" }))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = act(
        &app,
        &b,
        &supervisor,
        "suspend",
        json!({ "reason": "核查异议" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        act(
            &app,
            &b,
            &host,
            &path,
            json!({ "text": "已核对，工期180天无误" })
        )
        .await
        .code(),
        "opening_suspended"
    );
    act(
        &app,
        &b,
        &supervisor,
        "resume",
        json!({ "reason": "核查完毕" }),
    )
    .await;
    let r = act(
        &app,
        &b,
        &host,
        &path,
        json!({ "text": "已核对，工期180天无误" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);

    // the conclusion: a record computed from the events and signed with the log's key
    let r = act(&app, &b, &host, "conclude", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let report = app
        .get(format!("/api/tenders/{}/opening/report", b.tender), None)
        .await
        .body;
    assert_eq!(report, r.body);
    let record = &report["record"];
    assert_eq!(record["lines"].as_array().unwrap().len(), 5);
    assert!(record["lines"][0]["confirmed"]["seq"].is_i64());
    assert!(record["lines"][1]["confirmed"].is_null());
    assert_eq!(record["objections"][0]["answer"], "已核对，工期180天无误");
    // the record is public: so is what the hall's page says of the objections
    let public = page(None).await;
    assert!(public.contains("第1号的工期读错了") && public.contains("已核对，工期180天无误"));
    assert!(public.contains(r#"id="op-objections-withheld" hidden"#));
    assert_eq!(record["suspensions"][0]["resume_reason"], "核查完毕");
    let verifier = app.app.log.verifier();
    bidhall::opening::record::verify(record, report["signature"].as_str().unwrap(), &verifier)
        .unwrap();
    let mut forged = record.clone();
    forged["lines"][0]["price_fen"] = json!(1);
    assert!(bidhall::opening::record::verify(
        &forged,
        report["signature"].as_str().unwrap(),
        &verifier
    )
    .is_err());

    // the event list: the host sees everything but the tenderers' own sign-ins from the lobby
    // (4 and 5), which it is told in one list when the box closes (法 第二十二条); every event
    // it sees is in the audit log under the tender, the two sign-ins as sealed entries
    let all = events(&app, &b, Some(&host)).await;
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    let mut want: Vec<i64> = (1..=all.len() as i64 + 2).collect();
    want.retain(|n| ![4, 5].contains(n));
    assert_eq!(seqs, want);
    let mut expected = vec!["lobby_opened"];
    expected.extend(["signed_in"; 2]);
    expected.extend([
        "box_closed",
        "sign_ins_disclosed",
        "bonds_checked",
        "decryption_started",
    ]);
    expected.extend(["shares_released"; 4]);
    expected.extend(["bid_announced"; 5]);
    expected.extend([
        "announcement_complete",
        "confirmation_opened",
        "line_confirmed",
        "objection_raised",
        "suspended",
        "resumed",
        "objection_answered",
        "concluded",
    ]);
    assert_eq!(kinds(&all), expected);
    let logged = app
        .get(
            format!("/api/log/entries?tender={}&limit=1000", b.tender),
            None,
        )
        .await;
    let logged_events = logged
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "opening_event")
        .count();
    assert_eq!(logged_events, all.len());

    // the public sees neither objections nor confirmations; a tenderer sees its own
    let public = kinds(&events(&app, &b, None).await).join(",");
    assert!(!public.contains("objection") && !public.contains("line_confirmed"));
    let mine = kinds(&events(&app, &b, Some(t1)).await).join(",");
    assert!(mine.contains("objection_raised") && mine.contains("objection_answered"));
    assert!(
        !mine.contains("line_confirmed"),
        "tenderer 1's confirmation is not tenderer 2's"
    );
}

#[tokio::test]
async fn fewer_than_three_bids_fail_the_tender_and_the_hall_says_why() {
    let app = TestApp::spawn().await;
    let (b, _) = box_with_bids(&app, &[Some(1_000_000), Some(2_000_000)], &[]).await;
    app.clock.set(b.deadline);
    let s = opening(&app, &b, None).await;
    assert_eq!(s["phase"], "failed");
    let all = events(&app, &b, None).await;
    let failed = all.iter().find(|e| e["kind"] == "opening_failed").unwrap();
    assert_eq!(failed["body"]["article"], "条例44");
    assert_eq!(failed["body"]["count"], 2);
    // nothing is decrypted for a failed tender
    assert!(!kinds(&all).contains(&"decryption_started"));
    // the board says it failed, not "closed", and finds it under that status
    let failed = app.get("/api/notices?status=failed", None).await;
    let listed: Vec<&str> = failed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert!(listed.contains(&b.tender.as_str()), "{:?}", failed.body);
    let closed = app.get("/api/notices?status=closed", None).await;
    assert!(!closed.body.to_string().contains(&b.tender));
    let page = |id: String| {
        let app = &app;
        async move {
            app.client
                .get(format!("{}/tenders/{id}", app.base))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let before = page(b.tender.clone()).await;
    assert!(before.contains("招标失败，重新招标") && before.contains("第四十四条"));
    assert!(!before.contains("retender-link"), "no re-tender yet");
    // the project is tendered again: each tender links to the other
    let agent = app.sign_in("agent").await;
    let again = app.publish_tender(&agent, "密封投标（重新招标）").await;
    let again_id = again["id"].as_str().unwrap().to_string();
    let failed_page = page(b.tender.clone()).await;
    assert!(
        failed_page.contains(&format!(r#"href="/tenders/{again_id}" id="retender-link""#)),
        "{failed_page}"
    );
    let new_page = page(again_id).await;
    assert!(new_page.contains(&format!(
        r#"href="/tenders/{}" id="retender-of-link""#,
        b.tender
    )));
}

#[tokio::test]
async fn a_custodian_that_misses_the_window_is_named_and_the_others_suffice() {
    let app = TestApp::spawn_with(|a| a.release_window_minutes = 5).await;
    let (b, _) = box_with_bids(&app, &[Some(1), Some(2), Some(3)], &[]).await;
    app.clock.set(b.deadline);
    opening(&app, &b, None).await;
    release_as(&app, &b, "agent", 2, false).await;
    app.clock.advance_millis(5 * 60 * 1000);
    let s = opening(&app, &b, None).await;
    assert_eq!(s["phase"], "decrypting");
    let all = events(&app, &b, None).await;
    let missing = all
        .iter()
        .find(|e| e["kind"] == "custodians_missing")
        .unwrap();
    let named: Vec<i64> = missing["body"]["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["index"].as_i64().unwrap())
        .collect();
    assert_eq!(named, vec![3, 4], "exactly who is missing");
    assert_eq!(missing["body"]["waiting"], json!([1, 2, 3]));
    // the witness releases late: with k present, the bids open
    release_as(&app, &b, "witness", 4, false).await;
    assert_eq!(opening(&app, &b, None).await["phase"], "announced");
}

#[tokio::test]
async fn only_the_trading_centre_records_bonds_and_each_reference_once() {
    let app = TestApp::spawn().await;
    let (b, bidders) = box_with_bids(&app, &[Some(1)], &[0]).await;
    let body =
        json!({ "lot_id": b.lot, "org_id": bidders[0].org, "amount_fen": 100, "reference": "R-1" });
    let url = format!("/api/tenders/{}/bonds", b.tender);
    for login in ["agent", "owner", "supervisor", "tenderer1"] {
        let t = app.sign_in(login).await;
        assert_eq!(
            app.post(&url, Some(&t), body.clone()).await.status,
            StatusCode::FORBIDDEN,
            "{login}"
        );
    }
    let platform = app.sign_in("platform").await;
    assert_eq!(
        app.post(&url, Some(&platform), body.clone()).await.status,
        StatusCode::CREATED
    );
    assert_eq!(
        app.post(&url, Some(&platform), body).await.code(),
        "invalid_input"
    );
    let bad = json!({ "lot_id": "nope", "org_id": bidders[0].org, "amount_fen": 100, "reference": "R-2" });
    assert_eq!(
        app.post(&url, Some(&platform), bad).await.code(),
        "invalid_input"
    );
    // the tenderer does not list bonds; the supervisor does
    assert_eq!(
        app.get(&url, Some(&bidders[0].token)).await.status,
        StatusCode::FORBIDDEN
    );
    // the supervisor, from the deadline (法 第二十二条)
    let sup = app.sign_in("supervisor").await;
    assert_eq!(
        app.get(&url, Some(&sup)).await.code(),
        "confidential_until_opening"
    );
    app.clock.set(b.deadline);
    let sup = app.sign_in("supervisor").await;
    assert_eq!(
        app.get(&url, Some(&sup))
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

fn ws_url(app: &TestApp, b: &Box_, after: i64) -> String {
    format!(
        "{}/api/tenders/{}/opening/ws?after={after}",
        app.base.replace("http://", "ws://"),
        b.tender
    )
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(url: &str) -> Socket {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// Reads events until `until` seq has been seen; returns the seqs in arrival order.
async fn read_until(ws: &mut Socket, until: i64) -> Vec<i64> {
    let mut got = Vec::new();
    while got.last().copied().unwrap_or(0) < until {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next())
            .await
            .expect("an event within 20 s")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            got.push(v["seq"].as_i64().unwrap());
        }
    }
    got
}

async fn last_seq(app: &TestApp, b: &Box_) -> i64 {
    app.get(
        format!("/api/tenders/{}/opening/events?after=0", b.tender),
        None,
    )
    .await
    .body["last_seq"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_socket_gets_the_backlog_then_live_events_and_a_reconnect_misses_nothing() {
    let app = TestApp::spawn().await;
    let (b, _) = box_with_bids(&app, &[Some(1), Some(2), Some(3)], &[]).await;
    app.clock.set(b.deadline.plus_millis(-60_000));
    opening(&app, &b, None).await; // lobby_opened
    let mut ws = connect(&ws_url(&app, &b, 0)).await;
    assert_eq!(read_until(&mut ws, 1).await, vec![1]);
    // live: the deadline passes while the socket is open
    app.clock.set(b.deadline);
    opening(&app, &b, None).await;
    let upto = last_seq(&app, &b).await;
    let live = read_until(&mut ws, upto).await;
    assert_eq!(live, (2..=upto).collect::<Vec<_>>());
    // the client drops; events happen meanwhile; it returns with its last seq
    drop(ws);
    release_as(&app, &b, "agent", 2, false).await;
    release_as(&app, &b, "supervisor", 3, false).await;
    release_as(&app, &b, "witness", 4, false).await;
    let mut ws = connect(&ws_url(&app, &b, upto)).await;
    let end = last_seq(&app, &b).await;
    assert!(end > upto + 5, "the announcement happened while away");
    let resumed = read_until(&mut ws, end).await;
    assert_eq!(
        resumed,
        (upto + 1..=end).collect::<Vec<_>>(),
        "each event exactly once"
    );
}

#[tokio::test]
async fn a_slow_socket_is_caught_up_from_the_store_not_dropped() {
    let app = TestApp::spawn().await;
    let (b, mut bidders) = box_with_bids(&app, &[Some(1), Some(2), Some(3)], &[]).await;
    app.clock.set(b.deadline);
    relogin(&app, &mut bidders).await;
    release_as(&app, &b, "agent", 2, false).await;
    release_as(&app, &b, "supervisor", 3, false).await;
    release_as(&app, &b, "witness", 4, false).await;
    let host = app.sign_in("agent").await;
    act(
        &app,
        &b,
        &host,
        "confirmation-window",
        json!({ "minutes": 60 }),
    )
    .await;
    // a client that connects and then does not read while far more events than the broadcast
    // buffer holds are produced
    let mut ws = connect(&ws_url(&app, &b, 0)).await;
    let n = bidhall::opening::hub::BUFFER + 200;
    let mut objections = Vec::new();
    for i in 0..n {
        let who = &bidders[i % 3].token;
        objections.push(act(
            &app,
            &b,
            who,
            "objections",
            json!({ "line": null, "text": format!("异议{i}") }),
        ));
        if objections.len() == 32 {
            for r in futures_util::future::join_all(objections.drain(..)).await {
                assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
            }
        }
    }
    for r in futures_util::future::join_all(objections.drain(..)).await {
        assert_eq!(r.status, StatusCode::CREATED);
    }
    let end = last_seq(&app, &b).await;
    // public socket: objections are not public, so it sees the public events only — but none missing
    let got = read_until_last_public(&mut ws, &app, &b).await;
    let public: Vec<i64> = events(&app, &b, None)
        .await
        .iter()
        .map(|e| e["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(got, public);
    // the host's socket sees every one of them, in order, each once
    let mut ws = connect_as(&app, &b, &host).await;
    assert_eq!(
        read_until(&mut ws, end).await,
        (1..=end).collect::<Vec<_>>()
    );
}

async fn read_until_last_public(ws: &mut Socket, app: &TestApp, b: &Box_) -> Vec<i64> {
    let last_public = events(app, b, None).await.last().unwrap()["seq"]
        .as_i64()
        .unwrap();
    read_until(ws, last_public).await
}

async fn connect_as(app: &TestApp, b: &Box_, token: &str) -> Socket {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    let mut req = ws_url(app, b, 0).into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req).await.unwrap().0
}

#[tokio::test]
async fn refusals_name_the_rule() {
    let app = TestApp::spawn().await;
    let (b, bidders) = box_with_bids(&app, &[Some(1), Some(2), Some(3)], &[]).await;
    let host = app.sign_in("agent").await;
    // nothing to conclude or answer before the opening
    assert_eq!(
        act(&app, &b, &host, "conclude", json!({})).await.code(),
        "opening_wrong_phase"
    );
    // a tenderer tries every host and supervisor action
    let t = &bidders[0].token;
    for (path, body) in [
        ("confirmation-window", json!({ "minutes": 5 })),
        ("conclude", json!({})),
        ("objections/1/answer", json!({ "text": "x" })),
        ("suspend", json!({ "reason": "x" })),
        ("resume", json!({ "reason": "x" })),
    ] {
        let r = act(&app, &b, t, path, body).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {:?}", r.body);
    }
    // the window takes 1 to 120 minutes
    app.clock.set(b.deadline);
    let host = app.sign_in("agent").await;
    release_as(&app, &b, "agent", 2, false).await;
    release_as(&app, &b, "supervisor", 3, false).await;
    release_as(&app, &b, "witness", 4, false).await;
    let r = act(
        &app,
        &b,
        &host,
        "confirmation-window",
        json!({ "minutes": 0 }),
    )
    .await;
    assert_eq!(r.code(), "invalid_input");
    // an unknown tender
    let r = app
        .get(
            "/api/tenders/01900000-0000-7000-8000-000000000000/opening",
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

/// A second `bidhall serve` process on the same database and data folder; killed on drop.
struct OtherProcess {
    child: std::process::Child,
    base: String,
}

impl Drop for OtherProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn second_process(app: &TestApp) -> OtherProcess {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
        .args(["serve", "--listen", &listen])
        .env("DATABASE_URL", app.args.store.database_url())
        .env("BIDHALL_DATA_DIR", &app.args.store.data_dir)
        .env("BIDHALL_DRAW_CONDUCTOR_MS", "0")
        .env(
            "BIDHALL_OBJECT_STORE",
            app.args.store.object_store.clone().unwrap_or_default(),
        )
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // From here on, dropping it kills and reaps the process.
    let other = OtherProcess {
        child,
        base: format!("http://{listen}"),
    };
    for _ in 0..300 {
        if let Ok(r) = reqwest::get(format!("{}/readyz", other.base)).await {
            if r.status().is_success() {
                return other;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the second process did not start");
}

#[tokio::test]
async fn a_client_of_one_process_receives_the_events_another_process_makes() {
    let app = TestApp::spawn().await;
    let (b, _) = box_with_bids(&app, &[Some(1), Some(2), Some(3)], &[]).await;
    let other = second_process(&app).await;
    // the observer watches through process B …
    let url = format!(
        "{}/api/tenders/{}/opening/ws?after=0",
        other.base.replace("http://", "ws://"),
        b.tender
    );
    let mut ws = connect(&url).await;
    // … while process A runs the opening
    app.clock.set(b.deadline);
    opening(&app, &b, None).await;
    release_as(&app, &b, "agent", 2, false).await;
    release_as(&app, &b, "supervisor", 3, false).await;
    release_as(&app, &b, "witness", 4, false).await;
    let end = last_seq(&app, &b).await;
    assert!(end >= 10, "the opening was announced on A");
    assert_eq!(
        read_until(&mut ws, end).await,
        (1..=end).collect::<Vec<_>>()
    );
}
