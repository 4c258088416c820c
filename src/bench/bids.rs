//! `bidhall bench bids`: the sealed bid box measured against plain baselines in the same run —
//! one 50 MiB streamed submission against hashing and writing+fsyncing the same bytes, 64
//! concurrent 1 MiB submissions, and opening 300 envelopes of 5 MiB against ring's AES-256-GCM
//! plus SHA-256 over the same bytes, on one thread and on two.

use super::{err, scratch_hall, tempdir_under, BenchError};
use crate::app::AppState;
use crate::clock::SystemClock;
use crate::config::{BidBenchArgs, ServeArgs};
use crate::domain::OrgId;
use crate::identity::keys::test_support::{new_pair, proof_for};
use crate::sealbox::envelope::{self, Header, ReleasedShare, SealParams};
use crate::sealbox::keys::{CustodianPrivateKey, CustodianPublicKey, TendererSigningKey};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use ring::rand::SystemRandom;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

const MIB: usize = 1024 * 1024;

fn mib_s(bytes: usize, d: Duration) -> f64 {
    bytes as f64 / MIB as f64 / d.as_secs_f64()
}

/// A tender ready for bids on a scratch hall: custodian keys registered, a tenderer signed in.
pub(super) struct Setup {
    pub(super) base: String,
    pub(super) token: String,
    pub(super) tender: String,
    pub(super) lot: String,
    pub(super) params: SealParams,
    pub(super) signer_pkcs8: Vec<u8>,
    pub(super) keys: Vec<CustodianPrivateKey>,
}

