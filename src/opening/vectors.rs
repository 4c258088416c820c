//! `docs/vectors/opening-events-v1.json`: a whole ceremony's events as the hall writes them (built
//! from the typed bodies, so every one parses strictly), with who may see each, and what the
//! hall's fold shows each viewer. The browser's fold (web/static/js/opening.js) is tested on the
//! same file (web/test/unit/opening.test.mjs), so the two folds cannot drift apart. The test
//! writes the file when it is missing and otherwise checks it byte for byte.

use super::event::{Body, DisclosedSignIn, Line, OrderLine, Progress};
use super::state::OpeningState;
use super::{Audience, OpeningEvent, Viewer};
use crate::domain::{Money, OrgId, Timestamp};
use serde_json::{json, Value};

const FILE: &str = "docs/vectors/opening-events-v1.json";

fn at(minute: i64) -> Timestamp {
    Timestamp::parse("2027-03-26T00:30:00Z")
        .unwrap()
        .plus_millis(minute * 60_000)
}

fn org(name: &str) -> OrgId {
    OrgId::from_stored(name.into())
}

fn line(n: i64, who: &str, name: &str, price: Option<i64>) -> Body {
    Body::BidAnnounced(Box::new(Line {
        n,
        lot_id: "lot-1".into(),
        org_id: who.into(),
        org_name: name.into(),
        commitment: format!("{n:02}").repeat(32),
        bond: if n == 2 { "missing" } else { "received" }.into(),
        status: if price.is_some() { "opened" } else { "failed" }.into(),
        price_fen: price.map(|p| Money::from_fen(p).unwrap()),
        duration_days: price.map_or(Value::Null, |_| json!(180)),
        quality: price.map(|_| "合格".to_string()),
        reason: if price.is_some() {
            Value::Null
        } else {
            json!("header_mac_mismatch")
        },
        fault: price.map_or(Some("tenderer".into()), |_| None),
        announced_key: Value::Null,
    }))
}

fn ceremony() -> Vec<OpeningEvent> {
    let signed = |who: &str, name: &str, role: &str| Body::SignedIn {
        org_id: who.into(),
        org_name: name.into(),
        role: role.into(),
    };
    let progress = |released| {
        (1..=3)
            .map(|n| Progress {
                n,
                released,
                needed: 3,
            })
            .collect::<Vec<_>>()
    };
    let bodies: Vec<(Audience, Body)> = vec![
        (Audience::Public, Body::LobbyOpened { deadline: at(30) }),
        (Audience::Public, signed("host-org", "招标代理", "host")),
        (Audience::Public, signed("sup-org", "住建局", "supervisor")),
        (
            Audience::Own(org("org-a")),
            signed("org-a", "甲公司", "tenderer"),
        ),
        (
            Audience::Public,
            Body::BoxClosed {
                count: 3,
                order: (1..=3)
                    .map(|n| OrderLine {
                        n,
                        lot_id: "lot-1".into(),
                        commitment: format!("{n:02}").repeat(32),
                    })
                    .collect(),
            },
        ),
        (
            Audience::Hall,
            Body::SignInsDisclosed {
                participants: vec![DisclosedSignIn {
                    org_id: "org-a".into(),
                    org_name: "甲公司".into(),
                    role: "tenderer".into(),
                    at: at(10).to_rfc3339(),
                }],
            },
        ),
        (
            Audience::Public,
            Body::SharesReleased {
                custodian: 1,
                by: "交易中心时间锁 (time-release)".into(),
                progress: progress(1),
            },
        ),
        (
            Audience::Public,
            Body::SharesReleased {
                custodian: 2,
                by: "招标代理".into(),
                progress: progress(2),
            },
        ),
        (
            Audience::Public,
            line(1, "org-a", "甲公司", Some(98_765_400)),
        ),
        (
            Audience::Public,
            line(2, "org-b", "乙公司", Some(99_000_000)),
        ),
        (Audience::Public, line(3, "org-c", "丙公司", None)),
        (Audience::Public, Body::AnnouncementComplete { lines: 3 }),
        (
            Audience::Public,
            Body::ConfirmationOpened {
                until: at(60),
                minutes: 30,
            },
        ),
        (
            Audience::Party(org("org-a")),
            Body::LineConfirmed {
                n: 1,
                org_id: "org-a".into(),
                org_name: "甲公司".into(),
                line_sha256: "ab".repeat(32),
            },
        ),
        (
            Audience::Party(org("org-b")),
            Body::ObjectionRaised {
                id: 1,
                n: Some(2),
                org_id: "org-b".into(),
                org_name: "乙公司".into(),
                text: "保证金已按时缴纳".into(),
            },
        ),
        (
            Audience::Party(org("org-b")),
            Body::ObjectionAnswered {
                id: 1,
                answer: "已核对银行回单".into(),
            },
        ),
        (
            Audience::Public,
            Body::Concluded {
                record_sha256: "cd".repeat(32),
                signature: "— bidhall.localhost/log sig\n".into(),
            },
        ),
    ];
    bodies
        .into_iter()
        .enumerate()
        .map(|(i, (audience, body))| OpeningEvent::new(i as i64 + 1, at(i as i64), audience, &body))
        .collect()
}

