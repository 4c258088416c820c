//! The embedded default: one SQLite file in WAL mode with full fsync at commit (a receipt is a
//! promise), a single writer connection and a pool of readers.

use super::commit::GroupCommit;
use super::sql::{Dialect, SqlStore};
use super::StoreError;
use sqlx::any::AnyPoolOptions;
use sqlx::Executor;

const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "backbone",
        include_str!("../../migrations/sqlite/0001_backbone.sql"),
    ),
    (
        2,
        "transparency log",
        include_str!("../../migrations/sqlite/0002_transparency_log.sql"),
    ),
    (
        3,
        "board search",
        include_str!("../../migrations/sqlite/0003_board_search.sql"),
    ),
    (
        4,
        "bid box",
        include_str!("../../migrations/sqlite/0004_bid_box.sql"),
    ),
    (
        5,
        "draws",
        include_str!("../../migrations/sqlite/0005_draws.sql"),
    ),
    (
        6,
        "opening",
        include_str!("../../migrations/sqlite/0006_opening.sql"),
    ),
    (
        7,
        "bonds ledger",
        include_str!("../../migrations/sqlite/0007_bonds_ledger.sql"),
    ),
    (
        8,
        "guarantees",
        include_str!("../../migrations/sqlite/0008_guarantees.sql"),
    ),
    (
        9,
        "award",
        include_str!("../../migrations/sqlite/0009_award.sql"),
    ),
    (
        10,
        "reconciliations",
        include_str!("../../migrations/sqlite/0010_reconciliations.sql"),
    ),
    (
        11,
        "award events by kind",
        include_str!("../../migrations/sqlite/0011_award_events_by_kind.sql"),
    ),
    (
        12,
        "sealed log entries",
        include_str!("../../migrations/sqlite/0012_sealed_log_entries.sql"),
    ),
    (
        13,
        "draw sealed pools",
        include_str!("../../migrations/sqlite/0013_draw_sealed_pools.sql"),
    ),
    (
        14,
        "org name key",
        include_str!("../../migrations/sqlite/0014_org_name_key.sql"),
    ),
    (
        15,
        "write record",
        include_str!("../../migrations/sqlite/0015_write_record.sql"),
    ),
    (
        16,
        "disputes",
        include_str!("../../migrations/sqlite/0016_disputes.sql"),
    ),
    (
        17,
        "reactions",
        include_str!("../../migrations/sqlite/0017_reactions.sql"),
    ),
    (
        18,
        "inbox",
        include_str!("../../migrations/sqlite/0018_inbox.sql"),
    ),
];

pub async fn open(url: &str) -> Result<SqlStore, StoreError> {
    sqlx::any::install_default_drivers();
    create_parent_dir(url)?;
    let url = if url.contains('?') {
        url.to_string()
    } else {
        format!("{url}?mode=rwc")
    };
    fn pragmas<'c>(
        conn: &'c mut sqlx::AnyConnection,
        _meta: sqlx::pool::PoolConnectionMetadata,
    ) -> futures_util::future::BoxFuture<'c, Result<(), sqlx::Error>> {
        Box::pin(async move {
            conn.execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                 PRAGMA mmap_size = 268435456; PRAGMA cache_size = -16000;",
            )
            .await?;
            Ok(())
        })
    }
    let write = AnyPoolOptions::new()
        .max_connections(1)
        .after_connect(pragmas)
        .connect(&url)
        .await?;
    super::migrate(&write, MIGRATIONS).await?;
    super::sql::backfill_grams(&write).await?;
    super::sql::backfill_name_keys(&write).await?;
    let read = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(pragmas)
        .connect(&url)
        .await?;
    Ok(SqlStore {
        commit: GroupCommit::start(write.clone(), Dialect::Sqlite),
        write,
        read,
        dialect: Dialect::Sqlite,
    })
}

fn create_parent_dir(url: &str) -> Result<(), StoreError> {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Ok(());
    }
    if let Some(parent) = std::path::Path::new(path).parent() {
        if !parent.as_os_str().is_empty() {
            crate::keyfile::private_dir(parent).map_err(|e| {
                StoreError::Unavailable(format!("cannot create the data directory: {e}"))
            })?;
        }
    }
    Ok(())
}
