//! `bidhall bench opening`: the live opening's fan-out and its pace.
//!
//! 1. Fan-out on loopback, the server in a child process and the observers here: one event to
//!    100, 1,000 and 10,000 websocket observers, timed from the action that makes it (a
//!    supervisor's suspend or resume, which is stored and logged first) until each observer has
//!    it; beside a minimal axum + `broadcast` server in the same run, whose event is a bare
//!    broadcast. The servers' resident memory per connection is read from /proc.
//! 2. The pace of a ceremony: many sealed bids of several MiB, from the opening time to the last
//!    bid announced, the custodians releasing at once.

use super::bids::{get, post, setup};
use super::{err, percentile, scratch_hall, tempdir_under, BenchError};
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::{OpeningBenchArgs, OpeningServerArgs, ServeArgs, StoreArgs};
use crate::domain::TenderId;
use crate::sealbox::envelope::{self, Header};
use crate::sealbox::keys::TendererSigningKey;
use axum::extract::ws::{Message, Utf8Bytes, WebSocketUpgrade};
use axum::extract::State;
use axum::routing::{get as get_route, post as post_route};
use futures_util::{SinkExt, StreamExt};
use ring::rand::SystemRandom;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{broadcast, mpsc};

const MIB: usize = 1024 * 1024;

/// The server side of the fan-out, run in a child process: prints `READY <base> <ws path> <trigger
/// url> <token>` and serves until its standard input closes.
pub async fn serve(args: OpeningServerArgs) -> Result<(), BenchError> {
    let (ready, scratch) = match args.kind.as_str() {
        "minimal" => (minimal().await?, None),
        "hall" => {
            let (line, dir) = hall(&args.store).await?;
            (line, Some(dir))
        }
        other => return Err(err(format!("unknown server kind {other}"))),
    };
    println!("READY {ready}");
    std::io::stdout().flush().map_err(err)?;
    // Until the parent closes our stdin.
    tokio::task::spawn_blocking(|| {
        let mut line = String::new();
        while std::io::stdin().lock().read_line(&mut line).unwrap_or(0) > 0 {
            line.clear();
        }
    })
    .await
    .map_err(err)?;
    if let Some(dir) = scratch {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

/// The smallest server that does the same job: a websocket per observer, one broadcast channel,
/// and an endpoint that broadcasts an event of the hall's size.
async fn minimal() -> Result<String, BenchError> {
    let (tx, _) = broadcast::channel::<Utf8Bytes>(1024);
    let app = axum::Router::new()
        .route(
            "/ws",
            get_route(
                |State(tx): State<broadcast::Sender<Utf8Bytes>>, up: WebSocketUpgrade| async move {
                    up.on_upgrade(move |ws| async move {
                        let mut rx = tx.subscribe();
                        let (mut sink, mut stream) = ws.split();
                        loop {
                            tokio::select! {
                                m = stream.next() => if !matches!(m, Some(Ok(_))) { break },
                                e = rx.recv() => match e {
                                    Ok(text) => if sink.send(Message::Text(text)).await.is_err() { break },
                                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                                    Err(_) => break,
                                },
                            }
                        }
                    })
                },
            ),
        )
        .route(
            "/emit",
            post_route(|State(tx): State<broadcast::Sender<Utf8Bytes>>| async move {
                let body = json!({ "seq": 1, "at": "2026-01-01T00:00:00.000Z", "kind": "suspended",
                    "body": { "reason": "压测：一条与大厅事件同样大小的消息" } });
                let _ = tx.send(Utf8Bytes::from(body.to_string()));
                "ok"
            }),
        )
        .with_state(tx);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(err)?;
    let addr = listener.local_addr().map_err(err)?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(format!("http://{addr} /ws http://{addr}/emit -"))
}

/// The real hall on a scratch database, with one tender in its lobby.
async fn hall(store: &StoreArgs) -> Result<(String, std::path::PathBuf), BenchError> {
    let scratch = tempdir_under(&store.data_dir)?;
    let mut store_args = store.clone();
    store_args.data_dir = scratch.clone();
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = scratch_hall(&ServeArgs::for_store(store_args), clock.clone()).await?;
    let running = crate::server::spawn(app.clone()).await.map_err(err)?;
    let base = format!("http://{}", running.addr);
    let s = setup(&app, &base).await?;
    let id = TenderId::parse(&s.tender).map_err(err)?;
    let t = app.store.get_tender(&id).await.map_err(err)?;
    clock.set(t.spec.schedule.bid_deadline.plus_millis(-10 * 60 * 1000));
    crate::opening::service::advance(&app, &id)
        .await
        .map_err(err)?;
    let c = reqwest::Client::new();
    let token = post(
        &c,
        format!("{base}/api/session"),
        None,
        json!({ "login": "supervisor", "password": crate::demo::password() }),
    )
    .await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let last = app
        .store
        .opening_events(&id, 0, 1000)
        .await
        .map_err(err)?
        .last()
        .map_or(0, |e| e.seq);
    Ok((
        format!(
            "{base} /api/tenders/{}/opening/ws?after={last} {base}/api/tenders/{}/opening/ TOKEN:{token}",
            s.tender, s.tender
        ),
        scratch,
    ))
}

struct Child {
    child: std::process::Child,
    base: String,
    ws_path: String,
    trigger: String,
    token: Option<String>,
}

impl Drop for Child {
    fn drop(&mut self) {
        // Closing stdin asks it to clean up and stop; kill in case it does not.
        drop(self.child.stdin.take());
        std::thread::sleep(Duration::from_millis(300));
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(kind: &str, store: &StoreArgs) -> Result<Child, BenchError> {
    let exe = std::env::current_exe().map_err(err)?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["bench", "opening-server", "--kind", kind])
        .arg("--data-dir")
        .arg(&store.data_dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit());
    if let Some(url) = &store.database_url {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().map_err(err)?;
    let out = child.stdout.take().ok_or_else(|| err("no stdout"))?;
    // The child's logs may come first; the line we want starts with READY. The rest is drained
    // so the child never blocks on a full pipe.
    let mut reader = std::io::BufReader::new(out);
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).map_err(err)? == 0 || line.starts_with("READY ") {
            break;
        }
    }
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    let parts: Vec<&str> = line.trim().split(' ').collect();
    if parts.len() != 5 || parts[0] != "READY" {
        return Err(err(format!("the {kind} server did not start: {line:?}")));
    }
    Ok(Child {
        base: parts[1].to_string(),
        ws_path: parts[2].to_string(),
        trigger: parts[3].to_string(),
        token: parts[4].strip_prefix("TOKEN:").map(str::to_string),
        child,
    })
}

fn rss_kib(pid: u32) -> Result<u64, BenchError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(err)?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| err("no VmRSS"))
}

