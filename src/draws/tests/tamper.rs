//! Tampered transcripts must fail at the step that was touched, naming what differs; untouched
//! reorderings must still verify.

use super::fixtures::{nfc_draw, recorded};
use super::*;
use crate::draws::{
    commitment, verify, verify_json, DrawFailure, DrawOutcome, DrawVerifyError, ReplacementProblem,
    ReplacementReason, Reveal,
};

fn reveal_mut<'a>(t: &'a mut Transcript, party: &str) -> &'a mut Reveal {
    t.reveals
        .iter_mut()
        .find(|r| r.party == party)
        .expect("party revealed")
}

#[test]
fn changed_reveal_names_the_party() {
    let mut t = recorded();
    reveal_mut(&mut t, "supervisor").r = hex::encode([9u8; 32]);
    assert_eq!(
        verify(&t),
        Err(DrawVerifyError::CommitmentMismatch {
            party: "supervisor".into()
        })
    );
}

#[test]
fn changed_pool_line_is_a_pool_hash_mismatch() {
    let mut t = recorded();
    t.pool.as_mut().expect("open pool")[0].name.push('X');
    let err = verify(&t).expect_err("tampered pool");
    match err {
        DrawVerifyError::PoolHashMismatch { expected, found } => {
            assert_eq!(found, t.pool_hash);
            assert_ne!(expected, found);
        }
        other => panic!("wrong error {other:?}"),
    }
}

#[test]
fn changed_beacon_is_a_seed_mismatch_showing_both_seeds() {
    let mut t = recorded();
    let recorded_seed = t.seed.clone().expect("seed");
    if let Some(beacon) = t.beacon.as_mut() {
        beacon.value = Some(hex::encode([0xfcu8; 32]));
    }
    match verify(&t) {
        Err(DrawVerifyError::SeedMismatch { expected, found }) => {
            assert_eq!(found, recorded_seed);
            assert_ne!(expected, found);
        }
        other => panic!("wrong verdict {other:?}"),
    }
}

#[test]
fn party_order_in_the_json_does_not_matter_but_party_ids_do() {
    let mut t = recorded();
    t.parties.reverse();
    t.commitments.reverse();
    t.reveals.reverse();
    let reordered = verify(&t).expect("order is irrelevant");
    assert_eq!(reordered, verify(&recorded()).expect("original verifies"));

    // Renaming a party consistently everywhere still breaks its commitment, which binds the id.
    let mut t = recorded();
    for p in t.parties.iter_mut().filter(|p| *p == "platform") {
        *p = "platform2".into();
    }
    for c in t.commitments.iter_mut().filter(|c| c.party == "platform") {
        c.party = "platform2".into();
    }
    reveal_mut(&mut t, "platform").party = "platform2".into();
    assert_eq!(
        verify(&t),
        Err(DrawVerifyError::CommitmentMismatch {
            party: "platform2".into()
        })
    );
}

#[test]
fn a_party_whose_new_reveal_matches_a_new_commitment_still_changes_the_seed() {
    let mut t = recorded();
    let r = [0x33u8; 32];
    let c = commitment(&t.draw_id, "platform", &r).expect("commitment");
    reveal_mut(&mut t, "platform").r = hex::encode(r);
    for item in t.commitments.iter_mut().filter(|x| x.party == "platform") {
        item.commitment = hex::encode(c);
    }
    assert_eq!(verify(&t).map_err(|e| e.step()), Err("seed_mismatch"));
}

#[test]
fn changed_selected_id_names_the_position() {
    let mut t = recorded();
    if let Some(result) = t.result.as_mut() {
        result.selected[1] = "AG-0006".into();
    }
    assert_eq!(
        verify(&t),
        Err(DrawVerifyError::SelectionMismatch {
            position: 2,
            expected: "AG-0003".into(),
            found: "AG-0006".into()
        })
    );
}

#[test]
fn a_reveal_of_the_wrong_length_is_refused() {
    let mut t = recorded();
    reveal_mut(&mut t, "platform").r = hex::encode([1u8; 33]);
    assert_eq!(
        verify(&t),
        Err(DrawVerifyError::WrongLength {
            field: "r of party \"platform\"".into(),
            expected: 32,
            found: 33
        })
    );
}

#[test]
fn odd_length_hex_is_malformed() {
    let mut t = recorded();
    t.pool_hash.pop();
    assert_eq!(verify(&t).map_err(|e| e.step()), Err("malformed_hex"));
}

#[test]
fn replacement_must_take_the_next_reserve() {
    let mut t = recorded();
    t.replacements[0].replacement = "AG-0005".into();
    assert_eq!(
        verify(&t),
        Err(DrawVerifyError::ReplacementInvalid {
            number: 1,
            problem: ReplacementProblem::NotNextReserve {
                expected: "AG-0001".into(),
                found: "AG-0005".into()
            }
        })
    );
}

