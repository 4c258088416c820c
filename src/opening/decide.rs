//! The opening's decisions. `decide` takes the tender, the fold of its events, the time and one
//! command, and answers with the events to append or a refusal. It reads no store and no clock:
//! the service loads what a command needs, calls it, and appends what it returns (retrying on a
//! fresh fold if another writer came first). Every rule of the ceremony's order is here: the
//! lobby, the closing and the fewer-than-three-bids rule (条例 第四十四条), the bond check, the
//! start of decryption, the read-out of each decided bid in order, confirmation, objections,
//! suspension and the conclusion.

use super::event::{self as ev, Body, EventError};
use super::record;
use super::state::{OpeningState, Phase, Refusal};
use super::{Audience, OpeningEvent, Viewer};
use crate::auditlog::note::NoteSigner;
use crate::bids::Bid;
use crate::bonds::guarantee::Guarantee;
use crate::bonds::{BondReceipt, BondStatus};
use crate::domain::{LotId, Money, OrgId, Timestamp};
use crate::tenders::access;
use crate::tenders::model::Tender;
use serde_json::Value;

/// Sign-in opens this long before the deadline.
pub const LOBBY_MS: i64 = 30 * 60 * 1000;

/// What a command is decided on: the tender, the fold of `events`, and the time.
pub struct Situation<'a> {
    pub tender: &'a Tender,
    pub state: &'a OpeningState,
    pub now: Timestamp,
    pub events: &'a [OpeningEvent],
}

/// One custodian as the hall names it: index, kind, and the name shown.
pub struct NamedCustodian {
    pub index: u8,
    pub kind: Value,
    pub name: String,
}

/// A counted bid as the hall reads it out: its number, the bid, its stored outcome (none while
/// its shares are awaited) and its tenderer's name.
pub struct Reading<'a> {
    pub n: i64,
    pub bid: &'a Bid,
    pub outcome: Option<Value>,
    pub name: String,
}

pub enum Command<'a> {
    /// What the clock decides: the lobby, the closing (with the counted bids), the bond check
    /// (on the bonds and guarantees on record) and the start of decryption.
    Tick {
        bids: &'a [Bid],
        bonds: &'a [BondReceipt],
        guarantees: &'a [Guarantee],
        custodians: &'a [NamedCustodian],
        release_ms: i64,
    },
    /// What the released shares decide: who released, who is missing at the window's end, and
    /// each decided bid read out in order.
    Announce {
        readings: &'a [Reading<'a>],
        /// (bid id, custodian index) of every released share.
        shares: &'a [(String, u8)],
        custodians: &'a [NamedCustodian],
    },
    /// 签到, by the host, the supervisor or a tenderer (`has_bid`: with a bid that counts).
    SignIn {
        viewer: &'a Viewer,
        org_name: &'a str,
        has_bid: bool,
    },
    OpenWindow {
        minutes: i64,
    },
    Confirm {
        org: &'a OrgId,
        org_name: &'a str,
        n: i64,
    },
    Object {
        org: &'a OrgId,
        org_name: &'a str,
        line: Option<i64>,
        text: &'a str,
    },
    Answer {
        objection: i64,
        text: &'a str,
    },
    /// The supervisor suspends (`suspend: true`) or resumes.
    Suspend {
        suspend: bool,
        reason: &'a str,
    },
    /// The host concludes; the record is built from the events and signed with the log's key.
    Conclude {
        signer: &'a NoteSigner,
    },
}

/// An event decided on, before it is numbered.
#[derive(Debug, Clone, PartialEq)]
pub struct Decided {
    pub audience: Audience,
    pub body: Body,
}

#[derive(Debug, thiserror::Error)]
pub enum DecideError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// The events folded cannot be read into a record: a fault of the store.
    #[error(transparent)]
    Unreadable(#[from] EventError),
}

fn to(audience: Audience, body: Body) -> Decided {
    Decided { audience, body }
}

