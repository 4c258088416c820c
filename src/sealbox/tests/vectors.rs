//! Known-answer tests: the independent Shamir vectors and the envelope vectors of
//! docs/vectors/sealed-envelope-v1.json (regenerate with SEALBOX_WRITE_VECTORS=1, then review the diff).

use super::project_path;
use crate::sealbox::envelope::{
    self, mac_key, payload_key, share_info, Header, SealParams, SealRandomness, MAC_LEN,
};
use crate::sealbox::hpke;
use crate::sealbox::keys::{
    CustodianPrivateKey, TendererPublicKey, TendererSigningKey, SIGNATURE_LEN,
};
use crate::sealbox::shamir::{self, FixedCoefficients, Share};
use crate::sealbox::stream;
use crate::sealbox::tar::TarWriter;
use ring::digest;
use ring::rand::SystemRandom;
use serde_json::{json, Value};

const SHAMIR_VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/vectors/shamir-gf256.json"
);
const ENVELOPE_VECTORS: &str = "docs/vectors/sealed-envelope-v1.json";

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

#[test]
fn shamir_matches_the_independent_vectors() {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(SHAMIR_VECTORS).unwrap()).unwrap();
    let secret: [u8; 32] = arr(&v["secret_hex"]);
    let n = v["n"].as_u64().unwrap() as u8;
    let k = v["k"].as_u64().unwrap() as u8;
    let coeffs: Vec<u8> = v["coefficients_hex_per_byte"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(hx)
        .collect();
    assert_eq!(coeffs.len(), 32 * usize::from(k - 1));
    let shares = shamir::split(&secret, n, k, &mut FixedCoefficients(&coeffs)).unwrap();
    let expected = v["shares"].as_array().unwrap();
    assert_eq!(shares.len(), expected.len());
    for (s, e) in shares.iter().zip(expected) {
        assert_eq!(u64::from(s.x), e["x"].as_u64().unwrap());
        assert_eq!(
            hex::encode(s.y),
            e["y_hex"].as_str().unwrap(),
            "share x = {}",
            s.x
        );
    }
    // Every k-subset rebuilds the secret; every (k−1)-subset gives something else.
    for a in 0..4 {
        for b in a + 1..4 {
            let pair = [shares[a].clone(), shares[b].clone()];
            assert_ne!(shamir::combine(&pair).unwrap(), secret);
            for c in b + 1..4 {
                let three = [shares[a].clone(), shares[b].clone(), shares[c].clone()];
                assert_eq!(shamir::combine(&three).unwrap(), secret);
            }
        }
    }
    assert_eq!(shamir::combine(&shares).unwrap(), secret);
}

// ---- Envelope vectors -------------------------------------------------------------------

fn seed(label: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(&sha256(
        format!("bidhall-sealbox/1 test vector {label}").as_bytes(),
    ));
    out
}

enum PayloadSpec {
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
    payload: PayloadSpec,
}

fn specs() -> Vec<CaseSpec> {
    let bid = br#"{"price_fen":"128800000","duration_days":180,"warranty_months":24,"declared_terms":["accepts the contract terms of section 5","bid valid for 90 days"]}"#;
    vec![
        CaseSpec {
            name: "n4-k3-bid-archive",
            description: "the default tender (n = 4, k = 3) with a small bid archive; byte 0 of the content key has all-zero coefficients",
            tender_id: "ZFCG-2026-0042",
            lot_id: "标段-01",
            tenderer_id: "91110000MA01ABCD2X",
            n: 4,
            k: 3,
            payload: PayloadSpec::Archive(vec![
                ("bid.json", bid.to_vec()),
                ("attachments/offer.txt", b"Technical offer, see clauses 1-12.\n".to_vec()),
            ]),
        },
        CaseSpec {
            name: "n3-k2-three-chunks",
            description: "three chunks, the last one short: payload byte j = j mod 251, length 2*65536+1000",
            tender_id: "GC-2026-117",
            lot_id: "2",
            tenderer_id: "tenderer-0007",
            n: 3,
            k: 2,
            payload: PayloadSpec::Pattern(2 * 65536 + 1000),
        },
        CaseSpec {
            name: "n2-k2-two-full-chunks",
            description: "a payload of exactly two chunks: the final chunk is full (byte j = j mod 251)",
            tender_id: "GC-2026-118",
            lot_id: "A",
            tenderer_id: "tenderer-0008",
            n: 2,
            k: 2,
            payload: PayloadSpec::Pattern(2 * 65536),
        },
        CaseSpec {
            name: "n1-k1-empty",
            description: "one custodian, empty payload: the body is one empty final chunk (a bare tag)",
            tender_id: "T",
            lot_id: "L",
            tenderer_id: "R",
            n: 1,
            k: 1,
            payload: PayloadSpec::Pattern(0),
        },
    ]
}

