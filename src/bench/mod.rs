//! `bidhall bench notices`: loads many published tenders into a scratch database, starts the real server,
//! and measures the notice board's search latency and rate beside `/healthz` on the same server in
//! the same run. Prints its figures; asserts nothing (targets are judged by people).

use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::clock::SystemClock;
use crate::config::{BenchArgs, ServeArgs};
use crate::domain::{Line, LotId, Money, OrgId, ProjectId, Prose, TenderId, DAY_MS, HOUR_MS};
use crate::identity::{CreditCode, Organisation, Role};
use crate::tenders::model::{
    Category, CustodianSet, EvaluationMethod, Lot, Project, Schedule, Tender, TenderSpec,
    TenderState,
};
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BenchError(String);

pub(super) fn err(e: impl std::fmt::Display) -> BenchError {
    BenchError(e.to_string())
}

const PLACES: &[&str] = &[
    "浑南区",
    "和平区",
    "沈河区",
    "皇姑区",
    "铁西区",
    "大东区",
    "于洪区",
    "沈北新区",
    "苏家屯区",
    "新民市",
];
const SUBJECTS: &[&str] = &[
    "第一中学教学楼",
    "人民医院门诊楼",
    "城市道路照明",
    "污水处理厂",
    "政务云平台",
    "体育中心",
    "老旧小区",
    "供热管网",
    "图书馆",
    "地铁站前广场",
    "消防站",
    "农贸市场",
    "河道综合整治",
    "公交场站",
];
const WORKS: &[&str] = &[
    "改造工程施工",
    "设备采购",
    "运维服务",
    "监理服务",
    "新建工程施工",
    "设计服务",
    "物业管理服务",
    "信息化系统建设",
    "绿化养护",
    "安装工程",
];
const REGIONS: &[&str] = &[
    "沈阳市",
    "大连市",
    "鞍山市",
    "抚顺市",
    "本溪市",
    "丹东市",
    "锦州市",
];

/// The searches a visitor of the board makes: text (long and short words), filters, ranges, pages.
fn queries(now_ms: i64) -> Vec<String> {
    let day = |d: i64| {
        crate::domain::Timestamp::from_stored(now_ms + d * DAY_MS)
            .to_rfc3339()
            .replace(':', "%3A")
    };
    vec![
        "/api/notices".into(),
        "/api/notices?q=%E6%95%99%E5%AD%A6%E6%A5%BC".into(), // 教学楼
        "/api/notices?q=%E6%B1%A1%E6%B0%B4%E5%A4%84%E7%90%86".into(), // 污水处理
        "/api/notices?q=%E8%AE%BE%E5%A4%87%E9%87%87%E8%B4%AD&category=goods".into(), // 设备采购
        "/api/notices?q=%E5%8C%BB%E9%99%A2".into(),          // 医院 (two characters)
        "/api/notices?category=construction&region=%E6%B2%88%E9%98%B3%E5%B8%82".into(),
        "/api/notices?status=bidding&page=3".into(),
        format!(
            "/api/notices?deadline_from={}&deadline_to={}",
            day(5),
            day(12)
        ),
        "/api/notices?q=%E6%B5%91%E5%8D%97%E5%8C%BA%20%E8%BF%90%E7%BB%B4".into(), // 浑南区 运维
        "/api/notices?region=%E5%A4%A7%E8%BF%9E%E5%B8%82&status=closed".into(),
    ]
}

