//! Tests of the draw against the shared vectors, tampered transcripts, the JS fixtures and a
//! statistical check of uniformity. Test-only helpers live here; nothing here ships.

mod fixtures;
mod sealed;
mod stats;
mod tamper;
mod vectors;

use serde_json::Value;

use crate::draws::{
    Announcement, BeaconSpec, Candidate, Deadlines, MissedRevealRule, Pool, Transcript,
};

pub(crate) const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/vectors/draw-v1.json");

pub(crate) fn vectors() -> Value {
    let text = std::fs::read_to_string(VECTORS).unwrap_or_else(|e| {
        panic!("read {VECTORS}: {e} (a copy of the shared vectors kept in the repository)")
    });
    serde_json::from_str(&text).expect("draw-v1.json is JSON")
}

pub(crate) fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("vector field {key} is a string"))
}

pub(crate) fn bytes32(hex_text: &str) -> [u8; 32] {
    let bytes = hex::decode(hex_text).expect("vector hex");
    bytes.as_slice().try_into().expect("32 bytes")
}

pub(crate) fn candidates(draw: &Value) -> Vec<Candidate> {
    draw["candidates"]
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| Candidate::new(str_of(c, "id"), str_of(c, "name")))
        .collect()
}

/// (party, commitment, r) in the vector's own order.
pub(crate) fn parties(draw: &Value) -> Vec<(String, [u8; 32], [u8; 32])> {
    draw["parties"]
        .as_array()
        .expect("parties")
        .iter()
        .map(|p| {
            (
                str_of(p, "id").to_owned(),
                bytes32(str_of(p, "commit_hex")),
                bytes32(str_of(p, "reveal_hex")),
            )
        })
        .collect()
}

pub(crate) fn announcement_for(draw: &Value) -> Announcement {
    let has_beacon = !str_of(draw, "beacon_hex").is_empty();
    Announcement {
        draw_id: str_of(draw, "draw_id").to_owned(),
        purpose: format!("test vector: {}", str_of(draw, "name")),
        select_count: draw["select"].as_u64().expect("select") as u32,
        reserve_count: draw["reserves"].as_u64().expect("reserves") as u32,
        parties: parties(draw).into_iter().map(|p| p.0).collect(),
        deadlines: Deadlines {
            commit: "2026-03-02T02:00:00Z".into(),
            reveal: "2026-03-02T02:30:00Z".into(),
            beacon: has_beacon.then(|| "2026-03-02T03:00:00Z".into()),
        },
        missed_reveal_rule: if has_beacon {
            MissedRevealRule::ExcludeParty
        } else {
            MissedRevealRule::FailDraw
        },
        beacon: has_beacon.then(|| BeaconSpec {
            source: "test-beacon".into(),
            round: "draw-v1.json".into(),
        }),
    }
}

/// The transcript of a vector draw, every party revealing.
pub(crate) fn transcript_for(draw: &Value) -> Transcript {
    let pool = Pool::new(candidates(draw)).expect("vector pool is valid");
    let ps = parties(draw);
    let commitments: Vec<(String, [u8; 32])> = ps.iter().map(|p| (p.0.clone(), p.1)).collect();
    let reveals: Vec<(String, [u8; 32])> = ps.iter().map(|p| (p.0.clone(), p.2)).collect();
    let beacon = hex::decode(str_of(draw, "beacon_hex")).expect("beacon hex");
    Transcript::conduct(
        announcement_for(draw),
        &pool,
        &commitments,
        &reveals,
        (!beacon.is_empty()).then_some(beacon.as_slice()),
    )
    .expect("vector draw conducts")
}
