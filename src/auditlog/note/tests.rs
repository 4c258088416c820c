//! Known vectors from Go's golang.org/x/mod/sumdb/note tests, so key ids,
//! key texts and signature bytes are checked against that implementation.

use super::*;

const PETER_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const PETER_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const ENOCH_VKEY: &str = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop";
const TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                    then you don't know what your problem is.\n";
const PETER_SIG: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
const ENOCH_SIG: &str = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n";

fn peter() -> NoteVerifier {
    NoteVerifier::parse(PETER_VKEY).unwrap()
}

fn enoch() -> NoteVerifier {
    NoteVerifier::parse(ENOCH_VKEY).unwrap()
}

#[test]
fn parses_go_verifier_key_and_recomputes_its_id() {
    let v = peter();
    assert_eq!(v.name(), "PeterNeumann");
    assert_eq!(v.key_id(), 0xc74f20a3);
    assert_eq!(
        key_id("PeterNeumann", ALG_ED25519, &v.public_key()),
        0xc74f20a3
    );
    assert_eq!(v.to_string(), PETER_VKEY);
    assert_eq!(enoch().key_id(), 0xaf0cfe78);
}

#[test]
fn refuses_every_mangled_verifier_key() {
    // Same check as Go's TestNewVerifier: every proper substring and every
    // single-byte increment must be refused.
    let b = PETER_VKEY.as_bytes().to_vec();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i == 0 && j == b.len() {
                continue;
            }
            let s = String::from_utf8_lossy(&b[i..j]);
            assert!(NoteVerifier::parse(&s).is_err(), "accepted {s:?}");
        }
    }
    for i in 0..b.len() {
        let mut m = b.clone();
        m[i] += 1;
        let s = String::from_utf8_lossy(&m);
        assert!(NoteVerifier::parse(&s).is_err(), "accepted {s:?}");
    }
    // Wrong key length and unknown type, each with a matching id.
    assert!(NoteVerifier::parse(
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY=="
    )
    .is_err());
    assert_eq!(
        NoteVerifier::parse("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"),
        Err(NoteError::UnsupportedAlgorithm(0x65))
    );
}

#[test]
fn parses_go_signer_key_and_refuses_mangled_ones() {
    let s = NoteSigner::parse(PETER_SKEY).unwrap();
    assert_eq!(s.name(), "PeterNeumann");
    assert_eq!(s.key_id(), 0xc74f20a3);
    assert_eq!(s.verifier(), peter());
    assert_eq!(s.signer_key_text(), PETER_SKEY);
    let b = PETER_SKEY.as_bytes().to_vec();
    for i in 0..=b.len() {
        for j in i + 1..=b.len() {
            if i == 0 && j == b.len() {
                continue;
            }
            let t = String::from_utf8_lossy(&b[i..j]);
            assert!(NoteSigner::parse(&t).is_err(), "accepted {t:?}");
        }
    }
    for i in 0..b.len() {
        let mut m = b.clone();
        m[i] += 1;
        let t = String::from_utf8_lossy(&m);
        assert!(NoteSigner::parse(&t).is_err(), "accepted {t:?}");
    }
}

#[test]
fn signature_bytes_match_go() {
    let s = NoteSigner::parse(PETER_SKEY).unwrap();
    let signed = sign(TEXT, &[&s]).unwrap();
    assert_eq!(signed, format!("{TEXT}\n{PETER_SIG}"));
}

#[test]
fn debug_output_hides_the_seed() {
    let s = NoteSigner::parse(PETER_SKEY).unwrap();
    let d = format!("{s:?}");
    assert!(d.contains("c74f20a3"));
    assert!(!d.contains("AYEKFALV"));
    assert!(!d.contains("810a"));
}

#[test]
fn opens_go_notes() {
    let note = format!("{TEXT}\n{PETER_SIG}{ENOCH_SIG}");
    let n = open(&note, &[peter()]).unwrap();
    assert_eq!(n.text, TEXT);
    assert_eq!(n.verified.len(), 1);
    assert_eq!(n.verified[0].name, "PeterNeumann");
    assert_eq!(n.verified[0].key_id, 0xc74f20a3);
    assert_eq!(n.unverified.len(), 1);
    assert_eq!(n.unverified[0].key_id, 0xaf0cfe78);

    let n = open(&note, &[peter(), enoch()]).unwrap();
    assert_eq!(n.verified.len(), 2);
    assert!(n.unverified.is_empty());

    assert_eq!(open(&note, &[]), Err(NoteError::NoKnownSignature));
}

