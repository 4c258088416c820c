//! Round trip of an export and one tampering test per kind of alteration,
//! each checking that the error names the altered place.

use super::*;
use crate::auditlog::note::NoteSigner;
use crate::auditlog::tiles::{decode_bundle, encode_bundle};

const ORIGIN: &str = "bidhall.example/audit";
const SIZES: [u64; 6] = [1, 100, 256, 300, 600, 700];

fn entry(i: u64) -> Vec<u8> {
    format!("entry {i}: {}", "x".repeat((i % 37) as usize)).into_bytes()
}

fn log_key() -> NoteSigner {
    NoteSigner::from_seed(ORIGIN, [11; 32]).unwrap()
}

fn checkpoints_for(signer: &NoteSigner, sizes: &[u64]) -> Vec<String> {
    let max = sizes.iter().copied().max().unwrap_or(0);
    let mut tree = MemoryTree::new();
    for i in 0..max {
        tree.append_entry(&entry(i));
    }
    sizes
        .iter()
        .map(|&s| {
            let body = Checkpoint::new(ORIGIN, s, tree.root_at(s).unwrap())
                .unwrap()
                .to_body();
            note::sign(&body, &[signer]).unwrap()
        })
        .collect()
}

fn exported() -> (tempfile::TempDir, ExportSummary) {
    let dir = tempfile::tempdir().unwrap();
    let key = log_key();
    let summary = write(
        dir.path(),
        (0..700).map(entry),
        &checkpoints_for(&key, &SIZES),
        &key.verifier().to_string(),
    )
    .unwrap();
    (dir, summary)
}

fn rewrite_bundle(dir: &Path, rel: &str, f: impl FnOnce(&mut Vec<Vec<u8>>)) {
    let bytes = fs::read(dir.join(rel)).unwrap();
    let mut entries: Vec<Vec<u8>> = decode_bundle(&bytes)
        .unwrap()
        .into_iter()
        .map(<[u8]>::to_vec)
        .collect();
    f(&mut entries);
    fs::write(dir.join(rel), encode_bundle(&entries).unwrap()).unwrap();
}

fn flip(dir: &Path, rel: &str, offset: usize) {
    let mut b = fs::read(dir.join(rel)).unwrap();
    b[offset] ^= 0x20;
    fs::write(dir.join(rel), b).unwrap();
}

#[test]
fn export_round_trip_and_layout() {
    let (dir, summary) = exported();
    let mut tree = MemoryTree::new();
    for i in 0..700 {
        tree.append_entry(&entry(i));
    }
    assert_eq!(
        summary,
        ExportSummary {
            entries: 700,
            checkpoints: 6,
            tiles: 4,
            bundles: 3,
            root: tree.root()
        }
    );
    for f in [
        "key.vkey",
        "checkpoint",
        "checkpoints/1",
        "checkpoints/700",
        "tile/0/000",
        "tile/0/001",
        "tile/0/002.p/188",
        "tile/1/000.p/2",
        "tile/entries/000",
        "tile/entries/002.p/188",
    ] {
        assert!(dir.path().join(f).is_file(), "{f} missing");
    }
    assert_eq!(
        fs::read(dir.path().join("checkpoint")).unwrap(),
        fs::read(dir.path().join("checkpoints/700")).unwrap()
    );
    let report = verify(dir.path()).unwrap();
    assert_eq!(
        report,
        VerifyReport {
            origin: ORIGIN.into(),
            entries: 700,
            checkpoints_checked: 6,
            tiles_checked: 4,
            final_size: 700,
            final_root: tree.root(),
            witnesses: vec![],
        }
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["final_root"], hex::encode(tree.root()));
}

#[test]
fn altered_entry_byte_is_named() {
    let (dir, _) = exported();
    // Entry 300 is the 45th of the second bundle; the checkpoint at 300 does not cover it.
    rewrite_bundle(dir.path(), "tile/entries/001", |e| e[44][0] ^= 1);
    let err = verify(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::EntryAltered { index: 300, tile, checkpoint: 600 } if tile == "tile/0/001"
        ),
        "{err}"
    );
    assert!(err.to_string().contains("entry 300"));
}

