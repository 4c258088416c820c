//! The home's rules, one party and one stage at a time.

use super::*;
use crate::award::event::Candidate;
use crate::award::state::{Committee, LotAward, Objection as CandidateObjection};
use crate::domain::{Money, DAY_MS};
use crate::identity::Role;
use crate::lottery::{DrawKind, DrawState};
use serde_json::json;

const DEADLINE: &str = "2027-04-01T01:30:00Z";
const LOT: &str = "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e71";

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn tender(state: &str, supervisor: &OrgId, witness: &OrgId) -> Tender {
    serde_json::from_value(json!({
        "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f",
        "project_id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e70",
        "owner_org_id": OrgId::generate(),
        "agent_org_id": OrgId::generate(),
        "state": state,
        "version": 1,
        "created_at": "2027-03-01T01:00:00Z",
        "updated_at": "2027-03-01T01:00:00Z",
        "published_at": "2027-03-01T01:00:00Z",
        "documents_issued_at": "2027-03-01T01:00:00Z",
        "spec": {
            "title": "教学楼改造工程",
            "category": "construction",
            "region": "沈阳市",
            "evaluation_method": {"kind": "lowest_evaluated_price"},
            "schedule": {
                "docs_from": "2027-03-02T01:00:00Z",
                "docs_to": "2027-03-09T01:00:00Z",
                "clarification_deadline": "2027-03-14T01:00:00Z",
                "bid_deadline": DEADLINE
            },
            "lots": [{"id": LOT, "name": "一标段", "estimate_fen": 100_000_000, "bid_bond_fen": 2_000_000}],
            "custodians": {"k": 3, "members": [
                {"kind": "time_release"}, {"kind": "agent"},
                {"kind": "supervisor", "org_id": supervisor}, {"kind": "witness", "org_id": witness}
            ]},
            "supervisor_org_id": supervisor
        }
    }))
    .unwrap()
}

fn published() -> Tender {
    tender("published", &OrgId::generate(), &OrgId::generate())
}

fn agent() -> Relations {
    Relations {
        role: Some(Role::Agent),
        agent: true,
        ..Relations::default()
    }
}

fn owner() -> Relations {
    Relations {
        role: Some(Role::Owner),
        owner: true,
        ..Relations::default()
    }
}

fn tasks(duties: &[Duty]) -> Vec<(Task, bool)> {
    duties.iter().map(|d| (d.task, d.acts)).collect()
}

#[test]
fn a_draft_awaits_publication_by_those_who_run_it_and_no_one_else() {
    let t = tender("draft", &OrgId::generate(), &OrgId::generate());
    let now = at("2027-03-01T02:00:00Z");
    let d = managed_duties(&t, &agent(), &ManagedFacts::default(), now);
    assert_eq!(tasks(&d), vec![(Task::Publish, true)]);
    assert_eq!(d[0].due, Some(t.spec.schedule.docs_from));
    let stranger = Relations {
        role: Some(Role::Agent),
        ..Relations::default()
    };
    assert!(managed_duties(&t, &stranger, &ManagedFacts::default(), now).is_empty());
}

#[test]
fn before_the_deadline_the_host_sees_its_own_work_and_nothing_about_the_tenderers() {
    let t = published();
    let now = at("2027-03-10T01:00:00Z");
    let f = ManagedFacts {
        custodians_missing: 2,
        questions_unanswered: 1,
        objections_due: vec![at("2027-03-12T01:00:00Z"), at("2027-03-11T01:00:00Z")],
        ..Default::default()
    };
    let mut d = managed_duties(&t, &agent(), &f, now);
    sort(&mut d);
    assert_eq!(
        tasks(&d),
        vec![
            (Task::AnswerObjections, true),
            (Task::AnswerQuestions, true),
            (Task::AwaitCustodians, false),
            (Task::AwaitBidDeadline, false),
        ]
    );
    assert_eq!(d[0].due, Some(at("2027-03-11T01:00:00Z")), "the earliest");
    assert_eq!(d[0].count, Some(2));
    // Nothing a duty carries can say who or how many obtained or bid: only the host's own work.
    let shown = serde_json::to_string(&d).unwrap();
    assert!(!shown.contains("bid_count") && !shown.contains("obtained"));
}

