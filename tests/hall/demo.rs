//! The demo hall `serve --demo` loads, as a visitor finds it through the API and the pages: a
//! tender at every stage of its life (bidding, in the lobby, opened with its signed record, under
//! evaluation, publicising its candidates, awarded to the end with its money back, failed under
//! 条例44), the agents' registry, draws of both kinds, and an audit log that verifies offline.
//! Loading again on the same data adds nothing. And the demo clock's "1 小时" reaches a draw's
//! deadline proposed an hour ahead.

use crate::common::*;
use bidhall::auditlog::note::NoteVerifier;
use bidhall::domain::{Timestamp, MINUTE_MS};
use reqwest::StatusCode;
use serde_json::{json, Value};

const SCHOOL: &str = "浑南区第一中学教学楼改造工程施工招标";
const BRIDGE: &str = "青年大街人行天桥改造工程施工招标";
const ROAD: &str = "浑河北岸滨河路维修工程施工招标";
const CANTEEN: &str = "浑南区第二小学食堂改造工程施工招标";
const HEATING: &str = "城区供热管网节能改造工程施工招标";
const GYM: &str = "浑南区第一中学体育馆新建工程施工招标";
const LIGHTS: &str = "城市道路照明 LED 灯具采购";

/// The board's notices: (title, id, public status, bid deadline).
async fn board(app: &TestApp) -> Vec<(String, String, String, Timestamp)> {
    let r = app.get("/api/notices?per_page=100", None).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["title"].as_str().unwrap().to_owned(),
                n["id"].as_str().unwrap().to_owned(),
                n["status"].as_str().unwrap().to_owned(),
                ts(n["bid_deadline"].as_str().unwrap()),
            )
        })
        .collect()
}

fn id_of(notices: &[(String, String, String, Timestamp)], title: &str) -> String {
    notices
        .iter()
        .find(|n| n.0 == title)
        .unwrap_or_else(|| panic!("{title} is not on the board"))
        .1
        .clone()
}

async fn json_of(app: &TestApp, path: String, token: Option<&str>) -> Value {
    let r = app.get(&path, token).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
    r.body
}

async fn phase(app: &TestApp, id: &str) -> String {
    let s = json_of(app, format!("/api/tenders/{id}/opening"), None).await;
    s["phase"].as_str().unwrap().to_owned()
}

async fn award(app: &TestApp, id: &str) -> Value {
    json_of(app, format!("/api/tenders/{id}/award"), None).await
}