#[test]
fn altered_entry_with_forged_tile_names_the_checkpoint() {
    let (dir, _) = exported();
    rewrite_bundle(dir.path(), "tile/entries/000", |e| e[150][3] ^= 1);
    // The forger also rewrites the level-0 and level-1 tiles to match.
    let mut forged = MemoryTree::new();
    for i in 0..700 {
        let mut e = entry(i);
        if i == 150 {
            e[3] ^= 1;
        }
        forged.append_entry(&e);
    }
    for tile in tiles_for_size(700) {
        fs::write(
            dir.path().join(tile.path()),
            tiles::tile_bytes(&tile, &forged).unwrap(),
        )
        .unwrap();
    }
    let err = verify(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::CheckpointRootMismatch {
                size: 256,
                from: 100,
                to: 256
            }
        ),
        "{err}"
    );
}

#[test]
fn altered_tile_is_named() {
    let (dir, _) = exported();
    flip(dir.path(), "tile/0/001", 5 * 32 + 7);
    let err = verify(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::TileMismatch { path, position: 5, from: 261, to: 262 } if path == "tile/0/001"
        ),
        "{err}"
    );

    let (dir, _) = exported();
    flip(dir.path(), "tile/1/000.p/2", 32);
    let err = verify(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::TileMismatch { path, position: 1, from: 256, to: 512 } if path == "tile/1/000.p/2"
        ),
        "{err}"
    );

    let (dir, _) = exported();
    let p = dir.path().join("tile/0/000");
    let mut b = fs::read(&p).unwrap();
    b.truncate(100);
    fs::write(&p, b).unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(VerifyError::TileSize {
            found: 100,
            expected: 8192,
            ..
        })
    ));
}

#[test]
fn altered_checkpoint_signature_is_named() {
    let (dir, _) = exported();
    let p = dir.path().join("checkpoints/300");
    let text = fs::read_to_string(&p).unwrap();
    let at = text.rfind(' ').unwrap() + 20;
    let mut bytes = text.into_bytes();
    bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
    fs::write(&p, bytes).unwrap();
    let err = verify(dir.path()).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::CheckpointSignature {
                size: 300,
                source: NoteError::InvalidSignature { .. }
            }
        ),
        "{err}"
    );
}

#[test]
fn altered_checkpoint_body_is_named() {
    let (dir, _) = exported();
    let p = dir.path().join("checkpoints/100");
    let text = fs::read_to_string(&p).unwrap();
    fs::write(&p, text.replacen("\n100\n", "\n101\n", 1)).unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(VerifyError::CheckpointSignature { size: 100, .. })
    ));
}

#[test]
fn dropped_last_entry_is_named() {
    let (dir, _) = exported();
    rewrite_bundle(dir.path(), "tile/entries/002.p/188", |e| {
        e.pop();
    });
    let err = verify(dir.path()).unwrap_err();
    assert!(
        matches!(
            &err,
            VerifyError::EntriesMissing { from: 699, to: 700, path } if path == "tile/entries/002.p/188"
        ),
        "{err}"
    );
}

#[test]
fn missing_and_stray_files_are_named() {
    let (dir, _) = exported();
    fs::remove_file(dir.path().join("tile/entries/001")).unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(VerifyError::EntriesMissing {
            from: 256,
            to: 512,
            ..
        })
    ));

    let (dir, _) = exported();
    fs::remove_file(dir.path().join("tile/0/001")).unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(VerifyError::MissingFile { path }) if path == "tile/0/001"
    ));

    for stray in [
        "tile/0/005",
        "tile/1/000",
        "tile/entries/002.p/187",
        "notes.txt",
        "tile/x",
    ] {
        let (dir, _) = exported();
        fs::write(dir.path().join(stray), b"").unwrap();
        assert!(
            matches!(verify(dir.path()), Err(VerifyError::UnexpectedFile { path }) if path == stray),
            "{stray}"
        );
    }

    let (dir, _) = exported();
    fs::write(dir.path().join("checkpoints/0700"), b"").unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(VerifyError::UnexpectedFile { path }) if path == "checkpoints/0700"
    ));
}

