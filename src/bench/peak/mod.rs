//! `bidhall bench peak`: a city's busiest morning, scaled to this machine, on one node or two.
//!
//! 1. **Openings at the same minute.** Many tenders share one opening time, each with a few
//!    sealed bids of several MiB and a room of websocket observers. At the opening time the
//!    custodians of every tender release their shares at once; timed until each observer has
//!    seen each bid announced. Beside it, one opening of the same shape alone in the same hall
//!    (the opening bench's single ceremony). Runs the hall in this process on a settable clock;
//!    with two nodes, the second on its own runtime, sharing the database, the object store and
//!    the clock, and the requests spread between them.
//! 2. **The deadline rush.** Many bids across many tenders in the last minutes before their
//!    deadline, sent on a schedule (open loop) to real `bidhall serve` processes, one of which
//!    is killed with SIGKILL halfway and started again; a tenderer whose request failed sends
//!    the same envelope to the next node. Every receipt is then looked up in the database: none
//!    may be missing. Beside it, the raw single-row insert rate of the same database.
//!
//! Prints its figures; fails only when a bid is lost or an observer misses an announcement.

mod openings;
mod rush;

use crate::bench::bids::{
    post, publish_tender, register_custodian_keys, sign_in, Bidder, Custodians,
};
use crate::bench::{err, BenchError};
use crate::config::{PeakBenchArgs, StoreArgs};
use crate::sealbox::envelope::{self, SealParams};
use crate::sealbox::keys::{CustodianPublicKey, TendererSigningKey};
use futures_util::StreamExt;
use ring::rand::SystemRandom;
use serde_json::json;
use std::sync::Arc;

pub async fn run(args: PeakBenchArgs) -> Result<(), BenchError> {
    if args.nodes == 0 || args.nodes > 2 {
        return Err(err("--nodes is 1 or 2"));
    }
    if args.openings > 0 && args.bids_per_opening < 3 {
        return Err(err(
            "--bids-per-opening is at least 3: with fewer the tender fails at its opening (条例 第四十四条)",
        ));
    }
    if args.nodes == 2 && (args.store.database_url.is_none() || args.store.object_store.is_none()) {
        return Err(err(
            "two nodes share one PostgreSQL database and one object store: set DATABASE_URL and BIDHALL_OBJECT_STORE",
        ));
    }
    let backend = match &args.store.database_url {
        Some(u) if u.starts_with("postgres") => "PostgreSQL",
        _ => "SQLite",
    };
    println!(
        "bidhall bench peak: {backend}, {} node{}, files {}",
        args.nodes,
        if args.nodes == 1 { "" } else { "s" },
        if args.store.object_store.is_some() {
            "on the object store"
        } else {
            "in the data directory"
        }
    );
    // Each part on a database of its own: on PostgreSQL, a scratch database made for it on the
    // given server and dropped afterwards.
    if args.openings > 0 {
        let db = ScratchDatabase::make(&args.store, "openings").await?;
        let r = openings::openings(&db.args(&args)).await;
        db.drop().await;
        r?;
    }
    if args.rush_bids > 0 {
        let db = ScratchDatabase::make(&args.store, "rush").await?;
        let r = rush::rush(&db.args(&args)).await;
        db.drop().await;
        r?;
    }
    Ok(())
}

/// A PostgreSQL database made for one part of the bench (SQLite: nothing, each part has its
/// own directory).
struct ScratchDatabase {
    admin: Option<(String, String)>,
}

impl ScratchDatabase {
    async fn make(store: &StoreArgs, part: &str) -> Result<Self, BenchError> {
        let Some(url) = store
            .database_url
            .as_ref()
            .filter(|u| u.starts_with("postgres"))
        else {
            return Ok(ScratchDatabase { admin: None });
        };
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let name = format!("bidhall_peak_{part}_{}", std::process::id());
        let mut c = sqlx::AnyConnection::connect(url).await.map_err(err)?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .map_err(err)?;
        Ok(ScratchDatabase {
            admin: Some((url.clone(), name)),
        })
    }

    fn args(&self, args: &PeakBenchArgs) -> PeakBenchArgs {
        let mut args = args.clone();
        if let Some((url, name)) = &self.admin {
            let server = url.rsplit_once('/').map_or(url.as_str(), |(s, _)| s);
            args.store.database_url = Some(format!("{server}/{name}"));
        }
        args
    }

    async fn drop(self) {
        use sqlx::Connection;
        if let Some((url, name)) = self.admin {
            if let Ok(mut c) = sqlx::AnyConnection::connect(&url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut c)
                    .await;
            }
        }
    }
}

/// A tender ready for bids: where to send them and what to seal them with.
#[derive(Clone)]
struct Ready {
    tender: String,
    lot: String,
    custodians: Vec<CustodianPublicKey>,
}

fn seal(
    ready: &Ready,
    bidder_org: &str,
    signer: &[u8],
    payload: &[u8],
) -> Result<Vec<u8>, BenchError> {
    let rng = SystemRandom::new();
    let signer = TendererSigningKey::from_pkcs8(signer, &rng).map_err(err)?;
    let params = SealParams {
        tender_id: ready.tender.clone(),
        lot_id: ready.lot.clone(),
        tenderer_id: bidder_org.to_string(),
        custodians: ready.custodians.clone(),
        k: 3,
    };
    let mut out = Vec::with_capacity(payload.len() + 64 * 1024);
    envelope::seal(
        &params,
        &signer,
        payload,
        payload.len() as u64,
        &mut out,
        &rng,
    )
    .map_err(err)?;
    Ok(out)
}

/// A sealed bid sent for `tender` by `bidder` to the node at `node`.
fn post_bid(
    c: &reqwest::Client,
    node: &str,
    tender: &Ready,
    bidder: &Bidder,
    sealed: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    c.post(format!(
        "{node}/api/tenders/{}/lots/{}/bid",
        tender.tender, tender.lot
    ))
    .bearer_auth(&bidder.token)
    .header("content-type", "application/octet-stream")
    .body(sealed)
}

/// Tenders published and their custodian keys registered, `parallel` at a time.
async fn prepare_tenders(
    c: &reqwest::Client,
    base: &str,
    custodians: &Arc<Custodians>,
    deadlines: Vec<(i64, crate::domain::Timestamp)>,
) -> Result<Vec<Ready>, BenchError> {
    let agent = sign_in(c, base, "agent").await?;
    let jobs = deadlines.into_iter().map(|(days, now)| {
        let (c, base, agent, custodians) = (
            c.clone(),
            base.to_string(),
            agent.clone(),
            custodians.clone(),
        );
        async move {
            let (tender, lot) = publish_tender(&c, &base, &agent, now, days).await?;
            let keys = register_custodian_keys(&c, &base, &custodians, &tender).await?;
            Ok::<_, BenchError>(Ready {
                tender,
                lot,
                custodians: keys,
            })
        }
    });
    futures_util::stream::iter(jobs)
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

/// Every bidder obtains every tender's documents, `parallel` requests at a time.
async fn obtain_all(
    c: &reqwest::Client,
    base: &str,
    bidders: &[Bidder],
    tenders: &[Ready],
) -> Result<(), BenchError> {
    let jobs = bidders.iter().flat_map(|b| {
        tenders.iter().map(move |t| {
            post(
                c,
                format!("{base}/api/tenders/{}/obtain", t.tender),
                Some(&b.token),
                json!({}),
            )
        })
    });
    for r in futures_util::stream::iter(jobs)
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await
    {
        r?;
    }
    Ok(())
}
