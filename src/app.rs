//! The application's shared state: the store, file storage, clock and settings, cheap to clone.
//! Use cases receive it; HTTP handlers get it from axum's `State`.

use crate::auditlog::service::LogKeys;
use crate::blobs::BlobStore;
use crate::clock::Clock;
use crate::config::ServeArgs;
use crate::store::Store;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    pub clock: Arc<dyn Clock>,
    pub config: ServeArgs,
    /// The audit log's signing key and accepted witnesses.
    pub log: Arc<LogKeys>,
    /// Recent answers of the public notice board.
    pub board: crate::tenders::board::BoardCache,
    /// Live openings' events, fanned out to this process's sockets.
    pub openings: crate::opening::hub::OpeningHub,
    /// Cancelled on shutdown; background tasks and websockets watch it.
    pub shutdown: CancellationToken,
}

impl AppState {
    pub fn new(
        store: Arc<dyn Store>,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        config: ServeArgs,
        log: Arc<LogKeys>,
    ) -> Self {
        AppState(Arc::new(Inner {
            store,
            blobs,
            clock,
            config,
            log,
            board: Default::default(),
            openings: Default::default(),
            shutdown: CancellationToken::new(),
        }))
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
