//! The committee: formed by the host from an expert draw (one, or one per lot), its members'
//! one-time codes and sign-in (docs/award.md §2).

use super::*;

// ---------------------------------------------------------------------------------------------
// the committee

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitteeInput {
    /// Names of the owner's representatives (招标人代表), if the owner sends any.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub owner_representatives: Vec<Line<1, 100>>,
    /// The lot whose committee this is: required when the documents form one committee per lot
    /// (`committee_per_lot`), refused otherwise.
    #[serde(default)]
    pub lot_id: Option<String>,
    /// The completed expert draw of the tender to form it from; absent: the latest one that has
    /// not formed a committee yet.
    #[serde(default)]
    pub draw_id: Option<String>,
}

/// A member's one-time evaluation code, shown once to the host who hands it over.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberCode {
    pub seat: i64,
    pub kind: String,
    pub name: String,
    pub code: String,
}

/// The lot a committee is formed for: one of the tender's lots when its documents form one
/// committee per lot, none otherwise.
fn committee_lot(t: &Tender, named: Option<&str>) -> Result<Option<String>, Refusal> {
    match (t.spec.committee_per_lot, named) {
        (true, None) => Err(Refusal::LotRequired),
        (true, Some(lot)) => t
            .spec
            .lots
            .iter()
            .find(|l| l.id.as_str() == lot)
            .map(|l| Some(l.id.to_string()))
            .ok_or(Refusal::NotFound("lot")),
        (false, None) => Ok(None),
        (false, Some(_)) => Err(Refusal::OneCommittee),
    }
}

/// Refuses unless `lot` still waits for its own committee: none formed for it, and neither it
/// (nor the tender) failed — `thin` lists the lots the opening did not open (条例44).
fn lot_waits_for_committee(
    s: &AwardState,
    lot: &str,
    thin: &[(String, i64)],
) -> Result<(), Refusal> {
    let failed = thin.iter().any(|(l, _)| l == lot)
        || s.failure.is_some()
        || s.lot(lot).is_ok_and(|l| l.failure.is_some());
    let stage = if failed {
        Some(Stage::Failed)
    } else {
        s.committee_for(lot).map(|c| c.stage)
    };
    match stage {
        Some(stage) => Err(Refusal::LotWrongStage {
            lot: lot.to_string(),
            stage: stage.as_str(),
        }),
        None => Ok(()),
    }
}

