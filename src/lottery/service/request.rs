//! Requesting a draw: who may, the pool the registries give, and the announcement and frozen
//! (for experts, sealed) pool, each in the audit log (docs/draw.md).

use super::*;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawRequest {
    pub kind: DrawKind,
    /// The project whose agent is drawn (agent draws).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub project_id: Option<ProjectId>,
    /// The tender whose evaluation panel is drawn (expert draws).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub tender_id: Option<TenderId>,
    #[schema(value_type = String)]
    pub purpose: Line<1, 300>,
    pub select: u32,
    #[serde(default)]
    pub reserves: u32,
    #[serde(default)]
    pub agent_filter: Option<AgentFilter>,
    #[serde(default)]
    pub expert_filter: Option<ExpertFilter>,
    /// The organisations contributing randomness; default: the platform, the requester and the
    /// supervisor.
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>)]
    pub parties: Option<Vec<OrgId>>,
    /// The supervising department that witnesses the draw (expert draws default to the tender's).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub supervisor_org_id: Option<OrgId>,
    #[schema(value_type = String)]
    pub commit_deadline: Timestamp,
    #[schema(value_type = String)]
    pub reveal_deadline: Timestamp,
    #[serde(default)]
    pub beacon: Option<AnnouncedBeacon>,
    /// Default: leave out a party that misses its reveal when a beacon is announced, otherwise fail.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub missed_reveal_rule: Option<MissedRevealRule>,
}

struct Target {
    project_id: Option<ProjectId>,
    tender_id: Option<TenderId>,
    supervisor: Option<OrgId>,
    pool: Vec<Candidate>,
    excluded: Vec<Excluded>,
}

/// Who may request, and the pool the registries give at `now`.
async fn target(
    app: &AppState,
    actor: &Actor,
    req: &DrawRequest,
    now: Timestamp,
) -> Result<Target, LotteryError> {
    let mut pool = Vec::new();
    let mut excluded = Vec::new();
    let mut sort = |id: String, name: String, reasons: Vec<crate::registry::Exclusion>| {
        if reasons.is_empty() {
            pool.push(Candidate::new(id, name));
        } else {
            excluded.push(Excluded { id, name, reasons });
        }
    };
    match req.kind {
        DrawKind::Agent => {
            let project_id = req.project_id.clone().ok_or_else(|| {
                invalid("project_id", "required", "an agent draw names its project")
            })?;
            let filter = req.agent_filter.as_ref().ok_or_else(|| {
                invalid(
                    "agent_filter",
                    "required",
                    "an agent draw names the category",
                )
            })?;
            let project = app
                .store
                .get_project(&project_id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => LotteryError::NotFound("project"),
                    e => e.into(),
                })?;
            if actor.role != Role::Owner || actor.org_id != project.owner_org_id {
                return Err(LotteryError::Forbidden(
                    "only the owner of the project (招标人) requests its agent draw",
                ));
            }
            let quals = app.store.list_qualifications(None).await?;
            let credit = app.store.list_credit_records(None).await?;
            for a in app.store.list_agents().await? {
                let q: Vec<_> = quals
                    .iter()
                    .filter(|q| q.org_id == a.org_id)
                    .cloned()
                    .collect();
                let c: Vec<_> = credit
                    .iter()
                    .filter(|c| c.org_id == a.org_id)
                    .cloned()
                    .collect();
                let why = agent_exclusions(&a, &q, &c, filter, now);
                sort(
                    a.org_id.to_string(),
                    a.forms.organisation.name.as_str().to_string(),
                    why,
                );
            }
            Ok(Target {
                project_id: Some(project_id),
                tender_id: None,
                supervisor: req.supervisor_org_id.clone(),
                pool,
                excluded,
            })
        }
        DrawKind::Expert => {
            let tender_id = req.tender_id.clone().ok_or_else(|| {
                invalid("tender_id", "required", "an expert draw names its tender")
            })?;
            let filter = req.expert_filter.as_ref().ok_or_else(|| {
                invalid(
                    "expert_filter",
                    "required",
                    "an expert draw names the specialties",
                )
            })?;
            let tender = app
                .store
                .get_tender(&tender_id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => LotteryError::NotFound("tender"),
                    e => e.into(),
                })?;
            if !Relations::of(Some(actor), &tender).manages() {
                return Err(LotteryError::Forbidden(
                    "only the tender's agent or owner requests its expert draw",
                ));
            }
            let conflicts = Conflicts {
                owner: tender.owner_org_id.clone(),
                agent: tender.agent_org_id.clone(),
                supervisor: tender.spec.supervisor_org_id.clone(),
                tenderers: app
                    .store
                    .list_obtained(&tender_id)
                    .await?
                    .into_iter()
                    .map(|o| o.org_id)
                    .collect(),
            };
            for e in app.store.list_experts().await? {
                let why = expert_exclusions(&e, filter, &conflicts, now);
                sort(e.id.clone(), e.name.as_str().to_string(), why);
            }
            Ok(Target {
                project_id: Some(tender.project_id.clone()),
                tender_id: Some(tender_id),
                supervisor: Some(
                    req.supervisor_org_id
                        .clone()
                        .unwrap_or(tender.spec.supervisor_org_id),
                ),
                pool,
                excluded,
            })
        }
    }
}