pub async fn run(args: BenchArgs) -> Result<(), BenchError> {
    let scratch = tempdir_under(&args.store.data_dir)?;
    let mut store_args = args.store.clone();
    if store_args.database_url.is_none() {
        store_args.data_dir = scratch.clone();
    }
    let mut serve = ServeArgs::for_store(store_args);
    serve.store.data_dir = scratch.clone();
    let app = scratch_hall(&serve, Arc::new(SystemClock)).await?;
    println!(
        "bidhall bench: backend {}, {} tenders, {} connections, {} s per phase",
        app.store.backend(),
        args.tenders,
        args.connections,
        args.seconds
    );
    let started = Instant::now();
    load(&app, args.tenders).await?;
    app.store.refresh_statistics().await.map_err(err)?;
    println!(
        "loaded {} tenders in {:.1} s",
        args.tenders,
        started.elapsed().as_secs_f64()
    );
    // Loaded tenders past their deadline get their boxes closed first, as a hall catching up
    // would, so that work is not measured as noise in the phases below.
    let started = Instant::now();
    let mut closed = 0;
    loop {
        let done = crate::bids::closing::close_due_boxes(&app)
            .await
            .map_err(err)?;
        if done.is_empty() {
            break;
        }
        closed += done.len();
    }
    println!(
        "closed {closed} boxes past their deadline in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    app.store.refresh_statistics().await.map_err(err)?;
    let running = crate::server::spawn(app.clone()).await.map_err(err)?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.connections)
        .build()
        .map_err(err)?;
    let now_ms = app.clock.now().millis();
    // Warm up caches and connections, and check every query answers.
    for q in queries(now_ms) {
        let r = client.get(format!("{base}{q}")).send().await.map_err(err)?;
        if !r.status().is_success() {
            return Err(err(format!("{q} answered {}", r.status())));
        }
    }
    let secs = Duration::from_secs(args.seconds);
    let health = phase(
        &client,
        &base,
        vec!["/healthz".into()],
        args.connections,
        secs,
    )
    .await;
    let search = phase(&client, &base, queries(now_ms), args.connections, secs).await;
    app.board.set_bypass(true);
    let uncached = phase(&client, &base, queries(now_ms), args.connections, secs).await;
    println!();
    println!(
        "| {:<28} | {:>10} | {:>9} | {:>9} | {:>7} |",
        "route", "requests/s", "p50 ms", "p99 ms", "errors"
    );
    println!(
        "|{:-<30}|{:->12}|{:->11}|{:->11}|{:->9}|",
        "", "", "", "", ""
    );
    for (name, r) in [
        ("/healthz", &health),
        ("/api/notices", &search),
        ("/api/notices (cache off)", &uncached),
    ] {
        println!(
            "| {:<28} | {:>10.0} | {:>9.2} | {:>9.2} | {:>7} |",
            name, r.rps, r.p50_ms, r.p99_ms, r.errors
        );
    }
    println!();
    println!("each query alone, cache off, one client, 50 requests:");
    for q in queries(now_ms) {
        let one = phase_n(&client, &base, &q, 50).await;
        println!("  p50 {:>8.2} ms  p99 {:>8.2} ms  {q}", one.0, one.1);
    }
    println!();
    println!(
        "search rate / healthz rate = {:.1}% (target >= 25%); search p99 = {:.2} ms (target < 50 ms)",
        100.0 * search.rps / health.rps.max(1.0),
        search.p99_ms
    );
    println!(
        "cache off: {:.1}% of the healthz rate; p99 {:.2} ms under {} connections",
        100.0 * uncached.rps / health.rps.max(1.0),
        uncached.p99_ms,
        args.connections
    );
    app.shutdown.cancel();
    let _ = running.task.await;
    if args.keep {
        println!("scratch data kept in {}", scratch.display());
    } else {
        let _ = std::fs::remove_dir_all(&scratch);
    }
    Ok(())
}

/// The hall a bench measures, on its scratch database; a database that already holds data is
/// refused (a bench's figures and its clean-up assume it starts empty).
pub(super) async fn scratch_hall(
    serve: &ServeArgs,
    clock: Arc<dyn crate::clock::Clock>,
) -> Result<AppState, BenchError> {
    let app = crate::server::state(serve, clock).await.map_err(err)?;
    if !app
        .store
        .list_organisations(None)
        .await
        .map_err(err)?
        .is_empty()
    {
        return Err(err(
            "the bench needs an empty scratch database; this one holds data",
        ));
    }
    Ok(app)
}

/// The `p` quantile (0–1) of ascending `sorted`, nearest-rank; NaN when empty.
pub(super) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

