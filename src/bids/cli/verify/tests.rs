//! `check_bid` against hand-made records: an honest line passes; a falsified outcome, fault or
//! term is named; two failures blaming the same party are not a mismatch; what the public cannot
//! check is said.

use super::*;
use crate::sealbox::envelope::{ContentKey, SealParams, SealRandomness};
use crate::sealbox::keys::{CustodianPrivateKey, TendererSigningKey};
use ring::rand::SystemRandom;

const TENDER: &str = "0190f5d2-0000-7000-8000-0000000000aa";
const LOT: &str = "lot-1";
const ORG: &str = "0190f5d2-0000-7000-8000-000000000001";

struct Sealed {
    bytes: Vec<u8>,
    announced_key: Option<String>,
}

fn params() -> SealParams {
    let rng = SystemRandom::new();
    let custodians = (0..3)
        .map(|_| {
            CustodianPrivateKey::generate(&rng)
                .unwrap()
                .public_key()
                .clone()
        })
        .collect();
    SealParams {
        tender_id: TENDER.into(),
        lot_id: LOT.into(),
        tenderer_id: ORG.into(),
        custodians,
        k: 2,
    }
}

fn signer() -> TendererSigningKey {
    let rng = SystemRandom::new();
    let pkcs8 = TendererSigningKey::generate_pkcs8(&rng).unwrap();
    TendererSigningKey::from_pkcs8(&pkcs8, &rng).unwrap()
}

fn seal_v2(bid: &Value) -> Sealed {
    let rng = SystemRandom::new();
    let p = params();
    let randomness = SealRandomness::generate(3, 2, &rng).unwrap();
    let docs = vec![0u8; 1024];
    let mut bytes = Vec::new();
    let summary = envelope::seal_v2_deterministic(
        &p,
        &signer(),
        bid.to_string().as_bytes(),
        &docs[..],
        docs.len() as u64,
        &mut bytes,
        &randomness,
        &rng,
    )
    .unwrap();
    let ck = ContentKey::from_bytes(randomness.content_key);
    let key = envelope::announced_key(&summary.header, &ck).unwrap();
    Sealed {
        bytes,
        announced_key: Some(hex::encode(key.expose_secret())),
    }
}

fn seal_v1() -> Sealed {
    let rng = SystemRandom::new();
    let payload = vec![0u8; 1024];
    let mut bytes = Vec::new();
    envelope::seal(
        &params(),
        &signer(),
        &payload[..],
        payload.len() as u64,
        &mut bytes,
        &rng,
    )
    .unwrap();
    Sealed {
        bytes,
        announced_key: None,
    }
}

/// The hall's list entry, the log's facts and the signed line of an honest opening of `sealed`,
/// whose stored outcome is `outcome` (the public part, as the log's `bid_opened` carries it).
fn honest(sealed: &Sealed, version: u64, outcome: Value) -> (Value, LogFacts, Value) {
    let salt = [7u8; 32];
    let mut pre = salt.to_vec();
    pre.extend_from_slice(format!("{TENDER}\n{LOT}\n{ORG}").as_bytes());
    let c = sha256_hex(&pre);
    let sha = sha256_hex(&sealed.bytes);
    let bid = json!({
        "bid_id": "b1", "lot_id": LOT, "org_id": ORG, "salt": hex::encode(salt),
        "commitment": c, "envelope_sha256": sha, "size": sealed.bytes.len(),
        "version": version, "released_by": [1, 2],
        "announced_key": outcome["announced_key"], "outcome": outcome,
    });
    let mut log = LogFacts::default();
    log.received.insert(c.clone(), sha);
    log.opened.insert(c.clone(), outcome.clone());
    // the line as the hall's announcement rule writes it
    let mut line = json!({
        "n": 1, "lot_id": LOT, "org_id": ORG, "org_name": "甲公司", "commitment": c,
        "bond": "received", "status": "failed", "price_fen": null, "duration_days": null,
        "quality": null, "reason": null, "fault": null, "announced_key": null, "confirmed": null,
    });
    if outcome["status"] == "opened" {
        let l = line_of_bid(&outcome["bid"]);
        for f in [
            "status",
            "price_fen",
            "duration_days",
            "quality",
            "reason",
            "fault",
        ] {
            if !l[f].is_null() {
                line[f] = l[f].clone();
            }
        }
        if l["status"] == "opened" {
            line["announced_key"] = outcome["announced_key"].clone();
        }
    } else {
        line["reason"] = outcome["reason"].clone();
        line["fault"] = normalise_fault(&outcome["fault"]).into();
    }
    (bid, log, line)
}

fn opened_v2() -> (Sealed, Value, LogFacts, Value) {
    let bid_json = json!({ "price_fen": "98000000", "duration_days": 300, "quality": "合格" });
    let sealed = seal_v2(&bid_json);
    let outcome = json!({ "status": "opened", "version": 2, "bid": bid_json,
                          "announced_key": sealed.announced_key });
    let (bid, log, line) = honest(&sealed, 2, outcome);
    (sealed, bid, log, line)
}

fn whats(r: &LineReport) -> Vec<&'static str> {
    r.mismatches.iter().map(|m| m.what).collect()
}

#[test]
fn an_honest_opened_v2_line_checks_out() {
    let (sealed, bid, log, line) = opened_v2();
    let r = check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes);
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
    assert!(r
        .checked
        .iter()
        .any(|c| c.contains("announced key matches")));
    assert!(r.checked.iter().any(|c| c.contains("price_fen 98000000")));
}

