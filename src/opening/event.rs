//! The opening's event bodies as types (docs/opening.md §2): one variant per kind, serialised to
//! exactly the JSON the hall has always stored, so the audit log's and the record's hashes stand.
//! Parsing is strict: a stored body that is not exactly one of these is an error, never a default.

use crate::domain::{Money, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Every kind of opening event, in the order of docs/opening.md §2. The JS fold's switch is
/// checked against this list by the vector in docs/vectors/opening-events-v1.json.
pub const KINDS: &[&str] = &[
    "lobby_opened",
    "signed_in",
    "box_closed",
    "sign_ins_disclosed",
    "opening_failed",
    "lots_not_opened",
    "bonds_checked",
    "decryption_started",
    "shares_released",
    "custodians_missing",
    "bid_announced",
    "announcement_complete",
    "confirmation_opened",
    "line_confirmed",
    "objection_raised",
    "objection_answered",
    "suspended",
    "resumed",
    "concluded",
];

/// A stored event that is not one the hall writes. The fold stops at it: the state of an opening
/// whose list cannot be read is not guessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("event {seq}: unknown kind {kind:?}")]
    UnknownKind { seq: i64, kind: String },
    #[error("event {seq} ({kind}): the body does not parse: {reason}")]
    Malformed {
        seq: i64,
        kind: String,
        reason: String,
    },
}

/// Parses `{kind, body}` as `T` and insists that `T` writes the body back unchanged: a field
/// missing, renamed, added or of another type is an error, so what the fold reads is what the
/// hashes cover.
pub fn parse_exact<T>(kinds: &[&str], seq: i64, kind: &str, body: &Value) -> Result<T, EventError>
where
    T: Serialize + for<'de> Deserialize<'de>,
{
    if !kinds.contains(&kind) {
        return Err(EventError::UnknownKind {
            seq,
            kind: kind.to_string(),
        });
    }
    let malformed = |reason: String| EventError::Malformed {
        seq,
        kind: kind.to_string(),
        reason,
    };
    let tagged = serde_json::json!({ "kind": kind, "body": body });
    let typed: T = serde_json::from_value(tagged.clone()).map_err(|e| malformed(e.to_string()))?;
    let back = serde_json::to_value(&typed).map_err(|e| malformed(e.to_string()))?;
    if back != tagged {
        return Err(malformed(format!(
            "not in the form the hall writes (read back as {})",
            back["body"]
        )));
    }
    Ok(typed)
}

/// The kind and body of a typed event, for storing.
pub fn split<T: Serialize>(typed: &T) -> (String, Value) {
    let mut v = serde_json::to_value(typed).expect("an event body serialises");
    let kind = v["kind"].as_str().expect("a tagged event").to_string();
    (kind, v["body"].take())
}

/// `box_closed.order[]`: a bid by its place in the announcement order, anonymous.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct OrderLine {
    pub n: i64,
    pub lot_id: String,
    pub commitment: String,
}

/// `sign_ins_disclosed.participants[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisclosedSignIn {
    pub org_id: String,
    pub org_name: String,
    pub role: String,
    pub at: String,
}

/// `bonds_checked.lines[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BondLine {
    pub n: i64,
    /// `received`, `missing`, `not_required` or `guaranteed`.
    pub bond: String,
    pub required_fen: Money,
}

/// `decryption_started.custodians[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Custodian {
    pub index: i64,
    /// The custodian's kind as the tender spells it (`time_release`, `agent`, …).
    pub kind: Value,
    pub org_name: String,
}

/// `shares_released.progress[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Progress {
    pub n: i64,
    pub released: i64,
    pub needed: i64,
}

/// `custodians_missing.missing[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MissingCustodian {
    pub index: i64,
    pub org_name: String,
}

/// `bid_announced`: a bid's line as read out (唱标).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Line {
    pub n: i64,
    pub lot_id: String,
    pub org_id: String,
    pub org_name: String,
    pub commitment: String,
    pub bond: String,
    /// `opened` or `failed`.
    pub status: String,
    /// The announced price: present exactly when the bid was opened.
    pub price_fen: Option<Money>,
    /// As the tenderer's `bid.json` says it, whatever its type: the hall reads it out, it does
    /// not judge it.
    pub duration_days: Value,
    pub quality: Option<String>,
    /// Why a failed bid could not be opened (as the bid box said it).
    pub reason: Value,
    /// `tenderer` or `custodian i`, for a failed bid.
    pub fault: Option<String>,
    pub announced_key: Value,
}

