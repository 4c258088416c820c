//! Known-answer tests of envelope version 2 (docs/vectors/sealed-envelope-v2.json, regenerate with
//! SEALBOX_WRITE_VECTORS=1 and review the diff), its tamper cases, and what a v2 envelope lets the
//! public do after the opening: check the announced key and read bid.json, never the documents.

use super::project_path;
use crate::sealbox::envelope::{
    self, announced_key_bytes, announced_key_commitment, documents_key, mac_key, share_info,
    AnnouncedKey, ContentKey, Header, SealParams, SealRandomness, MAC_LEN, VERSION_2,
};
use crate::sealbox::error::{EnvelopeError, Fault};
use crate::sealbox::hpke;
use crate::sealbox::keys::{
    CustodianPrivateKey, TendererPublicKey, TendererSigningKey, SIGNATURE_LEN,
};
use crate::sealbox::shamir::{self, FixedCoefficients};
use crate::sealbox::stream;
use crate::sealbox::tar::{TarReader, TarWriter};
use ring::digest;
use ring::rand::SystemRandom;
use serde_json::{json, Value};
use std::io::Read;

const VECTORS: &str = "docs/vectors/sealed-envelope-v2.json";

fn hx(v: &Value) -> Vec<u8> {
    hex::decode(
        v.as_str()
            .unwrap_or_else(|| panic!("expected a hex string, got {v}")),
    )
    .unwrap()
}

fn arr<const N: usize>(v: &Value) -> [u8; N] {
    hx(v).try_into().unwrap()
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    digest::digest(&digest::SHA256, bytes).as_ref().to_vec()
}

fn seed(label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&sha256(
        format!("bidhall-sealbox/2 test vector {label}").as_bytes(),
    ));
    out
}