struct FanOut {
    p50: f64,
    p99: f64,
    max: f64,
    kib_per_conn: f64,
}

/// Connects `n` observers, then `rounds` times makes one event and times its arrival everywhere.
async fn fan_out(
    server: &Child,
    n: usize,
    rounds: usize,
    hall: bool,
) -> Result<FanOut, BenchError> {
    let url = if hall {
        // Observers join now: only events from here on are theirs to time.
        let last = reqwest::get(format!("{}events?after=0", server.trigger))
            .await
            .map_err(err)?
            .json::<Value>()
            .await
            .map_err(err)?["last_seq"]
            .as_i64()
            .unwrap_or(0);
        format!(
            "{}ws?after={last}",
            server.trigger.replace("http://", "ws://")
        )
    } else {
        format!(
            "{}{}",
            server.base.replace("http://", "ws://"),
            server.ws_path
        )
    };
    let before = rss_kib(server.child.id())?;
    let (arrived, mut arrivals) = mpsc::unbounded_channel::<Instant>();
    let (stop, _) = broadcast::channel::<()>(1);
    let mut tasks = Vec::with_capacity(n);
    let connects = Arc::new(tokio::sync::Semaphore::new(128));
    for _ in 0..n {
        let (url, arrived, mut stop, connects) = (
            url.clone(),
            arrived.clone(),
            stop.subscribe(),
            connects.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let permit = connects.acquire_owned().await;
            let (mut ws, _) = tokio_tungstenite::connect_async(url).await.map_err(err)?;
            drop(permit);
            let _ = arrived.send(Instant::now()); // connected
            loop {
                tokio::select! {
                    _ = stop.recv() => break,
                    m = ws.next() => match m {
                        Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_))) => {
                            let _ = arrived.send(Instant::now());
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    }
                }
            }
            let _ = ws.close(None).await;
            Ok::<(), BenchError>(())
        }));
    }
    for _ in 0..n {
        arrivals
            .recv()
            .await
            .ok_or_else(|| err("an observer could not connect"))?;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(server.child.id())?;
    let c = reqwest::Client::new();
    let mut latencies = Vec::with_capacity(n * rounds);
    for round in 0..rounds {
        let t0 = Instant::now();
        let req = if hall {
            // Suspend and resume alternate across every size's rounds.
            static TOGGLES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let k = TOGGLES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let action = if k.is_multiple_of(2) {
                "suspend"
            } else {
                "resume"
            };
            c.post(format!("{}{action}", server.trigger))
                .bearer_auth(server.token.as_deref().unwrap_or_default())
                .json(&json!({ "reason": format!("压测第{round}轮") }))
        } else {
            c.post(&server.trigger)
        };
        let r = req.send().await.map_err(err)?;
        if !r.status().is_success() {
            return Err(err(format!("trigger: {}", r.status())));
        }
        for _ in 0..n {
            let at = tokio::time::timeout(Duration::from_secs(60), arrivals.recv())
                .await
                .map_err(|_| err("an observer did not receive the event within 60 s"))?
                .ok_or_else(|| err("observers stopped"))?;
            latencies.push((at - t0).as_secs_f64() * 1000.0);
        }
    }
    let _ = stop.send(());
    for t in tasks {
        t.await.map_err(err)??;
    }
    latencies.sort_by(|a, b| a.total_cmp(b));
    Ok(FanOut {
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: latencies.last().copied().unwrap_or(f64::NAN),
        kib_per_conn: after.saturating_sub(before) as f64 / n as f64,
    })
}