pub(super) async fn post(
    c: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Result<Value, BenchError> {
    let mut r = c.post(&url).json(&body);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    let r = r.send().await.map_err(err)?;
    let status = r.status();
    let v: Value = r.json().await.map_err(err)?;
    if !status.is_success() {
        return Err(err(format!("{url}: {status} {v}")));
    }
    Ok(v)
}

pub(super) async fn get(
    c: &reqwest::Client,
    url: String,
    token: Option<&str>,
) -> Result<Value, BenchError> {
    let mut r = c.get(&url);
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    r.send().await.map_err(err)?.json().await.map_err(err)
}

/// A demo person's session token.
pub(super) async fn sign_in(
    c: &reqwest::Client,
    base: &str,
    login: &str,
) -> Result<String, BenchError> {
    let password = crate::demo::password();
    let v = post(
        c,
        format!("{base}/api/session"),
        None,
        json!({ "login": login, "password": password }),
    )
    .await?;
    Ok(v["token"].as_str().unwrap_or_default().to_string())
}

/// Registers a fresh identity key for the signed-in organisation; returns its PKCS#8.
async fn register_identity_key(
    c: &reqwest::Client,
    base: &str,
    token: &str,
) -> Result<(OrgId, Vec<u8>), BenchError> {
    let me: Value = get(c, format!("{base}/api/me"), Some(token)).await?;
    let org = OrgId::parse(me["org_id"].as_str().unwrap_or_default()).map_err(err)?;
    let (_, pkcs8) = new_pair();
    let (public, proof) = proof_for(&pkcs8, &org);
    post(
        c,
        format!("{base}/api/keys"),
        Some(token),
        json!({ "label": "bench", "public_key": public.to_base64(), "proof": proof }),
    )
    .await?;
    Ok((org, pkcs8))
}

/// A published tender of one lot with a bid bond, through the agent's API: its custodians the
/// time-release one, the agent, the supervisor and a witness (k = 3), its bid deadline
/// `deadline_days` after `now`. Returns (tender, lot).
pub(super) async fn publish_tender(
    c: &reqwest::Client,
    base: &str,
    agent: &str,
    now: crate::domain::Timestamp,
    deadline_days: i64,
) -> Result<(String, String), BenchError> {
    let projects: Value = get(c, format!("{base}/api/projects"), Some(agent)).await?;
    let project = projects[0]["id"].clone();
    let orgs: Value = get(c, format!("{base}/api/organisations"), Some(agent)).await?;
    let org = |role: &str| {
        orgs.as_array()
            .and_then(|a| a.iter().find(|o| o["role"] == role))
            .map(|o| o["id"].clone())
            .unwrap_or(Value::Null)
    };
    let day = |d: i64| now.plus_days(d).to_rfc3339();
    let spec = json!({
        "title": "压测招标", "category": "construction", "region": "沈阳市",
        "evaluation_method": { "kind": "lowest_evaluated_price" },
        "schedule": { "docs_from": day(0), "docs_to": day(7), "clarification_deadline": day(12), "bid_deadline": day(deadline_days) },
        "lots": [ { "name": "一标段", "estimate_fen": 100_000_000, "bid_bond_fen": 2_000_000 } ],
        "custodians": { "k": 3, "members": [ { "kind": "time_release" }, { "kind": "agent" },
            { "kind": "supervisor", "org_id": org("supervisor") }, { "kind": "witness", "org_id": org("witness") } ] },
        "supervisor_org_id": org("supervisor"),
    });
    let t = post(
        c,
        format!("{base}/api/tenders"),
        Some(agent),
        json!({ "project_id": project, "spec": spec }),
    )
    .await?;
    let tender = t["id"].as_str().unwrap_or_default().to_string();
    post(
        c,
        format!("{base}/api/tenders/{tender}/publish"),
        Some(agent),
        json!({ "version": t["version"] }),
    )
    .await?;
    let lot = t["spec"]["lots"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((tender, lot))
}

/// The three people who hold a tender's custodian shares (agent, supervisor, witness), signed
/// in with their identity keys registered, and the sealing key each keeps on its device.
pub(super) struct Custodians {
    people: Vec<(u8, &'static str, String, Vec<u8>)>,
    pub(super) keys: Vec<CustodianPrivateKey>,
}

pub(super) async fn custodians(c: &reqwest::Client, base: &str) -> Result<Custodians, BenchError> {
    let rng = SystemRandom::new();
    let mut people = Vec::new();
    let mut keys = Vec::new();
    for (index, login) in [(2u8, "agent"), (3, "supervisor"), (4, "witness")] {
        let token = sign_in(c, base, login).await?;
        let (_, pkcs8) = register_identity_key(c, base, &token).await?;
        people.push((index, login, token, pkcs8));
        keys.push(CustodianPrivateKey::generate(&rng).map_err(err)?);
    }
    Ok(Custodians { people, keys })
}

impl Custodians {
    /// Each custodian's index and login, in the order of `keys`.
    pub(super) fn logins(&self) -> impl Iterator<Item = (u8, &'static str)> + '_ {
        self.people.iter().map(|(i, login, _, _)| (*i, *login))
    }
}

/// Registers the custodians' sealing keys for `tender`; returns the tender's custodian public
/// keys as a tenderer's client reads them, in order.
pub(super) async fn register_custodian_keys(
    c: &reqwest::Client,
    base: &str,
    custodians: &Custodians,
    tender: &str,
) -> Result<Vec<CustodianPublicKey>, BenchError> {
    // The first look at the list makes the time-release custodian's key.
    c.get(format!("{base}/api/tenders/{tender}/custodians"))
        .send()
        .await
        .map_err(err)?;
    let tid = crate::domain::TenderId::parse(tender).map_err(err)?;
    for ((index, _, token, pkcs8), key) in custodians.people.iter().zip(&custodians.keys) {
        let pk = B64.encode(key.public_key().to_sec1());
        let sig = crate::identity::keys::test_support::sign(
            pkcs8,
            &crate::bids::key_registration_message(&tid, *index, &pk),
        );
        post(
            c,
            format!("{base}/api/tenders/{tender}/custodians/{index}/key"),
            Some(token),
            json!({ "public_key": pk, "signature": sig }),
        )
        .await?;
    }
    let listed: Value = get(c, format!("{base}/api/tenders/{tender}/custodians"), None).await?;
    Ok(listed
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|e| B64.decode(e["public_key"].as_str()?).ok())
                .filter_map(|raw| CustodianPublicKey::from_sec1(&raw).ok())
                .collect::<Vec<_>>()
        })
        .unwrap_or_default())
}

/// A tenderer signed in with a registered signing key.
pub(super) struct Bidder {
    pub(super) token: String,
    pub(super) org: OrgId,
    pub(super) pkcs8: Vec<u8>,
}

/// The `i`-th bench tenderer, registering itself through the API (the hall's self-registration
/// throttle must allow it), then signing in and registering its signing key.
pub(super) async fn register_bidder(
    c: &reqwest::Client,
    base: &str,
    i: usize,
) -> Result<Bidder, BenchError> {
    let login = format!("bench{i}");
    post(
        c,
        format!("{base}/api/register"),
        None,
        json!({
            "organisation": { "role": "tenderer", "name": format!("压测投标人{i}"), "credit_code": crate::identity::CreditCode::with_check_character(&format!("91210100MA1{i:06}")) },
            "user": { "login": login, "display_name": login, "password": "a long enough password" }
        }),
    )
    .await?;
    let token = post(
        c,
        format!("{base}/api/session"),
        None,
        json!({ "login": login, "password": "a long enough password" }),
    )
    .await?["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let (org, pkcs8) = register_identity_key(c, base, &token).await?;
    Ok(Bidder { token, org, pkcs8 })
}

/// One tender ready for bids on a scratch hall with the demo's parties: custodian keys
/// registered, the demo's first tenderer signed in and holding its documents.
pub(super) async fn setup(app: &AppState, base: &str) -> Result<Setup, BenchError> {
    crate::demo::load(app).await.map_err(err)?;
    let c = reqwest::Client::new();
    let agent = sign_in(&c, base, "agent").await?;
    let (tender, lot) = publish_tender(&c, base, &agent, app.clock.now(), 25).await?;
    let custodians = custodians(&c, base).await?;
    let keys = register_custodian_keys(&c, base, &custodians, &tender).await?;
    let tenderer = sign_in(&c, base, "tenderer1").await?;
    post(
        &c,
        format!("{base}/api/tenders/{tender}/obtain"),
        Some(&tenderer),
        json!({}),
    )
    .await?;
    let (org_id, signer_pkcs8) = register_identity_key(&c, base, &tenderer).await?;
    Ok(Setup {
        base: base.to_string(),
        token: tenderer,
        params: SealParams {
            tender_id: tender.clone(),
            lot_id: lot.clone(),
            tenderer_id: org_id.to_string(),
            custodians: keys,
            k: 3,
        },
        tender,
        lot,
        signer_pkcs8,
        keys: custodians.keys,
    })
}

/// A bid archive as a tenderer's client makes it, about `len` bytes: bid.json, then an attachment.
pub(super) fn bid_payload(len: usize) -> Vec<u8> {
    let bid =
        r#"{"price_fen": 98765400, "duration_days": 180, "quality_commitment": "合格"}"#.as_bytes();
    let attachment = vec![0x5au8; len.saturating_sub(4096)];
    let mut w = crate::sealbox::tar::TarWriter::new(Vec::with_capacity(len + 4096));
    if w.append("bid.json", bid.len() as u64, bid).is_err()
        || w.append("technical.pdf", attachment.len() as u64, &attachment[..])
            .is_err()
    {
        return Vec::new();
    }
    w.finish().unwrap_or_default()
}

fn seal_bytes(s: &Setup, len: usize) -> Result<Vec<u8>, BenchError> {
    let rng = SystemRandom::new();
    let signer = TendererSigningKey::from_pkcs8(&s.signer_pkcs8, &rng).map_err(err)?;
    let payload = vec![0x5au8; len];
    let mut out = Vec::with_capacity(len + 64 * 1024);
    envelope::seal(&s.params, &signer, &payload[..], len as u64, &mut out, &rng).map_err(err)?;
    Ok(out)
}

async fn submit(c: &reqwest::Client, s: &Setup, envelope: Vec<u8>) -> Result<Duration, BenchError> {
    let t = Instant::now();
    let r = c
        .post(format!(
            "{}/api/tenders/{}/lots/{}/bid",
            s.base, s.tender, s.lot
        ))
        .bearer_auth(&s.token)
        .body(envelope)
        .send()
        .await
        .map_err(err)?;
    if !r.status().is_success() {
        return Err(err(format!(
            "submission refused: {}",
            r.text().await.unwrap_or_default()
        )));
    }
    r.bytes().await.map_err(err)?;
    Ok(t.elapsed())
}

/// What the hall must at least do with a bid: hash it and write it durably.
fn baseline_hash_write_fsync(dir: &std::path::Path, bytes: &[u8]) -> Result<Duration, BenchError> {
    let t = Instant::now();
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    let path = dir.join("baseline.bin");
    let mut f = std::fs::File::create(&path).map_err(err)?;
    for chunk in bytes.chunks(64 * 1024) {
        ctx.update(chunk);
        f.write_all(chunk).map_err(err)?;
    }
    f.sync_all().map_err(err)?;
    std::hint::black_box(ctx.finish());
    let d = t.elapsed();
    let _ = std::fs::remove_file(path);
    Ok(d)
}

pub async fn run(args: BidBenchArgs) -> Result<(), BenchError> {
    let scratch = tempdir_under(&args.store.data_dir)?;
    let mut store_args = args.store.clone();
    store_args.data_dir = scratch.clone();
    let mut serve = ServeArgs::for_store(store_args);
    serve.max_bid_mib = 1024;
    let app = scratch_hall(&serve, Arc::new(SystemClock)).await?;
    let running = crate::server::spawn(app.clone()).await.map_err(err)?;
    let base = format!("http://{}", running.addr);
    let s = setup(&app, &base).await?;
    println!("bidhall bench bids: backend {}", app.store.backend());
    let c = reqwest::Client::new();

    // 1. one 50 MiB streamed submission vs hashing and writing+fsyncing the same bytes
    let big = seal_bytes(&s, 50 * MIB)?;
    let mut best_submit = Duration::MAX;
    let mut best_base = Duration::MAX;
    for _ in 0..3 {
        best_base = best_base.min(baseline_hash_write_fsync(&scratch, &big)?);
        best_submit = best_submit.min(submit(&c, &s, big.clone()).await?);
    }
    let (sub_rate, base_rate) = (mib_s(big.len(), best_submit), mib_s(big.len(), best_base));

    // 2. 64 concurrent 1 MiB submissions
    let small: Vec<Vec<u8>> = (0..64)
        .map(|_| seal_bytes(&s, MIB))
        .collect::<Result<_, _>>()?;
    let total: usize = small.iter().map(Vec::len).sum();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for e in small {
        let (c, s2) = (
            c.clone(),
            Setup {
                base: s.base.clone(),
                token: s.token.clone(),
                tender: s.tender.clone(),
                lot: s.lot.clone(),
                params: s.params.clone(),
                signer_pkcs8: Vec::new(),
                keys: Vec::new(),
            },
        );
        tasks.push(tokio::spawn(async move { submit(&c, &s2, e).await }));
    }
    let mut lat = Vec::new();
    for task in tasks {
        lat.push(task.await.map_err(err)??.as_secs_f64() * 1000.0);
    }
    let wall = t.elapsed();
    lat.sort_by(|a, b| a.total_cmp(b));
    let p99 = lat[(lat.len() * 99 / 100).min(lat.len() - 1)];

    // 3. opening 300 envelopes of 5 MiB (key rebuilt from k released shares, payload decrypted)
    let n = args.envelopes;
    let five = seal_bytes(&s, 5 * MIB)?;
    let header_len = Header::declared_len(&five[..12]).map_err(err)?;
    let header = Header::parse(&five[..header_len]).map_err(err)?;
    let shares: Vec<ReleasedShare> = s
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| envelope::open_share(&header, (i + 2) as u8, k))
        .collect::<Result<_, _>>()
        .map_err(err)?;
    let open_all = |threads: usize| -> Result<Duration, BenchError> {
        let t = Instant::now();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads)
                .map(|w| {
                    let (five, header, shares) = (&five, &header, &shares);
                    scope.spawn(move || -> Result<(), String> {
                        for _ in (w..n).step_by(threads) {
                            // As the hall opens a bid: the stored envelope's SHA-256 is checked
                            // against the receipt while its payload is decrypted.
                            let key =
                                envelope::rebuild_key(header, shares).map_err(|e| e.to_string())?;
                            let mut reader =
                                crate::bids::decryption::HashingReader::new(&five[header_len..]);
                            reader.update(&five[..header_len]);
                            envelope::open_payload(header, &key, &mut reader, std::io::sink())
                                .map_err(|e| e.to_string())?;
                            std::hint::black_box(reader.finish());
                        }
                        Ok(())
                    })
                })
                .collect();
            for h in handles {
                h.join()
                    .map_err(|_| err("opening thread panicked"))?
                    .map_err(err)?;
            }
            Ok::<(), BenchError>(())
        })?;
        Ok(t.elapsed())
    };
    let raw_aes_sha = |threads: usize| -> Duration {
        let t = Instant::now();
        std::thread::scope(|scope| {
            for w in 0..threads {
                let five = &five;
                scope.spawn(move || {
                    let key = ring::aead::LessSafeKey::new(
                        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &[7u8; 32])
                            .expect("key"),
                    );
                    for _ in (w..n).step_by(threads) {
                        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
                        for (i, chunk) in five[header_len..].chunks(64 * 1024).enumerate() {
                            let mut buf = chunk.to_vec();
                            let mut nonce = [0u8; 12];
                            nonce[..8].copy_from_slice(&(i as u64).to_be_bytes());
                            let _ = key.seal_in_place_separate_tag(
                                ring::aead::Nonce::assume_unique_for_key(nonce),
                                ring::aead::Aad::empty(),
                                &mut buf,
                            );
                            ctx.update(&buf);
                        }
                        std::hint::black_box(ctx.finish());
                    }
                });
            }
        });
        t.elapsed()
    };
    let bytes = n * 5 * MIB;
    let (open1, open2) = (open_all(1)?, open_all(2)?);
    let (raw1, raw2) = (raw_aes_sha(1), raw_aes_sha(2));

    println!();
    println!("| measure | result |");
    println!("|---|---|");
    println!("| one 50 MiB streamed submission (best of 3) | {sub_rate:.1} MiB/s |");
    println!("| hash (SHA-256) + write + fsync of the same bytes | {base_rate:.1} MiB/s |");
    println!(
        "| submission / baseline | {:.0}% (target >= 70%) |",
        100.0 * sub_rate / base_rate
    );
    println!(
        "| 64 concurrent 1 MiB submissions | {:.1} MiB/s total, p99 receipt {p99:.0} ms |",
        mib_s(total, wall)
    );
    println!(
        "| opening {n} × 5 MiB, 1 thread | {:.1} MiB/s |",
        mib_s(bytes, open1)
    );
    println!(
        "| opening {n} × 5 MiB, 2 threads | {:.1} MiB/s ({:.2}× one thread) |",
        mib_s(bytes, open2),
        open1.as_secs_f64() / open2.as_secs_f64()
    );
    println!(
        "| ring AES-256-GCM + SHA-256, same bytes, 1 thread | {:.1} MiB/s |",
        mib_s(bytes, raw1)
    );
    println!(
        "| ring AES-256-GCM + SHA-256, same bytes, 2 threads | {:.1} MiB/s |",
        mib_s(bytes, raw2)
    );
    println!(
        "| opening / baseline | {:.0}% on one thread (target >= 70%), {:.0}% on two |",
        100.0 * raw1.as_secs_f64() / open1.as_secs_f64(),
        100.0 * raw2.as_secs_f64() / open2.as_secs_f64()
    );
    app.shutdown.cancel();
    let _ = running.task.await;
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}