#[test]
fn stale_latest_checkpoint_is_named() {
    let (dir, _) = exported();
    fs::copy(
        dir.path().join("checkpoints/600"),
        dir.path().join("checkpoint"),
    )
    .unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(VerifyError::LatestCheckpointMismatch { size: 700 })
    ));
}

#[test]
fn checkpoint_from_another_key_is_refused() {
    let (dir, _) = exported();
    let other = NoteSigner::from_seed(ORIGIN, [12; 32]).unwrap();
    let forged = checkpoints_for(&other, &[600]);
    fs::write(dir.path().join("checkpoints/600"), &forged[0]).unwrap();
    assert!(matches!(
        verify(dir.path()),
        Err(VerifyError::CheckpointSignature {
            size: 600,
            source: NoteError::NoKnownSignature
        })
    ));
}

#[test]
fn write_refuses_bad_inputs() {
    let key = log_key();
    let vkey = key.verifier().to_string();
    let cps = checkpoints_for(&key, &[10, 20]);
    let run = |entries: Vec<Vec<u8>>, cps: &[String], vkey: &str| {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), entries, cps, vkey)
    };
    let good: Vec<Vec<u8>> = (0..20).map(entry).collect();
    assert!(run(good.clone(), &cps, &vkey).is_ok());
    assert!(matches!(
        run((0..21).map(entry).collect(), &cps, &vkey),
        Err(ExportError::EntriesBeyondLatestCheckpoint { size: 20 })
    ));
    assert!(matches!(
        run((0..19).map(entry).collect(), &cps, &vkey),
        Err(ExportError::MissingEntries { have: 19, need: 20 })
    ));
    let mut altered = good.clone();
    altered[15][0] ^= 1;
    assert!(matches!(
        run(altered, &cps, &vkey),
        Err(ExportError::RootMismatch { size: 20 })
    ));
    let mut long = good.clone();
    long[3] = vec![0; 70_000];
    assert!(matches!(
        run(long, &cps, &vkey),
        Err(ExportError::EntryTooLong {
            index: 3,
            len: 70_000
        })
    ));
    assert!(matches!(
        run(good.clone(), &[], &vkey),
        Err(ExportError::NoCheckpoints)
    ));
    assert!(matches!(
        run(good.clone(), &cps, "nonsense"),
        Err(ExportError::BadKey(_))
    ));
    let other = NoteSigner::from_seed(ORIGIN, [12; 32]).unwrap();
    assert!(matches!(
        run(good.clone(), &checkpoints_for(&other, &[20]), &vkey),
        Err(ExportError::BadCheckpoint { position: 0, .. })
    ));
    // The same size twice is fine only for the identical note.
    let mut twice = cps.clone();
    twice.push(cps[1].clone());
    assert!(run(good.clone(), &twice, &vkey).is_ok());
    let mut body =
        Checkpoint::parse(&note::open(&cps[1], &[key.verifier()]).unwrap().text).unwrap();
    body.extensions.push("other".into());
    twice.push(note::sign(&body.to_body(), &[&key]).unwrap());
    assert!(matches!(
        run(good.clone(), &twice, &vkey),
        Err(ExportError::ConflictingCheckpoints { size: 20 })
    ));

    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("old"), b"").unwrap();
    assert!(matches!(
        write(dir.path(), good, &cps, &vkey),
        Err(ExportError::FolderNotEmpty)
    ));
}

#[test]
fn empty_and_exact_tile_boundaries() {
    let key = log_key();
    for sizes in [vec![0u64], vec![0, 256], vec![256, 512, 65536]] {
        let max = *sizes.iter().max().unwrap();
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            (0..max).map(entry),
            &checkpoints_for(&key, &sizes),
            &key.verifier().to_string(),
        )
        .unwrap();
        let report = verify(dir.path()).unwrap();
        assert_eq!(report.final_size, max);
        assert_eq!(report.checkpoints_checked, sizes.len());
    }
}

