//! Reading draws: one draw's public view, the list, and its transcript (docs/draw.md).

use super::*;

/// Everything public about a draw, for its live page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DrawView {
    pub draw: DrawRecord,
    pub phase: Phase,
    pub commitments: Vec<PartyValue>,
    pub reveals: Vec<PartyValue>,
}

pub async fn view(app: &AppState, draw: &str) -> Result<DrawView, LotteryError> {
    let d = load(app, draw).await?;
    Ok(DrawView {
        phase: d.phase(app.clock.now()),
        commitments: app.store.draw_commitments(&d.id).await?,
        reveals: app.store.draw_reveals(&d.id).await?,
        draw: d,
    })
}

pub async fn list(app: &AppState) -> Result<Vec<DrawView>, LotteryError> {
    let now = app.clock.now();
    Ok(app
        .store
        .list_draws()
        .await?
        .into_iter()
        .map(|d| DrawView {
            phase: d.phase(now),
            commitments: vec![],
            reveals: vec![],
            draw: d,
        })
        .collect())
}

/// The published transcript (RFC 8785 bytes) of a conducted draw, with the draw's audit-log
/// entries and their inclusion proofs in a signed checkpoint of the log.
pub async fn transcript(app: &AppState, draw: &str) -> Result<Vec<u8>, LotteryError> {
    let d = load(app, draw).await?;
    let Some(mut t) = d.transcript.clone() else {
        return Err(LotteryError::WrongPhase {
            phase: d.phase(app.clock.now()),
            action: "publishing the transcript",
        });
    };
    let internal = |e: crate::auditlog::service::LogError| LotteryError::Protocol(e.to_string());
    let checkpoint = crate::auditlog::service::checkpoint(app)
        .await
        .map_err(internal)?;
    let mut audit = vec![json!({ "checkpoint": checkpoint.note, "tree_size": checkpoint.size })];
    for idx in app.store.draw_audit_indices(&d.id).await? {
        let entry = app.store.audit_entry(idx).await?;
        let proof = crate::auditlog::service::inclusion(app, idx, checkpoint.size)
            .await
            .map_err(internal)?;
        let entry_json: Value = serde_json::from_slice(&entry.entry)
            .map_err(|e| LotteryError::Protocol(format!("a stored entry is not JSON: {e}")))?;
        audit.push(json!({
            "index": idx,
            "entry": entry_json,
            "inclusion_proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
        }));
    }
    t.audit = Some(audit);
    to_canonical_vec(&t).map_err(|e| LotteryError::Protocol(e.to_string()))
}