enum Documents {
    Archive(Vec<(&'static str, Vec<u8>)>),
    Pattern(usize),
}

struct CaseSpec {
    name: &'static str,
    description: &'static str,
    tender_id: &'static str,
    lot_id: &'static str,
    tenderer_id: &'static str,
    n: u8,
    k: u8,
    announced: &'static str,
    documents: Documents,
}

fn specs() -> Vec<CaseSpec> {
    vec![
        CaseSpec {
            name: "n4-k3-bid",
            description: "the default tender (n = 4, k = 3): bid.json announced, two attachments as the documents archive",
            tender_id: "ZFCG-2026-0042",
            lot_id: "标段-01",
            tenderer_id: "91110000MA01ABCD2X",
            n: 4,
            k: 3,
            announced: r#"{"price_fen":"128800000","duration_days":180,"quality":"合格","bond":"electronic_guarantee"}"#,
            documents: Documents::Archive(vec![
                ("attachments/technical.txt", b"Technical proposal, clauses 1-12.\n".to_vec()),
                ("attachments/bill-of-quantities.csv", b"item,qty,unit_fen\nconcrete,120,45000\n".to_vec()),
            ]),
        },
        CaseSpec {
            name: "n3-k2-documents-three-chunks",
            description: "documents of three chunks, the last one short (byte j = j mod 251, length 2*65536+1000)",
            tender_id: "GC-2026-117",
            lot_id: "2",
            tenderer_id: "tenderer-0007",
            n: 3,
            k: 2,
            announced: r#"{"price_fen":"99000000","duration_days":90}"#,
            documents: Documents::Pattern(2 * 65536 + 1000),
        },
        CaseSpec {
            name: "n1-k1-empty-documents",
            description: "one custodian, no documents: the documents segment is one empty final chunk (a bare tag)",
            tender_id: "T",
            lot_id: "L",
            tenderer_id: "R",
            n: 1,
            k: 1,
            announced: r#"{"price_fen":"1"}"#,
            documents: Documents::Pattern(0),
        },
    ]
}

fn documents_bytes(spec: &Documents) -> Vec<u8> {
    match spec {
        Documents::Pattern(len) => super::pattern(*len),
        Documents::Archive(files) => {
            let mut w = TarWriter::documents(Vec::new());
            for (name, data) in files {
                w.append(name, data.len() as u64, &data[..]).unwrap();
            }
            w.finish().unwrap()
        }
    }
}

fn build_case(spec: &CaseSpec) -> Value {
    let name = spec.name;
    let rng = SystemRandom::new();
    let custodians: Vec<CustodianPrivateKey> = (1..=spec.n)
        .map(|i| CustodianPrivateKey::derive(&seed(&format!("{name}/custodian/{i}"))).unwrap())
        .collect();
    let tenderer_scalar = hpke::derive_key_pair(&seed(&format!("{name}/tenderer")))
        .unwrap()
        .to_bytes();
    let signer = TendererSigningKey::from_scalar(&tenderer_scalar, &rng).unwrap();
    let degree = usize::from(spec.k - 1);
    let coefficients: Vec<u8> = (0..degree)
        .flat_map(|d| seed(&format!("{name}/coefficients/{d}")))
        .collect();
    let documents = documents_bytes(&spec.documents);
    let mut documents_json = json!({
        "length": documents.len(),
        "sha256": hex::encode(sha256(&documents)),
    });
    match &spec.documents {
        Documents::Pattern(_) => documents_json["pattern"] = json!("byte j = j mod 251"),
        Documents::Archive(files) => {
            documents_json["hex"] = json!(hex::encode(&documents));
            documents_json["tar_files"] = files
                .iter()
                .map(|(n, d)| json!({"name": n, "hex": hex::encode(d)}))
                .collect();
        }
    }
    json!({
        "name": name,
        "description": spec.description,
        "tender_id": spec.tender_id,
        "lot_id": spec.lot_id,
        "tenderer_id": spec.tenderer_id,
        "k": spec.k,
        "custodians": custodians.iter().enumerate().map(|(i, c)| json!({
            "index": i + 1,
            "private_key": hex::encode(*c.to_scalar()),
            "public_key": hex::encode(c.public_key().to_sec1()),
        })).collect::<Vec<_>>(),
        "tenderer": {
            "private_key": hex::encode(tenderer_scalar),
            "public_key": hex::encode(signer.public_key().to_sec1()),
        },
        "randomness": {
            "content_key": hex::encode(seed(&format!("{name}/content_key"))),
            "envelope_id": hex::encode(&seed(&format!("{name}/envelope_id"))[..16]),
            "coefficients": hex::encode(&coefficients),
            "share_salts": (1..=spec.n).map(|i| hex::encode(seed(&format!("{name}/salt/{i}")))).collect::<Vec<_>>(),
            "ephemeral_ikm": (1..=spec.n).map(|i| hex::encode(seed(&format!("{name}/ikm/{i}")))).collect::<Vec<_>>(),
        },
        "announced": {
            "hex": hex::encode(spec.announced.as_bytes()),
            "length": spec.announced.len(),
            "sha256": hex::encode(sha256(spec.announced.as_bytes())),
        },
        "documents": documents_json,
    })
}

struct Computed {
    params: SealParams,
    custodians: Vec<CustodianPrivateKey>,
    signer: TendererSigningKey,
    envelope: Vec<u8>,
    header_len: usize,
    announced: Vec<u8>,
    documents: Vec<u8>,
    expected: Value,
}

fn compute(case: &Value) -> Computed {
    let rng = SystemRandom::new();
    let custodians: Vec<CustodianPrivateKey> = case["custodians"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| CustodianPrivateKey::from_scalar(&hx(&c["private_key"])).unwrap())
        .collect();
    let signer =
        TendererSigningKey::from_scalar(&hx(&case["tenderer"]["private_key"]), &rng).unwrap();
    assert_eq!(
        signer.public_key().to_sec1().to_vec(),
        hx(&case["tenderer"]["public_key"])
    );
    let params = SealParams {
        tender_id: case["tender_id"].as_str().unwrap().into(),
        lot_id: case["lot_id"].as_str().unwrap().into(),
        tenderer_id: case["tenderer_id"].as_str().unwrap().into(),
        custodians: custodians.iter().map(|c| c.public_key().clone()).collect(),
        k: case["k"].as_u64().unwrap() as u8,
    };
    let r = &case["randomness"];
    let randomness = SealRandomness {
        content_key: arr(&r["content_key"]),
        envelope_id: arr(&r["envelope_id"]),
        coefficients: hx(&r["coefficients"]),
        share_salts: r["share_salts"]
            .as_array()
            .unwrap()
            .iter()
            .map(arr)
            .collect(),
        ephemeral_ikm: r["ephemeral_ikm"]
            .as_array()
            .unwrap()
            .iter()
            .map(arr)
            .collect(),
    };
    let announced = hx(&case["announced"]["hex"]);
    let d = &case["documents"];
    let documents = match d.get("hex") {
        Some(h) => hx(h),
        None => super::pattern(d["length"].as_u64().unwrap() as usize),
    };
    assert_eq!(
        hex::encode(sha256(&documents)),
        d["sha256"].as_str().unwrap()
    );
    if let Some(files) = d.get("tar_files") {
        let mut w = TarWriter::documents(Vec::new());
        for f in files.as_array().unwrap() {
            let data = hx(&f["hex"]);
            w.append(f["name"].as_str().unwrap(), data.len() as u64, &data[..])
                .unwrap();
        }
        assert_eq!(w.finish().unwrap(), documents, "documents archive");
    }

    let mut envelope = Vec::new();
    let summary = envelope::seal_v2_deterministic(
        &params,
        &signer,
        &announced,
        &documents[..],
        documents.len() as u64,
        &mut envelope,
        &randomness,
        &rng,
    )
    .unwrap();
    assert_eq!(summary.envelope_len, envelope.len() as u64);
    assert_eq!(summary.envelope_sha256.to_vec(), sha256(&envelope));
    let header = &summary.header;
    assert_eq!(header.version(), VERSION_2);
    let header_len = header.as_bytes().len();
    let shares = shamir::split(
        &randomness.content_key,
        params.custodians.len() as u8,
        params.k,
        &mut FixedCoefficients(&randomness.coefficients),
    )
    .unwrap();
    let records: Vec<Value> = header
        .custodians()
        .iter()
        .zip(&shares)
        .zip(&randomness.ephemeral_ikm)
        .map(|((rec, share), ikm)| {
            let sk_e = hpke::derive_key_pair(ikm).unwrap();
            json!({
                "index": rec.index,
                "fingerprint": hex::encode(rec.fingerprint),
                "hpke_info": hex::encode(share_info(VERSION_2, &params.tender_id, &params.lot_id, &randomness.envelope_id, rec.index)),
                "ephemeral_private_key": hex::encode(sk_e.to_bytes()),
                "enc": hex::encode(rec.enc),
                "share": hex::encode(share.y),
                "commitment": hex::encode(rec.commitment),
                "sealed_share": hex::encode(rec.sealed_share),
            })
        })
        .collect();
    let ck = &randomness.content_key;
    let eid = &randomness.envelope_id;
    let announced_key = announced_key_bytes(ck, eid);
    let body = &envelope[header_len..];
    let announced_segment_len = header.announced_segment_len().unwrap() as usize;
    let mut expected = json!({
        "announced_key": hex::encode(*announced_key),
        "announced_key_commitment": hex::encode(announced_key_commitment(eid, &announced_key)),
        "documents_key": hex::encode(*documents_key(ck, eid)),
        "mac_key": hex::encode(*mac_key(VERSION_2, ck, eid)),
        "records": records,
        "header_len": header_len,
        "header_unsigned": hex::encode(&envelope[..header_len - SIGNATURE_LEN]),
        "mac": hex::encode(header.mac()),
        "example_signature": hex::encode(header.signature()),
        "header_with_example_signature": hex::encode(header.as_bytes()),
        "announced_segment_len": announced_segment_len,
        "announced_segment_hex": hex::encode(&body[..announced_segment_len]),
        "body_len": body.len(),
        "body_sha256": hex::encode(sha256(body)),
        "envelope_sha256": hex::encode(summary.envelope_sha256),
    });
    if body.len() <= 4096 {
        expected["body_hex"] = json!(hex::encode(body));
    }
    Computed {
        params,
        custodians,
        signer,
        envelope,
        header_len,
        announced,
        documents,
        expected,
    }
}

/// The tamper cases of the first vector, each with the error it must give and whose fault it is.
fn tamper_cases(case: &Value, c: &Computed) -> Value {
    let rng = SystemRandom::new();
    let e = &c.expected;
    let mut wrong_key = hx(&e["announced_key"]);
    wrong_key[31] ^= 0x01;
    let segment_offset = c.header_len;
    // What a tenderer could sign: a commitment that does not fit its own CK, with a valid MAC.
    let ck: [u8; 32] = arr(&case["randomness"]["content_key"]);
    let eid: [u8; 16] = arr(&case["randomness"]["envelope_id"]);
    let header = Header::parse(&c.envelope[..c.header_len]).unwrap();
    let commitment_at = commitment_offset(&header);
    let mut unsigned = c.envelope[..c.header_len - SIGNATURE_LEN].to_vec();
    unsigned[commitment_at] ^= 0x01;
    let mac_at = unsigned.len() - MAC_LEN;
    let mac = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &*mac_key(VERSION_2, &ck, &eid)),
        &unsigned[..mac_at],
    );
    unsigned[mac_at..].copy_from_slice(mac.as_ref());
    let signature = c
        .signer
        .sign(&envelope::signature_message(VERSION_2, &unsigned), &rng)
        .unwrap();
    let mut resealed = unsigned.clone();
    resealed.extend_from_slice(&signature);
    json!([
        {
            "name": "wrong-announced-key",
            "description": "a published announced key that differs in its last bit from the committed one: refused before any decryption",
            "announced_key": hex::encode(&wrong_key),
            "error": "announced_key_mismatch",
            "rust_error": "AnnouncedKeyMismatch",
            "fault": null,
        },
        {
            "name": "announced-segment-altered",
            "description": "the first byte of the announced segment flipped (envelope offset = header_len): the right key, but the chunk does not authenticate",
            "envelope_offset": segment_offset,
            "xor": 1,
            "error": "chunk_corrupt",
            "rust_error": "ChunkCorrupt { chunk: 0 }",
            "fault": "tenderer",
        },
        {
            "name": "commitment-altered-and-signed",
            "description": "the tenderer signs a header whose announced-key commitment (first byte flipped, at header offset commitment_offset) does not fit its CK, with a valid MAC: the shares rebuild CK, the MAC passes, the derived announced key fails the commitment (the tenderer's fault), and the genuine key no longer matches",
            "commitment_offset": commitment_at,
            "header_with_example_signature": hex::encode(&resealed),
            "error_after_rebuild": "announced_key_not_committed",
            "rust_error_after_rebuild": "AnnouncedKeyNotCommitted",
            "fault": "tenderer",
            "error_checking_genuine_key": "announced_key_mismatch",
        },
        {
            "name": "commitment-altered-after-signing",
            "description": "the commitment's first byte flipped in a signed header: the signature fails (refused on upload), and the shares' CK fails the MAC",
            "commitment_offset": commitment_at,
            "error_signature": "bad_signature",
            "error_rebuild": "header_mac",
        },
    ])
}