fn payload_bytes(spec: &PayloadSpec) -> Vec<u8> {
    match spec {
        PayloadSpec::Pattern(len) => super::pattern(*len),
        PayloadSpec::Archive(files) => {
            let mut w = TarWriter::new(Vec::new());
            for (name, data) in files {
                w.append(name, data.len() as u64, &data[..]).unwrap();
            }
            w.finish().unwrap()
        }
    }
}

fn build_case(spec: &CaseSpec) -> Value {
    let rng = SystemRandom::new();
    let name = spec.name;
    let custodians: Vec<CustodianPrivateKey> = (1..=spec.n)
        .map(|i| CustodianPrivateKey::derive(&seed(&format!("{name}/custodian/{i}"))).unwrap())
        .collect();
    let tenderer_scalar = hpke::derive_key_pair(&seed(&format!("{name}/tenderer")))
        .unwrap()
        .to_bytes();
    let signer = TendererSigningKey::from_scalar(&tenderer_scalar, &rng).unwrap();
    let degree = usize::from(spec.k - 1);
    let mut coefficients: Vec<u8> = (0..degree)
        .flat_map(|d| seed(&format!("{name}/coefficients/{d}")))
        .collect();
    // Zero secret byte 0's coefficients in the default case: the field includes 0 and every
    // implementation must accept a constant polynomial.
    if spec.n == 4 {
        coefficients[..degree].fill(0);
    }
    let payload = payload_bytes(&spec.payload);
    let mut payload_json = json!({
        "length": payload.len(),
        "sha256": hex::encode(sha256(&payload)),
    });
    match &spec.payload {
        PayloadSpec::Pattern(_) => payload_json["pattern"] = json!("byte j = j mod 251"),
        PayloadSpec::Archive(files) => {
            payload_json["hex"] = json!(hex::encode(&payload));
            payload_json["tar_files"] = files
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
        "payload": payload_json,
    })
}

/// Everything a case's inputs determine, recomputed from the JSON inputs alone.
struct Computed {
    params: SealParams,
    signer: TendererSigningKey,
    custodians: Vec<CustodianPrivateKey>,
    envelope: Vec<u8>,
    header_len: usize,
    payload: Vec<u8>,
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
    for (c, j) in custodians
        .iter()
        .zip(case["custodians"].as_array().unwrap())
    {
        assert_eq!(c.public_key().to_sec1().to_vec(), hx(&j["public_key"]));
    }
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
    let p = &case["payload"];
    let payload = match p.get("hex") {
        Some(h) => hx(h),
        None => super::pattern(p["length"].as_u64().unwrap() as usize),
    };
    assert_eq!(hex::encode(sha256(&payload)), p["sha256"].as_str().unwrap());
    if let Some(files) = p.get("tar_files") {
        let mut w = TarWriter::new(Vec::new());
        for f in files.as_array().unwrap() {
            let data = hx(&f["hex"]);
            w.append(f["name"].as_str().unwrap(), data.len() as u64, &data[..])
                .unwrap();
        }
        assert_eq!(
            w.finish().unwrap(),
            payload,
            "the tar writer reproduces the archive"
        );
    }

    let mut envelope = Vec::new();
    let summary = envelope::seal_deterministic(
        &params,
        &signer,
        &payload[..],
        payload.len() as u64,
        &mut envelope,
        &randomness,
        &rng,
    )
    .unwrap();
    assert_eq!(summary.envelope_len, envelope.len() as u64);
    assert_eq!(summary.envelope_sha256.to_vec(), sha256(&envelope));
    let header_len = summary.header.as_bytes().len();

    let shares = shamir::split(
        &randomness.content_key,
        params.custodians.len() as u8,
        params.k,
        &mut FixedCoefficients(&randomness.coefficients),
    )
    .unwrap();
    let header = &summary.header;
    let records: Vec<Value> = header
        .custodians()
        .iter()
        .zip(&shares)
        .zip(&randomness.ephemeral_ikm)
        .map(|((rec, share), ikm): ((_, &Share), _)| {
            let sk_e = hpke::derive_key_pair(ikm).unwrap();
            json!({
                "index": rec.index,
                "fingerprint": hex::encode(rec.fingerprint),
                "hpke_info": hex::encode(share_info(1, &params.tender_id, &params.lot_id, &randomness.envelope_id, rec.index)),
                "ephemeral_private_key": hex::encode(sk_e.to_bytes()),
                "enc": hex::encode(rec.enc),
                "share": hex::encode(share.y),
                "commitment": hex::encode(rec.commitment),
                "sealed_share": hex::encode(rec.sealed_share),
            })
        })
        .collect();
    let body = &envelope[header_len..];
    let mut expected = json!({
        "payload_key": hex::encode(*payload_key(&randomness.content_key, &randomness.envelope_id)),
        "mac_key": hex::encode(*mac_key(1, &randomness.content_key, &randomness.envelope_id)),
        "records": records,
        "header_len": header_len,
        "header_unsigned": hex::encode(&envelope[..header_len - SIGNATURE_LEN]),
        "mac": hex::encode(header.mac()),
        "example_signature": hex::encode(header.signature()),
        "header_with_example_signature": hex::encode(header.as_bytes()),
        "body_len": body.len(),
        "body_sha256": hex::encode(sha256(body)),
    });
    if body.len() <= 4096 {
        expected["body_hex"] = json!(hex::encode(body));
    }
    Computed {
        params,
        signer,
        custodians,
        envelope,
        header_len,
        payload,
        expected,
    }
}

