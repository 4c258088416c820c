//! `bidhall bench draw`: an expert draw over a large pool, end to end through the HTTP API
//! (request with the pool frozen, three commitments, three reveals, conduct, transcript download),
//! then `draw verify` of the downloaded transcript in-process — each timed next to SHA-256 of the
//! canonical pool list in the same run, to show whether hashing the pool dominates.
//! The experts are registered through the registry's use case (each one a logged write, as the
//! platform registers them), concurrently so the log's group commit takes them together. The hall
//! runs on a settable clock moved past each deadline, so no time is spent waiting.

use super::{err, scratch_hall, tempdir_under, BenchError};
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::config::{DrawBenchArgs, ServeArgs};
use crate::domain::{Line, HOUR_MS};
use crate::draws::{commitment, verify_json, Candidate, Pool};
use crate::identity::{Actor, Login};
use crate::registry::service::{register_expert, NewExpert};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴"];
const EMPLOYERS: &[&str] = &[
    "东北大学",
    "沈阳建筑大学",
    "辽宁省建筑设计研究院",
    "沈阳工业大学",
];

async fn call(
    c: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Option<Value>,
) -> Result<reqwest::Response, BenchError> {
    let mut r = c.request(method, &url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    let r = r.send().await.map_err(err)?;
    if !r.status().is_success() {
        let status = r.status();
        return Err(err(format!(
            "{url}: {status} {}",
            r.text().await.unwrap_or_default()
        )));
    }
    Ok(r)
}

async fn post(
    c: &reqwest::Client,
    url: String,
    token: &str,
    body: Value,
) -> Result<Value, BenchError> {
    call(c, reqwest::Method::POST, url, Some(token), Some(body))
        .await?
        .json()
        .await
        .map_err(err)
}

async fn sign_in(c: &reqwest::Client, base: &str, login: &str) -> Result<String, BenchError> {
    let body = json!({ "login": login, "password": crate::demo::password() });
    let v: Value = call(
        c,
        reqwest::Method::POST,
        format!("{base}/api/session"),
        None,
        Some(body),
    )
    .await?
    .json()
    .await
    .map_err(err)?;
    v["token"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| err("no token"))
}

async fn actor(app: &crate::app::AppState, login: &str) -> Result<Actor, BenchError> {
    let user = app
        .store
        .find_user_by_login(&Login::parse(login).map_err(err)?)
        .await
        .map_err(err)?
        .ok_or_else(|| err(format!("no user {login}")))?;
    let org = app
        .store
        .get_organisation(&user.org_id)
        .await
        .map_err(err)?;
    Ok(Actor {
        user_id: user.id,
        org_id: org.id,
        role: org.role,
        display_name: user.display_name.as_str().to_string(),
        org_name: org.name.as_str().to_string(),
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub async fn run(args: DrawBenchArgs) -> Result<(), BenchError> {
    let scratch = tempdir_under(&args.store.data_dir)?;
    let mut store_args = args.store.clone();
    store_args.data_dir = scratch.clone();
    let mut serve = ServeArgs::for_store(store_args);
    // The bench conducts the draw through the API; the hall's own watcher stays out of the way.
    serve.draw_conductor_ms = 0;
    let clock = Arc::new(ManualClock::new(SystemClock.now()));
    let app = scratch_hall(&serve, clock.clone()).await?;
    crate::demo::load(&app).await.map_err(err)?;
    let running = crate::server::spawn(app.clone()).await.map_err(err)?;
    let base = format!("http://{}", running.addr);
    println!(
        "bidhall bench draw: backend {}, {} experts, select {} + {} reserves",
        app.store.backend(),
        args.experts,
        args.select,
        args.reserves
    );

    // 0. the pool: experts registered through the use case, 512 at a time
    let platform = actor(&app, "platform").await?;
    let t = Instant::now();
    let mut i = 0;
    while i < args.experts {
        let batch = (i..(i + 512).min(args.experts)).map(|n| {
            let new = NewExpert {
                name: Line::parse(&format!("{}专家{n:06}", SURNAMES[n % SURNAMES.len()]))
                    .expect("fixed name"),
                specialties: vec![
                    Line::parse(if n % 7 == 0 { "A03" } else { "A01" }).expect("fixed code")
                ],
                employer_org_id: None,
                employer_name: Line::parse(EMPLOYERS[n % EMPLOYERS.len()]).expect("fixed name"),
                region: Line::parse("沈阳市").expect("fixed region"),
                available: true,
                relations: Vec::new(),
            };
            register_expert(&app, &platform, new)
        });
        for r in futures_util::future::join_all(batch).await {
            r.map_err(err)?;
        }
        i += 512;
    }
    let registered = t.elapsed();
    println!(
        "  register {} experts (use case, logged): {:>10.1} ms ({:.0}/s)",
        args.experts,
        ms(registered),
        args.experts as f64 / registered.as_secs_f64()
    );

    // the draw's parties: the tender's agent requests; the platform and the supervisor witness
    let c = reqwest::Client::new();
    let agent_actor = actor(&app, "agent").await?;
    let tender = app
        .store
        .list_tenders_of_org(&agent_actor.org_id)
        .await
        .map_err(err)?
        .into_iter()
        .find(|t| t.agent_org_id.as_ref() == Some(&agent_actor.org_id))
        .ok_or_else(|| err("the demo agent has no tender"))?;
    let tokens = [
        (
            sign_in(&c, &base, "agent").await?,
            agent_actor.org_id.to_string(),
        ),
        (
            sign_in(&c, &base, "platform").await?,
            platform.org_id.to_string(),
        ),
        (
            sign_in(&c, &base, "supervisor").await?,
            actor(&app, "supervisor").await?.org_id.to_string(),
        ),
    ];
    let now = clock.now();
    let at = |h: i64| now.plus_millis(h * HOUR_MS).to_rfc3339();

    // 1. request: announce, freeze and publish the pool
    let t = Instant::now();
    let d = post(
        &c,
        format!("{base}/api/draws"),
        &tokens[0].0,
        json!({
            "kind": "expert", "tender_id": tender.id, "purpose": "评标专家抽取 (bench)",
            "select": args.select, "reserves": args.reserves,
            "expert_filter": { "specialties": ["A01", "A03"] },
            "supervisor_org_id": tender.spec.supervisor_org_id,
            "commit_deadline": at(1), "reveal_deadline": at(2),
        }),
    )
    .await?;
    let t_request = t.elapsed();
    let id = d["id"]
        .as_str()
        .ok_or_else(|| err("no draw id"))?
        .to_string();
    // An expert pool is sealed (docs/draw.md section 10): its size is its commitments'.
    let pool_size = d["pool"]["sealed"]
        .as_array()
        .or_else(|| d["pool"]["candidates"].as_array())
        .map_or(0, Vec::len);

    // 2. three commitments, 3. three reveals
    let secrets: Vec<[u8; 32]> = (0..tokens.len())
        .map(|_| {
            let mut r = [0u8; 32];
            crate::identity::session::fill_random(&mut r);
            r
        })
        .collect();
    let t = Instant::now();
    for ((token, org), r) in tokens.iter().zip(&secrets) {
        let cm = hex::encode(commitment(&id, org, r).map_err(err)?);
        post(
            &c,
            format!("{base}/api/draws/{id}/commit"),
            token,
            json!({ "commitment": cm }),
        )
        .await?;
    }
    let t_commit = t.elapsed();
    clock.advance_millis(HOUR_MS);
    let t = Instant::now();
    for ((token, _), r) in tokens.iter().zip(&secrets) {
        post(
            &c,
            format!("{base}/api/draws/{id}/reveal"),
            token,
            json!({ "r": hex::encode(r) }),
        )
        .await?;
    }
    let t_reveal = t.elapsed();
    clock.advance_millis(HOUR_MS);

    // 4. conduct, 5. the transcript
    let t = Instant::now();
    let done = post(
        &c,
        format!("{base}/api/draws/{id}/conduct"),
        &tokens[0].0,
        json!({}),
    )
    .await?;
    let t_conduct = t.elapsed();
    if done["state"] != "completed" {
        return Err(err(format!("the draw did not complete: {}", done["state"])));
    }
    let t = Instant::now();
    let bytes = call(
        &c,
        reqwest::Method::GET,
        format!("{base}/api/draws/{id}/transcript"),
        None,
        None,
    )
    .await?
    .bytes()
    .await
    .map_err(err)?;
    let t_transcript = t.elapsed();

    // 6. draw verify of the downloaded transcript, in-process
    let t = Instant::now();
    let verified = verify_json(&bytes).map_err(|e| err(format!("verify: {} {e}", e.step())))?;
    let t_verify = t.elapsed();
    std::hint::black_box(&verified);

    // the baseline: SHA-256 of the canonical pool list, and building that list (NFC, sort) first
    // (the names of a sealed pool come from the hall's own store, as the platform reads them)
    let candidates: Vec<Candidate> = app
        .store
        .sealed_pool(&id)
        .await
        .map_err(err)?
        .openings
        .into_iter()
        .map(|o| Candidate::new(o.id, o.name))
        .collect();
    let t = Instant::now();
    let pool = Pool::new(candidates).map_err(err)?;
    let lines = pool.lines();
    let t_lines = t.elapsed();
    let mut best_sha = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        std::hint::black_box(ring::digest::digest(&ring::digest::SHA256, &lines));
        best_sha = best_sha.min(t.elapsed());
    }
    let end_to_end = t_request + t_commit + t_reveal + t_conduct + t_transcript;
    let row = |name: &str, d: Duration| {
        println!(
            "  {name:<44} {:>10.1} ms  ({:>6.1}× the pool's SHA-256)",
            ms(d),
            d.as_secs_f64() / best_sha.as_secs_f64()
        )
    };
    println!(
        "  pool {pool_size} eligible; canonical list {} bytes; transcript {} bytes",
        lines.len(),
        bytes.len()
    );
    println!(
        "  {:<44} {:>10.3} ms",
        "SHA-256 of the canonical pool list (best of 5)",
        ms(best_sha)
    );
    println!(
        "  {:<44} {:>10.1} ms",
        "build the list (NFC, sort by id) + SHA-256",
        ms(t_lines + best_sha)
    );
    row("request (announce + freeze the pool)", t_request);
    row("3 commitments", t_commit);
    row("3 reveals", t_reveal);
    row("conduct", t_conduct);
    row("transcript download", t_transcript);
    row("end to end through the API", end_to_end);
    row("draw verify of the transcript (in-process)", t_verify);

    app.shutdown.cancel();
    let _ = running.task.await;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