#[test]
fn from_the_deadline_the_host_hosts_the_opening_then_the_award_moves_on() {
    let t = published();
    let after = at(DEADLINE).plus_millis(60_000);
    let d = managed_duties(&t, &agent(), &ManagedFacts::default(), after);
    assert_eq!(tasks(&d), vec![(Task::HostOpening, true)]);

    let concluded = OpeningState {
        phase: Some(OpeningPhase::Concluded),
        ..OpeningState::default()
    };
    let award = AwardState::default();
    let facts = |draw| ManagedFacts {
        opening: Some(&concluded),
        award: Some(&award),
        expert_draw: draw,
        ..Default::default()
    };
    let d = managed_duties(&t, &agent(), &facts(None), after);
    assert_eq!(tasks(&d), vec![(Task::RequestExpertDraw, true)]);
    let drawing = Some((DrawPhase::Revealing, after.plus_millis(DAY_MS)));
    let d = managed_duties(&t, &agent(), &facts(drawing), after);
    assert_eq!(tasks(&d), vec![(Task::AwaitExpertDraw, false)]);
    let drawn = Some((DrawPhase::Completed, after));
    let d = managed_duties(&t, &agent(), &facts(drawn), after);
    assert_eq!(tasks(&d), vec![(Task::FormCommittee, true)]);
    // The owner of a tender run by an agent waits for the agent to form it.
    let d = managed_duties(&t, &owner(), &facts(drawn), after);
    assert_eq!(tasks(&d), vec![(Task::FormCommittee, false)]);
}

fn publicised(window_until: Timestamp, objection: Option<&str>) -> AwardState {
    AwardState {
        committees: vec![Committee {
            lot_id: None,
            stage: Stage::Evaluated,
            draw_id: "d".into(),
            reserves: Vec::new(),
            report: None,
        }],
        lots: vec![LotAward {
            lot_id: LOT.into(),
            candidates: vec![Candidate {
                rank: 1,
                line: 1,
                lot_id: Some(LOT.into()),
                org_id: "o".into(),
                org_name: "甲公司".into(),
                price_fen: Money::from_fen(90_000_000).unwrap(),
                score_centi: None,
            }],
            window: Some((window_until.plus_millis(-3 * DAY_MS), window_until)),
            ..LotAward::default()
        }],
        objections: objection
            .map(|raised| CandidateObjection {
                id: 1,
                lot_id: Some(LOT.into()),
                org_id: "o2".into(),
                org_name: "乙公司".into(),
                text: "异议".into(),
                raised_at: raised.into(),
                answer: None,
                answered_at: None,
                late: false,
            })
            .into_iter()
            .collect(),
        ..AwardState::default()
    }
}

#[test]
fn publicity_objections_the_notice_and_the_contract_fall_to_whom_the_law_gives_them() {
    let t = published();
    let concluded = OpeningState {
        phase: Some(OpeningPhase::Concluded),
        ..OpeningState::default()
    };
    let until = at("2027-04-20T01:00:00Z");
    let during = until.plus_millis(-DAY_MS);
    let s = publicised(until, Some("2027-04-18T01:00:00Z"));
    let f = ManagedFacts {
        opening: Some(&concluded),
        award: Some(&s),
        ..Default::default()
    };
    let d = managed_duties(&t, &owner(), &f, during);
    assert_eq!(
        tasks(&d),
        vec![
            (Task::AnswerCandidateObjections, true),
            (Task::AwaitPublicity, false)
        ]
    );
    assert_eq!(
        d[0].due,
        Some(at("2027-04-21T01:00:00Z")),
        "3 days (条例54)"
    );

    let s = publicised(until, None);
    let f = ManagedFacts {
        award: Some(&s),
        ..f
    };
    let after = until.plus_millis(1);
    assert_eq!(
        tasks(&managed_duties(&t, &owner(), &f, after)),
        vec![(Task::IssueNotice, true)]
    );
    assert_eq!(
        tasks(&managed_duties(&t, &agent(), &f, after)),
        vec![(Task::IssueNotice, false)],
        "the owner issues the notice"
    );
}

