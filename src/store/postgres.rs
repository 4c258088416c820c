//! PostgreSQL, for production and for several `bidhall serve` processes sharing one database.

use super::commit::GroupCommit;
use super::sql::{Dialect, SqlStore};
use super::StoreError;
use sqlx::any::AnyPoolOptions;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "backbone",
        include_str!("../../migrations/postgres/0001_backbone.sql"),
    ),
    (
        2,
        "transparency log",
        include_str!("../../migrations/postgres/0002_transparency_log.sql"),
    ),
    (
        3,
        "board search",
        include_str!("../../migrations/postgres/0003_board_search.sql"),
    ),
    (
        4,
        "bid box",
        include_str!("../../migrations/postgres/0004_bid_box.sql"),
    ),
    (
        5,
        "draws",
        include_str!("../../migrations/postgres/0005_draws.sql"),
    ),
    (
        6,
        "opening",
        include_str!("../../migrations/postgres/0006_opening.sql"),
    ),
    (
        7,
        "bonds ledger",
        include_str!("../../migrations/postgres/0007_bonds_ledger.sql"),
    ),
    (
        8,
        "guarantees",
        include_str!("../../migrations/postgres/0008_guarantees.sql"),
    ),
    (
        9,
        "award",
        include_str!("../../migrations/postgres/0009_award.sql"),
    ),
    (
        10,
        "reconciliations",
        include_str!("../../migrations/postgres/0010_reconciliations.sql"),
    ),
    (
        11,
        "award events by kind",
        include_str!("../../migrations/postgres/0011_award_events_by_kind.sql"),
    ),
    (
        12,
        "sealed log entries",
        include_str!("../../migrations/postgres/0012_sealed_log_entries.sql"),
    ),
    (
        13,
        "draw sealed pools",
        include_str!("../../migrations/postgres/0013_draw_sealed_pools.sql"),
    ),
    (
        14,
        "org name key",
        include_str!("../../migrations/postgres/0014_org_name_key.sql"),
    ),
    (
        15,
        "write record",
        include_str!("../../migrations/postgres/0015_write_record.sql"),
    ),
    (
        16,
        "disputes",
        include_str!("../../migrations/postgres/0016_disputes.sql"),
    ),
    (
        17,
        "reactions",
        include_str!("../../migrations/postgres/0017_reactions.sql"),
    ),
    (
        18,
        "inbox",
        include_str!("../../migrations/postgres/0018_inbox.sql"),
    ),
    (
        19,
        "job_leases",
        include_str!("../../migrations/postgres/0019_job_leases.sql"),
    ),
];

pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
    sqlx::any::install_default_drivers();
    let pool = AnyPoolOptions::new()
        .max_connections(16)
        .acquire_timeout(std::time::Duration::from_secs(10))
        .connect(url)
        .await?;
    super::migrate(&pool, MIGRATIONS).await?;
    super::sql::backfill_grams(&pool).await?;
    super::sql::backfill_name_keys(&pool).await?;
    Ok(SqlStore {
        commit: GroupCommit::start(pool.clone(), Dialect::Postgres),
        write: pool.clone(),
        read: pool,
        dialect: Dialect::Postgres,
    })
}

/// Listens on `channel` and hands each payload to `deliver`, reconnecting after a failure; after
/// a reconnect it delivers `None`, because notifications sent meanwhile are lost (the receiver
/// then re-reads what it watches from the store). Runs until `shutdown`.
pub fn listen(
    url: String,
    channel: &'static str,
    shutdown: tokio_util::sync::CancellationToken,
    deliver: impl Fn(Option<String>) + Send + 'static,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut delay = std::time::Duration::from_millis(100);
        let mut first = true;
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect(&url).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for other processes' events");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                    continue;
                }
            };
            if let Err(e) = listener.listen(channel).await {
                tracing::warn!(error = %e, "LISTEN failed");
                continue;
            }
            if !first {
                deliver(None);
            }
            first = false;
            delay = std::time::Duration::from_millis(100);
            loop {
                tokio::select! {
                    _ = shutdown.cancelled() => return,
                    n = listener.try_recv() => match n {
                        Ok(Some(n)) => deliver(Some(n.payload().to_string())),
                        // The connection dropped: reconnect, and tell the receiver it may have missed some.
                        Ok(None) | Err(_) => break,
                    }
                }
            }
        }
    })
}
