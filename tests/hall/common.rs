//! TestApp: the real server on port 0 against a fresh database — a SQLite file in a temp folder,
//! or, when `DATABASE_URL` names a PostgreSQL server, a fresh database there, dropped afterwards.
//! Time is a `ManualClock`; helpers are named after what users do.

use bidhall::app::AppState;
use bidhall::clock::ManualClock;
use bidhall::config::{ServeArgs, StoreArgs};
use bidhall::domain::{Timestamp, DAY_MS};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::sync::Arc;

/// The check that a zh-CN page speaks Chinese, the same file the library's page tests use.
#[path = "../../src/web/zh_guard.rs"]
mod zh_guard;
pub use zh_guard::assert_speaks_chinese;

/// The hall's "now" at the start of every test: 2027-03-01 09:00 Asia/Shanghai.
pub const START: &str = "2027-03-01T09:00:00+08:00";

pub struct TestApp {
    pub base: String,
    /// The settings the hall runs with (its database URL, data folder, log key file).
    pub args: ServeArgs,
    pub app: AppState,
    pub clock: Arc<ManualClock>,
    pub client: reqwest::Client,
    /// How long the demo data took to load.
    pub loaded_in: std::time::Duration,
    _dir: tempfile::TempDir,
    _pg: Option<PgScratch>,
}

struct PgScratch {
    admin_url: String,
    name: String,
}

impl Drop for PgScratch {
    fn drop(&mut self) {
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                use sqlx::Connection;
                if let Ok(mut c) = sqlx::AnyConnection::connect(&admin).await {
                    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut c)
                        .await;
                }
            })
        })
        .join();
    }
}

/// The object store named by `BIDHALL_OBJECT_STORE` (as CI sets it for the PostgreSQL run), under
/// a fresh prefix of its own; none (files under the data directory) otherwise.
pub fn object_store() -> Option<String> {
    std::env::var("BIDHALL_OBJECT_STORE")
        .ok()
        .filter(|u| !u.is_empty())
        .map(|u| format!("{}/{}", u.trim_end_matches('/'), uuid_like()))
}

/// A time-release custodian process's routes (`bidhall time-custodian serve`) on a port of its own,
/// judging time by `clock`: its URL, its identity key (base64) and its key directory.
pub async fn spawn_time_custodian(
    clock: Arc<ManualClock>,
    token: Option<&str>,
) -> (String, String, tempfile::TempDir) {
    use base64::Engine;
    let dir = tempfile::tempdir().unwrap();
    let keys = bidhall::bids::time_custodian::TimeCustodian::open(dir.path()).unwrap();
    let identity = base64::engine::general_purpose::STANDARD.encode(keys.identity_public_key());
    let router = bidhall::bids::time_custodian::server::router(keys, clock, token);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, identity, dir)
}

/// A stored file's bytes, wherever the hall keeps them (its data folder or the object store).
pub async fn read_blob(args: &ServeArgs, sha: &str) -> Vec<u8> {
    let store = bidhall::blobs::open(
        args.store.object_store.as_deref(),
        &args.store.data_dir.join("blobs"),
    )
    .unwrap();
    let mut reader = store.open(sha).await.unwrap();
    let mut out = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut reader, &mut out)
        .await
        .unwrap();
    out
}

/// Overwrites a stored file in place, as someone with access to the hall's storage could.
pub async fn overwrite_blob(args: &ServeArgs, sha: &str, bytes: &[u8]) {
    let name = format!("sha256/{}/{sha}", &sha[..2]);
    match &args.store.object_store {
        None => {
            let path = args.store.data_dir.join("blobs").join(name);
            let mut perms = std::fs::metadata(&path).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&path, perms).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        Some(url) => {
            use object_store::ObjectStore;
            let rest = url.trim_start_matches("s3://");
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let store = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .build()
                .unwrap();
            let path = object_store::path::Path::from(format!("{prefix}/{name}"));
            store.put(&path, bytes.to_vec().into()).await.unwrap();
        }
    }
}

/// A fresh database URL: SQLite in `dir`, or a new PostgreSQL database when `DATABASE_URL` is set.
pub async fn fresh_database(dir: &std::path::Path) -> (String, Option<PgScratchHandle>) {
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let name = format!("bidhall_t_{}", uuid_like());
            let mut c = sqlx::AnyConnection::connect(&url)
                .await
                .expect("PostgreSQL reachable");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            let base = url.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
            (
                format!("{base}/{name}"),
                Some(PgScratchHandle(PgScratch {
                    admin_url: url,
                    name,
                })),
            )
        }
        _ => (format!("sqlite://{}", dir.join("hall.db").display()), None),
    }
}

