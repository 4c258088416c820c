//! Several `serve` processes on one database (docs/operations.md): a node that joins a hall
//! already started refuses to run without the hall's shared secrets, naming each, instead of
//! making new ones; and each periodic job is leased to one node at a time, taken over when that
//! node's lease runs out.

use crate::common::*;
use bidhall::config::{ServeArgs, StoreArgs};
use bidhall::server::StartError;
use reqwest::StatusCode;
use std::sync::Arc;

/// A second node: the first node's database, a data directory of its own.
fn second_node(first: &TestApp, dir: &std::path::Path) -> ServeArgs {
    ServeArgs::for_store(StoreArgs {
        database_url: Some(first.args.store.database_url()),
        data_dir: dir.to_path_buf(),
        object_store: first.args.store.object_store.clone(),
    })
}

#[tokio::test]
async fn a_node_joining_a_started_hall_refuses_to_run_without_its_shared_secrets() {
    let first = TestApp::spawn().await;
    let dir = tempfile::tempdir().unwrap();
    let mut args = second_node(&first, dir.path());
    let clock = Arc::new(bidhall::clock::ManualClock::new(first.now()));
    let refused = |r: Result<bidhall::app::AppState, StartError>| match r {
        Err(e @ StartError::NotShared { .. }) => e.to_string(),
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("a node without the hall's secrets started"),
    };
    // no log key: it is named, with its setting, and none is made
    let why = refused(bidhall::server::state(&args, clock.clone()).await);
    assert!(why.contains("audit log's signing key"), "{why}");
    assert!(why.contains("BIDHALL_LOG_KEY_FILE"), "{why}");
    assert!(!dir.path().join("keys/log.key").exists());
    // the first node's key, named by its setting: now the hall's secret is missing
    args.log.log_key_file = Some(first.args.log.key_file(&first.args.store));
    let why = refused(bidhall::server::state(&args, clock.clone()).await);
    assert!(why.contains("hall's secret"), "{why}");
    assert!(why.contains("BIDHALL_HALL_SECRET_FILE"), "{why}");
    assert!(!dir.path().join("hall.secret").exists());
    // with both, the node starts and derives the same sub-accounts as the first
    args.hall_secret_file = Some(first.args.hall_secret_file());
    let second = bidhall::server::state(&args, clock).await.unwrap();
    let sign =
        |app: &bidhall::app::AppState| bidhall::bonds::bank::sign(app.banks.hall_secret(), 1, b"x");
    assert_eq!(sign(&second), sign(&first.app));
}

#[tokio::test]
async fn a_periodic_job_is_leased_to_one_node_and_taken_over_when_its_lease_runs_out() {
    let first = TestApp::spawn().await;
    let a = &*first.app.store;
    let b = bidhall::store::open(&first.args.store.database_url())
        .await
        .unwrap();
    let shared = a.backend() == "postgres";
    assert!(a
        .claim_job("test_job", "node-a", 1_000, 2_000)
        .await
        .unwrap());
    // on PostgreSQL another node is refused while the lease runs; SQLite is one process's file
    assert_eq!(
        b.claim_job("test_job", "node-b", 1_500, 2_500)
            .await
            .unwrap(),
        !shared
    );
    if !shared {
        return;
    }
    // the holder renews; the other waits until the lease has run out, then takes the job over
    assert!(a
        .claim_job("test_job", "node-a", 1_600, 3_000)
        .await
        .unwrap());
    assert!(!b
        .claim_job("test_job", "node-b", 2_999, 4_000)
        .await
        .unwrap());
    assert!(b
        .claim_job("test_job", "node-b", 3_001, 4_000)
        .await
        .unwrap());
    assert!(!a
        .claim_job("test_job", "node-a", 3_002, 5_000)
        .await
        .unwrap());
    // a node that shuts down gives its job up at once
    b.release_job("test_job", "node-b").await.unwrap();
    assert!(a
        .claim_job("test_job", "node-a", 3_003, 5_000)
        .await
        .unwrap());
    // the running hall's closer holds its job: another node does not get it now
    let now = bidhall::clock::Clock::now(&bidhall::clock::SystemClock).millis();
    assert!(!b
        .claim_job("closer", "node-b", now, now + 1_000)
        .await
        .unwrap());
}