/// Offset of the announced-key commitment in a v2 header: after the fixed fields and before the
/// custodian records.
fn commitment_offset(h: &Header) -> usize {
    12 + 12 + h.tender_id().len() + h.lot_id().len() + h.tenderer_id().len() + 16 + 2 + 4 + 8 + 8
}

fn write_vectors() {
    let mut cases = Vec::new();
    let mut tamper = Value::Null;
    for (i, spec) in specs().iter().enumerate() {
        let mut case = build_case(spec);
        let c = compute(&case);
        if i == 0 {
            tamper = tamper_cases(&case, &c);
        }
        case["expected"] = c.expected;
        cases.push(case);
    }
    let doc = json!({
        "format": "bidhall-sealbox/2 sealed envelope, see docs/sealed-envelope.md part II",
        "note": "All values hex. ECDSA signatures are randomised: an implementation must reproduce header_unsigned exactly and produce a signature that verifies; example_signature verifies under the tenderer's public key. The tamper cases apply to the first case.",
        "cases": cases,
        "tamper": tamper,
    });
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    std::fs::write(project_path(VECTORS), text).unwrap();
}

fn load() -> Value {
    if std::env::var("SEALBOX_WRITE_VECTORS").as_deref() == Ok("1") {
        write_vectors();
    }
    serde_json::from_str(&std::fs::read_to_string(project_path(VECTORS)).unwrap()).unwrap()
}