pub async fn run(args: OpeningBenchArgs) -> Result<(), BenchError> {
    println!(
        "bidhall bench opening: {} rounds per size; the hall on {}",
        args.rounds,
        if args.store.database_url.is_some() {
            "the given database"
        } else {
            "SQLite"
        }
    );
    if !args.no_fan_out {
        fan_out_table(&args).await?;
    }
    if args.bids > 0 {
        ceremony(&args).await?;
    }
    Ok(())
}

async fn fan_out_table(args: &OpeningBenchArgs) -> Result<(), BenchError> {
    let hall = start("hall", &args.store)?;
    let minimal = start("minimal", &args.store)?;
    println!();
    println!("| observers | server | p50 ms | p99 ms | last ms | KiB per connection | p99 hall / minimal |");
    println!("|---|---|---|---|---|---|---|");
    for &n in &args.observers {
        let m = fan_out(&minimal, n, args.rounds, false).await?;
        let h = fan_out(&hall, n, args.rounds, true).await?;
        println!(
            "| {n} | minimal axum + broadcast | {:.2} | {:.2} | {:.2} | {:.1} | |",
            m.p50, m.p99, m.max, m.kib_per_conn
        );
        println!(
            "| {n} | bidhall (stored, logged, then sent) | {:.2} | {:.2} | {:.2} | {:.1} | {:.2}× |",
            h.p50,
            h.p99,
            h.max,
            h.kib_per_conn,
            h.p99 / m.p99
        );
    }
    drop(hall);
    drop(minimal);
    Ok(())
}

