//! The authorisation test that cannot go stale: every route the hall serves (the OpenAPI document
//! and every `.route(` in the source), as every role, an unrelated organisation of each role, a
//! committee member and the public, at each stage that matters — bidding open, the opening lobby,
//! after the opening (the committee's report signed) and after the award notice.
//!
//! A route with no expectation below fails the test. A caller the table refuses must get 401, 403
//! or 404 and nothing else (a 2xx, or a 409/422 that answers before the role is checked, fails).
//! A read the table allows must not get 401, 403 or a 5xx. A write the table allows is not sent
//! here (it would change the world the next rows run in); the capability's own tests make it.

use crate::award::{codes, committee, conclude_opening, expert_draw, member_sign_in, sign_all};
use crate::bids::open_box;
use crate::common::*;
use crate::opening::bids_in;
use bidhall::domain::{DAY_MS, HOUR_MS};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    Bidding,
    Lobby,
    Opened,
    Awarded,
}
use Stage::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Public,
    Platform,
    Owner,
    OtherOwner,
    Agent,
    OtherAgent,
    Supervisor,
    OtherSupervisor,
    /// The tender's witness custodian.
    Witness,
    OtherWitness,
    /// A tenderer with a bid in the tender (tenderer1).
    Bidder,
    /// A tenderer that never touched the tender.
    Tenderer,
    /// A signed-in member of the evaluation committee (from `Opened`).
    Member,
}
use Who::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Refused,
    /// Not run here, with the reason (the route is tested where it lives).
    Elsewhere(&'static str),
}
use Expect::*;

fn allow(yes: bool) -> Expect {
    if yes {
        Allowed
    } else {
        Refused
    }
}

fn user(w: Who) -> bool {
    !matches!(w, Public | Member)
}

/// The owner or the agent: who runs the tender.
fn runs(w: Who) -> bool {
    matches!(w, Owner | Agent)
}

/// Who runs or supervises it.
fn hall(w: Who) -> bool {
    matches!(w, Owner | Agent | Supervisor)
}

fn tenderer(w: Who) -> bool {
    matches!(w, Bidder | Tenderer)
}

/// The expectation for `route` ("METHOD /pattern") for `w` at stage `s`; `None`: no expectation
/// written (the test fails).
fn expect(route: &str, w: Who, s: Stage) -> Option<Expect> {
    let e = expect_of(route, w, s, s >= Opened)?;
    if w == Member && !route.contains("/evaluation") && !route.contains("/opening/documents/") {
        // A member's token opens the evaluation's routes only: elsewhere it is worth no more
        // than no token (refused where the public is; on public routes it is ignored or 401).
        return Some(match expect_of(route, Public, s, s >= Opened)? {
            Allowed => {
                Elsewhere("public route: a member token is no session, and is ignored there")
            }
            Elsewhere(why) => Elsewhere(why),
            _ if route.contains(" /api/") => Refused,
            _ => Elsewhere("pages do not take a member's bearer token"),
        });
    }
    Some(e)
}

