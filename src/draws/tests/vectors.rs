//! Every value of the shared `draw-v1.json`, recomputed.

use std::num::NonZeroU64;

use super::*;
use crate::draws::{
    commitment, derive_seed, pool_hash, pool_lines, shuffle, verify, DrawOutcome, SeedInput, Stream,
};

#[test]
fn stream_words_of_the_zero_seed_match() {
    let v = vectors();
    let seed = bytes32(str_of(&v["stream"], "seed_hex"));
    let mut stream = Stream::new(&seed);
    let want = v["stream"]["first_words_u64"].as_array().expect("words");
    assert!(!want.is_empty());
    for (k, w) in want.iter().enumerate() {
        let w: u64 = w.as_str().expect("decimal string").parse().expect("u64");
        assert_eq!(stream.next_word(), w, "word {k}");
    }
}

#[test]
fn every_vector_draw_reproduces_pool_commitments_seed_and_order() {
    let v = vectors();
    let draws = v["draws"].as_array().expect("draws");
    assert_eq!(draws.len(), 3);
    for draw in draws {
        let name = str_of(draw, "name");
        let draw_id = str_of(draw, "draw_id");
        let cands = candidates(draw);

        let lines = pool_lines(&cands).expect("pool lines");
        assert_eq!(
            lines,
            str_of(draw, "pool_canonical_utf8").as_bytes(),
            "{name}: pool bytes"
        );
        let hash = pool_hash(&cands).expect("pool hash");
        assert_eq!(
            hex::encode(hash),
            str_of(draw, "pool_hash_hex"),
            "{name}: pool hash"
        );

        let mut inputs = Vec::new();
        for (party, c, r) in parties(draw) {
            let got = commitment(draw_id, &party, &r).expect("commitment");
            assert_eq!(got, c, "{name}: commitment of {party}");
            inputs.push(SeedInput {
                party,
                commitment: c,
                r,
            });
        }
        let beacon = hex::decode(str_of(draw, "beacon_hex")).expect("beacon");
        let seed = derive_seed(
            draw_id,
            &hash,
            &inputs,
            (!beacon.is_empty()).then_some(beacon.as_slice()),
        )
        .expect("seed");
        assert_eq!(hex::encode(seed), str_of(draw, "seed_hex"), "{name}: seed");

        // The vector lists parties unsorted; reversing them must not change the seed.
        inputs.reverse();
        let again = derive_seed(
            draw_id,
            &hash,
            &inputs,
            (!beacon.is_empty()).then_some(beacon.as_slice()),
        )
        .expect("seed");
        assert_eq!(again, seed, "{name}: seed is independent of party order");

        let ids = Pool::new(cands).expect("pool").ids();
        let select = draw["select"].as_u64().expect("select") as usize;
        let reserves = draw["reserves"].as_u64().expect("reserves") as usize;
        let got = shuffle(&ids, select, reserves, &mut Stream::new(&seed)).expect("shuffle");
        let want_sel: Vec<String> = serde_json::from_value(draw["selected"].clone()).expect("ids");
        let want_res: Vec<String> =
            serde_json::from_value(draw["reserve_order"].clone()).expect("ids");
        assert_eq!(got.selected, want_sel, "{name}: selected");
        assert_eq!(got.reserves, want_res, "{name}: reserves");

        // And the same through a whole transcript and its verifier.
        let t = transcript_for(draw);
        let verified = verify(&t).expect("transcript verifies");
        match verified.outcome {
            DrawOutcome::Completed {
                seed: s,
                selected,
                reserves,
                ..
            } => {
                assert_eq!(s, seed);
                assert_eq!(selected, want_sel);
                assert_eq!(reserves, want_res);
            }
            DrawOutcome::Failed { .. } => panic!("{name}: vector draw must complete"),
        }
    }
}

#[test]
fn worked_trace_of_the_first_vector_draw() {
    // The per-step values documented in docs/draw.md, section "Worked example".
    let v = vectors();
    let draw = &v["draws"][0];
    let seed = bytes32(str_of(draw, "seed_hex"));
    let mut stream = Stream::new(&seed);
    let mut picks = Vec::new();
    for n in [7u64, 6, 5] {
        picks.push(stream.uniform(NonZeroU64::new(n).expect("non-zero")));
    }
    assert_eq!(picks, [4, 1, 1]);
}
