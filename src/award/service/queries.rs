//! What the award shows: its view per lot for each reader (法45: each tenderer its own result),
//! the signed letters, and the clarifications a reader may see (docs/award.md §6).

use super::*;

/// The award as `actor` may see it: the tender's stage and, per lot, its stage, candidates once
/// publicised, notice, contract and the viewer's own result (法45); objections as a count (a
/// tenderer sees its own, the host and supervisor all). The committee's names and marks are not
/// here.
pub async fn view(
    app: &AppState,
    actor: Option<&Actor>,
    id: &TenderId,
) -> Result<Value, AwardError> {
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let insider = insider(actor, &t);
    let objections: Vec<&crate::award::state::Objection> = s
        .objections
        .iter()
        .filter(|o| insider || actor.is_some_and(|a| a.org_id.as_str() == o.org_id))
        .collect();
    // Each committee's progress in counts (its names are confidential, 法37).
    let progress = |c: &Committee| {
        json!({
            "lot_id": c.lot_id,
            "stage": c.stage,
            "members": s.active_members_of(c).count(),
            "declared": s.active_members_of(c).filter(|m| m.conflict.is_some()).count(),
            "signed": s.active_members_of(c).filter(|m| m.signed.is_some()).count(),
        })
    };
    let committees: Vec<Value> = s.committees.iter().map(progress).collect();
    // Where each lot has its own committee: the lots still waiting for theirs (a lot the
    // opening did not open fails at the first committee's formation, 条例44).
    let committee_lots: Vec<Value> = t
        .spec
        .lots
        .iter()
        .filter(|_| t.spec.committee_per_lot && s.failure.is_none())
        .filter(|l| s.committee_for(l.id.as_str()).is_none())
        .filter(|l| {
            s.lot(l.id.as_str()).is_ok_and(|a| a.failure.is_none()) || s.committees.is_empty()
        })
        .map(|l| json!({ "lot_id": l.id, "name": l.name.as_str() }))
        .collect();
    let committee = (!s.members.is_empty()).then(|| {
        json!({
            "members": s.active_members().count(),
            "declared": s.active_members().filter(|m| m.conflict.is_some()).count(),
            "signed": s.active_members().filter(|m| m.signed.is_some()).count(),
        })
    });
    let shown = insider || s.result_determined();
    let report_sha = match s.committees.as_slice() {
        [only] if shown => only.report.as_ref().map(|r| r.0.clone()),
        _ => None,
    };
    // Lots in the tender's order.
    let order = |l: &LotAward| {
        t.spec
            .lots
            .iter()
            .position(|x| x.id.as_str() == l.lot_id)
            .unwrap_or(usize::MAX)
    };
    let mut lots: Vec<&LotAward> = s.lots.iter().collect();
    lots.sort_by_key(|l| order(l));
    let lots: Vec<Value> = lots
        .into_iter()
        .map(|l| lot_view(&t, &s, l, actor, insider, shown))
        .collect();
    Ok(json!({
        "stage": s.stage(),
        "committee": committee,
        "committee_per_lot": t.spec.committee_per_lot,
        "committees": committees,
        "committee_lots": committee_lots,
        "report_sha256": report_sha,
        "objections_count": s.objections.len(),
        "objections": objections,
        "clarifications": clarifications_for(&s, actor, insider),
        "failure": s.failure,
        "lots": lots,
    }))
}

