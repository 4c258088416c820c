//! Cross-implementation fixtures: an envelope sealed here that the JS tests open, and one sealed
//! by the JS implementation (web/test/make-js-fixture.mjs) that is opened here. Both use the
//! production random path and each side's own key formats (key files and passphrase backups).

use super::{pattern, project_path};
use crate::sealbox::envelope::{self, Header, SealParams};
use crate::sealbox::keys::{CustodianPrivateKey, TendererPublicKey, TendererSigningKey};
use crate::sealbox::tar::{TarReader, TarWriter, BID_JSON};
use ring::digest;
use ring::rand::SystemRandom;
use serde_json::{json, Value};
use std::io::Read;

const RUST_FIXTURE: &str = "web/test/fixtures/rust-sealed";
const JS_FIXTURE: &str = "web/test/fixtures/js-sealed";

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(digest::digest(&digest::SHA256, bytes))
}

fn write_rust_fixture() {
    let rng = SystemRandom::new();
    let keys: Vec<CustodianPrivateKey> = (0..4)
        .map(|_| CustodianPrivateKey::generate(&rng).unwrap())
        .collect();
    let signer =
        TendererSigningKey::from_pkcs8(&TendererSigningKey::generate_pkcs8(&rng).unwrap(), &rng)
            .unwrap();
    let params = SealParams {
        tender_id: "ZFCG-2026-0099".into(),
        lot_id: "标段-02".into(),
        tenderer_id: "91330100MA2B3C4D5E".into(),
        custodians: keys.iter().map(|k| k.public_key().clone()).collect(),
        k: 3,
    };
    let bid = br#"{"price_fen":"99880000","duration_days":120,"declared_terms":["sealed by the Rust implementation"]}"#;
    let drawing = pattern(150_000);
    let mut tar = TarWriter::new(Vec::new());
    tar.append(BID_JSON, bid.len() as u64, &bid[..]).unwrap();
    tar.append(
        "attachments/drawing.bin",
        drawing.len() as u64,
        &drawing[..],
    )
    .unwrap();
    let payload = tar.finish().unwrap();
    let mut sealed = Vec::new();
    let summary = envelope::seal(
        &params,
        &signer,
        &payload[..],
        payload.len() as u64,
        &mut sealed,
        &rng,
    )
    .unwrap();
    let passphrase = "custodian one's passphrase, 2026";
    let doc = json!({
        "sealed_by": "rust",
        "tender_id": params.tender_id,
        "lot_id": params.lot_id,
        "tenderer_id": params.tenderer_id,
        "k": params.k,
        "tenderer_public_key": hex::encode(signer.public_key().to_sec1()),
        "custodian_key_files": keys.iter().map(|k| k.to_key_file().unwrap().to_string()).collect::<Vec<_>>(),
        "custodian_1_backup": keys[0].to_backup(passphrase, &rng).unwrap(),
        "backup_passphrase": passphrase,
        "payload_length": payload.len(),
        "payload_sha256": sha256_hex(&payload),
        "envelope_sha256": hex::encode(summary.envelope_sha256),
        "files": [
            {"name": BID_JSON, "sha256": sha256_hex(bid)},
            {"name": "attachments/drawing.bin", "sha256": sha256_hex(&drawing)},
        ],
    });
    std::fs::write(project_path(&format!("{RUST_FIXTURE}.bhseal")), &sealed).unwrap();
    std::fs::write(
        project_path(&format!("{RUST_FIXTURE}.json")),
        serde_json::to_string_pretty(&doc).unwrap() + "\n",
    )
    .unwrap();
}

/// Opens a fixture with custodians 1 (restored from its passphrase backup), 2 and 4 and checks
/// the payload, the archive and every hash the fixture states.
fn open_fixture(base: &str) {
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(project_path(&format!("{base}.json"))).unwrap(),
    )
    .unwrap();
    let sealed = std::fs::read(project_path(&format!("{base}.bhseal"))).unwrap();
    assert_eq!(
        sha256_hex(&sealed),
        doc["envelope_sha256"].as_str().unwrap()
    );

    let files: Vec<&str> = doc["custodian_key_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    let mut keys: Vec<CustodianPrivateKey> = files
        .iter()
        .map(|f| CustodianPrivateKey::from_key_file(f).unwrap())
        .collect();
    let restored = CustodianPrivateKey::from_backup(
        doc["custodian_1_backup"].as_str().unwrap(),
        doc["backup_passphrase"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(restored.public_key(), keys[0].public_key());
    keys[0] = restored;

    let params = SealParams {
        tender_id: doc["tender_id"].as_str().unwrap().into(),
        lot_id: doc["lot_id"].as_str().unwrap().into(),
        tenderer_id: doc["tenderer_id"].as_str().unwrap().into(),
        custodians: keys.iter().map(|k| k.public_key().clone()).collect(),
        k: doc["k"].as_u64().unwrap() as u8,
    };
    let tenderer = TendererPublicKey::from_sec1(
        &hex::decode(doc["tenderer_public_key"].as_str().unwrap()).unwrap(),
    )
    .unwrap();

    let mut reader = &sealed[..];
    let header = Header::read_from(&mut reader).unwrap();
    assert_eq!(header.envelope_len(), sealed.len() as u64);
    envelope::verify_signature(&header, &tenderer).unwrap();
    envelope::check_sealed_for(&header, &params).unwrap();
    let shares: Vec<_> = [1u8, 2, 4]
        .iter()
        .map(|&i| envelope::open_share(&header, i, &keys[usize::from(i) - 1]).unwrap())
        .collect();
    let key = envelope::rebuild_key(&header, &shares).unwrap();
    let mut payload = Vec::new();
    envelope::open_payload(&header, &key, reader, &mut payload).unwrap();
    assert_eq!(
        payload.len() as u64,
        doc["payload_length"].as_u64().unwrap()
    );
    assert_eq!(
        sha256_hex(&payload),
        doc["payload_sha256"].as_str().unwrap()
    );

    let mut tar = TarReader::new(&payload[..]);
    for expected in doc["files"].as_array().unwrap() {
        let entry = tar.next_entry().unwrap().unwrap();
        assert_eq!(entry.name, expected["name"].as_str().unwrap());
        let mut data = Vec::new();
        tar.read_to_end(&mut data).unwrap();
        assert_eq!(sha256_hex(&data), expected["sha256"].as_str().unwrap());
    }
    assert!(tar.next_entry().unwrap().is_none());
}

/// Writes the fixture the JS tests open when it is missing or SEALBOX_WRITE_FIXTURES=1, then
/// opens it here so a committed fixture is always one this implementation accepts.
#[test]
fn rust_sealed_fixture_for_the_js_tests() {
    let path = project_path(&format!("{RUST_FIXTURE}.bhseal"));
    if std::env::var("SEALBOX_WRITE_FIXTURES").as_deref() == Ok("1") || !path.exists() {
        write_rust_fixture();
    }
    open_fixture(RUST_FIXTURE);
}

#[test]
fn js_sealed_fixture_opens_in_rust() {
    open_fixture(JS_FIXTURE);
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(project_path(&format!("{JS_FIXTURE}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        doc["sealed_by"], "js",
        "the fixture must come from the JS implementation"
    );
}