fn audience_json(a: &Audience) -> Value {
    match a {
        Audience::Public => json!("public"),
        Audience::Hall => json!("hall"),
        Audience::Party(o) => json!({ "party": o.as_str() }),
        Audience::Own(o) => json!({ "own": o.as_str() }),
    }
}

/// What a viewer is shown, in the terms both folds share.
fn shown(events: &[OpeningEvent], viewer: &Viewer) -> Value {
    let seen: Vec<OpeningEvent> = events
        .iter()
        .filter(|e| viewer.sees(&e.audience))
        .cloned()
        .collect();
    let v = OpeningState::fold(&seen)
        .expect("the vector's events fold")
        .view(viewer);
    json!({
        "seqs": seen.iter().map(|e| e.seq).collect::<Vec<_>>(),
        "phase": v["phase"],
        "count": v["count"],
        "participants": v["participants"].as_array().unwrap().iter()
            .map(|p| json!([p["org_name"], p["role"]])).collect::<Vec<_>>(),
        "lines": v["lines"].as_array().unwrap().iter()
            .map(|l| json!([l["n"], l["status"], l["price_fen"], l["fault"]])).collect::<Vec<_>>(),
        "objections": v["objections"].as_array().unwrap().len(),
    })
}

#[test]
fn the_ceremony_vector_is_the_hall_s_fold() {
    let events = ceremony();
    let viewers = [
        ("public", Viewer::public()),
        (
            "host",
            Viewer {
                hall: true,
                role: "host",
                org: Some(org("host-org")),
            },
        ),
        (
            "tenderer_a",
            Viewer {
                hall: false,
                role: "tenderer",
                org: Some(org("org-a")),
            },
        ),
        (
            "tenderer_b",
            Viewer {
                hall: false,
                role: "tenderer",
                org: Some(org("org-b")),
            },
        ),
    ];
    let doc = json!({
        "about": "A whole opening's events as the hall writes them, who may see each, and what the hall's fold shows each viewer (docs/opening.md §2). Written by src/opening/vectors.rs; the browser's fold is checked against it.",
        "events": events.iter().map(|e| json!({
            "seq": e.seq, "at": e.at.to_rfc3339(), "kind": e.kind,
            "audience": audience_json(&e.audience), "body": e.body,
        })).collect::<Vec<_>>(),
        "viewers": viewers.iter().map(|(name, v)| json!({
            "name": name, "hall": v.hall, "org_id": v.org.as_ref().map(|o| o.as_str()),
            "shown": shown(&events, v),
        })).collect::<Vec<_>>(),
    });
    let text = serde_json::to_string_pretty(&doc).unwrap() + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(FILE);
    match std::fs::read_to_string(&path) {
        Ok(kept) => assert_eq!(
            kept, text,
            "{FILE} differs from the hall's events: delete it to write it anew"
        ),
        Err(_) => std::fs::write(&path, text).unwrap(),
    }
    // What the vector shows, said plainly: the host is told tenderer A's lobby sign-in by the
    // close's disclosure; B sees its own objection, A does not; the public sees neither.
    let host = &doc["viewers"][1]["shown"];
    assert_eq!(host["participants"].as_array().unwrap().len(), 3);
    assert_eq!(
        doc["viewers"][0]["shown"]["participants"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(doc["viewers"][3]["shown"]["objections"], 1);
    assert_eq!(doc["viewers"][2]["shown"]["objections"], 0);
}
