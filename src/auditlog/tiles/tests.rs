//! Path vectors from the C2SP tlog-tiles text, refusal of malformed paths,
//! tile contents against an independently built tree, and bundle framing.

use super::*;
use crate::auditlog::merkle::{leaf_hash, MemoryTree};
use proptest::prelude::*;

#[test]
fn index_encoding() {
    assert_eq!(encode_index(0), "000");
    assert_eq!(encode_index(5), "005");
    assert_eq!(encode_index(999), "999");
    assert_eq!(encode_index(1000), "x001/000");
    assert_eq!(encode_index(1234067), "x001/x234/067");
    assert_eq!(encode_index(u64::MAX), "x018/x446/x744/x073/x709/x551/615");
}

#[test]
fn paths_match_the_spec() {
    let full = Tile {
        level: 0,
        index: 1234067,
        width: 256,
    };
    assert_eq!(full.path(), "tile/0/x001/x234/067");
    let partial = Tile {
        level: 2,
        index: 1234067,
        width: 8,
    };
    assert_eq!(partial.path(), "tile/2/x001/x234/067.p/8");
    let bundle = EntryBundle {
        index: 1234067,
        width: 256,
    };
    assert_eq!(bundle.path(), "tile/entries/x001/x234/067");
    let pb = EntryBundle {
        index: 3,
        width: 112,
    };
    assert_eq!(pb.path(), "tile/entries/003.p/112");
    for t in [full, partial] {
        assert_eq!(parse_path(&t.path()), Ok(TileRef::Hashes(t)));
    }
    for b in [bundle, pb] {
        assert_eq!(parse_path(&b.path()), Ok(TileRef::Entries(b)));
    }
}

#[test]
fn refuses_garbage_paths() {
    let malformed = [
        "",
        "tile",
        "tile/",
        "tile/0",
        "tile/0/",
        "/tile/0/000",
        "tiles/0/000",
        "tile/0/5",
        "tile/0/05",
        "tile/0/0005",
        "tile/0/x000/005",
        "tile/0/x001",
        "tile/0/001/002",
        "tile/0/x01/002",
        "tile/0/xx01/002",
        "tile/0/x001/x002",
        "tile/0/+01",
        "tile/0/-01",
        "tile/0/ 00",
        "tile/0/000 ",
        "tile/0/000/",
        "tile/0/000\n",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/+1/000",
        "tile/1000/000",
        "tile/0/000.p/0",
        "tile/0/000.p/00",
        "tile/0/000.p/01",
        "tile/0/000.p/256",
        "tile/0/000.p/",
        "tile/0/000.p/5/",
        "tile/0/000.p/5.p/5",
        "tile/0/000.p5",
        "tile/0/000.P/5",
        "tile/0/.p/5",
        "tile/entries",
        "tile/entries/",
        "tile/entries/x1000",
        "tile/entries/000.p/256",
        "tile/entry/000",
        "tile/0/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/x999/999",
        "tile/0/\u{0660}\u{0660}\u{0660}",
    ];
    for p in malformed {
        assert!(
            matches!(parse_path(p), Err(TilePathError::Malformed(_))),
            "accepted or misclassified {p:?}: {:?}",
            parse_path(p)
        );
    }
    let impossible = [
        // Level 8 would hold subtrees of 2^64 leaves.
        "tile/8/000",
        "tile/63/000",
        // A full level-7 tile ends at 2^64.
        "tile/7/000",
        // Index overflows u64.
        "tile/0/x018/x446/x744/x073/x709/x551/616",
        "tile/0/x999/x999/x999/x999/x999/x999/999",
        // Starts at leaf 2^64.
        "tile/0/x072/x057/x594/x037/x927/936",
        "tile/entries/x072/x057/x594/x037/x927/936",
    ];
    for p in impossible {
        assert_eq!(parse_path(p), Err(TilePathError::BeyondAnyLog), "{p}");
    }
    // The largest tiles that can exist are still accepted.
    assert!(parse_path("tile/7/000.p/255").is_ok());
    assert!(parse_path("tile/0/x072/x057/x594/x037/x927/935.p/255").is_ok());
    assert_eq!(
        parse_path("tile/0/x072/x057/x594/x037/x927/935"),
        Err(TilePathError::BeyondAnyLog)
    );
}

#[test]
fn tiles_for_the_spec_sizes() {
    let tiles: Vec<Tile> = tiles_for_size(70_000).collect();
    let count = |level: u8, full: bool| {
        tiles
            .iter()
            .filter(|t| t.level == level && t.is_full() == full)
            .count()
    };
    assert_eq!(count(0, true), 273);
    assert_eq!(count(0, false), 1);
    assert_eq!(count(1, true), 1);
    assert_eq!(count(1, false), 1);
    assert_eq!(count(2, true), 0);
    assert_eq!(count(2, false), 1);
    assert_eq!(tiles.len(), 277);
    let partial = |level: u8| tiles.iter().find(|t| t.level == level && !t.is_full());
    assert_eq!(partial(0).map(|t| (t.index, t.width)), Some((273, 112)));
    assert_eq!(partial(1).map(|t| (t.index, t.width)), Some((1, 17)));
    assert_eq!(partial(2).map(|t| (t.index, t.width)), Some((0, 1)));

    let t256: Vec<String> = tiles_for_size(256).map(|t| t.path()).collect();
    assert_eq!(t256, vec!["tile/0/000", "tile/1/000.p/1"]);
    assert_eq!(tiles_for_size(0).count(), 0);
    assert_eq!(
        tiles_for_size(1).map(|t| t.path()).collect::<Vec<_>>(),
        vec!["tile/0/000.p/1"]
    );

    let b: Vec<EntryBundle> = bundles_for_size(70_000).collect();
    assert_eq!(b.len(), 274);
    assert_eq!(b[273].path(), "tile/entries/273.p/112");
    assert_eq!(bundles_for_size(512).count(), 2);
    // Even the largest log's tile list is computed lazily and without overflow.
    let first_levels: Vec<(u8, u64, u16)> = tiles_for_size(u64::MAX)
        .take(2)
        .map(|t| (t.level, t.index, t.width))
        .collect();
    assert_eq!(first_levels, vec![(0, 0, 256), (0, 1, 256)]);
}

