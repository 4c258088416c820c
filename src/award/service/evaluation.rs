//! The evaluation room's use cases: what a member sees, its declaration and marks, written
//! clarifications (条例52) and the report, signed by each member and then by the hall (docs/award.md §2–§4).

use super::*;

/// What one member sees: the bids, its own declaration and marks, and the committee's progress
/// (never another member's scores before the report).
pub async fn member_view(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
) -> Result<Value, AwardError> {
    own_tender(m, id)?;
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let me = s.member(m.seat).ok_or(Refusal::NotFound("member"))?;
    let committee = s.committee_of(m.seat).ok_or(Refusal::NotFound("member"))?;
    let progress: Vec<Value> = s
        .members_of(committee)
        .map(|x| {
            json!({
                "seat": x.seat, "kind": x.kind, "name": x.name, "active": x.active(),
                "declared": x.conflict.is_some(),
                "scored": s.marks.iter().filter(|k| k.seat == x.seat).count(),
                "signed": x.signed.is_some(),
            })
        })
        .collect();
    // What was read out for each bid, and the bid to ask the documents of (the committee reads
    // them in the room: `GET /api/tenders/{id}/opening/documents/{bid}` with the member's token,
    // each read in the audit log).
    let opening = OpeningState::fold(&crate::opening::service::all_events(app, id).await?)?;
    let counted = app.store.counted_bids(id).await?;
    let bids: Vec<Value> = s
        .bids
        .iter()
        .filter(|b| committee.covers(&b.lot_id))
        .map(|b| {
            let line = opening.lines.iter().find(|l| l.n == b.line);
            let bid_id = counted
                .iter()
                .find(|c| c.org_id.as_str() == b.org_id && c.lot_id == b.lot_id)
                .map(|c| c.id.clone());
            let failed = s
                .lots
                .iter()
                .any(|l| l.lot_id == b.lot_id && l.failure.is_some());
            json!({
                "line": b.line, "lot_id": b.lot_id, "org_name": b.org_name,
                "price_fen": b.price_fen,
                "duration_days": line.map(|l| l.duration_days.clone()),
                "quality": line.and_then(|l| l.quality.clone()),
                "bond": line.map(|l| l.bond.clone()),
                "bid_id": bid_id,
                "evaluated": !failed,
            })
        })
        .collect();
    let mine: Vec<Value> = s
        .marks
        .iter()
        .filter(|k| k.seat == m.seat)
        .map(|k| {
            json!({
                "line": k.line, "compliant": k.compliant, "scores": k.scores,
                "rejection": k.rejection.as_ref().map(|(g, r)| json!({ "ground": g, "reason": r })),
            })
        })
        .collect();
    Ok(json!({
        "tender_id": id.to_string(),
        "title": t.spec.title.as_str(),
        // The member's committee's stage, and its lot where each lot has its own.
        "stage": if s.failure.is_some() { Stage::Failed } else { committee.stage },
        "lot_id": committee.lot_id,
        "method": t.spec.evaluation_method,
        "tie_break": t.spec.tie_break.unwrap_or_default().as_str(),
        "seat": me.seat,
        "name": me.name,
        "declared": me.conflict.map(|c| if c { "conflict" } else { "no_conflict" }),
        "bids": bids,
        "rejection_grounds": crate::award::rejection::GROUNDS.iter().map(|(c, _)| *c).collect::<Vec<_>>(),
        "lots": t.spec.lots.iter().filter(|l| committee.covers(l.id.as_str())).map(|l| json!({ "lot_id": l.id, "name": l.name.as_str() })).collect::<Vec<_>>(),
        "my_marks": mine,
        "clarifications": s.clarifications,
        "committee": progress,
    }))
}

/// The 回避声明 a member makes before scoring.
pub const NO_CONFLICT_STATEMENT: &str =
    "本人与上述投标人均无利害关系 (I have no interest in any of these tenderers)";

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeclarationInput {
    /// true: the member has an interest in a tenderer and is recused.
    pub conflict: bool,
    #[serde(default)]
    pub note: Option<String>,
}