/// The host forms a committee once the opening is concluded: the panel of a completed expert
/// draw of the tender, in draw order, plus the owner's representatives 法37 allows. One for the
/// tender, or one per lot where the documents say so, each from a draw of its own.
pub async fn form_committee(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: CommitteeInput,
) -> Result<Vec<MemberCode>, AwardError> {
    let t = tender(app, id).await?;
    host_only(actor, &t)?;
    let lot = committee_lot(&t, input.lot_id.as_deref())?;
    let before = fold(app, id).await?;
    match &lot {
        None => before.require(&[Stage::NotStarted])?,
        Some(lot) => lot_waits_for_committee(&before, lot, &[])?,
    }
    let draws: Vec<_> = app
        .store
        .list_draws()
        .await?
        .into_iter()
        .filter(|d| {
            d.kind == DrawKind::Expert
                && d.tender_id.as_ref() == Some(id)
                && d.state == DrawState::Completed
        })
        .collect();
    let draw = match &input.draw_id {
        Some(named) => draws
            .into_iter()
            .find(|d| &d.id == named)
            .ok_or(Refusal::NoExpertDraw)?,
        None => draws
            .into_iter()
            .filter(|d| !before.formed_from(&d.id))
            .max_by_key(|d| d.created_at)
            .ok_or(Refusal::NoExpertDraw)?,
    };
    let transcript = draw.transcript.as_ref().ok_or(Refusal::NoExpertDraw)?;
    let opening = OpeningState::fold(&crate::opening::service::all_events(app, id).await?)?;
    if opening.phase() != Phase::Concluded {
        return Err(Refusal::OpeningNotConcluded.into());
    }
    let (seated, reserves) = panel(transcript);
    check_composition(seated.len(), input.owner_representatives.len())?;
    // The draw's result names positions when its pool is sealed (法37); the host gets the names
    // from the platform's store, never from a public record.
    let pool = crate::lottery::service::pool_members(app, &draw)
        .await
        .map_err(|e| AwardError::Store(StoreError::Unavailable(e.to_string())))?;
    let who = |h: &str| {
        (pool.get(h)).map_or((h.to_string(), String::new()), |c| {
            (c.id.clone(), c.name.clone())
        })
    };
    let name_of = |h: &str| who(h).1;
    let mut members: Vec<Value> = seated
        .iter()
        .map(|e| json!({ "kind": "expert", "expert_id": who(e).0, "name": name_of(e) }))
        .collect();
    members.extend(
        input.owner_representatives.iter().map(
            |n| json!({ "kind": "owner_representative", "expert_id": "", "name": n.as_str() }),
        ),
    );
    let reserves: Vec<Value> = reserves
        .iter()
        .map(|e| json!({ "expert_id": who(e).0, "name": name_of(e) }))
        .collect();
    let bids: Vec<Value> = opening
        .lines
        .iter()
        .filter(|l| l.opened())
        .map(|l| {
            json!({
                "line": l.n, "lot_id": l.lot_id, "org_id": l.org_id, "org_name": l.org_name,
                "price_fen": l.price_fen, "bond": l.bond,
            })
        })
        .collect();
    let tenderers: Vec<Value> = opening.lines.iter().map(|l| json!(l.org_id)).collect();
    // 条例44, per lot (标段): a lot the opening did not open for want of 3 bids is not evaluated;
    // it fails here, with the count the opening recorded, and is tendered again. (The rule is the
    // opening's, `opening::decide::lots_not_opened`; a whole tender without 3 failed there.)
    let thin: Vec<(String, i64)> = opening
        .not_opened
        .iter()
        .map(|l| (l.lot_id.clone(), l.count))
        .collect();
    let mut issued = Vec::new();
    act(app, id, By::User(actor.into()), |_, s, _| {
        match &lot {
            None => s.require(&[Stage::NotStarted])?,
            Some(lot) => lot_waits_for_committee(s, lot, &thin)?,
        }
        if s.formed_from(&draw.id) {
            return Err(Refusal::DrawAlreadyUsed {
                draw_id: draw.id.clone(),
            }
            .into());
        }
        // Seats are numbered across the tender's committees, so a seat names one member.
        let first = s.members.iter().map(|m| m.seat).max().unwrap_or(0) + 1;
        let mut members = members.clone();
        for (i, m) in members.iter_mut().enumerate() {
            m["seat"] = json!(first + i as i64);
        }
        issued.clear();
        let mut codes = Vec::new();
        for m in &members {
            let code = Secret::code();
            codes.push(IssuedCode {
                seat: m["seat"].as_i64().unwrap_or_default(),
                code_sha256: code.digest(),
            });
            issued.push(MemberCode {
                seat: m["seat"].as_i64().unwrap_or_default(),
                kind: m["kind"].as_str().unwrap_or_default().to_string(),
                name: m["name"].as_str().unwrap_or_default().to_string(),
                code: code.expose().to_string(),
            });
        }
        let mut body = json!({
            "draw_id": draw.id, "members": members, "reserves": reserves, "bids": bids,
            "tenderers": tenderers,
        });
        if let Some(lot) = &lot {
            body["lot_id"] = json!(lot);
        }
        let mut p = vec![hall("committee_formed", body)];
        for (lot, n) in &thin {
            if s.lot(lot).is_ok_and(|l| l.failure.is_some()) {
                continue;
            }
            p.push(lot_failed(
                lot,
                "min_three_bids",
                "条例44",
                format!("{n} bid(s) for this lot; fewer than 3 tenderers, so the lot is not evaluated and is tendered again (招标投标法实施条例 第四十四条)"),
            ));
        }
        Ok((p, codes))
    })
    .await?;
    Ok(issued)
}

