//! Several `serve` processes on one database (docs/operations.md): a node that joins a hall
//! already started refuses to run without the hall's shared secrets, naming each, instead of
//! making new ones; and each periodic job is leased to one node at a time, taken over when that
//! node's lease runs out.

use crate::common::*;
use bidhall::config::{ServeArgs, StoreArgs};
use bidhall::server::StartError;
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