pub(super) fn tempdir_under(base: &std::path::Path) -> Result<std::path::PathBuf, BenchError> {
    let dir = base.join(format!("bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(err)?;
    Ok(dir)
}

/// Sequential latency of one path: (p50, p99) in ms.
async fn phase_n(client: &reqwest::Client, base: &str, path: &str, n: usize) -> (f64, f64) {
    let mut l = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        if let Ok(r) = client.get(format!("{base}{path}")).send().await {
            let _ = r.bytes().await;
        }
        l.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    l.sort_by(|a, b| a.total_cmp(b));
    (l[n / 2], l[(n * 99 / 100).min(n - 1)])
}

struct PhaseResult {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

async fn phase(
    client: &reqwest::Client,
    base: &str,
    paths: Vec<String>,
    connections: usize,
    duration: Duration,
) -> PhaseResult {
    let stop = Arc::new(AtomicBool::new(false));
    let paths = Arc::new(paths);
    let mut tasks = Vec::new();
    let start = Instant::now();
    for worker in 0..connections {
        let (client, base, paths, stop) = (
            client.clone(),
            base.to_string(),
            paths.clone(),
            stop.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0u64;
            let mut i = worker;
            while !stop.load(Ordering::Relaxed) {
                let url = format!("{base}{}", paths[i % paths.len()]);
                i += 1;
                let t = Instant::now();
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        if r.bytes().await.is_err() {
                            errors += 1;
                        }
                    }
                    _ => errors += 1,
                }
                latencies.push(t.elapsed());
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(duration).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            all.extend(l);
            errors += e;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    PhaseResult {
        rps: all.len() as f64 / elapsed,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        errors,
    }
}

/// Loads `n` published tenders spread over a year of deadlines, in batches of one transaction.
async fn load(app: &AppState, n: usize) -> Result<(), BenchError> {
    let now = app.clock.now();
    let org = |role: Role, name: &str, code: &str| Organisation {
        id: OrgId::generate(),
        role,
        name: Line::parse(name).expect("fixed name"),
        credit_code: CreditCode::parse(code).expect("fixed code"),
        region: Line::parse("沈阳市").expect("fixed region"),
        created_at: now,
    };
    let owner = org(Role::Owner, "压测业主单位", "11210100MB0000901X");
    let agent = org(Role::Agent, "压测招标代理", "91210100MA0Y009024");
    let supervisor = org(Role::Supervisor, "压测监督部门", "11210100MB00009034");
    let witness = org(Role::Witness, "压测公证处", "12210100MB00009044");
    for o in [&owner, &agent, &supervisor, &witness] {
        let audit = AuditEvent::new(
            "organisation_registered",
            None,
            AuditActor::System,
            now,
            json!({ "org": o.id, "source": "bench" }),
        );
        app.store
            .create_organisation(o, &audit)
            .await
            .map_err(err)?;
    }
    let mut projects = Vec::new();
    for (i, subject) in SUBJECTS.iter().enumerate() {
        let p = Project {
            id: ProjectId::generate(),
            owner_org_id: owner.id.clone(),
            agent_org_id: Some(agent.id.clone()),
            agent_by_draw: false,
            name: Line::parse(&format!("{subject}项目")).expect("fixed"),
            code: Line::parse(&format!("BENCH-{i:03}")).expect("fixed"),
            region: Line::parse("沈阳市").expect("fixed"),
            created_at: now,
        };
        let audit = AuditEvent::new(
            "project_created",
            None,
            AuditActor::System,
            now,
            json!({ "project": p.id, "source": "bench" }),
        );
        app.store.create_project(&p, &audit).await.map_err(err)?;
        projects.push(p);
    }
    let categories = [Category::Construction, Category::Goods, Category::Services];
    let mut batch = Vec::with_capacity(1000);
    for i in 0..n {
        // A cheap deterministic scramble so neighbouring tenders differ.
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17;
        let pick =
            |list: &[&'static str], salt: u64| list[((h >> salt) % list.len() as u64) as usize];
        let project = &projects[(h % projects.len() as u64) as usize];
        let subject = SUBJECTS[(h % SUBJECTS.len() as u64) as usize];
        let title = format!(
            "{}{}{}（第{}批）",
            pick(PLACES, 3),
            subject,
            pick(WORKS, 7),
            i % 97 + 1
        );
        let published = now.plus_millis(-((h % 200) as i64) * DAY_MS);
        let deadline = published
            .plus_days(20 + (h % 30) as i64)
            .plus_millis(((h >> 11) % 24) as i64 * HOUR_MS);
        let estimate = Money::from_fen(((h % 50_000) as i64 + 100) * 100_000).expect("in range");
        let spec = TenderSpec {
            title: Line::parse(&title).expect("generated title"),
            description: Prose::parse(&format!("{title}。详见招标文件。")).expect("generated"),
            category: categories[(h % 3) as usize],
            region: Line::parse(pick(REGIONS, 13)).expect("fixed"),
            qualification: Prose::parse("具备相应资质。").expect("fixed"),
            evaluation_method: EvaluationMethod::LowestEvaluatedPrice,
            tie_break: None,
            performance_bond_percent: None,
            committee_per_lot: false,
            schedule: Schedule {
                docs_from: published,
                docs_to: published.plus_days(7),
                clarification_deadline: published.plus_days(9),
                bid_deadline: deadline,
            },
            lots: vec![Lot {
                id: LotId::generate(),
                name: Line::parse("全部").expect("fixed"),
                estimate_fen: estimate,
                bid_bond_fen: estimate.percent(1),
            }],
            custodians: CustodianSet::standard(supervisor.id.clone(), witness.id.clone()),
            supervisor_org_id: supervisor.id.clone(),
        };
        let cancelled = h.is_multiple_of(40);
        let t = Tender {
            id: TenderId::generate(),
            project_id: project.id.clone(),
            owner_org_id: owner.id.clone(),
            agent_org_id: Some(agent.id.clone()),
            state: if cancelled {
                TenderState::Cancelled
            } else {
                TenderState::Published
            },
            spec,
            version: 2,
            created_at: published,
            updated_at: published,
            published_at: Some(published),
            documents_issued_at: Some(published),
            award_stage: None,
        };
        let audit = AuditEvent::new(
            "tender_imported",
            Some(&t.id),
            AuditActor::System,
            now,
            json!({ "source": "bench", "title": title }),
        );
        batch.push((t, audit));
        if batch.len() == 1000 || i + 1 == n {
            app.store.import_tenders(&batch).await.map_err(err)?;
            batch.clear();
        }
    }
    Ok(())
}
pub mod bids;
pub mod bonds;
pub mod draws;
pub mod log;
pub mod opening;
pub mod peak;

/// `n` single-row INSERTs, each its own transaction, from `concurrency` tasks: (rate, p50, p99).
pub(super) async fn raw_inserts(
    url: &str,
    n: usize,
    concurrency: usize,
) -> Result<(f64, f64, f64), BenchError> {
    use sqlx::any::AnyPoolOptions;
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let sqlite = url.starts_with("sqlite:");
    let pool = AnyPoolOptions::new()
        .max_connections(concurrency as u32)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                if sqlite {
                    // The hall's own settings: WAL, full fsync at commit, wait for the lock.
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;",
                    )
                    .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(err)?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS bench_raw_inserts (id BIGINT PRIMARY KEY, body TEXT NOT NULL)",
    )
    .execute(&pool)
    .await
    .map_err(err)?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (pool, next) = (pool.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                let t = Instant::now();
                let r = async {
                    let mut tx = pool.begin().await?;
                    sqlx::query("INSERT INTO bench_raw_inserts (id, body) VALUES ($1, $2)")
                        .bind(i as i64)
                        .bind(format!("{{\"n\":{i},\"amount_fen\":2000000}}"))
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await
                }
                .await;
                if r.is_ok() {
                    latencies.push(t.elapsed());
                }
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.map_err(err)?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    sqlx::query("DROP TABLE bench_raw_inserts")
        .execute(&pool)
        .await
        .map_err(err)?;
    latencies.sort();
    let pct = |p: f64| -> f64 {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Ok((latencies.len() as f64 / elapsed, pct(0.5), pct(0.99)))
}