fn shares_of(h: &Header, c: &Computed, which: &[u8]) -> Vec<envelope::ReleasedShare> {
    which
        .iter()
        .map(|&i| envelope::open_share(h, i, &c.custodians[usize::from(i) - 1]).unwrap())
        .collect()
}

#[test]
fn v2_vectors_reproduce_and_open_in_two_parts() {
    let doc = load();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), specs().len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let c = compute(case);
        let want = &case["expected"];
        for key in [
            "announced_key",
            "announced_key_commitment",
            "documents_key",
            "mac_key",
            "records",
            "header_len",
            "header_unsigned",
            "mac",
            "announced_segment_len",
            "announced_segment_hex",
            "body_len",
            "body_sha256",
        ] {
            assert_eq!(c.expected[key], want[key], "{name}: {key}");
        }
        if let Some(body) = want.get("body_hex") {
            assert_eq!(&c.expected["body_hex"], body, "{name}: body");
        }
        let tenderer = TendererPublicKey::from_sec1(&hx(&case["tenderer"]["public_key"])).unwrap();
        let recorded = Header::parse(&hx(&want["header_with_example_signature"])).unwrap();
        envelope::verify_signature(&recorded, &tenderer).unwrap();
        envelope::check_sealed_for(&recorded, &c.params).unwrap();
        assert_eq!(recorded.version(), 2);
        assert_eq!(
            recorded.announced_len(),
            Some(c.announced.len() as u64),
            "{name}"
        );
        assert_eq!(recorded.documents_len(), c.documents.len() as u64);
        assert_eq!(
            hex::encode(recorded.announced_key_commitment().unwrap()),
            want["announced_key_commitment"].as_str().unwrap()
        );

        // The public, after the opening: the published key, the signed header, the envelope.
        let published = AnnouncedKey::from_bytes(arr(&want["announced_key"]));
        envelope::check_announced_key(&recorded, &published).unwrap();
        let mut body = &c.envelope[c.header_len..];
        let mut bid = Vec::new();
        envelope::open_announced(&recorded, &published, &mut body, &mut bid).unwrap();
        assert_eq!(bid, c.announced, "{name}: bid.json");

        // The hall: the last k custodians rebuild CK, derive the same announced key, open both.
        let k = recorded.k();
        let n = recorded.n();
        let which: Vec<u8> = (n - k + 1..=n).collect();
        let ck = envelope::rebuild_key(&recorded, &shares_of(&recorded, &c, &which)).unwrap();
        assert_eq!(
            hex::encode(ck.expose_secret()),
            case["randomness"]["content_key"].as_str().unwrap()
        );
        let derived = envelope::announced_key(&recorded, &ck).unwrap();
        assert_eq!(derived.expose_secret(), published.expose_secret());
        let mut docs = Vec::new();
        envelope::open_documents(&recorded, &ck, &mut body, &mut docs).unwrap();
        assert_eq!(docs, c.documents, "{name}: documents");
        if case["documents"].get("tar_files").is_some() {
            let mut tar = TarReader::documents(&docs[..]);
            let first = tar.next_entry().unwrap().unwrap();
            assert!(first.name.starts_with("attachments/"));
        }
        // v1's single-payload opener refuses a v2 envelope rather than misreading it.
        assert!(matches!(
            envelope::open_payload(&recorded, &ck, &c.envelope[c.header_len..], Vec::new()),
            Err(EnvelopeError::WrongVersion { version: 2, .. })
        ));
    }
}

