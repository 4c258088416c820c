//! The access policy row by row: each row of docs/api.md's table as every relation, before and
//! after the bid deadline.

use super::*;
use crate::domain::{OrgId, UserId};
use serde_json::json;

const DEADLINE: &str = "2026-12-01T01:30:00Z";

fn at(s: &str) -> Timestamp {
    Timestamp::parse(s).expect("a time")
}

fn before() -> Timestamp {
    at("2026-12-01T01:29:59Z")
}

fn after() -> Timestamp {
    at(DEADLINE)
}

struct World {
    tender: Tender,
    owner: OrgId,
    agent: OrgId,
    supervisor: OrgId,
}

fn world(state: &str) -> World {
    let (owner, agent, supervisor) = (OrgId::generate(), OrgId::generate(), OrgId::generate());
    let tender = serde_json::from_value(json!({
        "id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e6f",
        "project_id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e70",
        "owner_org_id": owner,
        "agent_org_id": agent,
        "state": state,
        "version": 3,
        "created_at": "2026-11-01T01:00:00Z",
        "updated_at": "2026-11-01T01:00:00Z",
        "published_at": "2026-11-02T01:00:00Z",
        "documents_issued_at": "2026-11-02T01:00:00Z",
        "spec": {
            "title": "道路改造",
            "description": "",
            "category": "construction",
            "region": "沈阳市",
            "qualification": "",
            "evaluation_method": {"kind": "lowest_evaluated_price"},
            "schedule": {
                "docs_from": "2026-11-02T01:00:00Z",
                "docs_to": "2026-11-09T01:00:00Z",
                "clarification_deadline": "2026-11-12T01:00:00Z",
                "bid_deadline": DEADLINE
            },
            "lots": [{"id": "0190a4c2-3f1e-7c2a-9d3b-1a2b3c4d5e81", "name": "一标段", "estimate_fen": 100000000, "bid_bond_fen": 2000000}],
            "custodians": {"k": 3, "members": [
                {"kind": "time_release"}, {"kind": "agent"},
                {"kind": "supervisor", "org_id": supervisor}, {"kind": "witness", "org_id": supervisor}
            ]},
            "supervisor_org_id": supervisor
        }
    }))
    .expect("a valid tender");
    World {
        tender,
        owner,
        agent,
        supervisor,
    }
}

fn actor(role: Role, org: &OrgId) -> Actor {
    Actor {
        user_id: UserId::generate(),
        org_id: org.clone(),
        role,
        display_name: "张三".into(),
        org_name: "某机构".into(),
    }
}

/// Every relation a caller can have, by name.
fn everyone(w: &World) -> Vec<(&'static str, Relations)> {
    let t = &w.tender;
    let of = |role, org: &OrgId| Relations::of(Some(&actor(role, org)), t);
    let other = OrgId::generate();
    vec![
        ("public", Relations::of(None, t)),
        ("owner", of(Role::Owner, &w.owner)),
        ("agent", of(Role::Agent, &w.agent)),
        ("supervisor", of(Role::Supervisor, &w.supervisor)),
        ("platform", of(Role::Platform, &other)),
        ("other owner", of(Role::Owner, &other)),
        ("other agent", of(Role::Agent, &other)),
        ("other supervisor", of(Role::Supervisor, &other)),
        ("witness", of(Role::Witness, &other)),
        ("tenderer", of(Role::Tenderer, &other)),
        ("obtainer", of(Role::Tenderer, &other).with_obtained(true)),
        (
            "bidder",
            of(Role::Tenderer, &other)
                .with_obtained(true)
                .with_bidder(true),
        ),
        ("committee member", Relations::committee_member(true)),
        (
            "another committee's member",
            Relations::committee_member(false),
        ),
    ]
}

/// The names of the relations allowed `action` at `now`.
fn allowed(w: &World, action: Action, now: Timestamp) -> Vec<&'static str> {
    everyone(w)
        .into_iter()
        .filter(|(_, r)| allows(action, r, &w.tender, now))
        .map(|(name, _)| name)
        .collect()
}

#[test]
fn a_draft_is_seen_only_by_those_who_run_it_and_the_trading_centre() {
    let w = world("draft");
    assert_eq!(
        allowed(&w, Action::SeeTender, before()),
        ["owner", "agent", "platform"]
    );
    let r = Relations::of(Some(&actor(Role::Supervisor, &w.supervisor)), &w.tender);
    assert_eq!(
        may(Action::SeeTender, &r, &w.tender, before()),
        Err(Denied::Hidden)
    );
    // A draft has no opening, not even for those who run it.
    assert!(allowed(&w, Action::SeeOpening, after()).is_empty());
}

#[test]
fn a_published_tender_is_everyone_s_and_only_its_owner_and_agent_change_it() {
    let w = world("published");
    assert_eq!(allowed(&w, Action::SeeTender, before()).len(), 14);
    assert_eq!(allowed(&w, Action::Manage, before()), ["owner", "agent"]);
    let public = Relations::of(None, &w.tender);
    assert_eq!(
        may(Action::Manage, &public, &w.tender, before()),
        Err(Denied::SignIn)
    );
}