fn to_all(body: Body) -> Decided {
    to(Audience::Public, body)
}

/// The events `command` makes in `at`, or why it is refused. Empty when there is nothing to do.
pub fn decide(at: &Situation, command: &Command) -> Result<Vec<Decided>, DecideError> {
    let s = at.state;
    match command {
        Command::Tick {
            bids,
            bonds,
            guarantees,
            custodians,
            release_ms,
        } => Ok(tick(at, bids, bonds, guarantees, custodians, *release_ms)),
        Command::Announce {
            readings,
            shares,
            custodians,
        } => Ok(announce(at, readings, shares, custodians)),
        Command::SignIn {
            viewer,
            org_name,
            has_bid,
        } => {
            if !(viewer.hall || (viewer.role == "tenderer" && *has_bid)) {
                return Err(Refusal::Forbidden(
                    "only the host, the supervisor and tenderers with a bid that counts sign in",
                )
                .into());
            }
            if s.phase() == Phase::Scheduled || s.phase().is_over() {
                return Err(Refusal::WrongPhase {
                    phase: s.phase().as_str(),
                }
                .into());
            }
            let Some(org) = viewer.org.clone() else {
                return Err(Refusal::Forbidden("sign in first").into());
            };
            if s.participants
                .iter()
                .any(|p| p.org_id == org.as_str() && p.role == viewer.role)
            {
                return Ok(Vec::new());
            }
            // A tenderer's sign-in before the box closes would tell the hall that it bid
            // (招标投标法 第二十二条): it is its own until the close discloses the list.
            let audience = if viewer.hall {
                Audience::Public
            } else if access::hall_knows_the_tenderers(at.tender, at.now) {
                Audience::Party(org.clone())
            } else {
                Audience::Own(org.clone())
            };
            Ok(vec![to(
                audience,
                Body::SignedIn {
                    org_id: org.to_string(),
                    org_name: org_name.to_string(),
                    role: viewer.role.to_string(),
                },
            )])
        }
        Command::OpenWindow { minutes } => {
            if !(1..=120).contains(minutes) {
                return Err(Refusal::BadInput("minutes: between 1 and 120".into()).into());
            }
            s.require(&[Phase::Announced])?;
            let until = at.now.plus_millis(minutes * 60 * 1000);
            Ok(vec![to_all(Body::ConfirmationOpened {
                until,
                minutes: *minutes,
            })])
        }
        Command::Confirm { org, org_name, n } => {
            if s.line_of(org).is_none() {
                return Err(Refusal::Forbidden(
                    "only a tenderer whose bid was announced confirms its line",
                )
                .into());
            }
            s.may_confirm(org, *n, at.now)?;
            let line = s
                .line_of_number(*n)
                .map(|l| serde_json::to_value(l).expect("a line serialises"))
                .unwrap_or_default();
            let sha = hex::encode(ring::digest::digest(
                &ring::digest::SHA256,
                &crate::canonical::canonicalize(&line),
            ));
            Ok(vec![to(
                Audience::Party((*org).clone()),
                Body::LineConfirmed {
                    n: *n,
                    org_id: org.to_string(),
                    org_name: org_name.to_string(),
                    line_sha256: sha,
                },
            )])
        }
        Command::Object {
            org,
            org_name,
            line,
            text,
        } => {
            if s.line_of(org).is_none() {
                return Err(
                    Refusal::Forbidden("only a tenderer whose bid was announced objects").into(),
                );
            }
            let text = bounded(text, "text", 2000)?;
            s.require_window(at.now)?;
            if let Some(n) = line {
                s.line_of_number(*n).ok_or(Refusal::NotFound("line"))?;
            }
            Ok(vec![to(
                Audience::Party((*org).clone()),
                Body::ObjectionRaised {
                    id: s.objections.len() as i64 + 1,
                    n: *line,
                    org_id: org.to_string(),
                    org_name: org_name.to_string(),
                    text,
                },
            )])
        }
        Command::Answer { objection, text } => {
            let text = bounded(text, "text", 2000)?;
            s.require(&[Phase::Confirming])?;
            let (o, org) = s
                .objections
                .iter()
                .find(|(o, _)| o.id == *objection)
                .ok_or(Refusal::NotFound("objection"))?;
            if o.answer.is_some() {
                return Err(Refusal::BadInput(format!(
                    "objection {objection} is already answered"
                ))
                .into());
            }
            Ok(vec![to(
                Audience::Party(org.clone()),
                Body::ObjectionAnswered {
                    id: *objection,
                    answer: text,
                },
            )])
        }
        Command::Suspend { suspend, reason } => {
            let reason = bounded(reason, "reason", 500)?;
            if s.phase().is_over() || s.phase() == Phase::Scheduled {
                return Err(Refusal::WrongPhase {
                    phase: s.phase().as_str(),
                }
                .into());
            }
            match (suspend, &s.suspended) {
                (true, Some(_)) => {
                    Err(Refusal::BadInput("the opening is already suspended".into()).into())
                }
                (false, None) => {
                    Err(Refusal::BadInput("the opening is not suspended".into()).into())
                }
                (true, None) => Ok(vec![to_all(Body::Suspended { reason })]),
                (false, Some(_)) => Ok(vec![to_all(Body::Resumed { reason })]),
            }
        }
        Command::Conclude { signer } => {
            s.may_conclude(at.now)?;
            // The record covers every event before the conclusion.
            let rec = record::build(at.tender, at.events, &at.now.to_rfc3339())?;
            let record_sha256 = record::sha256(&rec);
            let signature = record::sign(signer, at.tender.id.as_str(), &record_sha256);
            Ok(vec![to_all(Body::Concluded {
                record_sha256,
                signature,
            })])
        }
    }
}

