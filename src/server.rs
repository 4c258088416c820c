//! Starting the hall: open the store, build the state, bind, serve until shutdown. Shared by
//! `main.rs`, the tests' TestApp and the benchmark, so all three run the same server.

mod connection;

use crate::app::AppState;
use crate::auditlog::service::LogKeys;
use crate::clock::Clock;
use crate::config::ServeArgs;
use crate::store::{self, StoreError};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("demo data: {0}")]
    Demo(String),
    #[error("audit log: {0}")]
    Log(#[from] crate::auditlog::service::LogError),
    #[error("file storage: {0}")]
    Storage(String),
    #[error("banks: {0}")]
    Banks(#[from] crate::bonds::directory::DirectoryError),
    #[error("this hall has started before, but {what} is not at {}: copy it from the first node (every node needs the same file) or name it with {setting} (docs/operations.md)", path.display())]
    NotShared {
        what: &'static str,
        path: PathBuf,
        setting: &'static str,
    },
}

/// Opens the store and file storage named by `args` and builds the application state.
pub async fn state(args: &ServeArgs, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
    crate::keyfile::private_dir(&args.store.data_dir)?;
    let store = store::open(&args.store.database_url()).await?;
    if let Some(db) = args.store.sqlite_file() {
        crate::keyfile::private_file(&db)?;
    }
    let blobs = crate::blobs::open(
        args.store.object_store.as_deref(),
        &args.store.data_dir.join("blobs"),
    )
    .map_err(StartError::Storage)?;
    // A hall whose database already holds an audit log has started before, on this node or
    // another: its shared secrets must be here already (copied from the first node, identical on
    // every node: docs/operations.md). Made anew, they would sign and derive sub-accounts
    // differently from the others'.
    if store.audit_size().await? > 0 {
        for (what, path, setting) in [
            (
                "the audit log's signing key",
                args.log.key_file(&args.store),
                "BIDHALL_LOG_KEY_FILE",
            ),
            (
                "the hall's secret",
                args.hall_secret_file(),
                "BIDHALL_HALL_SECRET_FILE",
            ),
        ] {
            if !path.exists() {
                return Err(StartError::NotShared {
                    what,
                    path,
                    setting,
                });
            }
        }
    }
    let keys = LogKeys::load_or_create(
        &args.log.key_file(&args.store),
        &args.log.log_origin,
        &args.log.witness_keys,
    )?;
    let checked = crate::auditlog::service::self_check(&*store, &keys).await?;
    tracing::info!(
        entries = checked,
        "audit log consistent with its latest checkpoint"
    );
    let banks = crate::bonds::directory::BankDirectory::load(
        &args.hall_secret_file(),
        &args.bank_secrets_dir(),
        &args.banks,
        args.demo || args.sandbox_bank,
        &args.listen,
    )?;
    Ok(
        AppState::new(store, blobs, clock, args.clone(), Arc::new(keys))
            .with_banks(Arc::new(banks)),
    )
}

pub struct Running {
    pub addr: SocketAddr,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Binds `app.config.listen` and serves in the background until `app.shutdown` is cancelled.
pub async fn spawn(app: AppState) -> Result<Running, StartError> {
    let listener = TcpListener::bind(&app.config.listen).await?;
    let addr = listener.local_addr()?;
    app.banks.bound_to(addr);
    let router = crate::http::router(app.clone());
    let router =
        crate::sandbox_bank::cli::mount_demo(router, &app, addr).map_err(StartError::Demo)?;
    let shutdown = app.shutdown.clone();
    let every = std::time::Duration::from_millis(app.config.log.checkpoint_ms.max(100));
    crate::auditlog::service::spawn_checkpointer(app.clone(), every);
    crate::bids::closing::spawn_closer(app.clone(), std::time::Duration::from_secs(1));
    if app.config.opening_watcher_ms > 0 {
        let every = std::time::Duration::from_millis(app.config.opening_watcher_ms);
        crate::opening::driver::spawn_watcher(app.clone(), every);
    }
    if app.store.backend() == "postgres" {
        let on = app.clone();
        crate::store::postgres::listen(
            app.config.store.database_url(),
            crate::store::NOTIFY_CHANNEL,
            app.shutdown.clone(),
            move |payload| crate::opening::driver::on_notification(&on, payload),
        );
    }
    if app.config.refund_sender_ms > 0 {
        let every = std::time::Duration::from_millis(app.config.refund_sender_ms);
        crate::bonds::adapter::spawn_sender(app.clone(), every);
        crate::reactions::dispatch::spawn_dispatcher(&app, every);
    }
    if app.config.notifier_ms > 0 {
        let every = std::time::Duration::from_millis(app.config.notifier_ms);
        crate::inbox::follow::spawn_notifier(&app, every);
    }
    if app.config.reconcile_every_seconds > 0 {
        let every = std::time::Duration::from_secs(app.config.reconcile_every_seconds);
        crate::bonds::daily::spawn_daily(app.clone(), every);
    }
    if app.config.draw_conductor_ms > 0 {
        let every = std::time::Duration::from_millis(app.config.draw_conductor_ms);
        crate::lottery::service::spawn_conductor(app.clone(), every);
    }
    let bounds = connection::Bounds::of(&app.config);
    let task = tokio::spawn(connection::serve(listener, router, bounds, shutdown));
    Ok(Running { addr, task })
}