pub struct PgScratchHandle(PgScratch);

fn uuid_like() -> String {
    let mut b = [0u8; 8];
    bidhall::identity::session::fill_random(&mut b);
    hex::encode(b)
}

/// A valid unified social credit code: `base` (17 characters) and its check character.
pub fn credit_code(base: &str) -> String {
    bidhall::identity::CreditCode::with_check_character(base)
}

pub fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// The stable error code of a refusal.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        Self::spawn_at(ts(START), configure).await
    }

    /// A hall whose clock starts at `start` (the browser test starts at the real time).
    pub async fn spawn_at(start: Timestamp, configure: impl FnOnce(&mut ServeArgs)) -> TestApp {
        Self::start(start, configure, false).await
    }

    /// The hall `serve --demo` shows: the demo's tenders at every stage of their lives, the
    /// sandbox bank mounted, the draws conducted by hand.
    pub async fn spawn_demo_hall() -> TestApp {
        let demo = |a: &mut ServeArgs| {
            a.demo = true;
            a.draw_conductor_ms = 0;
        };
        Self::start(ts(START), demo, true).await
    }

    async fn start(
        start: Timestamp,
        configure: impl FnOnce(&mut ServeArgs),
        whole_hall: bool,
    ) -> TestApp {
        if std::env::var("TEST_LOG").is_ok() {
            bidhall::telemetry::init("text");
        }
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = fresh_database(dir.path()).await;
        let mut args = ServeArgs::for_store(StoreArgs {
            database_url: Some(url),
            data_dir: dir.path().to_path_buf(),
            object_store: object_store(),
        });
        configure(&mut args);
        // The demo hall's sessions run on real time, as `serve --demo`'s do: moving its clock
        // signs nobody out.
        let clock = Arc::new(if whole_hall {
            ManualClock::with_real_sessions(start)
        } else {
            ManualClock::new(start)
        });
        let app = bidhall::server::state(&args, clock.clone()).await.unwrap();
        let loading = std::time::Instant::now();
        if whole_hall {
            assert!(bidhall::demo::load_hall(&app).await.unwrap());
        } else {
            bidhall::demo::load(&app).await.unwrap();
        }
        let loaded_in = loading.elapsed();
        // Boxes already past their deadline close now, not at some moment during the test.
        bidhall::bids::closing::close_due_boxes(&app).await.unwrap();
        bidhall::opening::service::advance_due(&app).await.unwrap();
        let running = bidhall::server::spawn(app.clone()).await.unwrap();
        TestApp {
            base: format!("http://{}", running.addr),
            args: args.clone(),
            app,
            clock,
            client: reqwest::Client::new(),
            loaded_in,
            _dir: dir,
            _pg: pg.map(|h| h.0),
        }
    }

    pub fn now(&self) -> Timestamp {
        bidhall::clock::Clock::now(&*self.clock)
    }

    pub fn advance_days(&self, days: i64) {
        self.clock.advance_millis(days * DAY_MS);
    }

    pub async fn request(
        &self,
        method: Method,
        path: impl AsRef<str>,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path.as_ref()));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status();
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Reply { status, body }
    }

    /// Entries in the audit log now.
    pub async fn log_size(&self) -> i64 {
        self.app.store.audit_size().await.unwrap()
    }

    pub async fn get(&self, path: impl AsRef<str>, token: Option<&str>) -> Reply {
        self.request(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: impl AsRef<str>, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, Some(body)).await
    }

    /// Signs in a demo user and returns the bearer token.
    pub async fn sign_in(&self, login: &str) -> String {
        let r = self
            .post(
                "/api/session",
                None,
                json!({ "login": login, "password": bidhall::demo::password() }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "sign in {login}: {:?}", r.body);
        r.body["token"].as_str().unwrap().to_string()
    }

    pub async fn org_id(&self, role: &str, name_contains: &str) -> String {
        let t = self.sign_in("platform").await;
        let r = self
            .get(&format!("/api/organisations?role={role}"), Some(&t))
            .await;
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["name"].as_str().unwrap().contains(name_contains))
            .unwrap_or_else(|| panic!("no {role} named {name_contains}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// The demo project run by the demo agent (owner `owner`, agent `agent`).
    pub async fn school_project(&self, token: &str) -> String {
        let r = self.get("/api/projects", Some(token)).await;
        r.body
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["code"] == "HN-2026-JY-017")
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string()
    }

    /// A legal tender spec for now: documents on sale for 7 days, deadline in 25 days.
    pub async fn spec(&self, title: &str) -> Value {
        let now = self.now();
        let day = |d: i64| now.plus_days(d).to_rfc3339();
        let supervisor = self.org_id("supervisor", "住房").await;
        let witness = self.org_id("witness", "公证").await;
        json!({
            "title": title,
            "description": "工程概况",
            "category": "construction",
            "region": "沈阳市",
            "qualification": "二级资质",
            "evaluation_method": { "kind": "lowest_evaluated_price" },
            "schedule": { "docs_from": day(0), "docs_to": day(7), "clarification_deadline": day(12), "bid_deadline": day(25) },
            "lots": [ { "name": "第一标段", "estimate_fen": 100_000_000, "bid_bond_fen": 2_000_000 } ],
            "custodians": { "k": 3, "members": [
                { "kind": "time_release" }, { "kind": "agent" },
                { "kind": "supervisor", "org_id": supervisor }, { "kind": "witness", "org_id": witness } ] },
            "supervisor_org_id": supervisor,
        })
    }

    /// The agent drafts a tender on the school project; returns the tender.
    pub async fn draft_tender(&self, agent: &str, spec: Value) -> Value {
        let project = self.school_project(agent).await;
        let r = self
            .post(
                "/api/tenders",
                Some(agent),
                json!({ "project_id": project, "spec": spec }),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body
    }

    /// The agent drafts and publishes a legal tender; returns the published tender.
    pub async fn publish_tender(&self, agent: &str, title: &str) -> Value {
        let spec = self.spec(title).await;
        let t = self.draft_tender(agent, spec).await;
        let r = self
            .post(
                &format!("/api/tenders/{}/publish", t["id"].as_str().unwrap()),
                Some(agent),
                json!({ "version": t["version"] }),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body
    }
}

/// Chromium's path, if it and playwright-core are installed to run `script` (web/test/browser);
/// `None` skips the test, unless `BIDHALL_BROWSER_TEST=1` (as in CI), where their absence fails it.
pub fn chromium_for(script: &str) -> Option<String> {
    let required = std::env::var("BIDHALL_BROWSER_TEST").is_ok_and(|v| v == "1");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let root = env!("CARGO_MANIFEST_DIR");
    if std::path::Path::new(&chromium).exists()
        && std::path::Path::new(&format!("{root}/web/node_modules/playwright-core")).exists()
    {
        return Some(chromium);
    }
    assert!(
        !required,
        "BIDHALL_BROWSER_TEST=1 but Chromium or playwright-core is missing"
    );
    eprintln!("skipping {script}: Chromium or web/node_modules/playwright-core missing");
    None
}

/// Runs `web/test/browser/<script>` against `base` with `env` (plus `BIDHALL_URL`, `CHROMIUM` and
/// `BIDHALL_SCREENSHOT` = target/browser/<shot>.png) for at most `seconds`; fails the test with
/// the script's output unless it succeeds and saved its screenshot.
pub async fn run_browser_script(
    chromium: &str,
    script: &str,
    shot: &str,
    base: &str,
    env: &[(&str, String)],
    seconds: u64,
) {
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::create_dir_all(format!("{root}/target/browser")).unwrap();
    let shot = format!("{root}/target/browser/{shot}.png");
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(format!("{root}/web/test/browser/{script}"))
        .env("BIDHALL_URL", base)
        .env("BIDHALL_SCREENSHOT", &shot)
        .env("CHROMIUM", chromium)
        .kill_on_drop(true);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(std::time::Duration::from_secs(seconds), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("{script} timed out"))
        .unwrap();
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{log}");
    assert!(std::path::Path::new(&shot).exists(), "screenshot saved");
}

/// The audit log's verifier key, as `GET /api/log/key` serves it (to check signatures offline).
pub async fn log_key(app: &TestApp) -> String {
    app.client
        .get(format!("{}/api/log/key", app.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}