#[tokio::test]
async fn the_demo_hall_shows_a_tender_at_every_stage_of_its_life() {
    let app = TestApp::spawn_demo_hall().await;
    eprintln!("the demo hall loaded in {:?}", app.loaded_in);
    let now = app.now();
    let notices = board(&app).await;
    let status = |title: &str| notices.iter().find(|n| n.0 == title).unwrap().2.clone();
    for title in [SCHOOL, BRIDGE] {
        assert_eq!(status(title), "bidding", "{title}");
    }
    // the board follows each tender past its deadline: opening and evaluation, candidates
    // publicised, completed, failed (条例44)
    for title in [ROAD, CANTEEN] {
        assert_eq!(status(title), "closed", "{title}");
    }
    assert_eq!(status(HEATING), "publicised");
    assert_eq!(status(GYM), "completed");
    assert_eq!(status(LIGHTS), "failed");
    assert_eq!(
        notices.len(),
        7,
        "the draft stays off the board: {notices:?}"
    );
    let html = app.get("/", None).await.body.as_str().unwrap().to_owned();
    assert_speaks_chinese("the demo's board", &html);
    for title in [SCHOOL, BRIDGE, ROAD, CANTEEN, HEATING, GYM, LIGHTS] {
        assert!(html.contains(title), "the board page lists {title}");
    }

    // Bidding: every custodian's key is registered, so a tenderer can seal a bid now; the keys
    // a box still needs wait in the data directory for their custodians.
    let school = id_of(&notices, SCHOOL);
    let custodians = json_of(&app, format!("/api/tenders/{school}/custodians"), None).await;
    let listed = custodians.as_array().unwrap();
    assert_eq!(listed.len(), 4);
    assert!(
        listed.iter().all(|c| c["public_key"].is_string()),
        "{custodians}"
    );
    assert_eq!(phase(&app, &school).await, "scheduled");
    let keys = app.args.store.data_dir.join(bidhall::demo::KEYS_DIR);
    let bridge = id_of(&notices, BRIDGE);
    for (tender, login) in [(&school, "agent"), (&bridge, "agent2")] {
        let file = keys.join(tender).join(format!("2-{login}.key"));
        let text = std::fs::read_to_string(&file).unwrap();
        bidhall::sealbox::keys::CustodianPrivateKey::from_key_file(&text).unwrap();
        for other in ["3-supervisor.key", "4-witness.key"] {
            assert!(keys.join(tender).join(other).exists(), "{other}");
        }
    }
    let road = id_of(&notices, ROAD);
    assert!(
        !keys.join(&road).exists(),
        "an opened box's keys are not kept"
    );
    let tenderer1 = app.sign_in("tenderer1").await;
    let mine = json_of(
        &app,
        format!("/api/tenders/{bridge}/bids/mine"),
        Some(&tenderer1),
    )
    .await;
    assert_eq!(
        mine[0]["state"], "submitted",
        "tenderer1 has sealed its bid: {mine}"
    );

    // In the lobby: the deadline is less than 30 minutes away.
    let deadline = notices.iter().find(|n| n.0 == BRIDGE).unwrap().3;
    assert!(deadline > now && deadline <= now.plus_millis(30 * MINUTE_MS));
    assert_eq!(phase(&app, &bridge).await, "lobby");

    // Opened: three bids announced, each confirmed by its tenderer, and the signed record
    // verifies with the log's published key.
    assert_eq!(phase(&app, &road).await, "concluded");
    let report = json_of(&app, format!("/api/tenders/{road}/opening/report"), None).await;
    let lines = report["record"]["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{report}");
    for l in lines {
        assert!(l["price_fen"].as_i64().unwrap() > 0, "{l}");
        assert!(l["confirmed"]["seq"].is_i64(), "{l}");
    }
    let verifier = NoteVerifier::parse(log_key(&app).await.trim()).unwrap();
    let signature = report["signature"].as_str().unwrap();
    bidhall::opening::record::verify(&report["record"], signature, &verifier).unwrap();
    let mut forged = report["record"].clone();
    forged["lines"][0]["price_fen"] = json!(1);
    assert!(bidhall::opening::record::verify(&forged, signature, &verifier).is_err());

    // Under evaluation: five members drawn, three have declared and scored.
    let canteen = award(&app, &id_of(&notices, CANTEEN)).await;
    assert_eq!(canteen["stage"], "evaluating", "{canteen}");
    assert_eq!(canteen["committee"]["members"], 5);
    assert_eq!(canteen["committee"]["declared"], 3);
    assert_eq!(canteen["committee"]["signed"], 0);

    // Publicised: three candidates, the window still open.
    let heating = award(&app, &id_of(&notices, HEATING)).await;
    assert_eq!(heating["stage"], "publicised", "{heating}");
    let lot = &heating["lots"][0];
    assert_eq!(lot["candidates"].as_array().unwrap().len(), 3, "{lot}");
    assert!(ts(lot["publicity"]["until"].as_str().unwrap()) > now);

    // Awarded to the end: the notice, the contract, the contract performed; every bid bond and
    // the performance bond back through the bank; the winner reads its letter.
    let gym = id_of(&notices, GYM);
    let done = award(&app, &gym).await;
    assert_eq!(done["stage"], "completed", "{done}");
    let lot = &done["lots"][0];
    let winner = lot["notice"]["org_name"].as_str().unwrap().to_owned();
    assert_eq!(lot["contract"]["org_name"], winner.as_str());
    assert_eq!(lot["contract"]["price_fen"], lot["notice"]["price_fen"]);
    assert_eq!(
        lot["notice"]["performance_bond_fen"],
        lot["notice"]["price_fen"].as_i64().unwrap() * 5 / 100
    );
    assert_eq!(done["objections_count"], 1);
    let page = app.get(format!("/tenders/{gym}"), None).await;
    let page = page.body.as_str().unwrap();
    assert_speaks_chinese("the awarded tender's page", page);
    assert!(page.contains(r#"data-stage="completed""#));
    assert!(page.contains(r#"class="award-notice""#) && page.contains(r#"class="award-contract""#));
    assert!(page.contains(&winner));
    let platform = app.sign_in("platform").await;
    let ledger = json_of(
        &app,
        format!("/api/tenders/{gym}/bonds/ledger"),
        Some(&platform),
    )
    .await;
    let refunds = ledger["refunds"].as_array().unwrap();
    assert_eq!(
        refunds.len(),
        4,
        "three bid bonds and the performance bond: {ledger}"
    );
    assert!(refunds.iter().all(|r| r["state"] == "paid"), "{ledger}");
    let hall = json_of(&app, "/api/ledger".into(), Some(&platform)).await;
    assert_eq!(hall["trial_balance_fen"], 0, "{hall}");
    // each tenderer reads its own letter (法45), the winner its 中标通知书
    for login in ["tenderer1", "tenderer2", "tenderer4"] {
        let token = app.sign_in(login).await;
        let path = format!("/api/tenders/{gym}/award/letters");
        let mine = json_of(&app, path, Some(&token)).await;
        assert_eq!(mine.as_array().unwrap().len(), 1, "{login}: {mine}");
    }

    // Failed: two bids at the deadline, fewer than 3 (条例44).
    let lights = id_of(&notices, LIGHTS);
    assert_eq!(phase(&app, &lights).await, "failed");
    let events = json_of(
        &app,
        format!("/api/tenders/{lights}/opening/events?after=0"),
        None,
    )
    .await;
    let failed = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "opening_failed")
        .cloned()
        .expect("the opening failed, and says so");
    assert_eq!(failed["body"]["article"], "条例44", "{failed}");
    assert_eq!(failed["body"]["count"], 2);
    assert!(failed["body"]["message"]
        .as_str()
        .unwrap()
        .contains("第四十四条"));

    // The registry and the draws: three agents approved under 三表三制; an agent draw completed
    // that appointed the project's agent; an expert draw for each tender past its opening.
    let agents = json_of(&app, "/api/registry/agents".into(), None).await;
    let agents = agents.as_array().unwrap();
    assert_eq!(agents.len(), 3, "{agents:?}");
    assert!(agents.iter().all(|a| a["status"] == "approved"));
    let draws = json_of(&app, "/api/draws".into(), None).await;
    let draws = draws.as_array().unwrap();
    let of_kind = |kind: &str| -> Vec<&Value> {
        draws.iter().filter(|d| d["draw"]["kind"] == kind).collect()
    };
    let experts = of_kind("expert");
    assert_eq!(experts.len(), 4, "road, canteen, heating, gym");
    assert!(experts.iter().all(|d| d["draw"]["state"] == "completed"));
    let agent_draws = of_kind("agent");
    assert_eq!(agent_draws.len(), 1);
    let drawn = &agent_draws[0]["draw"];
    assert_eq!(drawn["state"], "completed", "{drawn}");
    let selected = drawn["transcript"]["result"]["selected"][0]
        .as_str()
        .unwrap();
    let owner = app.sign_in("owner").await;
    let projects = json_of(&app, "/api/projects".into(), Some(&owner)).await;
    let project = projects
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == drawn["project_id"])
        .unwrap();
    assert_eq!(
        project["agent_org_id"], selected,
        "the draw appointed the agent"
    );

    // Everything is in the audit log, which verifies offline from its export.
    let r = app.post("/api/log/checkpoint", None, json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export");
    let vkey = app.app.log.verifier().to_string();
    let summary = bidhall::auditlog::offline::export_from_store(app.app.store.clone(), &out, &vkey)
        .await
        .unwrap();
    let verified = bidhall::auditlog::export::verify(&out).unwrap();
    assert_eq!(verified.entries, summary.entries);
    assert!(
        verified.entries as i64 >= app.log_size().await - 1,
        "{verified:?}"
    );
    assert!(
        verified.entries > 300,
        "every step is an entry: {verified:?}"
    );
}

#[tokio::test]
async fn loading_the_demo_again_on_the_same_data_adds_nothing() {
    let app = TestApp::spawn_demo_hall().await;
    let platform = app.sign_in("platform").await;
    let counts = || async {
        let orgs = json_of(&app, "/api/organisations".into(), Some(&platform)).await;
        let draws = json_of(&app, "/api/draws".into(), None).await;
        let board = board(&app).await;
        let ledger = json_of(&app, "/api/ledger".into(), Some(&platform)).await;
        (
            orgs.as_array().unwrap().len(),
            draws.as_array().unwrap().len(),
            board.len(),
            ledger["refunds"].as_array().unwrap().len(),
            app.log_size().await,
        )
    };
    let before = counts().await;
    assert_eq!((before.0, before.1, before.2), (13, 5, 7), "{before:?}");
    assert!(
        !bidhall::demo::load_hall(&app.app).await.unwrap(),
        "a hall with data is left alone"
    );
    assert!(!bidhall::demo::load(&app.app).await.unwrap());
    // as `serve --demo` does when it starts again on the same data
    let clock = std::sync::Arc::new(bidhall::clock::ManualClock::new(app.now()));
    let again = bidhall::server::state(&app.args, clock).await.unwrap();
    assert!(!bidhall::demo::load_hall(&again).await.unwrap());
    assert_eq!(counts().await, before);
}

/// The draw form's proposed deadline, as the owner's workspace page shows it (Beijing time).
fn proposed(html: &str, field: &str) -> Timestamp {
    let at = html
        .find(&format!(r#"name="{field}""#))
        .unwrap_or_else(|| panic!("no {field} in the workspace"));
    let value = &html[at..];
    let value = &value[value.find("value=\"").unwrap() + 7..];
    let value = &value[..value.find('"').unwrap()];
    ts(&format!("{value}:00+08:00"))
}

#[tokio::test]
async fn the_demo_clock_s_hour_reaches_the_commit_deadline_the_draw_form_proposed() {
    let app = TestApp::spawn_demo_hall().await;
    // Half a minute into the hour, as a visitor never clicks on the minute.
    app.clock.advance_millis(30_000);
    let owner = app.sign_in("owner").await;
    let r = app
        .post(
            "/api/projects",
            Some(&owner),
            json!({ "name": "浑南区第三小学围墙改造工程", "code": "HN-2026-JY-041" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let project = r.body["id"].as_str().unwrap().to_owned();
    let page = app.get("/workspace", Some(&owner)).await;
    let html = page.body.as_str().unwrap();
    let (commit_by, reveal_by) = (
        proposed(html, "commit_deadline"),
        proposed(html, "reveal_deadline"),
    );
    let supervisor = app.org_id("supervisor", "住房").await;
    let r = app
        .post(
            "/api/draws",
            Some(&owner),
            json!({
                "kind": "agent", "project_id": project, "purpose": "浑南区第三小学围墙改造工程 招标代理机构摇号",
                "select": 1, "reserves": 1, "agent_filter": { "category": "construction" },
                "supervisor_org_id": supervisor,
                "commit_deadline": commit_by.to_rfc3339(), "reveal_deadline": reveal_by.to_rfc3339(),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap().to_owned();
    let phase = || async {
        json_of(&app, format!("/api/draws/{draw}"), None).await["phase"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(phase().await, "committing");
    let platform = app.sign_in("platform").await;
    for (deadline, after) in [(commit_by, "revealing"), (reveal_by, "ready_to_conduct")] {
        let r = app
            .post("/api/demo/clock", Some(&platform), json!({ "minutes": 60 }))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        assert_eq!(app.now(), deadline, "one hour lands on the deadline");
        assert_eq!(phase().await, after);
    }
}

/// Tenderer1 bids in the school tender's first lot as the README suggests, making three; at the
/// deadline its custodians open the box with the keys the demo keeps for them.
#[tokio::test]
async fn a_third_bid_and_the_custodian_keys_kept_in_the_data_directory_open_the_demo_s_box() {
    use base64::engine::general_purpose::STANDARD as B64;
    use base64::Engine;
    use bidhall::sealbox::envelope::{self, Header};
    use bidhall::sealbox::keys::CustodianPrivateKey;
    let app = TestApp::spawn_demo_hall().await;
    let notices = board(&app).await;
    let school = id_of(&notices, SCHOOL);
    let tender = json_of(&app, format!("/api/tenders/{school}"), None).await;
    let deadline = ts(tender["spec"]["schedule"]["bid_deadline"].as_str().unwrap());
    let tenderer1 = app.sign_in("tenderer1").await;
    let b = crate::bids::Box_ {
        tender: school.clone(),
        lot: tender["spec"]["lots"][0]["id"].as_str().unwrap().to_owned(),
        deadline,
        custodian_keys: Vec::new(),
        tenderer_org: crate::bids::org_of(&app, &tenderer1).await,
        tenderer: tenderer1,
        signer_pkcs8: Vec::new(),
    };
    let who = crate::opening::bidder(&app, &b, "tenderer1", "").await;
    crate::opening::bid(&app, &b, &who, &crate::bids::bid_archive(1_799_000_000)).await;

    app.clock.set(deadline);
    // the box closes with three bids, the hall's time-release custodian releases by itself
    assert_eq!(phase(&app, &school).await, "decrypting");
    let dir = app
        .args
        .store
        .data_dir
        .join(bidhall::demo::KEYS_DIR)
        .join(&school);
    for (index, login) in [(2u8, "agent"), (3, "supervisor"), (4, "witness")] {
        let text = std::fs::read_to_string(dir.join(format!("{index}-{login}.key"))).unwrap();
        let key = CustodianPrivateKey::from_key_file(&text).unwrap();
        let token = app.sign_in(login).await;
        let path = format!("/api/tenders/{school}/opening/shares/{index}");
        let listed = json_of(&app, path.clone(), Some(&token)).await;
        let mut releases = Vec::new();
        for item in listed.as_array().unwrap() {
            let header =
                Header::parse(&B64.decode(item["header"].as_str().unwrap()).unwrap()).unwrap();
            let share = envelope::open_share(&header, index, &key).unwrap();
            releases
                .push(json!({ "bid_id": item["bid_id"], "share": B64.encode(*share.to_bytes()) }));
        }
        assert_eq!(releases.len(), 3, "{login}");
        let r = app.post(&path, Some(&token), json!(releases)).await;
        assert_eq!(r.status, StatusCode::OK, "{login}: {:?}", r.body);
    }
    let s = json_of(&app, format!("/api/tenders/{school}/opening"), None).await;
    assert_eq!(s["phase"], "announced", "{s}");
    let lines = s["lines"].as_array().unwrap();
    let opened: Vec<(&str, i64)> = lines
        .iter()
        .filter(|l| l["status"] == "opened")
        .map(|l| {
            (
                l["org_name"].as_str().unwrap(),
                l["price_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        opened,
        [
            ("沈阳盛京建筑工程有限公司", 1_812_000_000),
            ("辽宁远大建设工程有限公司", 1_835_000_000),
            ("辽宁华建建设集团有限公司", 1_799_000_000),
        ],
        "{s}"
    );
}