#[test]
fn v2_tamper_cases_give_the_documented_errors() {
    let doc = load();
    let case = &doc["cases"][0];
    let c = compute(case);
    let t = doc["tamper"].as_array().unwrap();
    let header = Header::parse(&c.envelope[..c.header_len]).unwrap();
    let body = &c.envelope[c.header_len..];
    let err_name = |e: &EnvelopeError| format!("{e:?}");

    // wrong announced key
    let wrong = AnnouncedKey::from_bytes(arr(&t[0]["announced_key"]));
    let e = envelope::open_announced(&header, &wrong, body, Vec::new()).unwrap_err();
    assert_eq!(err_name(&e), t[0]["rust_error"].as_str().unwrap());
    assert_eq!(e.fault(), None);

    // announced segment altered
    let mut bad = c.envelope.clone();
    bad[t[1]["envelope_offset"].as_u64().unwrap() as usize] ^= 1;
    let key = AnnouncedKey::from_bytes(arr(&case["expected"]["announced_key"]));
    let e = envelope::open_announced(&header, &key, &bad[c.header_len..], Vec::new()).unwrap_err();
    assert_eq!(err_name(&e), t[1]["rust_error"].as_str().unwrap());
    assert_eq!(e.fault(), Some(Fault::Tenderer));

    // commitment altered and signed by the tenderer
    let resealed = Header::parse(&hx(&t[2]["header_with_example_signature"])).unwrap();
    envelope::verify_signature(&resealed, &c.signer.public_key()).unwrap();
    let all: Vec<u8> = (1..=resealed.n()).collect();
    let ck = envelope::rebuild_key(&resealed, &shares_of(&resealed, &c, &all)).unwrap();
    let e = envelope::announced_key(&resealed, &ck).unwrap_err();
    assert_eq!(
        err_name(&e),
        t[2]["rust_error_after_rebuild"].as_str().unwrap()
    );
    assert_eq!(e.fault(), Some(Fault::Tenderer));
    assert!(matches!(
        envelope::check_announced_key(&resealed, &key),
        Err(EnvelopeError::AnnouncedKeyMismatch)
    ));

    // commitment altered after signing
    let mut bytes = c.envelope[..c.header_len].to_vec();
    bytes[t[3]["commitment_offset"].as_u64().unwrap() as usize] ^= 1;
    let altered = Header::parse(&bytes).unwrap();
    assert!(matches!(
        envelope::verify_signature(&altered, &c.signer.public_key()),
        Err(EnvelopeError::BadSignature)
    ));
    let shares = shares_of(&header, &c, &all);
    assert!(matches!(
        envelope::rebuild_key(&altered, &shares),
        Err(EnvelopeError::HeaderMac)
    ));
}

