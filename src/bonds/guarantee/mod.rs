//! Electronic guarantees (电子保函): a bond given as a document signed by a bank or insurer
//! registered on the platform, instead of money. Pure rules: the document's canonical bytes, the
//! issuer's P-256 signature over them, and what a guarantee must say to stand for a lot's bid bond
//! (docs/guarantees.md). Never trusts a document before its signature and parties are checked.

pub mod service;

use crate::domain::{InvalidValue, Line, LotId, Money, OrgId, TenderId, Timestamp, DAY_MS};
use crate::identity::keys::P256PublicKey;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the issuer's signature covers: this line, then the document's RFC 8785 bytes.
pub const SIGNING_DOMAIN: &str = "bidhall-guarantee/1\n";

/// How long after the bid deadline a bid guarantee must stay valid: the bid validity period
/// (投标有效期), which the bid bond's validity must match (条例 第二十六条). Tenders here carry no
/// period of their own, so the customary 90 days applies to every tender.
pub const BID_VALIDITY_DAYS: i64 = 90;

/// An issuer's id on the platform, chosen at registration: 1 to 32 ASCII letters, digits or `-`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IssuerId(String);

impl IssuerId {
    pub fn parse(s: &str) -> Result<Self, InvalidValue> {
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(InvalidValue::new(
                "malformed_issuer_id",
                "an issuer id is 1 to 32 ASCII letters, digits or '-'",
            ));
        }
        Ok(IssuerId(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for IssuerId {
    type Error = InvalidValue;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        IssuerId::parse(&s)
    }
}

impl From<IssuerId> for String {
    fn from(id: IssuerId) -> String {
        id.0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssuerKind {
    /// 银行保函
    Bank,
    /// 保证保险 (an insurer's guarantee)
    Insurer,
}

impl IssuerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IssuerKind::Bank => "bank",
            IssuerKind::Insurer => "insurer",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bank" => Some(IssuerKind::Bank),
            "insurer" => Some(IssuerKind::Insurer),
            _ => None,
        }
    }
}

/// A bank or insurer whose guarantees the platform accepts, with the key that signs them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issuer {
    pub id: IssuerId,
    pub name: Line<1, 200>,
    pub kind: IssuerKind,
    /// Uncompressed SEC1 P-256 point, base64.
    pub public_key: P256PublicKey,
    pub registered_at: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GuaranteeKind {
    /// 投标保函: stands for one lot's bid bond.
    Bid,
    /// 履约保函: stands for the winner's performance bond.
    Performance,
}

impl GuaranteeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GuaranteeKind::Bid => "bid",
            GuaranteeKind::Performance => "performance",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "bid" => Some(GuaranteeKind::Bid),
            "performance" => Some(GuaranteeKind::Performance),
            _ => None,
        }
    }
}

/// What the issuer signs. A bid guarantee names its lot; a performance guarantee does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GuaranteeDocument {
    pub issuer_id: IssuerId,
    pub guarantee_number: String,
    pub kind: GuaranteeKind,
    pub tender_id: TenderId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<LotId>,
    pub tenderer_id: OrgId,
    pub amount_fen: Money,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireDocument {
    issuer_id: IssuerId,
    guarantee_number: String,
    kind: GuaranteeKind,
    tender_id: TenderId,
    #[serde(default)]
    lot_id: Option<LotId>,
    tenderer_id: OrgId,
    amount_fen: Money,
    valid_from: Timestamp,
    valid_until: Timestamp,
}

