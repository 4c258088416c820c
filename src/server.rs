//! Starting the hall: open the store, build the state, bind, serve until shutdown. Shared by
//! `main.rs`, the tests' TestApp and the benchmark, so all three run the same server.

use crate::app::AppState;
use crate::blobs::LocalDir;
use crate::clock::Clock;
use crate::config::ServeArgs;
use crate::store::{self, StoreError};
use std::net::SocketAddr;
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
}

/// Opens the store and file storage named by `args` and builds the application state.
pub async fn state(args: &ServeArgs, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
    let store = store::open(&args.store.database_url()).await?;
    let blobs = Arc::new(LocalDir::new(args.store.data_dir.join("blobs"))?);
    Ok(AppState::new(store, blobs, clock, args.clone()))
}

pub struct Running {
    pub addr: SocketAddr,
    pub task: JoinHandle<std::io::Result<()>>,
}

/// Binds `app.config.listen` and serves in the background until `app.shutdown` is cancelled.
pub async fn spawn(app: AppState) -> Result<Running, StartError> {
    let listener = TcpListener::bind(&app.config.listen).await?;
    let addr = listener.local_addr()?;
    let router = crate::http::router(app.clone());
    let shutdown = app.shutdown.clone();
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await
    });
    Ok(Running { addr, task })
}
