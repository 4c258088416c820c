//! Conducting a draw once its windows close (by hand or by the conductor), and recording a
//! selectee's replacement by the next reserve (docs/draw.md).

use super::*;

/// Runs the draw from what was collected: completes it, or fails it publicly by the announced rule.
/// Any party, the requester or the platform may set it off once everything is in; the hall also
/// does it by itself (`conduct_due_draws`). Whoever comes first runs it, once.
pub async fn conduct(
    app: &AppState,
    actor: &Actor,
    draw: &str,
) -> Result<DrawRecord, LotteryError> {
    let d = load(app, draw).await?;
    if !(d.is_party(&actor.org_id)
        || d.requested_by == actor.org_id
        || actor.role == Role::Platform)
    {
        return Err(LotteryError::Forbidden(
            "the draw is conducted by its requester, a party or the platform",
        ));
    }
    run_draw(app, d, AuditActor::from(actor), app.clock.now()).await
}

/// Conducts every open draw whose windows have closed (reveal deadline passed, the announced
/// beacon's value entered), as the hall itself; returns the draws run. Decided by the hall's clock
/// only. A draw someone conducted meanwhile is skipped: the record's version lets one run win.
pub async fn conduct_due_draws(app: &AppState) -> Result<Vec<DrawRecord>, LotteryError> {
    DueDraws::default().conduct(app).await
}

/// The watcher's memory of each open draw: when its reveals close (fixed by its announcement) and
/// the version it last read once that time had passed. A tick reads a draw in full (with its
/// frozen pool) only if it may have become due: its reveals closed and, if it was still waiting
/// (for its beacon), its record changed since. Only a shortcut: a fresh one (after a restart)
/// rebuilds it from the store.
#[derive(Default)]
pub struct DueDraws {
    seen: std::collections::HashMap<String, Seen>,
}

struct Seen {
    reveals_close: Timestamp,
    waiting_at_version: Option<i64>,
}

impl DueDraws {
    pub async fn conduct(&mut self, app: &AppState) -> Result<Vec<DrawRecord>, LotteryError> {
        let now = app.clock.now();
        let open = app.store.open_draws().await?;
        self.seen
            .retain(|id, _| open.iter().any(|(open_id, _)| open_id == id));
        let mut done = Vec::new();
        for (id, version) in open {
            if let Some(s) = self.seen.get(&id) {
                if now < s.reveals_close || s.waiting_at_version == Some(version) {
                    continue;
                }
            }
            let d = load(app, &id).await?;
            let ready = d.phase(now) == Phase::ReadyToConduct;
            self.seen.insert(
                id.clone(),
                Seen {
                    reveals_close: d.reveal_deadline,
                    waiting_at_version: (now >= d.reveal_deadline && !ready).then_some(d.version),
                },
            );
            if !ready {
                continue;
            }
            match run_draw(app, d, AuditActor::System, now).await {
                Ok(d) => done.push(d),
                // Conducted by someone else between the read and the write.
                Err(LotteryError::Store(StoreError::Conflict(_))) => {}
                // One draw that cannot be run must not hold up the others; it stays open, and
                // its requester or a party sees the same refusal when conducting it by hand.
                Err(e) => {
                    tracing::warn!(draw = %id, error = %e, "a due draw could not be conducted")
                }
            }
        }
        Ok(done)
    }
}