/// The worked example in docs/audit-log-format.md, byte for byte; its values
/// were computed independently with another SHA-256 and Ed25519 implementation.
#[test]
fn documented_example_export() {
    let key = log_key();
    let vkey = "bidhall.example/audit+b8b6a84a+AWa+fjMsekUzMr2dCn99sFX1xe8aBq2mbZizn7aBDEc6";
    assert_eq!(key.verifier().to_string(), vkey);
    assert_eq!(
        key.signer_key_text(),
        "PRIVATE+KEY+bidhall.example/audit+b8b6a84a+AQsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsLCwsL"
    );
    let cp1 = "bidhall.example/audit\n1\nAippeebat6pa5MPl5F9+l3ESp+Y1k4INvsHsc4ok+Tw=\n\n\u{2014} bidhall.example/audit uLaoSrem5xbC9Eu9XGgfJsd3PQGcTQrA05k5MMcmvw0uNBA28vzVKhycZMmARQkypfPd2ni/AajXfdPOxVSakCWRNwI=\n";
    let cp3 = "bidhall.example/audit\n3\nNmQuc8JUCrEh46a/lUWwokmCzYMOsT080Z3jzmwCHsE=\n\n\u{2014} bidhall.example/audit uLaoSl+qhBzfVYXbl3Zli+KKrhLWzxDqX66bjLCinumu9TsukAOQvvlSybA4sKuCa/LMIvDRBSeh5Kdz6M3s+SVbKwI=\n";
    let entries = [b"a".to_vec(), b"b".to_vec(), b"c".to_vec()];
    let mut tree = MemoryTree::new();
    for e in &entries {
        tree.append_entry(e);
    }
    let sign = |s: u64| {
        let body = Checkpoint::new(ORIGIN, s, tree.root_at(s).unwrap())
            .unwrap()
            .to_body();
        note::sign(&body, &[&key]).unwrap()
    };
    assert_eq!(
        hex::encode(tree.get(1, 0).unwrap()),
        "b137985ff484fb600db93107c77b0365c80d78f5b429ded0fd97361d077999eb"
    );
    assert_eq!(sign(1), cp1);
    assert_eq!(sign(3), cp3);

    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), entries, &[cp3.into(), cp1.into()], vkey).unwrap();
    let read = |p: &str| fs::read(dir.path().join(p)).unwrap();
    assert_eq!(read("key.vkey"), format!("{vkey}\n").into_bytes());
    assert_eq!(read("checkpoint"), cp3.as_bytes());
    assert_eq!(read("checkpoints/1"), cp1.as_bytes());
    assert_eq!(read("checkpoints/3"), cp3.as_bytes());
    assert_eq!(
        hex::encode(read("tile/entries/000.p/3")),
        "000161000162000163"
    );
    assert_eq!(
        hex::encode(read("tile/0/000.p/3")),
        "022a6979e6dab7aa5ae4c3e5e45f7e977112a7e63593820dbec1ec738a24f93c\
         57eb35615d47f34ec714cacdf5fd74608a5e8e102724e80b24b287c0c27b6a31\
         597fcb31282d34654c200d3418fca5705c648ebf326ec73d8ddef11841f876d8"
    );
    let mut files = Vec::new();
    let mut stack = vec![dir.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir.path()).unwrap();
                files.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    files.sort();
    assert_eq!(
        files,
        vec![
            "checkpoint",
            "checkpoints/1",
            "checkpoints/3",
            "key.vkey",
            "tile/0/000.p/3",
            "tile/entries/000.p/3"
        ]
    );
    assert_eq!(
        hex::encode(verify(dir.path()).unwrap().final_root),
        "36642e73c2540ab121e3a6bf9545b0a24982cd830eb13d3cd19de3ce6c021ec1"
    );
}

/// Exports `total` entries with checkpoints at `sizes`, alters entry `index` in its bundle, and
/// returns what `verify` says.
fn verify_with_altered_entry(total: u64, sizes: &[u64], index: u64) -> VerifyError {
    let dir = tempfile::tempdir().unwrap();
    let key = log_key();
    write(
        dir.path(),
        (0..total).map(entry),
        &checkpoints_for(&key, sizes),
        &key.verifier().to_string(),
    )
    .unwrap();
    let bundle = bundles_for_size(total)
        .find(|b| b.entry_range().contains(&index))
        .unwrap();
    let at = (index - bundle.entry_range().start) as usize;
    rewrite_bundle(dir.path(), &bundle.path(), |e| e[at][0] ^= 1);
    verify(dir.path()).unwrap_err()
}