/// A text of 1 to `max` characters, trimmed.
pub fn bounded(text: &str, field: &str, max: usize) -> Result<String, Refusal> {
    crate::domain::text::bounded(text, field, max).map_err(Refusal::BadInput)
}

/// Lots with fewer than 3 bids at the deadline are not opened (条例 第四十四条: fewer than 3
/// tenderers, the lot is tendered again): their bids stay sealed, nobody releases or reads them.
/// A lot is counted on its own, so one thin lot does not hold back the others.
pub const MIN_BIDS_PER_LOT: usize = 3;

/// The lots not opened among the counted bids, in the order their first bid was received.
pub fn lots_not_opened(bids: &[Bid]) -> Vec<ev::LotNotOpened> {
    let mut lots: Vec<ev::LotNotOpened> = Vec::new();
    for b in bids {
        match lots.iter_mut().find(|l| l.lot_id == b.lot_id) {
            Some(l) => l.count += 1,
            None => lots.push(ev::LotNotOpened {
                lot_id: b.lot_id.clone(),
                count: 1,
            }),
        }
    }
    lots.retain(|l| (l.count as usize) < MIN_BIDS_PER_LOT);
    lots
}

/// Does `bid`'s lot open, among the counted `bids`?
pub fn opens(bids: &[Bid], bid: &Bid) -> bool {
    bids.iter().filter(|b| b.lot_id == bid.lot_id).count() >= MIN_BIDS_PER_LOT
}

/// The counted bids that are opened: those of lots with at least 3 bids, in the counted order.
pub fn to_open(bids: &[Bid]) -> Vec<&Bid> {
    bids.iter().filter(|b| opens(bids, b)).collect()
}

/// The counted bids with their line numbers (1, 2, … in the order received, as `box_closed`
/// lists them).
pub fn numbered(bids: &[Bid]) -> impl Iterator<Item = (i64, &Bid)> {
    bids.iter().enumerate().map(|(i, b)| (i as i64 + 1, b))
}

