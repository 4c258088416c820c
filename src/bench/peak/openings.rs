//! The first part of `bench peak`: openings at the same minute, with their observers, beside one
//! opening of the same shape alone.

use super::{obtain_all, post_bid, prepare_tenders, seal, Ready};
use crate::bench::bids::{custodians, get, post, register_bidder, sign_in, Bidder, Custodians};
use crate::bench::{err, percentile, scratch_hall, tempdir_under, BenchError};
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::{PeakBenchArgs, ServeArgs, StoreArgs};
use crate::domain::TenderId;
use crate::sealbox::envelope::{self, Header};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use futures_util::StreamExt;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, Semaphore};

const MIB: usize = 1024 * 1024;

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

pub(super) async fn openings(args: &PeakBenchArgs) -> Result<(), BenchError> {
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
    submit_all(&c, &bases, &bidders, &tenders, args.bid_mib * MIB).await?;
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

    print_table(args, bidders.len(), observers_each, prepared, &peak, &alone);
    Ok(())
}

/// Every bidder seals a bid of `len` bytes for every tender and sends it, to the nodes in turn.
async fn submit_all(
    c: &reqwest::Client,
    bases: &[String],
    bidders: &[Bidder],
    tenders: &[Ready],
    len: usize,
) -> Result<(), BenchError> {
    let payload = &Arc::new(crate::bench::bids::bid_payload(len));
    let jobs = tenders.iter().enumerate().flat_map(|(ti, t)| {
        bidders.iter().enumerate().map(move |(bi, b)| {
            let node = &bases[(ti * bidders.len() + bi) % bases.len()];
            let (ready, payload) = (t.clone(), payload.clone());
            let (org, pkcs8) = (b.org.to_string(), b.pkcs8.clone());
            async move {
                let sealed =
                    tokio::task::spawn_blocking(move || seal(&ready, &org, &pkcs8, &payload))
                        .await
                        .map_err(err)??;
                let r = post_bid(c, node, t, b, sealed).send().await.map_err(err)?;
                if !r.status().is_success() {
                    return Err(err(format!("a bid was refused: {}", r.status())));
                }
                Ok::<(), BenchError>(())
            }
        })
    });
    for r in futures_util::stream::iter(jobs)
        .buffer_unordered(4)
        .collect::<Vec<_>>()
        .await
    {
        r?;
    }
    Ok(())
}

fn print_table(
    args: &PeakBenchArgs,
    bids: usize,
    observers_each: usize,
    prepared: Duration,
    peak: &Seen,
    alone: &Seen,
) {
    let total_mib = (args.openings * bids * args.bid_mib) as f64;
    println!();
    println!(
        "| openings at the same minute: {} × {} bids of {} MiB, {} observers | peak | one opening alone ({} bids, {} observers) |",
        args.openings,
        bids,
        args.bid_mib,
        observers_each * args.openings,
        bids,
        observers_each
    );
    println!("|---|---|---|");
    println!(
        "| setup: tenders, tenderers, sealing and submitting {:.0} MiB | {:.1} s | |",
        total_mib + (bids * args.bid_mib) as f64,
        prepared.as_secs_f64()
    );
    let row = |name: &str, p: &Seen, a: &Seen, f: &dyn Fn(&Seen) -> f64| {
        println!("| {name} | {:.2} s | {:.2} s |", f(p), f(a));
    };
    row(
        "opening time → a bid announced, p50 (first observer)",
        peak,
        alone,
        &|s| percentile(&s.first_per_bid_ms, 0.50) / 1000.0,
    );
    row(
        "opening time → a bid announced, p99 (first observer)",
        peak,
        alone,
        &|s| percentile(&s.first_per_bid_ms, 0.99) / 1000.0,
    );
    row(
        "opening time → the last bid at the last observer",
        peak,
        alone,
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
        (bids * args.bid_mib) as f64
            / (alone.per_arrival_ms.last().copied().unwrap_or(f64::NAN) / 1000.0)
    );
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
