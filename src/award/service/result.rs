//! From the final ranking to the end of each lot: publicity and objections (条例54), the award
//! notice, a decline (条例55), the contract (法46), its performance, and termination (条例31)
//! (docs/award.md §5).

use super::*;

// ---------------------------------------------------------------------------------------------
// candidates, objections, notice, contract

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicityInput {
    /// The lot (标段); may be left out when the tender has one lot.
    #[serde(default)]
    pub lot_id: Option<String>,
    /// How many of the ranked bids are publicised as candidates (1 to 3).
    pub count: usize,
    /// The end of the publicity window: at least 3 days from now.
    #[schema(value_type = String)]
    pub until: Timestamp,
}

/// The host publicises up to three ranked candidates for at least three days (条例54).
pub async fn publicise(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: PublicityInput,
) -> Result<(), AwardError> {
    host_only(actor, &tender(app, id).await?)?;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let lot = s.resolve_lot(input.lot_id.as_deref())?;
        s.require_lot(&lot, &[Stage::Evaluated])?;
        let passing: Vec<(i64, &RankedLine)> = s
            .ranking
            .iter()
            .filter(|r| r.lot_id.as_deref().unwrap_or_default() == lot)
            .filter_map(|r| r.rank.map(|rank| (rank, r)))
            .collect();
        let max = passing.len().min(MAX_CANDIDATES);
        if input.count == 0 || input.count > max {
            return Err(Refusal::BadInput(format!(
                "count: between 1 and {max} (up to 3 ranked bids that passed)"
            ))
            .into());
        }
        let earliest = now.plus_millis(PUBLICITY_MIN_MS);
        if input.until < earliest {
            return Err(Refusal::PublicityTooShort {
                earliest: earliest.to_rfc3339(),
            }
            .into());
        }
        let candidates: Vec<Candidate> = passing
            .iter()
            .take(input.count)
            .map(|(rank, r)| Candidate {
                rank: *rank,
                line: r.line,
                lot_id: r.lot_id.clone(),
                org_id: r.org_id.clone(),
                org_name: r.org_name.clone(),
                price_fen: r.price_fen,
                score_centi: r.score_centi,
            })
            .collect();
        Ok((
            vec![typed(
                Audience::Public,
                AwardBody::CandidatesPublicised {
                    lot_id: lot_key(&lot),
                    candidates,
                    from: now,
                    until: input.until,
                },
            )],
            Vec::new(),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextInput {
    pub text: String,
    /// The lot (标段) it concerns; may be left out when the tender has one lot.
    #[serde(default)]
    pub lot_id: Option<String>,
}

/// A tenderer that bid objects to the candidates (异议) within the publicity window.
pub async fn object(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TextInput,
) -> Result<i64, AwardError> {
    tender(app, id).await?;
    let text = bounded(&input.text, "text", 2000)?;
    let org = actor.org_id.clone();
    let mut raised = 0;
    act(app, id, By::User(actor.into()), |_, s, now| {
        if actor.role != Role::Tenderer || !s.bid_by(org.as_str()) {
            return Err(
                Refusal::Forbidden("only a tenderer that bid objects to the candidates").into(),
            );
        }
        let lot = s.resolve_lot(input.lot_id.as_deref())?;
        s.may_object(&lot, now)?;
        raised = s.objections.len() as i64 + 1;
        Ok((
            vec![typed(
                Audience::Party(org.clone()),
                AwardBody::ObjectionRaised {
                    id: raised,
                    lot_id: lot_key(&lot),
                    org_id: org.to_string(),
                    org_name: actor.org_name.clone(),
                    text: text.clone(),
                },
            )],
            Vec::new(),
        ))
    })
    .await?;
    Ok(raised)
}

/// The owner (or its agent) answers an objection. An answer after the 3 days of 条例54 is taken
/// and marked late, for the supervisor to see: refusing it would leave the objection open for
/// ever and block the award (docs/award.md §5).
pub async fn answer(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    objection: i64,
    input: TextInput,
) -> Result<bool, AwardError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(
            Refusal::Forbidden("only the tender's owner or agent answers objections").into(),
        );
    }
    let text = bounded(&input.text, "text", 2000)?;
    let mut late = false;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let o = s
            .objections
            .iter()
            .find(|o| o.id == objection)
            .ok_or(Refusal::NotFound("objection"))?;
        s.require_lot(o.lot_id.as_deref().unwrap_or_default(), &[Stage::Publicised])?;
        if o.answer.is_some() {
            return Err(Refusal::BadInput(format!("objection {objection} is already answered")).into());
        }
        let due = Timestamp::parse(&o.raised_at)
            .map(|r| r.plus_millis(ANSWER_WITHIN_MS))
            .unwrap_or(now);
        late = now > due;
        Ok((
            vec![Pending {
                kind: "objection_answered".into(),
                audience: Audience::Party(OrgId::from_stored(o.org_id.clone())),
                body: json!({ "id": objection, "answer": text, "due": due.to_rfc3339(), "late": late }),
            }],
            Vec::new(),
        ))
    })
    .await?;
    Ok(late)
}

