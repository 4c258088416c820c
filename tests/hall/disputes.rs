//! Questions, objections to the documents and complaints (docs/disputes.md): a question answered
//! and published without saying who asked, the periods of 实施条例 第二十二条、第六十条、第六十一条
//! on the hall's settable clock, and who may do what.

use crate::common::*;
use bidhall::domain::{Timestamp, DAY_MS, HOUR_MS, MINUTE_MS};
use reqwest::StatusCode;
use serde_json::{json, Value};

struct World {
    tender: String,
    bid_deadline: Timestamp,
    clarification_deadline: Timestamp,
    agent: String,
    owner: String,
    tenderer1: String,
    tenderer2: String,
    supervisor: String,
}

/// A published tender (documents on sale for 7 days, questions until day 12, bids until day 25)
/// whose documents tenderer1 obtained; tenderer2 obtains them only where a test says.
async fn world(app: &TestApp, title: &str) -> World {
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, title).await;
    let tender = t["id"].as_str().unwrap().to_string();
    let schedule = &t["spec"]["schedule"];
    let at = |k: &str| Timestamp::parse(schedule[k].as_str().unwrap()).unwrap();
    let w = World {
        tender,
        bid_deadline: at("bid_deadline"),
        clarification_deadline: at("clarification_deadline"),
        agent,
        owner: app.sign_in("owner").await,
        tenderer1: app.sign_in("tenderer1").await,
        tenderer2: app.sign_in("tenderer2").await,
        supervisor: app.sign_in("supervisor").await,
    };
    obtain(app, &w, &w.tenderer1).await;
    w
}

impl World {
    /// Sessions last hours, on the hall's clock: after moving it days ahead, everyone signs in again.
    async fn sign_in_again(&mut self, app: &TestApp) {
        self.agent = app.sign_in("agent").await;
        self.owner = app.sign_in("owner").await;
        self.tenderer1 = app.sign_in("tenderer1").await;
        self.tenderer2 = app.sign_in("tenderer2").await;
        self.supervisor = app.sign_in("supervisor").await;
    }
}