/// What the public holds after the opening — the whole envelope and the announced key — does not
/// open the documents: not as the documents key, not as a content key, not by any v1 path.
#[test]
fn the_announced_key_does_not_open_the_documents() {
    let doc = load();
    let case = &doc["cases"][0];
    let c = compute(case);
    let header = Header::parse(&c.envelope[..c.header_len]).unwrap();
    let key: [u8; 32] = arr(&case["expected"]["announced_key"]);
    let mut body = &c.envelope[c.header_len..];
    envelope::open_announced(
        &header,
        &AnnouncedKey::from_bytes(key),
        &mut body,
        Vec::new(),
    )
    .unwrap();
    let documents_segment = body;
    // As if it were the documents key:
    let cipher = stream::payload_cipher(&key).unwrap();
    let mut sink = Vec::new();
    assert!(matches!(
        stream::decrypt(
            &cipher,
            header.documents_len(),
            &mut &documents_segment[..],
            &mut sink
        ),
        Err(EnvelopeError::ChunkCorrupt { chunk: 0 })
    ));
    assert!(sink.is_empty());
    // As if it were CK:
    let fake = ContentKey::from_bytes(key);
    assert!(matches!(
        envelope::open_documents(&header, &fake, documents_segment, Vec::new()),
        Err(EnvelopeError::KeyDoesNotMatchHeader)
    ));
    // The documents key is neither the announced key nor derivable from it without CK.
    assert_ne!(
        case["expected"]["documents_key"],
        case["expected"]["announced_key"]
    );
    // And no plaintext of the documents appears in the envelope.
    let needle = b"Technical proposal";
    assert!(!c.envelope.windows(needle.len()).any(|w| w == needle));
}