fn expect_of(route: &str, w: Who, s: Stage, opened: bool) -> Option<Expect> {
    Some(match route {
        // ---- open to everyone
        "GET /api/notices"
        | "GET /api/tenders/{id}"
        | "GET /api/tenders/{id}/amendments"
        | "GET /api/tenders/{id}/documents"
        | "GET /api/tenders/{id}/custodians"
        | "GET /api/time-custodian/key"
        | "GET /api/log/entries"
        | "GET /api/log/entries/{index}"
        | "GET /api/log/key"
        | "GET /api/log/proofs/consistency"
        | "GET /api/log/proofs/inclusion"
        | "GET /api/log/receipts/{index}"
        | "GET /log/checkpoint"
        | "GET /log/{path}"
        | "POST /api/log/checkpoint"
        | "GET /api/draws"
        | "GET /api/draws/{id}"
        | "GET /api/draws/{id}/transcript"
        | "GET /api/registry/rules"
        | "GET /api/registry/agents"
        | "GET /api/guarantee-issuers"
        | "GET /api/tenders/{id}/opening"
        | "GET /api/tenders/{id}/opening/events"
        | "GET /api/tenders/{id}/opening/record"
        | "GET /api/tenders/{id}/opening/report"
        | "GET /api/tenders/{id}/award"
        | "GET /api/openapi.json"
        | "GET /healthz"
        | "GET /readyz" => Allowed,
        "POST /api/session" | "DELETE /api/session" | "POST /api/register" => Allowed,
        "POST /api/evaluation/sign-in" => Allowed,
        // 法38, 法44: bid documents for those who evaluate or supervise, and the bidder itself
        // (before the deadline the entitled get 409 too_early: not a question of who)
        "GET /api/tenders/{id}/opening/documents/{bid}" => {
            allow(hall(w) || w == Bidder || (w == Member && s == Opened))
        }
        "GET /api/tenders/{id}/opening/ws" => Elsewhere("the websocket: tests/hall/opening.rs"),
        // the whole envelope is public (its hash is receipted); without shares it stays sealed
        "GET /api/tenders/{id}/opening/envelopes/{bid}" => Allowed,
        // 法22: facts about tenderers from the deadline on; the platform's own record before
        "GET /api/tenders/{id}/log/sealed" => allow(opened || w == Platform),
        // 电子招标投标办法: who wrote what from where, for the supervisor (from the deadline on,
        // since it names the tenderers) and the trading centre
        "GET /api/tenders/{id}/write-record" => allow(w == Platform || (w == Supervisor && opened)),
        "GET /api/tenders/{id}/obtainers"
        | "GET /api/tenders/{id}/bonds"
        | "GET /api/tenders/{id}/bonds/ledger" => allow(w == Platform || (hall(w) && opened)),
        // ---- identity
        "GET /api/me" | "GET /api/organisations" | "GET /api/keys" | "POST /api/keys" => {
            allow(user(w))
        }
        "POST /api/organisations" | "POST /api/organisations/{id}/users" => allow(w == Platform),
        "GET /metrics" => allow(w == Platform),
        // ---- projects and tenders
        "GET /api/projects" => allow(user(w)),
        "GET /api/tenders" => allow(matches!(w, Owner | OtherOwner | Agent | OtherAgent)),
        "POST /api/projects" => allow(matches!(w, Owner | OtherOwner)),
        "POST /api/tenders" => allow(matches!(w, Owner | OtherOwner | Agent | OtherAgent)),
        "PUT /api/tenders/{id}"
        | "POST /api/tenders/{id}/publish"
        | "POST /api/tenders/{id}/cancel"
        | "POST /api/tenders/{id}/amendments"
        | "POST /api/tenders/{id}/documents" => allow(runs(w)),
        "GET /api/documents/{id}/content" => allow(hall(w) || w == Platform || w == Bidder),
        "POST /api/tenders/{id}/obtain" => allow(tenderer(w)),
        // ---- bid box and opening
        "POST /api/tenders/{id}/custodians/{index}/key" => allow(w == Agent),
        "GET /api/tenders/{id}/opening/shares/{index}"
        | "POST /api/tenders/{id}/opening/shares/{index}" => allow(w == Agent),
        "POST /api/tenders/{id}/lots/{lot}/bid" | "DELETE /api/tenders/{id}/lots/{lot}/bid" => {
            allow(tenderer(w))
        }
        "GET /api/tenders/{id}/bids/mine" => allow(tenderer(w)),
        "GET /api/tenders/{id}/my-bonds" => allow(w == Bidder),
        "POST /api/tenders/{id}/sub-account" => allow(tenderer(w)),
        "POST /api/tenders/{id}/opening/decrypt" => allow(hall(w)),
        "POST /api/tenders/{id}/opening/sign-in" => allow(hall(w) || w == Bidder),
        "POST /api/tenders/{id}/opening/confirmation-window"
        | "POST /api/tenders/{id}/opening/conclude"
        | "POST /api/tenders/{id}/opening/objections/{objection}/answer" => allow(runs(w)),
        "POST /api/tenders/{id}/opening/suspend" | "POST /api/tenders/{id}/opening/resume" => {
            allow(w == Supervisor)
        }
        "POST /api/tenders/{id}/opening/lines/{n}/confirm"
        | "POST /api/tenders/{id}/opening/objections" => allow(w == Bidder),
        "POST /api/tenders/{id}/bonds" => allow(w == Platform),
        // ---- bonds
        "POST /api/banks/{bank}/notifications" | "POST /api/banks/{bank}/refunds-paid" => {
            Elsewhere("signed by the bank's secret, not a session: tests/hall/bonds.rs")
        }
        "POST /api/tenders/{id}/bonds/forfeit" => allow(runs(w)),
        "POST /api/tenders/{id}/bonds/performance-completed" => allow(runs(w)),
        "GET /api/ledger" => allow(w == Platform),
        "POST /api/tenders/{id}/guarantees" => allow(tenderer(w)),
        "GET /api/guarantees/{id}" => allow(user(w)),
        "POST /api/guarantee-issuers" => allow(w == Platform),
        // ---- registry and draws
        "POST /api/registry/agents" => allow(matches!(w, Agent | OtherAgent)),
        "GET /api/registry/agents/{org}" => allow(matches!(w, Agent | Platform)),
        "POST /api/registry/agents/{org}/qualifications"
        | "POST /api/registry/agents/{org}/review"
        | "POST /api/registry/credit"
        | "POST /api/registry/experts"
        | "GET /api/registry/experts" => allow(w == Platform),
        // 信用信息公开: credit punishments in force are public
        "GET /api/registry/credit" => Allowed,
        "POST /api/draws" => allow(runs(w)),
        "POST /api/draws/{id}/commit" | "POST /api/draws/{id}/reveal" => {
            allow(matches!(w, Platform | Agent | Supervisor))
        }
        "POST /api/draws/{id}/beacon" => allow(w == Platform),
        // 法37: the experts' names, before the result, are the trading centre's alone
        "GET /api/draws/{id}/openings" => allow(w == Platform),
        "POST /api/draws/{id}/conduct" => allow(matches!(w, Platform | Agent | Supervisor)),
        "POST /api/draws/{id}/replace" => allow(matches!(w, Agent | Platform)),
        "POST /api/log/cosignatures" => {
            Elsewhere("signed by a configured witness's key, not a session: tests/hall/auditlog.rs")
        }
        // ---- evaluation and award
        "POST /api/tenders/{id}/evaluation/committee"
        | "POST /api/tenders/{id}/evaluation/codes"
        | "POST /api/tenders/{id}/award/candidates" => allow(w == Agent),
        "GET /api/tenders/{id}/evaluation"
        | "GET /api/tenders/{id}/evaluation/draft-report"
        | "POST /api/tenders/{id}/evaluation/declaration"
        | "POST /api/tenders/{id}/evaluation/scores"
        | "POST /api/tenders/{id}/evaluation/sign"
        | "POST /api/tenders/{id}/evaluation/clarifications" => allow(w == Member && s == Opened),
        // 条例52: only the tenderer of the bid asked (a stranger's number is not found)
        "POST /api/tenders/{id}/award/clarifications/{n}/answer" => allow(tenderer(w)),
        "GET /api/tenders/{id}/evaluation/report" => allow(match w {
            Member => s == Opened,
            _ => hall(w) || s == Awarded,
        }),
        "POST /api/tenders/{id}/award/objections" | "POST /api/tenders/{id}/award/decline" => {
            allow(w == Bidder)
        }
        "POST /api/tenders/{id}/award/objections/{objection}/answer" => allow(runs(w)),
        "POST /api/tenders/{id}/award/notice"
        | "POST /api/tenders/{id}/award/contract"
        | "POST /api/tenders/{id}/award/termination" => allow(w == Owner),
        // 法45: a tenderer its own letters (none if it won nothing), the tender's side all
        "GET /api/tenders/{id}/award/letters" | "GET /tenders/{id}/award/letters" => {
            allow(tenderer(w) || hall(w))
        }
        // ---- questions, objections, complaints (docs/disputes.md): what each caller sees of
        // them is the routes' own (an answered question for all, who asked for few), tested in
        // tests/hall/disputes.rs
        "GET /api/tenders/{id}/questions"
        | "GET /api/tenders/{id}/document-objections"
        | "GET /api/tenders/{id}/complaints" => Allowed,
        "POST /api/tenders/{id}/questions"
        | "POST /api/tenders/{id}/document-objections"
        | "POST /api/tenders/{id}/complaints" => allow(w == Bidder),
        "POST /api/tenders/{id}/questions/{question}/answer"
        | "POST /api/tenders/{id}/document-objections/{objection}/answer" => allow(runs(w)),
        "POST /api/tenders/{id}/complaints/{complaint}/acceptance"
        | "POST /api/tenders/{id}/complaints/{complaint}/decision" => allow(w == Supervisor),
        // ---- the inbox: one's own organisation's notices, for every signed-in user
        "GET /api/inbox" | "PUT /api/inbox/contact" | "GET /inbox" => allow(user(w)),
        "POST /api/inbox/{notice}/read" => {
            Elsewhere("a notice of one's own organisation: tests/hall/inbox.rs")
        }
        "GET /api/supervision/complaints" | "GET /supervision/complaints" => {
            allow(matches!(w, Supervisor | OtherSupervisor))
        }
        "GET /tenders/{id}/questions" => allow(runs(w)),
        // ---- pages (GET): the shells are public; what is behind them is the API's
        "GET /"
        | "GET /signin"
        | "GET /audit"
        | "GET /draws"
        | "GET /draws/{id}"
        | "GET /evaluation"
        | "GET /tenders/{id}"
        | "GET /tenders/{id}/award"
        | "GET /tenders/{id}/opening"
        | "GET /tenders/{id}/opening/report" => Allowed,
        // tests/hall/home.rs: every user has a home; the registry's pages follow its API
        "GET /home" => allow(user(w)),
        "GET /registry/agent" => allow(matches!(w, Agent | OtherAgent)),
        "GET /registry/agents" => allow(w == Platform),
        "GET /registry/agents/{org}" => allow(matches!(w, Agent | Platform)),
        "GET /workspace" => allow(matches!(w, Owner | OtherOwner | Agent | OtherAgent)),
        "GET /workspace/tenders/{id}" => allow(runs(w)),
        "GET /tenders/{id}/documents" => Allowed,
        "GET /tenders/{id}/bid" => allow(tenderer(w)),
        "GET /tenders/{id}/custodian" => allow(matches!(w, Agent | Supervisor | Witness)),
        "GET /tenders/{id}/bond" => allow(w == Bidder),
        "GET /tenders/{id}/bonds" => allow(w == Platform || (hall(w) && opened)),
        "GET /ledger" => allow(w == Platform),
        "POST /api/ledger/receipts/{bank}/{txn}/refund" => allow(w == Platform),
        // ---- operations
        "POST /api/demo/clock" => allow(w == Platform),
        // the demo clock is public on a demo hall (and not found on a real one)
        "GET /api/demo/clock" => Allowed,
        "GET /api/ledger/reconciliations" | "POST /api/ledger/reconciliations" => {
            allow(w == Platform)
        }
        "POST /api/tenders/{id}/receipts/{bank}/{txn}/refund" => allow(w == Platform),
        _ => return None,
    })
}