async fn obtain(app: &TestApp, w: &World, token: &str) {
    let r = app
        .post(
            format!("/api/tenders/{}/obtain", w.tender),
            Some(token),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/me", Some(token)).await.body
}

/// A supervising department that is not the tender's, with a user; returns its token.
async fn other_supervisor(app: &TestApp) -> String {
    let platform = app.sign_in("platform").await;
    let org = app
        .post(
            "/api/organisations",
            Some(&platform),
            json!({ "role": "supervisor", "name": "某县水利局", "credit_code": credit_code("11210100MB0123456") }),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{:?}", org.body);
    let user = app
        .post(
            format!("/api/organisations/{}/users", org.body["id"].as_str().unwrap()),
            Some(&platform),
            json!({ "login": "water-supervisor", "display_name": "水利监督", "password": bidhall::demo::password() }),
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{:?}", user.body);
    app.sign_in("water-supervisor").await
}

async fn ask(app: &TestApp, w: &World, token: Option<&str>, text: &str) -> Reply {
    app.post(
        format!("/api/tenders/{}/questions", w.tender),
        token,
        json!({ "text": text }),
    )
    .await
}

async fn object(app: &TestApp, w: &World, token: &str, text: &str) -> Reply {
    app.post(
        format!("/api/tenders/{}/document-objections", w.tender),
        Some(token),
        json!({ "text": text }),
    )
    .await
}

async fn answer(app: &TestApp, w: &World, token: &str, what: &str, id: &str, text: &str) -> Reply {
    app.post(
        format!("/api/tenders/{}/{what}/{id}/answer", w.tender),
        Some(token),
        json!({ "text": text }),
    )
    .await
}

async fn complain(app: &TestApp, w: &World, token: &str, body: Value) -> Reply {
    app.post(
        format!("/api/tenders/{}/complaints", w.tender),
        Some(token),
        body,
    )
    .await
}

async fn act_on(
    app: &TestApp,
    w: &World,
    token: &str,
    complaint: &str,
    step: &str,
    body: Value,
) -> Reply {
    app.post(
        format!("/api/tenders/{}/complaints/{complaint}/{step}", w.tender),
        Some(token),
        body,
    )
    .await
}

/// The audit-log entries appended since the log had `size` entries, as text.
async fn entries_since(app: &TestApp, size: i64) -> Vec<(String, String)> {
    app.app
        .store
        .audit_entries(None, size - 1, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, String::from_utf8(e.entry).unwrap()))
        .collect()
}

#[tokio::test]
async fn a_question_is_answered_and_published_without_saying_who_asked() {
    let app = TestApp::spawn().await;
    let mut w = world(&app, "澄清测试工程").await;
    let asker = me(&app, &w.tenderer1).await;
    let (asker_org, asker_name) = (
        asker["org_id"].as_str().unwrap().to_string(),
        asker["org_name"].as_str().unwrap().to_string(),
    );
    let size = app.log_size().await;

    let q = ask(
        &app,
        &w,
        Some(&w.tenderer1),
        "第三章工程量清单第5项的计量单位是否有误？",
    )
    .await;
    assert_eq!(q.status, StatusCode::CREATED, "{:?}", q.body);
    assert_eq!(q.body["mine"], true);
    let id = q.body["id"].as_str().unwrap().to_string();

    // Unanswered, it is the asker's and the hall's: not the public's, not a rival's.
    let public = app
        .get(format!("/api/tenders/{}/questions", w.tender), None)
        .await;
    assert_eq!(public.status, StatusCode::OK);
    assert_eq!(public.body["questions"], json!([]));
    let agent_view = app
        .get(
            format!("/api/tenders/{}/questions", w.tender),
            Some(&w.agent),
        )
        .await;
    assert_eq!(agent_view.body["questions"][0]["id"], id.as_str());
    assert_eq!(
        agent_view.body["questions"][0]["asker"],
        Value::Null,
        "the agent does not learn who asked before the opening"
    );

    let a = answer(
        &app,
        &w,
        &w.agent,
        "questions",
        &id,
        "计量单位应为立方米，以本澄清为准。",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["answer"], "计量单位应为立方米，以本澄清为准。");
    let again = answer(&app, &w, &w.owner, "questions", &id, "再答一次").await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "already_answered");

    // Published: the public and a rival see the question and its answer, never who asked.
    for token in [None, Some(w.tenderer2.as_str())] {
        let r = app
            .get(format!("/api/tenders/{}/questions", w.tender), token)
            .await;
        let q = &r.body["questions"][0];
        assert_eq!(q["answer"], "计量单位应为立方米，以本澄清为准。");
        assert_eq!(q["mine"], false);
        assert_eq!(q["asker"], Value::Null);
        let text = r.body.to_string();
        assert!(
            !text.contains(&asker_org) && !text.contains(&asker_name),
            "{text}"
        );
    }
    let own = app
        .get(
            format!("/api/tenders/{}/questions", w.tender),
            Some(&w.tenderer1),
        )
        .await;
    assert_eq!(own.body["questions"][0]["mine"], true);
    let page = app.get(format!("/tenders/{}", w.tender), None).await;
    let html = page.body.as_str().unwrap();
    assert!(html.contains("计量单位应为立方米") && html.contains("id=\"clarifications\""));
    assert!(
        !html.contains(&asker_name),
        "the tender page names the asker"
    );

    // The log seals who asked until the opening; the answer is plain and names nobody.
    let entries = entries_since(&app, size).await;
    let asked = entries.iter().find(|(k, _)| k == "question_asked").unwrap();
    assert!(
        asked.1.contains("\"sealed\"") && !asked.1.contains(&asker_org),
        "{}",
        asked.1
    );
    let answered = entries
        .iter()
        .find(|(k, _)| k == "question_answered")
        .unwrap();
    assert!(answered.1.contains(&id) && !answered.1.contains(&asker_org));

    // After the clarification deadline questions are refused (条例22).
    app.clock
        .set(w.clarification_deadline.plus_millis(MINUTE_MS));
    w.sign_in_again(&app).await;
    let late = ask(&app, &w, Some(&w.tenderer1), "还能再问吗？").await;
    assert_eq!(late.status, StatusCode::CONFLICT, "{:?}", late.body);
    assert_eq!(late.code(), "questions_closed");
    assert_eq!(late.body["error"]["details"]["article"], "条例22");
}

#[tokio::test]
async fn an_objection_9_days_before_the_deadline_is_refused() {
    let app = TestApp::spawn().await;
    let mut w = world(&app, "异议期限测试工程").await;
    app.clock.set(w.bid_deadline.plus_millis(-9 * DAY_MS));
    w.sign_in_again(&app).await;
    let r = object(&app, &w, &w.tenderer1, "评标办法的业绩要求排斥潜在投标人").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "objection_too_late");
    assert_eq!(r.body["error"]["details"]["article"], "条例22");
    assert_eq!(
        r.body["error"]["details"]["latest"],
        w.bid_deadline.plus_millis(-10 * DAY_MS).to_rfc3339()
    );
    // Exactly 10 days before is still in time.
    app.clock.set(w.bid_deadline.plus_millis(-10 * DAY_MS));
    w.sign_in_again(&app).await;
    let r = object(&app, &w, &w.tenderer1, "评标办法的业绩要求排斥潜在投标人").await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

#[tokio::test]
async fn an_objection_answered_after_3_days_is_marked_late_and_pending_until_then() {
    let app = TestApp::spawn().await;
    let mut w = world(&app, "异议答复测试工程").await;
    app.advance_days(1);
    w.sign_in_again(&app).await;
    let o = object(&app, &w, &w.tenderer1, "技术参数指向特定品牌").await;
    assert_eq!(o.status, StatusCode::CREATED, "{:?}", o.body);
    let id = o.body["id"].as_str().unwrap().to_string();
    assert_eq!(
        o.body["answer_due"],
        app.now().plus_millis(3 * DAY_MS).to_rfc3339()
    );

    // While it waits, everyone sees that the tendering waits for it (条例22), not what it says.
    let public = app
        .get(
            format!("/api/tenders/{}/document-objections", w.tender),
            None,
        )
        .await;
    assert_eq!(public.body["pending"], true);
    assert_eq!(public.body["objections"], json!([]));
    let page = app.get(format!("/tenders/{}", w.tender), None).await;
    assert!(page
        .body
        .as_str()
        .unwrap()
        .contains("id=\"objection-pending\""));

    app.clock.advance_millis(3 * DAY_MS + HOUR_MS);
    w.sign_in_again(&app).await;
    let hall = app
        .get(
            format!("/api/tenders/{}/document-objections", w.tender),
            Some(&w.owner),
        )
        .await;
    assert_eq!(hall.body["objections"][0]["overdue"], true);
    assert_eq!(hall.body["objections"][0]["objector"], Value::Null);
    let a = answer(
        &app,
        &w,
        &w.owner,
        "document-objections",
        &id,
        "技术参数已修改，另行发布修改公告。",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert_eq!(a.body["late"], true);

    let public = app
        .get(
            format!("/api/tenders/{}/document-objections", w.tender),
            None,
        )
        .await;
    assert_eq!(public.body["pending"], false);
    let shown = &public.body["objections"][0];
    assert_eq!(shown["late"], true);
    assert_eq!(shown["objector"], Value::Null);
    assert_eq!(shown["answer"], "技术参数已修改，另行发布修改公告。");

    // One answered in time is not late.
    let o = object(&app, &w, &w.tenderer1, "工期要求不合理").await;
    let id = o.body["id"].as_str().unwrap();
    app.clock.advance_millis(2 * DAY_MS);
    w.sign_in_again(&app).await;
    let a = answer(
        &app,
        &w,
        &w.agent,
        "document-objections",
        id,
        "工期按定额测算。",
    )
    .await;
    assert_eq!(a.body["late"], false, "{:?}", a.body);
}

#[tokio::test]
async fn a_complaint_without_its_prior_objection_is_refused() {
    let app = TestApp::spawn().await;
    let w = world(&app, "先异议后投诉测试工程").await;
    obtain(&app, &w, &w.tenderer2).await;
    let knew = app.now().to_rfc3339();
    let body = |matter: &str| json!({ "matter": matter, "text": "招标文件设置不合理条件", "knew_at": knew });

    for matter in ["documents", "opening", "candidates"] {
        let r = complain(&app, &w, &w.tenderer1, body(matter)).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{matter}: {:?}",
            r.body
        );
        assert_eq!(r.code(), "prior_objection_required");
        assert_eq!(r.body["error"]["details"]["article"], "条例60");
    }
    // Another tenderer's objection is not this one's to follow.
    let theirs = object(&app, &w, &w.tenderer2, "资格条件过高").await;
    let mut b = body("documents");
    b["objection_id"] = theirs.body["id"].clone();
    let r = complain(&app, &w, &w.tenderer1, b).await;
    assert_eq!(r.code(), "unknown_objection", "{:?}", r.body);
    // Its own, still within the owner's 3 days: the complaint waits for the answer.
    let mine = object(&app, &w, &w.tenderer1, "资格条件过高").await;
    let mut b = body("documents");
    b["objection_id"] = mine.body["id"].clone();
    let r = complain(&app, &w, &w.tenderer1, b.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.code(), "objection_awaiting_answer");
    // An opening's objection raised there is named in words.
    let mut b = body("opening");
    b["objection_reference"] = json!("开标现场对第2号投标报价唱标提出的异议");
    let r = complain(&app, &w, &w.tenderer1, b).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // More than 10 days after knowing is too late (条例60).
    let r = complain(
        &app,
        &w,
        &w.tenderer1,
        json!({ "matter": "other", "text": "资格审查不公", "knew_at": app.now().plus_millis(-11 * DAY_MS).to_rfc3339() }),
    )
    .await;
    assert_eq!(r.code(), "complaint_too_late", "{:?}", r.body);
    // One cannot have known in the future.
    let r = complain(
        &app,
        &w,
        &w.tenderer1,
        json!({ "matter": "other", "text": "资格审查不公", "knew_at": app.now().plus_millis(DAY_MS).to_rfc3339() }),
    )
    .await;
    assert_eq!(
        (r.code(), r.body["error"]["details"]["field"].as_str()),
        ("invalid_field", Some("knew_at"))
    );
}

#[tokio::test]
async fn a_complaint_is_accepted_and_decided_by_the_supervisor() {
    let app = TestApp::spawn().await;
    let mut w = world(&app, "投诉处理测试工程").await;
    let complainant = me(&app, &w.tenderer1).await["org_name"]
        .as_str()
        .unwrap()
        .to_string();
    let o = object(&app, &w, &w.tenderer1, "评分标准中的业绩加分限定本地业绩").await;
    let objection = o.body["id"].as_str().unwrap().to_string();
    app.advance_days(1);
    w.sign_in_again(&app).await;
    let a = answer(
        &app,
        &w,
        &w.agent,
        "document-objections",
        &objection,
        "维持原规定。",
    )
    .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    let knew = app.now().to_rfc3339();
    app.advance_days(2);
    w.sign_in_again(&app).await;
    let size = app.log_size().await;
    let c = complain(
        &app,
        &w,
        &w.tenderer1,
        json!({ "matter": "documents", "text": "业绩加分限定本地业绩，违反条例第三十二条，请求责令修改。", "knew_at": knew, "objection_id": objection }),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
    assert_eq!(c.body["state"], "received");
    let id = c.body["id"].as_str().unwrap().to_string();
    // Filed on Thursday 2027-03-04: accept or reject by the end of Tuesday 2027-03-09.
    assert_eq!(c.body["acceptance_due"], "2027-03-09T15:59:59.999Z");

    // The public sees that it exists, not what it says nor who made it.
    let public = app
        .get(format!("/api/tenders/{}/complaints", w.tender), None)
        .await;
    assert_eq!(public.body[0]["state"], "received");
    assert_eq!(public.body[0]["text"], Value::Null);
    assert_eq!(public.body[0]["complainant"], Value::Null);
    assert!(!public.body.to_string().contains(&complainant));
    // The owner reads it without learning who made it before the opening.
    let owner_view = app
        .get(
            format!("/api/tenders/{}/complaints", w.tender),
            Some(&w.owner),
        )
        .await;
    assert!(owner_view.body[0]["text"].as_str().is_some());
    assert_eq!(owner_view.body[0]["complainant"], Value::Null);
    // The supervising department has it, with the complainant.
    let list = app
        .get("/api/supervision/complaints", Some(&w.supervisor))
        .await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    assert_eq!(list.body[0]["id"], id.as_str());
    assert_eq!(list.body[0]["complainant"], complainant.as_str());
    let page = app
        .get("/supervision/complaints", Some(&w.supervisor))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.as_str().unwrap().contains("业绩加分限定本地业绩"));
    assert_speaks_chinese("the supervision page", page.body.as_str().unwrap());
    let page = app
        .get(format!("/tenders/{}", w.tender), Some(&w.tenderer1))
        .await;
    let html = page.body.as_str().unwrap();
    assert!(html.contains("id=\"complain-form\"") && html.contains("id=\"object-form\""));
    assert_speaks_chinese("the tender page with its disputes", html);

    // Deciding comes after accepting.
    let early = act_on(
        &app,
        &w,
        &w.supervisor,
        &id,
        "decision",
        json!({ "upheld": true, "text": "成立" }),
    )
    .await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.code(), "complaint_wrong_state");
    let accepted = act_on(
        &app,
        &w,
        &w.supervisor,
        &id,
        "acceptance",
        json!({ "accept": true }),
    )
    .await;
    assert_eq!(accepted.status, StatusCode::OK, "{:?}", accepted.body);
    assert_eq!(accepted.body["state"], "accepted");
    assert_eq!(accepted.body["acceptance"]["late"], false);
    assert!(accepted.body["decision_due"].as_str().is_some());
    let twice = act_on(
        &app,
        &w,
        &w.supervisor,
        &id,
        "acceptance",
        json!({ "accept": false, "reason": "重复" }),
    )
    .await;
    assert_eq!(twice.code(), "complaint_wrong_state");

    app.advance_days(10);
    w.sign_in_again(&app).await;
    let decided = act_on(
        &app,
        &w,
        &w.supervisor,
        &id,
        "decision",
        json!({ "upheld": true, "text": "投诉成立，责令招标人修改评分标准并顺延投标截止时间。" }),
    )
    .await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
    assert_eq!(decided.body["state"], "decided");
    assert_eq!(decided.body["decision"]["late"], false);

    // The decision is public; the complainant and the owner read it too.
    for token in [None, Some(w.tenderer1.as_str()), Some(w.owner.as_str())] {
        let r = app
            .get(format!("/api/tenders/{}/complaints", w.tender), token)
            .await;
        assert_eq!(r.body[0]["decision"]["upheld"], true);
        assert_eq!(
            r.body[0]["decision"]["text"],
            "投诉成立，责令招标人修改评分标准并顺延投标截止时间。"
        );
    }
    let kinds: Vec<String> = entries_since(&app, size)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for kind in ["complaint_filed", "complaint_accepted", "complaint_decided"] {
        assert!(kinds.iter().any(|k| k == kind), "{kind} not in {kinds:?}");
    }

    // A rejection says why.
    let c = complain(
        &app,
        &w,
        &w.tenderer1,
        json!({ "matter": "other", "text": "代理机构收费过高", "knew_at": app.now().to_rfc3339() }),
    )
    .await;
    let id = c.body["id"].as_str().unwrap();
    let r = act_on(
        &app,
        &w,
        &w.supervisor,
        id,
        "acceptance",
        json!({ "accept": false }),
    )
    .await;
    assert_eq!(
        (r.code(), r.body["error"]["details"]["field"].as_str()),
        ("invalid_field", Some("reason"))
    );
    let r = act_on(
        &app,
        &w,
        &w.supervisor,
        id,
        "acceptance",
        json!({ "accept": false, "reason": "不属于本部门受理范围" }),
    )
    .await;
    assert_eq!(r.body["state"], "rejected", "{:?}", r.body);
}