/// The owner issues a lot's award notice (中标通知书) after its window, every objection to it
/// answered, to its best candidate that has not declined; every other tenderer for the lot is
/// told the result on its own (法45).
pub async fn issue_notice(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    owner_only(actor, &t)?;
    let mut issued = Value::Null;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let lot = s.resolve_lot(lot)?;
        let c = s.may_issue_notice(&lot, now)?;
        let due = now.plus_millis(crate::award::state::CONTRACT_WITHIN_MS);
        let required = performance_bond_of(&t, c.price_fen);
        let notice = AwardBody::AwardNoticeIssued(Box::new(Notice {
            rank: c.rank,
            line: c.line,
            lot_id: lot_key(&lot),
            org_id: c.org_id.clone(),
            org_name: c.org_name.clone(),
            price_fen: c.price_fen,
            issued_at: now,
            contract_due: due,
            performance_bond_fen: required,
        }));
        issued = split(&notice).1;
        let mut events = vec![typed(Audience::Public, notice)];
        let mut told: Vec<&str> = Vec::new();
        for b in s.bids.iter().filter(|b| b.lot_id == lot) {
            let org = b.org_id.as_str();
            if org == c.org_id || told.contains(&org) {
                continue;
            }
            told.push(org);
            events.push(typed(
                Audience::Party(OrgId::from_stored(org.to_owned())),
                AwardBody::ResultNotified {
                    lot_id: lot_key(&lot),
                    org_id: org.to_owned(),
                    result: "not_awarded".into(),
                    winner_line: c.line,
                    winner_org_name: c.org_name.clone(),
                    price_fen: c.price_fen,
                    notified_at: now,
                },
            ));
        }
        Ok((events, Vec::new()))
    })
    .await?;
    // The winner's performance bond is expected, and once every lot's result is determined the
    // committee's sealed expert pool is opened (法37): both reactions to the notice.
    Ok(issued)
}

/// The performance bond the tender asks of the winner: its percentage (at most 10, 条例58) of the
/// contract price, which is the winning bid's price (法46), rounded down to the fen.
fn performance_bond_of(t: &Tender, price: Money) -> Money {
    price.percent(i64::from(t.spec.performance_bond_percent.unwrap_or(0)))
}

