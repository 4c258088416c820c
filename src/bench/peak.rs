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

use super::bids::{
    custodians, get, post, publish_tender, register_bidder, register_custodian_keys, sign_in,
    Bidder, Custodians,
};
use super::{err, percentile, raw_inserts, scratch_hall, tempdir_under, BenchError};
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::{PeakBenchArgs, ServeArgs, StoreArgs};
use crate::domain::TenderId;
use crate::sealbox::envelope::{self, Header, SealParams};
use crate::sealbox::keys::{CustodianPublicKey, TendererSigningKey};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use futures_util::StreamExt;
use ring::rand::SystemRandom;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

const MIB: usize = 1024 * 1024;

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
        let r = openings(&db.args(&args)).await;
        db.drop().await;
        r?;
    }
    if args.rush_bids > 0 {
        let db = ScratchDatabase::make(&args.store, "rush").await?;
        let r = rush(&db.args(&args)).await;
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

// ---------------------------------------------------------------------------------------------
// 1. Openings at the same minute
// ---------------------------------------------------------------------------------------------

/// A second node in this process: its own runtime and data directory, the first node's
/// database, object store, clock and shared secrets.
struct SecondNode {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl SecondNode {
    fn start(first: &ServeArgs, clock: Arc<ManualClock>, dir: PathBuf) -> Result<Self, BenchError> {
        let mut args = ServeArgs::for_store(StoreArgs {
            database_url: first.store.database_url.clone(),
            data_dir: dir,
            object_store: first.store.object_store.clone(),
        });
        args.log.log_key_file = Some(first.log.key_file(&first.store));
        args.hall_secret_file = Some(first.hall_secret_file());
        args.bank_secrets_dir = Some(first.bank_secrets_dir());
        args.time_custodian_dir = Some(first.time_custodian_dir());
        args.max_bid_mib = first.max_bid_mib;
        args.registrations_per_hour = first.registrations_per_hour;
        let (started, on_start) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = started.send(Err(err(e)));
                    return;
                }
            };
            rt.block_on(async move {
                let clock: Arc<dyn Clock> = clock;
                let app = match crate::server::state(&args, clock).await {
                    Ok(app) => app,
                    Err(e) => {
                        let _ = started.send(Err(err(e)));
                        return;
                    }
                };
                match crate::server::spawn(app.clone()).await {
                    Ok(running) => {
                        let _ = started.send(Ok(format!("http://{}", running.addr)));
                        let _ = stopped.await;
                        app.shutdown.cancel();
                        let _ = running.task.await;
                    }
                    Err(e) => {
                        let _ = started.send(Err(err(e)));
                    }
                }
            });
        });
        let base = on_start
            .recv()
            .map_err(|_| err("the second node stopped while starting"))??;
        Ok(SecondNode {
            base,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for SecondNode {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// What the observers of one group of openings saw: for every (opening, bid) announcement,
/// when each observer had it, from the opening time.
struct Seen {
    per_arrival_ms: Vec<f64>,
    first_per_bid_ms: Vec<f64>,
    expected: usize,
}

async fn openings(args: &PeakBenchArgs) -> Result<(), BenchError> {
    let scratch = tempdir_under(&args.store.data_dir)?.join("openings");
    let mut store_args = args.store.clone();
    store_args.data_dir = scratch.join("node-1");
    let mut serve = ServeArgs::for_store(store_args);
    serve.max_bid_mib = 1024;
    serve.registrations_per_hour = args.bids_per_opening + 10;
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = scratch_hall(&serve, clock.clone()).await?;
    let running = crate::server::spawn(app.clone()).await.map_err(err)?;
    let mut bases = vec![format!("http://{}", running.addr)];
    let second = if args.nodes == 2 {
        let node = SecondNode::start(&serve, clock.clone(), scratch.join("node-2"))?;
        bases.push(node.base.clone());
        Some(node)
    } else {
        None
    };
    crate::demo::load(&app).await.map_err(err)?;
    let base = bases[0].clone();
    let c = reqwest::Client::new();
    let t = Instant::now();
    let custodians = Arc::new(custodians(&c, &base).await?);
    // The single ceremony opens a day before the peak's openings, alone.
    let now = clock.now();
    let mut deadlines = vec![(24, now)];
    deadlines.extend(std::iter::repeat_n((25, now), args.openings));
    let mut tenders = prepare_tenders(&c, &base, &custodians, deadlines).await?;
    println!("{} tenders published", tenders.len());
    let mut bidders = Vec::new();
    for i in 0..args.bids_per_opening {
        bidders.push(register_bidder(&c, &base, i).await?);
    }
    obtain_all(&c, &base, &bidders, &tenders).await?;
    println!("{} tenderers hold every tender's documents", bidders.len());
    // Every bidder bids in every tender, the bids spread over the nodes.
    let payload = Arc::new(super::bids::bid_payload(args.bid_mib * MIB));
    let bidders = Arc::new(bidders);
    let mut jobs = Vec::new();
    for (ti, t) in tenders.iter().enumerate() {
        for bi in 0..bidders.len() {
            jobs.push((
                ti,
                bi,
                bases[(ti * bidders.len() + bi) % bases.len()].clone(),
                t,
            ));
        }
    }
    let sent = futures_util::stream::iter(jobs.into_iter().map(|(_, bi, node, t)| {
        let (c, bidders, payload) = (c.clone(), bidders.clone(), payload.clone());
        let ready = Ready {
            tender: t.tender.clone(),
            lot: t.lot.clone(),
            custodians: t.custodians.clone(),
        };
        async move {
            let b = &bidders[bi];
            let (org, pkcs8) = (b.org.to_string(), b.pkcs8.clone());
            let sealed = tokio::task::spawn_blocking(move || seal(&ready, &org, &pkcs8, &payload))
                .await
                .map_err(err)??;
            let r = c
                .post(format!(
                    "{node}/api/tenders/{}/lots/{}/bid",
                    t.tender, t.lot
                ))
                .bearer_auth(&b.token)
                .header("content-type", "application/octet-stream")
                .body(sealed)
                .send()
                .await
                .map_err(err)?;
            if !r.status().is_success() {
                return Err(err(format!("a bid was refused: {}", r.status())));
            }
            Ok::<(), BenchError>(())
        }
    }))
    .buffer_unordered(4)
    .collect::<Vec<_>>()
    .await;
    for r in sent {
        r?;
    }
    let prepared = t.elapsed();
    println!(
        "every bid sealed and submitted in {:.1} s",
        prepared.as_secs_f64()
    );
    let single = tenders.remove(0);
    let observers_each = (args.observers / args.openings.max(1)).max(1);

    // The single ceremony, alone.
    let alone = ceremony(
        &app,
        &clock,
        &bases,
        &custodians,
        std::slice::from_ref(&single),
        observers_each,
        bidders.len(),
    )
    .await?;
    // The peak: every other tender at the same minute.
    let peak = ceremony(
        &app,
        &clock,
        &bases,
        &custodians,
        &tenders,
        observers_each,
        bidders.len(),
    )
    .await?;
    drop(second);
    app.shutdown.cancel();
    let _ = running.task.await;
    let _ = std::fs::remove_dir_all(&scratch);

    let total_mib = (args.openings * bidders.len() * args.bid_mib) as f64;
    println!();
    println!(
        "| openings at the same minute: {} × {} bids of {} MiB, {} observers | peak | one opening alone ({} bids, {} observers) |",
        args.openings,
        bidders.len(),
        args.bid_mib,
        observers_each * args.openings,
        bidders.len(),
        observers_each
    );
    println!("|---|---|---|");
    println!(
        "| setup: tenders, tenderers, sealing and submitting {:.0} MiB | {:.1} s | |",
        total_mib + (bidders.len() * args.bid_mib) as f64,
        prepared.as_secs_f64()
    );
    let row = |name: &str, p: &Seen, a: &Seen, f: &dyn Fn(&Seen) -> f64| {
        println!("| {name} | {:.2} s | {:.2} s |", f(p), f(a));
    };
    row(
        "opening time → a bid announced, p50 (first observer)",
        &peak,
        &alone,
        &|s| percentile(&s.first_per_bid_ms, 0.50) / 1000.0,
    );
    row(
        "opening time → a bid announced, p99 (first observer)",
        &peak,
        &alone,
        &|s| percentile(&s.first_per_bid_ms, 0.99) / 1000.0,
    );
    row(
        "opening time → the last bid at the last observer",
        &peak,
        &alone,
        &|s| s.per_arrival_ms.last().copied().unwrap_or(f64::NAN) / 1000.0,
    );
    let last = peak.per_arrival_ms.last().copied().unwrap_or(f64::NAN) / 1000.0;
    println!(
        "| announcements delivered | {} of {} | {} of {} |",
        peak.per_arrival_ms.len(),
        peak.expected,
        alone.per_arrival_ms.len(),
        alone.expected
    );
    println!(
        "| bids of the peak announced to every observer within 60 s | {} | |",
        if last <= 60.0 { "yes" } else { "NO" }
    );
    println!(
        "| opened and announced, MiB of bids per second | {:.0} | {:.0} |",
        total_mib / last,
        (bidders.len() * args.bid_mib) as f64
            / (alone.per_arrival_ms.last().copied().unwrap_or(f64::NAN) / 1000.0)
    );
    Ok(())
}

/// Opens `tenders` (which share one deadline) with `observers_each` observers on each, spread
/// over the nodes: the clock moves to the deadline, the hall closes the boxes and releases its
/// time shares, and the three custodians of every tender release theirs at once.
async fn ceremony(
    app: &crate::app::AppState,
    clock: &ManualClock,
    bases: &[String],
    custodians: &Custodians,
    tenders: &[Ready],
    observers_each: usize,
    bids_each: usize,
) -> Result<Seen, BenchError> {
    let c = reqwest::Client::new();
    // The observers, each on one opening's room, on the nodes in turn.
    let (arrived, mut arrivals) = mpsc::unbounded_channel::<(usize, i64, Instant)>();
    let (connected, mut connections) = mpsc::unbounded_channel::<()>();
    let connects = Arc::new(Semaphore::new(64));
    let stop = tokio_util::sync::CancellationToken::new();
    let mut tasks = Vec::new();
    for (ti, t) in tenders.iter().enumerate() {
        for o in 0..observers_each {
            let node = &bases[(ti * observers_each + o) % bases.len()];
            let url = format!(
                "{}/api/tenders/{}/opening/ws?after=0",
                node.replace("http://", "ws://"),
                t.tender
            );
            let (arrived, connected, connects, stop) = (
                arrived.clone(),
                connected.clone(),
                connects.clone(),
                stop.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let permit = connects.acquire_owned().await;
                let (mut ws, _) = tokio_tungstenite::connect_async(url).await.map_err(err)?;
                drop(permit);
                let _ = connected.send(());
                loop {
                    tokio::select! {
                        _ = stop.cancelled() => break,
                        m = ws.next() => match m {
                            Some(Ok(tokio_tungstenite::tungstenite::Message::Text(text))) => {
                                if text.contains("\"bid_announced\"") {
                                    let at = Instant::now();
                                    let seq = serde_json::from_str::<Value>(&text)
                                        .ok()
                                        .and_then(|v| v["seq"].as_i64())
                                        .unwrap_or(-1);
                                    let _ = arrived.send((ti, seq, at));
                                }
                            }
                            Some(Ok(_)) => {}
                            _ => break,
                        }
                    }
                }
                Ok::<(), BenchError>(())
            }));
        }
    }
    drop(arrived);
    for _ in 0..tenders.len() * observers_each {
        tokio::time::timeout(Duration::from_secs(120), connections.recv())
            .await
            .map_err(|_| err("the observers could not all connect within 120 s"))?
            .ok_or_else(|| err("an observer could not connect"))?;
    }
    let first = TenderId::parse(&tenders[0].tender).map_err(err)?;
    let deadline = app
        .store
        .get_tender(&first)
        .await
        .map_err(err)?
        .spec
        .schedule
        .bid_deadline;

    // The opening time.
    clock.set(deadline);
    let t0 = Instant::now();
    // Each node's watcher would see the deadline within a second; the bench does not wait for
    // it: every opening is advanced now, side by side.
    let advanced = futures_util::future::join_all(tenders.iter().map(|t| async move {
        let id = TenderId::parse(&t.tender).map_err(err)?;
        crate::opening::service::advance(app, &id)
            .await
            .map_err(err)
    }))
    .await;
    for r in advanced {
        r?;
    }
    // The custodians of every opening release at once, each through a node in turn.
    let c = &c;
    let releases = tenders.iter().enumerate().flat_map(|(ti, t)| {
        custodians
            .logins()
            .zip(&custodians.keys)
            .map(move |((index, login), key)| {
                let base = &bases[(ti + index as usize) % bases.len()];
                release(c, base, &t.tender, index, login, key)
            })
    });
    for r in futures_util::stream::iter(releases)
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await
    {
        r?;
    }
    // Until every observer has every announcement of its opening.
    let expected = tenders.len() * observers_each * bids_each;
    let mut per_arrival_ms = Vec::with_capacity(expected);
    // When each announcement (an opening's event by its sequence number) reached its first
    // observer.
    let mut first_seen: std::collections::HashMap<(usize, i64), f64> = Default::default();
    while per_arrival_ms.len() < expected && t0.elapsed() < Duration::from_secs(600) {
        match tokio::time::timeout(Duration::from_secs(5), arrivals.recv()).await {
            Ok(Some((ti, seq, at))) => {
                let ms = (at - t0).as_secs_f64() * 1000.0;
                per_arrival_ms.push(ms);
                let first = first_seen.entry((ti, seq)).or_insert(ms);
                *first = first.min(ms);
            }
            Ok(None) => break,
            // Quiet for 5 s: an opening that can no longer announce ends the wait.
            Err(_) => {
                for t in tenders {
                    let id = TenderId::parse(&t.tender).map_err(err)?;
                    let s = crate::opening::service::state(app, None, &id)
                        .await
                        .map_err(err)?;
                    if s["phase"] == "failed" || s["phase"] == "suspended" {
                        return Err(err(format!(
                            "an opening is {}: {}",
                            s["phase"], s["failure"]
                        )));
                    }
                }
            }
        }
    }
    stop.cancel();
    for t in tasks {
        let _ = t.await;
    }
    if per_arrival_ms.len() < expected {
        return Err(err(format!(
            "observers saw {} of {expected} announcements within 600 s",
            per_arrival_ms.len()
        )));
    }
    per_arrival_ms.sort_by(|a, b| a.total_cmp(b));
    let mut first_per_bid_ms: Vec<f64> = first_seen.into_values().collect();
    first_per_bid_ms.sort_by(|a, b| a.total_cmp(b));
    Ok(Seen {
        per_arrival_ms,
        first_per_bid_ms,
        expected,
    })
}

/// One custodian's release for one tender, as its device does it: signed in, the headers, each
/// share opened with its key, sent back.
async fn release(
    c: &reqwest::Client,
    base: &str,
    tender: &str,
    index: u8,
    login: &str,
    key: &crate::sealbox::keys::CustodianPrivateKey,
) -> Result<(), BenchError> {
    let token = &sign_in(c, base, login).await?;
    let listed = get(
        c,
        format!("{base}/api/tenders/{tender}/opening/shares/{index}"),
        Some(token),
    )
    .await?;
    let mut out = Vec::new();
    for item in listed.as_array().into_iter().flatten() {
        let raw = B64
            .decode(item["header"].as_str().unwrap_or_default())
            .map_err(err)?;
        let header = Header::parse(&raw).map_err(err)?;
        let share = envelope::open_share(&header, index, key).map_err(err)?;
        out.push(json!({ "bid_id": item["bid_id"], "share": B64.encode(*share.to_bytes()) }));
    }
    post(
        c,
        format!("{base}/api/tenders/{tender}/opening/shares/{index}"),
        Some(token),
        Value::Array(out),
    )
    .await
    .map(drop)
}

// ---------------------------------------------------------------------------------------------
// 2. The deadline rush
// ---------------------------------------------------------------------------------------------

/// A `bidhall serve` process of the bench's own.
struct ServeProcess {
    child: Option<std::process::Child>,
    command: Vec<String>,
    env: Vec<(String, String)>,
    base: String,
}

impl ServeProcess {
    fn spawn(
        command: Vec<String>,
        env: Vec<(String, String)>,
        base: String,
    ) -> Result<Self, BenchError> {
        let mut p = ServeProcess {
            child: None,
            command,
            env,
            base,
        };
        p.start()?;
        Ok(p)
    }

    fn start(&mut self) -> Result<(), BenchError> {
        let exe = std::env::current_exe().map_err(err)?;
        let mut cmd = std::process::Command::new(exe);
        cmd.args(&self.command)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "error")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::inherit());
        self.child = Some(cmd.spawn().map_err(err)?);
        Ok(())
    }

    /// SIGKILL: no shutdown, no flush, its connections cut mid-flight.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    async fn ready(&self, c: &reqwest::Client) -> Result<(), BenchError> {
        for _ in 0..600 {
            if let Ok(r) = c.get(format!("{}/readyz", self.base)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(err(format!(
            "{} did not become ready within 60 s",
            self.base
        )))
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

fn free_port() -> Result<u16, BenchError> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(err)?;
    Ok(l.local_addr().map_err(err)?.port())
}

/// The nodes of the rush: the first with the demo's people; a second, if asked, with the first
/// node's shared secrets (docs/operations.md).
async fn start_nodes(
    args: &PeakBenchArgs,
    dir: &Path,
    c: &reqwest::Client,
) -> Result<Vec<ServeProcess>, BenchError> {
    let mut env = vec![(
        "BIDHALL_REGISTRATIONS_PER_HOUR".to_string(),
        "100000".to_string(),
    )];
    if let Some(url) = &args.store.database_url {
        env.push(("DATABASE_URL".into(), url.clone()));
    }
    if let Some(store) = &args.store.object_store {
        env.push(("BIDHALL_OBJECT_STORE".into(), store.clone()));
    }
    let first_dir = dir.join("node-1");
    let mut nodes = Vec::new();
    for n in 0..args.nodes {
        let data = dir.join(format!("node-{}", n + 1));
        let port = free_port()?;
        let mut command = vec![
            "serve".to_string(),
            "--listen".into(),
            format!("127.0.0.1:{port}"),
            "--data-dir".into(),
            data.display().to_string(),
        ];
        let mut env = env.clone();
        if n == 0 {
            command.push("--demo".into());
        } else {
            for (k, file) in [
                (
                    "BIDHALL_LOG_KEY_FILE",
                    first_dir.join("keys").join("log.key"),
                ),
                ("BIDHALL_HALL_SECRET_FILE", first_dir.join("hall.secret")),
                ("BIDHALL_BANK_SECRETS_DIR", first_dir.join("banks")),
                (
                    "BIDHALL_TIME_CUSTODIAN_DIR",
                    first_dir.join("time-custodian"),
                ),
            ] {
                env.push((k.into(), file.display().to_string()));
            }
        }
        let node = ServeProcess::spawn(command, env, format!("http://127.0.0.1:{port}"))?;
        // A second node joins a hall the first has started.
        node.ready(c).await?;
        nodes.push(node);
    }
    Ok(nodes)
}

/// What one bid of the rush came to.
struct Sent {
    tender: usize,
    bidder: usize,
    envelope_sha256: String,
    latency_ms: f64,
    retried: bool,
}

async fn rush(args: &PeakBenchArgs) -> Result<(), BenchError> {
    let dir = tempdir_under(&args.store.data_dir)?.join("rush");
    std::fs::create_dir_all(&dir).map_err(err)?;
    let c = reqwest::Client::new();
    let mut nodes = start_nodes(args, &dir, &c).await?;
    let bases: Vec<String> = nodes.iter().map(|n| n.base.clone()).collect();
    let base = bases[0].clone();
    let t = Instant::now();
    let custodians = Arc::new(custodians(&c, &base).await?);
    let now = SystemClock.now();
    let tenders = Arc::new(
        prepare_tenders(&c, &base, &custodians, vec![(25, now); args.rush_tenders]).await?,
    );
    let per_tender = args.rush_bids.div_ceil(args.rush_tenders.max(1));
    let mut bidders = Vec::new();
    for i in 0..per_tender {
        bidders.push(register_bidder(&c, &base, i).await?);
    }
    obtain_all(&c, &base, &bidders, &tenders).await?;
    let bidders = Arc::new(bidders);
    let prepared = t.elapsed();
    let url = args.store.database_url();
    // With SQLite the database is the first node's file.
    let url = if args.store.database_url.is_none() {
        format!(
            "sqlite://{}",
            dir.join("node-1").join("bidhall.db").display()
        )
    } else {
        url
    };

    // The rush: bid i leaves at i × (rush / bids), whatever came of the ones before.
    let payload = Arc::new(super::bids::bid_payload(args.rush_kib * 1024));
    let spacing = Duration::from_secs_f64(args.rush_seconds as f64 / args.rush_bids as f64);
    let bases = Arc::new(bases);
    let started = tokio::time::Instant::now();
    let mut sending = Vec::with_capacity(args.rush_bids);
    for i in 0..args.rush_bids {
        let (ti, bi) = (i % tenders.len(), i / tenders.len());
        let (c, tenders, bidders, payload, bases) = (
            c.clone(),
            tenders.clone(),
            bidders.clone(),
            payload.clone(),
            bases.clone(),
        );
        let at = started + spacing * i as u32;
        sending.push(tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            let t0 = Instant::now();
            let b = &bidders[bi];
            let ready = Ready {
                tender: tenders[ti].tender.clone(),
                lot: tenders[ti].lot.clone(),
                custodians: tenders[ti].custodians.clone(),
            };
            let (org, pkcs8) = (b.org.to_string(), b.pkcs8.clone());
            let sealed = bytes::Bytes::from(
                tokio::task::spawn_blocking(move || seal(&ready, &org, &pkcs8, &payload))
                    .await
                    .map_err(err)??,
            );
            let mut attempt = 0usize;
            loop {
                let node = &bases[(i + attempt) % bases.len()];
                let r = c
                    .post(format!(
                        "{node}/api/tenders/{}/lots/{}/bid",
                        tenders[ti].tender, tenders[ti].lot
                    ))
                    .bearer_auth(&b.token)
                    .header("content-type", "application/octet-stream")
                    .body(sealed.clone())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        let v: Value = r.json().await.map_err(err)?;
                        return Ok::<Sent, BenchError>(Sent {
                            tender: ti,
                            bidder: bi,
                            envelope_sha256: v["envelope_sha256"]
                                .as_str()
                                .unwrap_or_default()
                                .to_string(),
                            latency_ms: t0.elapsed().as_secs_f64() * 1000.0,
                            retried: attempt > 0,
                        });
                    }
                    Ok(r) if r.status().is_client_error() => {
                        return Err(err(format!(
                            "a bid was refused: {} {}",
                            r.status(),
                            r.text().await.unwrap_or_default()
                        )))
                    }
                    // The node is gone or failing: the tenderer's client sends it again, to
                    // the next node.
                    _ => {
                        attempt += 1;
                        if t0.elapsed() > Duration::from_secs(120) {
                            return Err(err("a bid found no node for 120 s"));
                        }
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        }));
    }
    // Halfway, the last node is killed with SIGKILL and started again.
    tokio::time::sleep_until(started + Duration::from_secs_f64(args.rush_seconds as f64 / 2.0))
        .await;
    let victim = nodes.len() - 1;
    let killed_at = started.elapsed();
    nodes[victim].kill();
    let restarted = Instant::now();
    if victim == 0 {
        // The demo is in the database already.
        nodes[0].command.retain(|a| a != "--demo");
    }
    nodes[victim].start()?;
    nodes[victim].ready(&c).await?;
    let down = restarted.elapsed();
    let mut sent = Vec::with_capacity(args.rush_bids);
    for s in sending {
        sent.push(s.await.map_err(err)??);
    }
    let rushed = started.elapsed();

    // Every receipt, looked up in the database.
    let store = crate::store::open(&url).await.map_err(err)?;
    let mut lost = 0usize;
    for (ti, t) in tenders.iter().enumerate() {
        let id = TenderId::parse(&t.tender).map_err(err)?;
        let stored = store.counted_bids(&id).await.map_err(err)?;
        for s in sent.iter().filter(|s| s.tender == ti) {
            let org = &bidders[s.bidder].org;
            if !stored
                .iter()
                .any(|b| &b.org_id == org && b.envelope_sha256 == s.envelope_sha256)
            {
                lost += 1;
            }
        }
    }
    drop(store);
    drop(nodes);
    let raw = raw_inserts(&url, args.rush_bids.min(10_000), 16).await?;
    let _ = std::fs::remove_dir_all(&dir);

    let mut ms: Vec<f64> = sent.iter().map(|s| s.latency_ms).collect();
    ms.sort_by(|a, b| a.total_cmp(b));
    let retried = sent.iter().filter(|s| s.retried).count();
    let offered = args.rush_bids as f64 / args.rush_seconds as f64;
    println!();
    println!(
        "| deadline rush: {} bids of {} KiB across {} tenders in {} s, node {} killed (SIGKILL) at {:.0} s | figure | baseline |",
        args.rush_bids,
        args.rush_kib,
        args.rush_tenders,
        args.rush_seconds,
        victim + 1,
        killed_at.as_secs_f64()
    );
    println!("|---|---|---|");
    println!(
        "| setup: tenders, tenderers, documents obtained | {:.1} s | |",
        prepared.as_secs_f64()
    );
    println!(
        "| bids offered per second (the modelled morning: 10,000 in 600 s = 16.7/s) | {offered:.1} | raw single-row INSERT, 1 per txn: {:.0}/s |",
        raw.0
    );
    println!(
        "| bids receipted per second, over the rush | {:.1} | |",
        sent.len() as f64 / rushed.as_secs_f64()
    );
    println!(
        "| receipt latency p50 / p99 / max (sealing on the tenderer's side included) | {:.0} / {:.0} / {:.0} ms | raw insert p50 / p99: {:.1} / {:.1} ms |",
        percentile(&ms, 0.50),
        percentile(&ms, 0.99),
        ms.last().copied().unwrap_or(f64::NAN),
        raw.1,
        raw.2
    );
    println!(
        "| killed node back and ready after | {:.1} s | |",
        down.as_secs_f64()
    );
    println!("| bids sent again after the kill | {retried} | |");
    println!(
        "| receipted bids missing from the database | {lost} of {} | |",
        sent.len()
    );
    if lost > 0 {
        return Err(err(format!("{lost} receipted bids were lost")));
    }
    Ok(())
}