#[test]
fn tender_documents_reach_those_who_run_or_supervise_it_and_tenderers_who_obtained_them() {
    let w = world("published");
    assert_eq!(
        allowed(&w, Action::ReadDocument { issued: true }, before()),
        [
            "owner",
            "agent",
            "supervisor",
            "platform",
            "obtainer",
            "bidder"
        ]
    );
    assert_eq!(
        allowed(&w, Action::ReadDocument { issued: false }, before()),
        ["owner", "agent", "platform"]
    );
    assert_eq!(
        allowed(&w, Action::ObtainDocuments, before()),
        ["tenderer", "obtainer", "bidder"]
    );
}

#[test]
fn who_obtained_and_who_paid_a_bond_stay_secret_until_the_deadline_art_22() {
    let w = world("published");
    for action in [
        Action::SeeObtainers,
        Action::SeeTenderBonds,
        Action::SeeTenderersEvents,
    ] {
        assert_eq!(allowed(&w, action, before()), ["platform"], "{action:?}");
        assert_eq!(
            allowed(&w, action, after()),
            ["owner", "agent", "supervisor", "platform"],
            "{action:?}"
        );
        for (name, r) in everyone(&w) {
            let answer = may(action, &r, &w.tender, before());
            match name {
                "owner" | "agent" | "supervisor" => assert_eq!(
                    answer,
                    Err(Denied::UntilOpening {
                        deadline: at(DEADLINE)
                    }),
                    "{name} {action:?}"
                ),
                "public" => assert_eq!(answer, Err(Denied::SignIn)),
                "platform" => assert_eq!(answer, Ok(())),
                _ => assert_eq!(
                    answer,
                    Err(Denied::Forbidden(NOT_A_PARTY)),
                    "{name} {action:?}"
                ),
            }
        }
    }
}

#[test]
fn a_cancelled_tender_never_tells_who_obtained_or_paid() {
    let w = world("cancelled");
    assert_eq!(allowed(&w, Action::SeeObtainers, after()), ["platform"]);
    assert_eq!(allowed(&w, Action::SeeTenderBonds, after()), ["platform"]);
}

#[test]
fn the_opening_is_hosted_by_owner_or_agent_and_supervised_by_its_supervisor() {
    let w = world("published");
    assert_eq!(allowed(&w, Action::SeeOpening, before()).len(), 14);
    assert_eq!(
        allowed(&w, Action::HostOpening, after()),
        ["owner", "agent"]
    );
    assert_eq!(
        allowed(&w, Action::SuperviseOpening, after()),
        ["supervisor"]
    );
}

#[test]
fn the_evaluation_is_hosted_by_the_agent_or_by_the_owner_without_one() {
    let mut w = world("published");
    assert_eq!(allowed(&w, Action::HostEvaluation, after()), ["agent"]);
    w.tender.agent_org_id = None;
    assert_eq!(allowed(&w, Action::HostEvaluation, after()), ["owner"]);
}

#[test]
fn bid_documents_are_read_by_evaluators_supervisors_and_the_bidder_after_the_opening_art_44() {
    let w = world("published");
    let own = Action::ReadBidDocuments { own: true };
    let others = Action::ReadBidDocuments { own: false };
    assert!(allowed(&w, own, before()).is_empty());
    assert!(allowed(&w, others, before()).is_empty());
    assert_eq!(
        allowed(&w, others, after()),
        ["owner", "agent", "supervisor", "committee member"]
    );
    assert_eq!(
        allowed(&w, own, after()),
        ["owner", "agent", "supervisor", "bidder", "committee member"]
    );
    // Neither the trading centre nor a competitor reads a bid.
    assert!(!allowed(&w, others, after()).contains(&"platform"));
    assert!(!allowed(&w, others, after()).contains(&"bidder"));
}

#[test]
fn sealed_log_entries_are_disclosed_to_everyone_at_the_opening_art_22() {
    let w = world("published");
    assert_eq!(
        allowed(&w, Action::SeeSealedEntries, before()),
        ["platform"]
    );
    assert_eq!(allowed(&w, Action::SeeSealedEntries, after()).len(), 14);
    let public = Relations::of(None, &w.tender);
    assert_eq!(
        may(Action::SeeSealedEntries, &public, &w.tender, before()),
        Err(Denied::UntilOpening {
            deadline: at(DEADLINE)
        })
    );
    // A tender cancelled before its opening keeps them sealed.
    let w = world("cancelled");
    assert_eq!(allowed(&w, Action::SeeSealedEntries, after()), ["platform"]);
}

#[test]
fn the_record_of_writes_is_for_the_supervisor_from_the_deadline_and_the_trading_centre() {
    let w = world("published");
    assert_eq!(allowed(&w, Action::SeeWriteRecord, before()), ["platform"]);
    assert_eq!(
        allowed(&w, Action::SeeWriteRecord, after()),
        ["supervisor", "platform"]
    );
    let supervisor = everyone(&w)
        .into_iter()
        .find(|(name, _)| *name == "supervisor")
        .unwrap()
        .1;
    assert_eq!(
        may(Action::SeeWriteRecord, &supervisor, &w.tender, before()),
        Err(Denied::UntilOpening {
            deadline: at(DEADLINE)
        })
    );
}
