//! The sealed pool against `docs/vectors/draw-sealed-pool.json` (computed by an independent
//! implementation): commitments, lines, pool hash, seed and positions, the transcript before and
//! after the opening byte for byte, and every tamper case at its documented step.

use serde_json::Value;

use super::*;
use crate::draws::{
    commitment, member_commitment, sealed_lines, verify, verify_json, DrawOutcome, Opening,
    SealedPool, MEMBER_DOMAIN,
};

const SEALED_VECTORS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/docs/vectors/draw-sealed-pool.json"
);

pub(crate) fn sealed_vectors() -> Value {
    let text = std::fs::read_to_string(SEALED_VECTORS)
        .unwrap_or_else(|e| panic!("read {SEALED_VECTORS}: {e}"));
    serde_json::from_str(&text).expect("draw-sealed-pool.json is JSON")
}

fn members(v: &Value) -> Vec<(Candidate, [u8; 32])> {
    v["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                Candidate::new(str_of(m, "id"), str_of(m, "name")),
                bytes32(str_of(m, "salt_hex")),
            )
        })
        .collect()
}

/// The vector's draw conducted here over its sealed pool (salts from the vector).
pub(crate) fn sealed_transcript() -> (Transcript, SealedPool) {
    let v = sealed_vectors();
    let ms = members(&v);
    let pool = Pool::new(ms.iter().map(|m| m.0.clone())).expect("pool");
    let mut salts = ms.iter().map(|m| m.1);
    let sealed = SealedPool::seal(str_of(&v, "draw_id"), &pool, || {
        salts.next().expect("one salt per member")
    })
    .expect("sealed");
    let ps: Vec<(String, [u8; 32], [u8; 32])> = v["parties"]
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
        .collect();
    let announcement = Announcement {
        draw_id: str_of(&v, "draw_id").to_owned(),
        purpose: "评标专家抽取 for tender T-2026-0042 (sealed-pool vector)".into(),
        select_count: 3,
        reserve_count: 2,
        parties: ps.iter().map(|p| p.0.clone()).collect(),
        deadlines: Deadlines {
            commit: "2026-03-02T02:00:00Z".into(),
            reveal: "2026-03-02T02:30:00Z".into(),
            beacon: None,
        },
        missed_reveal_rule: MissedRevealRule::FailDraw,
        beacon: None,
    };
    let commitments: Vec<(String, [u8; 32])> = ps.iter().map(|p| (p.0.clone(), p.1)).collect();
    let reveals: Vec<(String, [u8; 32])> = ps.iter().map(|p| (p.0.clone(), p.2)).collect();
    let t = Transcript::conduct_sealed(
        announcement,
        sealed.commitments(),
        &commitments,
        &reveals,
        None,
    )
    .expect("the sealed vector draw conducts");
    (t, sealed)
}

/// The vector's opened transcript, as this implementation writes it.
pub(crate) fn opened_transcript() -> Transcript {
    let (mut t, sealed) = sealed_transcript();
    let v = sealed_vectors();
    let replaced = v["selected"][1].as_str().expect("handle");
    t.replace(replaced, crate::draws::ReplacementReason::Declined, None)
        .expect("the first reserve comes in");
    t.open(sealed.openings()).expect("every opening matches");
    t
}