/// The hall's routes: every operation of the OpenAPI document, and the source's routes that it
/// does not describe (a route added anywhere shows up here).
async fn routes(app: &TestApp) -> Vec<(Method, String)> {
    let doc = app.get("/api/openapi.json", None).await.body;
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if let Ok(m) = method.to_uppercase().parse::<Method>() {
                out.insert((m.to_string(), path.clone()));
            }
        }
    }
    let described: BTreeSet<String> = out.iter().map(|(_, p)| p.clone()).collect();
    for path in source_routes() {
        let path = path.replace("{*path}", "{path}");
        if described.contains(&path) || !path.starts_with('/') {
            continue;
        }
        let methods: Vec<&str> = ["GET", "POST", "PUT", "DELETE"]
            .into_iter()
            .filter(|m| expect(&format!("{m} {path}"), Platform, Bidding).is_some())
            .collect();
        if methods.is_empty() {
            // no expectation for any method: listed so that the run reports it
            out.insert(("?".into(), path.clone()));
        }
        for m in methods {
            out.insert((m.to_string(), path.clone()));
        }
    }
    out.into_iter()
        .map(|(m, p)| (m.parse().unwrap_or(Method::OPTIONS), p))
        .collect()
}

/// Every `.route("…"` path in the HTTP adapter's source.
pub(crate) fn source_routes() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["src/http", "src/web"] {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let mut rest = text.as_str();
                while let Some(i) = rest.find(".route(") {
                    rest = &rest[i + ".route(".len()..];
                    let t = rest.trim_start();
                    if let Some(t) = t.strip_prefix('"') {
                        if let Some(end) = t.find('"') {
                            out.push(t[..end].to_string());
                        }
                    }
                }
            }
        }
    }
    out
}

