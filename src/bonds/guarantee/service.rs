//! The use cases of electronic guarantees: the platform registers issuers, a tenderer uploads a
//! guarantee that names it, anyone allowed reads one back with the issuer's key to re-verify it.
//! Each change and its audit entry commit together; the rules are in `super`.

use super::{
    check_bid_guarantee, BidBondTerms, Guarantee, GuaranteeError, Issuer, IssuerId, IssuerKind,
    SignedDocument,
};
use crate::app::AppState;
use crate::auditlog::event::{commitment, AuditActor};
use crate::auditlog::AuditEvent;
use crate::domain::{InvalidValue, Line, TenderId};
use crate::identity::keys::P256PublicKey;
use crate::identity::{Actor, Role};
use crate::store::StoreError;
use crate::tenders::model::TenderState;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, thiserror::Error)]
pub enum GuaranteeUseError {
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("no such {0}")]
    NotFound(&'static str),
    #[error("{field}: {}", value.message)]
    InvalidField {
        field: &'static str,
        value: InvalidValue,
    },
    #[error("issuer_exists: an issuer {0} is already registered")]
    IssuerExists(String),
    #[error(transparent)]
    Refused(#[from] GuaranteeError),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for GuaranteeUseError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => GuaranteeUseError::NotFound("record"),
            e => GuaranteeUseError::Store(e),
        }
    }
}