/// The host issues fresh codes to the active members who have not signed the report (a
/// replacement after a recusal, a lost code, an expired token); older unused codes stop working.
pub async fn issue_codes(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<MemberCode>, AwardError> {
    host_only(actor, &tender(app, id).await?)?;
    let mut issued = Vec::new();
    act(app, id, By::User(actor.into()), |_, s, _| {
        // Every committee still evaluating (one, or one per lot).
        let evaluating: Vec<&Committee> = s
            .committees
            .iter()
            .filter(|c| matches!(c.stage, Stage::CommitteeFormed | Stage::Evaluating))
            .collect();
        if evaluating.is_empty() || s.failure.is_some() {
            return Err(Refusal::WrongStage {
                stage: s.stage().as_str(),
            }
            .into());
        }
        issued.clear();
        let mut codes = Vec::new();
        for m in evaluating
            .iter()
            .flat_map(|c| s.active_members_of(c))
            .filter(|m| m.signed.is_none())
        {
            let code = Secret::code();
            codes.push(IssuedCode {
                seat: m.seat,
                code_sha256: code.digest(),
            });
            issued.push(MemberCode {
                seat: m.seat,
                kind: m.kind.clone(),
                name: m.name.clone(),
                code: code.expose().to_string(),
            });
        }
        let seats: Vec<i64> = issued.iter().map(|m| m.seat).collect();
        Ok((vec![hall("codes_issued", json!({ "seats": seats }))], codes))
    })
    .await?;
    Ok(issued)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberSignIn {
    pub token: String,
    pub tender_id: String,
    pub seat: i64,
    pub name: String,
    pub expires_at: String,
}

/// A member signs in with its one-time code and gets a token for its seat of one tender.
pub async fn sign_in(app: &AppState, code: &str) -> Result<MemberSignIn, AwardError> {
    let code = Secret::parse(CODE_PREFIX, code).ok_or(AwardError::BadCredential)?;
    let (id, seat) = app
        .store
        .find_evaluation_code(&code.digest())
        .await?
        .ok_or(AwardError::BadCredential)?;
    let s = fold(app, &id).await?;
    let m = s.member(seat).ok_or(AwardError::BadCredential)?;
    // The member's own committee is still evaluating (one per lot where the documents say so).
    s.evaluating_committee(seat)?;
    if !m.active() {
        return Err(Refusal::Recused.into());
    }
    let now = app.clock.now();
    let token = Secret::token();
    let session = MemberSession {
        tender_id: id.clone(),
        seat,
        expires_at: now.plus_millis(TOKEN_TTL_MS),
    };
    let audit = AuditEvent::new(
        "evaluation_sign_in",
        Some(&id),
        AuditActor::System,
        now,
        json!({ "member_seat": seat }),
    );
    match app
        .store
        .redeem_evaluation_code(&code.digest(), &token.digest(), &session, now, &audit)
        .await
    {
        Err(StoreError::Conflict(_)) => return Err(AwardError::BadCredential),
        r => r?,
    }
    Ok(MemberSignIn {
        token: token.expose().to_string(),
        tender_id: id.to_string(),
        seat,
        name: m.name.clone(),
        expires_at: session.expires_at.to_rfc3339(),
    })
}

/// The member a bearer token belongs to, if it is valid now.
pub async fn member(app: &AppState, token: &str) -> Result<MemberSession, AwardError> {
    let token = Secret::parse(TOKEN_PREFIX, token).ok_or(AwardError::BadCredential)?;
    let m = app
        .store
        .find_member_token(&token.digest())
        .await?
        .ok_or(AwardError::BadCredential)?;
    if app.clock.now() >= m.expires_at {
        return Err(AwardError::BadCredential);
    }
    Ok(m)
}