fn write_vectors() {
    let cases: Vec<Value> = specs()
        .iter()
        .map(|spec| {
            let mut case = build_case(spec);
            case["expected"] = compute(&case).expected;
            case
        })
        .collect();
    let doc = json!({
        "format": "bidhall-sealbox/1 sealed envelope, see docs/sealed-envelope.md",
        "note": "All values hex. ECDSA signatures are randomised: an implementation must reproduce header_unsigned exactly and produce a signature that verifies; example_signature verifies under the tenderer's public key.",
        "cases": cases,
    });
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    std::fs::write(project_path(ENVELOPE_VECTORS), text).unwrap();
}

#[test]
fn envelope_vectors_reproduce_and_open() {
    if std::env::var("SEALBOX_WRITE_VECTORS").as_deref() == Ok("1") {
        write_vectors();
    }
    let text = std::fs::read_to_string(project_path(ENVELOPE_VECTORS)).unwrap();
    let doc: Value = serde_json::from_str(&text).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert_eq!(cases.len(), specs().len());
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let c = compute(case);
        let want = &case["expected"];
        for key in [
            "payload_key",
            "mac_key",
            "records",
            "header_len",
            "header_unsigned",
            "mac",
            "body_len",
            "body_sha256",
        ] {
            assert_eq!(c.expected[key], want[key], "{name}: {key}");
        }
        if let Some(body) = want.get("body_hex") {
            assert_eq!(&c.expected["body_hex"], body, "{name}: body");
        }
        // Our fresh signature and the recorded example both verify; the MAC sits just before it.
        let tenderer = TendererPublicKey::from_sec1(&hx(&case["tenderer"]["public_key"])).unwrap();
        let fresh = Header::parse(&c.envelope[..c.header_len]).unwrap();
        envelope::verify_signature(&fresh, &tenderer).unwrap();
        let recorded = Header::parse(&hx(&want["header_with_example_signature"])).unwrap();
        envelope::verify_signature(&recorded, &tenderer).unwrap();
        assert_eq!(
            &recorded.as_bytes()[..c.header_len - SIGNATURE_LEN],
            &c.envelope[..c.header_len - SIGNATURE_LEN]
        );
        assert_eq!(
            hex::encode(
                &c.envelope[c.header_len - SIGNATURE_LEN - MAC_LEN..c.header_len - SIGNATURE_LEN]
            ),
            want["mac"].as_str().unwrap()
        );
        envelope::check_sealed_for(&recorded, &c.params).unwrap();
        assert!(envelope::verify_signature(&recorded, &c.signer.public_key()).is_ok());

        // Open with exactly k custodians (the last k) using the recorded header.
        let k = usize::from(recorded.k());
        let shares: Vec<_> = c.custodians[c.custodians.len() - k..]
            .iter()
            .enumerate()
            .map(|(j, key)| {
                let index = (c.custodians.len() - k + j + 1) as u8;
                envelope::open_share(&recorded, index, key).unwrap()
            })
            .collect();
        let key = envelope::rebuild_key(&recorded, &shares).unwrap();
        assert_eq!(
            hex::encode(key.expose_secret()),
            case["randomness"]["content_key"].as_str().unwrap()
        );
        let mut plain = Vec::new();
        envelope::open_payload(&recorded, &key, &c.envelope[c.header_len..], &mut plain).unwrap();
        assert_eq!(plain, c.payload, "{name}");
        assert_eq!(
            c.envelope.len() - c.header_len,
            stream::body_len(c.payload.len() as u64) as usize
        );
    }
}

/// docs/sealed-envelope.md quotes the first case for readers; it must not drift from the JSON.
#[test]
fn spec_document_quotes_the_first_vector() {
    let doc = std::fs::read_to_string(project_path("docs/sealed-envelope.md")).unwrap();
    let flat: String = doc.lines().map(|l| l.trim()).collect::<Vec<_>>().join("");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(project_path(ENVELOPE_VECTORS)).unwrap())
            .unwrap();
    let case = &v["cases"][0];
    let e = &case["expected"];
    let mut quoted = vec![
        &case["randomness"]["content_key"],
        &case["randomness"]["coefficients"],
        &case["tenderer"]["public_key"],
        &e["header_unsigned"],
        &e["body_hex"],
        &e["payload_key"],
        &e["mac_key"],
    ];
    for rec in e["records"].as_array().unwrap() {
        quoted.extend([
            &rec["share"],
            &rec["enc"],
            &rec["commitment"],
            &rec["sealed_share"],
        ]);
    }
    for value in quoted {
        let hex = value.as_str().unwrap();
        assert!(
            flat.contains(hex),
            "docs/sealed-envelope.md lacks {}…",
            &hex[..16]
        );
    }
}