/// The clock's steps, in order, as far as `at.now` allows.
fn tick(
    at: &Situation,
    bids: &[Bid],
    bonds: &[BondReceipt],
    guarantees: &[Guarantee],
    custodians: &[NamedCustodian],
    release_ms: i64,
) -> Vec<Decided> {
    let (t, s, now) = (at.tender, at.state, at.now);
    let deadline = t.spec.schedule.bid_deadline;
    let mut p = Vec::new();
    let mut phase = s.phase();
    if phase == Phase::Scheduled && now >= deadline.plus_millis(-LOBBY_MS) {
        p.push(to_all(Body::LobbyOpened { deadline }));
        phase = Phase::Lobby;
    }
    if matches!(phase, Phase::Scheduled | Phase::Lobby) && now >= deadline {
        let order: Vec<ev::OrderLine> = bids
            .iter()
            .enumerate()
            .map(|(i, b)| ev::OrderLine {
                n: i as i64 + 1,
                lot_id: b.lot_id.clone(),
                commitment: b.commitment.clone(),
            })
            .collect();
        p.push(to_all(Body::BoxClosed {
            count: bids.len() as i64,
            order,
        }));
        // Who signed in from the lobby, kept from the hall until now (法 第二十二条).
        let lobby: Vec<ev::DisclosedSignIn> = s
            .participants
            .iter()
            .filter(|p| matches!(p.audience, Audience::Own(_)))
            .map(|p| ev::DisclosedSignIn {
                org_id: p.org_id.clone(),
                org_name: p.org_name.clone(),
                role: p.role.clone(),
                at: p.at.clone(),
            })
            .collect();
        if !lobby.is_empty() {
            p.push(to(
                Audience::Hall,
                Body::SignInsDisclosed {
                    participants: lobby,
                },
            ));
        }
        phase = Phase::Closed;
        let not_opened = lots_not_opened(bids);
        if to_open(bids).is_empty() {
            p.push(to_all(Body::OpeningFailed {
                count: bids.len() as i64,
                rule: "min_three_bids".into(),
                article: "条例44".into(),
                message: format!(
                    "{} bid(s) by the deadline; fewer than 3 tenderers, so the tender fails and is tendered again (招标投标法实施条例 第四十四条)",
                    bids.len()
                ),
            }));
            return p;
        }
        if !not_opened.is_empty() {
            p.push(to_all(Body::LotsNotOpened {
                lots: not_opened,
                rule: "min_three_bids".into(),
                article: "条例44".into(),
            }));
        }
    }
    if phase == Phase::Closed && s.suspended.is_none() {
        // Only bonds received by the deadline count.
        let on_time: Vec<BondReceipt> = bonds
            .iter()
            .filter(|r| r.received_at <= deadline)
            .cloned()
            .collect();
        let lines: Vec<ev::BondLine> = numbered(bids)
            .filter(|(_, b)| opens(bids, b))
            .map(|(n, b)| {
                let required = t
                    .spec
                    .lots
                    .iter()
                    .find(|l| l.id.as_str() == b.lot_id)
                    .map_or(Money::ZERO, |l| l.bid_bond_fen);
                let mut status = BondStatus::of(required, &b.lot_id, &b.org_id, &on_time);
                if status == BondStatus::Missing
                    && LotId::parse(&b.lot_id).is_ok_and(|lot| {
                        crate::bonds::guarantee::covers_bid_bond(
                            guarantees, &t.id, &lot, &b.org_id, required, deadline,
                        )
                    })
                {
                    status = BondStatus::Guaranteed;
                }
                ev::BondLine {
                    n,
                    bond: status.as_str().to_string(),
                    required_fen: required,
                }
            })
            .collect();
        p.push(to_all(Body::BondsChecked { lines }));
        p.push(to_all(Body::DecryptionStarted {
            k: i64::from(t.spec.custodians.k),
            custodians: custodians
                .iter()
                .map(|c| ev::Custodian {
                    index: i64::from(c.index),
                    kind: c.kind.clone(),
                    org_name: c.name.clone(),
                })
                .collect(),
            release_until: now.plus_millis(release_ms),
        }));
    }
    p
}

