//! `bidhall bench bonds`: the real server on a scratch database takes signed bank notifications
//! (some of them replays) over HTTP at a fixed concurrency, beside the raw rate of single-row
//! INSERTs (one per transaction, same concurrency) into a scratch table of the same database, in
//! the same run. Prints its figures; asserts nothing but that every notification was answered 200.

use super::{err, scratch_hall, tempdir_under, BenchError};
use crate::bonds::bank::{sign, BankCode, BankTxnId, Notification, SubAccount};
use crate::clock::SystemClock;
use crate::config::{BondsBenchArgs, ServeArgs};
use crate::domain::{OrgId, Timestamp};
use crate::identity::Role;
use crate::store::SubAccountRow;
use crate::tenders::model::TenderState;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Payments per sub-account before replays: the first is the bond, the others are flagged.
const PER_PAIR: usize = 3;

pub async fn run(args: BondsBenchArgs) -> Result<(), BenchError> {
    let scratch = tempdir_under(&args.store.data_dir)?;
    let mut store_args = args.store.clone();
    if store_args.database_url.is_none() {
        store_args.data_dir = scratch.clone();
    }
    let mut serve = ServeArgs::for_store(store_args);
    serve.store.data_dir = scratch.clone();
    serve.refund_sender_ms = 0;
    serve.draw_conductor_ms = 0;
    let app = scratch_hall(&serve, Arc::new(SystemClock)).await?;
    crate::demo::load(&app).await.map_err(err)?;
    let url = serve.store.database_url();
    println!(
        "bidhall bench bonds: backend {}, {} notifications ({}% replays), concurrency {}",
        app.store.backend(),
        args.notifications,
        args.duplicate_percent,
        args.concurrency
    );

    // A published tender with a bid bond, and sub-accounts for enough tenderers.
    let mut tender = None;
    for agent in app
        .store
        .list_organisations(Some(Role::Agent))
        .await
        .map_err(err)?
    {
        for t in app
            .store
            .list_tenders_of_org(&agent.id)
            .await
            .map_err(err)?
        {
            if t.state == TenderState::Published
                && t.spec.lots.iter().any(|l| l.bid_bond_fen.fen() > 0)
            {
                tender = Some(t);
            }
        }
    }
    let tender = tender.ok_or_else(|| err("the demo data has no published tender with a bond"))?;
    let lot = tender
        .spec
        .lots
        .iter()
        .find(|l| l.bid_bond_fen.fen() > 0)
        .ok_or_else(|| err("no lot with a bond"))?;
    let bond = lot.bid_bond_fen.fen();
    let sbx = app
        .banks
        .get(&BankCode::parse("SBX").map_err(err)?)
        .ok_or_else(|| err("the sandbox bank is not configured"))?;
    let unique = args.notifications * (100 - args.duplicate_percent.min(100)) / 100;
    let pairs = unique.div_ceil(PER_PAIR).max(1);
    let started = Instant::now();
    let mut numbers = Vec::with_capacity(pairs);
    for i in 0..pairs {
        let tenderer = OrgId::generate();
        let number = SubAccount::derive(
            app.banks.hall_secret(),
            &sbx.prefix,
            &tender.id,
            &tenderer,
            0,
        );
        let row = SubAccountRow {
            tender: tender.id.clone(),
            tenderer,
            bank: sbx.code.clone(),
            number: number.to_string(),
            attempt: 0,
            opened_at: app.clock.now(),
        };
        let audit = crate::auditlog::AuditEvent::new(
            "sub_account_opened",
            Some(&tender.id),
            crate::auditlog::AuditActor::System,
            row.opened_at,
            serde_json::json!({ "bank": sbx.code, "sub_account": row.number, "source": "bench" }),
        );
        app.store
            .open_sub_account(&row, &audit)
            .await
            .map_err(err)?;
        numbers.push(number.to_string());
        if i % 1000 == 999 {
            println!("opened {} sub-accounts", i + 1);
        }
    }
    println!(
        "opened {pairs} sub-accounts in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    // The bodies: unique payments in an interleaved order, then every n-th replaced by a replay.
    let now = app.clock.now();
    let mut bodies: Vec<Arc<Vec<u8>>> = Vec::with_capacity(args.notifications);
    for i in 0..unique {
        let pair = i % pairs;
        let amount = if i < pairs {
            bond
        } else {
            bond + 1 + i as i64 % 7
        };
        let n = Notification::new(
            BankTxnId::parse(&format!("SBXB{i:09}")).map_err(err)?,
            numbers[pair].clone(),
            amount,
            "压测付款单位".into(),
            "6222020100000000000".into(),
            Timestamp::from_stored(now.millis() + i as i64),
        )
        .map_err(err)?;
        bodies.push(Arc::new(n.to_body().map_err(err)?));
    }
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    while bodies.len() < args.notifications {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let earlier = (x % bodies.len().max(1) as u64) as usize;
        let at = (x >> 20) as usize % (bodies.len() + 1);
        let replay = bodies[earlier].clone();
        bodies.insert(at.max(earlier + 1).min(bodies.len()), replay);
    }

    let running = crate::server::spawn(app.clone()).await.map_err(err)?;
    let endpoint = format!(
        "http://{}/api/banks/{}/notifications",
        running.addr,
        sbx.code.as_str()
    );
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .map_err(err)?;
    let bodies = Arc::new(bodies);
    let next = Arc::new(AtomicUsize::new(0));
    let secret = Arc::new(sbx.secret.clone());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..args.concurrency {
        let (client, endpoint, bodies, next, secret) = (
            client.clone(),
            endpoint.clone(),
            bodies.clone(),
            next.clone(),
            secret.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut outcomes: [usize; 4] = [0; 4];
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let ts = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or(0);
                let t = Instant::now();
                let r = client
                    .post(&endpoint)
                    .header("Content-Type", "application/json")
                    .header("Bidhall-Timestamp", ts.to_string())
                    .header("Bidhall-Signature", sign(&secret, ts, body))
                    .body(body.to_vec())
                    .send()
                    .await;
                let slot = match r {
                    Ok(r) if r.status().is_success() => {
                        match r.text().await.unwrap_or_default().as_str() {
                            s if s.contains("\"recorded\"") => 0,
                            s if s.contains("\"flagged\"") => 1,
                            s if s.contains("\"duplicate\"") => 2,
                            _ => 3,
                        }
                    }
                    _ => 3,
                };
                outcomes[slot] += 1;
                latencies.push(t.elapsed());
            }
            (latencies, outcomes)
        }));
    }
    let mut latencies = Vec::new();
    let mut outcomes = [0usize; 4];
    for t in tasks {
        let (l, o) = t.await.map_err(err)?;
        latencies.extend(l);
        for k in 0..4 {
            outcomes[k] += o[k];
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let pct = |p: f64| -> f64 {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d: &Duration| d.as_secs_f64() * 1000.0)
    };
    let rate = args.notifications as f64 / elapsed;
    let ledger = crate::bonds::service::ledger(&app).await.map_err(err)?;
    app.shutdown.cancel();
    let _ = running.task.await;

    let raw = super::raw_inserts(&url, args.notifications, args.concurrency).await?;
    println!();
    println!(
        "| {:<34} | {:>9} | {:>8} | {:>8} |",
        "", "per s", "p50 ms", "p99 ms"
    );
    println!("|{:-<36}|{:->11}|{:->10}|{:->10}|", "", "", "", "");
    println!(
        "| {:<34} | {:>9.0} | {:>8.2} | {:>8.2} |",
        "notifications over HTTP",
        rate,
        pct(0.50),
        pct(0.99)
    );
    println!(
        "| {:<34} | {:>9.0} | {:>8.2} | {:>8.2} |",
        "raw single-row INSERT, 1 per txn", raw.0, raw.1, raw.2
    );
    println!();
    println!(
        "answers: {} recorded, {} flagged, {} duplicate, {} failed; ledger: {} transactions, trial balance {} fen",
        outcomes[0],
        outcomes[1],
        outcomes[2],
        outcomes[3],
        ledger.transactions().len(),
        ledger.trial_balance()
    );
    println!(
        "notifications / raw inserts = {:.1}% (target >= 50%)",
        100.0 * rate / raw.0.max(1.0)
    );
    if outcomes[3] > 0 {
        return Err(err(format!("{} notifications failed", outcomes[3])));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
