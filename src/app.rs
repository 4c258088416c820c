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
    /// The hall's time-release custodian: in this process, or its own (`BIDHALL_TIME_CUSTODIAN_URL`).
    pub time_custodian: crate::bids::time_custodian::TimeRelease,
    /// This process's name among the hall's nodes (new at each start), the holder of the
    /// periodic jobs' leases it takes.
    pub node: String,
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
            time_custodian: crate::bids::time_custodian::TimeRelease::of(&config),
            store,
            blobs,
            clock,
            config,
            log,
            board: Default::default(),
            openings: Default::default(),
            shutdown: CancellationToken::new(),
            banks: Default::default(),
            node: uuid::Uuid::now_v7().to_string(),
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
    /// Runs `step` every `every` until shutdown, a late tick not made up, on the node that holds
    /// `job`'s lease: the hall's watchers (checkpoints, closing boxes, openings, draws) each hand
    /// their step to this. Of several nodes on one database exactly one runs a job; when it dies
    /// its lease runs out (`lease_for`) and the next node to tick takes the job over; a node that
    /// shuts down gives its leases up at once (src/store/leases.rs, docs/operations.md).
    pub fn every<F, Fut>(
        &self,
        job: &'static str,
        every: std::time::Duration,
        step: F,
    ) -> tokio::task::JoinHandle<()>
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
                    _ = app.shutdown.cancelled() => {
                        if let Err(e) = app.store.release_job(job, &app.node).await {
                            tracing::warn!(job, error = %e, "could not give the job's lease up");
                        }
                        break;
                    }
                    _ = tick.tick() => {
                        if app.holds(job, every).await {
                            step(app.clone()).await;
                        }
                    }
                }
            }
        })
    }

    /// Claims or renews `job`'s lease for this node; false when another node holds it (or the
    /// store cannot say: the step would fail too).
    async fn holds(&self, job: &'static str, every: std::time::Duration) -> bool {
        let now = crate::clock::Clock::now(&crate::clock::SystemClock).millis();
        let until = now + lease_for(every).as_millis() as i64;
        match self.store.claim_job(job, &self.node, now, until).await {
            Ok(held) => held,
            Err(e) => {
                tracing::warn!(job, error = %e, "could not claim the job's lease");
                false
            }
        }
    }
}

/// How long a job's lease lasts past a claim: two periods and ten seconds, so a node that ticks
/// a little late keeps its job, and a node that died loses it within that time.
pub fn lease_for(every: std::time::Duration) -> std::time::Duration {
    every * 2 + std::time::Duration::from_secs(10)
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
