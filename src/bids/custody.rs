//! What a custodian checks before it releases its share of a bid (docs/bid-box.md, "What a
//! custodian checks before releasing"): the bid is in the closing list the log holds, the header is
//! the one listed, signed by its tenderer and sealed for this tender; then its share opens. The
//! custodians' command-line client and the hall's own time-release custodian run the same checks.

use crate::sealbox::envelope::{self, Header, SealParams};
use crate::sealbox::error::{EnvelopeError, Fault};
use crate::sealbox::keys::{CustodianPrivateKey, CustodianPublicKey, TendererPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Who a refusal puts at fault (docs/sealed-envelope.md §4, with the hall added: it serves the
/// headers and writes the closing list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Party {
    /// The hall, that is its operator: it served or logged what it should not have.
    Hall,
    Tenderer,
    Custodian(u8),
}

impl Party {
    pub(crate) fn code(self) -> &'static str {
        match self {
            Party::Hall => "hall",
            Party::Tenderer => "tenderer",
            Party::Custodian(_) => "custodian",
        }
    }
}

impl std::fmt::Display for Party {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Party::Hall => f.write_str("the hall (its operator)"),
            Party::Tenderer => f.write_str("the tenderer"),
            Party::Custodian(i) => write!(f, "custodian {i} (this key)"),
        }
    }
}

/// Why a custodian releases nothing for a bid (or for the whole tender): a stable code from the
/// table in docs/bid-box.md, the party at fault if any, and plain words.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refusal {
    pub code: &'static str,
    pub fault: Option<Party>,
    pub message: String,
}

pub(crate) fn refuse(
    code: &'static str,
    fault: Option<Party>,
    message: impl Into<String>,
) -> Refusal {
    Refusal {
        code,
        fault,
        message: message.into(),
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} [{}]", self.message, self.code)?;
        match self.fault {
            Some(p) => write!(f, "; at fault: {p}"),
            None => Ok(()),
        }
    }
}

/// One counted envelope as the closing list in the log names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListedEnvelope {
    pub n: u64,
    pub bid_id: String,
    pub lot_id: String,
    pub commitment: String,
    pub envelope_sha256: String,
    pub header_sha256: String,
}

/// What every header is checked against: the tender as published and the logged closing list.
pub(crate) struct ReleaseCheck<'a> {
    pub tender: &'a str,
    pub k: u8,
    /// The tender's registered custodian keys, custodian 1 first.
    pub custodians: &'a [CustodianPublicKey],
    pub index: u8,
    pub counted: &'a HashMap<String, ListedEnvelope>,
}

/// One header as the hall serves it to a custodian.
pub(crate) struct ServedHeader<'a> {
    pub bid_id: &'a str,
    pub header: &'a [u8],
    pub tenderer_id: &'a str,
    pub tenderer_keys: &'a [TendererPublicKey],
}

