//! Evaluation and award end to end on the settable clock: an expert draw, a concluded opening,
//! the committee with one-time codes, declarations and a recusal, scores, a ranking with a tie
//! broken by the tender's rule, the signed report, publicity with an objection, the award notice,
//! a decline and the contract within 30 days — each endpoint refusing the wrong role and an
//! unrelated organisation of the right one.

use crate::bids::{open_box_with, org_of, release_as, Box_};
use crate::common::*;
use crate::opening::{bids_in, relogin, Bidder};
use bidhall::domain::{TenderId, DAY_MS, HOUR_MS};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// The agent runs an expert draw for the tender: 5 experts and 2 reserves of the demo pool.
pub(crate) async fn expert_draw(app: &TestApp, tender: &str) -> String {
    let agent = app.sign_in("agent").await;
    let hours = |h: i64| app.now().plus_millis(h * HOUR_MS).to_rfc3339();
    let r = app
        .post(
            "/api/draws",
            Some(&agent),
            json!({
                "kind": "expert", "tender_id": tender, "purpose": "评标专家抽取", "select": 5, "reserves": 2,
                "expert_filter": { "specialties": ["A01", "A02", "A03", "D05"] },
                "commit_deadline": hours(1), "reveal_deadline": hours(2),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap().to_string();
    let mut parties = Vec::new();
    for login in ["platform", "agent", "supervisor"] {
        let token = app.sign_in(login).await;
        let org = org_of(app, &token).await;
        let r = [7u8; 32];
        let c = bidhall::draws::commitment(&draw, &org, &r).unwrap();
        let done = app
            .post(
                format!("/api/draws/{draw}/commit"),
                Some(&token),
                json!({ "commitment": hex::encode(c) }),
            )
            .await;
        assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
        parties.push((token, r));
    }
    app.clock.advance_millis(HOUR_MS);
    for (token, r) in &parties {
        let done = app
            .post(
                format!("/api/draws/{draw}/reveal"),
                Some(token),
                json!({ "r": hex::encode(r) }),
            )
            .await;
        assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);
    }
    app.clock.advance_millis(HOUR_MS);
    bidhall::lottery::service::conduct_due_draws(&app.app)
        .await
        .unwrap();
    let d = app.get(format!("/api/draws/{draw}"), None).await;
    assert_eq!(d.body["phase"], "completed", "{:?}", d.body);
    draw
}

/// Bids at `prices` in a tender with `overrides`, its expert draw, and its opening concluded.
async fn concluded(app: &TestApp, overrides: Value, prices: &[i64]) -> (Box_, Vec<Bidder>) {
    let b = open_box_with(app, overrides).await;
    let agent = app.sign_in("agent").await;
    // no committee without an expert draw
    let r = committee(app, &b, &agent, json!([])).await;
    assert_eq!(r.code(), "no_expert_draw", "{:?}", r.body);
    expert_draw(app, &b.tender).await;
    // nor before the opening is concluded
    let r = committee(app, &b, &agent, json!([])).await;
    assert_eq!(r.code(), "opening_not_concluded", "{:?}", r.body);
    let prices: Vec<Option<i64>> = prices.iter().map(|p| Some(*p)).collect();
    let mut bidders = bids_in(app, &b, &prices, &[]).await;
    conclude_opening(app, &b, &mut bidders).await;
    (b, bidders)
}

/// The deadline passes, the custodians release, every bid is announced, the host's confirmation
/// window passes and the opening is concluded.
pub(crate) async fn conclude_opening(app: &TestApp, b: &Box_, bidders: &mut [Bidder]) {
    app.clock.set(b.deadline);
    relogin(app, bidders).await;
    let phase = || async {
        app.get(format!("/api/tenders/{}/opening", b.tender), None)
            .await
            .body["phase"]
            .clone()
    };
    assert_eq!(phase().await, "decrypting");
    assert_eq!(
        release_as(app, b, "agent", 2, false).await.0,
        StatusCode::OK
    );
    assert_eq!(
        release_as(app, b, "supervisor", 3, false).await.0,
        StatusCode::OK
    );
    // every custodian has released: the bids open now (not at k, docs/sealed-envelope.md §1.2)
    assert_eq!(
        release_as(app, b, "witness", 4, false).await.0,
        StatusCode::OK
    );
    assert_eq!(phase().await, "announced");
    let host = app.sign_in("agent").await;
    let path = |p: &str| format!("/api/tenders/{}/opening/{p}", b.tender);
    let r = app
        .post(
            path("confirmation-window"),
            Some(&host),
            json!({ "minutes": 1 }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    app.clock.advance_millis(60 * 1000);
    let r = app.post(path("conclude"), Some(&host), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

pub(crate) async fn committee(app: &TestApp, b: &Box_, token: &str, reps: Value) -> Reply {
    app.post(
        format!("/api/tenders/{}/evaluation/committee", b.tender),
        Some(token),
        json!({ "owner_representatives": reps }),
    )
    .await
}

pub(crate) async fn award(app: &TestApp, b: &Box_, token: Option<&str>) -> Value {
    let r = app
        .get(format!("/api/tenders/{}/award", b.tender), token)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body
}

pub(crate) async fn post_award(
    app: &TestApp,
    b: &Box_,
    token: &str,
    path: &str,
    body: Value,
) -> Reply {
    app.post(
        format!("/api/tenders/{}/{path}", b.tender),
        Some(token),
        body,
    )
    .await
}

/// Signs a member in with its code; returns the member token.
pub(crate) async fn member_sign_in(app: &TestApp, code: &str) -> String {
    let r = app
        .post("/api/evaluation/sign-in", None, json!({ "code": code }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    r.body["token"].as_str().unwrap().to_string()
}

pub(crate) fn codes(r: &Reply) -> Vec<(i64, String)> {
    r.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["seat"].as_i64().unwrap(),
                m["code"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

pub(crate) async fn declare(app: &TestApp, b: &Box_, member: &str, conflict: bool) -> Reply {
    post_award(
        app,
        b,
        member,
        "evaluation/declaration",
        json!({ "conflict": conflict }),
    )
    .await
}

pub(crate) async fn mark(
    app: &TestApp,
    b: &Box_,
    member: &str,
    line: i64,
    ok: bool,
    scores: Value,
) -> Reply {
    post_award(
        app,
        b,
        member,
        "evaluation/scores",
        if ok {
            json!({ "line": line, "compliant": true, "scores": scores })
        } else {
            // 条例51: a rejection names its ground and the member's reason.
            json!({ "line": line, "compliant": false, "scores": scores,
                "ground": "not_responsive", "reason": "工期不满足招标文件要求" })
        },
    )
    .await
}

/// Every member reads the draft report and signs its hash.
pub(crate) async fn sign_all(app: &TestApp, b: &Box_, members: &[String]) {
    for m in members {
        let draft = app
            .get(
                format!("/api/tenders/{}/evaluation/draft-report", b.tender),
                Some(m),
            )
            .await;
        assert_eq!(draft.status, StatusCode::OK, "{:?}", draft.body);
        let r = post_award(
            app,
            b,
            m,
            "evaluation/sign",
            json!({ "report_sha256": draft.body["report_sha256"] }),
        )
        .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
}

fn ranking(report: &Value) -> Vec<(Value, i64, Value)> {
    report["report"]["ranking"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["rank"].clone(),
                r["line"].as_i64().unwrap(),
                r["tie_broken_by"].clone(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_lowest_price_award_runs_from_the_committee_to_a_contract_in_time() {
    let app = TestApp::spawn_with(|a| a.draw_conductor_ms = 0).await;
    let prices = [98_000_000, 96_000_000, 96_000_000, 99_000_000];
    let (b, mut bidders) = concluded(&app, json!({}), &prices).await;
    let agent = app.sign_in("agent").await;
    let (owner, owner2, agent2) = (
        app.sign_in("owner").await,
        app.sign_in("owner2").await,
        app.sign_in("agent2").await,
    );
    let supervisor = app.sign_in("supervisor").await;
    let t1 = bidders[0].token.clone();

    // 法37: the host forms it; five experts and one representative would be six
    for who in [&t1, &owner, &agent2] {
        let r = committee(&app, &b, who, json!([])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    let r = committee(&app, &b, &agent, json!(["招标人代表 王伟"])).await;
    assert_eq!(r.code(), "committee_composition", "{:?}", r.body);
    let formed = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let seats = codes(&formed);
    assert_eq!(
        seats.iter().map(|s| s.0).collect::<Vec<_>>(),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(
        committee(&app, &b, &agent, json!([])).await.code(),
        "award_wrong_stage"
    );
    // the public sees the stage, not the committee's names (法37)
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "committee_formed");
    assert_eq!(public["committee"]["members"], 5);
    let names: Vec<String> = formed.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    for n in &names {
        assert!(!public.to_string().contains(n.as_str()), "{n} leaked");
    }

    // sign-in: a code works once; a user's session is not a member token, nor is a member's
    // token good for another tender
    let bad = app
        .post(
            "/api/evaluation/sign-in",
            None,
            json!({ "code": "bhe_AAAAAAAAAAAAAAAAAAAA" }),
        )
        .await;
    assert_eq!(bad.code(), "bad_evaluation_credential");
    let mut members: Vec<String> = Vec::new();
    for (_, code) in &seats {
        members.push(member_sign_in(&app, code).await);
    }
    let again = app
        .post(
            "/api/evaluation/sign-in",
            None,
            json!({ "code": seats[0].1 }),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    let eval_path = format!("/api/tenders/{}/evaluation", b.tender);
    assert_eq!(
        app.get(&eval_path, Some(&agent)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let other = app.publish_tender(&agent, "另一个招标").await;
    let r = app
        .get(
            format!("/api/tenders/{}/evaluation", other["id"].as_str().unwrap()),
            Some(&members[0]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // every member endpoint: a user's session is refused, and so is another tender's path
    let other_id = other["id"].as_str().unwrap();
    for (path, body) in [
        ("evaluation/declaration", json!({ "conflict": false })),
        ("evaluation/scores", json!({ "line": 1, "compliant": true })),
        (
            "evaluation/sign",
            json!({ "report_sha256": "00".repeat(32) }),
        ),
    ] {
        let r = post_award(&app, &b, &agent, path, body.clone()).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
        let r = app
            .post(
                format!("/api/tenders/{other_id}/{path}"),
                Some(&members[0]),
                body,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }
    let draft = format!("/api/tenders/{other_id}/evaluation/draft-report");
    assert_eq!(
        app.get(&draft, Some(&members[0])).await.status,
        StatusCode::FORBIDDEN
    );
    let view = app.get(&eval_path, Some(&members[0])).await;
    assert_eq!(view.status, StatusCode::OK, "{:?}", view.body);
    assert_eq!(view.body["bids"].as_array().unwrap().len(), 4);

    // 回避: scoring waits for the declaration; a conflict recuses, the first reserve sits
    assert_eq!(
        mark(&app, &b, &members[0], 1, true, json!([])).await.code(),
        "declaration_required"
    );
    let r = declare(&app, &b, &members[0], true).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        mark(&app, &b, &members[0], 1, true, json!([])).await.code(),
        "member_recused"
    );
    // the replacement's code comes from the host; a tenderer cannot ask for codes
    let codes_path = "evaluation/codes";
    assert_eq!(
        post_award(&app, &b, &t1, codes_path, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post_award(&app, &b, &agent2, codes_path, json!({}))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let fresh = post_award(&app, &b, &agent, codes_path, json!({})).await;
    assert_eq!(fresh.status, StatusCode::OK, "{:?}", fresh.body);
    let fresh = codes(&fresh);
    assert_eq!(
        fresh.iter().map(|s| s.0).collect::<Vec<_>>(),
        [2, 3, 4, 5, 6]
    );
    members[0] = member_sign_in(&app, &fresh[4].1).await;
    for m in &members {
        let r = declare(&app, &b, m, false).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    }
    assert_eq!(
        declare(&app, &b, &members[1], false).await.code(),
        "already_declared"
    );

    // marks: lines 2 and 3 tie on price; three of five find line 4 not compliant
    for (i, m) in members.iter().enumerate() {
        for line in 1..=4 {
            let ok = line != 4 || i >= 3;
            let r = mark(&app, &b, m, line, ok, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
        if i == 0 {
            let early = app
                .get(
                    format!("/api/tenders/{}/evaluation/draft-report", b.tender),
                    Some(m),
                )
                .await;
            assert_eq!(early.code(), "scores_incomplete");
            // one member's marks are its own: the others' are not in its view
            let mine = app.get(&eval_path, Some(m)).await.body;
            assert_eq!(mine["my_marks"].as_array().unwrap().len(), 4);
        }
    }
    let r = mark(&app, &b, &members[0], 1, true, json!([50])).await;
    assert_eq!(
        r.code(),
        "invalid_input",
        "no scores under the lowest price"
    );
    // the public and the tenderers still see no marks
    let seen = award(&app, &b, Some(&t1)).await.to_string();
    assert!(!seen.contains("compliant") && !seen.contains("marks"));
    let r = post_award(
        &app,
        &b,
        &members[0],
        "evaluation/sign",
        json!({ "report_sha256": "00".repeat(32) }),
    )
    .await;
    assert_eq!(r.code(), "report_changed");
    sign_all(&app, &b, &members).await;
    assert_eq!(award(&app, &b, None).await["stage"], "evaluated");

    // the report: the ranking with the tie rule applied, signed with the log's key
    let report_path = format!("/api/tenders/{}/evaluation/report", b.tender);
    assert_eq!(
        app.get(&report_path, None).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&report_path, Some(&t1)).await.status,
        StatusCode::FORBIDDEN
    );
    let report = app.get(&report_path, Some(&supervisor)).await.body;
    assert_eq!(
        ranking(&report),
        vec![
            (json!(1), 2, Value::Null),
            (json!(2), 3, json!("earlier_submission")),
            (json!(3), 1, Value::Null),
            (Value::Null, 4, Value::Null),
        ]
    );
    assert_eq!(report["report"]["tie_break"], "lower_price");
    assert_eq!(report["signed_by"].as_array().unwrap().len(), 5);
    let verifier = app.app.log.verifier();
    let signature = report["signature"].as_str().unwrap();
    bidhall::award::report::verify(&report["report"], signature, &verifier).unwrap();
    let mut forged = report["report"].clone();
    forged["ranking"][0]["line"] = json!(1);
    assert!(bidhall::award::report::verify(&forged, signature, &verifier).is_err());

    // 条例54: candidates publicised for at least 3 days, by the host only
    let three_days = app.now().plus_millis(3 * DAY_MS);
    let publicity = |count: i64, until: bidhall::domain::Timestamp| json!({ "count": count, "until": until.to_rfc3339() });
    for who in [&t1, &owner2, &agent2] {
        let r = post_award(&app, &b, who, "award/candidates", publicity(3, three_days)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    let r = post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        publicity(3, three_days.plus_millis(-1)),
    )
    .await;
    assert_eq!(r.code(), "publicity_too_short", "{:?}", r.body);
    let r = post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        publicity(4, three_days),
    )
    .await;
    assert_eq!(r.code(), "invalid_input", "at most 3 candidates");
    let r = post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        publicity(3, three_days),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "publicised");
    let lines: Vec<i64> = public["lots"][0]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["line"].as_i64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 1]);
    assert_eq!(
        public["lots"][0]["publicity"]["until"],
        three_days.to_rfc3339()
    );

    // an objection by a tenderer that bid, within the window; not by the agent or an outsider
    let outsider = app
        .post(
            "/api/register",
            None,
            json!({
                "organisation": { "role": "tenderer", "name": "旁观者建设有限公司", "credit_code": "91210100MA0Y899992", "region": "沈阳市" },
                "user": { "login": "bystander", "display_name": "bystander", "password": bidhall::demo::password() }
            }),
        )
        .await;
    assert_eq!(outsider.status, StatusCode::CREATED, "{:?}", outsider.body);
    let outsider = app.sign_in("bystander").await;
    let objection = json!({ "text": "第2名的业绩证明存疑" });
    for who in [&agent, &outsider] {
        let r = post_award(&app, &b, who, "award/objections", objection.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    let t4 = bidders[3].token.clone();
    let r = post_award(&app, &b, &t4, "award/objections", objection.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(award(&app, &b, None).await["objections_count"], 1);
    assert_eq!(
        award(&app, &b, None).await["objections"],
        json!([]),
        "the text is for the objector and the hall"
    );
    assert_eq!(
        award(&app, &b, Some(&t4)).await["objections"][0]["text"],
        "第2名的业绩证明存疑"
    );

    // the notice waits for the window, then for the answer
    assert_eq!(
        post_award(&app, &b, &owner, "award/notice", json!({}))
            .await
            .code(),
        "publicity_window_open"
    );
    app.clock.advance_millis(3 * DAY_MS + HOUR_MS);
    relogin(&app, &mut bidders).await;
    let (agent, owner, owner2, agent2) = (
        app.sign_in("agent").await,
        app.sign_in("owner").await,
        app.sign_in("owner2").await,
        app.sign_in("agent2").await,
    );
    let (t2, t4) = (bidders[1].token.clone(), bidders[3].token.clone());
    assert_eq!(
        post_award(&app, &b, &t4, "award/objections", objection.clone())
            .await
            .code(),
        "publicity_window_closed"
    );
    assert_eq!(
        post_award(&app, &b, &owner, "award/notice", json!({}))
            .await
            .code(),
        "objections_unanswered"
    );
    let answer_path = format!("award/objections/{id}/answer");
    let reply = json!({ "text": "经核查，业绩证明真实有效" });
    for who in [&t4, &owner2, &agent2] {
        let r = post_award(&app, &b, who, &answer_path, reply.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    let r = post_award(&app, &b, &owner, &answer_path, reply.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["late"], true, "answered after the 3 days of 条例54");

    // the award notice: the owner's, to the first candidate
    for who in [&agent, &owner2, &t2] {
        let r = post_award(&app, &b, who, "award/notice", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    let notice = post_award(&app, &b, &owner, "award/notice", json!({})).await;
    assert_eq!(notice.status, StatusCode::OK, "{:?}", notice.body);
    assert_eq!(notice.body["line"], 2);
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "awarded");
    assert_eq!(
        public["lots"][0]["notice"]["org_id"],
        bidders[1].org.as_str()
    );
    assert!(public["lots"][0]["contract_due"].is_string());
    // once awarded, the report is public
    assert_eq!(app.get(&report_path, None).await.status, StatusCode::OK);

    // 法46: the contract at the winning price within 30 days of the notice
    let contract = |price: i64| json!({ "price_fen": price, "document_sha256": "ab".repeat(32) });
    for who in [&agent, &owner2, &t2] {
        let r = post_award(&app, &b, who, "award/contract", contract(96_000_000)).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    assert_eq!(
        post_award(&app, &b, &owner, "award/contract", contract(95_000_000))
            .await
            .code(),
        "contract_price_differs"
    );
    app.clock.advance_millis(30 * DAY_MS + 60 * 1000);
    relogin(&app, &mut bidders).await;
    let owner = app.sign_in("owner").await;
    let t2 = bidders[1].token.clone();
    assert_eq!(
        post_award(&app, &b, &owner, "award/contract", contract(96_000_000))
            .await
            .code(),
        "contract_deadline_passed"
    );

    // the winner declines: the next candidate gets the notice and signs in time
    let outsider = app.sign_in("bystander").await;
    for who in [&owner, &outsider, &bidders[3].token] {
        let r = post_award(&app, &b, who, "award/decline", json!({ "text": "x" })).await;
        assert_eq!(r.code(), "not_a_candidate", "{:?}", r.body);
    }
    let r = post_award(
        &app,
        &b,
        &t2,
        "award/decline",
        json!({ "text": "无法按期履约" }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["stage"], "publicised");
    let notice = post_award(&app, &b, &owner, "award/notice", json!({})).await;
    assert_eq!(notice.body["line"], 3, "{:?}", notice.body);
    app.clock.advance_millis(10 * DAY_MS);
    let owner = app.sign_in("owner").await;
    let signed = post_award(&app, &b, &owner, "award/contract", contract(96_000_000)).await;
    assert_eq!(signed.status, StatusCode::CREATED, "{:?}", signed.body);
    assert_eq!(signed.body["line"], 3);
    let public = award(&app, &b, None).await;
    assert_eq!(public["stage"], "contracted");
    assert_eq!(
        public["lots"][0]["contract"]["document_sha256"],
        "ab".repeat(32)
    );

    // the tender's public page shows the stage, the candidates and the contract
    let page = app
        .client
        .get(format!("{}/tenders/{}", app.base, b.tender))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"data-stage="contracted""#), "{page}");
    assert!(page.contains(r#"class="responsive award-candidates""#));
    assert!(page.contains("award-contract"));
    assert!(page.contains(r#"data-stage="contracted""#));
    let room = app
        .client
        .get(format!("{}/evaluation", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(room.status(), StatusCode::OK);
    assert!(room.text().await.unwrap().contains("eval-signin-form"));
    let script = app
        .client
        .get(format!("{}/static/js/app/evaluation.js", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), StatusCode::OK);
    let desk = app
        .client
        .get(format!("{}/tenders/{}/award", app.base, b.tender))
        .header("Authorization", format!("Bearer {owner}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(desk.contains(r#""owner":true"#), "{desk}");
    assert!(desk.contains("award-desk.js"));

    // every award event is in the audit log, each with its own entry
    let tid = TenderId::parse(&b.tender).unwrap();
    let events = app.app.store.award_events(&tid).await.unwrap();
    let logged = app
        .get(
            format!("/api/log/entries?tender={}&limit=1000", b.tender),
            None,
        )
        .await;
    let logged = logged
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "award_event")
        .count();
    assert_eq!(logged, events.len());
    // no code or token is stored in the clear
    let text = format!("{events:?}");
    for (_, code) in seats.iter().chain(fresh.iter()) {
        assert!(!text.contains(code.as_str()));
    }
}

#[tokio::test]
async fn comprehensive_scores_rank_by_weighted_means_and_the_published_tie_rule() {
    let app = TestApp::spawn_with(|a| a.draw_conductor_ms = 0).await;
    let spec = json!({
        "evaluation_method": { "kind": "comprehensive_scoring", "criteria": [
            { "name": "技术", "weight": 60 }, { "name": "商务", "weight": 40 } ] },
        "tie_break": "lower_price",
    });
    let (b, _) = concluded(&app, spec, &[98_000_000, 97_000_000, 99_000_000]).await;
    let tender = app.get(format!("/api/tenders/{}", b.tender), None).await;
    assert_eq!(tender.body["spec"]["tie_break"], "lower_price");
    let agent = app.sign_in("agent").await;
    // five experts and two of the owner's representatives: seven, experts 5/7 ≥ 2/3
    let r = committee(&app, &b, &agent, json!(["王伟", "李娜", "张敏"])).await;
    assert_eq!(r.code(), "committee_composition");
    let formed = committee(&app, &b, &agent, json!(["王伟", "李娜"])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    assert_eq!(formed.body["members"][6]["kind"], "owner_representative");
    let mut members = Vec::new();
    for (_, code) in codes(&formed) {
        let m = member_sign_in(&app, &code).await;
        assert_eq!(declare(&app, &b, &m, false).await.status, StatusCode::OK);
        members.push(m);
    }
    // 60×80 + 40×90 = 60×90 + 40×75 = 8400 per member: lines 1 and 2 tie exactly
    for m in &members {
        assert_eq!(
            mark(&app, &b, m, 1, true, json!([80])).await.code(),
            "invalid_input",
            "one score per criterion"
        );
        assert_eq!(
            mark(&app, &b, m, 1, true, json!([101, 0])).await.code(),
            "invalid_input"
        );
        for (line, scores) in [
            (1, json!([80, 90])),
            (2, json!([90, 75])),
            (3, json!([70, 70])),
        ] {
            let r = mark(&app, &b, m, line, true, scores).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    sign_all(&app, &b, &members).await;
    let report = app
        .get(
            format!("/api/tenders/{}/evaluation/report", b.tender),
            Some(&members[0]),
        )
        .await
        .body;
    assert_eq!(
        ranking(&report),
        vec![
            (json!(1), 2, Value::Null),
            (json!(2), 1, json!("lower_price")),
            (json!(3), 3, Value::Null),
        ]
    );
    let r = &report["report"]["ranking"];
    assert_eq!(r[0]["score_centi"], 8400);
    assert_eq!(r[1]["score_centi"], 8400);
    assert_eq!(r[2]["score_centi"], 7000);
    assert_eq!(report["report"]["marks"].as_array().unwrap().len(), 21);
    bidhall::award::report::verify(
        &report["report"],
        report["signature"].as_str().unwrap(),
        &app.app.log.verifier(),
    )
    .unwrap();
    // after the report nothing changes the marks
    assert_eq!(
        mark(&app, &b, &members[0], 3, true, json!([100, 100]))
            .await
            .code(),
        "award_wrong_stage"
    );
}

#[tokio::test]
async fn the_award_store_appends_only_after_the_last_event_and_redeems_a_code_once() {
    use bidhall::auditlog::{AuditActor, AuditEvent};
    use bidhall::award::member::MemberSession;
    use bidhall::award::AwardEvent;
    use bidhall::opening::Audience;
    use bidhall::store::{IssuedCode, StoreError};
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "存储测试").await;
    let tid = TenderId::parse(t["id"].as_str().unwrap()).unwrap();
    let store = &app.app.store;
    let now = app.now();
    let event = |seq: i64| AwardEvent {
        seq,
        at: now,
        kind: "codes_issued".into(),
        audience: Audience::Hall,
        body: json!({ "seats": [1] }),
    };
    let audit = || {
        AuditEvent::new(
            "award_event",
            Some(&tid),
            AuditActor::System,
            now,
            json!({}),
        )
    };
    let code = |c: &str| IssuedCode {
        seat: 1,
        code_sha256: c.into(),
    };
    store
        .append_award_events(
            &tid,
            0,
            vec![event(1)],
            vec![audit()],
            vec![code("c1")],
            vec![],
            None,
            now,
        )
        .await
        .unwrap();
    // a writer that folded nothing lost the race
    let late = store
        .append_award_events(
            &tid,
            0,
            vec![event(1)],
            vec![audit()],
            vec![],
            vec![],
            None,
            now,
        )
        .await;
    assert!(matches!(late, Err(StoreError::Conflict(_))), "{late:?}");
    // a fresh code for the seat replaces its unused one
    store
        .append_award_events(
            &tid,
            1,
            vec![event(2)],
            vec![audit()],
            vec![code("c2")],
            vec![],
            None,
            now,
        )
        .await
        .unwrap();
    assert_eq!(store.find_evaluation_code("c1").await.unwrap(), None);
    assert_eq!(
        store.find_evaluation_code("c2").await.unwrap(),
        Some((tid.clone(), 1))
    );
    let session = MemberSession {
        tender_id: tid.clone(),
        seat: 1,
        expires_at: now.plus_millis(HOUR_MS),
    };
    store
        .redeem_evaluation_code("c2", "tok", &session, now, &audit())
        .await
        .unwrap();
    let twice = store
        .redeem_evaluation_code("c2", "tok2", &session, now, &audit())
        .await;
    assert!(matches!(twice, Err(StoreError::Conflict(_))), "{twice:?}");
    assert_eq!(store.find_member_token("tok").await.unwrap(), Some(session));
    assert_eq!(store.award_events(&tid).await.unwrap().len(), 2);
}