/// The world the rows run in, with a token for each caller.
struct World {
    tender: String,
    lot: String,
    bid: String,
    document: String,
    draw: String,
    agent_org: String,
    guarantee: String,
    /// A valid tender spec and agent forms, so that a refusal cannot come from the body's shape.
    spec: Value,
    agent_forms: Value,
    tokens: Vec<(Who, Option<String>)>,
}

async fn outsider(app: &TestApp, platform: &str, role: &str, n: u32) -> String {
    let org = app
        .post(
            "/api/organisations",
            Some(platform),
            json!({ "role": role, "name": format!("无关{role}{n}"), "credit_code": credit_code(&format!("12210100MB9{n:06}")) }),
        )
        .await;
    assert_eq!(org.status, StatusCode::CREATED, "{:?}", org.body);
    let id = org.body["id"].as_str().unwrap();
    let login = format!("other-{role}");
    let user = app
        .post(
            format!("/api/organisations/{id}/users"),
            Some(platform),
            json!({ "login": login, "display_name": "无关用户", "password": bidhall::demo::password() }),
        )
        .await;
    assert_eq!(user.status, StatusCode::CREATED, "{:?}", user.body);
    login
}

impl World {
    async fn sign_in_all(&mut self, app: &TestApp, member: Option<String>) {
        let mut tokens = vec![(Public, None)];
        for (who, login) in [
            (Platform, "platform"),
            (Owner, "owner"),
            (OtherOwner, "owner2"),
            (Agent, "agent"),
            (OtherAgent, "agent2"),
            (Supervisor, "supervisor"),
            (OtherSupervisor, "other-supervisor"),
            (Witness, "witness"),
            (OtherWitness, "other-witness"),
            (Bidder, "tenderer1"),
            (Tenderer, "outsider"),
        ] {
            tokens.push((who, Some(app.sign_in(login).await)));
        }
        tokens.push((Member, member));
        self.tokens = tokens;
    }

