//! The personal home (`/home`) and the agents' registry pages, as each role is served them: each
//! lists what is its own and what awaits it, in Chinese, and nothing it must not know — before the
//! deadline nobody but the tenderer learns that it bid (法22), the committee's names stay out until
//! the result (法37) — and the wrong role is refused. The registry pages carry the whole 三表三制
//! flow: the agent's page, the platform's list and dossier, every change through the JSON API.

use crate::common::*;
use bidhall::domain::{DAY_MS, HOUR_MS};
use reqwest::StatusCode;
use serde_json::json;

const TENDERER1: &str = "辽宁华建建设集团有限公司";
const TENDERER2: &str = "沈阳盛京建筑工程有限公司";

/// The page at `path` as `login` is served it: 200, in Chinese; returned without its `<script>`
/// blocks (the page's word table holds every word of the hall, so a search must not look there).
async fn page(app: &TestApp, path: &str, login: &str) -> String {
    let token = app.sign_in(login).await;
    let r = app.get(path, Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK, "{login} {path}: {:?}", r.body);
    let html = r.body.as_str().unwrap().to_owned();
    assert_speaks_chinese(&format!("{path} as {login}"), &html);
    without_scripts(&html)
}

fn without_scripts(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find("<script") {
        out.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</script>")
            .map_or("", |end| &rest[start + end + "</script>".len()..]);
    }
    out.push_str(rest);
    out
}

async fn home(app: &TestApp, login: &str) -> String {
    page(app, "/home", login).await
}

/// `path`'s status and `Location` for `token`, redirects not followed.
async fn status(app: &TestApp, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut req = client.get(format!("{}{path}", app.base));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let r = req.send().await.unwrap();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap_or_default();
    (r.status(), location)
}