#[test]
fn every_member_commitment_line_and_the_pool_hash_match() {
    let v = sealed_vectors();
    assert_eq!(str_of(&v, "member_domain"), MEMBER_DOMAIN);
    let draw_id = str_of(&v, "draw_id");
    let mut commitments = Vec::new();
    for m in v["members"].as_array().expect("members") {
        let salt = bytes32(str_of(m, "salt_hex"));
        let c = member_commitment(draw_id, str_of(m, "id"), str_of(m, "name"), &salt)
            .expect("commitment");
        assert_eq!(
            hex::encode(c),
            str_of(m, "commitment_hex"),
            "{}",
            str_of(m, "id")
        );
        commitments.push(c);
    }
    assert_eq!(
        sealed_lines(&commitments),
        str_of(&v, "sealed_lines_utf8").as_bytes()
    );
    let (t, sealed) = sealed_transcript();
    assert_eq!(hex::encode(sealed.hash()), str_of(&v, "pool_hash_hex"));
    assert_eq!(t.pool_hash, str_of(&v, "pool_hash_hex"));
    // Positions follow the open pool's line order (bytewise by id), whatever order they came in.
    let ids: Vec<String> = sealed.openings().into_iter().map(|o| o.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    for p in v["parties"].as_array().expect("parties") {
        let c = commitment(draw_id, str_of(p, "id"), &bytes32(str_of(p, "reveal_hex")))
            .expect("party commitment");
        assert_eq!(hex::encode(c), str_of(p, "commit_hex"));
    }
}

#[test]
fn the_sealed_transcript_names_positions_only_and_is_byte_for_byte_the_vector() {
    let v = sealed_vectors();
    let (t, _) = sealed_transcript();
    let bytes = t.canonical_bytes().expect("canonical");
    assert_eq!(
        String::from_utf8(bytes.clone()).expect("utf-8"),
        str_of(&v, "transcript_sealed")
    );
    let text = String::from_utf8(bytes).expect("utf-8");
    for m in v["members"].as_array().expect("members") {
        assert!(!text.contains(str_of(m, "id")), "an id leaks");
        assert!(!text.contains(str_of(m, "name_nfc")), "a name leaks");
        assert!(!text.contains(str_of(m, "salt_hex")), "a salt leaks");
    }
    let verified = verify_json(str_of(&v, "transcript_sealed").as_bytes()).expect("verifies");
    assert!(verified.sealed);
    assert!(verified.opened.is_empty());
    assert_eq!(hex::encode(verified.pool_hash), str_of(&v, "pool_hash_hex"));
    match &verified.outcome {
        DrawOutcome::Completed {
            seed,
            selected,
            reserves,
            ..
        } => {
            assert_eq!(hex::encode(seed), str_of(&v, "seed_hex"));
            let want: Vec<String> = serde_json::from_value(v["selected"].clone()).expect("ids");
            let want_res: Vec<String> =
                serde_json::from_value(v["reserve_order"].clone()).expect("ids");
            assert_eq!(*selected, want);
            assert_eq!(*reserves, want_res);
        }
        DrawOutcome::Failed { .. } => panic!("completes"),
    }
    assert!(verified.to_string().contains("not yet opened"));
}

#[test]
fn the_opened_transcript_is_the_vector_and_maps_positions_to_names() {
    let v = sealed_vectors();
    let t = opened_transcript();
    assert_eq!(
        String::from_utf8(t.canonical_bytes().expect("canonical")).expect("utf-8"),
        str_of(&v, "transcript_opened")
    );
    let verified = verify_json(str_of(&v, "transcript_opened").as_bytes()).expect("verifies");
    assert_eq!(verified.opened.len(), 7);
    let want: Vec<String> = serde_json::from_value(v["selected_names"].clone()).expect("names");
    let DrawOutcome::Completed { selected, .. } = &verified.outcome else {
        panic!("completes")
    };
    let names: Vec<String> = selected
        .iter()
        .map(|h| {
            verified.opened[h.parse::<usize>().expect("position") - 1]
                .name
                .clone()
        })
        .collect();
    assert_eq!(names, want);
    let shown = verified.to_string();
    assert!(
        shown.contains(&format!("#{} {}", selected[0], want[0])),
        "{shown}"
    );
}

/// Puts `value` at `path` (member names and 0-based indices) in `doc`.
fn set_path(doc: &mut Value, path: &[Value], value: Value) {
    let mut at = doc;
    for step in path {
        at = match step {
            Value::String(k) => {
                if at.get(k).is_none() {
                    at[k.as_str()] = Value::Null;
                }
                &mut at[k.as_str()]
            }
            Value::Number(n) => &mut at[n.as_u64().expect("index") as usize],
            other => panic!("bad path step {other}"),
        };
    }
    *at = value;
}

pub(crate) fn tampered(v: &Value, case: &Value) -> Value {
    let mut doc: Value =
        serde_json::from_str(str_of(v, "transcript_opened")).expect("opened transcript");
    for edit in case["set"].as_array().expect("set") {
        set_path(
            &mut doc,
            edit["path"].as_array().expect("path"),
            edit["value"].clone(),
        );
    }
    doc
}

#[test]
fn every_tamper_case_fails_at_its_documented_step() {
    let v = sealed_vectors();
    let cases = v["tamper"].as_array().expect("tamper");
    assert!(cases.len() >= 3);
    for case in cases {
        let doc = tampered(&v, case);
        let got = verify_json(&serde_json::to_vec(&doc).expect("json"));
        match case["step"].as_str() {
            Some(step) => assert_eq!(
                got.as_ref().map_err(|e| e.step()).err(),
                Some(step),
                "{}: {got:?}",
                str_of(case, "name")
            ),
            None => assert!(got.is_ok(), "{}: {got:?}", str_of(case, "name")),
        }
    }
}

/// A sealed draw of two members whose positions do not follow the ids' order ("B" at position 1),
/// with openings consistent with every commitment: only `opening_out_of_order` catches it.
pub(crate) fn positions_out_of_order() -> Transcript {
    let pool = Pool::new([Candidate::new("B", "乙"), Candidate::new("A", "甲")]).expect("pool");
    let sealed = SealedPool::seal("d-order", &pool, || [3u8; 32]).expect("sealed");
    let mut swapped = sealed.openings();
    swapped.swap(0, 1);
    for (k, o) in swapped.iter_mut().enumerate() {
        o.position = k as u32 + 1;
    }
    let commitments = [sealed.commitments()[1], sealed.commitments()[0]];
    let mut t = Transcript::conduct_sealed(
        Announcement {
            draw_id: "d-order".into(),
            purpose: "评标专家抽取 (positions out of order)".into(),
            select_count: 1,
            reserve_count: 0,
            parties: vec!["platform".into()],
            deadlines: Deadlines {
                commit: "2026-01-01T00:00:00Z".into(),
                reveal: "2026-01-01T00:00:01Z".into(),
                beacon: None,
            },
            missed_reveal_rule: MissedRevealRule::FailDraw,
            beacon: None,
        },
        &commitments,
        &[(
            "platform".into(),
            commitment("d-order", "platform", &[1; 32]).expect("c"),
        )],
        &[("platform".into(), [1; 32])],
        None,
    )
    .expect("conducts");
    t.openings = Some(swapped);
    t
}

#[test]
fn opening_refuses_what_does_not_match_and_leaves_the_transcript_sealed() {
    let (mut t, sealed) = sealed_transcript();
    let before = t.clone();
    let mut openings: Vec<Opening> = sealed.openings();
    openings[0].salt = hex::encode([0u8; 32]);
    assert_eq!(
        t.open(openings).map_err(|e| e.step()),
        Err("opening_mismatch")
    );
    assert_eq!(t, before);
    let t = positions_out_of_order();
    assert_eq!(
        verify(&t),
        Err(crate::draws::DrawVerifyError::OpeningOutOfOrder {
            position: 1,
            next: 2
        })
    );
}

#[test]
fn an_open_transcript_may_not_carry_openings_nor_both_pools() {
    let mut t = super::fixtures::recorded();
    t.openings = Some(vec![]);
    assert_eq!(
        verify(&t).map_err(|e| e.step()),
        Err("malformed_transcript")
    );
    let mut t = super::fixtures::recorded();
    t.pool = None;
    assert_eq!(
        verify(&t).map_err(|e| e.step()),
        Err("malformed_transcript")
    );
}
