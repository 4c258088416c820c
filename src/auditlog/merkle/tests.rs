//! Reference vectors from the transparency-dev/merkle test data, corrupted
//! variants of them, and property tests over trees of random size.

use super::*;
use proptest::prelude::*;

fn h(s: &str) -> Hash {
    let v = hex::decode(s).expect("test vector hex");
    v.try_into().expect("test vector is 32 bytes")
}

/// Leaf inputs of the reference tree.
fn leaf_inputs() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|s| hex::decode(s).expect("leaf hex"))
    .collect()
}

/// Roots for sizes 0..=8.
fn reference_roots() -> Vec<Hash> {
    [
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]
    .iter()
    .map(|s| h(s))
    .collect()
}

/// Complete-subtree hashes of the 8-leaf reference tree, by level.
fn reference_nodes() -> Vec<Vec<Hash>> {
    vec![
        vec![
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
            h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
        ],
        vec![
            h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
        ],
        vec![
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
        vec![h(
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        )],
    ]
}

/// (leaf index, tree size, proof): the reference inclusion proofs.
fn reference_inclusion() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (
            0,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            5,
            8,
            vec![
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            3,
            vec![h(
                "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            )],
        ),
        (
            1,
            5,
            vec![
                h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (0, 1, vec![]),
    ]
}

/// (old size, new size, proof): the reference consistency proofs.
fn reference_consistency() -> Vec<(u64, u64, Vec<Hash>)> {
    vec![
        (1, 1, vec![]),
        (
            1,
            8,
            vec![
                h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
            ],
        ),
        (
            6,
            8,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
        (
            2,
            5,
            vec![
                h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
                h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            ],
        ),
        (
            6,
            7,
            vec![
                h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
                h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
                h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
            ],
        ),
    ]
}

fn reference_tree() -> MemoryTree {
    let mut t = MemoryTree::new();
    for e in leaf_inputs() {
        t.append_entry(&e);
    }
    t
}

const SOME_HASH: &str = "abacaba000000000000000000000000000000000000000000060061e00123456";

#[test]
fn empty_root_is_sha256_of_nothing() {
    let d = ring::digest::digest(&ring::digest::SHA256, b"");
    assert_eq!(d.as_ref(), &EMPTY_ROOT);
    assert_eq!(MemoryTree::new().root(), EMPTY_ROOT);
}

#[test]
fn reference_roots_for_every_size() {
    let roots = reference_roots();
    let mut t = MemoryTree::new();
    assert_eq!(t.root(), roots[0]);
    for (i, e) in leaf_inputs().iter().enumerate() {
        t.append_entry(e);
        assert_eq!(t.root(), roots[i + 1], "root at size {}", i + 1);
    }
    for (size, want) in roots.iter().enumerate() {
        assert_eq!(&t.root_at(size as u64).unwrap(), want, "root_at({size})");
    }
}

#[test]
fn stored_subtrees_match_reference_nodes() {
    let t = reference_tree();
    for (level, nodes) in reference_nodes().iter().enumerate() {
        for (index, want) in nodes.iter().enumerate() {
            assert_eq!(&t.get(level as u8, index as u64).unwrap(), want);
        }
    }
    assert_eq!(
        t.get(3, 1),
        Err(ProofError::MissingNode { level: 3, index: 1 })
    );
}

#[test]
fn reference_inclusion_proofs_are_produced_and_verify() {
    let t = reference_tree();
    let roots = reference_roots();
    let leaves = leaf_inputs();
    for (index, size, want) in reference_inclusion() {
        let got = t.inclusion_proof(index, size).unwrap();
        assert_eq!(got, want, "proof for {index} in {size}");
        let leaf = leaf_hash(&leaves[index as usize]);
        verify_inclusion(&leaf, index, size, &want, &roots[size as usize]).unwrap();
    }
}

fn corrupted_inclusion_probes(
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
    leaf: &Hash,
) -> Vec<(String, Hash, u64, u64, Vec<Hash>, Hash)> {
    let some = h(SOME_HASH);
    let mut probes = vec![
        (
            "index-1".into(),
            *leaf,
            index.wrapping_sub(1),
            size,
            proof.to_vec(),
            *root,
        ),
        (
            "index+1".into(),
            *leaf,
            index + 1,
            size,
            proof.to_vec(),
            *root,
        ),
        (
            "index^2".into(),
            *leaf,
            index ^ 2,
            size,
            proof.to_vec(),
            *root,
        ),
        (
            "size*2".into(),
            *leaf,
            index,
            size * 2,
            proof.to_vec(),
            *root,
        ),
        (
            "size/2".into(),
            *leaf,
            index,
            size / 2,
            proof.to_vec(),
            *root,
        ),
        (
            "wrong leaf".into(),
            some,
            index,
            size,
            proof.to_vec(),
            *root,
        ),
        (
            "empty root".into(),
            *leaf,
            index,
            size,
            proof.to_vec(),
            EMPTY_ROOT,
        ),
        (
            "random root".into(),
            *leaf,
            index,
            size,
            proof.to_vec(),
            some,
        ),
    ];
    let mut extended = proof.to_vec();
    extended.push(*root);
    probes.push(("trailing root".into(), *leaf, index, size, extended, *root));
    let mut prepended = vec![*root];
    prepended.extend_from_slice(proof);
    probes.push((
        "preceding root".into(),
        *leaf,
        index,
        size,
        prepended,
        *root,
    ));
    for i in 0..proof.len() {
        let mut p = proof.to_vec();
        p[i][0] ^= 8;
        probes.push((format!("flip proof[{i}]"), *leaf, index, size, p, *root));
    }
    if let Some((_, head)) = proof.split_last() {
        probes.push(("truncated".into(), *leaf, index, size, head.to_vec(), *root));
    }
    if proof.len() > 1 {
        let mut p = vec![proof[0], some];
        p.extend_from_slice(&proof[1..]);
        probes.push(("inserted".into(), *leaf, index, size, p, *root));
    }
    probes
}

#[test]
fn corrupted_inclusion_proofs_are_rejected() {
    let roots = reference_roots();
    let leaves = leaf_inputs();
    for (index, size, proof) in reference_inclusion() {
        let leaf = leaf_hash(&leaves[index as usize]);
        let root = roots[size as usize];
        for (desc, l, i, s, p, r) in corrupted_inclusion_probes(index, size, &proof, &root, &leaf) {
            assert!(
                verify_inclusion(&l, i, s, &p, &r).is_err(),
                "{desc} accepted for ({index}, {size})"
            );
        }
    }
}

#[test]
fn inclusion_edge_cases() {
    let some = h(SOME_HASH);
    for (index, size) in [(0u64, 0u64), (1, 0), (2, 1)] {
        assert_eq!(
            verify_inclusion(&some, index, size, &[], &EMPTY_ROOT),
            Err(ProofError::IndexOutOfRange { index, size })
        );
    }
    let leaf = leaf_hash(b"data");
    verify_inclusion(&leaf, 0, 1, &[], &leaf).unwrap();
    assert_eq!(
        verify_inclusion(&leaf, 0, 1, &[], &some),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_inclusion(&leaf, 0, 1, &[leaf], &leaf),
        Err(ProofError::BadProofLength {
            expected: 0,
            got: 1
        })
    );
}

#[test]
fn reference_consistency_proofs_are_produced_and_verify() {
    let t = reference_tree();
    let roots = reference_roots();
    for (old, new, want) in reference_consistency() {
        let got = t.consistency_proof(old, new).unwrap();
        assert_eq!(got, want, "consistency {old} -> {new}");
        verify_consistency(old, new, &roots[old as usize], &roots[new as usize], &want).unwrap();
    }
}

#[test]
fn corrupted_consistency_proofs_are_rejected() {
    let roots = reference_roots();
    let some = h(SOME_HASH);
    for (old, new, proof) in reference_consistency() {
        if proof.is_empty() {
            continue;
        }
        let (r1, r2) = (roots[old as usize], roots[new as usize]);
        let mut probes: Vec<(String, u64, u64, Hash, Hash, Vec<Hash>)> = vec![
            ("old-1".into(), old - 1, new, r1, r2, proof.clone()),
            ("old+1".into(), old + 1, new, r1, r2, proof.clone()),
            ("old^2".into(), old ^ 2, new, r1, r2, proof.clone()),
            ("new*2".into(), old, new * 2, r1, r2, proof.clone()),
            ("new/2".into(), old, new / 2, r1, r2, proof.clone()),
            ("wrong old root".into(), old, new, some, r2, proof.clone()),
            ("wrong new root".into(), old, new, r1, some, proof.clone()),
            ("swapped roots".into(), old, new, r2, r1, proof.clone()),
            ("empty proof".into(), old, new, r1, r2, vec![]),
        ];
        for extra in [r1, r2, some] {
            let mut p = proof.clone();
            p.push(extra);
            probes.push(("trailing".into(), old, new, r1, r2, p));
            let mut p = vec![extra];
            p.extend_from_slice(&proof);
            probes.push(("preceding".into(), old, new, r1, r2, p));
        }
        let mut p = vec![proof[0]];
        p.extend_from_slice(&proof);
        probes.push(("preceding proof[0]".into(), old, new, r1, r2, p));
        probes.push((
            "truncated".into(),
            old,
            new,
            r1,
            r2,
            proof[..proof.len() - 1].to_vec(),
        ));
        for i in 0..proof.len() {
            let mut p = proof.clone();
            p[i][0] ^= 16;
            probes.push((format!("flip proof[{i}]"), old, new, r1, r2, p));
        }
        for (desc, o, n, a, b, p) in probes {
            assert!(
                verify_consistency(o, n, &a, &b, &p).is_err(),
                "{desc} accepted for {old} -> {new}"
            );
        }
    }
}

#[test]
fn consistency_edge_cases() {
    let (a, b) = (h(SOME_HASH), EMPTY_ROOT);
    verify_consistency(0, 0, &a, &a, &[]).unwrap();
    verify_consistency(0, 1, &a, &b, &[]).unwrap();
    verify_consistency(1, 1, &b, &b, &[]).unwrap();
    assert_eq!(
        verify_consistency(0, 0, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_consistency(1, 1, &a, &b, &[]),
        Err(ProofError::RootMismatch)
    );
    assert_eq!(
        verify_consistency(2, 1, &a, &b, &[]),
        Err(ProofError::OldLargerThanNew { old: 2, new: 1 })
    );
    assert!(matches!(
        verify_consistency(1, 2, &a, &b, &[]),
        Err(ProofError::BadProofLength { .. })
    ));
    for (o, n) in [(0u64, 0u64), (0, 1), (1, 1)] {
        assert!(matches!(
            verify_consistency(o, n, &b, &b, &[b]),
            Err(ProofError::BadProofLength { .. })
        ));
    }
}

#[test]
fn plans_list_exactly_the_needed_nodes() {
    // Size 7 = subtrees of 4, 2 and 1 leaves.
    assert_eq!(root_plan(7), vec![(2, 0), (1, 2), (0, 6)]);
    assert_eq!(root_plan(0), vec![]);
    // Leaf 1 in a tree of 5: siblings 0, [2,4) and the lone leaf 4.
    assert_eq!(inclusion_plan(1, 5).unwrap(), vec![(0, 0), (1, 1), (0, 4)]);
    // Leaf 0 in a tree of 7: the right edge [4,7) folds two stored nodes.
    assert_eq!(
        inclusion_plan(0, 7).unwrap(),
        vec![(0, 1), (1, 1), (1, 2), (0, 6)]
    );
    assert_eq!(
        inclusion_plan(5, 5),
        Err(ProofError::IndexOutOfRange { index: 5, size: 5 })
    );
    assert_eq!(
        consistency_plan(6, 8).unwrap(),
        vec![(1, 2), (1, 3), (2, 0)]
    );
    assert_eq!(consistency_plan(4, 4).unwrap(), vec![]);
    assert_eq!(
        consistency_plan(5, 4),
        Err(ProofError::OldLargerThanNew { old: 5, new: 4 })
    );
}

#[test]
fn proofs_from_a_batch_loaded_map() {
    let t = reference_tree();
    let mut batch = HashMap::new();
    for (l, i) in inclusion_plan(2, 7).unwrap() {
        batch.insert((l, i), t.get(l, i).unwrap());
    }
    assert_eq!(
        inclusion_proof(2, 7, &batch).unwrap(),
        t.inclusion_proof(2, 7).unwrap()
    );
    // Anything outside the plan is absent, and asking for it is reported precisely.
    assert_eq!(
        inclusion_proof(3, 7, &batch),
        Err(ProofError::MissingNode { level: 0, index: 2 })
    );
}

#[test]
fn append_completes_the_right_nodes() {
    assert_eq!(nodes_completed_by_append(0).count(), 0);
    assert_eq!(nodes_completed_by_append(2).count(), 0);
    let n: Vec<_> = nodes_completed_by_append(7).collect();
    assert_eq!(
        n,
        vec![
            CompletedNode {
                level: 1,
                index: 3,
                left: (0, 6),
                right: (0, 7)
            },
            CompletedNode {
                level: 2,
                index: 1,
                left: (1, 2),
                right: (1, 3)
            },
            CompletedNode {
                level: 3,
                index: 0,
                left: (2, 0),
                right: (2, 1)
            },
        ]
    );
    assert_eq!(append_plan(7), vec![(0, 6), (1, 2), (2, 0)]);

    // A store that only ever applies append plans ends up with the same nodes as MemoryTree.
    let mut store: HashMap<(u8, u64), Hash> = HashMap::new();
    let reference = reference_tree();
    for (i, e) in leaf_inputs().iter().enumerate() {
        let leaf = leaf_hash(e);
        let new = hashes_completed_by_append(i as u64, &leaf, &store).unwrap();
        store.insert((0, i as u64), leaf);
        for (l, idx, hash) in new {
            store.insert((l, idx), hash);
        }
    }
    for (level, nodes) in reference_nodes().iter().enumerate() {
        for index in 0..nodes.len() {
            assert_eq!(
                store[&(level as u8, index as u64)],
                reference.get(level as u8, index as u64).unwrap()
            );
        }
    }
    assert_eq!(store.len(), 15);
}

#[test]
fn memory_tree_refuses_sizes_it_does_not_have() {
    let t = reference_tree();
    assert_eq!(
        t.inclusion_proof(0, 9),
        Err(ProofError::SizeBeyondTree {
            size: 9,
            available: 8
        })
    );
    assert_eq!(
        t.consistency_proof(1, 9),
        Err(ProofError::SizeBeyondTree {
            size: 9,
            available: 8
        })
    );
    assert!(t.root_at(9).is_err());
}

#[test]
fn proof_lengths_match_near_the_u64_limit() {
    // Pure arithmetic: no hashes are loaded, only the plan is computed.
    let size = u64::MAX;
    let plan = inclusion_plan(size - 1, size).unwrap();
    assert_eq!(plan.len(), 63);
    assert_eq!(inclusion_proof_len(size - 1, size).unwrap(), 63);
    let plan = inclusion_plan(0, size).unwrap();
    assert_eq!(inclusion_proof_len(0, size).unwrap(), 64);
    assert!(plan.len() >= 64);
    assert_eq!(root_plan(size).len(), 64);
    // One proof hash: the right edge [2^63, 2^64-1), folded from 63 stored subtrees.
    assert_eq!(consistency_proof_len(1 << 63, size).unwrap(), 1);
    assert_eq!(consistency_plan(1 << 63, size).unwrap().len(), 63);
}

/// Naive RFC 9162 MTH, independent of the subtree bookkeeping above.
fn reference_mth(leaves: &[Hash]) -> Hash {
    match leaves.len() {
        0 => EMPTY_ROOT,
        1 => leaves[0],
        n => {
            let k = 1usize << (usize::BITS - 1 - (n - 1).leading_zeros());
            node_hash(&reference_mth(&leaves[..k]), &reference_mth(&leaves[k..]))
        }
    }
}

fn tree_of(size: u64) -> MemoryTree {
    let mut t = MemoryTree::with_capacity(size);
    for i in 0..size {
        t.append_entry(&i.to_be_bytes());
    }
    t
}

#[test]
fn roots_match_naive_mth() {
    let t = tree_of(300);
    let leaves: Vec<Hash> = (0..300u64).map(|i| t.get(0, i).unwrap()).collect();
    for size in 0..=300 {
        assert_eq!(
            t.root_at(size).unwrap(),
            reference_mth(&leaves[..size as usize]),
            "size {size}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_inclusion_proof_verifies_and_any_flip_fails(size in 1u64..3000, picks in prop::collection::vec(any::<u64>(), 1..12), bit in 0usize..256) {
        let t = tree_of(size);
        let root = t.root();
        for p in picks {
            let index = p % size;
            let proof = t.inclusion_proof(index, size).unwrap();
            prop_assert_eq!(proof.len(), inclusion_proof_len(index, size).unwrap());
            let leaf = t.get(0, index).unwrap();
            prop_assert!(verify_inclusion(&leaf, index, size, &proof, &root).is_ok());
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
            }
        }
    }

    #[test]
    fn every_consistency_proof_verifies_and_any_flip_fails(new in 1u64..3000, picks in prop::collection::vec(any::<u64>(), 1..12), bit in 0usize..256) {
        let t = tree_of(new);
        let new_root = t.root();
        for p in picks {
            let old = p % (new + 1);
            let old_root = t.root_at(old).unwrap();
            let proof = t.consistency_proof(old, new).unwrap();
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &proof).is_ok());
            for i in 0..proof.len() {
                let mut bad = proof.clone();
                bad[i][bit / 8] ^= 1 << (bit % 8);
                prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
            }
        }
    }

    #[test]
    fn exhaustive_small_trees(size in 1u64..70) {
        // Every (index, size) and (old, new) pair below the size, not just sampled ones.
        let t = tree_of(size);
        for s in 1..=size {
            let root = t.root_at(s).unwrap();
            for i in 0..s {
                let proof = t.inclusion_proof(i, s).unwrap();
                prop_assert!(verify_inclusion(&t.get(0, i).unwrap(), i, s, &proof, &root).is_ok());
            }
            for o in 0..=s {
                let proof = t.consistency_proof(o, s).unwrap();
                prop_assert!(verify_consistency(o, s, &t.root_at(o).unwrap(), &root, &proof).is_ok());
            }
        }
    }
}