/// Watches the clock every `every` until shutdown and conducts the draws that are due.
pub fn spawn_conductor(app: AppState, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    // What the watcher remembers between ticks; only its own ticks touch it.
    let due = std::sync::Arc::new(tokio::sync::Mutex::new(DueDraws::default()));
    app.every("draw_conductor", every, move |app| {
        let due = due.clone();
        async move {
            match due.lock().await.conduct(&app).await {
                Ok(done) => {
                    for d in done {
                        tracing::info!(draw = %d.id, state = d.state.as_str(), "draw conducted at its deadline");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "conducting due draws failed"),
            }
            match open_due_pools(&app).await {
                Ok(done) => {
                    for d in done {
                        tracing::info!(draw = %d.id, "sealed expert pool opened at the result");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "opening sealed pools failed"),
            }
        }
    })
}

async fn run_draw(
    app: &AppState,
    mut d: DrawRecord,
    actor: AuditActor,
    now: Timestamp,
) -> Result<DrawRecord, LotteryError> {
    in_phase(&d, now, Phase::ReadyToConduct, "conducting the draw")?;
    let pool_record = d.pool.clone().expect("an open draw has a frozen pool");
    let pairs = |vs: Vec<PartyValue>| -> Result<Vec<(String, [u8; SECRET_LEN])>, LotteryError> {
        vs.into_iter()
            .map(|v| Ok((v.party.to_string(), hex32("stored value", &v.value)?)))
            .collect()
    };
    let commitments = pairs(app.store.draw_commitments(&d.id).await?)?;
    let reveals = pairs(app.store.draw_reveals(&d.id).await?)?;
    let beacon = match &d.beacon_value {
        Some(v) => Some(hex::decode(v).map_err(|e| LotteryError::Protocol(e.to_string()))?),
        None => None,
    };
    let t = match &pool_record.sealed {
        Some(sealed) => {
            let sealed = sealed
                .iter()
                .map(|c| hex32("stored sealed pool", c))
                .collect::<Result<Vec<_>, _>>()?;
            Transcript::conduct_sealed(
                d.announcement(),
                &sealed,
                &commitments,
                &reveals,
                beacon.as_deref(),
            )
        }
        None => {
            let pool = Pool::new(pool_record.candidates)
                .map_err(|e| LotteryError::Protocol(e.to_string()))?;
            Transcript::conduct(
                d.announcement(),
                &pool,
                &commitments,
                &reveals,
                beacon.as_deref(),
            )
        }
    }
    .map_err(|e| LotteryError::Protocol(e.to_string()))?;
    // An agent draw's selectee becomes the project's agent, in the same commit as the result.
    let appointed = match (&t.result, d.kind, &d.project_id) {
        (Some(r), DrawKind::Agent, Some(project)) => r
            .selected
            .first()
            .map(|agent| (project.clone(), OrgId::from_stored(agent.clone()))),
        _ => None,
    };
    let (kind, payload) = match &t.result {
        Some(r) => (
            "draw_completed",
            json!({
                "seed": t.seed, "selected": r.selected, "reserves": r.reserves, "missed_reveals": t.missed_reveals,
                "appointed": appointed.as_ref().map(|(p, a)| json!({ "project": p, "agent": a })),
            }),
        ),
        None => (
            "draw_failed",
            json!({ "missed_reveals": t.missed_reveals, "reason": "a party missed its reveal under the announced rule; a new draw must be announced" }),
        ),
    };
    d.state = if t.result.is_some() {
        DrawState::Completed
    } else {
        DrawState::Failed
    };
    d.transcript = Some(t);
    d.version += 1;
    let audit = event(kind, &d, actor, now, payload);
    save(app, &d, appointed.as_ref(), &audit).await?;
    Ok(d)
}

/// Saves the draw, and with it the project's new agent when the draw appoints one.
async fn save(
    app: &AppState,
    d: &DrawRecord,
    appointed: Option<&(ProjectId, OrgId)>,
    audit: &AuditEvent,
) -> Result<(), LotteryError> {
    match appointed {
        Some((project, agent)) => {
            app.store
                .save_draw_appointing(d, project, agent, audit)
                .await?
        }
        None => app.store.save_draw(d, audit).await?,
    }
    Ok(())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceSelectee {
    /// The selectee's id, or in a sealed pool its position ("3").
    pub replaced: String,
    #[schema(value_type = String)]
    pub reason: ReplacementReason,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub note: Option<Line<0, 300>>,
}

/// A selectee declined or was disqualified: the next reserve in order takes the place, recorded.
pub async fn replace(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    r: ReplaceSelectee,
) -> Result<DrawRecord, LotteryError> {
    let mut d = load(app, draw).await?;
    // Experts answer the platform, which alone knows who holds a sealed position.
    let platform_for_experts = d.kind == DrawKind::Expert && actor.role == Role::Platform;
    if d.requested_by != actor.org_id && !platform_for_experts {
        return Err(LotteryError::Forbidden(
            "only the draw's requester (or, for experts, the platform) records a replacement",
        ));
    }
    let now = app.clock.now();
    in_phase(&d, now, Phase::Completed, "replacing a selectee")?;
    if d.is_sealed() && !d.is_opened() {
        if let Some(note) = r.note.as_ref() {
            let secret = app.store.sealed_pool(&d.id).await?;
            let everyone = secret
                .openings
                .iter()
                .map(|o| (o.id.as_str(), o.name.as_str()))
                .chain(
                    secret
                        .excluded
                        .iter()
                        .map(|e| (e.id.as_str(), e.name.as_str())),
                );
            refuse_naming("note", note.as_str(), everyone)?;
        }
    }
    let mut t = d
        .transcript
        .clone()
        .expect("a completed draw has a transcript");
    let note = r
        .note
        .map(|n| n.as_str().to_string())
        .filter(|n| !n.is_empty());
    let next = t
        .replace(&r.replaced, r.reason, note.clone())
        .map_err(|e| invalid("replaced", e.step(), e.to_string()))?;
    // The reserve who takes an agent selectee's place becomes the project's agent.
    let appointed = match (d.kind, &d.project_id) {
        (DrawKind::Agent, Some(project)) => {
            Some((project.clone(), OrgId::from_stored(next.clone())))
        }
        _ => None,
    };
    d.transcript = Some(t);
    d.version += 1;
    let audit = event(
        "draw_replacement",
        &d,
        AuditActor::from(actor),
        now,
        json!({
            "replaced": r.replaced, "replacement": next, "reason": r.reason, "note": note,
            "appointed": appointed.as_ref().map(|(p, a)| json!({ "project": p, "agent": a })),
        }),
    );
    save(app, &d, appointed.as_ref(), &audit).await?;
    Ok(d)
}