/// A lot not opened, and how many bids it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LotNotOpened {
    pub lot_id: String,
    pub count: i64,
}

impl Line {
    pub fn opened(&self) -> bool {
        self.status == "opened"
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum Body {
    LobbyOpened {
        deadline: Timestamp,
    },
    SignedIn {
        org_id: String,
        org_name: String,
        /// `host`, `supervisor` or `tenderer`.
        role: String,
    },
    BoxClosed {
        count: i64,
        order: Vec<OrderLine>,
    },
    SignInsDisclosed {
        participants: Vec<DisclosedSignIn>,
    },
    OpeningFailed {
        count: i64,
        rule: String,
        article: String,
        message: String,
    },
    /// Lots with fewer than 3 bids at the deadline are not opened (条例 第四十四条): their bids
    /// stay sealed, their bonds go back, and the other lots go on.
    LotsNotOpened {
        lots: Vec<LotNotOpened>,
        rule: String,
        article: String,
    },
    BondsChecked {
        lines: Vec<BondLine>,
    },
    DecryptionStarted {
        k: i64,
        custodians: Vec<Custodian>,
        release_until: Timestamp,
    },
    SharesReleased {
        custodian: i64,
        by: String,
        progress: Vec<Progress>,
    },
    CustodiansMissing {
        missing: Vec<MissingCustodian>,
        waiting: Vec<i64>,
    },
    BidAnnounced(Box<Line>),
    AnnouncementComplete {
        lines: i64,
    },
    ConfirmationOpened {
        until: Timestamp,
        minutes: i64,
    },
    LineConfirmed {
        n: i64,
        org_id: String,
        org_name: String,
        line_sha256: String,
    },
    ObjectionRaised {
        id: i64,
        n: Option<i64>,
        org_id: String,
        org_name: String,
        text: String,
    },
    ObjectionAnswered {
        id: i64,
        answer: String,
    },
    Suspended {
        reason: String,
    },
    Resumed {
        reason: String,
    },
    Concluded {
        record_sha256: String,
        signature: String,
    },
}

impl Body {
    /// A stored event's body, strictly (see [`parse_exact`]); an opened line must carry a
    /// positive price, since the lowest price wins.
    pub fn parse(seq: i64, kind: &str, body: &Value) -> Result<Body, EventError> {
        let b: Body = parse_exact(KINDS, seq, kind, body)?;
        if let Body::BidAnnounced(l) = &b {
            if l.opened() && l.price_fen.is_none_or(|p| p.fen() <= 0) {
                return Err(EventError::Malformed {
                    seq,
                    kind: kind.into(),
                    reason: "an opened line has no positive price_fen".into(),
                });
            }
        }
        Ok(b)
    }

    pub fn kind(&self) -> String {
        split(self).0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn canonical(kind: &str, body: &Value) -> String {
        String::from_utf8(crate::canonical::canonicalize(
            &json!({ "kind": kind, "body": body }),
        ))
        .unwrap()
    }

    /// Each variant, and the body the hall wrote for it before the bodies were typed (the
    /// `json!` of the use cases as they were): their canonical bytes are the same.
    fn pairs() -> Vec<(Body, &'static str, Value)> {
        let line = Line {
            n: 1,
            lot_id: "lot-1".into(),
            org_id: "org-a".into(),
            org_name: "甲".into(),
            commitment: "c1".into(),
            bond: "received".into(),
            status: "opened".into(),
            price_fen: Some(Money::from_fen(98_765_400).unwrap()),
            duration_days: json!(180),
            quality: Some("合格".into()),
            reason: Value::Null,
            fault: None,
            announced_key: json!("ab"),
        };
        let failed = Line {
            status: "failed".into(),
            price_fen: None,
            duration_days: Value::Null,
            quality: None,
            reason: json!("corrupt_payload"),
            fault: Some("tenderer".into()),
            announced_key: Value::Null,
            ..line.clone()
        };
        vec![
            (
                Body::LobbyOpened {
                    deadline: t("2027-03-26T01:00:00.000Z"),
                },
                "lobby_opened",
                json!({ "deadline": "2027-03-26T01:00:00.000Z" }),
            ),
            (
                Body::SignedIn {
                    org_id: "o".into(),
                    org_name: "甲".into(),
                    role: "tenderer".into(),
                },
                "signed_in",
                json!({ "org_id": "o", "org_name": "甲", "role": "tenderer" }),
            ),
            (
                Body::BoxClosed {
                    count: 1,
                    order: vec![OrderLine {
                        n: 1,
                        lot_id: "lot-1".into(),
                        commitment: "c1".into(),
                    }],
                },
                "box_closed",
                json!({ "count": 1usize, "order": [json!({ "n": 1usize, "lot_id": "lot-1", "commitment": "c1" })] }),
            ),
            (
                Body::SignInsDisclosed {
                    participants: vec![DisclosedSignIn {
                        org_id: "o".into(),
                        org_name: "甲".into(),
                        role: "tenderer".into(),
                        at: "2027-03-26T00:40:00.000Z".into(),
                    }],
                },
                "sign_ins_disclosed",
                json!({ "participants": [{ "org_id": "o", "org_name": "甲", "role": "tenderer", "at": "2027-03-26T00:40:00.000Z" }] }),
            ),
            (
                Body::OpeningFailed {
                    count: 2,
                    rule: "min_three_bids".into(),
                    article: "条例44".into(),
                    message: "m".into(),
                },
                "opening_failed",
                json!({ "count": 2usize, "rule": "min_three_bids", "article": "条例44", "message": "m" }),
            ),
            (
                Body::LotsNotOpened {
                    lots: vec![LotNotOpened {
                        lot_id: "lot-2".into(),
                        count: 1,
                    }],
                    rule: "min_three_bids".into(),
                    article: "条例44".into(),
                },
                "lots_not_opened",
                json!({ "lots": [{ "lot_id": "lot-2", "count": 1 }], "rule": "min_three_bids", "article": "条例44" }),
            ),
            (
                Body::BondsChecked {
                    lines: vec![BondLine {
                        n: 1,
                        bond: "received".into(),
                        required_fen: Money::from_fen(2_000_000).unwrap(),
                    }],
                },
                "bonds_checked",
                json!({ "lines": [json!({ "n": 1usize, "bond": "received", "required_fen": 2_000_000i64 })] }),
            ),
            (
                Body::DecryptionStarted {
                    k: 2,
                    custodians: vec![Custodian {
                        index: 1,
                        kind: json!("time_release"),
                        org_name: "时间锁".into(),
                    }],
                    release_until: t("2027-03-26T02:00:00.000Z"),
                },
                "decryption_started",
                json!({
                    "k": 2u8, "custodians": [json!({ "index": 1u8, "kind": "time_release", "org_name": "时间锁" })],
                    "release_until": "2027-03-26T02:00:00.000Z",
                }),
            ),
            (
                Body::SharesReleased {
                    custodian: 2,
                    by: "代理".into(),
                    progress: vec![Progress {
                        n: 1,
                        released: 2,
                        needed: 2,
                    }],
                },
                "shares_released",
                json!({ "custodian": 2u8, "by": "代理", "progress": [json!({ "n": 1i64, "released": 2usize, "needed": 2u8 })] }),
            ),
            (
                Body::CustodiansMissing {
                    missing: vec![MissingCustodian {
                        index: 3,
                        org_name: "监督".into(),
                    }],
                    waiting: vec![2],
                },
                "custodians_missing",
                json!({ "missing": [json!({ "index": 3u8, "org_name": "监督" })], "waiting": [2i64] }),
            ),
            (
                Body::BidAnnounced(Box::new(line)),
                "bid_announced",
                json!({
                    "n": 1, "lot_id": "lot-1", "org_id": "org-a", "org_name": "甲",
                    "commitment": "c1", "bond": "received", "status": "opened",
                    "price_fen": 98_765_400i64, "duration_days": 180, "quality": "合格", "reason": null, "fault": null,
                    "announced_key": "ab",
                }),
            ),
            (
                Body::BidAnnounced(Box::new(failed)),
                "bid_announced",
                json!({
                    "n": 1, "lot_id": "lot-1", "org_id": "org-a", "org_name": "甲",
                    "commitment": "c1", "bond": "received", "status": "failed",
                    "price_fen": null, "duration_days": null, "quality": null, "reason": "corrupt_payload",
                    "fault": "tenderer", "announced_key": null,
                }),
            ),
            (
                Body::AnnouncementComplete { lines: 3 },
                "announcement_complete",
                json!({ "lines": 3usize }),
            ),
            (
                Body::ConfirmationOpened {
                    until: t("2027-03-26T02:30:00.000Z"),
                    minutes: 30,
                },
                "confirmation_opened",
                json!({ "until": "2027-03-26T02:30:00.000Z", "minutes": 30i64 }),
            ),
            (
                Body::LineConfirmed {
                    n: 1,
                    org_id: "o".into(),
                    org_name: "甲".into(),
                    line_sha256: "ab".into(),
                },
                "line_confirmed",
                json!({ "n": 1i64, "org_id": "o", "org_name": "甲", "line_sha256": "ab" }),
            ),
            (
                Body::ObjectionRaised {
                    id: 1,
                    n: None,
                    org_id: "o".into(),
                    org_name: "甲".into(),
                    text: "x".into(),
                },
                "objection_raised",
                json!({ "id": 1i64, "n": Option::<i64>::None, "org_id": "o", "org_name": "甲", "text": "x" }),
            ),
            (
                Body::ObjectionAnswered {
                    id: 1,
                    answer: "y".into(),
                },
                "objection_answered",
                json!({ "id": 1i64, "answer": "y" }),
            ),
            (
                Body::Suspended { reason: "r".into() },
                "suspended",
                json!({ "reason": "r" }),
            ),
            (
                Body::Resumed { reason: "r".into() },
                "resumed",
                json!({ "reason": "r" }),
            ),
            (
                Body::Concluded {
                    record_sha256: "h".into(),
                    signature: "s".into(),
                },
                "concluded",
                json!({ "record_sha256": "h", "signature": "s" }),
            ),
        ]
    }

    #[test]
    fn every_variant_writes_the_bytes_the_hall_always_wrote() {
        let pairs = pairs();
        for (typed, kind, before) in &pairs {
            let (k, body) = split(typed);
            assert_eq!(k, *kind);
            assert_eq!(canonical(&k, &body), canonical(kind, before), "{kind}");
            assert_eq!(&Body::parse(1, kind, before).unwrap(), typed, "{kind}");
        }
        let covered: std::collections::BTreeSet<&str> = pairs.iter().map(|p| p.1).collect();
        assert_eq!(covered, KINDS.iter().copied().collect());
    }

    #[test]
    fn an_unknown_kind_is_reported_not_skipped() {
        assert_eq!(
            Body::parse(7, "bid_withdrawn", &json!({})),
            Err(EventError::UnknownKind {
                seq: 7,
                kind: "bid_withdrawn".into()
            })
        );
    }

    #[test]
    fn a_missing_renamed_or_extra_field_is_an_error_not_a_default() {
        let good = &pairs()[10].2;
        assert!(Body::parse(1, "bid_announced", good).is_ok());
        let mut renamed = good.clone();
        let price = renamed
            .as_object_mut()
            .unwrap()
            .remove("price_fen")
            .unwrap();
        assert!(Body::parse(1, "bid_announced", &renamed).is_err());
        renamed["price"] = price;
        assert!(Body::parse(1, "bid_announced", &renamed).is_err());
        let mut negative = good.clone();
        negative["price_fen"] = json!(-1);
        assert!(Body::parse(1, "bid_announced", &negative).is_err());
        let mut unpriced = good.clone();
        unpriced["price_fen"] = Value::Null;
        assert!(matches!(
            Body::parse(1, "bid_announced", &unpriced),
            Err(EventError::Malformed { .. })
        ));
        let mut as_text = good.clone();
        as_text["price_fen"] = json!("98765400");
        assert!(Body::parse(1, "bid_announced", &as_text).is_err());
        // A time not in the hall's own form would hash differently when written back.
        assert!(Body::parse(
            1,
            "lobby_opened",
            &json!({ "deadline": "2027-03-26T09:00:00+08:00" })
        )
        .is_err());
        assert!(Body::parse(1, "lobby_opened", &json!({})).is_err());
    }
}