/// Finding 3: a record that calls an honest bid failed is named, whether the evidence is the
/// announced segment (decrypted with the key the log published) or the log's outcome.
#[test]
fn a_record_that_calls_an_honest_bid_failed_is_a_named_mismatch() {
    let (sealed, bid, log, mut line) = opened_v2();
    line["status"] = json!("failed");
    line["fault"] = json!("tenderer");
    line["reason"] = json!("header MAC does not verify");
    for f in ["price_fen", "duration_days", "quality", "announced_key"] {
        line[f] = Value::Null;
    }
    let r = check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes);
    assert_eq!(whats(&r), vec!["outcome"], "{:?}", r.mismatches);
    assert_eq!(r.mismatches[0].n, Some(1));
    assert!(r.mismatches[0].message.contains("but it opens"));
    // a v1 bid the log recorded opened with a valid bid.json, called failed in the record
    let sealed = seal_v1();
    let outcome = json!({ "status": "opened", "version": 1, "bid": { "price_fen": 5 } });
    let (bid, log, mut line) = honest(&sealed, 1, outcome);
    assert!(
        check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes)
            .mismatches
            .is_empty()
    );
    line["status"] = json!("failed");
    line["fault"] = json!("custodian 2");
    let r = check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes);
    assert_eq!(whats(&r), vec!["outcome"], "{:?}", r.mismatches);
}

#[test]
fn a_changed_price_fault_key_or_envelope_is_named() {
    let (sealed, bid, log, line) = opened_v2();
    let check = |bid: &Value, line: &Value, log: &LogFacts, bytes: &[u8]| {
        whats(&check_bid(TENDER, Some(2), bid, Some(line), log, bytes))
    };
    let mut l = line.clone();
    l["price_fen"] = json!(97_000_000);
    assert_eq!(check(&bid, &l, &log, &sealed.bytes), vec!["terms"]);
    // another key: it does not match the signed header's commitment
    let mut l = line.clone();
    l["announced_key"] = json!("11".repeat(32));
    assert!(check(&bid, &l, &log, &sealed.bytes).contains(&"announced_key"));
    // the log recorded another bid.json than the envelope holds
    let mut lg = log.clone();
    lg.opened
        .get_mut(bid["commitment"].as_str().unwrap())
        .unwrap()["bid"]["price_fen"] = json!("1");
    assert!(check(&bid, &line, &lg, &sealed.bytes).contains(&"bid_json"));
    // the envelope served is not the one receipted
    let mut bytes = sealed.bytes.clone();
    *bytes.last_mut().unwrap() ^= 1;
    assert!(check(&bid, &line, &log, &bytes).contains(&"envelope_sha256"));
    // withdrawn, never received, no outcome logged, too few shares
    let c = bid["commitment"].as_str().unwrap().to_string();
    let mut lg = log.clone();
    lg.withdrawn.insert(c.clone());
    assert_eq!(check(&bid, &line, &lg, &sealed.bytes), vec!["withdrawn"]);
    let mut lg = log.clone();
    lg.received.clear();
    assert_eq!(check(&bid, &line, &lg, &sealed.bytes), vec!["not_received"]);
    let mut lg = log.clone();
    lg.opened.clear();
    assert_eq!(
        check(&bid, &line, &lg, &sealed.bytes),
        vec!["no_outcome_logged"]
    );
    let mut b = bid.clone();
    b["released_by"] = json!([3]);
    assert_eq!(check(&b, &line, &log, &sealed.bytes), vec!["shares"]);
    // the line names another tenderer than the commitment
    let mut l = line.clone();
    l["org_id"] = json!("0190f5d2-0000-7000-8000-000000000009");
    assert_eq!(check(&bid, &l, &log, &sealed.bytes), vec!["commitment"]);
}

/// Both say failed, for differently worded reasons, with the same party at fault: no mismatch,
/// and the report says the failure itself cannot be re-checked. Another party at fault is named.
#[test]
fn two_failures_blaming_the_same_party_are_not_a_mismatch() {
    let sealed = seal_v2(&json!({ "price_fen": "1" }));
    let outcome = json!({ "status": "failed", "fault": "the tenderer",
                          "reason": "chunk 0 failed authentication" });
    let (bid, log, mut line) = honest(&sealed, 2, outcome);
    line["reason"] = json!("the announced segment is corrupt");
    let r = check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes);
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
    assert!(r
        .cannot_check
        .iter()
        .any(|c| c.contains("the public cannot re-check why")));
    assert!(r.checked.iter().any(|c| c.contains("same party at fault")));
    line["fault"] = json!("custodian 3");
    let r = check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes);
    assert_eq!(whats(&r), vec!["fault"]);
    // a v2 bid with no valid price opens but fails the announcement: the rule, not a mismatch
    let bid_json = json!({ "price_fen": "0" });
    let sealed = seal_v2(&bid_json);
    let outcome = json!({ "status": "opened", "version": 2, "bid": bid_json,
                          "announced_key": sealed.announced_key });
    let (bid, log, line) = honest(&sealed, 2, outcome);
    assert_eq!(line["status"], "failed");
    let r = check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes);
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
}

#[test]
fn a_v1_bid_says_what_the_public_cannot_check() {
    let sealed = seal_v1();
    let outcome = json!({ "status": "opened", "version": 1, "bid": { "price_fen": 12 } });
    let (bid, log, line) = honest(&sealed, 1, outcome);
    let r = check_bid(TENDER, Some(2), &bid, Some(&line), &log, &sealed.bytes);
    assert!(r.mismatches.is_empty(), "{:?}", r.mismatches);
    assert!(r
        .cannot_check
        .iter()
        .any(|c| c.contains("version 1 envelope") && c.contains("not published")));
}