#[test]
fn ranges_covered_by_tiles() {
    let t = Tile {
        level: 1,
        index: 2,
        width: 17,
    };
    assert_eq!(t.entry_range(), 131072..135424);
    assert_eq!(t.entries_of_hash(1), 131328..131584);
    let b = EntryBundle { index: 2, width: 3 };
    assert_eq!(b.entry_range(), 512..515);
    let top = Tile {
        level: 7,
        index: 0,
        width: 255,
    };
    assert_eq!(top.entry_range(), 0..255 << 56);
}

#[test]
fn tile_bytes_from_a_tree() {
    let size = 256 * 256 + 700;
    let mut tree = MemoryTree::with_capacity(size);
    for i in 0..size {
        tree.append_entry(&i.to_le_bytes());
    }
    let tiles: Vec<Tile> = tiles_for_size(size).collect();
    for t in &tiles {
        let bytes = tile_bytes(t, &tree).unwrap();
        assert_eq!(bytes.len(), usize::from(t.width) * 32);
    }
    // A level-0 tile holds leaf hashes.
    let t0 = tile_bytes(&tiles[3], &tree).unwrap();
    assert_eq!(&t0[..32], &leaf_hash(&(3u64 * 256).to_le_bytes()));
    // A level-1 hash is the root of the full level-0 tile below it, built independently.
    let level1 = tiles.iter().find(|t| t.level == 1 && t.is_full()).unwrap();
    let hashes = tile_hashes(&tile_bytes(level1, &tree).unwrap(), 256).unwrap();
    for k in [0u64, 17, 255] {
        let mut sub = MemoryTree::new();
        for i in k * 256..(k + 1) * 256 {
            sub.append_entry(&i.to_le_bytes());
        }
        assert_eq!(hashes[k as usize], sub.root());
    }
    // The level-2 partial tile holds the single level-16 subtree.
    let level2 = tiles.iter().find(|t| t.level == 2).unwrap();
    assert_eq!(level2.width, 1);
    assert_eq!(
        tile_bytes(level2, &tree).unwrap(),
        tree.root_at(65536).unwrap().to_vec()
    );
    // A tile beyond the tree is reported as a missing node, not built from guesses.
    let beyond = Tile {
        level: 0,
        index: 300,
        width: 256,
    };
    assert!(matches!(
        tile_bytes(&beyond, &tree),
        Err(ProofError::MissingNode { .. })
    ));
    assert!(tile_hashes(&[0u8; 33], 1).is_none());
}

#[test]
fn bundles_round_trip() {
    let entries: Vec<Vec<u8>> = vec![vec![], b"a".to_vec(), vec![7u8; 65535]];
    let b = encode_bundle(&entries).unwrap();
    assert_eq!(&b[..5], &[0, 0, 0, 1, b'a']);
    let back = decode_bundle(&b).unwrap();
    assert_eq!(
        back,
        entries.iter().map(|e| e.as_slice()).collect::<Vec<_>>()
    );
    assert_eq!(
        encode_bundle([vec![0u8; 65536]]),
        Err(BundleError::EntryTooLong {
            index: 0,
            len: 65536
        })
    );
    assert_eq!(
        encode_bundle(vec![b"x".to_vec(); 257]),
        Err(BundleError::TooManyEntries)
    );
    assert_eq!(
        decode_bundle(&[0]),
        Err(BundleError::Truncated { index: 0 })
    );
    assert_eq!(
        decode_bundle(&[0, 0, 0, 3, 1, 2]),
        Err(BundleError::Truncated { index: 1 })
    );
    assert_eq!(
        decode_bundle(&[0, 0].repeat(257)),
        Err(BundleError::TooManyEntries)
    );
    assert_eq!(decode_bundle(&[]).unwrap().len(), 0);
}

proptest! {
    #[test]
    fn parse_accepts_only_canonical_paths(path in "tile/(entries|[0-9x]{1,3})/[0-9x/]{1,30}(\\.p/[0-9]{1,4})?") {
        if let Ok(r) = parse_path(&path) {
            let again = match r {
                TileRef::Hashes(t) => t.path(),
                TileRef::Entries(b) => b.path(),
            };
            prop_assert_eq!(again, path);
        }
    }

    #[test]
    fn every_possible_tile_round_trips(level in 0u8..8, index in any::<u64>(), width in 1u16..=256) {
        let t = Tile { level, index, width };
        match parse_path(&t.path()) {
            Ok(r) => prop_assert_eq!(r, TileRef::Hashes(t)),
            Err(e) => prop_assert_eq!(e, TilePathError::BeyondAnyLog),
        }
        let b = EntryBundle { index, width };
        match parse_path(&b.path()) {
            Ok(r) => prop_assert_eq!(r, TileRef::Entries(b)),
            Err(e) => prop_assert_eq!(e, TilePathError::BeyondAnyLog),
        }
    }

    #[test]
    fn bundle_round_trip(entries in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..40)) {
        let b = encode_bundle(&entries).unwrap();
        let back: Vec<Vec<u8>> = decode_bundle(&b).unwrap().into_iter().map(<[u8]>::to_vec).collect();
        prop_assert_eq!(back, entries);
    }
}
