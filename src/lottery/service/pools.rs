//! Sealed expert pools (法37, 条例): the names stay sealed until the tender's result is
//! determined, then the pool is opened and anyone can check it (docs/draw.md, "Sealed pools").

use super::*;

/// The secret side of a sealed pool, for the platform alone (it notifies the experts drawn).
pub async fn openings(
    app: &AppState,
    actor: &Actor,
    draw: &str,
) -> Result<SealedSecret, LotteryError> {
    if actor.role != Role::Platform {
        return Err(LotteryError::Forbidden(
            "the evaluation experts are secret until the result is determined (招标投标法 第三十七条); only the platform sees the sealed pool",
        ));
    }
    let d = load(app, draw).await?;
    if !d.is_sealed() {
        return Err(LotteryError::NotFound("sealed pool"));
    }
    Ok(app.store.sealed_pool(&d.id).await?)
}

/// Who each handle of the draw's result is — an id of an open pool, or a position ("3") of a
/// sealed one — with the name. For the award's host forming the committee; never published.
pub async fn pool_members(
    app: &AppState,
    d: &DrawRecord,
) -> Result<std::collections::HashMap<String, Candidate>, LotteryError> {
    if d.is_sealed() {
        let secret = app.store.sealed_pool(&d.id).await?;
        return Ok(secret
            .openings
            .into_iter()
            .map(|o| {
                (
                    crate::draws::position_handle(o.position as usize),
                    Candidate::new(o.id, o.name),
                )
            })
            .collect());
    }
    let candidates = d
        .transcript
        .as_ref()
        .and_then(|t| t.pool.clone())
        .or_else(|| d.pool.as_ref().map(|p| p.candidates.clone()))
        .unwrap_or_default();
    Ok(candidates.into_iter().map(|c| (c.id.clone(), c)).collect())
}

/// Opens the sealed pool of every conducted expert draw of `tender`: the result is determined
/// (the award notice is issued). Each draw's transcript gets the openings of every member,
/// verified against their commitments, and its record the names and the exclusions; logged as
/// `draw_pool_opened`. Idempotent: an opened pool is left alone. Returns the draws opened.
pub async fn open_sealed_pools(
    app: &AppState,
    tender: &TenderId,
) -> Result<Vec<DrawRecord>, LotteryError> {
    let mut done = Vec::new();
    for id in app.store.unopened_sealed_pools().await? {
        let d = load(app, &id).await?;
        if d.tender_id.as_ref() != Some(tender) {
            continue;
        }
        if let Some(d) = open_one(app, d).await? {
            done.push(d);
        }
    }
    Ok(done)
}

/// Opens the tender's sealed expert pools if its result is determined (法37: the committee is
/// secret until then); nothing otherwise. A reaction to each award notice and lot failure.
pub async fn open_pools_if_determined(
    app: &AppState,
    tender: &TenderId,
) -> Result<Vec<DrawRecord>, LotteryError> {
    if !result_determined(app, tender).await? {
        return Ok(Vec::new());
    }
    open_sealed_pools(app, tender).await
}

/// What the watcher does on every tick: opens the sealed pools whose tender's award notice was
/// issued, in case the notice's own call did not (a crash in between, or a draw conducted later).
pub async fn open_due_pools(app: &AppState) -> Result<Vec<DrawRecord>, LotteryError> {
    let mut done = Vec::new();
    for id in app.store.unopened_sealed_pools().await? {
        let d = load(app, &id).await?;
        let Some(tender) = d.tender_id.clone() else {
            continue;
        };
        if !result_determined(app, &tender).await? {
            continue;
        }
        if let Some(d) = open_one(app, d).await? {
            done.push(d);
        }
    }
    Ok(done)
}

/// 条例: the result is determined when the award notices are issued (`AwardState::result_determined`). A tender that fails or is
/// cancelled keeps its committee secret (`docs/draw.md`, "When the pool is opened").
async fn result_determined(app: &AppState, tender: &TenderId) -> Result<bool, LotteryError> {
    let events = app.store.award_events(tender).await?;
    Ok(crate::award::state::AwardState::fold(&events)
        .map_err(|e| StoreError::Unavailable(format!("a stored award event does not parse: {e}")))?
        .result_determined())
}

async fn open_one(app: &AppState, mut d: DrawRecord) -> Result<Option<DrawRecord>, LotteryError> {
    if !matches!(d.state, DrawState::Completed | DrawState::Failed) || d.is_opened() {
        return Ok(None);
    }
    let secret = app.store.sealed_pool(&d.id).await?;
    let now = app.clock.now();
    let mut t = d
        .transcript
        .clone()
        .expect("a conducted draw has a transcript");
    t.open(secret.openings.clone())
        .map_err(|e| LotteryError::Protocol(format!("the sealed pool does not open: {e}")))?;
    d.transcript = Some(t);
    if let Some(pool) = d.pool.as_mut() {
        pool.candidates = secret
            .openings
            .iter()
            .map(|o| Candidate::new(o.id.clone(), o.name.clone()))
            .collect();
        pool.excluded = secret.excluded.clone();
        pool.opened_at = Some(now);
    }
    d.version += 1;
    let audit = event(
        "draw_pool_opened",
        &d,
        AuditActor::System,
        now,
        json!({
            "reason": "award_notice_issued",
            "openings": secret.openings,
            "excluded": secret.excluded,
        }),
    );
    match app.store.open_sealed_pool(&d, now, &audit).await {
        Ok(()) => Ok(Some(d)),
        // Opened (or replaced) by someone else meanwhile; the next tick looks again.
        Err(StoreError::Conflict(_)) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
