//! The second part of `bench peak`: the deadline rush on real `bidhall serve` processes, one of
//! them killed with SIGKILL halfway.

use super::{obtain_all, post_bid, prepare_tenders, seal, Ready};
use crate::bench::bids::{custodians, register_bidder, Bidder};
use crate::bench::{err, percentile, raw_inserts, tempdir_under, BenchError};
use crate::clock::{Clock, SystemClock};
use crate::config::PeakBenchArgs;
use crate::domain::TenderId;
use serde_json::Value;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// Sends a sealed bid to node `i` and, while nodes are gone or failing, to the next ones, as
/// the tenderer's client does: (the receipted envelope's SHA-256, whether it was sent again).
async fn send_until_receipted(
    c: &reqwest::Client,
    bases: &[String],
    i: usize,
    tender: &Ready,
    bidder: &Bidder,
    sealed: bytes::Bytes,
) -> Result<(String, bool), BenchError> {
    let t0 = Instant::now();
    let mut attempt = 0usize;
    loop {
        let node = &bases[(i + attempt) % bases.len()];
        let r = post_bid(c, node, tender, bidder, sealed.clone())
            .send()
            .await;
        match r {
            Ok(r) if r.status().is_success() => {
                let v: Value = r.json().await.map_err(err)?;
                let sha = v["envelope_sha256"].as_str().unwrap_or_default();
                return Ok((sha.to_string(), attempt > 0));
            }
            Ok(r) if r.status().is_client_error() => {
                return Err(err(format!(
                    "a bid was refused: {} {}",
                    r.status(),
                    r.text().await.unwrap_or_default()
                )))
            }
            // The node is gone or failing: send it again, to the next node.
            _ => {
                attempt += 1;
                if t0.elapsed() > Duration::from_secs(120) {
                    return Err(err("a bid found no node for 120 s"));
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// How many receipted bids the database does not hold as receipted.
async fn missing(
    url: &str,
    tenders: &[Ready],
    bidders: &[Bidder],
    sent: &[Sent],
) -> Result<usize, BenchError> {
    let store = crate::store::open(url).await.map_err(err)?;
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
    Ok(lost)
}

/// What one bid of the rush came to.
struct Sent {
    tender: usize,
    bidder: usize,
    envelope_sha256: String,
    latency_ms: f64,
    retried: bool,
}

pub(super) async fn rush(args: &PeakBenchArgs) -> Result<(), BenchError> {
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
    let payload = Arc::new(crate::bench::bids::bid_payload(args.rush_kib * 1024));
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
            let ready = tenders[ti].clone();
            let (org, pkcs8) = (b.org.to_string(), b.pkcs8.clone());
            let sealed = bytes::Bytes::from(
                tokio::task::spawn_blocking(move || seal(&ready, &org, &pkcs8, &payload))
                    .await
                    .map_err(err)??,
            );
            let (envelope_sha256, retried) =
                send_until_receipted(&c, &bases, i, &tenders[ti], b, sealed).await?;
            Ok::<Sent, BenchError>(Sent {
                tender: ti,
                bidder: bi,
                envelope_sha256,
                latency_ms: t0.elapsed().as_secs_f64() * 1000.0,
                retried,
            })
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

    let lost = missing(&url, &tenders, &bidders, &sent).await?;
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