    fn fill(&self, pattern: &str) -> String {
        let mut p = pattern.to_string();
        let draws = p.starts_with("/api/draws/");
        let documents = p.starts_with("/api/documents/");
        let organisations = p.starts_with("/api/organisations/");
        let guarantees = p.starts_with("/api/guarantees/");
        let id = if draws {
            &self.draw
        } else if documents {
            &self.document
        } else if organisations {
            &self.agent_org
        } else if guarantees {
            &self.guarantee
        } else {
            &self.tender
        };
        let log = p.starts_with("/api/log/");
        for (k, v) in [
            ("{id}", id.as_str()),
            ("{lot}", &self.lot),
            ("{bid}", &self.bid),
            ("{index}", if log { "1" } else { "2" }),
            ("{n}", "1"),
            ("{objection}", "1"),
            ("{question}", "0190a4c2-3f1e-7c2a-9d3b-000000000001"),
            ("{complaint}", "0190a4c2-3f1e-7c2a-9d3b-000000000002"),
            ("{org}", &self.agent_org),
            ("{bank}", "SBX"),
            ("{txn}", "SBX20270301000001"),
            ("{path}", "tile/0/000"),
        ] {
            p = p.replace(k, v);
        }
        if pattern == "/api/tenders/{id}/documents" {
            p.push_str("?name=a.pdf");
        }
        if p.starts_with("/api/log/proofs/") {
            p.push_str("?index=1&size=2&from=1&to=2");
        }
        p
    }
}

