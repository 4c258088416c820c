//! Disclosing sealed entries (docs/audit-log.md, "Sealed entries"): from the tender's opening on,
//! anyone can read each sealed entry's facts and salt and recompute its commitment, so the log is
//! as verifiable as if nothing had been sealed. Before the opening only the trading centre may
//! (招标投标法 第二十二条).

use super::event::sealed_commitment;
use crate::app::AppState;
use crate::domain::TenderId;
use crate::identity::Actor;
use crate::store::StoreError;
use crate::tenders::access::{self, Action, Denied, Relations};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisclosureView {
    /// The entry's index in the log.
    pub index: i64,
    /// The 32-byte salt, hex.
    pub salt: String,
    /// The facts as JSON: `{"actor", "payload", "tender"}`.
    #[schema(value_type = Object)]
    pub facts: serde_json::Value,
    /// The exact bytes the commitment hashes, base64.
    pub facts_b64: String,
    /// The commitment they recompute, hex (the entry's `actor.commitment`).
    pub commitment: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DisclosureError {
    #[error(transparent)]
    Access(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The tender's sealed entries with their facts, oldest first.
pub async fn disclosures(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Vec<DisclosureView>, DisclosureError> {
    use base64::Engine;
    let t = app.store.get_tender(id).await?;
    access::may(
        Action::SeeSealedEntries,
        &Relations::of(actor, &t),
        &t,
        app.clock.now(),
    )?;
    Ok(app
        .store
        .sealed_entries(id)
        .await?
        .into_iter()
        .map(|e| {
            let salt: [u8; 32] = e.salt.as_slice().try_into().unwrap_or([0; 32]);
            DisclosureView {
                index: e.index,
                salt: hex::encode(&e.salt),
                facts: serde_json::from_slice(&e.facts).unwrap_or_default(),
                facts_b64: base64::engine::general_purpose::STANDARD.encode(&e.facts),
                commitment: sealed_commitment(&salt, &e.facts),
            }
        })
        .collect())
}