#[test]
fn ambiguous_keys_are_refused_only_when_used() {
    let note = format!("{TEXT}\n{ENOCH_SIG}");
    assert_eq!(
        open(&note, &[enoch(), peter(), enoch()]),
        Err(NoteError::AmbiguousKey {
            name: "EnochRoot".into(),
            key_id: 0xaf0cfe78
        })
    );
    let note = format!("{TEXT}\n{PETER_SIG}");
    assert!(open(&note, &[enoch(), peter(), enoch()]).is_ok());
}

#[test]
fn invalid_signature_from_known_key_rejects_the_note() {
    let bad = format!("{}ABCD{}", &PETER_SIG[..60], &PETER_SIG[60..]);
    assert_eq!(
        open(&format!("{TEXT}\n{bad}"), &[peter()]),
        Err(NoteError::InvalidSignature {
            name: "PeterNeumann".into(),
            key_id: 0xc74f20a3
        })
    );
    // Altering the text breaks the signature.
    let altered = format!("{}\n{PETER_SIG}", TEXT.replace("answer", "ANSWER"));
    assert!(matches!(
        open(&altered, &[peter()]),
        Err(NoteError::InvalidSignature { .. })
    ));
}

#[test]
fn duplicates_are_collapsed_as_in_go() {
    let enoch_abcd = format!("{}ABCD{}", &ENOCH_SIG[..60], &ENOCH_SIG[60..]);
    let note = format!("{TEXT}\n{PETER_SIG}{PETER_SIG}{ENOCH_SIG}{ENOCH_SIG}{enoch_abcd}");
    let n = open(&note, &[peter()]).unwrap();
    assert_eq!(n.verified.len(), 1);
    assert_eq!(n.unverified.len(), 2);
    assert_ne!(n.unverified[0], n.unverified[1]);
}

#[test]
fn too_many_signatures_is_malformed() {
    let note = format!("{TEXT}\n{}", PETER_SIG.repeat(101));
    assert!(matches!(
        open(&note, &[peter()]),
        Err(NoteError::Malformed(_))
    ));
    let note = format!("{TEXT}\n{}", PETER_SIG.repeat(100));
    assert!(open(&note, &[peter()]).is_ok());
}

#[test]
fn malformed_notes_are_refused() {
    let bad = [
        TEXT.to_string(),
        format!("{TEXT}\n"),
        format!("{TEXT}\n{}", &PETER_SIG[..PETER_SIG.len() - 1]),
        format!("\u{1}{TEXT}\n{PETER_SIG}"),
        format!("{TEXT}\n\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        format!("{TEXT}\n{PETER_SIG}Unexpected line.\n"),
        format!("{TEXT}\n- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"),
        format!("{TEXT}\n\u{2014} PeterNeumann x08g\n"),
        format!("{TEXT}\n\u{2014} PeterNeumann \n"),
    ];
    for msg in bad {
        assert!(
            matches!(open(&msg, &[peter()]), Err(NoteError::Malformed(_))),
            "accepted {msg:?}"
        );
    }
}

#[test]
fn text_with_blank_lines_round_trips() {
    let s = NoteSigner::from_seed("log.example/x", [7; 32]).unwrap();
    for text in ["Note\n\n", "a\n\nb\n", "single\n"] {
        let signed = sign(text, &[&s]).unwrap();
        let n = open(&signed, &[s.verifier()]).unwrap();
        assert_eq!(n.text, text);
    }
    assert!(sign("no newline", &[&s]).is_err());
    assert!(sign("", &[&s]).is_err());
    assert!(sign("tab\there\n", &[&s]).is_err());
}

#[test]
fn generated_keys_round_trip_through_their_texts() {
    let s = NoteSigner::generate("bidhall.example/log").unwrap();
    let again = NoteSigner::parse(&s.signer_key_text()).unwrap();
    assert_eq!(again.verifier(), s.verifier());
    let v = NoteVerifier::parse(&s.verifier().to_string()).unwrap();
    assert_eq!(v, s.verifier());
    for name in ["", "a b", "a+b", "a\u{a0}b"] {
        assert!(matches!(
            NoteSigner::generate(name),
            Err(NoteError::BadKeyName(_))
        ));
    }
}
