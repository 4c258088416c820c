//! The registries and the public draw through the API: 三表三制 registration and review, credit,
//! experts and recusal, and a draw from its announcement to a transcript that verifies offline
//! (and fails, naming the step, once tampered). Every write adds exactly one audit entry.

use crate::common::*;
use bidhall::domain::OrgId;
use bidhall::domain::HOUR_MS;
use bidhall::draws::{commitment, verify_json, DrawOutcome};
use bidhall::identity::keys::test_support::{new_pair, proof_for, sign};
use bidhall::identity::Login;
use bidhall::registry::{rule_message, AgentRule};
use reqwest::StatusCode;
use serde_json::{json, Value};

impl TestApp {
    async fn org_of(&self, login: &str) -> (String, String) {
        let user = self
            .app
            .store
            .find_user_by_login(&Login::parse(login).unwrap())
            .await
            .unwrap()
            .unwrap();
        let org = self.app.store.get_organisation(&user.org_id).await.unwrap();
        (org.id.to_string(), org.credit_code.as_str().to_string())
    }

    /// The organisation of `login` registers a P-256 signing key; returns its id and PKCS#8.
    pub(crate) async fn signing_key(&self, login: &str) -> (String, Vec<u8>) {
        let (org, _) = self.org_of(login).await;
        let (_, pkcs8) = new_pair();
        let (public, proof) = proof_for(&pkcs8, &OrgId::parse(&org).unwrap());
        let token = self.sign_in(login).await;
        let r = self
            .post(
                "/api/keys",
                Some(&token),
                json!({ "label": "法人 CA", "public_key": public.to_base64(), "proof": proof }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        (r.body["id"].as_str().unwrap().to_string(), pkcs8)
    }

    /// The three forms, with the three rules accepted and signed by a fresh registered key.
    pub(crate) async fn agent_forms(&self, login: &str, name: &str) -> Value {
        let (org, code) = self.org_of(login).await;
        let (key_id, pkcs8) = self.signing_key(login).await;
        let org = OrgId::parse(&org).unwrap();
        let rules = self.get("/api/registry/rules", None).await.body;
        let commitments: Vec<Value> = rules
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let rule: AgentRule = serde_json::from_value(r["rule"].clone()).unwrap();
                let signature = sign(&pkcs8, &rule_message(&org, rule, "张法人"));
                json!({ "rule": r["rule"], "signed_by": "张法人", "text_sha256": r["text_sha256"],
                        "key_id": key_id, "signature": signature })
            })
            .collect();
        json!({
            "organisation": { "name": name, "credit_code": code, "address": "沈阳市和平区南京街 1 号",
                               "phone": "024-23456789", "registered_capital_fen": 500_000_000u64 },
            "legal_representative": { "name": "张法人", "id_number": "210102198001010011", "phone": "13900000000" },
            "staff": [ { "name": "李代理", "title": "项目负责人", "certificate": "ZB-2027-001" } ],
            "commitments": commitments,
        })
    }

