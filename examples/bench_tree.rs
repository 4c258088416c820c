//! Rough figures for the audit log core at 1,000,000 entries.
//! Run with `cargo run --release --example bench_tree` (add `-- --export` to also time
//! writing and verifying a full export folder).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bidhall::auditlog::checkpoint::Checkpoint;
use bidhall::auditlog::export;
use bidhall::auditlog::merkle::{
    leaf_hash, node_hash, verify_consistency, verify_inclusion, MemoryTree, SubtreeHashes,
};
use bidhall::auditlog::note::{self, NoteSigner};

const N: u64 = 1_000_000;

fn per_op(d: Duration, ops: u64) -> f64 {
    d.as_nanos() as f64 / ops as f64
}

/// Deterministic spread of indices without pulling in a random number crate.
fn spread(i: u64) -> u64 {
    i.wrapping_mul(0x9E37_79B9_7F4A_7C15) % N
}

fn entry(i: u64) -> Vec<u8> {
    format!(
        "{{\"seq\":{i},\"kind\":\"bid.sealed\",\"lot\":{}}}",
        i % 977
    )
    .into_bytes()
}

/// Peak resident memory of this process, where the platform reports it.
fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "peak memory unknown".into())
}

fn main() {
    let with_export = std::env::args().any(|a| a == "--export");

    let l = leaf_hash(b"left");
    let r = leaf_hash(b"right");
    let t = Instant::now();
    let mut acc = l;
    for _ in 0..N {
        acc = node_hash(black_box(&acc), black_box(&r));
    }
    black_box(acc);
    println!(
        "node hash (SHA-256 of 65 bytes): {:.0} ns",
        per_op(t.elapsed(), N)
    );

    let leaves: Vec<_> = (0..N).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let t = Instant::now();
    let mut tree = MemoryTree::with_capacity(N);
    for l in &leaves {
        tree.append(*l);
    }
    let d = t.elapsed();
    println!(
        "append of precomputed leaf hashes: {:.0} appends/s ({:.0} ms for 1M)",
        N as f64 / d.as_secs_f64(),
        d.as_secs_f64() * 1e3
    );

    let t = Instant::now();
    let mut tree2 = MemoryTree::new();
    for i in 0..N {
        tree2.append_entry(&entry(i));
    }
    let d = t.elapsed();
    println!(
        "append_entry of ~45-byte entries (leaf hash included, no preallocation): {:.0} appends/s",
        N as f64 / d.as_secs_f64()
    );
    drop(tree2);

    let root = tree.root();
    let samples = 10_000u64;
    let t = Instant::now();
    let mut proofs = Vec::with_capacity(samples as usize);
    for i in 0..samples {
        let index = spread(i);
        proofs.push((index, tree.inclusion_proof(index, N).unwrap_or_default()));
    }
    println!(
        "inclusion proof at 1M (build from MemoryTree): {:.2} µs",
        per_op(t.elapsed(), samples) / 1e3
    );
    let t = Instant::now();
    for (index, proof) in &proofs {
        let leaf = tree.get(0, *index).unwrap_or_default();
        assert!(verify_inclusion(&leaf, *index, N, proof, &root).is_ok());
    }
    println!(
        "inclusion proof at 1M (verify, {} hashes): {:.2} µs",
        proofs[0].1.len(),
        per_op(t.elapsed(), samples) / 1e3
    );

    let t = Instant::now();
    let mut checked = 0u64;
    for i in 0..samples {
        let old = spread(i).max(1);
        let proof = tree.consistency_proof(old, N).unwrap_or_default();
        let old_root = tree.root_at(old).unwrap_or_default();
        assert!(verify_consistency(old, N, &old_root, &root, &proof).is_ok());
        checked += 1;
    }
    println!(
        "consistency proof to 1M (root + build + verify): {:.2} µs",
        per_op(t.elapsed(), checked) / 1e3
    );

    if with_export {
        let key = NoteSigner::from_seed("bidhall.example/audit", [7; 32]).unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        });
        let mut t2 = MemoryTree::with_capacity(N);
        let mut cps = Vec::new();
        for i in 0..N {
            t2.append_entry(&entry(i));
            if (i + 1) % 10_000 == 0 {
                let body = Checkpoint::new("bidhall.example/audit", i + 1, t2.root())
                    .map(|c| c.to_body())
                    .unwrap_or_default();
                cps.push(note::sign(&body, &[&key]).unwrap_or_default());
            }
        }
        drop(t2);
        let dir = tempfile::tempdir().unwrap_or_else(|e| {
            eprintln!("{e}");
            std::process::exit(1)
        });
        let t = Instant::now();
        let summary = export::write(
            dir.path(),
            (0..N).map(entry),
            &cps,
            &key.verifier().to_string(),
        );
        println!(
            "export write, 1M entries, 100 checkpoints: {:.2} s ({summary:?})",
            t.elapsed().as_secs_f64()
        );
        let t = Instant::now();
        let report = export::verify(dir.path());
        println!(
            "export verify, 1M entries: {:.2} s ({report:?})",
            t.elapsed().as_secs_f64()
        );
    }
    println!("{}", peak_memory());
}