fn tasks(html: &str) -> Vec<String> {
    html.match_indices("data-task=\"")
        .map(|(i, m)| {
            html[i + m.len()..]
                .chars()
                .take_while(|c| *c != '"')
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn strangers_are_sent_to_sign_in_and_the_wrong_role_is_refused() {
    let app = TestApp::spawn().await;
    for path in ["/home", "/registry/agent", "/registry/agents"] {
        let (s, to) = status(&app, path, None).await;
        assert_eq!(
            (s, to.as_str()),
            (StatusCode::SEE_OTHER, "/signin"),
            "{path}"
        );
    }
    let (owner, tenderer, agent, agent2) = (
        app.sign_in("owner").await,
        app.sign_in("tenderer1").await,
        app.sign_in("agent").await,
        app.sign_in("agent2").await,
    );
    // the agent's page is an agent's; the review pages are the trading centre's
    assert_eq!(
        status(&app, "/registry/agent", Some(&owner)).await.0,
        StatusCode::FORBIDDEN
    );
    for who in [&owner, &tenderer, &agent] {
        assert_eq!(
            status(&app, "/registry/agents", Some(who)).await.0,
            StatusCode::FORBIDDEN
        );
    }
    let forms = app.agent_forms("agent", "辽宁正信招标代理有限公司").await;
    let r = app.post("/api/registry/agents", Some(&agent), forms).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let org = r.body["org_id"].as_str().unwrap().to_string();
    let dossier = format!("/registry/agents/{org}");
    for who in [&agent2, &owner, &tenderer] {
        let r = app.get(&dossier, Some(who)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let html = r.body.as_str().unwrap();
        assert!(
            !html.contains("210102198001010011") && !html.contains("张法人"),
            "another organisation sees no form"
        );
    }
    assert_eq!(
        status(&app, &dossier, Some(&agent)).await,
        (StatusCode::SEE_OTHER, "/registry/agent".to_string())
    );
    // every role has a home, in Chinese
    for login in [
        "owner",
        "agent",
        "tenderer1",
        "supervisor",
        "witness",
        "platform",
    ] {
        let html = home(&app, login).await;
        assert!(html.contains("id=\"todo\""), "{login}");
        assert!(
            html.contains("id=\"home-nav\""),
            "{login}: linked from the layout"
        );
    }
}

/// 法22: who obtained the documents, paid and bid is known to the tenderer itself until the
/// deadline. The owner's, agent's, supervisor's and witness's homes do not change by a byte when a
/// tenderer obtains the documents and bids; each tenderer's home shows its own bid and nobody
/// else's.
#[tokio::test]
async fn before_the_deadline_no_home_but_the_bidder_s_own_tells_that_it_bid() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    // a second tender, whose custodians have not registered their keys
    let unkeyed = app.publish_tender(&agent, "尚未登记密钥的招标").await;
    let unkeyed = unkeyed["spec"]["title"].as_str().unwrap().to_string();
    let b = crate::bids::open_box(&app).await;
    let title = "密封投标";

    let watchers = ["owner", "agent", "supervisor", "witness"];
    let mut before = Vec::new();
    for w in watchers {
        before.push(home(&app, w).await);
    }
    // tenderer1 (which obtained the documents in `open_box`) bids; tenderer2 obtains them too
    crate::bids::bid_as(&app, &b, "tenderer1", &crate::bids::bid_archive(98_000_000)).await;
    let t2 = app.sign_in("tenderer2").await;
    let r = app
        .post(
            format!("/api/tenders/{}/obtain", b.tender),
            Some(&t2),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    for (w, was) in watchers.iter().zip(&before) {
        let now = home(&app, w).await;
        assert_eq!(&now, was, "{w}'s home changed when a tenderer bid");
        assert!(now.contains(title), "{w} lists the tender");
        for name in [TENDERER1, TENDERER2] {
            assert!(!now.contains(name), "{w}'s home names a tenderer");
        }
        assert!(!now.contains("data-state=\"submitted\""), "{w}");
    }
    let platform = home(&app, "platform").await;
    assert!(
        !platform.contains(TENDERER1) && !platform.contains(title),
        "{platform}"
    );

    // each party's own duties: the agent hosts and holds a key of the unkeyed tender, the
    // supervisor and the witness register theirs, the owner waits for them
    let owner = home(&app, "owner").await;
    assert!(owner.contains(&unkeyed) && tasks(&owner).contains(&"await_custodians".into()));
    for w in ["agent", "supervisor", "witness"] {
        let html = home(&app, w).await;
        assert!(
            tasks(&html).contains(&"register_custodian_key".into()),
            "{w}: {:?}",
            tasks(&html)
        );
    }
    let supervisor = home(&app, "supervisor").await;
    assert!(tasks(&supervisor).contains(&"watch_opening".into()));

    let t1 = home(&app, "tenderer1").await;
    assert!(t1.contains(title) && t1.contains("data-state=\"submitted\""));
    assert!(
        tasks(&t1).contains(&"pay_bond".into()) && !tasks(&t1).contains(&"submit_bid".into()),
        "{:?}",
        tasks(&t1)
    );
    assert!(t1.contains("¥0.00 / ¥20,000.00"), "its bond, in yuan");
    assert!(!t1.contains(&unkeyed), "only tenders it obtained");
    let t2 = home(&app, "tenderer2").await;
    assert!(t2.contains(title), "it obtained the documents");
    assert!(
        !t2.contains("data-state=\"submitted\"") && !t2.contains(TENDERER1),
        "not the other tenderer's bid"
    );
    assert!(tasks(&t2).contains(&"submit_bid".into()));
    let t3 = home(&app, "tenderer3").await;
    assert!(!t3.contains(title) && t3.contains("id=\"no-obtained\""));
}

/// After the opening: the host forms the committee, whose names appear on no home (法37); a
/// member's clarification question waits on its tenderer's home alone; after publicity the owner
/// is asked for the notice, then each tenderer reads its own result.
#[tokio::test]
async fn after_the_opening_each_home_follows_the_award_and_no_home_names_the_committee() {
    let app = TestApp::spawn_with(|a| a.draw_conductor_ms = 0).await;
    let (b, _, codes) = crate::bids::concluded_with_committee(&app).await;
    let experts: Vec<String> = app
        .app
        .store
        .list_experts()
        .await
        .unwrap()
        .iter()
        .map(|e| e.name.as_str().to_string())
        .collect();
    let everyone = [
        "owner",
        "agent",
        "tenderer1",
        "tenderer2",
        "tenderer3",
        "supervisor",
        "witness",
        "platform",
    ];
    let no_names = |html: &str, who: &str| {
        for n in &experts {
            assert!(!html.contains(n.as_str()), "{who}'s home names {n}");
        }
    };
    for who in everyone {
        no_names(&home(&app, who).await, who);
    }
    assert!(tasks(&home(&app, "agent").await).contains(&"await_committee".into()));

    let mut members = Vec::new();
    for code in &codes {
        let m = crate::award::member_sign_in(&app, code).await;
        assert_eq!(
            crate::award::declare(&app, &b, &m, false).await.status,
            StatusCode::OK
        );
        members.push(m);
    }
    let room = app
        .get(
            format!("/api/tenders/{}/evaluation", b.tender),
            Some(&members[0]),
        )
        .await;
    let line_of = |price: i64| {
        room.body["bids"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["price_fen"] == price)
            .unwrap()["line"]
            .as_i64()
            .unwrap()
    };
    // 条例52: a member asks tenderer2 (99万) to clarify; only tenderer2 is asked to answer
    let r = crate::award::post_award(
        &app,
        &b,
        &members[1],
        "evaluation/clarifications",
        json!({ "line": line_of(99_000_000), "text": "请说明工期计算依据" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert!(tasks(&home(&app, "tenderer2").await).contains(&"answer_clarification".into()));
    for who in ["tenderer1", "tenderer3", "owner"] {
        assert!(!tasks(&home(&app, who).await).contains(&"answer_clarification".into()));
    }
    let t2 = app.sign_in("tenderer2").await;
    let asked = r.body["id"].as_i64().unwrap();
    let r = crate::award::post_award(
        &app,
        &b,
        &t2,
        &format!("award/clarifications/{asked}/answer"),
        json!({ "text": "按日历天计算" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(!tasks(&home(&app, "tenderer2").await).contains(&"answer_clarification".into()));

    for m in &members {
        for line in 1..=3 {
            let r = crate::award::mark(&app, &b, m, line, true, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    crate::award::sign_all(&app, &b, &members).await;
    assert!(tasks(&home(&app, "agent").await).contains(&"publicise".into()));
    let agent = app.sign_in("agent").await;
    let until = app.now().plus_millis(3 * DAY_MS);
    let r = crate::award::post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        json!({ "count": 3, "until": until.to_rfc3339() }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let owner = home(&app, "owner").await;
    assert!(tasks(&owner).contains(&"await_publicity".into()));
    no_names(&owner, "owner");

    app.clock.advance_millis(3 * DAY_MS + HOUR_MS);
    let owner = home(&app, "owner").await;
    assert!(
        tasks(&owner).contains(&"issue_notice".into()),
        "{:?}",
        tasks(&owner)
    );
    let agent_home = home(&app, "agent").await;
    let agent_todo = agent_home.split("id=\"waiting-list\"").next().unwrap();
    assert!(
        !agent_todo.contains("data-task=\"issue_notice\""),
        "the owner issues the notice, the agent waits for it"
    );
    let owner_token = app.sign_in("owner").await;
    let r = crate::award::post_award(&app, &b, &owner_token, "award/notice", json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert!(tasks(&home(&app, "owner").await).contains(&"record_contract".into()));

    // the lowest price (tenderer1, 98万) wins; each tenderer reads its own result
    let t1 = home(&app, "tenderer1").await;
    assert!(
        t1.contains("中标") && !t1.contains("未中标"),
        "tenderer1 won: {t1}"
    );
    assert!(t1.contains("/award/letters"));
    for who in ["tenderer2", "tenderer3"] {
        let html = home(&app, who).await;
        assert!(html.contains("未中标"), "{who}");
    }
}

/// 三表三制 through the pages: the agent's page shows the forms and, once submitted, the
/// registration; the trading centre finds it on its home and in its list, reads the dossier
/// (the ID number included), rejects it with a reason the agent then reads, approves the
/// resubmission, records a qualification and a red credit record — all shown on both sides.
#[tokio::test]
async fn an_agent_registers_and_the_platform_reviews_it_through_the_pages() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let platform = app.sign_in("platform").await;
    let fresh = page(&app, "/registry/agent", "agent").await;
    assert!(fresh.contains("id=\"agent-form\"") && fresh.contains("id=\"not-registered\""));
    for rule in ["入场服务承诺制", "从业行为规范制", "执业监督管理制"] {
        assert!(fresh.contains(rule), "{rule}");
    }
    assert!(home(&app, "agent").await.contains("尚未登记"));

    let forms = app.agent_forms("agent", "辽宁正信招标代理有限公司").await;
    let r = app
        .post("/api/registry/agents", Some(&agent), forms.clone())
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let org = r.body["org_id"].as_str().unwrap().to_string();
    let mine = page(&app, "/registry/agent", "agent").await;
    assert!(mine.contains("data-status=\"pending\"") && mine.contains("待审核"));

    let home_p = home(&app, "platform").await;
    assert!(tasks(&home_p).contains(&"review_agent".into()));
    assert!(home_p.contains(&format!("/registry/agents/{org}")));
    let list = page(&app, "/registry/agents", "platform").await;
    assert!(list.contains("辽宁正信招标代理有限公司") && list.contains("data-status=\"pending\""));
    let dossier_path = format!("/registry/agents/{org}");
    let dossier = page(&app, &dossier_path, "platform").await;
    assert!(dossier.contains("id=\"review-form\"") && dossier.contains("210102198001010011"));
    assert!(dossier.contains("¥5,000,000.00") && dossier.contains("李代理"));

    let review = format!("/api/registry/agents/{org}/review");
    let r = app
        .post(
            &review,
            Some(&platform),
            json!({ "approve": false, "reason": "从业人员证书待补充" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mine = page(&app, "/registry/agent", "agent").await;
    assert!(mine.contains("data-status=\"rejected\"") && mine.contains("从业人员证书待补充"));
    assert!(
        mine.contains("id=\"agent-form\""),
        "a rejected agent may resubmit"
    );
    assert!(!tasks(&home(&app, "platform").await).contains(&"review_agent".into()));

    let forms = app.agent_forms("agent", "辽宁正信招标代理有限公司").await;
    let r = app.post("/api/registry/agents", Some(&agent), forms).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            &review,
            Some(&platform),
            json!({ "approve": true, "reason": "材料齐全" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let r = app
        .post(
            &format!("/api/registry/agents/{org}/qualifications"),
            Some(&platform),
            json!({ "categories": ["construction"], "grade": 1,
                    "valid_from": "2027-01-01T00:00:00Z", "valid_to": "2028-01-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            "/api/registry/credit",
            Some(&platform),
            json!({ "org_id": org, "colour": "red", "reason": "围标串标", "source_document": "沈建罚〔2027〕3号",
                    "from": "2027-02-01T00:00:00Z", "to": "2027-08-01T00:00:00Z" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);

    let mine = page(&app, "/registry/agent", "agent").await;
    assert!(mine.contains("data-status=\"approved\"") && !mine.contains("id=\"agent-form\""));
    assert!(mine.contains("甲级") && mine.contains("红色（黑名单）") && mine.contains("围标串标"));
    assert!(
        mine.contains("2028-01-01 08:00"),
        "validity in Beijing time"
    );
    for change in [
        "submitted",
        "rejected",
        "approved",
        "qualification_recorded",
    ] {
        assert!(
            mine.contains(&format!("data-change=\"{change}\"")),
            "{change}"
        );
    }
    let list = page(&app, "/registry/agents", "platform").await;
    assert!(list.contains("data-status=\"approved\"") && list.contains("沈建罚〔2027〕3号"));
    let dossier = page(&app, &dossier_path, "platform").await;
    assert!(!dossier.contains("id=\"review-form\""), "decided");
    assert!(
        dossier.contains("id=\"qualification-form\"") && dossier.contains("id=\"registry-red\"")
    );
    assert!(home(&app, "agent").await.contains("已通过"));
}

/// A draw waits on each party's home for its commitment, then its reveal; the trading centre
/// lists it among the draws in progress and watches the reactions' outbox.
#[tokio::test]
async fn a_draw_waits_on_each_party_s_home_and_the_platform_watches_the_outbox() {
    let app = TestApp::spawn_with(|a| a.draw_conductor_ms = 0).await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "专家抽取的招标").await;
    let at = |h: i64| app.now().plus_millis(h * HOUR_MS).to_rfc3339();
    let r = app
        .post(
            "/api/draws",
            Some(&agent),
            json!({
                "kind": "expert", "tender_id": t["id"], "purpose": "评标专家抽取（首页测试）", "select": 5, "reserves": 2,
                "expert_filter": { "specialties": ["A01", "A02", "A03", "D05"] },
                "commit_deadline": at(1), "reveal_deadline": at(2),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap().to_string();
    let parties: Vec<String> = r.body["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    let platform = home(&app, "platform").await;
    assert!(platform.contains("评标专家抽取（首页测试）") && platform.contains("id=\"outbox\""));
    assert!(platform.contains("id=\"outbox-undelivered\""));
    for login in ["platform", "agent", "supervisor"] {
        let token = app.sign_in(login).await;
        let org = crate::bids::org_of(&app, &token).await;
        if !parties.contains(&org) {
            continue;
        }
        let html = home(&app, login).await;
        assert!(tasks(&html).contains(&"commit_draw".into()), "{login}");
        let c = bidhall::draws::commitment(&draw, &org, &[9u8; 32]).unwrap();
        let r = app
            .post(
                format!("/api/draws/{draw}/commit"),
                Some(&token),
                json!({ "commitment": hex::encode(c) }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        assert!(!tasks(&home(&app, login).await).contains(&"commit_draw".into()));
    }
    app.clock.advance_millis(HOUR_MS);
    let html = home(&app, "agent").await;
    assert!(
        tasks(&html).contains(&"reveal_draw".into()),
        "{:?}",
        tasks(&html)
    );
    let tenderer = home(&app, "tenderer1").await;
    assert!(
        !tenderer.contains("评标专家抽取（首页测试）"),
        "not a party"
    );
}

/// Each role opens its home in Chromium at 390 px, in Chinese, with no console error, no failed
/// request and no sideways scrolling; the agent registers under 三表三制 from its page (signing
/// the rules in the browser) and the trading centre approves it from the review page.
#[tokio::test]
async fn each_role_opens_its_home_on_a_phone_and_an_agent_registers_in_the_browser() {
    let Some(chromium) = chromium_for("home.mjs") else {
        return;
    };
    let ahead = bidhall::clock::Clock::now(&bidhall::clock::SystemClock).plus_millis(10 * 60_000);
    let app = TestApp::spawn_at(ahead, |_| {}).await;
    // something on each home: a tender the tenderer obtained, a pending draw for the parties
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "手机端首页测试招标").await;
    let tenderer = app.sign_in("tenderer1").await;
    let r = app
        .post(
            format!("/api/tenders/{}/obtain", t["id"].as_str().unwrap()),
            Some(&tenderer),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    run_browser_script(&chromium, "home.mjs", "home", &app.base, &[], 300).await;
    let org = crate::bids::org_of(&app, &agent).await;
    let platform = app.sign_in("platform").await;
    let d = app
        .get(format!("/api/registry/agents/{org}"), Some(&platform))
        .await;
    assert_eq!(d.body["record"]["status"], "approved", "{:?}", d.body);
}
