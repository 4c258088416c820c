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
    /// The banks bonds are paid through, and the hall's sub-account secret.
    pub banks: Arc<crate::bonds::directory::BankDirectory>,
    /// Failed sign-ins and self-registrations, per login and per address.
    pub throttle: crate::identity::throttle::Throttle,
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
            throttle: crate::identity::throttle::Throttle::new(config.registrations_per_hour),
            store,
            blobs,
            clock,
            config,
            log,
            board: Default::default(),
            openings: Default::default(),
            shutdown: CancellationToken::new(),
            banks: Default::default(),
        }))
    }

    /// Sets the bank directory while the state is not yet shared (at start-up).
    pub fn with_banks(mut self, banks: Arc<crate::bonds::directory::BankDirectory>) -> Self {
        if let Some(inner) = Arc::get_mut(&mut self.0) {
            inner.banks = banks;
        }
        self
    }
}

impl AppState {
    /// Runs `step` every `every` until shutdown, a late tick not made up: the hall's watchers
    /// (checkpoints, closing boxes, openings, draws) each hand their step to this.
    pub fn every<F, Fut>(&self, every: std::time::Duration, step: F) -> tokio::task::JoinHandle<()>
    where
        F: Fn(AppState) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let app = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = app.shutdown.cancelled() => break,
                    _ = tick.tick() => step(app.clone()).await,
                }
            }
        })
    }
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