/// A member declares; a conflict recuses it, and an expert's seat goes to the draw's next
/// reserve (who then needs a code from the host).
pub async fn declare(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    input: DeclarationInput,
) -> Result<(), AwardError> {
    own_tender(m, id)?;
    let note = match &input.note {
        Some(n) if !n.trim().is_empty() => Some(bounded(n, "note", 500)?),
        _ => None,
    };
    act(app, id, By::Member(m.seat), |_, s, _| {
        let committee = s.evaluating_committee(m.seat)?;
        let me = s.member(m.seat).ok_or(Refusal::NotFound("member"))?;
        if me.conflict.is_some() {
            return Err(Refusal::AlreadyDeclared.into());
        }
        let statement = if input.conflict {
            "本人与投标人存在利害关系，申请回避 (I have an interest in a tenderer and step aside)"
        } else {
            NO_CONFLICT_STATEMENT
        };
        let mut p = vec![hall(
            "declared",
            json!({ "seat": m.seat, "conflict": input.conflict, "statement": statement, "note": note }),
        )];
        if input.conflict && me.is_expert() {
            if let Some((expert_id, name)) = committee.reserves.first() {
                let seat = s.members.iter().map(|x| x.seat).max().unwrap_or(0) + 1;
                p.push(hall(
                    "member_replaced",
                    json!({
                        "seat": m.seat,
                        "replacement": { "seat": seat, "kind": "expert", "expert_id": expert_id, "name": name },
                    }),
                ));
            }
        }
        Ok((p, Vec::new()))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    /// The bid's line number at the opening.
    pub line: i64,
    /// 符合性: does the bid meet the documents' substantive requirements?
    pub compliant: bool,
    /// Comprehensive scoring: one score 0–100 per criterion, in the tender's order; the lowest
    /// evaluated price method takes none.
    #[serde(default)]
    pub scores: Vec<u32>,
    /// A non-compliant bid's ground of 条例51 (`award::rejection::GROUNDS`): required then.
    #[serde(default)]
    pub ground: Option<String>,
    /// The member's reason for rejecting the bid (1 to 500 characters): required with a ground.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A member marks one bid (again, to correct it, until the report is being signed).
pub async fn score(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    input: ScoreInput,
) -> Result<(), AwardError> {
    own_tender(m, id)?;
    act(app, id, By::Member(m.seat), |t, s, _| {
        s.may_score(m.seat, input.line)?;
        let rejection = crate::award::rejection::check(
            input.compliant,
            input.ground.as_deref(),
            input.reason.as_deref(),
        )?;
        let criteria = report::scored_criteria(t);
        if input.scores.len() != criteria || input.scores.iter().any(|x| *x > 100) {
            return Err(Refusal::BadInput(format!(
                "scores: {criteria} score(s) between 0 and 100, one per criterion the members score (the price criterion is computed)"
            ))
            .into());
        }
        Ok((
            vec![typed(
                Audience::Hall,
                AwardBody::Scored {
                    seat: m.seat,
                    line: input.line,
                    compliant: input.compliant,
                    scores: input.scores.clone(),
                    rejection: rejection
                        .clone()
                        .map(|(ground, reason)| Rejection { ground, reason }),
                },
            )],
            Vec::new(),
        ))
    })
    .await
}

/// The report as it stands, for the committee to read before signing.
pub async fn draft_report(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
) -> Result<Value, AwardError> {
    own_tender(m, id)?;
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let c = s.committee_of(m.seat).ok_or(Refusal::NotFound("member"))?;
    s.report_ready(c)?;
    let r = report::build(&t, &s, c);
    let signed: Vec<i64> = s
        .members_of(c)
        .filter(|x| x.signed.is_some())
        .map(|x| x.seat)
        .collect();
    Ok(json!({ "report_sha256": report::sha256(&r), "report": r, "signed_by": signed }))
}

/// A member signs the report it read (by its hash). When every active member has, the ranking
/// is final and the hall signs the report; with no passing bid the award fails.
pub async fn sign_report(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    report_sha256: &str,
) -> Result<(), AwardError> {
    own_tender(m, id)?;
    act(app, id, By::Member(m.seat), |t, s, _| {
        let c = s.may_sign(m.seat)?;
        let r = report::build(t, s, c);
        let sha = report::sha256(&r);
        if sha != report_sha256 {
            return Err(Refusal::ReportChanged { current: sha }.into());
        }
        let mut p = vec![hall(
            "report_signed",
            json!({ "seat": m.seat, "report_sha256": sha }),
        )];
        let all = s
            .active_members_of(c)
            .all(|x| x.seat == m.seat || x.signed.as_deref() == Some(sha.as_str()));
        if all {
            let signature = report::sign(&app.log.signer, id.as_str(), &sha);
            let ranking = r["ranking"].clone();
            let mut body =
                json!({ "report_sha256": sha, "signature": signature, "ranking": ranking });
            if let Some(lot) = &c.lot_id {
                body["lot_id"] = json!(lot);
            }
            p.push(hall("report_finalised", body));
            // 法42, per lot: a lot none of whose bids passed fails.
            for lot in s
                .lots
                .iter()
                .filter(|l| l.failure.is_none() && c.covers(&l.lot_id))
            {
                let passing = ranking.as_array().is_some_and(|a| {
                    a.iter().any(|x| {
                        x["rank"].is_i64()
                            && x["lot_id"].as_str().unwrap_or_default() == lot.lot_id
                    })
                });
                if !passing {
                    p.push(lot_failed(
                        &lot.lot_id,
                        "no_passing_bid",
                        "法42",
                        "no bid for this lot passed the committee's compliance review; the lot fails and may be tendered again".into(),
                    ));
                }
            }
        }
        Ok((p, Vec::new()))
    })
    .await
}

/// Who may read the final report: the committee, the host, the owner and the supervisor once it
/// is final; everyone once the award notice is issued (the committee's names are confidential
/// until then, 法37).
pub async fn final_report(
    app: &AppState,
    actor: Option<&Actor>,
    member: Option<&MemberSession>,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    let events = app.store.award_events(id).await?;
    let s = AwardState::fold(&events)?;
    // Who may read it before what stage it is in: a refusal says nothing about the award.
    let insider = member.is_some_and(|m| &m.tender_id == id) || insider(actor, &t);
    if !insider && !s.result_determined() {
        return Err(Refusal::Forbidden(
            "the evaluation report is public once the award notice is issued",
        )
        .into());
    }
    // Which committee's: a member's own; else the named lot's; else the only one.
    let c = match (member.filter(|m| &m.tender_id == id), lot) {
        (Some(m), _) => s.committee_of(m.seat),
        (None, Some(lot)) => {
            s.lot(lot)?;
            s.committee_for(lot)
        }
        (None, None) if t.spec.committee_per_lot => return Err(Refusal::LotRequired.into()),
        (None, None) => match s.committees.as_slice() {
            [only] => Some(only),
            [] => None,
            _ => return Err(Refusal::LotRequired.into()),
        },
    };
    let not_final = || Refusal::WrongStage {
        stage: s.stage().as_str(),
    };
    let c = c.ok_or_else(not_final)?;
    let (report_sha256, signature) = c.report.clone().ok_or_else(not_final)?;
    let end = events
        .iter()
        .position(|e| {
            e.kind == "report_finalised" && e.body["lot_id"].as_str() == c.lot_id.as_deref()
        })
        .ok_or_else(not_final)?;
    let at_end = AwardState::fold(&events[..end])?;
    let scope = at_end
        .committees
        .iter()
        .find(|x| x.lot_id == c.lot_id)
        .ok_or_else(not_final)?;
    let r = report::build(&t, &at_end, scope);
    let signed: Vec<Value> = s
        .members_of(c)
        .filter_map(|x| {
            x.signed_at
                .as_ref()
                .map(|at| json!({ "seat": x.seat, "at": at }))
        })
        .collect();
    Ok(json!({
        "report": r,
        "report_sha256": report_sha256,
        "signature": signature,
        "signed_by": signed,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClarifyInput {
    /// The bid's line number at the opening.
    pub line: i64,
    /// The question, 1 to 2000 characters.
    pub text: String,
}

/// A member asks the tenderer of a bid to clarify it in writing (条例52: the committee may ask
/// for clarification of unclear content; the answer may not go beyond the bid or change its
/// substance). Only the tenderer of that bid sees the question, by the member's seat, never its
/// name (法37). Returns the question's number.
pub async fn ask_clarification(
    app: &AppState,
    m: &MemberSession,
    id: &TenderId,
    input: ClarifyInput,
) -> Result<i64, AwardError> {
    own_tender(m, id)?;
    let text = bounded(&input.text, "text", 2000)?;
    let mut asked = 0;
    act(app, id, By::Member(m.seat), |_, s, _| {
        s.may_score(m.seat, input.line)?;
        let bid = s
            .evaluated_bids()
            .find(|b| b.line == input.line)
            .ok_or(Refusal::NotFound("bid line"))?;
        asked = s.clarifications.len() as i64 + 1;
        Ok((
            vec![typed(
                Audience::Party(OrgId::from_stored(bid.org_id.clone())),
                AwardBody::ClarificationAsked {
                    id: asked,
                    seat: m.seat,
                    line: input.line,
                    text: text.clone(),
                },
            )],
            Vec::new(),
        ))
    })
    .await?;
    Ok(asked)
}

/// The tenderer answers a member's question in writing, from its own account, while the
/// evaluation runs; the answer is in the log and in the evaluation report.
pub async fn answer_clarification(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    n: i64,
    input: TextInput,
) -> Result<(), AwardError> {
    tender(app, id).await?;
    if actor.role != Role::Tenderer {
        return Err(Refusal::Forbidden("only the tenderer asked answers its clarification").into());
    }
    let text = bounded(&input.text, "text", 5000)?;
    let org = actor.org_id.clone();
    act(app, id, By::User(actor.into()), |_, s, _| {
        s.may_answer(n, org.as_str())?;
        Ok((
            vec![typed(
                Audience::Party(org.clone()),
                AwardBody::ClarificationAnswered {
                    id: n,
                    org_id: org.to_string(),
                    text: text.clone(),
                },
            )],
            Vec::new(),
        ))
    })
    .await
}
