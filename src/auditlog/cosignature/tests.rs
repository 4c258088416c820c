//! Vectors from the C2SP specification and the transparency-dev/formats tests,
//! plus a fixed-seed vector cross-checked with an independent Ed25519 implementation.

use super::*;
use crate::auditlog::note::{NoteSigner, NoteVerifier};

const BODY: &str =
    "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
/// Seed 00 01 02 … 1f, name witness.example/w1.
const FIXED_VKEY: &str = "witness.example/w1+e75f6532+BAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
const FIXED_LINE: &str = "\u{2014} witness.example/w1 519lMgAAAABkGFDLBuRDazBLVac2NE+Y+IjbjQOcXLfF9CSDZVUIoS83rE1nFZsVE8YiWV6Ngr7lV8H6bdoBQGP/l73euDMQ9k+bBQ==\n";
const SPEC_TIME: u64 = 1679315147;

fn fixed_seed() -> [u8; 32] {
    let mut s = [0u8; 32];
    for (i, b) in s.iter_mut().enumerate() {
        *b = i as u8;
    }
    s
}

fn fixed() -> Cosigner {
    Cosigner::from_seed("witness.example/w1", fixed_seed()).unwrap()
}

fn line_signature(line: &str) -> NoteSignature {
    let n = format!("x\n\n{line}");
    note::parse(&n).unwrap().signatures.remove(0)
}

#[test]
fn signed_message_matches_the_spec_example() {
    assert_eq!(
        signed_message(BODY, SPEC_TIME),
        "cosignature/v1\ntime 1679315147\nexample.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
    );
}

#[test]
fn fixed_seed_vector() {
    let c = fixed();
    assert_eq!(c.key_id(), 0xe75f6532);
    assert_eq!(c.verifier().to_string(), FIXED_VKEY);
    assert_eq!(c.cosign(BODY, SPEC_TIME).unwrap(), FIXED_LINE);
    let v = CosignatureVerifier::parse(FIXED_VKEY).unwrap();
    assert_eq!(
        verify_line(BODY, FIXED_LINE, &[v]).unwrap(),
        Cosignature {
            name: "witness.example/w1".into(),
            key_id: 0xe75f6532,
            timestamp: SPEC_TIME
        }
    );
}

#[test]
fn witness_key_id_uses_type_0x04() {
    let v = CosignatureVerifier::parse(
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
    )
    .unwrap();
    assert_eq!(v.key_id(), 0xda77ade7);
    assert_eq!(
        v.to_string(),
        "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
    );
    // A note key (type 0x01) is converted: its own id checks, then the witness id is recomputed.
    let v =
        CosignatureVerifier::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
            .unwrap();
    assert_eq!(v.key_id(), 0xfdd2dbc7);
    for bad in [
        "bananas.sigstore.dev+12344556",
        "rekor.sigstore.dev+12345678+THIS_IS_NOT_BASE64!",
        "rekor.sigstore.dev+12345678+AwEB",
        "remora.n621.de+00000000+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2",
        "TEST+fdd2dbc7+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6",
    ] {
        assert!(CosignatureVerifier::parse(bad).is_err(), "accepted {bad}");
    }
}

#[test]
fn decodes_published_timestamps() {
    let spec = line_signature("\u{2014} witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n");
    assert_eq!(spec.key_id, 0x8d66cf3f);
    assert_eq!(decode(&spec).unwrap().0, SPEC_TIME);
    let formats = line_signature("\u{2014} w ZGhGuQAAAABm/qTPeyKXD+R2rzyQsxPiP8mXum7qq/iF0u4vanlqJyocWODBt97w9uL+8qT7S5gxEHWWOworDcFiEBYJXORmnFBOBA==\n");
    assert_eq!(decode(&formats).unwrap().0, 1727964367);
    // A plain Ed25519 note signature has no timestamp.
    let plain = line_signature("\u{2014} w eQjRQm6eSKzFoiYalgwCPXu2y3ijtg68is9M46JKxuZB+dRfTmeQeDBoXnvxZx2ugnkyV+MUMLXpWs1hPb/W/4xkNQY=\n");
    assert!(matches!(
        decode(&plain),
        Err(CosignatureError::Malformed(_))
    ));
}