/// A candidate declines (放弃中标): the next candidate stands, or the award fails with none left.
pub async fn decline(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TextInput,
) -> Result<(), AwardError> {
    tender(app, id).await?;
    let reason = bounded(&input.text, "text", 500)?;
    act(app, id, By::User(actor.into()), |_, s, _| {
        // Who may decline before when: a refusal of a non-candidate says nothing of the stage.
        let me =
            |c: &&&Candidate| actor.role == Role::Tenderer && c.org_id == actor.org_id.as_str();
        let mine: Vec<&LotAward> = s
            .lots
            .iter()
            .filter(|l| input.lot_id.as_deref().is_none_or(|x| x == l.lot_id))
            .filter(|l| s.standing(&l.lot_id).iter().any(|c| me(&c)))
            .collect();
        let lot = match mine.as_slice() {
            [] => return Err(Refusal::NotACandidate.into()),
            [one] => one.lot_id.clone(),
            _ => return Err(Refusal::LotRequired.into()),
        };
        let standing = s.standing(&lot);
        let mine = standing.iter().find(me).ok_or(Refusal::NotACandidate)?;
        s.require_lot(&lot, &[Stage::Publicised, Stage::Awarded])?;
        let mut p = vec![public(
            "candidate_declined",
            json!({ "line": mine.line, "org_name": mine.org_name, "reason": reason }),
        )];
        if standing.len() == 1 {
            p.push(lot_failed(
                &lot,
                "every_candidate_declined",
                "条例55",
                "every candidate for this lot declined; the lot fails and may be tendered again"
                    .into(),
            ));
        }
        Ok((p, Vec::new()))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContractInput {
    /// The contract price in fen: the winning bid's price (法46).
    pub price_fen: i64,
    /// SHA-256 (lower-case hex) of the signed contract document.
    pub document_sha256: String,
    /// The lot (标段); may be left out when the tender has one lot.
    #[serde(default)]
    pub lot_id: Option<String>,
}

/// The contract as recorded: what the caller acts on (refunds of bid bonds, the performance bond).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Contract {
    pub tender_id: String,
    pub line: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot_id: Option<String>,
    pub org_id: String,
    pub org_name: String,
    pub price_fen: i64,
    pub document_sha256: String,
    pub notice_issued_at: String,
    pub signed_at: String,
}

/// The owner records the contract signed with the winner, within 30 days of the notice (法46).
pub async fn record_contract(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: ContractInput,
) -> Result<Contract, AwardError> {
    owner_only(actor, &tender(app, id).await?)?;
    let sha = input.document_sha256.trim().to_string();
    if sha.len() != 64
        || !sha
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(Refusal::BadInput("document_sha256: 64 lower-case hex digits".into()).into());
    }
    // The performance bond comes before the contract (条例58, 74): the ledger must hold what
    // the winner's notices in force ask (one performance bond covers every lot it won).
    let state = fold(app, id).await?;
    let lot = state.resolve_lot(input.lot_id.as_deref())?;
    if let Some((notice, _)) = &state.lot(&lot)?.notice {
        let required = state
            .performance_bond_owed(&notice.org_id)
            .map_or(0, |(fen, _)| fen);
        if required > 0 {
            let org = OrgId::from_stored(notice.org_id.clone());
            let held = crate::bonds::service::performance_bond_held(app, id, &org).await?;
            if held.fen() < required {
                return Err(Refusal::PerformanceBondMissing {
                    required_fen: required,
                    held_fen: held.fen(),
                }
                .into());
            }
        }
    }
    let mut contract = None;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let notice = s.may_record_contract(&lot, now, input.price_fen)?;
        let c = Contract {
            tender_id: id.to_string(),
            line: notice.line,
            lot_id: lot_key(&lot),
            org_id: notice.org_id.clone(),
            org_name: notice.org_name.clone(),
            price_fen: input.price_fen,
            document_sha256: sha.clone(),
            notice_issued_at: s
                .lot(&lot)
                .ok()
                .and_then(|l| l.notice.as_ref())
                .map(|n| n.1.to_rfc3339())
                .unwrap_or_default(),
            signed_at: now.to_rfc3339(),
        };
        let body = serde_json::to_value(&c).unwrap_or(Value::Null);
        contract = Some(c);
        Ok((vec![public("contract_recorded", body)], Vec::new()))
    })
    .await?;
    let contract = contract.ok_or(AwardError::Store(StoreError::Unavailable(
        "no contract".into(),
    )))?;
    // 条例57: the lot's bid bonds, the winner's included, go back within 5 days of its contract:
    // a reaction to the contract (src/reactions).
    Ok(contract)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminationInput {
    /// The lot to cancel; absent: the whole tender is terminated.
    #[serde(default)]
    pub lot_id: Option<String>,
    /// Why, in the owner's words (1 to 500 characters): published with the termination.
    pub reason: String,
}

