//! Seal and open throughput of the sealed bid box on a 5 MiB payload, next to raw ring
//! AES-256-GCM and SHA-256 on the same bytes. Run with `cargo run --release --example bench_open`.

use bidhall::sealbox::{
    open_payload, open_share, rebuild_key, seal, CustodianPrivateKey, Header, SealParams,
    TendererSigningKey,
};
use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::digest;
use ring::rand::SystemRandom;
use std::io;
use std::time::{Duration, Instant};

const LEN: usize = 5 * 1024 * 1024;
const ROUNDS: u32 = 10;

fn mib_per_s(bytes: usize, elapsed: Duration) -> f64 {
    bytes as f64 / (1024.0 * 1024.0) / elapsed.as_secs_f64()
}

fn best_of(mut f: impl FnMut()) -> Duration {
    f(); // warm-up
    (0..ROUNDS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .min()
        .unwrap_or_default()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rng = SystemRandom::new();
    let keys: Vec<CustodianPrivateKey> = (0..4)
        .map(|_| CustodianPrivateKey::generate(&rng))
        .collect::<Result<_, _>>()?;
    let signer = TendererSigningKey::from_pkcs8(&TendererSigningKey::generate_pkcs8(&rng)?, &rng)?;
    let params = SealParams {
        tender_id: "BENCH-2026-0001".into(),
        lot_id: "1".into(),
        tenderer_id: "bench".into(),
        custodians: keys.iter().map(|k| k.public_key().clone()).collect(),
        k: 3,
    };
    let payload: Vec<u8> = (0..LEN).map(|j| (j % 251) as u8).collect();

    let mut envelope = Vec::with_capacity(LEN + 64 * 1024);
    let seal_time = best_of(|| {
        envelope.clear();
        seal(
            &params,
            &signer,
            &payload[..],
            LEN as u64,
            &mut envelope,
            &rng,
        )
        .expect("seal");
    });

    let mut share_time = Duration::ZERO;
    let open_time = best_of(|| {
        let mut reader = &envelope[..];
        let header = Header::read_from(&mut reader).expect("header");
        let start = Instant::now();
        let shares: Vec<_> = (1..=3u8)
            .map(|i| open_share(&header, i, &keys[usize::from(i) - 1]).expect("share"))
            .collect();
        let key = rebuild_key(&header, &shares).expect("key");
        share_time = start.elapsed();
        open_payload(&header, &key, reader, io::sink()).expect("open");
    });

    let key = LessSafeKey::new(UnboundKey::new(&aead::AES_256_GCM, &[7u8; 32]).map_err(|_| "key")?);
    let mut buf = payload.clone();
    let aes_time = best_of(|| {
        buf.copy_from_slice(&payload);
        for (i, chunk) in buf.chunks_mut(64 * 1024).enumerate() {
            let mut nonce = [0u8; 12];
            nonce[4..].copy_from_slice(&(i as u64).to_be_bytes());
            let tag = key
                .seal_in_place_separate_tag(
                    Nonce::assume_unique_for_key(nonce),
                    Aad::empty(),
                    chunk,
                )
                .expect("aes");
            let _ = std::hint::black_box(tag);
        }
    });
    let sha_time = best_of(|| {
        std::hint::black_box(digest::digest(&digest::SHA256, &payload));
    });

    println!(
        "payload: {} MiB, best of {ROUNDS} runs",
        LEN / (1024 * 1024)
    );
    println!(
        "seal (n=4, k=3)          {:8.1} MiB/s  ({:?})",
        mib_per_s(LEN, seal_time),
        seal_time
    );
    println!(
        "open (3 shares + body)   {:8.1} MiB/s  ({:?}; shares + key {:?})",
        mib_per_s(LEN, open_time),
        open_time,
        share_time
    );
    println!(
        "raw AES-256-GCM (64 KiB) {:8.1} MiB/s  ({:?})",
        mib_per_s(LEN, aes_time),
        aes_time
    );
    println!(
        "raw SHA-256              {:8.1} MiB/s  ({:?})",
        mib_per_s(LEN, sha_time),
        sha_time
    );
    let both = aes_time + sha_time;
    println!(
        "raw AES-GCM + SHA-256    {:8.1} MiB/s  ({:?}; what sealing must at least do)",
        mib_per_s(LEN, both),
        both
    );
    Ok(())
}