#[test]
fn unknown_keys_and_bad_signatures_are_distinct_errors() {
    let c = fixed();
    let line = c.cosign(BODY, 1700000000).unwrap();
    let other = Cosigner::from_seed("witness.example/w2", [9; 32]).unwrap();
    assert_eq!(
        verify_line(BODY, &line, &[other.verifier()]),
        Err(CosignatureError::UnknownWitness {
            name: "witness.example/w1".into(),
            key_id: 0xe75f6532
        })
    );
    let altered = BODY.replace("20852163", "20852164");
    assert_eq!(
        verify_line(&altered, &line, &[c.verifier()]),
        Err(CosignatureError::BadSignature {
            name: "witness.example/w1".into(),
            key_id: 0xe75f6532
        })
    );
    // Changing the timestamp inside the payload breaks the signature too.
    let mut sig = line_signature(&line);
    sig.signature[7] ^= 1;
    assert!(matches!(
        verify_line(BODY, &sig.to_line(), &[c.verifier()]),
        Err(CosignatureError::BadSignature { .. })
    ));
    // Same name, other key: the id differs, so the key is unknown rather than wrong.
    let impostor = Cosigner::from_seed("witness.example/w1", [5; 32]).unwrap();
    assert!(matches!(
        verify_line(BODY, &line, &[impostor.verifier()]),
        Err(CosignatureError::UnknownWitness { .. })
    ));
}

#[test]
fn refuses_non_checkpoints_and_huge_timestamps() {
    let c = fixed();
    assert!(matches!(
        c.cosign("hello\n", 1),
        Err(CosignatureError::NotACheckpoint(_))
    ));
    assert_eq!(
        c.cosign(BODY, 1 << 63),
        Err(CosignatureError::TimestampTooLarge(1 << 63))
    );
    c.cosign(BODY, MAX_TIMESTAMP).unwrap();
}

#[test]
fn cosigned_checkpoint_note() {
    let log = NoteSigner::from_seed("example.com/behind-the-sofa", [1; 32]).unwrap();
    let signed = note::sign(BODY, &[&log]).unwrap();
    let w1 = fixed();
    let w2 = Cosigner::from_seed("witness.example/w2", [2; 32]).unwrap();
    let cosigned = w1.cosign_note(&signed, 10).unwrap();
    let cosigned = w2.cosign_note(&cosigned, 20).unwrap();

    // The log's signature still opens, witness lines are set aside as unknown.
    let opened = note::open(&cosigned, &[log.verifier()]).unwrap();
    assert_eq!(opened.unverified.len(), 2);

    let got = verify_note(&cosigned, &[w1.verifier(), w2.verifier()]).unwrap();
    assert_eq!(
        got.iter().map(|c| c.timestamp).collect::<Vec<_>>(),
        vec![10, 20]
    );
    assert_eq!(verify_note(&cosigned, &[w2.verifier()]).unwrap().len(), 1);
    assert_eq!(
        verify_note(&signed, &[w1.verifier()]),
        Err(CosignatureError::NoKnownCosignature)
    );

    // Domain separation: a witness key read as a plain note key matches no signature.
    let as_note_key = NoteVerifier::new("witness.example/w1", w1.verifier().public_key()).unwrap();
    assert_eq!(
        note::open(&cosigned, &[as_note_key]),
        Err(NoteError::NoKnownSignature)
    );

    let tampered = cosigned.replace("20852163", "20852162");
    assert!(matches!(
        verify_note(&tampered, &[w1.verifier()]),
        Err(CosignatureError::BadSignature { .. })
    ));
}

#[test]
fn key_texts_round_trip() {
    let c = Cosigner::generate("witness.example/w3").unwrap();
    let again = Cosigner::parse(&c.signer_key_text()).unwrap();
    assert_eq!(again.verifier(), c.verifier());
    assert_eq!(
        CosignatureVerifier::parse(&c.verifier().to_string()).unwrap(),
        c.verifier()
    );
    // An ordinary note signer key can serve as a witness key.
    let n = NoteSigner::from_seed("witness.example/w4", [3; 32]).unwrap();
    let w = Cosigner::parse(&n.signer_key_text()).unwrap();
    assert_eq!(w.verifier().public_key(), n.public_key());
    assert_ne!(w.key_id(), n.key_id());
    assert!(!format!("{w:?}").contains("AwMD"));
}