#[tokio::test]
async fn the_wrong_roles_are_refused() {
    let app = TestApp::spawn().await;
    let w = world(&app, "越权测试工程").await;
    let water = other_supervisor(&app).await;
    let platform = app.sign_in("platform").await;

    // Signed out: 401 on every write.
    let r = ask(&app, &w, None, "匿名提问").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/api/supervision/complaints", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Only tenderers that obtained the documents ask, object and complain.
    let r = ask(&app, &w, Some(&platform), "平台提问").await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden"));
    let r = object(&app, &w, &w.tenderer2, "未获取文件的异议").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::FORBIDDEN, "not_obtained")
    );

    let q = ask(&app, &w, Some(&w.tenderer1), "投标保证金能否使用保函？").await;
    let qid = q.body["id"].as_str().unwrap();
    // A tenderer does not answer; the supervisor does not either.
    for token in [&w.tenderer1, &w.supervisor] {
        let r = answer(&app, &w, token, "questions", qid, "可以").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }

    let c = complain(
        &app,
        &w,
        &w.tenderer1,
        json!({ "matter": "other", "text": "代理机构拒绝出售招标文件", "knew_at": app.now().to_rfc3339() }),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{:?}", c.body);
    let cid = c.body["id"].as_str().unwrap();
    // The owner, a tenderer and another supervising department neither accept nor decide.
    for token in [&w.owner, &w.tenderer1, &water] {
        let r = act_on(
            &app,
            &w,
            token,
            cid,
            "acceptance",
            json!({ "accept": true }),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
        let r = act_on(
            &app,
            &w,
            token,
            cid,
            "decision",
            json!({ "upheld": false, "text": "不成立" }),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    }
    // Another department's list does not hold it; a tenderer has no list.
    let theirs = app.get("/api/supervision/complaints", Some(&water)).await;
    assert_eq!(theirs.body, json!([]));
    let r = app
        .get("/api/supervision/complaints", Some(&w.tenderer1))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The answering page is the owner's and the agent's.
    let page = app
        .get(
            format!("/tenders/{}/questions", w.tender),
            Some(&w.tenderer1),
        )
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let page = app
        .get(format!("/tenders/{}/questions", w.tender), Some(&w.agent))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .as_str()
        .unwrap()
        .contains("投标保证金能否使用保函"));
    assert_speaks_chinese("the answering page", page.body.as_str().unwrap());
}