#[test]
fn v2_round_trips_large_documents_and_refuses_a_lower_threshold() {
    let t = super::tender(4, 3);
    let documents = super::pattern(3 * 65536 + 17);
    let announced = br#"{"price_fen":"5"}"#;
    let rng = SystemRandom::new();
    let mut out = Vec::new();
    let summary = envelope::seal_v2(
        &t.params,
        &t.signer,
        announced,
        &documents[..],
        documents.len() as u64,
        &mut out,
        &rng,
    )
    .unwrap();
    assert_eq!(summary.envelope_len, out.len() as u64);
    let mut reader = &out[..];
    let header = Header::read_from(&mut reader).unwrap();
    assert_eq!(header.envelope_len(), out.len() as u64);
    envelope::verify_signature(&header, &t.signer.public_key()).unwrap();
    envelope::check_sealed_for(&header, &t.params).unwrap();
    // k − 1 shares rebuild nothing
    let two = super::released(&header, &t, &[1, 2]).unwrap();
    assert!(matches!(
        envelope::rebuild_key(&header, &two),
        Err(EnvelopeError::NotEnoughShares { .. })
    ));
    let ck =
        envelope::rebuild_key(&header, &super::released(&header, &t, &[1, 2, 4]).unwrap()).unwrap();
    let key = envelope::announced_key(&header, &ck).unwrap();
    let mut bid = Vec::new();
    envelope::open_announced(&header, &key, &mut reader, &mut bid).unwrap();
    assert_eq!(bid, announced);
    let mut docs = Vec::new();
    envelope::open_documents(&header, &ck, &mut reader, &mut docs).unwrap();
    assert_eq!(docs, documents);
    // a truncated documents segment and trailing bytes are the tenderer's
    let announced_end = header.as_bytes().len() + header.announced_segment_len().unwrap() as usize;
    let e = envelope::open_documents(&header, &ck, &out[announced_end..out.len() - 1], Vec::new())
        .unwrap_err();
    assert_eq!(e.fault(), Some(Fault::Tenderer));
    let mut longer = out[announced_end..].to_vec();
    longer.push(0);
    assert!(matches!(
        envelope::open_documents(&header, &ck, &longer[..], Vec::new()),
        Err(EnvelopeError::TrailingCiphertext)
    ));
    // an announced part over 1 MiB is refused when sealing
    let big = vec![b' '; (1 << 20) + 1];
    assert!(matches!(
        envelope::seal_v2(&t.params, &t.signer, &big, &b""[..], 0, Vec::new(), &rng),
        Err(EnvelopeError::InvalidParams(_))
    ));
    // the upload reads exactly the declared length
    let mut all = Vec::new();
    (&out[..]).read_to_end(&mut all).unwrap();
    assert_eq!(all.len() as u64, header.envelope_len());
}

/// docs/sealed-envelope.md quotes the first v2 vector; it must not drift from the JSON.
#[test]
fn spec_document_quotes_the_first_v2_vector() {
    let doc = std::fs::read_to_string(project_path("docs/sealed-envelope.md")).unwrap();
    let flat: String = doc.lines().map(|l| l.trim()).collect::<Vec<_>>().join("");
    let v = load();
    let e = &v["cases"][0]["expected"];
    for key in [
        "announced_key",
        "announced_key_commitment",
        "documents_key",
        "mac_key",
        "header_unsigned",
        "announced_segment_hex",
    ] {
        let hex = e[key].as_str().unwrap();
        assert!(
            flat.contains(hex),
            "docs/sealed-envelope.md lacks the v2 {key} {}…",
            &hex[..16]
        );
    }
}