/// An entry changed before the first, a middle or the latest checkpoint is named as altered, both
/// where the export keeps its leaf hash in a full level-0 tile and in the partial one — even when
/// the older checkpoint's own partial tile is not in the export (only the latest size's are).
#[test]
fn an_entry_altered_before_any_checkpoint_is_named_in_full_and_partial_tiles() {
    // 700 entries, checkpoints 200, 400, 700: tiles 0/000, 0/001, 0/002.p/188.
    // 310 entries, checkpoints 270, 290, 310: tiles 0/000, 0/001.p/54.
    let cases: [(u64, &[u64], u64, &str, u64); 6] = [
        (700, &[200, 400, 700], 100, "tile/0/000", 200), // before the first, full tile
        (310, &[270, 290, 310], 260, "tile/0/001.p/54", 270), // before the first, partial tile
        (700, &[200, 400, 700], 300, "tile/0/001", 400), // before the middle, full tile
        (310, &[270, 290, 310], 280, "tile/0/001.p/54", 290), // before the middle, partial tile
        (700, &[200, 400, 700], 450, "tile/0/001", 700), // before the latest, full tile
        (700, &[200, 400, 700], 600, "tile/0/002.p/188", 700), // before the latest, partial tile
    ];
    for (total, sizes, index, tile_path, checkpoint) in cases {
        let err = verify_with_altered_entry(total, sizes, index);
        assert!(
            matches!(
                &err,
                VerifyError::EntryAltered { index: i, tile, checkpoint: c }
                    if *i == index && tile == tile_path && *c == checkpoint
            ),
            "entry {index} of {total} (checkpoints {sizes:?}): {err}"
        );
        assert!(
            err.to_string()
                .starts_with(&format!("entry {index} was altered")),
            "{err}"
        );
    }
}

/// Checkpoints carry their witnesses' cosignature lines; `verify_with_witnesses` checks every
/// line of a given witness, and refuses a witness that cosigned nothing.
#[test]
fn given_witnesses_cosignatures_are_checked() {
    use crate::auditlog::cosignature::Cosigner;
    let key = log_key();
    let w1 = Cosigner::from_seed("witness.example/w1", [1; 32]).unwrap();
    let w2 = Cosigner::from_seed("witness.example/w2", [2; 32]).unwrap();
    let mut notes = checkpoints_for(&key, &[100, 300]);
    notes[1] = w1.cosign_note(&notes[1], 1_790_000_000).unwrap();
    let write_to = |notes: &[String]| {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            (0..300).map(entry),
            notes,
            &key.verifier().to_string(),
        )
        .unwrap();
        dir
    };
    let dir = write_to(&notes);
    assert!(
        fs::read_to_string(dir.path().join("checkpoints/300"))
            .unwrap()
            .contains("\u{2014} witness.example/w1 "),
        "the export keeps the cosignature"
    );
    // without witness keys the line is set aside; with w1's key it is checked
    assert!(verify(dir.path()).unwrap().witnesses.is_empty());
    let report = verify_with_witnesses(dir.path(), &[w1.verifier()]).unwrap();
    assert_eq!(
        report.witnesses,
        vec![WitnessReport {
            witness: w1.verifier().to_string(),
            checkpoints: 1,
            largest_size: 300,
        }]
    );
    // a witness that cosigned nothing
    let err = verify_with_witnesses(dir.path(), &[w1.verifier(), w2.verifier()]).unwrap_err();
    assert!(
        matches!(&err, VerifyError::NotCosigned { witness } if witness.starts_with("witness.example/w2+")),
        "{err}"
    );
    // w1's line over another checkpoint body, pasted under checkpoint 100
    let body300 = note::parse(&notes[1]).unwrap().text.to_string();
    let foreign = w1.cosign(&body300, 5).unwrap();
    let mut forged = notes.clone();
    forged[0] = format!("{}{foreign}", notes[0]);
    let dir = write_to(&forged);
    let err = verify_with_witnesses(dir.path(), &[w1.verifier()]).unwrap_err();
    assert!(
        matches!(&err, VerifyError::BadCosignature { size: 100, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("does not verify"), "{err}");
}