/// A custodian's checks before releasing its share of one bid, in this order: the bid is in the
/// logged closing list and the header served is the one listed for it (else the hall served
/// something else: a superseded, withdrawn or altered envelope); the header is well formed and
/// signed by a registered key of its tenderer (else the hall logged what it should have refused
/// on upload: without a valid signature nothing shows the tenderer wrote it); it was sealed for
/// this tender, lot and tenderer (else the hall listed another's envelope) and for the tender's
/// k and custodian keys (else the tenderer signed a wrong header); then `open_share`.
pub(crate) fn check_before_release(
    check: &ReleaseCheck,
    served: &ServedHeader,
    key: &CustodianPrivateKey,
) -> Result<envelope::ReleasedShare, Refusal> {
    let bid = served.bid_id;
    let listed = check.counted.get(bid).ok_or_else(|| {
        refuse(
            "not_counted",
            Some(Party::Hall),
            format!("the hall served a header for bid {bid}, which the logged closing list does not count"),
        )
    })?;
    let sha = hex::encode(ring::digest::digest(&ring::digest::SHA256, served.header));
    if sha != listed.header_sha256 {
        return Err(refuse(
            "header_not_logged",
            Some(Party::Hall),
            format!(
                "the header served for bid {bid} (SHA-256 {sha}) is not the one the closing list logs for it ({}): a superseded, withdrawn or altered envelope",
                listed.header_sha256
            ),
        ));
    }
    let header = Header::parse(served.header).map_err(|e| {
        refuse(
            "bad_header",
            Some(Party::Hall),
            format!("the header logged for bid {bid} is not a valid envelope header ({e}); the hall should have refused it on upload"),
        )
    })?;
    if served.tenderer_keys.is_empty() {
        return Err(refuse(
            "no_tenderer_key",
            Some(Party::Hall),
            format!(
                "the hall served no signing key of tenderer {} to check bid {bid}'s signature with",
                served.tenderer_id
            ),
        ));
    }
    if !served
        .tenderer_keys
        .iter()
        .any(|k| envelope::verify_signature(&header, k).is_ok())
    {
        return Err(refuse(
            "bad_signature",
            Some(Party::Hall),
            format!(
                "the header logged for bid {bid} is not signed by any registered signing key of tenderer {}; nothing shows the tenderer wrote it, and the hall should have refused it on upload",
                served.tenderer_id
            ),
        ));
    }
    let params = SealParams {
        tender_id: check.tender.to_string(),
        lot_id: listed.lot_id.clone(),
        tenderer_id: served.tenderer_id.to_string(),
        custodians: check.custodians.to_vec(),
        k: check.k,
    };
    if let Err(e) = envelope::check_sealed_for(&header, &params) {
        return Err(match e {
            EnvelopeError::NotSealedFor {
                field: field @ ("tender_id" | "lot_id" | "tenderer_id"),
            } => refuse(
                "not_sealed_for",
                Some(Party::Hall),
                format!("the header served for bid {bid} is signed by its tenderer but for another {}: the hall listed an envelope that is not this bid", field.trim_end_matches("_id")),
            ),
            EnvelopeError::NotSealedFor { field } => refuse(
                "not_sealed_for",
                Some(Party::Tenderer),
                format!("the tenderer signed bid {bid}'s header with another {field} than the tender's"),
            ),
            EnvelopeError::CustodianKeyNotRegistered { index } => refuse(
                "custodian_key_not_registered",
                Some(Party::Tenderer),
                format!("the tenderer sealed bid {bid}'s share {index} to a key that is not the tender's custodian {index}"),
            ),
            other => refuse("not_sealed_for", Some(Party::Tenderer), other.to_string()),
        });
    }
    envelope::open_share(&header, check.index, key).map_err(|e| {
        let code = match e {
            EnvelopeError::WrongCustodianKey { .. } => "wrong_custodian_key",
            EnvelopeError::ShareUndecryptable { .. } => "share_undecryptable",
            EnvelopeError::ShareNotCommitted { .. } => "share_not_committed",
            _ => "share_unopenable",
        };
        let fault = e.fault().map(|f| match f {
            Fault::Tenderer => Party::Tenderer,
            Fault::Custodian(i) => Party::Custodian(i),
        });
        refuse(code, fault, format!("bid {bid}: {e}"))
    })
}

/// The closing list of `tender` from its `box_closed` entry (log entry `index`) and the parts it
/// names, `(index, entry)` in the order the closing names them: each part is this tender's
/// `box_closed_envelopes` entry numbered `part` of `parts`, and together they number the counted
/// bids 1..n once each, n being the closing's count. Anything else is the hall's fault.
pub(crate) fn closing_list(
    tender: &str,
    index: i64,
    closing: &Value,
    parts: &[(i64, Value)],
) -> Result<Vec<ListedEnvelope>, Refusal> {
    let malformed = |what: &str| {
        refuse(
            "closing_malformed",
            Some(Party::Hall),
            format!("the closing entry {index} of tender {tender} in the log is malformed: {what}"),
        )
    };
    if closing["type"] != "box_closed" || closing["tender"] != tender {
        return Err(malformed("it is not this tender's box_closed entry"));
    }
    let lists: Vec<i64> = serde_json::from_value(closing["payload"]["envelope_lists"].clone())
        .map_err(|_| malformed("it names no envelope lists"))?;
    let bids = closing["payload"]["bids"]
        .as_u64()
        .ok_or_else(|| malformed("no bid count"))?;
    let named: Vec<i64> = parts.iter().map(|(at, _)| *at).collect();
    if named != lists {
        return Err(malformed("its envelope lists are not the entries read"));
    }
    let mut listed: Vec<ListedEnvelope> = Vec::new();
    for (p, (at, part)) in parts.iter().enumerate() {
        if part["type"] != "box_closed_envelopes"
            || part["tender"] != tender
            || part["payload"]["part"] != json!(p + 1)
            || part["payload"]["parts"] != json!(lists.len())
        {
            return Err(malformed(&format!(
                "entry {at} is not its list part {}",
                p + 1
            )));
        }
        let items: Vec<ListedEnvelope> =
            serde_json::from_value(part["payload"]["envelopes"].clone())
                .map_err(|_| malformed(&format!("entry {at} lists no envelopes")))?;
        listed.extend(items);
    }
    let numbered = listed.iter().enumerate().all(|(i, e)| e.n == i as u64 + 1);
    let unique = listed
        .iter()
        .map(|e| e.bid_id.as_str())
        .collect::<std::collections::HashSet<_>>()
        .len()
        == listed.len();
    if listed.len() as u64 != bids || !numbered || !unique {
        return Err(malformed(
            "its lists do not number the counted bids 1..n once each",
        ));
    }
    Ok(listed)
}
