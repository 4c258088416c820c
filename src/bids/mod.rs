//! The bid box as the hall runs it: custodian keys per tender, sealed bids received and receipted,
//! withdrawn or replaced before the deadline, the box closed at it. The hall only ever holds
//! ciphertext: sealing happens on the tenderer's device (`sealbox`), and nothing here can open a
//! bid. Who bid stays confidential: the log carries a salted commitment, never the tenderer.

pub mod receipt;
pub mod service;

use crate::domain::{OrgId, TenderId, Timestamp};
use crate::tenders::model::{CustodianKind, Tender};
use serde::Serialize;

/// One custodian's public key for one tender.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CustodianKey {
    pub tender_id: TenderId,
    /// 1-based, in the order of the tender's custodian set (the envelope's custodian index).
    pub index: u8,
    /// Base64 of the 65-byte SEC1 point.
    pub public_key: String,
    pub fingerprint: String,
    /// Who registered it: an organisation id, or `time-release` for the hall's custodian.
    pub registered_by: String,
    /// Base64 ECDSA signature over `key_registration_message` by a signing key of that party
    /// (for the time-release custodian, by its own identity key).
    pub proof: String,
    pub registered_at: Timestamp,
}

/// What a custodian signs to register its key for a tender.
pub fn key_registration_message(tender: &TenderId, index: u8, public_key_b64: &str) -> Vec<u8> {
    format!("bidhall-custodian-key/1\n{tender}\n{index}\n{public_key_b64}\n").into_bytes()
}

/// The organisation that holds custodian `index` of `tender` (None for the time-release custodian,
/// which is the hall's own component).
pub fn custodian_org(tender: &Tender, index: u8) -> Result<Option<OrgId>, &'static str> {
    let member = tender
        .spec
        .custodians
        .members
        .get(usize::from(index).wrapping_sub(1))
        .ok_or("no such custodian")?;
    Ok(match member.kind {
        CustodianKind::TimeRelease => None,
        CustodianKind::Owner => Some(tender.owner_org_id.clone()),
        CustodianKind::Agent => Some(
            tender
                .agent_org_id
                .clone()
                .ok_or("the tender has no agent to hold this key")?,
        ),
        CustodianKind::Supervisor | CustodianKind::Witness => Some(
            member
                .org_id
                .clone()
                .ok_or("the custodian names no organisation")?,
        ),
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BidState {
    /// The bid that counts.
    Submitted,
    /// Superseded by a later bid of the same tenderer for the same lot.
    Replaced,
    Withdrawn,
}

impl BidState {
    pub fn as_str(self) -> &'static str {
        match self {
            BidState::Submitted => "submitted",
            BidState::Replaced => "replaced",
            BidState::Withdrawn => "withdrawn",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Submitted, Self::Replaced, Self::Withdrawn]
            .into_iter()
            .find(|b| b.as_str() == s)
    }
}

/// A sealed bid as the hall records it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bid {
    pub id: String,
    pub tender_id: TenderId,
    pub lot_id: String,
    pub org_id: OrgId,
    /// Hex salt of the commitment; published at the opening.
    pub salt: String,
    /// SHA-256(salt ‖ org id), as logged.
    pub commitment: String,
    pub envelope_sha256: String,
    pub size: i64,
    pub state: BidState,
    pub received_at: Timestamp,
    /// The audit-log entry of its receipt (filled by the store).
    pub log_index: i64,
}
pub mod cli;
pub mod closing;
pub mod custody;
pub mod decryption;
pub mod documents;
pub mod opening;
pub mod time_custodian;