/// Why a guarantee is refused, in the words the tenderer sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GuaranteeError {
    #[error("guarantee_malformed: {0}")]
    Malformed(String),
    #[error("guarantee_unknown_issuer: {0} is not an issuer registered on the platform")]
    UnknownIssuer(String),
    #[error("guarantee_signature_invalid: the signature is not the issuer's over this document")]
    SignatureInvalid,
    #[error("guarantee_kind_not_accepted: only bid guarantees are taken here")]
    KindNotAccepted,
    #[error("guarantee_wrong_party: {0}")]
    WrongParty(String),
    #[error("guarantee_too_small: the guarantee is for {amount} fen, the lot's bid bond is {required} fen")]
    TooSmall { amount: i64, required: i64 },
    #[error("guarantee_not_yet_valid: valid from {valid_from}, after the bid deadline {deadline}")]
    NotYetValid {
        valid_from: Timestamp,
        deadline: Timestamp,
    },
    #[error("guarantee_expired: valid until {valid_until}; a bid guarantee must stay valid until at least {required_until} (the bid deadline plus {BID_VALIDITY_DAYS} days)")]
    Expired {
        valid_until: Timestamp,
        required_until: Timestamp,
    },
    #[error("guarantee_duplicate: guarantee {0} of this issuer is already on record")]
    Duplicate(String),
    #[error("guarantee_too_late: the bid deadline has passed; guarantees are taken only while bidding is open")]
    TooLate,
}

impl GuaranteeError {
    pub fn code(&self) -> &'static str {
        match self {
            GuaranteeError::Malformed(_) => "guarantee_malformed",
            GuaranteeError::UnknownIssuer(_) => "guarantee_unknown_issuer",
            GuaranteeError::SignatureInvalid => "guarantee_signature_invalid",
            GuaranteeError::KindNotAccepted => "guarantee_kind_not_accepted",
            GuaranteeError::WrongParty(_) => "guarantee_wrong_party",
            GuaranteeError::TooSmall { .. } => "guarantee_too_small",
            GuaranteeError::NotYetValid { .. } => "guarantee_not_yet_valid",
            GuaranteeError::Expired { .. } => "guarantee_expired",
            GuaranteeError::Duplicate(_) => "guarantee_duplicate",
            GuaranteeError::TooLate => "guarantee_too_late",
        }
    }
}

/// A document as received: its canonical bytes (what was signed) and what they say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDocument {
    pub bytes: Vec<u8>,
    pub document: GuaranteeDocument,
}

impl SignedDocument {
    /// Reads a document given as a JSON value; the signed bytes are its RFC 8785 form.
    pub fn from_value(value: &Value) -> Result<SignedDocument, GuaranteeError> {
        let bytes = crate::canonical::canonicalize(value);
        Self::from_bytes(bytes)
    }

    /// Reads a document from its canonical bytes (as stored).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<SignedDocument, GuaranteeError> {
        let w: WireDocument = serde_json::from_slice(&bytes)
            .map_err(|e| GuaranteeError::Malformed(format!("the document: {e}")))?;
        if !crate::bonds::bank::is_reference(&w.guarantee_number) {
            return Err(GuaranteeError::Malformed(
                "guarantee_number is 1 to 64 printable ASCII characters without spaces".into(),
            ));
        }
        if w.amount_fen.fen() == 0 {
            return Err(GuaranteeError::Malformed(
                "amount_fen must be positive".into(),
            ));
        }
        if w.valid_from >= w.valid_until {
            return Err(GuaranteeError::Malformed(
                "valid_from must come before valid_until".into(),
            ));
        }
        match (w.kind, &w.lot_id) {
            (GuaranteeKind::Bid, None) => {
                return Err(GuaranteeError::Malformed(
                    "a bid guarantee names its lot_id".into(),
                ))
            }
            (GuaranteeKind::Performance, Some(_)) => {
                return Err(GuaranteeError::Malformed(
                    "a performance guarantee names no lot_id".into(),
                ))
            }
            _ => {}
        }
        Ok(SignedDocument {
            bytes,
            document: GuaranteeDocument {
                issuer_id: w.issuer_id,
                guarantee_number: w.guarantee_number,
                kind: w.kind,
                tender_id: w.tender_id,
                lot_id: w.lot_id,
                tenderer_id: w.tenderer_id,
                amount_fen: w.amount_fen,
                valid_from: w.valid_from,
                valid_until: w.valid_until,
            },
        })
    }
}

/// The exact bytes the issuer signs: the domain line, then the document's canonical bytes.
pub fn signing_message(document_bytes: &[u8]) -> Vec<u8> {
    let mut m = SIGNING_DOMAIN.as_bytes().to_vec();
    m.extend_from_slice(document_bytes);
    m
}