#[test]
fn a_custodian_owes_its_key_before_bidding_and_its_share_after_the_box_closed() {
    let (supervisor, witness) = (OrgId::generate(), OrgId::generate());
    let t = tender("published", &supervisor, &witness);
    let before = at("2027-03-01T09:00:00Z");
    let d = custodian_duties(&t, &supervisor, &[1, 2], None, before);
    assert_eq!(tasks(&d), vec![(Task::RegisterCustodianKey, true)]);
    assert!(!d[0].overdue && d[0].href.ends_with("/custodian"));
    assert!(custodian_duties(&t, &supervisor, &[1, 2, 3], None, before).is_empty());
    assert!(
        custodian_duties(&t, &OrgId::generate(), &[], None, before).is_empty(),
        "not a custodian"
    );
    let after = at(DEADLINE).plus_millis(1);
    let mut o = OpeningState {
        phase: Some(OpeningPhase::Decrypting),
        release_until: Some(after.plus_millis(3_600_000)),
        ..OpeningState::default()
    };
    o.released.insert(4);
    let d = custodian_duties(&t, &supervisor, &[1, 2, 3, 4], Some(&o), after);
    assert_eq!(tasks(&d), vec![(Task::ReleaseShare, true)]);
    assert!(custodian_duties(&t, &witness, &[1, 2, 3, 4], Some(&o), after).is_empty());
    assert!(watch_duty(&t, Some(&o), after).is_some());
    o.phase = Some(OpeningPhase::Concluded);
    assert!(watch_duty(&t, Some(&o), after).is_none());
}

#[test]
fn a_tenderer_is_asked_for_its_bid_then_its_bond() {
    let t = published();
    let org = OrgId::generate();
    let now = at("2027-03-10T01:00:00Z");
    let d = tenderer_duties(&t, &org, &TendererFacts::default(), now);
    assert_eq!(tasks(&d), vec![(Task::SubmitBid, true)]);
    let bids = vec![LotBid {
        lot_id: LOT.into(),
        lot: Some("一标段".into()),
        state: "submitted",
        at: now,
    }];
    let f = TendererFacts {
        bids: &bids,
        ..Default::default()
    };
    let d = tenderer_duties(&t, &org, &f, now);
    assert_eq!(tasks(&d), vec![(Task::PayBond, true)]);
    assert_eq!(d[0].due, Some(at(DEADLINE)));
    let paid = vec![BondLine {
        tenderer_id: org.to_string(),
        bond: "bid".into(),
        lot_id: Some(LOT.into()),
        received_fen: 2_000_000,
        held_fen: 2_000_000,
        ..BondLine::default()
    }];
    let f = TendererFacts {
        bids: &bids,
        bonds: &paid,
        ..Default::default()
    };
    assert!(tenderer_duties(&t, &org, &f, now).is_empty());
    // half an hour before the deadline the lobby opens: the bidder signs in
    let lobby = at(DEADLINE).plus_millis(-20 * 60_000);
    assert_eq!(
        tasks(&tenderer_duties(&t, &org, &f, lobby)),
        vec![(Task::SignInOpening, true)]
    );
    let owed = TendererFacts {
        performance_owed: Some((4_500_000, at("2027-05-01T01:00:00Z"))),
        ..f
    };
    let later = at(DEADLINE).plus_millis(DAY_MS);
    assert_eq!(
        tasks(&tenderer_duties(&t, &org, &owed, later)),
        vec![(Task::PayPerformanceBond, true)]
    );
}

#[test]
fn a_draw_awaits_each_party_s_commitment_then_its_reveal() {
    let party = OrgId::generate();
    let d = DrawRecord {
        id: "d1".into(),
        kind: DrawKind::Agent,
        project_id: None,
        tender_id: None,
        requested_by: OrgId::generate(),
        purpose: "代理机构摇号".into(),
        select_count: 1,
        reserve_count: 1,
        agent_filter: None,
        expert_filter: None,
        parties: vec![party.clone()],
        commit_deadline: at("2027-03-01T02:00:00Z"),
        reveal_deadline: at("2027-03-01T03:00:00Z"),
        beacon: None,
        missed_reveal_rule: crate::draws::MissedRevealRule::FailDraw,
        state: DrawState::Open,
        pool: None,
        beacon_value: None,
        transcript: None,
        created_at: at("2027-03-01T01:00:00Z"),
        version: 1,
    };
    let committing = at("2027-03-01T01:30:00Z");
    let revealing = at("2027-03-01T02:30:00Z");
    let task = |c, r, now| draw_duty(&d, &party, c, r, now).map(|x| x.task);
    assert_eq!(task(false, false, committing), Some(Task::CommitDraw));
    assert_eq!(task(true, false, committing), None);
    assert_eq!(task(true, false, revealing), Some(Task::RevealDraw));
    assert_eq!(task(true, true, revealing), None);
    assert_eq!(task(false, false, revealing), None, "too late to commit");
    assert!(draw_duty(&d, &OrgId::generate(), false, false, committing).is_none());
}