/// Releases, missing custodians at the window's end, then each decided bid read out in order
/// (a bid still waiting for shares holds back the ones after it).
fn announce(
    at: &Situation,
    readings: &[Reading],
    shares: &[(String, u8)],
    custodians: &[NamedCustodian],
) -> Vec<Decided> {
    let (t, s, now) = (at.tender, at.state, at.now);
    if !matches!(s.phase(), Phase::Decrypting | Phase::Announcing) || s.suspended.is_some() {
        return Vec::new();
    }
    let mut p = Vec::new();
    let progress: Vec<ev::Progress> = readings
        .iter()
        .map(|r| ev::Progress {
            n: r.n,
            released: shares.iter().filter(|(bid, _)| *bid == r.bid.id).count() as i64,
            needed: i64::from(t.spec.custodians.k),
        })
        .collect();
    let name_of = |index: u8| {
        custodians
            .iter()
            .find(|c| c.index == index)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    };
    let mut released_by: Vec<u8> = shares.iter().map(|(_, i)| *i).collect();
    released_by.sort_unstable();
    released_by.dedup();
    for index in &released_by {
        if !s.released.contains(&i64::from(*index)) {
            p.push(to_all(Body::SharesReleased {
                custodian: i64::from(*index),
                by: name_of(*index),
                progress: progress.clone(),
            }));
        }
    }
    // The window's end names every custodian that has not released, before what the shares
    // released in time open is announced.
    if !s.missing_reported && s.release_until.is_some_and(|u| now >= u) {
        let missing: Vec<ev::MissingCustodian> = custodians
            .iter()
            .filter(|c| !released_by.contains(&c.index))
            .map(|c| ev::MissingCustodian {
                index: i64::from(c.index),
                org_name: c.name.clone(),
            })
            .collect();
        let waiting: Vec<i64> = readings
            .iter()
            .filter(|r| r.outcome.is_none())
            .map(|r| r.n)
            .collect();
        if !missing.is_empty() {
            p.push(to_all(Body::CustodiansMissing { missing, waiting }));
        }
    }
    let mut announced = s.lines.len();
    for r in readings.iter().skip(announced) {
        let Some(outcome) = &r.outcome else { break };
        let bond = s
            .bonds
            .get(&r.n)
            .cloned()
            .unwrap_or_else(|| "missing".into());
        p.push(to_all(Body::BidAnnounced(Box::new(announcement(
            r.n, r.bid, &r.name, outcome, &bond,
        )))));
        announced += 1;
    }
    if announced == readings.len() {
        p.push(to_all(Body::AnnouncementComplete {
            lines: announced as i64,
        }));
    }
    p
}