/// Checks the issuer's ECDSA P-256 SHA-256 signature (r ‖ s, 64 bytes, base64).
pub fn verify_signature(
    key: &P256PublicKey,
    document_bytes: &[u8],
    signature_base64: &str,
) -> Result<(), GuaranteeError> {
    use base64::Engine;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(signature_base64.trim())
        .map_err(|_| GuaranteeError::SignatureInvalid)?;
    if key.verify(&signing_message(document_bytes), &sig) {
        Ok(())
    } else {
        Err(GuaranteeError::SignatureInvalid)
    }
}

/// What the upload is checked against: the uploader, the tender's lot and its deadline.
pub struct BidBondTerms<'a> {
    pub tender: &'a TenderId,
    pub tenderer: &'a OrgId,
    /// The lot's bid bond, if the document's lot is one of the tender's.
    pub lot_bond: Option<Money>,
    pub bid_deadline: Timestamp,
}

/// Every rule a bid guarantee must meet, in order: the issuer's signature, the kind, the parties,
/// the amount, the validity. `issuer` is the registered issuer the document names, if any.
pub fn check_bid_guarantee(
    signed: &SignedDocument,
    signature_base64: &str,
    issuer: Option<&Issuer>,
    terms: &BidBondTerms<'_>,
) -> Result<(), GuaranteeError> {
    let d = &signed.document;
    let issuer =
        issuer.ok_or_else(|| GuaranteeError::UnknownIssuer(d.issuer_id.as_str().to_owned()))?;
    verify_signature(&issuer.public_key, &signed.bytes, signature_base64)?;
    if d.kind != GuaranteeKind::Bid {
        return Err(GuaranteeError::KindNotAccepted);
    }
    if &d.tender_id != terms.tender {
        return Err(GuaranteeError::WrongParty(
            "the guarantee names another tender".into(),
        ));
    }
    if &d.tenderer_id != terms.tenderer {
        return Err(GuaranteeError::WrongParty(
            "the guarantee names another tenderer than the uploader".into(),
        ));
    }
    let Some(required) = terms.lot_bond else {
        return Err(GuaranteeError::WrongParty(
            "the guarantee names a lot this tender does not have".into(),
        ));
    };
    if d.amount_fen < required {
        return Err(GuaranteeError::TooSmall {
            amount: d.amount_fen.fen(),
            required: required.fen(),
        });
    }
    if d.valid_from > terms.bid_deadline {
        return Err(GuaranteeError::NotYetValid {
            valid_from: d.valid_from,
            deadline: terms.bid_deadline,
        });
    }
    let required_until = terms.bid_deadline.plus_millis(BID_VALIDITY_DAYS * DAY_MS);
    if d.valid_until < required_until {
        return Err(GuaranteeError::Expired {
            valid_until: d.valid_until,
            required_until,
        });
    }
    Ok(())
}

/// A verified guarantee on record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guarantee {
    pub id: String,
    pub document: GuaranteeDocument,
    /// The canonical bytes the issuer signed, as text.
    pub document_text: String,
    pub signature: String,
    pub uploaded_at: Timestamp,
}

/// Whether the tenderer's guarantees cover the lot's bid bond at the deadline: one bid guarantee
/// for that tender, lot and tenderer, of at least `required`, on record by the deadline, valid at
/// the deadline and for the bid validity period after it. For the opening's bond check.
pub fn covers_bid_bond(
    guarantees: &[Guarantee],
    tender: &TenderId,
    lot: &LotId,
    tenderer: &OrgId,
    required: Money,
    deadline: Timestamp,
) -> bool {
    let until = deadline.plus_millis(BID_VALIDITY_DAYS * DAY_MS);
    guarantees.iter().any(|g| {
        let d = &g.document;
        d.kind == GuaranteeKind::Bid
            && &d.tender_id == tender
            && d.lot_id.as_ref() == Some(lot)
            && &d.tenderer_id == tenderer
            && d.amount_fen >= required
            && g.uploaded_at <= deadline
            && d.valid_from <= deadline
            && d.valid_until >= until
    })
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