/// The owner terminates the tender after the opening, or cancels one lot, with its reason
/// (招标投标法实施条例 第三十一条: the termination is announced and the bid bonds go back
/// promptly). A lot whose contract is recorded cannot be cancelled; the whole tender cannot be
/// terminated once any lot has a contract (cancel the others one by one).
pub async fn terminate(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    input: TerminationInput,
) -> Result<(), AwardError> {
    let t = tender(app, id).await?;
    owner_only(actor, &t)?;
    // Before the deadline a tender is withdrawn from its own page, not terminated here.
    if !t.is_past_opening(app.clock.now()) {
        return Err(Refusal::WrongStage {
            stage: Stage::NotStarted.as_str(),
        }
        .into());
    }
    let reason = bounded(&input.reason, "reason", 500)?;
    act(app, id, By::User(actor.into()), |_, s, _| {
        let done = [Stage::Contracted, Stage::Completed, Stage::Failed];
        let lot = match input.lot_id.as_deref() {
            Some(named) => {
                let lot = s.resolve_lot(Some(named))?;
                let l = s.lot(&lot)?;
                if done.contains(&s.lot_stage(l)) {
                    return Err(Refusal::LotWrongStage {
                        lot,
                        stage: s.lot_stage(l).as_str(),
                    }
                    .into());
                }
                Some(lot)
            }
            None => {
                if s.stage() == Stage::Failed || s.lots.iter().any(|l| l.contract.is_some()) {
                    return Err(Refusal::WrongStage {
                        stage: s.stage().as_str(),
                    }
                    .into());
                }
                None
            }
        };
        let body = AwardBody::AwardFailed {
            lot_id: lot.as_deref().and_then(lot_key),
            rule: "terminated".into(),
            article: "条例31".into(),
            message: reason.clone(),
        };
        Ok((vec![typed(Audience::Public, body)], Vec::new()))
    })
    .await?;
    // 条例31: the bid bonds go back promptly: a reaction to the failure (src/reactions).
    Ok(())
}

/// A lot's contract performed, as `record_performance` tells the bonds.
#[derive(Debug, Clone, PartialEq)]
pub struct Performed {
    pub lot_id: String,
    /// The tenderer the contract was with.
    pub org: OrgId,
    /// Every lot this tenderer won is now performed: its performance bond may go back.
    pub all_of_its_lots: bool,
}

/// The owner (or its agent) records that a lot's contract is performed; the tender is completed
/// once every lot that did not fail is. A second call changes nothing.
pub async fn record_performance(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
    lot: Option<&str>,
) -> Result<Performed, AwardError> {
    let t = tender(app, id).await?;
    if !Relations::of(Some(actor), &t).manages() {
        return Err(Refusal::Forbidden(
            "the owner or its agent records the contract's performance",
        )
        .into());
    }
    let mut out = None;
    act(app, id, By::User(actor.into()), |_, s, now| {
        let lot = s.resolve_lot(lot)?;
        let l = s.require_lot(&lot, &[Stage::Contracted, Stage::Completed])?;
        let with = l
            .contract
            .as_ref()
            .and_then(|c| c["org_id"].as_str())
            .map(str::to_owned)
            .ok_or(AwardError::Store(StoreError::Unavailable(
                "a contract without its tenderer".into(),
            )))?;
        // Every other lot this tenderer won, performed already?
        let others_done = s
            .notices_to(&with)
            .iter()
            .all(|(o, _)| o.lot_id == lot || o.performed);
        out = Some(Performed {
            lot_id: lot.clone(),
            org: OrgId::from_stored(with.clone()),
            all_of_its_lots: others_done,
        });
        if l.performed {
            return Ok((Vec::new(), Vec::new()));
        }
        let body = AwardBody::ContractPerformed {
            lot_id: lot_key(&lot),
            org_id: Some(with),
            performed_at: now,
        };
        Ok((vec![typed(Audience::Public, body)], Vec::new()))
    })
    .await?;
    out.ok_or(AwardError::Store(StoreError::Unavailable(
        "no contract".into(),
    )))
}