    /// The agent registers under 三表三制, the platform approves and qualifies it for construction.
    pub(crate) async fn approved_agent(&self, login: &str, name: &str) -> String {
        let (org, _) = self.org_of(login).await;
        let token = self.sign_in(login).await;
        let forms = self.agent_forms(login, name).await;
        let r = self.post("/api/registry/agents", Some(&token), forms).await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        let platform = self.sign_in("platform").await;
        let r = self
            .post(
                &format!("/api/registry/agents/{org}/review"),
                Some(&platform),
                json!({ "approve": true, "reason": "" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        let r = self
            .post(
                &format!("/api/registry/agents/{org}/qualifications"),
                Some(&platform),
                json!({ "categories": ["construction"], "grade": 1,
                        "valid_from": "2027-01-01T00:00:00Z", "valid_to": "2028-01-01T00:00:00Z" }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        org
    }

    pub(crate) async fn three_agents(&self) -> Vec<String> {
        vec![
            self.approved_agent("agent", "辽宁正信招标代理有限公司")
                .await,
            self.approved_agent("agent2", "沈阳宏达工程咨询有限公司")
                .await,
            self.approved_agent("agent3", "辽宁中诚项目管理有限公司")
                .await,
        ]
    }

    fn hours(&self, h: i64) -> String {
        self.now().plus_millis(h * HOUR_MS).to_rfc3339()
    }

    /// The owner requests an agent draw on the school project; returns the reply.
    async fn request_agent_draw(&self, owner: &str, extra: Value) -> Reply {
        let project = self.school_project(owner).await;
        let supervisor = self.org_id("supervisor", "住房").await;
        let mut body = json!({
            "kind": "agent", "project_id": project, "purpose": "浑南区第一中学教学楼改造工程 招标代理机构摇号",
            "select": 1, "reserves": 1, "agent_filter": { "category": "construction" },
            "supervisor_org_id": supervisor,
            "commit_deadline": self.hours(1), "reveal_deadline": self.hours(2),
        });
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post("/api/draws", Some(owner), body).await
    }

    /// A hall that leaves conducting to the tests: no background conductor races their steps.
    async fn by_hand() -> TestApp {
        TestApp::spawn_with(|a| a.draw_conductor_ms = 0).await
    }

    fn advance_hours(&self, h: i64) {
        self.clock.advance_millis(h * HOUR_MS);
    }
}

/// A party's secret and its commitment for the draw.
fn secret(draw: &str, party: &str, fill: u8) -> ([u8; 32], String) {
    let r = [fill; 32];
    (r, hex::encode(commitment(draw, party, &r).unwrap()))
}

#[tokio::test]
async fn an_agent_registers_under_three_forms_and_three_rules_and_the_platform_reviews() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let owner = app.sign_in("owner").await;
    let platform = app.sign_in("platform").await;
    let (org, _) = app.org_of("agent").await;
    let forms = app.agent_forms("agent", "辽宁正信招标代理有限公司").await;
    let (foreign_key, _) = app.signing_key("agent2").await;

    // the wrong role, an incomplete form and a wrong credit code are refused, nothing logged
    let before = app.log_size().await;
    let r = app
        .post("/api/registry/agents", Some(&owner), forms.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let mut missing = forms.clone();
    missing["commitments"].as_array_mut().unwrap().pop();
    let r = app
        .post("/api/registry/agents", Some(&agent), missing)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "registry_rule")
    );
    // an unsigned acceptance, and one signed by a key of another organisation, are refused
    let mut unsigned = forms.clone();
    unsigned["commitments"][1]
        .as_object_mut()
        .unwrap()
        .remove("signature");
    let r = app
        .post("/api/registry/agents", Some(&agent), unsigned)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "commitment_unsigned"),
        "{:?}",
        r.body
    );
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not signed"));
    let mut foreign = forms.clone();
    foreign["commitments"][0]["key_id"] = json!(foreign_key);
    let r = app
        .post("/api/registry/agents", Some(&agent), foreign)
        .await;
    assert_eq!(
        (r.status, r.code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "commitment_signature_invalid"
        )
    );
    // a signature over another rule's message by the right key
    let mut wrong = forms.clone();
    wrong["commitments"][2]["signature"] = wrong["commitments"][0]["signature"].clone();
    let r = app.post("/api/registry/agents", Some(&agent), wrong).await;
    assert_eq!(
        (r.status, r.code()),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            "commitment_signature_invalid"
        )
    );
    assert!(r.body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("does not verify"));
    let mut other_code = forms.clone();
    other_code["organisation"]["credit_code"] = json!("91210100MA0Y99999R");
    let r = app
        .post("/api/registry/agents", Some(&agent), other_code)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.log_size().await, before);

    let r = app.post("/api/registry/agents", Some(&agent), forms).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert_eq!(app.log_size().await, before + 1);
    let entry = app.app.store.audit_entry(before).await.unwrap();
    let text = String::from_utf8(entry.entry).unwrap();
    assert!(text.contains("agent_registration_submitted") && text.contains("code_of_conduct"));
    assert!(
        !text.contains("210102198001010011"),
        "no ID number in the log"
    );

    // only the platform reviews
    let review = format!("/api/registry/agents/{org}/review");
    let r = app
        .post(
            &review,
            Some(&agent),
            json!({ "approve": true, "reason": "" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post(
            &review,
            Some(&platform),
            json!({ "approve": false, "reason": "" }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a rejection states why"
    );
    let r = app
        .post(
            &review,
            Some(&platform),
            json!({ "approve": true, "reason": "材料齐全" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "approved");
    let r = app
        .post(
            &review,
            Some(&platform),
            json!({ "approve": true, "reason": "" }),
        )
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::CONFLICT, "registry_rule")
    );
    assert_eq!(app.log_size().await, before + 2);

    // qualifications: the platform's, kept with history
    let quals = format!("/api/registry/agents/{org}/qualifications");
    let q = json!({ "categories": ["construction", "services"], "grade": 2,
                    "valid_from": "2027-01-01T00:00:00Z", "valid_to": "2028-01-01T00:00:00Z" });
    let r = app.post(&quals, Some(&agent), q.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post(&quals, Some(&platform), q).await.status,
        StatusCode::CREATED
    );
    let q2 = json!({ "categories": ["construction"], "grade": 1,
                     "valid_from": "2027-02-01T00:00:00Z", "valid_to": "2029-01-01T00:00:00Z" });
    assert_eq!(
        app.post(&quals, Some(&platform), q2).await.status,
        StatusCode::CREATED
    );
    assert_eq!(app.log_size().await, before + 4);

    let dossier = format!("/api/registry/agents/{org}");
    let agent2 = app.sign_in("agent2").await;
    assert_eq!(
        app.get(&dossier, Some(&agent2)).await.status,
        StatusCode::FORBIDDEN
    );
    let d = app.get(&dossier, Some(&agent)).await;
    assert_eq!(d.status, StatusCode::OK);
    let changes: Vec<&str> = d.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["change"].as_str().unwrap())
        .collect();
    assert_eq!(
        changes,
        [
            "submitted",
            "approved",
            "qualification_recorded",
            "qualification_recorded"
        ]
    );
    assert_eq!(d.body["qualifications"].as_array().unwrap().len(), 2);

    let list = app.get("/api/registry/agents", None).await;
    let me = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["org_id"] == org.as_str())
        .unwrap();
    assert_eq!(me["status"], "approved");
    assert!(
        me.get("forms").is_none(),
        "the public list carries no forms"
    );
}

#[tokio::test]
async fn red_credit_excludes_an_agent_from_the_pool_and_the_pool_explains_why() {
    let app = TestApp::spawn().await;
    let agents = app.three_agents().await;
    let platform = app.sign_in("platform").await;
    let owner = app.sign_in("owner").await;
    let credit = |org: &str, colour: &str| {
        json!({ "org_id": org, "colour": colour, "reason": "围标串标", "source_document": "沈建罚〔2027〕3号",
                "from": "2027-02-01T00:00:00Z", "to": "2027-08-01T00:00:00Z" })
    };
    let r = app
        .post(
            "/api/registry/credit",
            Some(&owner),
            credit(&agents[2], "red"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let before = app.log_size().await;
    let r = app
        .post(
            "/api/registry/credit",
            Some(&platform),
            credit(&agents[2], "red"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let r = app
        .post(
            "/api/registry/credit",
            Some(&platform),
            credit(&agents[1], "orange"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(app.log_size().await, before + 2);
    assert_eq!(
        app.get("/api/registry/credit", None)
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        2
    );

    let r = app
        .request_agent_draw(&owner, json!({ "reserves": 0 }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let pool = &r.body["pool"];
    let ids: Vec<&str> = pool["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(!ids.contains(&agents[2].as_str()) && ids.contains(&agents[1].as_str()));
    let excluded = &pool["excluded"][0];
    assert_eq!(excluded["id"], agents[2].as_str());
    assert_eq!(excluded["reasons"][0]["code"], "credit_red");

    // the pool hash is SHA-256 of the canonical lines
    let lines: String = pool["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            format!(
                "{}\t{}\n",
                c["id"].as_str().unwrap(),
                c["name"].as_str().unwrap()
            )
        })
        .collect();
    let hash = ring::digest::digest(&ring::digest::SHA256, lines.as_bytes());
    assert_eq!(pool["hash"], hex::encode(hash));

    // a tenderer under red credit punishment may not enter a tender while it is in force
    let agent = app.sign_in("agent").await;
    let tender = app.publish_tender(&agent, "信用惩戒测试").await;
    let obtain = format!("/api/tenders/{}/obtain", tender["id"].as_str().unwrap());
    let (tenderer_org, _) = app.org_of("tenderer1").await;
    let r = app
        .post(
            "/api/registry/credit",
            Some(&platform),
            credit(&tenderer_org, "red"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let tenderer = app.sign_in("tenderer1").await;
    let r = app.post(&obtain, Some(&tenderer), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{:?}", r.body);
    assert!(
        r.code() == "forbidden" && r.body["error"]["message"].as_str().unwrap().contains("red")
    );
    let tenderer2 = app.sign_in("tenderer2").await;
    assert_eq!(
        app.post(&obtain, Some(&tenderer2), json!({})).await.status,
        StatusCode::OK
    );

    // a draw the registries cannot fill is refused, with nothing logged
    let before = app.log_size().await;
    let r = app
        .request_agent_draw(&owner, json!({ "select": 1, "reserves": 2 }))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "pool_too_small")
    );
    assert_eq!(app.log_size().await, before);
}

#[tokio::test]
async fn an_agent_draw_runs_from_announcement_to_a_transcript_that_verifies_offline() {
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let supervisor = app.sign_in("supervisor").await;
    let platform = app.sign_in("platform").await;

    // only the owner of the project requests its agent draw
    for who in ["agent", "owner2", "supervisor"] {
        let t = app.sign_in(who).await;
        let project = app.school_project(&app.sign_in("owner").await).await;
        let r = app
            .post(
                "/api/draws",
                Some(&t),
                json!({
                "kind": "agent", "project_id": project, "purpose": "x", "select": 1,
                "agent_filter": { "category": "construction" },
                "supervisor_org_id": app.org_id("supervisor", "住房").await,
                "commit_deadline": app.hours(1), "reveal_deadline": app.hours(2) }),
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {:?}", r.body);
    }

    let before = app.log_size().await;
    let r = app.request_agent_draw(&owner, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(
        app.log_size().await,
        before + 2,
        "announced, then pool frozen"
    );
    let draw = r.body["id"].as_str().unwrap().to_string();
    let parties: Vec<String> = r.body["parties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        parties.len(),
        3,
        "platform, owner and supervisor by default"
    );
    let url = |s: &str| format!("/api/draws/{draw}/{s}");

    let (platform_org, owner_org, supervisor_org) = (
        app.org_of("platform").await.0,
        app.org_of("owner").await.0,
        app.org_of("supervisor").await.0,
    );
    let sides = [
        (&platform, &platform_org, 1u8),
        (&owner, &owner_org, 2),
        (&supervisor, &supervisor_org, 3),
    ];

    // a party not named in the announcement cannot commit
    let witness = app.sign_in("witness").await;
    let (_, c) = secret(&draw, &app.org_of("witness").await.0, 9);
    let r = app
        .post(url("commit"), Some(&witness), json!({ "commitment": c }))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    for (token, org, fill) in sides {
        let (r, c) = secret(&draw, org, fill);
        let reply = app
            .post(url("commit"), Some(token), json!({ "commitment": c }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
        // revealing before the commitments close is refused
        let early = app
            .post(url("reveal"), Some(token), json!({ "r": hex::encode(r) }))
            .await;
        assert_eq!(
            (early.status, early.code()),
            (StatusCode::CONFLICT, "wrong_phase")
        );
    }
    let again = app
        .post(
            url("commit"),
            Some(&owner),
            json!({ "commitment": "00".repeat(32) }),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "already_done")
    );
    assert_eq!(app.log_size().await, before + 5);

    app.advance_hours(1);
    let late = app
        .post(
            url("commit"),
            Some(&owner),
            json!({ "commitment": "00".repeat(32) }),
        )
        .await;
    assert_eq!(late.code(), "wrong_phase");
    let wrong = app
        .post(url("reveal"), Some(&owner), json!({ "r": "07".repeat(32) }))
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "commitment_mismatch")
    );
    for (token, org, fill) in sides {
        let (r, _) = secret(&draw, org, fill);
        let reply = app
            .post(url("reveal"), Some(token), json!({ "r": hex::encode(r) }))
            .await;
        assert_eq!(reply.status, StatusCode::CREATED, "{:?}", reply.body);
    }
    let early = app.post(url("conduct"), Some(&owner), json!({})).await;
    assert_eq!(early.code(), "wrong_phase", "the reveals are still open");
    assert_eq!(app.log_size().await, before + 8);

    app.advance_hours(1);
    let view = app.get(format!("/api/draws/{draw}"), None).await;
    assert_eq!(view.body["phase"], "ready_to_conduct");
    assert_eq!(view.body["reveals"].as_array().unwrap().len(), 3);
    let done = app.post(url("conduct"), Some(&supervisor), json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["state"], "completed");
    assert_eq!(app.log_size().await, before + 9);
    let again = app.post(url("conduct"), Some(&owner), json!({})).await;
    assert_eq!(again.code(), "wrong_phase", "a draw is never re-run");

    // the selectee declines: the reserve comes in, recorded
    let result = &done.body["transcript"]["result"];
    let (first, reserve) = (
        result["selected"][0].as_str().unwrap(),
        result["reserves"][0].as_str().unwrap(),
    );
    let body = json!({ "replaced": first, "reason": "declined", "note": "书面放弃" });
    let r = app
        .post(url("replace"), Some(&supervisor), body.clone())
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only the requester");
    let r = app.post(url("replace"), Some(&owner), body).await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        r.body["transcript"]["replacements"][0]["replacement"],
        reserve
    );
    assert_eq!(app.log_size().await, before + 10);

    // the transcript re-runs offline, with the draw's ten audit entries and their proofs
    let resp = app
        .client
        .get(format!("{}{}", app.base, url("transcript")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let verified = verify_json(&bytes).expect("the transcript verifies");
    match &verified.outcome {
        DrawOutcome::Completed {
            selected, panel, ..
        } => {
            assert_eq!(selected[0], first);
            assert_eq!(panel[0], reserve);
        }
        other => panic!("{other:?}"),
    }
    let t: Value = serde_json::from_slice(&bytes).unwrap();
    let audit = t["audit"].as_array().unwrap();
    assert!(audit[0]["checkpoint"].as_str().unwrap().contains('\n'));
    assert_eq!(audit.len(), 11);
    assert_eq!(audit[1]["entry"]["type"], "draw_announced");
    // each entry is in the signed checkpoint: its inclusion proof checks against the root
    let note = audit[0]["checkpoint"].as_str().unwrap();
    let body = format!("{}\n", note.split("\n\n").next().unwrap());
    let cp = bidhall::auditlog::checkpoint::Checkpoint::parse(&body).unwrap();
    for a in &audit[1..] {
        let entry = bidhall::draws::canonical::to_canonical_vec(&a["entry"]).unwrap();
        let proof: Vec<[u8; 32]> = a["inclusion_proof"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| {
                hex::decode(h.as_str().unwrap())
                    .unwrap()
                    .try_into()
                    .unwrap()
            })
            .collect();
        let index = a["index"].as_u64().unwrap();
        let leaf = bidhall::auditlog::merkle::leaf_hash(&entry);
        bidhall::auditlog::merkle::verify_inclusion(&leaf, index, cp.size, &proof, &cp.root)
            .unwrap_or_else(|e| panic!("entry {index}: {e:?}"));
    }

    // the CLI agrees, and names the step of any single change
    let dir = tempfile::tempdir().unwrap();
    let cli = |t: &Value| {
        let path = dir.path().join("t.json");
        std::fs::write(&path, serde_json::to_vec(t).unwrap()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
            .args(["draw", "verify"])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, text) = cli(&t);
    assert!(ok, "{text}");
    assert!(
        text.contains("transcript verified") && text.contains(reserve),
        "{text}"
    );
    type Tamper<'a> = Box<dyn Fn(&mut Value) + 'a>;
    let tampered: Vec<(&str, Tamper)> = vec![
        (
            "pool_hash_mismatch",
            Box::new(|t: &mut Value| t["pool"][0]["name"] = json!("某某公司")),
        ),
        (
            "commitment_mismatch",
            Box::new(|t: &mut Value| t["reveals"][0]["r"] = json!("11".repeat(32))),
        ),
        (
            "selection_mismatch",
            Box::new(|t: &mut Value| {
                let r = t["result"].clone();
                t["result"]["selected"] = r["reserves"].clone();
                t["result"]["reserves"] = r["selected"].clone();
            }),
        ),
        (
            "seed_mismatch",
            Box::new(|t: &mut Value| t["seed"] = json!("00".repeat(32))),
        ),
        (
            "replacement_invalid",
            Box::new(|t: &mut Value| t["replacements"][0]["replacement"] = json!(first)),
        ),
    ];
    for (step, change) in tampered {
        let mut bad = t.clone();
        change(&mut bad);
        let (ok, text) = cli(&bad);
        assert!(!ok && text.contains(step), "{step}: {text}");
    }

    // with the log's key, `draw verify --json` proves the audit section too, and names the step
    // of a forged entry or proof, which the draw's own re-run cannot see
    let key_path = dir.path().join("log.vkey");
    std::fs::write(&key_path, format!("{}\n", app.app.log.verifier())).unwrap();
    let cli_json = |t: &Value, with_key: bool| {
        let path = dir.path().join("t.json");
        std::fs::write(&path, serde_json::to_vec(t).unwrap()).unwrap();
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"));
        cmd.args(["draw", "verify", "--json"]).arg(&path);
        if with_key {
            cmd.arg("--log-key").arg(&key_path);
        }
        let out = cmd.output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
        assert_eq!(out.status.success(), report["ok"] == true, "{report}");
        report
    };
    let report = cli_json(&t, true);
    assert_eq!(report["ok"], true, "{report}");
    assert_eq!(report["step"], Value::Null);
    assert_eq!(report["audit"]["checked"], true);
    assert_eq!(report["audit"]["entries"].as_array().unwrap().len(), 10);
    assert_eq!(report["result"]["panel"][0], reserve);
    let report = cli_json(&t, false);
    assert_eq!(
        (&report["ok"], &report["audit"]["checked"]),
        (&json!(true), &json!(false))
    );
    let forgeries: Vec<(&str, Tamper)> = vec![
        (
            "audit_entry_not_included",
            Box::new(|t: &mut Value| {
                t["audit"][2]["entry"]["at"] = json!("2020-01-01T00:00:00.000Z")
            }),
        ),
        (
            "audit_entry_not_included",
            Box::new(|t: &mut Value| t["audit"][3]["inclusion_proof"][0] = json!("ab".repeat(32))),
        ),
        (
            "audit_checkpoint_signature",
            Box::new(|t: &mut Value| {
                let other =
                    bidhall::auditlog::note::NoteSigner::generate("bidhall.localhost/log").unwrap();
                let note = t["audit"][0]["checkpoint"].as_str().unwrap().to_string();
                let body = bidhall::auditlog::note::parse(&note)
                    .unwrap()
                    .text
                    .to_string();
                t["audit"][0]["checkpoint"] =
                    json!(bidhall::auditlog::note::sign(&body, &[&other]).unwrap());
            }),
        ),
        (
            "audit_missing",
            Box::new(|t: &mut Value| t["audit"] = json!([])),
        ),
        (
            "seed_mismatch",
            Box::new(|t: &mut Value| t["seed"] = json!("00".repeat(32))),
        ),
    ];
    for (step, change) in forgeries {
        let mut bad = t.clone();
        change(&mut bad);
        let report = cli_json(&bad, true);
        assert_eq!(
            (report["ok"].clone(), report["step"].clone()),
            (json!(false), json!(step)),
            "{report}"
        );
        assert!(report["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // without the key the forged entry passes the draw's re-run: only the audit check sees it
    let mut bad = t.clone();
    bad["audit"][2]["entry"]["at"] = json!("2020-01-01T00:00:00.000Z");
    assert_eq!(cli_json(&bad, false)["ok"], true);
}

#[tokio::test]
async fn a_missed_reveal_without_a_beacon_fails_the_draw_publicly() {
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let supervisor = app.sign_in("supervisor").await;
    let r = app.request_agent_draw(&owner, json!({})).await;
    let draw = r.body["id"].as_str().unwrap().to_string();
    let url = |s: &str| format!("/api/draws/{draw}/{s}");
    let (owner_org, supervisor_org) = (
        app.org_of("owner").await.0,
        app.org_of("supervisor").await.0,
    );
    for (t, org) in [(&owner, &owner_org), (&supervisor, &supervisor_org)] {
        let (_, c) = secret(&draw, org, 5);
        assert_eq!(
            app.post(url("commit"), Some(t), json!({ "commitment": c }))
                .await
                .status,
            StatusCode::CREATED
        );
    }
    app.advance_hours(1);
    let (r, _) = secret(&draw, &owner_org, 5);
    assert_eq!(
        app.post(url("reveal"), Some(&owner), json!({ "r": hex::encode(r) }))
            .await
            .status,
        StatusCode::CREATED
    );
    app.advance_hours(1);
    let before = app.log_size().await;
    let done = app.post(url("conduct"), Some(&owner), json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(done.body["state"], "failed");
    assert!(done.body["transcript"]["result"].is_null());
    assert_eq!(
        done.body["transcript"]["missed_reveals"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(app.log_size().await, before + 1);
    let entry = app.app.store.audit_entry(before).await.unwrap();
    assert!(String::from_utf8(entry.entry)
        .unwrap()
        .contains("draw_failed"));
    let bytes = app
        .client
        .get(format!("{}{}", app.base, url("transcript")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(matches!(
        verify_json(&bytes).unwrap().outcome,
        DrawOutcome::Failed { .. }
    ));

    // the public page shows it, with the scripts that re-run it in the browser
    let page = app.get(format!("/draws/{draw}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.body.as_str().unwrap();
    assert!(html.contains("招标代理机构摇号") && html.contains("/static/js/app/draw-page.js"));
    for js in ["/static/js/app/draw-page.js", "/static/js/draw.js"] {
        assert_eq!(app.get(js, None).await.status, StatusCode::OK, "{js}");
    }
    assert_eq!(
        app.get("/draws/nope", None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(url("conduct"), Some(&owner), json!({}))
            .await
            .code(),
        "wrong_phase"
    );
}

#[tokio::test]
async fn with_a_beacon_a_missed_reveal_is_left_out_and_nothing_is_accepted_once_the_beacon_exists()
{
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let platform = app.sign_in("platform").await;
    let supervisor = app.sign_in("supervisor").await;
    // leaving out a missed reveal without a beacon is refused at the announcement
    let r = app
        .request_agent_draw(&owner, json!({ "missed_reveal_rule": "exclude_party" }))
        .await;
    assert_eq!(r.code(), "invalid_field");
    let beacon =
        json!({ "source": "nist-beacon-2.0", "round": "pulse 1234567", "deadline": app.hours(3) });
    let r = app
        .request_agent_draw(&owner, json!({ "beacon": beacon }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    assert_eq!(r.body["missed_reveal_rule"], "exclude_party");
    let draw = r.body["id"].as_str().unwrap().to_string();
    let url = |s: &str| format!("/api/draws/{draw}/{s}");
    let (owner_org, supervisor_org) = (
        app.org_of("owner").await.0,
        app.org_of("supervisor").await.0,
    );
    for (t, org) in [(&owner, &owner_org), (&supervisor, &supervisor_org)] {
        let (_, c) = secret(&draw, org, 6);
        app.post(url("commit"), Some(t), json!({ "commitment": c }))
            .await;
    }
    app.advance_hours(1);
    let (r, _) = secret(&draw, &owner_org, 6);
    assert_eq!(
        app.post(url("reveal"), Some(&owner), json!({ "r": hex::encode(r) }))
            .await
            .status,
        StatusCode::CREATED
    );
    app.advance_hours(1);
    let (r, _) = secret(&draw, &supervisor_org, 6);
    let late = app
        .post(
            url("reveal"),
            Some(&supervisor),
            json!({ "r": hex::encode(r) }),
        )
        .await;
    assert_eq!(late.code(), "wrong_phase", "the reveals have closed");
    assert_eq!(
        app.post(url("conduct"), Some(&owner), json!({}))
            .await
            .code(),
        "wrong_phase"
    );
    let value = json!({ "value": "ab".repeat(48) });
    assert_eq!(
        app.post(url("beacon"), Some(&owner), value.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.post(url("beacon"), Some(&platform), value.clone())
            .await
            .code(),
        "wrong_phase",
        "before its time"
    );
    app.advance_hours(1);
    assert_eq!(
        app.post(url("beacon"), Some(&platform), value).await.status,
        StatusCode::OK
    );
    let done = app.post(url("conduct"), Some(&owner), json!({})).await;
    assert_eq!(done.body["state"], "completed", "{:?}", done.body);
    let missed = done.body["transcript"]["missed_reveals"]
        .as_array()
        .unwrap();
    assert_eq!(
        missed.len(),
        2,
        "the platform and the supervisor are left out"
    );
    let bytes = app
        .client
        .get(format!("{}{}", app.base, url("transcript")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let mut t: Value = serde_json::from_slice(&bytes).unwrap();
    assert!(verify_json(&bytes).is_ok());
    t["beacon"]["value"] = json!("cd".repeat(48));
    let err = verify_json(&serde_json::to_vec(&t).unwrap()).unwrap_err();
    assert_eq!(err.step(), "seed_mismatch");
}

#[tokio::test]
async fn an_expert_draw_recuses_conflicted_experts_and_says_why() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let platform = app.sign_in("platform").await;
    let tender = app.publish_tender(&agent, "专家抽取测试").await;
    let tender_id = tender["id"].as_str().unwrap();
    let owner_org = app.org_of("owner").await.0;
    let supervisor_org = app.org_id("supervisor", "住房").await;

    let expert = |name: &str, spec: &str, employer: Option<&str>, relations: Value| {
        json!({ "name": name, "specialties": [spec], "employer_org_id": employer, "employer_name": "某单位",
                "region": "沈阳市", "relations": relations })
    };
    let r = app
        .post(
            "/api/registry/experts",
            Some(&agent),
            expert("甲", "A080101", None, json!([])),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let before = app.log_size().await;
    let specs = [
        ("专家一", "A080101", None, json!([])),
        ("专家二", "A080101", None, json!([])),
        ("专家三", "A080101", None, json!([])),
        ("专家四", "A080101", Some(owner_org.as_str()), json!([])),
        (
            "专家五",
            "A080101",
            None,
            json!([{ "kind": "supervisor_staff", "org_id": supervisor_org }]),
        ),
        (
            "专家六",
            "A080101",
            None,
            json!([{ "kind": "prior_sanction" }]),
        ),
        ("专家七", "B010101", None, json!([])),
    ];
    for (name, spec, employer, relations) in &specs {
        let r = app
            .post(
                "/api/registry/experts",
                Some(&platform),
                expert(name, spec, *employer, relations.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    }
    assert_eq!(app.log_size().await, before + specs.len() as i64);
    assert_eq!(
        app.get("/api/registry/experts", Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );

    let body = json!({
        "kind": "expert", "tender_id": tender_id, "purpose": "评标专家抽取", "select": 2, "reserves": 1,
        "expert_filter": { "specialties": ["A080101"] },
        "commit_deadline": app.hours(1), "reveal_deadline": app.hours(2),
    });
    let owner2 = app.sign_in("owner2").await;
    assert_eq!(
        app.post("/api/draws", Some(&owner2), body.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let r = app.post("/api/draws", Some(&agent), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    // The pool is sealed (法37): the requester sees three commitments and the exclusions' reasons,
    // but no expert's name, in the pool or among the excluded.
    assert_eq!(r.body["pool"]["sealed"].as_array().unwrap().len(), 3);
    assert_eq!(r.body["pool"]["candidates"], json!([]));
    for (name, ..) in &specs {
        assert!(
            !r.body.to_string().contains(name),
            "{name} leaks to the requester"
        );
    }
    let draw = r.body["id"].as_str().unwrap();
    let openings = format!("/api/draws/{draw}/openings");
    assert_eq!(
        app.get(&openings, Some(&agent)).await.status,
        StatusCode::FORBIDDEN
    );
    let secret = app.get(&openings, Some(&platform)).await;
    assert_eq!(secret.status, StatusCode::OK, "{:?}", secret.body);
    let mut pooled: Vec<&str> = secret.body["openings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    pooled.sort();
    assert_eq!(pooled, ["专家一", "专家三", "专家二"]);
    // the platform sees whom each exclusion concerns, and why
    let reasons: Vec<(String, String)> = secret.body["excluded"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["name"].as_str().unwrap().to_string(),
                e["reasons"][0]["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    // the requester sees the same reasons, with nobody named
    let anonymous = r.body["pool"]["excluded"].as_array().unwrap();
    assert_eq!(anonymous.len(), reasons.len());
    assert!(anonymous
        .iter()
        .all(|e| e.get("name").is_none() && e.get("id").is_none()));
    let mut reasons: Vec<(String, String)> = reasons
        .into_iter()
        .filter(|(name, _)| name.starts_with("专家"))
        .collect();
    reasons.sort();
    let want: Vec<(String, String)> = [
        ("专家七", "no_matching_specialty"),
        ("专家五", "supervisor_staff"),
        ("专家六", "prior_sanction"),
        ("专家四", "employed_by_owner"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect::<Vec<_>>();
    let mut want = want;
    want.sort();
    assert_eq!(reasons, want);
    // the tender's supervisor witnesses by default
    assert!(r.body["parties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p == supervisor_org.as_str()));
}

#[tokio::test]
async fn the_hall_conducts_a_due_draw_by_itself_once_and_the_manual_conduct_then_refuses() {
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let supervisor = app.sign_in("supervisor").await;
    let platform = app.sign_in("platform").await;
    let beacon =
        json!({ "source": "nist-beacon-2.0", "round": "pulse 1234567", "deadline": app.hours(3) });
    let plain = app.request_agent_draw(&owner, json!({})).await;
    let with_beacon = app
        .request_agent_draw(&owner, json!({ "beacon": beacon }))
        .await;
    let ids = [&plain, &with_beacon].map(|r| r.body["id"].as_str().unwrap().to_string());
    let orgs = [
        (&platform, app.org_of("platform").await.0),
        (&owner, app.org_of("owner").await.0),
        (&supervisor, app.org_of("supervisor").await.0),
    ];
    for draw in &ids {
        for (t, org) in &orgs {
            let (_, c) = secret(draw, org, 4);
            let r = app
                .post(
                    format!("/api/draws/{draw}/commit"),
                    Some(t),
                    json!({ "commitment": c }),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED);
        }
    }
    // One watcher across the ticks, as the hall runs it (it remembers when reveals close); a fresh
    // one, as after a restart, must reach the same decisions.
    let mut watch = bidhall::lottery::service::DueDraws::default();
    let fresh = bidhall::lottery::service::conduct_due_draws;
    assert!(
        watch.conduct(&app.app).await.unwrap().is_empty(),
        "committing"
    );
    assert!(fresh(&app.app).await.unwrap().is_empty(), "committing");
    app.advance_hours(1);
    for draw in &ids {
        for (t, org) in &orgs {
            let (r, _) = secret(draw, org, 4);
            let r = app
                .post(
                    format!("/api/draws/{draw}/reveal"),
                    Some(t),
                    json!({ "r": hex::encode(r) }),
                )
                .await;
            assert_eq!(r.status, StatusCode::CREATED);
        }
    }
    // every reveal is in, but the reveal window is still open: nothing runs early
    app.clock.advance_millis(HOUR_MS - 1);
    assert!(
        watch.conduct(&app.app).await.unwrap().is_empty(),
        "revealing"
    );
    assert!(fresh(&app.app).await.unwrap().is_empty(), "revealing");

    app.clock.advance_millis(1);
    let before = app.log_size().await;
    let done = watch.conduct(&app.app).await.unwrap();
    assert_eq!(
        done.len(),
        1,
        "the draw without a beacon runs at its deadline"
    );
    assert_eq!(done[0].id, ids[0]);
    assert_eq!(app.log_size().await, before + 1);
    let entry = app.app.store.audit_entry(before).await.unwrap();
    let entry: Value = serde_json::from_slice(&entry.entry).unwrap();
    assert_eq!(entry["type"], "draw_completed");
    assert_eq!(
        entry["actor"]["kind"], "system",
        "the hall itself conducted it: {entry}"
    );

    // once run, never again: not by the hall, not by hand
    assert!(watch.conduct(&app.app).await.unwrap().is_empty());
    let again = app
        .post(
            format!("/api/draws/{}/conduct", ids[0]),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "wrong_phase")
    );
    assert_eq!(app.log_size().await, before + 1);
    let view = app.get(format!("/api/draws/{}", ids[0]), None).await;
    assert_eq!(view.body["phase"], "completed");
    let t = app
        .client
        .get(format!("{}/api/draws/{}/transcript", app.base, ids[0]))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(verify_json(&t).is_ok());

    // the draw with a beacon waits for its value, then runs by itself
    app.advance_hours(1);
    assert!(
        watch.conduct(&app.app).await.unwrap().is_empty(),
        "awaiting the beacon"
    );
    let r = app
        .post(
            format!("/api/draws/{}/beacon", ids[1]),
            Some(&platform),
            json!({ "value": "ab".repeat(32) }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let done = watch.conduct(&app.app).await.unwrap();
    assert_eq!(done.iter().map(|d| &d.id).collect::<Vec<_>>(), [&ids[1]]);
    assert_eq!(done[0].state.as_str(), "completed");
}

#[tokio::test]
async fn the_background_conductor_runs_a_due_draw_and_a_late_manual_conduct_is_refused() {
    // The hall's own watcher (every 50 ms here): after the deadline the draw completes without
    // anyone pressing the button, exactly once.
    let app = TestApp::spawn_with(|a| a.draw_conductor_ms = 50).await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let r = app
        .request_agent_draw(&owner, json!({ "parties": [app.org_of("owner").await.0] }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap().to_string();
    let org = app.org_of("owner").await.0;
    let (s, c) = secret(&draw, &org, 8);
    app.post(
        format!("/api/draws/{draw}/commit"),
        Some(&owner),
        json!({ "commitment": c }),
    )
    .await;
    app.advance_hours(1);
    app.post(
        format!("/api/draws/{draw}/reveal"),
        Some(&owner),
        json!({ "r": hex::encode(s) }),
    )
    .await;
    app.advance_hours(1);
    // Polls the draw's state (not the clock): the watcher's pace is its own.
    let mut state = Value::Null;
    for _ in 0..200 {
        state = app.get(format!("/api/draws/{draw}"), None).await.body["phase"].clone();
        if state == "completed" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(state, "completed");
    let again = app
        .post(
            format!("/api/draws/{draw}/conduct"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(again.code(), "wrong_phase");
    let completed = app.app.store.draw_audit_indices(&draw).await.unwrap().len();
    assert_eq!(
        completed, 5,
        "announced, frozen, committed, revealed, completed: once"
    );
}

/// Runs `bidhall ARGS` with `BIDHALL_URL` and `BIDHALL_TOKEN`; (success, stdout + stderr).
async fn bidhall_as(app: &TestApp, token: &str, args: Vec<String>) -> (bool, String) {
    let (url, token) = (app.base.clone(), token.to_string());
    tokio::task::spawn_blocking(move || {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
            .args(&args)
            .env("BIDHALL_URL", url)
            .env("BIDHALL_TOKEN", token)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn a_party_commits_and_reveals_from_the_command_line() {
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let supervisor = app.sign_in("supervisor").await;
    let platform = app.sign_in("platform").await;
    let witness = app.sign_in("witness").await;
    let r = app.request_agent_draw(&owner, json!({})).await;
    let draw = r.body["id"].as_str().unwrap().to_string();
    let other = app.request_agent_draw(&owner, json!({})).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (sup_org, owner_org, platform_org) = (
        app.org_of("supervisor").await.0,
        app.org_of("owner").await.0,
        app.org_of("platform").await.0,
    );
    let witness_org = app.org_of("witness").await.0;
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str| dir.path().join(name).to_string_lossy().to_string();
    let commit = |party: &str, out: &str, d: &str| {
        [
            "draw",
            "commit",
            "--draw",
            d,
            "--party",
            party,
            "--secret-out",
            out,
        ]
        .map(String::from)
        .to_vec()
    };
    let reveal = |secret: &str, d: &str| {
        ["draw", "reveal", "--draw", d, "--secret", secret]
            .map(String::from)
            .to_vec()
    };

    // the wrong party: another organisation's name, or one not named in the announcement; nothing
    // is written or logged
    let before = app.log_size().await;
    let (ok, text) = bidhall_as(&app, &supervisor, commit(&owner_org, &file("x"), &draw)).await;
    assert!(!ok && text.contains("not for party"), "{text}");
    let (ok, text) = bidhall_as(&app, &witness, commit(&witness_org, &file("x"), &draw)).await;
    assert!(!ok && text.contains("not a party named"), "{text}");
    assert!(!std::path::Path::new(&file("x")).exists());
    assert_eq!(app.log_size().await, before);

    // the supervisor commits from the command line
    let (ok, text) = bidhall_as(
        &app,
        &supervisor,
        commit(&sup_org, &file("sup.secret"), &draw),
    )
    .await;
    assert!(ok, "{text}");
    assert_eq!(app.log_size().await, before + 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(file("sup.secret"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the secret is readable by its owner only"
        );
    }
    let secret_text = std::fs::read_to_string(file("sup.secret")).unwrap();
    let r_hex = secret_text
        .lines()
        .find_map(|l| l.strip_prefix("r "))
        .unwrap()
        .to_string();
    assert!(!text.contains(&r_hex), "the secret is never printed");
    let r: [u8; 32] = hex::decode(&r_hex).unwrap().try_into().unwrap();
    let view = app.get(format!("/api/draws/{draw}"), None).await;
    let stored = view.body["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["party"] == sup_org.as_str())
        .unwrap()["value"]
        .clone();
    assert_eq!(
        stored,
        hex::encode(commitment(&draw, &sup_org, &r).unwrap())
    );
    assert!(text.contains(stored.as_str().unwrap()), "{text}");
    // the secret file is never overwritten, and a second commitment is refused by the hall
    let (ok, _) = bidhall_as(
        &app,
        &supervisor,
        commit(&sup_org, &file("sup.secret"), &draw),
    )
    .await;
    assert!(!ok);
    assert_eq!(
        std::fs::read_to_string(file("sup.secret")).unwrap(),
        secret_text
    );
    let (ok, text) = bidhall_as(
        &app,
        &supervisor,
        commit(&sup_org, &file("sup2.secret"), &draw),
    )
    .await;
    assert!(!ok && text.contains("already_done"), "{text}");

    // the others commit in the API; revealing before the commitments close is refused
    for (t, org) in [(&owner, &owner_org), (&platform, &platform_org)] {
        let (_, c) = secret(&draw, org, 3);
        app.post(
            format!("/api/draws/{draw}/commit"),
            Some(t),
            json!({ "commitment": c }),
        )
        .await;
    }
    let (ok, text) = bidhall_as(&app, &supervisor, reveal(&file("sup.secret"), &draw)).await;
    assert!(!ok && text.contains("wrong_phase"), "{text}");
    app.advance_hours(1);
    // a secret made for another draw is refused before it is sent
    let (ok, text) = bidhall_as(&app, &supervisor, reveal(&file("sup.secret"), &other)).await;
    assert!(!ok && text.contains("another draw"), "{text}");
    // someone else's token cannot reveal the supervisor's secret as its own
    let (ok, text) = bidhall_as(&app, &owner, reveal(&file("sup.secret"), &draw)).await;
    assert!(!ok && text.contains("commitment_mismatch"), "{text}");
    let (ok, text) = bidhall_as(&app, &supervisor, reveal(&file("sup.secret"), &draw)).await;
    assert!(ok, "{text}");
    assert!(!text.contains(&r_hex), "the secret is never printed");
    let (ok, text) = bidhall_as(&app, &supervisor, reveal(&file("sup.secret"), &draw)).await;
    assert!(!ok && text.contains("already_done"), "{text}");
    for (t, org) in [(&owner, &owner_org), (&platform, &platform_org)] {
        let (r, _) = secret(&draw, org, 3);
        app.post(
            format!("/api/draws/{draw}/reveal"),
            Some(t),
            json!({ "r": hex::encode(r) }),
        )
        .await;
    }
    app.advance_hours(1);
    let done = app
        .post(
            format!("/api/draws/{draw}/conduct"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(done.body["state"], "completed", "{:?}", done.body);
    let bytes = app
        .client
        .get(format!("{}/api/draws/{draw}/transcript", app.base))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    verify_json(&bytes).expect("the transcript verifies");
    let t: Value = serde_json::from_slice(&bytes).unwrap();
    let revealed = t["reveals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["party"] == sup_org.as_str())
        .unwrap();
    assert_eq!(revealed["r"], r_hex, "the file's bytes entered the seed");
}

#[tokio::test]
async fn a_drand_beacon_is_entered_as_its_round_checked_against_quicknet_and_rechecked_offline() {
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let platform = app.sign_in("platform").await;
    let unnumbered =
        json!({ "source": "drand-quicknet", "round": "next", "deadline": app.hours(3) });
    let r = app
        .request_agent_draw(&owner, json!({ "beacon": unnumbered }))
        .await;
    assert_eq!(
        r.body["error"]["details"]["rule"], "not_a_round",
        "{:?}",
        r.body
    );
    let beacon = json!({ "source": "drand-quicknet", "round": "123", "deadline": app.hours(3) });
    let r = app
        .request_agent_draw(
            &owner,
            json!({ "beacon": beacon, "parties": [app.org_of("owner").await.0] }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap().to_string();
    let url = |s: &str| format!("/api/draws/{draw}/{s}");
    let org = app.org_of("owner").await.0;
    let (s, c) = secret(&draw, &org, 9);
    app.post(url("commit"), Some(&owner), json!({ "commitment": c }))
        .await;
    app.advance_hours(1);
    app.post(url("reveal"), Some(&owner), json!({ "r": hex::encode(s) }))
        .await;
    app.advance_hours(2);

    // quicknet round 123 as drand publishes it
    let sig = "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92";
    let randomness = "fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc";
    let before = app.log_size().await;
    // a bare value, another round, a forged signature and the owner are all refused
    let refusals = [
        (&platform, json!({ "value": randomness }), "required"),
        (
            &platform,
            json!({ "drand": { "round": 124, "signature": sig } }),
            "wrong_round",
        ),
        (
            &platform,
            json!({ "drand": { "round": 123, "signature": format!("{}00", &sig[..94]) } }),
            "bad_signature",
        ),
        (
            &platform,
            json!({ "drand": { "round": 123, "signature": sig, "randomness": "00".repeat(32) } }),
            "randomness_mismatch",
        ),
    ];
    for (t, body, rule) in refusals {
        let r = app.post(url("beacon"), Some(t), body).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{rule}: {:?}",
            r.body
        );
        assert_eq!(r.body["error"]["details"]["rule"], rule, "{:?}", r.body);
    }
    let r = app
        .post(
            url("beacon"),
            Some(&owner),
            json!({ "drand": { "round": 123, "signature": sig } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(app.log_size().await, before);

    let round = json!({ "round": 123, "randomness": randomness, "signature": sig });
    let r = app
        .post(url("beacon"), Some(&platform), json!({ "drand": round }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["beacon_value"], randomness);
    let done = app.post(url("conduct"), Some(&owner), json!({})).await;
    assert_eq!(done.body["state"], "completed", "{:?}", done.body);

    // bidhall draw verify re-checks the round from the transcript's audit entries
    let bytes = app
        .client
        .get(format!("{}{}", app.base, url("transcript")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let verify = |t: &Value| {
        let path = dir.path().join("t.json");
        std::fs::write(&path, serde_json::to_vec(t).unwrap()).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_bidhall"))
            .args(["draw", "verify"])
            .arg(&path)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let t: Value = serde_json::from_slice(&bytes).unwrap();
    let (ok, text) = verify(&t);
    assert!(
        ok && text.contains("drand quicknet round 123 verified"),
        "{text}"
    );
    // the recorded signature changed, or missing: the beacon no longer checks
    let mut forged = t.clone();
    for a in forged["audit"].as_array_mut().unwrap() {
        if a["entry"]["type"] == "draw_beacon_entered" {
            a["entry"]["payload"]["drand"]["signature"] = json!(format!("{}00", &sig[..94]));
        }
    }
    let (ok, text) = verify(&forged);
    assert!(!ok && text.contains("beacon does NOT verify"), "{text}");
    let mut bare = t.clone();
    bare["audit"] = json!([]);
    let (ok, text) = verify(&bare);
    assert!(!ok && text.contains("do not carry it"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// 法37, 条例: an expert draw's pool is sealed until the result is determined

/// Everything about a draw that `token` can read: its page in both languages, the draw, the list
/// of draws and, once conducted, the transcript (which carries the draw's audit entries).
async fn draw_as_seen(app: &TestApp, draw: &str, token: Option<&str>) -> Vec<(String, String)> {
    let mut seen = Vec::new();
    for path in [
        format!("/draws/{draw}"),
        format!("/draws/{draw}?lang=en"),
        format!("/api/draws/{draw}"),
        "/api/draws".to_string(),
        format!("/api/draws/{draw}/transcript"),
    ] {
        let r = app.get(&path, token).await;
        if path.ends_with("/transcript") && r.code() == "wrong_phase" {
            continue;
        }
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        let text = match r.body {
            Value::String(s) => s,
            v => v.to_string(),
        };
        seen.push((path, text));
    }
    seen
}

/// (id, name) of every member of the sealed pool and every expert excluded from it, and the
/// pool's openings as the platform holds them.
async fn sealed_secret(app: &TestApp, draw: &str) -> (Vec<(String, String)>, Value) {
    let platform = app.sign_in("platform").await;
    let r = app
        .get(format!("/api/draws/{draw}/openings"), Some(&platform))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let mut who = Vec::new();
    for list in ["openings", "excluded"] {
        for m in r.body[list].as_array().unwrap() {
            who.push((
                m["id"].as_str().unwrap().to_string(),
                m["name"].as_str().unwrap().to_string(),
            ));
        }
    }
    (who, r.body["openings"].clone())
}

fn assert_no_expert_shown(seen: &[(String, String)], who: &[(String, String)], viewer: &str) {
    for (path, text) in seen {
        for (id, name) in who {
            assert!(
                !text.contains(id.as_str()),
                "{path} shows {viewer} the id of {name}"
            );
            assert!(
                !text.contains(name.as_str()),
                "{path} shows {viewer} the name {name}"
            );
        }
    }
}

async fn transcript_bytes(app: &TestApp, draw: &str) -> Vec<u8> {
    let r = app
        .client
        .get(format!("{}/api/draws/{draw}/transcript", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.bytes().await.unwrap().to_vec()
}

#[tokio::test]
async fn an_expert_draw_keeps_the_committee_secret_until_the_award_notice_then_opens_every_name() {
    use crate::award::{
        codes, committee, conclude_opening, declare, expert_draw, mark, member_sign_in, post_award,
        sign_all,
    };
    use crate::opening::{bids_in, relogin};
    let app = TestApp::by_hand().await;
    let b = crate::bids::open_box_with(&app, json!({})).await;
    let draw = expert_draw(&app, &b.tender).await;
    let (who, openings) = sealed_secret(&app, &draw).await;
    let pool_size = openings.as_array().unwrap().len();
    assert!(
        pool_size >= 7 && who.len() > pool_size,
        "pool and exclusions"
    );
    let mut bidders = bids_in(
        &app,
        &b,
        &[Some(98_000_000), Some(96_000_000), Some(97_000_000)],
        &[],
    )
    .await;

    // Before the result: nobody but the platform sees a name or an id of the pool or of the
    // excluded — signed out, the owner, the agent (who requested the draw and hosts the
    // evaluation), the supervisor (a party) and a tenderer.
    let viewers = [
        ("the public", None),
        ("the owner", Some(app.sign_in("owner").await)),
        ("the agent", Some(app.sign_in("agent").await)),
        ("the supervisor", Some(app.sign_in("supervisor").await)),
        ("a tenderer", Some(bidders[0].token.clone())),
    ];
    for (viewer, token) in &viewers {
        let seen = draw_as_seen(&app, &draw, token.as_deref()).await;
        assert_eq!(seen.len(), 5, "the transcript is published");
        assert_no_expert_shown(&seen, &who, viewer);
        assert!(
            seen[0].1.contains("评标专家名单在中标结果确定前保密"),
            "{viewer}: zh notice"
        );
        assert!(
            seen[1].1.contains("secret until the result is determined"),
            "{viewer}: en notice"
        );
        let status = app
            .get(format!("/api/draws/{draw}/openings"), token.as_deref())
            .await
            .status;
        let refused = if token.is_some() {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(status, refused, "{viewer} reads the openings");
    }
    // An expert declines: the platform (which hears from the experts) records it by position; a
    // note naming the expert would publish the name, so it is refused.
    let first = verify_json(&transcript_bytes(&app, &draw).await).expect("verifies");
    let DrawOutcome::Completed { selected, .. } = first.outcome else {
        panic!("the draw completed")
    };
    let k: usize = selected[0].parse().unwrap();
    let declined = openings[k - 1]["name"].as_str().unwrap().to_string();
    let platform = app.sign_in("platform").await;
    let replace = format!("/api/draws/{draw}/replace");
    let note = format!("{declined}书面放弃");
    let r = app
        .post(
            &replace,
            Some(&platform),
            json!({ "replaced": selected[0], "reason": "declined", "note": note }),
        )
        .await;
    assert_eq!(
        r.body["error"]["details"]["rule"], "names_an_expert",
        "{:?}",
        r.body
    );
    let r = app
        .post(
            &replace,
            Some(&platform),
            json!({ "replaced": selected[0], "reason": "declined", "note": "书面放弃" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let seen = draw_as_seen(&app, &draw, None).await;
    assert_no_expert_shown(&seen, &who, "the public, after a replacement");

    // ...yet anyone can re-run it: the transcript verifies over positions in the sealed pool.
    let bytes = transcript_bytes(&app, &draw).await;
    let verified = verify_json(&bytes).expect("sealed transcript verifies");
    let t: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(t["replacements"][0]["replaced"], selected[0].as_str());
    assert!(verified.sealed && verified.opened.is_empty());
    let DrawOutcome::Completed { panel, .. } = verified.outcome else {
        panic!("the draw completed")
    };
    let named = |h: &String| {
        let k: usize = h.parse().expect("a sealed result names positions");
        openings[k - 1]["name"].as_str().unwrap().to_string()
    };
    let mut panel_names: Vec<String> = panel.iter().map(named).collect();
    assert!(
        !panel_names.contains(&declined),
        "the first reserve took the seat"
    );

    // The host forms the committee with the names the hall keeps, and they stay secret.
    conclude_opening(&app, &b, &mut bidders).await;
    let agent = app.sign_in("agent").await;
    let formed = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let mut seated: Vec<String> = formed.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect();
    seated.sort();
    panel_names.sort();
    assert_eq!(seated, panel_names, "the committee is the draw's panel");
    let seen = draw_as_seen(&app, &draw, Some(&bidders[1].token)).await;
    assert_no_expert_shown(&seen, &who, "a tenderer, after the committee is formed");

    // The evaluation, the candidates' publicity (条例54) and the owner's award notice.
    let mut members = Vec::new();
    for (_, code) in codes(&formed) {
        members.push(member_sign_in(&app, &code).await);
    }
    for m in &members {
        assert_eq!(declare(&app, &b, m, false).await.status, StatusCode::OK);
        for line in 1..=3 {
            let r = mark(&app, &b, m, line, true, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    sign_all(&app, &b, &members).await;
    let until = app.now().plus_millis(3 * bidhall::domain::DAY_MS);
    let r = post_award(
        &app,
        &b,
        &agent,
        "award/candidates",
        json!({ "count": 3, "until": until.to_rfc3339() }),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    app.clock
        .advance_millis(3 * bidhall::domain::DAY_MS + HOUR_MS);
    relogin(&app, &mut bidders).await;
    let seen = draw_as_seen(&app, &draw, None).await;
    assert_no_expert_shown(&seen, &who, "the public, during the publicity");
    let owner = app.sign_in("owner").await;
    let notice = post_award(&app, &b, &owner, "award/notice", json!({})).await;
    assert_eq!(notice.status, StatusCode::OK, "{:?}", notice.body);

    // The result is determined: every member's opening is public and checks against its
    // commitment; the page names the positions.
    let bytes = transcript_bytes(&app, &draw).await;
    let verified = verify_json(&bytes).expect("the opened transcript verifies");
    assert_eq!(verified.opened.len(), pool_size);
    let t: Value = serde_json::from_slice(&bytes).unwrap();
    let sealed = t["sealed_pool"].as_array().unwrap();
    for o in t["openings"].as_array().unwrap() {
        let salt: [u8; 32] = hex::decode(o["salt"].as_str().unwrap())
            .unwrap()
            .try_into()
            .unwrap();
        let c = bidhall::draws::member_commitment(
            &draw,
            o["id"].as_str().unwrap(),
            o["name"].as_str().unwrap(),
            &salt,
        )
        .unwrap();
        let k = o["position"].as_u64().unwrap() as usize;
        assert_eq!(sealed[k - 1], hex::encode(c), "position {k} opens");
    }
    assert_eq!(t["openings"], openings, "the openings the platform kept");
    assert!(t["audit"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["entry"]["type"] == "draw_pool_opened"));
    let public = app.get(format!("/api/draws/{draw}"), None).await.body;
    let shown: Vec<&str> = public["draw"]["pool"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    for name in &panel_names {
        assert!(shown.contains(&name.as_str()), "{name} is published");
    }
    let page = draw_as_seen(&app, &draw, None).await;
    assert!(page[0].1.contains(r#"id="d-opened-notice">中标结果已确定"#));
    assert!(!page[0].1.contains("d-sealed-notice"));
    // Opening is once: the watcher finds nothing left to open.
    assert!(bidhall::lottery::service::open_due_pools(&app.app)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn an_agent_draw_shows_its_pool_by_name_at_once_and_an_expert_purpose_may_not_name_an_expert()
{
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let r = app.request_agent_draw(&owner, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap();
    assert!(r.body["pool"].get("sealed").is_none());
    let seen = draw_as_seen(&app, draw, None).await;
    for name in ["辽宁正信招标代理有限公司", "沈阳宏达工程咨询有限公司"] {
        assert!(seen[2].1.contains(name), "an agent draw's pool is public");
    }
    assert!(!seen[0].1.contains("d-sealed-notice"));
    let platform = app.sign_in("platform").await;
    assert_eq!(
        app.get(format!("/api/draws/{draw}/openings"), Some(&platform))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // A purpose is published at once, so it may not name an expert of the pool (the demo's 杨振华).
    let agent = app.sign_in("agent").await;
    let tender = app.publish_tender(&agent, "专家抽取事由测试").await;
    let before = app.log_size().await;
    let r = app
        .post(
            "/api/draws",
            Some(&agent),
            json!({
                "kind": "expert", "tender_id": tender["id"], "purpose": "评标专家抽取（杨振华回避）",
                "select": 3, "reserves": 1, "expert_filter": { "specialties": ["A01", "A03"] },
                "commit_deadline": app.hours(1), "reveal_deadline": app.hours(2),
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", r.body);
    assert_eq!(
        r.body["error"]["details"]["rule"], "names_an_expert",
        "{:?}",
        r.body
    );
    assert_eq!(app.log_size().await, before, "nothing is logged");
}

#[tokio::test]
async fn an_agent_draw_appoints_its_selectee_who_creates_the_tender_and_a_reserve_takes_over() {
    let app = TestApp::by_hand().await;
    let agents = app.three_agents().await;
    let logins = ["agent", "agent2", "agent3"];
    let login_of = |org: &str| logins[agents.iter().position(|a| a == org).unwrap()];
    let owner = app.sign_in("owner").await;
    let supervisor = app.sign_in("supervisor").await;
    let platform = app.sign_in("platform").await;
    // a government-invested project's agent is drawn: the owner may not name one by hand
    let by_hand = app
        .post(
            "/api/projects",
            Some(&owner),
            json!({ "name": "浑南区第二中学操场改造工程", "code": "HN-2026-JY-031",
                    "agent_by_draw": true, "agent_org_id": agents[0] }),
        )
        .await;
    assert_eq!(
        (
            by_hand.status,
            by_hand.body["error"]["details"]["rule"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("agent_must_be_drawn")
        ),
        "{:?}",
        by_hand.body
    );
    let r = app
        .post(
            "/api/projects",
            Some(&owner),
            json!({ "name": "浑南区第二中学操场改造工程", "code": "HN-2026-JY-031", "agent_by_draw": true }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let project = r.body["id"].as_str().unwrap().to_string();
    // nor run its tender itself
    let spec = app.spec("操场改造").await;
    let itself = app
        .post(
            "/api/tenders",
            Some(&owner),
            json!({ "project_id": project, "spec": spec }),
        )
        .await;
    assert_eq!(
        (
            itself.status,
            itself.body["error"]["details"]["rule"].as_str()
        ),
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("agent_must_be_drawn")
        ),
        "{:?}",
        itself.body
    );
    // an agent draw selects one agent
    let two = app
        .request_agent_draw(
            &owner,
            json!({ "project_id": project, "select": 2, "reserves": 1 }),
        )
        .await;
    assert_eq!(
        (two.status, two.body["error"]["details"]["rule"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("one_agent"))
    );
    let r = app
        .request_agent_draw(&owner, json!({ "project_id": project, "reserves": 1 }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap().to_string();
    let url = |s: &str| format!("/api/draws/{draw}/{s}");
    let sides = [
        (&platform, app.org_of("platform").await.0),
        (&owner, app.org_of("owner").await.0),
        (&supervisor, app.org_of("supervisor").await.0),
    ];
    for (token, org) in &sides {
        let (_, c) = secret(&draw, org, 5);
        let r = app
            .post(url("commit"), Some(token), json!({ "commitment": c }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    app.advance_hours(1);
    for (token, org) in &sides {
        let (r, _) = secret(&draw, org, 5);
        let r = app
            .post(url("reveal"), Some(token), json!({ "r": hex::encode(r) }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED);
    }
    app.advance_hours(1);
    let tender = |token: String| {
        let (app, project) = (&app, project.clone());
        async move {
            let spec = app.spec("浑南区第二中学操场改造工程施工").await;
            app.post(
                "/api/tenders",
                Some(&token),
                json!({ "project_id": project, "spec": spec }),
            )
            .await
            .status
        }
    };
    let done = app.post(url("conduct"), Some(&owner), json!({})).await;
    assert_eq!(done.body["state"], "completed", "{:?}", done.body);
    let result = &done.body["transcript"]["result"];
    let selected = result["selected"][0].as_str().unwrap().to_string();
    let reserve = result["reserves"][0].as_str().unwrap().to_string();
    let other = agents
        .iter()
        .find(|a| **a != selected && **a != reserve)
        .unwrap();

    // the selectee is the project's agent: it creates the tender; no other agent can
    let chosen = app.sign_in(login_of(&selected)).await;
    assert_eq!(tender(chosen.clone()).await, StatusCode::CREATED);
    for a in [&reserve, other] {
        assert_eq!(
            tender(app.sign_in(login_of(a)).await).await,
            StatusCode::FORBIDDEN
        );
    }
    let projects = app.get("/api/projects", Some(&chosen)).await;
    assert!(
        projects
            .body
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == project.as_str()),
        "the appointed agent sees the project among its own: {:?}",
        projects.body
    );
    // the log says so in the draw's result
    let completed = last_entry_of_kind(&app, "draw_completed").await;
    assert_eq!(
        completed["payload"]["appointed"],
        json!({ "project": project, "agent": selected })
    );

    // the selectee declines: the reserve is appointed in its place
    let r = app
        .post(
            url("replace"),
            Some(&owner),
            json!({ "replaced": selected, "reason": "declined", "note": "书面放弃" }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        last_entry_of_kind(&app, "draw_replacement").await["payload"]["appointed"]["agent"],
        reserve.as_str()
    );
    assert_eq!(
        tender(app.sign_in(login_of(&reserve)).await).await,
        StatusCode::CREATED
    );
    assert_eq!(
        tender(chosen).await,
        StatusCode::FORBIDDEN,
        "no longer its agent"
    );
}

/// The newest log entry of this kind, whole.
async fn last_entry_of_kind(app: &TestApp, kind: &str) -> Value {
    let mut after = -1;
    let mut found = Value::Null;
    loop {
        let page = app
            .get(format!("/api/log/entries?after={after}&limit=1000"), None)
            .await
            .body;
        let page = page.as_array().unwrap().clone();
        for e in &page {
            if e["kind"] == kind {
                found = e["entry"].clone();
            }
            after = e["index"].as_i64().unwrap();
        }
        if page.len() < 1000 {
            return found;
        }
    }
}

/// The draw's page and the list of draws, as its parties and a stranger are served them, speak
/// Chinese in every phase: the kind, phase and rule in words, the deadlines in Beijing time.
#[tokio::test]
async fn the_draw_pages_speak_chinese_from_the_announcement_to_a_public_failure() {
    let app = TestApp::by_hand().await;
    app.three_agents().await;
    let owner = app.sign_in("owner").await;
    let supervisor = app.sign_in("supervisor").await;
    let stranger = app.sign_in("tenderer1").await;
    let commit_by = app.now().plus_millis(HOUR_MS).shanghai();
    let r = app.request_agent_draw(&owner, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    let draw = r.body["id"].as_str().unwrap().to_string();
    let page = |path: String, token: String| {
        let app = &app;
        async move {
            let r = app.get(&path, Some(&token)).await;
            assert_eq!(r.status, StatusCode::OK, "{path}");
            let html = r.body.as_str().unwrap().to_owned();
            assert_speaks_chinese(&path, &html);
            html
        }
    };
    let this = format!("/draws/{draw}");
    let html = page(this.clone(), owner.clone()).await;
    for words in [
        "招标代理机构摇号",
        "承诺中",
        "任一方未揭示则抽取失败",
        &commit_by,
    ] {
        assert!(html.contains(words), "{words} missing");
    }
    let mine = r#"<span class="badge">本单位参与</span>"#;
    for (token, badge) in [(&owner, true), (&supervisor, true), (&stranger, false)] {
        let list = page("/draws".into(), token.clone()).await;
        assert!(list.contains(&format!(r#"<a href="/draws/{draw}">"#)));
        assert_eq!(list.contains(mine), badge);
    }
    app.advance_hours(1);
    assert!(page(this.clone(), supervisor.clone())
        .await
        .contains("揭示中"));
    app.advance_hours(1);
    assert!(page(this.clone(), stranger.clone())
        .await
        .contains("可执行抽取"));
    let done = app
        .post(
            format!("/api/draws/{draw}/conduct"),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(done.body["state"], "failed", "{:?}", done.body);
    for token in [&owner, &stranger] {
        assert!(page(this.clone(), token.clone()).await.contains("公开失败"));
        assert!(page("/draws".into(), token.clone())
            .await
            .contains("公开失败"));
    }
}