/// One lot of `view`.
fn lot_view(
    t: &Tender,
    s: &AwardState,
    l: &LotAward,
    actor: Option<&Actor>,
    insider: bool,
    shown: bool,
) -> Value {
    let stage = s.lot_stage(l);
    // The hash of the report of the committee that evaluated the lot, once final.
    let report_sha = s
        .committee_for(&l.lot_id)
        .and_then(|c| c.report.as_ref())
        .filter(|_| shown)
        .map(|r| r.0.clone());
    let candidates: Vec<Value> = l
        .candidates
        .iter()
        .map(|c| {
            let declined = s.declined.contains(&c.line);
            let mut c = serde_json::to_value(c).expect("a candidate serialises");
            c["declined"] = Value::Bool(declined);
            // For people: hundredths of a point (docs/award.md §3).
            if let Some(centi) = c["score_centi"].as_i64() {
                c["score"] = format!("{}.{:02}", centi / 100, centi % 100).into();
            }
            c
        })
        .collect();
    // A tenderer that bid for the lot reads its own result once the notice is out (法45).
    let my_result = match (actor, &l.notice) {
        (Some(a), Some((n, _))) if s.bid_for(a.org_id.as_str(), &l.lot_id) => {
            Some(if n.org_id == a.org_id.as_str() {
                "awarded"
            } else {
                "not_awarded"
            })
        }
        _ => None,
    };
    let title = t
        .spec
        .lots
        .iter()
        .find(|x| x.id.as_str() == l.lot_id)
        .map(|x| x.name.as_str().to_string());
    json!({
        "lot_id": l.lot_id,
        "name": title,
        "stage": stage,
        "my_result": my_result,
        "candidates": candidates,
        "publicity": l.window.map(|(f, u)| json!({ "from": f.to_rfc3339(), "until": u.to_rfc3339() })),
        "notice": l.notice.as_ref().map(|n| split(&AwardBody::AwardNoticeIssued(Box::new(n.0.clone()))).1),
        "contract": l.contract,
        "contract_due": s.contract_deadline(&l.lot_id).filter(|_| stage == Stage::Awarded).map(|d| d.to_rfc3339()),
        "failure": l.failure,
        "report_sha256": report_sha,
        // For those who run or supervise it: how many of the lot's bids passed (the most
        // candidates the host may publicise, up to 3).
        "passing": insider.then(|| {
            s.ranking
                .iter()
                .filter(|r| r.rank.is_some() && r.lot_id.as_deref().unwrap_or_default() == l.lot_id)
                .count()
        }),
    })
}

/// The signed letters (法45) `actor` may read: a tenderer its own, one per lot whose notice is
/// out and for which it bid; the owner, its agent and the supervisor every letter. Each is
/// `{letter, letter_sha256, signature}`, checkable offline with the log's key.
pub async fn letters(
    app: &AppState,
    actor: &Actor,
    id: &TenderId,
) -> Result<Vec<Value>, AwardError> {
    let t = tender(app, id).await?;
    let s = fold(app, id).await?;
    let all = insider(Some(actor), &t);
    if !all && actor.role != Role::Tenderer {
        return Err(Refusal::Forbidden(
            "the award letters are for the tenderers they are addressed to, the owner, its agent and the supervisor",
        )
        .into());
    }
    let mut out = Vec::new();
    for lot in &s.lots {
        let mut to: Vec<&str> = Vec::new();
        for b in s.bids.iter().filter(|b| b.lot_id == lot.lot_id) {
            if (all || b.org_id == actor.org_id.as_str()) && !to.contains(&b.org_id.as_str()) {
                to.push(&b.org_id);
            }
        }
        for org in to {
            if let Some(letter) = crate::award::letter::build(&t, &s, lot, org) {
                let signature = crate::award::letter::sign(&app.log.signer, &letter);
                out.push(json!({
                    "letter_sha256": crate::award::letter::sha256(&letter),
                    "signature": signature,
                    "letter": letter,
                }));
            }
        }
    }
    Ok(out)
}

/// The clarifications `actor` may read: the tender's side all of them, a tenderer those about
/// its own bids, anyone else none (the evaluation is confidential, 法44).
fn clarifications_for<'a>(
    s: &'a AwardState,
    actor: Option<&Actor>,
    insider: bool,
) -> Vec<&'a crate::award::state::Clarification> {
    s.clarifications
        .iter()
        .filter(|c| {
            insider
                || actor.is_some_and(|a| {
                    a.role == Role::Tenderer
                        && s.bids
                            .iter()
                            .any(|b| b.line == c.line && b.org_id == a.org_id.as_str())
                })
        })
        .collect()
}