fn invalid(field: &'static str) -> impl FnOnce(InvalidValue) -> GuaranteeUseError {
    move |value| GuaranteeUseError::InvalidField { field, value }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIssuer {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// Uncompressed SEC1 P-256 point, base64.
    pub public_key: String,
}

/// Registers a bank or insurer whose guarantees the platform accepts: the trading centre only.
pub async fn register_issuer(
    app: &AppState,
    actor: &Actor,
    input: NewIssuer,
) -> Result<Issuer, GuaranteeUseError> {
    if actor.role != Role::Platform {
        return Err(GuaranteeUseError::Forbidden(
            "only the trading centre registers guarantee issuers",
        ));
    }
    let issuer = Issuer {
        id: IssuerId::parse(&input.id).map_err(invalid("id"))?,
        name: Line::parse(&input.name).map_err(invalid("name"))?,
        kind: IssuerKind::parse(&input.kind).ok_or_else(|| GuaranteeUseError::InvalidField {
            field: "kind",
            value: InvalidValue::new("unknown_kind", "an issuer is a bank or an insurer"),
        })?,
        public_key: P256PublicKey::parse_base64(&input.public_key)
            .map_err(invalid("public_key"))?,
        registered_at: app.clock.now(),
    };
    let audit = AuditEvent::new(
        "guarantee_issuer_registered",
        None,
        actor.into(),
        issuer.registered_at,
        json!({
            "issuer": issuer.id.as_str(),
            "name": issuer.name.as_str(),
            "kind": issuer.kind.as_str(),
            "key_fingerprint": issuer.public_key.fingerprint(),
        }),
    );
    match app.store.register_issuer(&issuer, &audit).await {
        Err(StoreError::Conflict(_)) => Err(GuaranteeUseError::IssuerExists(
            issuer.id.as_str().to_owned(),
        )),
        r => {
            r?;
            Ok(issuer)
        }
    }
}

pub async fn issuers(app: &AppState) -> Result<Vec<Issuer>, GuaranteeUseError> {
    Ok(app.store.issuers().await?)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Upload {
    /// The document as the issuer made it (a JSON object); its RFC 8785 form is what was signed.
    #[schema(value_type = Object)]
    pub document: Value,
    /// ECDSA P-256 SHA-256, r ‖ s, base64.
    pub signature: String,
}

/// A tenderer gives a bid guarantee for one of its lots while bidding is open. Verified in full
/// (docs/guarantees.md) before it is kept.
pub async fn upload(
    app: &AppState,
    actor: &Actor,
    tender_id: &TenderId,
    input: Upload,
) -> Result<Guarantee, GuaranteeUseError> {
    if actor.role != Role::Tenderer {
        return Err(GuaranteeUseError::Forbidden(
            "only a tenderer gives a guarantee, for its own bid",
        ));
    }
    let tender = match app.store.get_tender(tender_id).await {
        Ok(t) if t.state != TenderState::Draft => t,
        Ok(_) | Err(StoreError::NotFound) => return Err(GuaranteeUseError::NotFound("tender")),
        Err(e) => return Err(e.into()),
    };
    let now = app.clock.now();
    if !tender.is_bidding_open(now) {
        return Err(GuaranteeError::TooLate.into());
    }
    let signed = SignedDocument::from_value(&input.document)?;
    let issuer = match app.store.issuer(&signed.document.issuer_id).await {
        Ok(i) => Some(i),
        Err(StoreError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let lot_bond = tender
        .spec
        .lots
        .iter()
        .find(|l| Some(&l.id) == signed.document.lot_id.as_ref())
        .map(|l| l.bid_bond_fen);
    check_bid_guarantee(
        &signed,
        &input.signature,
        issuer.as_ref(),
        &BidBondTerms {
            tender: tender_id,
            tenderer: &actor.org_id,
            lot_bond,
            bid_deadline: tender.spec.schedule.bid_deadline,
        },
    )?;
    let g = Guarantee {
        id: uuid::Uuid::now_v7().to_string(),
        document_text: String::from_utf8(signed.bytes.clone())
            .map_err(|_| GuaranteeError::Malformed("the document is not UTF-8".into()))?,
        document: signed.document,
        signature: input.signature.trim().to_owned(),
        uploaded_at: now,
    };
    // Like a bid, the log learns neither the tender nor the tenderer before the opening: both
    // sit in a salted commitment whose salt is kept with the guarantee.
    let mut salt = [0u8; 32];
    crate::identity::session::fill_random(&mut salt);
    let lot = g.document.lot_id.as_ref().map(|l| l.as_str()).unwrap_or("");
    let c = commitment(&salt, &format!("{tender_id}\n{lot}\n{}", actor.org_id));
    let digest = hex::encode(ring::digest::digest(
        &ring::digest::SHA256,
        g.document_text.as_bytes(),
    ));
    let audit = AuditEvent::new(
        "guarantee_received",
        None,
        AuditActor::Committed { commitment: c },
        now,
        json!({ "guarantee": g.id, "document_sha256": digest }),
    );
    match app
        .store
        .record_guarantee(&g, &hex::encode(salt), &audit)
        .await
    {
        Err(StoreError::Conflict(_)) => {
            Err(GuaranteeError::Duplicate(g.document.guarantee_number.clone()).into())
        }
        r => {
            r?;
            Ok(g)
        }
    }
}

/// A guarantee with its issuer, so the reader can re-verify the signature. Before the bid
/// deadline only the tenderer it names and the trading centre may read it (the tenderers stay
/// confidential until the opening, 法 第二十二条); after it, anyone.
pub async fn view(
    app: &AppState,
    actor: Option<&Actor>,
    id: &str,
) -> Result<(Guarantee, Issuer), GuaranteeUseError> {
    let g = match app.store.guarantee(id).await {
        Ok(g) => g,
        Err(StoreError::NotFound) => return Err(GuaranteeUseError::NotFound("guarantee")),
        Err(e) => return Err(e.into()),
    };
    let named =
        actor.is_some_and(|a| a.role == Role::Platform || a.org_id == g.document.tenderer_id);
    if !named {
        let tender = app.store.get_tender(&g.document.tender_id).await?;
        if !tender.is_past_opening(app.clock.now()) {
            // Not even its existence is told before the opening.
            return Err(GuaranteeUseError::NotFound("guarantee"));
        }
    }
    let issuer = app.store.issuer(&g.document.issuer_id).await?;
    Ok((g, issuer))
}