/// A bid's line as read out: its terms, or why it could not be opened and whose fault that is.
fn announcement(n: i64, b: &Bid, name: &str, outcome: &Value, bond: &str) -> ev::Line {
    let mut line = ev::Line {
        n,
        lot_id: b.lot_id.clone(),
        org_id: b.org_id.to_string(),
        org_name: name.to_string(),
        commitment: b.commitment.clone(),
        bond: bond.to_string(),
        status: "failed".into(),
        price_fen: None,
        duration_days: Value::Null,
        quality: None,
        reason: Value::Null,
        fault: None,
        announced_key: Value::Null,
    };
    if outcome["status"] != "opened" {
        line.reason = outcome["reason"].clone();
        // The stored outcome says "the tenderer" or "custodian i"; the announcement says
        // `tenderer` or `custodian i`.
        line.fault = match outcome["fault"].as_str() {
            Some("the tenderer") => Some("tenderer".into()),
            Some(other) => Some(other.into()),
            None => None,
        };
        return line;
    }
    let bid = &outcome["bid"];
    let price = bid["price_fen"]
        .as_i64()
        .or_else(|| bid["price_fen"].as_str().and_then(|s| s.parse().ok()))
        .filter(|p| *p > 0)
        .and_then(|p| Money::from_fen(p).ok());
    let Some(price) = price else {
        line.reason = "bid.json has no valid price_fen".into();
        line.fault = Some("tenderer".into());
        return line;
    };
    line.status = "opened".into();
    line.announced_key = outcome["announced_key"].clone();
    line.price_fen = Some(price);
    line.duration_days = bid["duration_days"].clone();
    line.quality = match (&bid["quality_commitment"], &bid["quality"]) {
        (Value::String(q), _) | (_, Value::String(q)) => Some(q.clone()),
        _ => None,
    };
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bids::BidState;
    use crate::domain::TenderId;
    use serde_json::json;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    /// A published tender of one lot (bond 20 000 元), its deadline 20 days after `issued`.
    fn tender() -> Tender {
        crate::tenders::law::tests::published(t("2026-11-01T01:00:00Z"))
    }

    fn bid(t: &Tender, n: u8) -> Bid {
        Bid {
            id: format!("bid-{n}"),
            tender_id: t.id.clone(),
            lot_id: t.spec.lots[0].id.to_string(),
            org_id: OrgId::generate(),
            salt: String::new(),
            commitment: format!("{n:064x}"),
            envelope_sha256: String::new(),
            size: 1,
            state: BidState::Submitted,
            received_at: t.spec.schedule.docs_from,
            log_index: i64::from(n),
        }
    }

    fn bond(t: &Tender, b: &Bid, at: Timestamp) -> BondReceipt {
        BondReceipt {
            id: format!("r-{}", b.id),
            tender_id: TenderId::from_stored(t.id.to_string()),
            lot_id: b.lot_id.clone(),
            org_id: b.org_id.clone(),
            amount_fen: t.spec.lots[0].bid_bond_fen,
            reference: b.id.clone(),
            recorded_by: "财务".into(),
            received_at: at,
        }
    }

    fn custodians() -> Vec<NamedCustodian> {
        (1..=4)
            .map(|index| NamedCustodian {
                index,
                kind: json!("witness"),
                name: format!("保管人{index}"),
            })
            .collect()
    }

    /// The events so far, and `command` decided and appended on them at `now`.
    fn step(
        tender: &Tender,
        events: &mut Vec<OpeningEvent>,
        now: Timestamp,
        command: &Command,
    ) -> Result<Vec<Decided>, DecideError> {
        let state = OpeningState::fold(events).unwrap();
        let at = Situation {
            tender,
            state: &state,
            now,
            events,
        };
        let decided = decide(&at, command)?;
        for d in &decided {
            let (kind, body) = ev::split(&d.body);
            events.push(OpeningEvent {
                seq: events.len() as i64 + 1,
                at: now,
                kind,
                audience: d.audience.clone(),
                body,
            });
        }
        Ok(decided)
    }

    fn kinds(decided: &[Decided]) -> Vec<String> {
        decided.iter().map(|d| ev::split(&d.body).0).collect()
    }

    fn tick<'a>(bids: &'a [Bid], bonds: &'a [BondReceipt], c: &'a [NamedCustodian]) -> Command<'a> {
        Command::Tick {
            bids,
            bonds,
            guarantees: &[],
            custodians: c,
            release_ms: 30 * 60 * 1000,
        }
    }

    #[test]
    fn two_bids_at_the_deadline_fail_the_opening_条例44() {
        let tender = tender();
        let deadline = tender.spec.schedule.bid_deadline;
        let bids = vec![bid(&tender, 1), bid(&tender, 2)];
        let c = custodians();
        let mut events = Vec::new();
        let d = step(&tender, &mut events, deadline, &tick(&bids, &[], &c)).unwrap();
        assert_eq!(kinds(&d), ["lobby_opened", "box_closed", "opening_failed"]);
        let Body::OpeningFailed { count, rule, .. } = &d[2].body else {
            panic!("not a failure: {d:?}")
        };
        assert_eq!((*count, rule.as_str()), (2, "min_three_bids"));
        let s = OpeningState::fold(&events).unwrap();
        assert_eq!(s.phase(), Phase::Failed);
        // Nothing more happens, whatever the clock.
        let later = step(
            &tender,
            &mut events,
            deadline.plus_days(1),
            &tick(&bids, &[], &c),
        );
        assert!(later.unwrap().is_empty());
    }

    #[test]
    fn three_bids_close_the_box_check_bonds_paid_by_the_deadline_and_start_decryption() {
        let tender = tender();
        let deadline = tender.spec.schedule.bid_deadline;
        let bids: Vec<Bid> = (1..=3).map(|n| bid(&tender, n)).collect();
        // The first paid in time, the second a minute late, the third not at all.
        let bonds = vec![
            bond(&tender, &bids[0], deadline.plus_millis(-1)),
            bond(&tender, &bids[1], deadline.plus_millis(60_000)),
        ];
        let c = custodians();
        let mut events = Vec::new();
        let lobby = deadline.plus_millis(-LOBBY_MS);
        let d = step(
            &tender,
            &mut events,
            lobby.plus_millis(-1),
            &tick(&[], &[], &c),
        )
        .unwrap();
        assert!(d.is_empty(), "nothing before the lobby: {d:?}");
        let d = step(&tender, &mut events, lobby, &tick(&[], &[], &c)).unwrap();
        assert_eq!(kinds(&d), ["lobby_opened"]);
        let d = step(&tender, &mut events, deadline, &tick(&bids, &bonds, &c)).unwrap();
        assert_eq!(
            kinds(&d),
            ["box_closed", "bonds_checked", "decryption_started"]
        );
        let Body::BondsChecked { lines } = &d[1].body else {
            panic!("{d:?}")
        };
        let bonds: Vec<&str> = lines.iter().map(|l| l.bond.as_str()).collect();
        assert_eq!(bonds, ["received", "missing", "missing"]);
        let Body::DecryptionStarted { release_until, .. } = &d[2].body else {
            panic!("{d:?}")
        };
        assert_eq!(*release_until, deadline.plus_millis(30 * 60 * 1000));
    }

    #[test]
    fn a_lobby_sign_in_is_its_own_until_the_close_discloses_it_to_the_hall_法22() {
        let tender = tender();
        let deadline = tender.spec.schedule.bid_deadline;
        let bids: Vec<Bid> = (1..=3).map(|n| bid(&tender, n)).collect();
        let c = custodians();
        let mut events = Vec::new();
        let lobby = deadline.plus_millis(-LOBBY_MS);
        let viewer = Viewer {
            hall: false,
            role: "tenderer",
            org: Some(bids[0].org_id.clone()),
        };
        let sign_in = Command::SignIn {
            viewer: &viewer,
            org_name: "某建设公司",
            has_bid: true,
        };
        // Before the lobby opens there is nothing to sign in to.
        let early = step(&tender, &mut events, lobby.plus_millis(-1), &sign_in);
        assert!(matches!(
            early,
            Err(DecideError::Refused(Refusal::WrongPhase {
                phase: "scheduled"
            }))
        ));
        step(&tender, &mut events, lobby, &tick(&[], &[], &c)).unwrap();
        let d = step(&tender, &mut events, lobby.plus_millis(1), &sign_in).unwrap();
        assert_eq!(d[0].audience, Audience::Own(bids[0].org_id.clone()));
        // Signing in again changes nothing.
        assert!(step(&tender, &mut events, lobby.plus_millis(2), &sign_in)
            .unwrap()
            .is_empty());
        let d = step(&tender, &mut events, deadline, &tick(&bids, &[], &c)).unwrap();
        let disclosed = d
            .iter()
            .find(|d| matches!(d.body, Body::SignInsDisclosed { .. }))
            .expect("the close discloses the lobby's sign-ins");
        assert_eq!(disclosed.audience, Audience::Hall);
        // A tenderer without a bid that counts never signs in.
        let stranger = Command::SignIn {
            viewer: &viewer,
            org_name: "某建设公司",
            has_bid: false,
        };
        assert!(matches!(
            step(&tender, &mut events, deadline, &stranger),
            Err(DecideError::Refused(Refusal::Forbidden(_)))
        ));
    }

    #[test]
    fn bids_are_read_out_in_order_and_one_waiting_for_shares_holds_back_the_rest() {
        let tender = tender();
        let deadline = tender.spec.schedule.bid_deadline;
        let bids: Vec<Bid> = (1..=3).map(|n| bid(&tender, n)).collect();
        let c = custodians();
        let mut events = Vec::new();
        step(&tender, &mut events, deadline, &tick(&bids, &[], &c)).unwrap();
        let opened =
            json!({"status": "opened", "bid": {"price_fen": 98_000_000, "duration_days": 300}});
        let failed =
            json!({"status": "failed", "reason": "header MAC fails", "fault": "the tenderer"});
        let readings = |outcomes: [Option<&Value>; 3]| -> Vec<Reading> {
            bids.iter()
                .zip(outcomes)
                .enumerate()
                .map(|(i, (b, o))| Reading {
                    n: i as i64 + 1,
                    bid: b,
                    outcome: o.cloned(),
                    name: format!("投标人{}", i + 1),
                })
                .collect()
        };
        let shares: Vec<(String, u8)> = vec![("bid-1".into(), 1), ("bid-3".into(), 1)];
        let first = readings([Some(&opened), None, Some(&failed)]);
        let announce = Command::Announce {
            readings: &first,
            shares: &shares,
            custodians: &c,
        };
        let d = step(&tender, &mut events, deadline.plus_millis(1), &announce).unwrap();
        // Custodian 1 released; line 1 is read out; line 3 waits behind line 2.
        assert_eq!(kinds(&d), ["shares_released", "bid_announced"]);
        let all = readings([Some(&opened), Some(&opened), Some(&failed)]);
        let announce = Command::Announce {
            readings: &all,
            shares: &shares,
            custodians: &c,
        };
        let d = step(&tender, &mut events, deadline.plus_millis(2), &announce).unwrap();
        assert_eq!(
            kinds(&d),
            ["bid_announced", "bid_announced", "announcement_complete"]
        );
        let Body::BidAnnounced(line) = &d[1].body else {
            panic!("{d:?}")
        };
        assert_eq!((line.n, line.status.as_str()), (3, "failed"));
        assert_eq!(line.fault.as_deref(), Some("tenderer"));
        assert_eq!(
            OpeningState::fold(&events).unwrap().phase(),
            Phase::Announced
        );
    }

    #[test]
    fn an_objection_from_a_non_party_is_refused_for_who_it_is_before_what_it_says() {
        let tender = tender();
        let deadline = tender.spec.schedule.bid_deadline;
        let bids: Vec<Bid> = (1..=3).map(|n| bid(&tender, n)).collect();
        let mut events = Vec::new();
        step(
            &tender,
            &mut events,
            deadline,
            &tick(&bids, &[], &custodians()),
        )
        .unwrap();
        let outsider = OrgId::generate();
        let object = Command::Object {
            org: &outsider,
            org_name: "旁观者",
            line: None,
            text: "",
        };
        assert!(matches!(
            step(&tender, &mut events, deadline, &object),
            Err(DecideError::Refused(Refusal::Forbidden(_)))
        ));
    }
}
