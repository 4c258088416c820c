//! The evaluation (评标), two hours after the opening: the host forms the committee from the
//! tender's expert draw and hands out the one-time codes; members sign in with them, declare they
//! have no conflict and mark every opened bid; once all have marked, each reads the report and
//! signs it. A tender under evaluation stops after the members its fixture names have marked.

use super::{Hall, Life};
use crate::award::member::MemberSession;
use crate::award::report::scored_criteria;
use crate::award::service::{
    declare, draft_report, form_committee, member, score, sign_in, sign_report, CommitteeInput,
    DeclarationInput, ScoreInput,
};
use crate::demo::fixture::{bad, Stage};
use crate::demo::past::{hours, minutes};
use crate::server::StartError;

pub(super) async fn run(hall: &Hall, life: &Life<'_>) -> Result<(), StartError> {
    let t = &life.tender;
    let deadline = t.spec.schedule.bid_deadline;
    let app = hall.past.at(deadline.plus_millis(hours(2)))?;
    let host = life.host(&hall.people)?;
    let committee = CommitteeInput {
        owner_representatives: Vec::new(),
        lot_id: None,
        draw_id: None,
    };
    let codes = form_committee(app, &host, &t.id, committee)
        .await
        .map_err(|e| bad(format!("{}: forming the committee: {e}", t.id)))?;
    let opening = crate::opening::service::state(app, None, &t.id)
        .await
        .map_err(bad)?;
    let lines: Vec<(i64, String)> = opening["lines"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|l| l["status"] == "opened")
        .filter_map(|l| Some((l["n"].as_i64()?, l["org_id"].as_str()?.to_owned())))
        .collect();
    let criteria = scored_criteria(t);
    let scoring = match life.fx.stage {
        Stage::Evaluating => life.fx.scored_by.unwrap_or(0).min(codes.len()),
        _ => codes.len(),
    };
    let mut members: Vec<MemberSession> = Vec::new();
    for (i, code) in codes.iter().take(scoring).enumerate() {
        let app = hall
            .past
            .at(deadline.plus_millis(hours(3) + minutes(10 * i as i64)))?;
        let signed = sign_in(app, &code.code).await.map_err(bad)?;
        let m = member(app, &signed.token).await.map_err(bad)?;
        let no_conflict = DeclarationInput {
            conflict: false,
            note: None,
        };
        declare(app, &m, &t.id, no_conflict).await.map_err(bad)?;
        for (line, org) in &lines {
            let marks = life
                .bidder(org)
                .map(|b| b.bid.technical.clone())
                .unwrap_or_default();
            if marks.len() != criteria {
                return Err(bad(format!(
                    "{}: {criteria} mark(s) per bid, not {}",
                    t.id,
                    marks.len()
                )));
            }
            // Members differ a little, as members do.
            let scores = marks
                .iter()
                .map(|m| m.saturating_sub(((code.seat + line) % 3) as u32))
                .collect();
            let input = ScoreInput {
                line: *line,
                compliant: true,
                scores,
                ground: None,
                reason: None,
            };
            score(app, &m, &t.id, input).await.map_err(bad)?;
        }
        members.push(m);
    }
    if life.fx.stage == Stage::Evaluating {
        return Ok(());
    }
    for (i, m) in members.iter().enumerate() {
        let app = hall
            .past
            .at(deadline.plus_millis(hours(5) + minutes(5 * i as i64)))?;
        let draft = draft_report(app, m, &t.id).await.map_err(bad)?;
        let sha = draft["report_sha256"].as_str().unwrap_or_default();
        sign_report(app, m, &t.id, sha).await.map_err(bad)?;
    }
    Ok(())
}
