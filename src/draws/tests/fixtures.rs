//! The transcripts shared with the JS verifier: one recorded draw and a list of variants, each with the
//! outcome or failing step the Rust verifier gives. `web/test/unit/draw.test.mjs` must reach the same
//! verdict on every one. Regenerate the files with `BIDHALL_WRITE_FIXTURES=1 cargo test`.

use serde_json::{json, Value};

use super::*;
use crate::draws::{
    commitment, verify, verify_json, DrawOutcome, DrawVerifyError, ReplacementReason,
};

const TRANSCRIPT_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/test/unit/fixtures/draw-transcript.json"
);
const CASES_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/web/test/unit/fixtures/draw-cases.json"
);

/// The recorded draw: vector draw 2 (beacon), one selectee declined, audit entries attached.
pub(crate) fn recorded() -> Transcript {
    let v = vectors();
    let mut t = transcript_for(&v["draws"][1]);
    t.purpose = "招标代理机构摇号 for tender T-2026-0042 (test vector draw 2)".into();
    t.replace(
        "AG-0003",
        ReplacementReason::Declined,
        Some("declined in writing on 2026-03-03".into()),
    )
    .expect("the first reserve replaces a selectee");
    t.audit = Some(recorded_audit(&t.draw_id));
    t
}

/// The recorded draw's `audit` section as the hall writes it (docs/draw.md §4): a three-entry
/// log signed with the example key of docs/audit-log-format.md §6 (`bidhall.example/audit`,
/// seed 32 × 0x0b), then the draw's two entries with their inclusion proofs.
pub(crate) fn recorded_audit(draw_id: &str) -> Vec<Value> {
    use crate::auditlog::checkpoint::Checkpoint;
    use crate::auditlog::merkle::MemoryTree;
    use crate::auditlog::note::{self, NoteSigner};
    let signer = NoteSigner::from_seed("bidhall.example/audit", [0x0b; 32]).expect("key");
    let system = json!({ "kind": "system" });
    let entries = [
        json!({"actor": system, "at": "2026-03-02T01:00:00.000Z", "payload": {"draw": draw_id}, "type": "draw_announced"}),
        json!({"actor": system, "at": "2026-03-02T01:00:01.000Z", "payload": {}, "type": "tender_published"}),
        json!({"actor": system, "at": "2026-03-02T03:00:00.000Z", "payload": {"draw": draw_id}, "type": "draw_completed"}),
    ];
    let mut tree = MemoryTree::new();
    for e in &entries {
        tree.append_entry(&crate::canonical::canonicalize(e));
    }
    let body = Checkpoint::new("bidhall.example/audit", 3, tree.root())
        .expect("checkpoint")
        .to_body();
    let note = note::sign(&body, &[&signer]).expect("signed");
    let mut audit = vec![json!({ "checkpoint": note, "tree_size": 3 })];
    for i in [0u64, 2] {
        let proof = tree.inclusion_proof(i, 3).expect("proof");
        audit.push(json!({
            "index": i,
            "entry": entries[i as usize],
            "inclusion_proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        }));
    }
    audit
}

/// The recorded draw's audit section proves itself with the documented example key.
#[test]
fn the_recorded_audit_section_verifies_with_the_example_log_key() {
    use crate::auditlog::note::NoteVerifier;
    let t: Value = serde_json::to_value(recorded()).expect("json");
    let key = NoteVerifier::parse(
        "bidhall.example/audit+b8b6a84a+AWa+fjMsekUzMr2dCn99sFX1xe8aBq2mbZizn7aBDEc6",
    )
    .expect("key");
    let report =
        crate::draws::audit::verify_audit(&t, t["draw_id"].as_str().unwrap(), &key).unwrap();
    assert_eq!(report.entries.len(), 2);
}

/// A small pool whose names change under NFC (Latin accents and Hangul), no beacon, every party in.
pub(crate) fn nfc_draw() -> Transcript {
    let pool = Pool::new([
        Candidate::new("EX-01", "Müller Bau GmbH"),
        Candidate::new("EX-02", "Société de Conseil"),
        Candidate::new("EX-03", "한국조달연구원"),
        Candidate::new("EX-04", "沈阳评标专家"),
        Candidate::new("EX-05", "Ørsted Rådgivning"),
    ])
    .expect("valid pool");
    let parties = ["platform", "owner", "supervisor"];
    let rs: Vec<[u8; 32]> = (0u8..3).map(|k| [k * 17 + 1; 32]).collect();
    let draw_id = "draw-nfc-0001";
    let commitments: Vec<(String, [u8; 32])> = parties
        .iter()
        .zip(&rs)
        .map(|(p, r)| ((*p).into(), commitment(draw_id, p, r).expect("commitment")))
        .collect();
    let reveals: Vec<(String, [u8; 32])> = parties
        .iter()
        .zip(&rs)
        .map(|(p, r)| ((*p).into(), *r))
        .collect();
    Transcript::conduct(
        Announcement {
            draw_id: draw_id.into(),
            purpose: "expert draw (评标专家抽取), NFC test".into(),
            select_count: 2,
            reserve_count: 1,
            parties: parties.iter().map(|p| (*p).into()).collect(),
            deadlines: Deadlines {
                commit: "2026-04-01T01:00:00Z".into(),
                reveal: "2026-04-01T01:30:00.250Z".into(),
                beacon: None,
            },
            missed_reveal_rule: MissedRevealRule::FailDraw,
            beacon: None,
        },
        &pool,
        &commitments,
        &reveals,
        None,
    )
    .expect("nfc draw conducts")
}

/// Vector draw `index` conducted with only the parties in `revealing` revealing.
fn with_reveals(index: usize, revealing: &[&str]) -> Transcript {
    let v = vectors();
    let draw = &v["draws"][index];
    let pool = Pool::new(candidates(draw)).expect("pool");
    let ps = parties(draw);
    let commitments: Vec<(String, [u8; 32])> = ps.iter().map(|p| (p.0.clone(), p.1)).collect();
    let reveals: Vec<(String, [u8; 32])> = ps
        .iter()
        .filter(|p| revealing.contains(&p.0.as_str()))
        .map(|p| (p.0.clone(), p.2))
        .collect();
    let beacon = hex::decode(str_of(draw, "beacon_hex")).expect("beacon");
    Transcript::conduct(
        announcement_for(draw),
        &pool,
        &commitments,
        &reveals,
        (!beacon.is_empty()).then_some(beacon.as_slice()),
    )
    .expect("conducts")
}

pub(crate) enum Expect {
    Completed,
    Failed,
    Step(&'static str),
}

pub(crate) struct Case {
    pub name: &'static str,
    pub transcript: Value,
    pub expect: Expect,
}

fn to_value(t: &Transcript) -> Value {
    serde_json::to_value(t).expect("a transcript serialises")
}

fn variant(base: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = base.clone();
    edit(&mut v);
    v
}

fn set_str(v: &mut Value, value: &str) {
    *v = Value::String(value.into());
}

pub(crate) fn cases() -> Vec<Case> {
    use Expect::{Completed, Failed, Step};
    let base = to_value(&recorded());
    let nfc = to_value(&nfc_draw());
    let draw_id = base["draw_id"].as_str().expect("draw id").to_owned();
    let new_r = [0x5au8; 32];
    let new_c = commitment(&draw_id, "platform", &new_r).expect("commitment");
    let failed = to_value(&with_reveals(0, &["platform", "owner"]));
    let excluded = to_value(&with_reveals(1, &["supervisor"]));
    let sealed = to_value(&super::sealed::sealed_transcript().0);
    let opened = to_value(&super::sealed::opened_transcript());

    vec![
        Case {
            name: "a sealed pool before the opening",
            transcript: sealed.clone(),
            expect: Completed,
        },
        Case {
            name: "a sealed pool opened, with a replacement by position",
            transcript: opened.clone(),
            expect: Completed,
        },
        Case {
            name: "a sealed result naming an expert id instead of a position",
            transcript: variant(&sealed, |v| {
                set_str(&mut v["result"]["selected"][0], "EX-0230")
            }),
            expect: Step("selection_mismatch"),
        },
        Case {
            name: "two sealed positions with the same commitment",
            transcript: variant(&sealed, |v| {
                v["sealed_pool"][1] = v["sealed_pool"][0].clone()
            }),
            expect: Step("pool_invalid"),
        },
        Case {
            name: "a sealed commitment in upper-case hex",
            transcript: variant(&sealed, |v| {
                let c = v["sealed_pool"][2].as_str().expect("hex").to_uppercase();
                v["sealed_pool"][2] = json!(c);
            }),
            expect: Step("malformed_hex"),
        },
        Case {
            name: "neither an open nor a sealed pool",
            transcript: variant(&sealed, |v| {
                v.as_object_mut().expect("object").remove("sealed_pool");
            }),
            expect: Step("malformed_transcript"),
        },
        Case {
            name: "openings on an open pool",
            transcript: variant(&base, |v| v["openings"] = json!([])),
            expect: Step("malformed_transcript"),
        },
        Case {
            name: "an opening with a tab in its name",
            transcript: variant(&opened, |v| {
                set_str(&mut v["openings"][0]["name"], "张\t伟")
            }),
            expect: Step("pool_invalid"),
        },
        Case {
            name: "an opening whose position is not an integer",
            transcript: variant(&opened, |v| v["openings"][0]["position"] = json!("1")),
            expect: Step("malformed_transcript"),
        },
        Case {
            name: "sealed positions not in the ids' order",
            transcript: to_value(&super::sealed::positions_out_of_order()),
            expect: Step("opening_out_of_order"),
        },
        Case {
            name: "a sealed replacement naming a position not on the panel",
            transcript: variant(&opened, |v| {
                set_str(&mut v["replacements"][0]["replaced"], "1")
            }),
            expect: Step("replacement_invalid"),
        },
        Case {
            name: "as recorded",
            transcript: base.clone(),
            expect: Completed,
        },
        Case {
            name: "parties, commitments, reveals and pool listed in reverse order",
            transcript: variant(&base, |v| {
                for key in ["parties", "commitments", "reveals", "pool"] {
                    v[key].as_array_mut().expect("array").reverse();
                }
            }),
            expect: Completed,
        },
        Case {
            name: "audit entries changed (the verifier ignores them)",
            transcript: variant(&base, |v| {
                v["audit"] = json!([{"anything": [1, 2.5, null]}])
            }),
            expect: Completed,
        },
        Case {
            name: "audit field absent",
            transcript: variant(&base, |v| {
                v.as_object_mut().expect("object").remove("audit");
            }),
            expect: Completed,
        },
        Case {
            name: "pool names that change under NFC",
            transcript: nfc.clone(),
            expect: Completed,
        },
        Case {
            name: "pool names written in NFD hash as their NFC form",
            transcript: variant(&nfc, |v| {
                set_str(&mut v["pool"][0]["name"], "Mu\u{308}ller Bau GmbH");
                set_str(
                    &mut v["pool"][2]["name"],
                    "\u{1112}\u{1161}\u{11ab}\u{1100}\u{116e}\u{11a8}조달연구원",
                );
            }),
            expect: Completed,
        },
        Case {
            name: "a party missed its reveal, beacon and exclude rule: left out of the seed",
            transcript: excluded.clone(),
            expect: Completed,
        },
        Case {
            name: "a party missed its reveal and there is no beacon: the draw fails",
            transcript: failed.clone(),
            expect: Failed,
        },
        Case {
            name: "a failed draw that carries a seed and a result",
            transcript: variant(&failed, |v| {
                let full = to_value(&transcript_for(&vectors()["draws"][0]));
                v["seed"] = full["seed"].clone();
                v["result"] = full["result"].clone();
            }),
            expect: Step("failed_draw_has_result"),
        },
        Case {
            name: "a failed draw that carries a result only",
            transcript: variant(&failed, |v| {
                v["result"] = json!({"selected": ["AG-0004"], "reserves": ["AG-0002", "AG-0003"]});
            }),
            expect: Step("failed_draw_has_result"),
        },
        Case {
            name: "the missing reveal moved to missed_reveals but the old result kept",
            transcript: variant(&base, |v| {
                let reveals = v["reveals"].as_array_mut().expect("reveals");
                let k = reveals
                    .iter()
                    .position(|r| r["party"] == "platform")
                    .expect("platform");
                reveals.remove(k);
                v["missed_reveals"] = json!(["platform"]);
            }),
            expect: Step("seed_mismatch"),
        },
        Case {
            name: "the announced rule is to fail the draw but a result is recorded",
            transcript: variant(&excluded, |v| v["missed_reveal_rule"] = json!("fail_draw")),
            expect: Step("failed_draw_has_result"),
        },
        Case {
            name: "a pool display name changed",
            transcript: variant(&base, |v| {
                set_str(&mut v["pool"][3]["name"], "浑南工程咨询有限责任公司")
            }),
            expect: Step("pool_hash_mismatch"),
        },
        Case {
            name: "a candidate added to the pool",
            transcript: variant(&base, |v| {
                v["pool"]
                    .as_array_mut()
                    .expect("pool")
                    .push(json!({"id": "AG-0007", "name": "新增代理"}));
            }),
            expect: Step("pool_hash_mismatch"),
        },
        Case {
            name: "a candidate removed from the pool",
            transcript: variant(&base, |v| {
                v["pool"].as_array_mut().expect("pool").remove(6);
            }),
            expect: Step("pool_hash_mismatch"),
        },
        Case {
            name: "a tab in a display name",
            transcript: variant(&base, |v| {
                set_str(&mut v["pool"][1]["name"], "辽宁\t公共资源")
            }),
            expect: Step("pool_invalid"),
        },
        Case {
            name: "the same candidate id twice",
            transcript: variant(&base, |v| set_str(&mut v["pool"][1]["id"], "AG-0000")),
            expect: Step("pool_invalid"),
        },
        Case {
            name: "more reserves than the pool can give",
            transcript: variant(&base, |v| v["reserve_count"] = json!(6)),
            expect: Step("pool_too_small"),
        },
        Case {
            name: "one reveal changed",
            transcript: variant(&base, |v| {
                let r = v["reveals"].as_array_mut().expect("reveals");
                let k = r
                    .iter()
                    .position(|x| x["party"] == "platform")
                    .expect("platform");
                r[k]["r"] = json!(hex::encode(new_r));
            }),
            expect: Step("commitment_mismatch"),
        },
        Case {
            name: "one reveal and its commitment both changed",
            transcript: variant(&base, |v| {
                for (list, field, value) in [
                    ("reveals", "r", new_r),
                    ("commitments", "commitment", new_c),
                ] {
                    let items = v[list].as_array_mut().expect("list");
                    let k = items
                        .iter()
                        .position(|x| x["party"] == "platform")
                        .expect("platform");
                    items[k][field] = json!(hex::encode(value));
                }
            }),
            expect: Step("seed_mismatch"),
        },
        Case {
            name: "the beacon value changed",
            transcript: variant(&base, |v| {
                v["beacon"]["value"] =
                    json!("fc1873a1fc1873a1fc1873a1fc1873a1fc1873a1fc1873a1fc1873a1fc1873a2");
            }),
            expect: Step("seed_mismatch"),
        },
        Case {
            name: "the beacon value removed",
            transcript: variant(&base, |v| v["beacon"]["value"] = Value::Null),
            expect: Step("beacon_value_missing"),
        },
        Case {
            name: "an empty beacon value",
            transcript: variant(&base, |v| v["beacon"]["value"] = json!("")),
            expect: Step("malformed_hex"),
        },
        Case {
            name: "the seed changed",
            transcript: variant(&base, |v| {
                v["seed"] =
                    json!("8f47f87e1d9c34fcd6b7faca8aa13584f26d1b5d023a6546a1be7a7e0f7de7b3");
            }),
            expect: Step("seed_mismatch"),
        },
        Case {
            name: "the seed removed",
            transcript: variant(&base, |v| v["seed"] = Value::Null),
            expect: Step("seed_missing"),
        },
        Case {
            name: "a party renamed everywhere",
            transcript: variant(&base, |v| {
                for (list, field) in [
                    ("parties", ""),
                    ("commitments", "party"),
                    ("reveals", "party"),
                ] {
                    for item in v[list].as_array_mut().expect("list") {
                        let slot = if field.is_empty() {
                            item
                        } else {
                            &mut item[field]
                        };
                        if *slot == "platform" {
                            *slot = json!("platform-2");
                        }
                    }
                }
            }),
            expect: Step("commitment_mismatch"),
        },
        Case {
            name: "a reveal under a party that was not announced",
            transcript: variant(&base, |v| set_str(&mut v["reveals"][0]["party"], "notary")),
            expect: Step("unknown_party"),
        },
        Case {
            name: "a party neither revealed nor listed as missed",
            transcript: variant(&base, |v| {
                v["reveals"].as_array_mut().expect("reveals").remove(0);
            }),
            expect: Step("party_unaccounted"),
        },
        Case {
            name: "a party both revealed and missed",
            transcript: variant(&base, |v| v["missed_reveals"] = json!(["platform"])),
            expect: Step("revealed_and_missed"),
        },
        Case {
            name: "a reveal without a commitment",
            transcript: variant(&base, |v| {
                let c = v["commitments"].as_array_mut().expect("commitments");
                let k = c
                    .iter()
                    .position(|x| x["party"] == "platform")
                    .expect("platform");
                c.remove(k);
            }),
            expect: Step("reveal_missing_commitment"),
        },
        Case {
            name: "the same party commits twice",
            transcript: variant(&base, |v| {
                let c = v["commitments"].as_array_mut().expect("commitments");
                let first = c[0].clone();
                c.push(first);
            }),
            expect: Step("duplicate_party"),
        },
        Case {
            name: "a reveal of 31 bytes",
            transcript: variant(&base, |v| {
                let r = v["reveals"][0]["r"].as_str().expect("r").to_owned();
                v["reveals"][0]["r"] = json!(&r[..62]);
            }),
            expect: Step("wrong_length"),
        },
        Case {
            name: "upper-case hex in a commitment",
            transcript: variant(&base, |v| {
                let c = v["commitments"][0]["commitment"]
                    .as_str()
                    .expect("hex")
                    .to_uppercase();
                v["commitments"][0]["commitment"] = json!(c);
            }),
            expect: Step("malformed_hex"),
        },
        Case {
            name: "one selected id changed",
            transcript: variant(&base, |v| {
                set_str(&mut v["result"]["selected"][1], "AG-0006")
            }),
            expect: Step("selection_mismatch"),
        },
        Case {
            name: "selected in another order",
            transcript: variant(&base, |v| {
                v["result"]["selected"]
                    .as_array_mut()
                    .expect("ids")
                    .reverse()
            }),
            expect: Step("selection_mismatch"),
        },
        Case {
            name: "one selected id dropped",
            transcript: variant(&base, |v| {
                v["result"]["selected"].as_array_mut().expect("ids").pop();
            }),
            expect: Step("selection_count_mismatch"),
        },
        Case {
            name: "two reserves swapped",
            transcript: variant(&base, |v| {
                v["result"]["reserves"]
                    .as_array_mut()
                    .expect("ids")
                    .swap(0, 1)
            }),
            expect: Step("reserve_mismatch"),
        },
        Case {
            name: "a reserve dropped",
            transcript: variant(&base, |v| {
                v["result"]["reserves"].as_array_mut().expect("ids").pop();
            }),
            expect: Step("reserve_count_mismatch"),
        },
        Case {
            name: "the result removed",
            transcript: variant(&base, |v| v["result"] = Value::Null),
            expect: Step("result_missing"),
        },
        Case {
            name: "a replacement that skips the first reserve",
            transcript: variant(&base, |v| {
                set_str(&mut v["replacements"][0]["replacement"], "AG-0005")
            }),
            expect: Step("replacement_invalid"),
        },
        Case {
            name: "a replacement of someone not on the panel",
            transcript: variant(&base, |v| {
                set_str(&mut v["replacements"][0]["replaced"], "AG-0006")
            }),
            expect: Step("replacement_invalid"),
        },
        Case {
            name: "more replacements than reserves",
            transcript: variant(&base, |v| {
                v["replacements"] = json!([
                    {"replaced": "AG-0003", "replacement": "AG-0001", "reason": "declined"},
                    {"replaced": "AG-0001", "replacement": "AG-0005", "reason": "disqualified"},
                    {"replaced": "AG-0005", "replacement": "AG-0000", "reason": "declined"},
                    {"replaced": "AG-0002", "replacement": "AG-0004", "reason": "declined"}
                ]);
            }),
            expect: Step("replacement_invalid"),
        },
        Case {
            name: "a chain of replacements down the reserve list",
            transcript: variant(&base, |v| {
                v["replacements"] = json!([
                    {"replaced": "AG-0003", "replacement": "AG-0001", "reason": "declined"},
                    {"replaced": "AG-0001", "replacement": "AG-0005", "reason": "disqualified", "note": "credit punishment found"},
                    {"replaced": "AG-0002", "replacement": "AG-0000", "reason": "declined"}
                ]);
            }),
            expect: Completed,
        },
        Case {
            name: "another algorithm id",
            transcript: variant(&base, |v| v["algorithm"] = json!("bidhall-draw/2")),
            expect: Step("bad_algorithm"),
        },
        Case {
            name: "nothing to select",
            transcript: variant(&base, |v| v["select_count"] = json!(0)),
            expect: Step("nothing_to_select"),
        },
        Case {
            name: "reveal deadline before the commit deadline",
            transcript: variant(&base, |v| {
                v["deadlines"]["reveal"] = json!("2026-03-02T01:59:59Z")
            }),
            expect: Step("deadlines_out_of_order"),
        },
        Case {
            name: "beacon deadline equal to the reveal deadline",
            transcript: variant(&base, |v| {
                v["deadlines"]["beacon"] = json!("2026-03-02T02:30:00.000Z")
            }),
            expect: Step("deadlines_out_of_order"),
        },
        Case {
            name: "a deadline with a time-zone offset",
            transcript: variant(&base, |v| {
                v["deadlines"]["commit"] = json!("2026-03-02T10:00:00+08:00")
            }),
            expect: Step("bad_deadline"),
        },
        Case {
            name: "a beacon without a beacon deadline",
            transcript: variant(&base, |v| v["deadlines"]["beacon"] = Value::Null),
            expect: Step("beacon_deadline_mismatch"),
        },
        Case {
            name: "the exclude rule without a beacon",
            transcript: variant(&nfc, |v| v["missed_reveal_rule"] = json!("exclude_party")),
            expect: Step("exclude_without_beacon"),
        },
        Case {
            name: "an unknown member",
            transcript: variant(&base, |v| v["final_panel"] = json!(["AG-0004"])),
            expect: Step("malformed_transcript"),
        },
        Case {
            name: "a count that is not an integer",
            transcript: variant(&base, |v| v["select_count"] = json!("2")),
            expect: Step("malformed_transcript"),
        },
        Case {
            name: "an unknown replacement reason",
            transcript: variant(&base, |v| v["replacements"][0]["reason"] = json!("absent")),
            expect: Step("malformed_transcript"),
        },
    ]
}

fn expect_json(case: &Case, got: &Result<crate::draws::VerifiedDraw, DrawVerifyError>) -> Value {
    match (&case.expect, got) {
        (Expect::Completed, Ok(draw)) => match &draw.outcome {
            DrawOutcome::Completed {
                selected,
                reserves,
                panel,
                ..
            } => {
                json!({"ok": true, "outcome": "completed", "selected": selected, "reserves": reserves, "panel": panel})
            }
            DrawOutcome::Failed { .. } => panic!("{}: expected a completed draw", case.name),
        },
        (Expect::Failed, Ok(draw)) => {
            assert!(
                matches!(draw.outcome, DrawOutcome::Failed { .. }),
                "{}: expected a failed draw",
                case.name
            );
            json!({"ok": true, "outcome": "failed", "missed": draw.missed})
        }
        (Expect::Step(step), Err(e)) => {
            assert_eq!(e.step(), *step, "{}: {e}", case.name);
            json!({"ok": false, "step": step})
        }
        (_, other) => panic!("{}: unexpected verdict {other:?}", case.name),
    }
}

fn render_cases() -> String {
    let rendered: Vec<Value> = cases()
        .iter()
        .map(|case| {
            let bytes = serde_json::to_vec(&case.transcript).expect("case serialises");
            let expect = expect_json(case, &verify_json(&bytes));
            json!({"name": case.name, "expect": expect, "transcript": case.transcript})
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&json!({
        "about": "bidhall-draw/1 transcripts and the verdict of the Rust verifier on each; generated by the Rust tests (src/draws/tests/fixtures.rs)",
        "cases": rendered,
    }))
    .expect("fixture serialises");
    text.push('\n');
    text
}

#[test]
fn every_case_gets_its_expected_verdict() {
    for case in cases() {
        let bytes = serde_json::to_vec(&case.transcript).expect("case serialises");
        expect_json(&case, &verify_json(&bytes));
    }
}

#[test]
fn recorded_transcript_round_trips_through_canonical_json() {
    let t = recorded();
    let bytes = t.canonical_bytes().expect("canonical");
    let back: Transcript = serde_json::from_slice(&bytes).expect("parses back");
    assert_eq!(back, t);
    assert_eq!(back.canonical_bytes().expect("canonical"), bytes);
    verify(&back).expect("verifies");
}

#[test]
fn js_fixtures_are_current() {
    let transcript = recorded().canonical_bytes().expect("canonical");
    let cases = render_cases();
    if std::env::var_os("BIDHALL_WRITE_FIXTURES").is_some() {
        let dir = std::path::Path::new(TRANSCRIPT_FIXTURE)
            .parent()
            .expect("fixture folder");
        std::fs::create_dir_all(dir).expect("create fixture folder");
        std::fs::write(TRANSCRIPT_FIXTURE, &transcript).expect("write transcript fixture");
        std::fs::write(CASES_FIXTURE, &cases).expect("write cases fixture");
    }
    let on_disk = std::fs::read(TRANSCRIPT_FIXTURE).unwrap_or_default();
    assert!(
        on_disk == transcript,
        "{TRANSCRIPT_FIXTURE} is stale: run BIDHALL_WRITE_FIXTURES=1 cargo test"
    );
    let on_disk = std::fs::read_to_string(CASES_FIXTURE).unwrap_or_default();
    assert!(
        on_disk == cases,
        "{CASES_FIXTURE} is stale: run BIDHALL_WRITE_FIXTURES=1 cargo test"
    );
}