/// `bids` tenderers each seal `bid_mib` MiB; at the opening time the custodians release at once;
/// timed until the last bid is announced.
async fn ceremony(args: &OpeningBenchArgs) -> Result<(), BenchError> {
    let scratch = tempdir_under(&args.store.data_dir)?;
    let mut store_args = args.store.clone();
    store_args.data_dir = scratch.join("ceremony");
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let mut serve = ServeArgs::for_store(store_args);
    serve.max_bid_mib = 1024;
    // Every bidder registers itself, all from this machine's one address.
    serve.registrations_per_hour = args.bids + 10;
    let app = scratch_hall(&serve, clock.clone()).await?;
    let running = crate::server::spawn(app.clone()).await.map_err(err)?;
    let base = format!("http://{}", running.addr);
    let s = setup(&app, &base).await?;
    let c = reqwest::Client::new();
    let payload = super::bids::bid_payload(args.bid_mib * MIB);
    let t = Instant::now();
    for i in 0..args.bids {
        let b = super::bids::register_bidder(&c, &base, i).await?;
        post(
            &c,
            format!("{base}/api/tenders/{}/obtain", s.tender),
            Some(&b.token),
            json!({}),
        )
        .await?;
        let (org, pkcs8, token) = (b.org, b.pkcs8, b.token);
        let mut params = s.params.clone();
        params.tenderer_id = org.to_string();
        let rng = SystemRandom::new();
        let signer = TendererSigningKey::from_pkcs8(&pkcs8, &rng).map_err(err)?;
        let mut sealed = Vec::with_capacity(payload.len() + 4096);
        envelope::seal(
            &params,
            &signer,
            &payload[..],
            payload.len() as u64,
            &mut sealed,
            &rng,
        )
        .map_err(err)?;
        let r = c
            .post(format!(
                "{base}/api/tenders/{}/lots/{}/bid",
                s.tender, s.lot
            ))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(sealed)
            .send()
            .await
            .map_err(err)?;
        if !r.status().is_success() {
            return Err(err(format!("bid {i}: {}", r.status())));
        }
    }
    let prepared = t.elapsed();
    let id = TenderId::parse(&s.tender).map_err(err)?;
    let deadline = app
        .store
        .get_tender(&id)
        .await
        .map_err(err)?
        .spec
        .schedule
        .bid_deadline;

    // The opening time.
    clock.set(deadline);
    let t0 = Instant::now();
    crate::opening::service::advance(&app, &id)
        .await
        .map_err(err)?;
    let closed = t0.elapsed();
    // The custodians (agent, supervisor, witness) open their shares on their devices and
    // release them, side by side; each release makes the hall open what has k shares.
    let mut releases = Vec::new();
    for (i, login) in ["agent", "supervisor", "witness"].iter().enumerate() {
        let (c, base, tender, key) = (c.clone(), base.clone(), s.tender.clone(), &s.keys[i]);
        let index = i as u8 + 2;
        releases.push(async move {
            let token = post(
                &c,
                format!("{base}/api/session"),
                None,
                json!({ "login": login, "password": crate::demo::password() }),
            )
            .await?["token"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let listed = get(
                &c,
                format!("{base}/api/tenders/{tender}/opening/shares/{index}"),
                Some(&token),
            )
            .await?;
            let mut out = Vec::new();
            for item in listed.as_array().into_iter().flatten() {
                use base64::Engine;
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(item["header"].as_str().unwrap_or_default())
                    .map_err(err)?;
                let header = Header::parse(&raw).map_err(err)?;
                let share = envelope::open_share(&header, index, key).map_err(err)?;
                out.push(json!({ "bid_id": item["bid_id"],
                    "share": base64::engine::general_purpose::STANDARD.encode(*share.to_bytes()) }));
            }
            post(
                &c,
                format!("{base}/api/tenders/{tender}/opening/shares/{index}"),
                Some(&token),
                Value::Array(out),
            )
            .await
        });
    }
    for r in futures_util::future::join_all(releases).await {
        r?;
    }
    // Until every bid is announced (the watcher and the releases drive it; we only look).
    loop {
        let s = crate::opening::service::state(&app, None, &id)
            .await
            .map_err(err)?;
        if s["phase"] == "announced" {
            break;
        }
        if t0.elapsed() > Duration::from_secs(600) {
            return Err(err(format!("not announced after 600 s: {}", s["phase"])));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let announced = t0.elapsed();
    let total = args.bids * args.bid_mib;
    println!();
    println!(
        "| ceremony: {} bids of {} MiB on {} | time |",
        args.bids,
        args.bid_mib,
        app.store.backend()
    );
    println!("|---|---|");
    println!(
        "| registering the tenderers, sealing and submitting (setup) | {:.1} s |",
        prepared.as_secs_f64()
    );
    println!(
        "| opening time → box closed, bonds checked, time-release share | {:.0} ms |",
        closed.as_secs_f64() * 1000.0
    );
    println!(
        "| opening time → last bid announced (3 custodians release at once) | {:.2} s ({:.0} MiB/s of bids) |",
        announced.as_secs_f64(),
        total as f64 / announced.as_secs_f64()
    );
    app.shutdown.cancel();
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