struct Answer {
    status: StatusCode,
    body: Value,
    /// A page that sends the caller to sign in (a refusal for the signed out).
    to_sign_in: bool,
}

/// One request, redirects not followed.
async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    });
    let mut req = client.request(method, format!("{}{}", app.base, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let to_sign_in = status.is_redirection()
        && resp
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .is_some_and(|l| l.starts_with("/signin"));
    let text = resp.text().await.unwrap();
    Answer {
        status,
        body: serde_json::from_str(&text).unwrap_or(Value::String(text)),
        to_sign_in,
    }
}

/// What a refused caller sends: a body of the route's shape, so a refusal must come from the role.
fn body(route: &str, w: &World) -> Value {
    match route {
        "POST /api/tenders/{id}/cancel" => json!({ "version": 1, "reason": "越权终止" }),
        "POST /api/tenders/{id}/publish" => json!({ "version": 1 }),
        "POST /api/tenders/{id}/opening/suspend" | "POST /api/tenders/{id}/opening/resume" => {
            json!({ "reason": "越权" })
        }
        "POST /api/tenders/{id}/opening/objections" => json!({ "line": 1, "text": "越权异议" }),
        "POST /api/tenders/{id}/award/objections" => json!({ "text": "越权异议" }),
        "POST /api/tenders/{id}/opening/objections/{objection}/answer"
        | "POST /api/tenders/{id}/award/objections/{objection}/answer" => {
            json!({ "text": "越权答复" })
        }
        "POST /api/tenders/{id}/opening/confirmation-window" => json!({ "minutes": 1 }),
        "POST /api/tenders/{id}/bonds" => {
            json!({ "lot_id": w.lot, "org_id": w.agent_org, "amount_fen": 1, "reference": "X-1" })
        }
        "POST /api/tenders/{id}/bonds/forfeit" => json!({
            "tenderer_id": w.agent_org, "bond": "bid", "lot_id": w.lot,
            "ground": "revoked_after_deadline", "reason": "越权"
        }),
        "POST /api/tenders/{id}/evaluation/committee" => json!({ "owner_representatives": [] }),
        "POST /api/tenders/{id}/award/candidates" => {
            json!({ "count": 3, "until": "2030-01-01T00:00:00Z" })
        }
        "POST /api/tenders/{id}/award/contract" => {
            json!({ "price_fen": 1, "document_sha256": "00".repeat(32) })
        }
        "POST /api/tenders/{id}/evaluation/declaration" => json!({ "conflict": false }),
        "POST /api/tenders/{id}/evaluation/scores" => json!({ "line": 1, "compliant": true }),
        "POST /api/tenders/{id}/evaluation/sign" => json!({ "report_sha256": "00".repeat(32) }),
        "POST /api/organisations" => {
            json!({ "role": "witness", "name": "越权公证处", "credit_code": "12210100MB0999999T" })
        }
        "POST /api/organisations/{id}/users" => {
            json!({ "login": "intruder", "display_name": "越权", "password": "correct horse battery" })
        }
        "POST /api/projects" => json!({ "name": "越权项目", "code": "X-1" }),
        "POST /api/draws/{id}/commit" => json!({ "commitment": "00".repeat(32) }),
        "POST /api/draws/{id}/reveal" => json!({ "r": "00".repeat(32) }),
        "POST /api/draws/{id}/beacon" => json!({ "value": "00".repeat(32) }),
        "POST /api/draws/{id}/replace" => json!({ "replaced": "x", "reason": "declined" }),
        "POST /api/demo/clock" => json!({ "minutes": 1 }),
        "POST /api/draws" => json!({
            "kind": "expert", "tender_id": w.tender, "purpose": "越权抽取", "select": 5, "reserves": 2,
            "expert_filter": { "specialties": ["A01"] },
            "commit_deadline": "2030-01-01T00:00:00Z", "reveal_deadline": "2030-01-01T01:00:00Z",
        }),
        "POST /api/guarantee-issuers" => {
            json!({ "id": "X1", "name": "越权", "kind": "bank", "public_key": "AA" })
        }
        "POST /api/registry/agents" => w.agent_forms.clone(),
        "POST /api/registry/agents/{org}/qualifications" => json!({
            "categories": ["construction"], "grade": 1, "valid_from": "2027-01-01T00:00:00Z", "valid_to": "2030-01-01T00:00:00Z"
        }),
        "POST /api/registry/agents/{org}/review" => json!({ "approve": true, "reason": "越权" }),
        "POST /api/registry/credit" => json!({
            "org_id": w.agent_org, "colour": "red", "reason": "越权", "source_document": "x",
            "from": "2027-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"
        }),
        "POST /api/tenders" => json!({ "project_id": w.tender, "spec": w.spec }),
        "PUT /api/tenders/{id}" => json!({ "version": 1, "spec": w.spec }),
        "POST /api/tenders/{id}/guarantees" => json!({ "document": {}, "signature": "AA" }),
        "POST /api/tenders/{id}/amendments" => json!({
            "version": 1, "kind": "clarification", "summary": "越权", "affects_bids": false
        }),
        "POST /api/tenders/{id}/award/decline"
        | "POST /api/tenders/{id}/award/clarifications/{n}/answer" => json!({ "text": "越权" }),
        "POST /api/tenders/{id}/evaluation/clarifications" => json!({ "line": 1, "text": "越权" }),
        // an empty reason: the caller is judged, and nothing is terminated
        "POST /api/tenders/{id}/award/termination" => json!({ "reason": "" }),
        "POST /api/tenders/{id}/questions"
        | "POST /api/tenders/{id}/document-objections"
        | "POST /api/tenders/{id}/questions/{question}/answer"
        | "POST /api/tenders/{id}/document-objections/{objection}/answer" => {
            json!({ "text": "越权" })
        }
        "POST /api/tenders/{id}/complaints" => json!({
            "matter": "other", "text": "越权投诉", "knew_at": "2027-03-01T00:00:00Z"
        }),
        "POST /api/tenders/{id}/complaints/{complaint}/acceptance" => json!({ "accept": true }),
        "POST /api/tenders/{id}/complaints/{complaint}/decision" => {
            json!({ "upheld": false, "text": "越权" })
        }
        "POST /api/tenders/{id}/custodians/{index}/key" => {
            json!({ "public_key": "AA", "signature": "AA" })
        }
        "POST /api/tenders/{id}/opening/shares/{index}" => json!([]),
        "POST /api/ledger/reconciliations" => json!({ "bank": "SBX", "day": "2027-01-01" }),
        "POST /api/registry/experts" => json!({
            "name": "越权专家", "specialties": ["A01"], "employer_name": "某单位", "region": "沈阳市"
        }),
        _ => json!({}),
    }
}

async fn run_stage(app: &TestApp, w: &World, stage: Stage, failures: &mut Vec<String>) -> usize {
    let mut checked = 0;
    for (method, pattern) in routes(app).await {
        let route = format!("{method} {pattern}");
        for (who, token) in &w.tokens {
            if *who == Member && token.is_none() {
                continue;
            }
            let Some(e) = expect(&route, *who, stage) else {
                failures.push(format!("{route}: no expectation"));
                break;
            };
            let read = method == Method::GET;
            match e {
                Elsewhere(_) => continue,
                Allowed if !read => continue,
                _ => {}
            }
            let path = w.fill(&pattern);
            let r = send(
                app,
                method.clone(),
                &path,
                token.as_deref(),
                (!read).then(|| body(&route, w)),
            )
            .await;
            checked += 1;
            let s = r.status;
            let ok = match e {
                Allowed => {
                    !matches!(s, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN)
                        && s.as_u16() < 500
                        && !r.to_sign_in
                }
                Refused => {
                    matches!(
                        s,
                        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
                    ) || r.to_sign_in
                }
                Elsewhere(_) => true,
            };
            if !ok {
                let said = r.body["error"]["message"]
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or_else(|| r.body.to_string());
                failures.push(format!(
                    "{stage:?} {who:?} {route} expected {e:?}, got {s}: {}",
                    said.chars().take(140).collect::<String>()
                ));
            }
        }
    }
    checked
}

#[tokio::test]
async fn every_route_as_every_caller_at_every_stage() {
    let app = TestApp::spawn_with(|a| a.draw_conductor_ms = 0).await;
    let platform = app.sign_in("platform").await;
    outsider(&app, &platform, "supervisor", 1).await;
    outsider(&app, &platform, "witness", 2).await;
    let registered = app
        .post(
            "/api/register",
            None,
            json!({
                "organisation": { "role": "tenderer", "name": "无关投标人有限公司", "credit_code": "91210100MA0Y99999R", "region": "沈阳市" },
                "user": { "login": "outsider", "display_name": "无关", "password": bidhall::demo::password() }
            }),
        )
        .await;
    assert_eq!(
        registered.status,
        StatusCode::CREATED,
        "{:?}",
        registered.body
    );

    // Bidding open: three bids in, the expert draw done, a document issued.
    let b = open_box(&app).await;
    let draw = expert_draw(&app, &b.tender).await;
    let mut bidders = bids_in(
        &app,
        &b,
        &[Some(98_000_000), Some(97_000_000), Some(99_000_000)],
        &[],
    )
    .await;
    let docs = app
        .get(format!("/api/tenders/{}/documents", b.tender), None)
        .await;
    let document = docs.body[0]["id"].as_str().unwrap_or("none").to_string();
    let mine = app
        .get(
            format!("/api/tenders/{}/bids/mine", b.tender),
            Some(&bidders[0].token),
        )
        .await;
    let bid = mine.body[0]["bid_id"]
        .as_str()
        .or(mine.body[0]["id"].as_str())
        .unwrap_or("none")
        .to_string();
    let agent_org = crate::bids::org_of(&app, &app.sign_in("agent").await).await;
    let mut world = World {
        tender: b.tender.clone(),
        lot: b.lot.clone(),
        bid,
        document,
        draw,
        agent_org,
        guarantee: "0190a4c2-3f1e-7c2a-9d3b-000000000000".into(),
        spec: app.spec("越权").await,
        agent_forms: app.agent_forms("agent2", "越权代理有限公司").await,
        tokens: Vec::new(),
    };

    let mut failures = Vec::new();
    let mut checked = 0;
    world.sign_in_all(&app, None).await;
    checked += run_stage(&app, &world, Bidding, &mut failures).await;

    app.clock.set(b.deadline.plus_millis(-20 * 60 * 1000));
    world.sign_in_all(&app, None).await;
    checked += run_stage(&app, &world, Lobby, &mut failures).await;

    // After the opening: concluded, the committee formed, its report signed.
    conclude_opening(&app, &b, &mut bidders).await;
    let agent = app.sign_in("agent").await;
    let formed = committee(&app, &b, &agent, json!([])).await;
    assert_eq!(formed.status, StatusCode::CREATED, "{:?}", formed.body);
    let mut members = Vec::new();
    for (_, code) in codes(&formed) {
        members.push(member_sign_in(&app, &code).await);
    }
    for m in &members {
        let r = crate::award::declare(&app, &b, m, false).await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        for line in 1..=3 {
            let r = crate::award::mark(&app, &b, m, line, true, json!([])).await;
            assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        }
    }
    sign_all(&app, &b, &members).await;
    world.sign_in_all(&app, Some(members[0].clone())).await;
    checked += run_stage(&app, &world, Opened, &mut failures).await;

    // After the award notice.
    let until = app.now().plus_millis(3 * DAY_MS);
    let r = app
        .post(
            format!("/api/tenders/{}/award/candidates", b.tender),
            Some(&agent),
            json!({ "count": 3, "until": until.to_rfc3339() }),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    app.clock.advance_millis(3 * DAY_MS + HOUR_MS);
    let owner = app.sign_in("owner").await;
    let r = app
        .post(
            format!("/api/tenders/{}/award/notice", b.tender),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // The members' tokens are kept: the award refuses them from here on.
    world.sign_in_all(&app, members.first().cloned()).await;
    checked += run_stage(&app, &world, Awarded, &mut failures).await;

    failures.dedup();
    assert!(
        failures.is_empty(),
        "{} of {checked} requests broke the table:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 1000, "only {checked} requests were made");
}
