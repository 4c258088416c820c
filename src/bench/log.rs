//! `bidhall bench log`: durable appends to the audit log from many concurrent writers (group
//! commit), the time until a signed checkpoint covers an entry, and inclusion proofs served from
//! storage compared with the node hash they are made of, measured in the same run.

use super::{err, percentile, tempdir_under, BenchError};
use crate::auditlog::merkle;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::clock::SystemClock;
use crate::config::{LogBenchArgs, ServeArgs};
use serde_json::json;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub async fn run(args: LogBenchArgs) -> Result<(), BenchError> {
    let scratch = tempdir_under(&args.store.data_dir)?;
    let mut store_args = args.store.clone();
    store_args.data_dir = scratch.clone();
    let serve = ServeArgs::for_store(store_args);
    let app = crate::server::state(&serve, Arc::new(SystemClock))
        .await
        .map_err(err)?;
    if app.store.audit_size().await.map_err(err)? != 0 {
        return Err(err(
            "the bench needs an empty scratch database; this one holds data",
        ));
    }
    println!(
        "bidhall bench log: backend {}, {} writers, {} s, checkpoint every {} ms",
        app.store.backend(),
        args.writers,
        args.seconds,
        serve.log.checkpoint_ms
    );
    let checkpointer = crate::auditlog::service::spawn_checkpointer(
        app.clone(),
        Duration::from_millis(serve.log.checkpoint_ms),
    );

    // A watcher notes when each checkpoint size is first seen, to time entries to their checkpoint.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let (app, stop) = (app.clone(), stop.clone());
        tokio::spawn(async move {
            let mut seen: Vec<(i64, Instant)> = Vec::new();
            let mut idle_after_stop = 0;
            loop {
                if let Ok(Some(cp)) = app.store.latest_checkpoint().await {
                    if seen.last().is_none_or(|(s, _)| *s < cp.size) {
                        seen.push((cp.size, Instant::now()));
                    }
                    let total = app.store.audit_size().await.unwrap_or(0);
                    if stop.load(Ordering::Relaxed) && cp.size >= total {
                        break;
                    }
                }
                if stop.load(Ordering::Relaxed) {
                    idle_after_stop += 1;
                    if idle_after_stop > 6000 {
                        break; // 30 s
                    }
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            seen
        })
    };
    // Durable appends: each writer appends one event at a time and waits for its commit.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..args.writers {
        let (app, stop) = (app.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let event = AuditEvent::new(
                    "bench_event",
                    None,
                    AuditActor::System,
                    app.clock.now(),
                    json!({ "writer": w, "n": n }),
                );
                let t = Instant::now();
                match app.store.record_event(&event).await {
                    Ok(index) => done.push((index, t.elapsed(), Instant::now())),
                    Err(e) => eprintln!("append failed: {e}"),
                }
                n += 1;
            }
            done
        }));
    }
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut appended = Vec::new();
    for t in tasks {
        appended.extend(t.await.map_err(err)?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = app.store.audit_size().await.map_err(err)?;
    let seen = watcher.await.map_err(err)?;
    checkpointer.abort();
    let mut commit_ms: Vec<f64> = appended
        .iter()
        .map(|(_, d, _)| d.as_secs_f64() * 1000.0)
        .collect();
    commit_ms.sort_by(|a, b| a.total_cmp(b));
    let mut to_checkpoint: Vec<f64> = appended
        .iter()
        .filter_map(|(index, _, answered)| {
            let (_, at) = seen.iter().find(|(size, _)| size > index)?;
            Some(at.saturating_duration_since(*answered).as_secs_f64() * 1000.0)
        })
        .collect();
    to_checkpoint.sort_by(|a, b| a.total_cmp(b));

    // Inclusion proofs served from storage at the final size, against one node hash.
    let size = total;
    let node = {
        let (a, b) = ([1u8; 32], [2u8; 32]);
        let n = 200_000;
        let t = Instant::now();
        let mut h = a;
        for _ in 0..n {
            h = merkle::node_hash(&h, &b);
        }
        std::hint::black_box(h);
        t.elapsed().as_secs_f64() * 1e6 / n as f64
    };
    let samples = 2000.min(size as usize);
    let (mut read_s, mut build_s) = (0.0, 0.0);
    for i in 0..samples {
        let index = ((i as i64 * 7919) % size) as u64;
        let plan = merkle::inclusion_plan(index, size as u64).map_err(err)?;
        let t = Instant::now();
        let known = app.store.audit_hashes(&plan).await.map_err(err)?;
        read_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        std::hint::black_box(merkle::inclusion_proof(index, size as u64, &known).map_err(err)?);
        build_s += t.elapsed().as_secs_f64();
    }
    let read_us = read_s * 1e6 / samples as f64;
    let rate = appended.len() as f64 / elapsed;
    app.shutdown.cancel();
    // The same number of single-row inserts, one per transaction, at the same concurrency.
    let raw = super::raw_inserts(&serve.store.database_url(), appended.len(), args.writers).await?;
    let proof_us = build_s * 1e6 / samples as f64;
    let log2 = (size as f64).log2().ceil();

    println!();
    println!("| measure | result |");
    println!("|---|---|");
    println!(
        "| durable appends ({} writers, group commit) | {:.0} entries/s ({} in {:.1} s) |",
        args.writers,
        rate,
        appended.len(),
        elapsed
    );
    println!(
        "| raw single-row INSERT, 1 per txn, {} at once | {:.0} rows/s (p50 {:.2} ms, p99 {:.2} ms) |",
        args.writers, raw.0, raw.1, raw.2
    );
    println!(
        "| durable appends / raw inserts | {:.0}% (target ≥ 50%) |",
        100.0 * rate / raw.0.max(1.0)
    );
    println!(
        "| time to commit (answered) | p50 {:.2} ms, p99 {:.2} ms |",
        percentile(&commit_ms, 0.5),
        percentile(&commit_ms, 0.99)
    );
    println!(
        "| time to checkpoint | p50 {:.0} ms, p99 {:.0} ms |",
        percentile(&to_checkpoint, 0.5),
        percentile(&to_checkpoint, 0.99)
    );
    println!("| node hash (SHA-256 of 65 bytes) | {node:.3} µs |");
    println!("| inclusion proof at {size} entries: storage read (one query) | {read_us:.1} µs |");
    println!(
        "| inclusion proof at {size} entries: building it from the read hashes | {proof_us:.2} µs = {:.2}× the time of log2(N) = {log2} node hashes |",
        proof_us / (node * log2)
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