async fn parties(
    app: &AppState,
    actor: &Actor,
    req: &DrawRequest,
    supervisor: Option<OrgId>,
) -> Result<Vec<OrgId>, LotteryError> {
    let parties = match &req.parties {
        Some(p) => p.clone(),
        None => {
            let platform = app
                .store
                .list_organisations(Some(Role::Platform))
                .await?
                .into_iter()
                .next()
                .ok_or_else(|| {
                    LotteryError::Protocol("the hall has no platform organisation".into())
                })?;
            let supervisor = supervisor.ok_or_else(|| {
                invalid(
                    "supervisor_org_id",
                    "required",
                    "name the supervising department that witnesses the draw, or list the parties",
                )
            })?;
            vec![platform.id, actor.org_id.clone(), supervisor]
        }
    };
    if parties.is_empty() {
        return Err(invalid(
            "parties",
            "required",
            "at least one party contributes randomness",
        ));
    }
    for (i, p) in parties.iter().enumerate() {
        if parties[..i].contains(p) {
            return Err(invalid(
                "parties",
                "duplicate_party",
                "a party is listed twice",
            ));
        }
        match app.store.get_organisation(p).await {
            Ok(_) => {}
            Err(StoreError::NotFound) => {
                return Err(invalid(
                    &format!("parties[{i}]"),
                    "unknown_organisation",
                    "no such organisation",
                ))
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(parties)
}

/// Announces a draw (logged) and freezes its pool (published and logged). Refused, with nothing
/// logged, when the request is not valid or the registries cannot fill it.
pub async fn request_draw(
    app: &AppState,
    actor: &Actor,
    req: DrawRequest,
) -> Result<DrawRecord, LotteryError> {
    let now = app.clock.now();
    let target = target(app, actor, &req, now).await?;
    let parties = parties(app, actor, &req, target.supervisor.clone()).await?;
    if req.select == 0 {
        return Err(invalid(
            "select",
            "nothing_to_select",
            "select at least one candidate",
        ));
    }
    if req.kind == DrawKind::Agent && req.select != 1 {
        // The draw appoints the project's agent: one, with reserves for a selectee who declines.
        return Err(invalid(
            "select",
            "one_agent",
            "an agent draw selects one agent, who becomes the project's agent; reserves take its place if it declines",
        ));
    }
    if req.select.saturating_add(req.reserves) > MAX_DRAWN {
        return Err(invalid(
            "reserves",
            "too_many",
            format!("at most {MAX_DRAWN} are drawn"),
        ));
    }
    if req.commit_deadline <= now {
        return Err(invalid(
            "commit_deadline",
            "in_the_past",
            "the commit deadline must be in the future",
        ));
    }
    if req.reveal_deadline <= req.commit_deadline {
        return Err(invalid(
            "reveal_deadline",
            "deadlines_out_of_order",
            "the reveals close after the commitments",
        ));
    }
    if let Some(b) = &req.beacon {
        if b.deadline <= req.reveal_deadline {
            return Err(invalid(
                "beacon.deadline",
                "deadlines_out_of_order",
                "the beacon must be fixed only after the reveals close",
            ));
        }
        if b.source.trim().is_empty() || b.round.trim().is_empty() {
            return Err(invalid(
                "beacon",
                "required",
                "a beacon names its source and round",
            ));
        }
        if b.source == drand::QUICKNET && b.round.parse::<u64>().is_err() {
            return Err(invalid(
                "beacon.round",
                "not_a_round",
                "a drand quicknet beacon names its round by number",
            ));
        }
    }
    let rule = req.missed_reveal_rule.unwrap_or(if req.beacon.is_some() {
        MissedRevealRule::ExcludeParty
    } else {
        MissedRevealRule::FailDraw
    });
    if rule == MissedRevealRule::ExcludeParty && req.beacon.is_none() {
        return Err(invalid(
            "missed_reveal_rule",
            "exclude_without_beacon",
            "leaving out a party that misses its reveal needs a beacon: without one the last to reveal could choose the outcome",
        ));
    }
    let pool = Pool::new(target.pool).map_err(|e| LotteryError::Protocol(e.to_string()))?;
    let needed = (req.select + req.reserves) as usize;
    if pool.len() < needed {
        return Err(LotteryError::PoolTooSmall {
            pool: pool.len(),
            needed,
        });
    }
    let sealed = req.kind == DrawKind::Expert;
    if sealed {
        let everyone = pool
            .candidates()
            .iter()
            .map(|c| (c.id.as_str(), c.name.as_str()))
            .chain(
                target
                    .excluded
                    .iter()
                    .map(|e| (e.id.as_str(), e.name.as_str())),
            );
        refuse_naming("purpose", req.purpose.as_str(), everyone)?;
    }

    // 1. announce
    let mut d = DrawRecord {
        id: uuid::Uuid::now_v7().to_string(),
        kind: req.kind,
        project_id: target.project_id,
        tender_id: target.tender_id,
        requested_by: actor.org_id.clone(),
        purpose: req.purpose.as_str().to_string(),
        select_count: req.select,
        reserve_count: req.reserves,
        agent_filter: req.agent_filter,
        expert_filter: req.expert_filter,
        parties,
        commit_deadline: req.commit_deadline,
        reveal_deadline: req.reveal_deadline,
        beacon: req.beacon,
        missed_reveal_rule: rule,
        state: DrawState::Announced,
        pool: None,
        beacon_value: None,
        transcript: None,
        created_at: now,
        version: 1,
    };
    let a = d.announcement();
    let audit = event(
        "draw_announced",
        &d,
        AuditActor::from(actor),
        now,
        json!({
            "algorithm": crate::draws::ALGORITHM, "kind": d.kind, "project": d.project_id,
            "purpose": a.purpose, "select": a.select_count, "reserves": a.reserve_count,
            "parties": a.parties, "deadlines": a.deadlines, "missed_reveal_rule": a.missed_reveal_rule,
            "beacon": d.beacon.as_ref().map(|b| json!({"source": b.source, "round": b.round})),
            "agent_filter": d.agent_filter, "expert_filter": d.expert_filter,
        }),
    );
    app.store.create_draw(&d, &audit).await?;

    // 2. freeze the pool: an expert pool sealed (docs/draw.md, "Sealed pools"), names kept apart
    if sealed {
        let sealed_pool = SealedPool::seal(&d.id, &pool, || {
            let mut salt = [0u8; SECRET_LEN];
            crate::identity::session::fill_random(&mut salt);
            salt
        })
        .map_err(|e| LotteryError::Protocol(e.to_string()))?;
        let frozen = FrozenPool {
            hash: hex::encode(sealed_pool.hash()),
            candidates: Vec::new(),
            excluded: target.excluded.iter().map(Excluded::anonymous).collect(),
            frozen_at: now,
            sealed: Some(sealed_pool.commitments().iter().map(hex::encode).collect()),
            opened_at: None,
        };
        let audit = event(
            "draw_pool_frozen",
            &d,
            AuditActor::System,
            now,
            json!({ "pool_hash": frozen.hash, "pool_size": sealed_pool.len(), "sealed": frozen.sealed, "excluded": frozen.excluded }),
        );
        let secret = SealedSecret {
            openings: sealed_pool.openings(),
            excluded: target.excluded,
        };
        d.pool = Some(frozen);
        d.state = DrawState::Open;
        d.version += 1;
        app.store.freeze_sealed_pool(&d, &secret, &audit).await?;
        return Ok(d);
    }
    let frozen = FrozenPool {
        hash: hex::encode(pool.hash()),
        candidates: pool.candidates().to_vec(),
        excluded: target.excluded,
        frozen_at: now,
        sealed: None,
        opened_at: None,
    };
    let audit = event(
        "draw_pool_frozen",
        &d,
        AuditActor::System,
        now,
        json!({ "pool_hash": frozen.hash, "pool_size": frozen.candidates.len(), "excluded": frozen.excluded }),
    );
    d.pool = Some(frozen);
    d.state = DrawState::Open;
    d.version += 1;
    app.store.save_draw(&d, &audit).await?;
    Ok(d)
}

/// Refuses `text` (a purpose or a replacement's note, both public at once) when it names any
/// member of a sealed pool by id or name: 法37 keeps them secret until the result is determined.
pub(super) fn refuse_naming<'a>(
    field: &str,
    text: &str,
    members: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<(), LotteryError> {
    let named = |s: &str| !s.trim().is_empty() && text.contains(s.trim());
    for (id, name) in members {
        if named(id) || named(name) {
            return Err(invalid(
                field,
                "names_an_expert",
                "the evaluation experts are secret until the result is determined (招标投标法 第三十七条): name no expert here",
            ));
        }
    }
    Ok(())
}