#[test]
fn replacing_through_the_api_walks_the_reserves_and_stops_when_they_run_out() {
    let mut t = recorded();
    // Reserves are AG-0001 (already used), AG-0005, AG-0000.
    assert_eq!(
        t.replace("AG-0001", ReplacementReason::Disqualified, None),
        Ok("AG-0005".into())
    );
    assert_eq!(
        t.replace("AG-0002", ReplacementReason::Declined, None),
        Ok("AG-0000".into())
    );
    let before = t.clone();
    let err = t
        .replace("AG-0000", ReplacementReason::Declined, None)
        .expect_err("no reserve left");
    assert_eq!(err.step(), "replacement_invalid");
    assert_eq!(
        t, before,
        "a refused replacement leaves the transcript unchanged"
    );
    match verify(&t).expect("verifies").outcome {
        DrawOutcome::Completed {
            panel,
            reserves_left,
            ..
        } => {
            assert_eq!(panel, ["AG-0000", "AG-0005"]);
            assert!(reserves_left.is_empty());
        }
        DrawOutcome::Failed { .. } => panic!("completed draw"),
    }
    // Someone not on the panel cannot be replaced.
    let mut t = recorded();
    assert_eq!(
        t.replace("AG-0004", ReplacementReason::Declined, None),
        Err(DrawVerifyError::ReplacementInvalid {
            number: 2,
            problem: ReplacementProblem::NotOnPanel {
                id: "AG-0004".into()
            }
        })
    );
}

#[test]
fn missed_reveal_without_beacon_fails_publicly_and_a_result_is_refused() {
    let v = vectors();
    let draw = &v["draws"][0];
    let pool = Pool::new(candidates(draw)).expect("pool");
    let ps = parties(draw);
    let commitments: Vec<(String, [u8; 32])> = ps.iter().map(|p| (p.0.clone(), p.1)).collect();
    let reveals: Vec<(String, [u8; 32])> = ps[..2].iter().map(|p| (p.0.clone(), p.2)).collect();
    let t = Transcript::conduct(announcement_for(draw), &pool, &commitments, &reveals, None)
        .expect("a failed draw is still recorded");
    assert_eq!(t.seed, None);
    assert_eq!(t.result, None);
    assert_eq!(t.missed_reveals, ["supervisor"]);
    let verified = verify(&t).expect("verifies as failed");
    assert_eq!(
        verified.outcome,
        DrawOutcome::Failed {
            reason: DrawFailure::MissedRevealWithoutBeacon
        }
    );
    assert!(verified.to_string().contains("FAILED"));

    // Even the result the full draw would have given is refused.
    let full = transcript_for(draw);
    let mut with_result = t.clone();
    with_result.result = full.result.clone();
    assert_eq!(
        verify(&with_result),
        Err(DrawVerifyError::FailedDrawHasResult { field: "result" })
    );
    let mut with_seed = t;
    with_seed.seed = full.seed;
    assert_eq!(
        verify(&with_seed),
        Err(DrawVerifyError::FailedDrawHasResult { field: "seed" })
    );
}

#[test]
fn nobody_revealing_fails_the_draw_even_with_a_beacon() {
    let v = vectors();
    let draw = &v["draws"][1];
    let pool = Pool::new(candidates(draw)).expect("pool");
    let t = Transcript::conduct(announcement_for(draw), &pool, &[], &[], Some(&[1, 2, 3]))
        .expect("recorded");
    assert_eq!(
        verify(&t).expect("verifies").outcome,
        DrawOutcome::Failed {
            reason: DrawFailure::NoReveals
        }
    );
}

#[test]
fn a_pool_of_one_with_one_selected_always_selects_it() {
    let pool = Pool::new([Candidate::new("EX-1", "唯一专家")]).expect("pool");
    let r = [4u8; 32];
    let c = commitment("d-1", "platform", &r).expect("commitment");
    let t = Transcript::conduct(
        Announcement {
            draw_id: "d-1".into(),
            purpose: "m = 1".into(),
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
        &pool,
        &[("platform".into(), c)],
        &[("platform".into(), r)],
        None,
    )
    .expect("conducts");
    assert_eq!(
        t.result.as_ref().map(|r| r.selected.clone()),
        Some(vec!["EX-1".to_string()])
    );
}

#[test]
fn empty_or_small_pools_are_refused() {
    let mut t = nfc_draw();
    t.pool = Some(Vec::new());
    t.pool_hash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".into();
    assert_eq!(
        verify(&t),
        Err(DrawVerifyError::PoolTooSmall { pool: 0, needed: 3 })
    );
}

#[test]
fn verify_json_reports_syntax_and_shape_errors_as_malformed() {
    for bad in [
        &b"{"[..],
        b"[]",
        b"{\"algorithm\":\"bidhall-draw/1\"}",
        b"\xff",
    ] {
        let err = verify_json(bad).expect_err("malformed");
        assert_eq!(err.step(), "malformed_transcript", "{err}");
    }
    let good = recorded().canonical_bytes().expect("canonical");
    assert!(verify_json(&good).is_ok());
}

#[test]
fn every_error_reads_as_a_sentence() {
    let e = DrawVerifyError::SeedMismatch {
        expected: "aa".into(),
        found: "bb".into(),
    };
    assert_eq!(
        e.to_string(),
        "the seed recomputes to aa but the transcript says bb"
    );
    let e = DrawVerifyError::ReplacementInvalid {
        number: 2,
        problem: ReplacementProblem::NoReserveLeft { found: "X".into() },
    };
    assert_eq!(
        e.to_string(),
        "replacement 2: no reserve is left to bring in, but \"X\" was recorded"
    );
}

#[test]
fn duplicate_members_and_fractional_counts_are_malformed() {
    let good = String::from_utf8(recorded().canonical_bytes().expect("canonical")).expect("utf-8");
    let duplicated = good.replacen("{\"algorithm\"", "{\"draw_id\":\"other\",\"algorithm\"", 1);
    let fractional = good.replace("\"select_count\":2", "\"select_count\":2.0");
    for text in [duplicated, fractional] {
        assert_ne!(text, good);
        let err = verify_json(text.as_bytes()).expect_err("refused");
        assert_eq!(err.step(), "malformed_transcript", "{err}");
    }
}
