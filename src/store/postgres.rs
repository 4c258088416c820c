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
    Ok(SqlStore {
        commit: GroupCommit::start(pool.clone(), Dialect::Postgres),
        write: pool.clone(),
        read: pool,
        dialect: Dialect::Postgres,
    })
}