/// A node of its own: its own runtime, connection pool and data directory, on the first node's
/// database, object store, clock and shared secrets. Killing it drops its runtime without a
/// shutdown: its connections vanish mid-flight and it gives nothing up (its leases run out), as
/// the database and the object store see a process killed with SIGKILL.
struct Node {
    addr: std::net::SocketAddr,
    id: String,
    kill: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Node {
    fn start(first: &TestApp) -> Node {
        let dir = tempfile::tempdir().unwrap();
        let mut args = second_node(first, dir.path());
        args.log.log_key_file = Some(first.args.log.key_file(&first.args.store));
        args.hall_secret_file = Some(first.args.hall_secret_file());
        args.time_custodian_dir = Some(first.args.time_custodian_dir());
        args.time_custodian_url = first.args.time_custodian_url.clone();
        args.time_custodian_token = first.args.time_custodian_token.clone();
        let clock: Arc<dyn bidhall::clock::Clock> = first.clock.clone();
        let (started, on_start) = std::sync::mpsc::channel();
        let (kill, killed) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                let app = bidhall::server::state(&args, clock).await.unwrap();
                let running = bidhall::server::spawn(app.clone()).await.unwrap();
                started.send((running.addr, app.node.clone())).unwrap();
                let _ = killed.await;
            });
            rt.shutdown_background();
        });
        let (addr, id) = on_start.recv().unwrap();
        Node {
            addr,
            id,
            kill: Some(kill),
            thread: Some(thread),
            _dir: dir,
        }
    }

    fn kill(&mut self) {
        if let Some(k) = self.kill.take() {
            let _ = k.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A load balancer: each connection to the next node in turn, skipping a node that refuses (a dead
/// one). Returns its URL and how many connections each node took.
async fn balancer(
    nodes: Vec<std::net::SocketAddr>,
) -> (String, Arc<Vec<std::sync::atomic::AtomicUsize>>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let hits: Arc<Vec<AtomicUsize>> = Arc::new(nodes.iter().map(|_| AtomicUsize::new(0)).collect());
    let counts = hits.clone();
    tokio::spawn(async move {
        let next = AtomicUsize::new(0);
        loop {
            let Ok((mut client, _)) = listener.accept().await else {
                return;
            };
            let first = next.fetch_add(1, Ordering::Relaxed);
            let mut upstream = None;
            for k in 0..nodes.len() {
                let i = (first + k) % nodes.len();
                if let Ok(s) = tokio::net::TcpStream::connect(nodes[i]).await {
                    counts[i].fetch_add(1, Ordering::Relaxed);
                    upstream = Some(s);
                    break;
                }
            }
            if let Some(mut server) = upstream {
                tokio::spawn(async move {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                });
            }
        }
    });
    (url, hits)
}

async fn lease_holder(app: &TestApp, job: &str) -> Option<String> {
    use sqlx::{Connection, Row};
    sqlx::any::install_default_drivers();
    let mut c = sqlx::AnyConnection::connect(&app.args.store.database_url())
        .await
        .unwrap();
    sqlx::query("SELECT holder FROM job_leases WHERE job = $1")
        .bind(job)
        .fetch_optional(&mut c)
        .await
        .unwrap()
        .map(|r| r.get::<String, _>(0))
}

/// Three nodes on one PostgreSQL database, one object store and one time-release custodian process
/// behind a round-robin balancer (CI
/// runs it so; elsewhere it needs `BIDHALL_OBJECT_STORE` and a PostgreSQL `DATABASE_URL`, and
/// `BIDHALL_MULTI_NODE_TEST=1` makes their absence a failure). A tender's documents and bids
/// arrive on every node; during the opening the node running the opening watcher is killed; the
/// survivor takes the watcher over when the lease runs out, the opening completes, every
/// receipted bid is opened, and each node serves the same documents, which none stores in the
/// clear.
#[tokio::test]
async fn three_nodes_run_a_tender_and_its_opening_survives_a_killed_node() {
    // One time-release custodian process for the deployment (on the test's clock), asked by every
    // node; the first node (this test's own) leaves the opening watcher to the other two.
    let clock = Arc::new(bidhall::clock::ManualClock::new(ts(START)));
    let (custodian, _, _custodian_dir) =
        spawn_time_custodian(clock.clone(), Some("nodes-test-token")).await;
    let mut app = TestApp::spawn_with(|a| {
        a.opening_watcher_ms = 0;
        a.time_custodian_url = Some(custodian);
        a.time_custodian_token = Some("nodes-test-token".into());
    })
    .await;
    let shared = app.app.store.backend() == "postgres" && app.args.store.object_store.is_some();
    if !shared {
        assert!(
            std::env::var("BIDHALL_MULTI_NODE_TEST").as_deref() != Ok("1"),
            "BIDHALL_MULTI_NODE_TEST=1 needs PostgreSQL (DATABASE_URL) and BIDHALL_OBJECT_STORE"
        );
        return;
    }
    let first_addr: std::net::SocketAddr = app.base.trim_start_matches("http://").parse().unwrap();
    let mut nodes = [Node::start(&app), Node::start(&app)];
    let (url, hits) = balancer(vec![first_addr, nodes[0].addr, nodes[1].addr]).await;
    app.base = url;
    // one connection per request, so that requests go round the nodes
    app.client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();

    let b = crate::bids::open_box(&app).await;
    let prices = [Some(98_000_000), Some(97_000_000), Some(96_000_000)];
    let bidders = crate::opening::bids_in(&app, &b, &prices, &[]).await;
    for (i, h) in hits.iter().enumerate() {
        assert!(
            h.load(std::sync::atomic::Ordering::Relaxed) > 5,
            "node {i} served requests"
        );
    }

    // The deadline: the box closes and the opening starts; one custodian releases.
    app.clock.set(b.deadline);
    clock.set(b.deadline);
    let (status, body) = crate::bids::release_as(&app, &b, "agent", 2, false).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut holder = None;
    for _ in 0..100 {
        holder = lease_holder(&app, "opening_watcher").await;
        if holder.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let holder = holder.expect("a node runs the opening watcher");
    let victim = nodes
        .iter()
        .position(|n| n.id == holder)
        .expect("the watcher runs on a node that has it switched on");
    nodes[victim].kill();
    let survivor = nodes[1 - victim].id.clone();

    // The other custodians release through whichever nodes are left.
    for (login, index) in [("supervisor", 3), ("witness", 4)] {
        let (status, body) = crate::bids::release_as(&app, &b, login, index, false).await;
        assert_eq!(status, StatusCode::OK, "{login}: {body}");
    }
    // The survivor takes the opening watcher over once the dead node's lease has run out.
    let mut taken = false;
    for _ in 0..300 {
        if lease_holder(&app, "opening_watcher").await.as_deref() == Some(survivor.as_str()) {
            taken = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(taken, "the surviving node took over the opening watcher");
    let mut phase = String::new();
    for _ in 0..300 {
        let s = app
            .get(format!("/api/tenders/{}/opening", b.tender), None)
            .await;
        phase = s.body["phase"].as_str().unwrap_or_default().to_string();
        if phase == "announced" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(phase, "announced");

    // Nothing receipted is lost: every bid is opened, at its price.
    let record = app
        .get(format!("/api/tenders/{}/opening/record", b.tender), None)
        .await;
    let lines = record.body.as_array().unwrap().clone();
    assert_eq!(lines.len(), 3, "{:?}", record.body);
    for (who, price) in bidders.iter().zip(prices) {
        let line = lines.iter().find(|l| l["org_id"] == who.org).unwrap();
        assert_eq!(line["outcome"]["status"], "opened", "{line}");
        assert_eq!(
            line["outcome"]["bid"]["price_fen"],
            serde_json::json!(price.unwrap()),
            "{line}"
        );
    }
    // Each live node serves a bid's documents, decrypted again from the shared envelope.
    let agent = app.sign_in("agent").await;
    let bid = lines[0]["bid_id"].as_str().unwrap();
    let mut served = Vec::new();
    for addr in [first_addr, nodes[1 - victim].addr] {
        let r = app
            .client
            .get(format!(
                "http://{addr}/api/tenders/{}/opening/documents/{bid}",
                b.tender
            ))
            .bearer_auth(&agent)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        served.push(r.bytes().await.unwrap());
    }
    assert!(!served[0].is_empty());
    assert_eq!(served[0], served[1]);
}
