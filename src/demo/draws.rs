//! The demo's random draws, run as their parties run them: the requester announces (the pool is
//! frozen), each party commits to 32 random bytes made on its own device, reveals them after the
//! commitments close, and the requester conducts the draw once the reveals close. An expert draw
//! gives a tender its evaluation panel; an agent draw appoints a project's agent.

use super::fixture::{bad, AgentDrawFx, ExpertDrawFx};
use super::notices::Projects;
use super::past::{hours, minutes, Past};
use super::people::People;
use crate::domain::{Line, Timestamp};
use crate::identity::Actor;
use crate::lottery::service::{commit, conduct, request_draw, reveal, DrawRequest};
use crate::lottery::{DrawKind, DrawRecord, DrawState};
use crate::server::StartError;
use crate::tenders::model::Tender;
use ring::rand::SecureRandom;

/// The tender's host draws its evaluation panel at `at`; done two hours later.
pub(super) async fn expert_draw(
    past: &Past,
    people: &People,
    tender: &Tender,
    fx: &ExpertDrawFx,
    at: Timestamp,
) -> Result<DrawRecord, StartError> {
    let host_org = tender.agent_org_id.as_ref().unwrap_or(&tender.owner_org_id);
    let host = people.acting_for(host_org)?;
    let request = DrawRequest {
        kind: DrawKind::Expert,
        project_id: None,
        tender_id: Some(tender.id.clone()),
        purpose: Line::parse(&fx.purpose).map_err(bad)?,
        select: fx.select,
        reserves: fx.reserves,
        agent_filter: None,
        expert_filter: Some(fx.filter.clone()),
        parties: None,
        supervisor_org_id: None,
        commit_deadline: at.plus_millis(hours(1)),
        reveal_deadline: at.plus_millis(hours(2)),
        beacon: None,
        missed_reveal_rule: None,
    };
    run(past, people, &host, request, at).await
}

/// The project's owner draws its agent `fx.days_ago` days before the demo's "now"; the selectee
/// becomes the project's agent.
pub(super) async fn agent_draw(
    past: &Past,
    people: &People,
    projects: &Projects,
    fx: &AgentDrawFx,
) -> Result<DrawRecord, StartError> {
    let owner = people.actor(projects.owner(&fx.project)?)?;
    let at = past.present().plus_days(-fx.days_ago).ceil_minute();
    let request = DrawRequest {
        kind: DrawKind::Agent,
        project_id: Some(projects.id(&fx.project)?),
        tender_id: None,
        purpose: Line::parse(&fx.purpose).map_err(bad)?,
        select: 1,
        reserves: fx.reserves,
        agent_filter: Some(fx.filter.clone()),
        expert_filter: None,
        parties: None,
        supervisor_org_id: Some(people.org_id("supervisor")?),
        commit_deadline: at.plus_millis(hours(1)),
        reveal_deadline: at.plus_millis(hours(2)),
        beacon: None,
        missed_reveal_rule: None,
    };
    run(past, people, &owner, request, at).await
}

async fn run(
    past: &Past,
    people: &People,
    requester: &Actor,
    request: DrawRequest,
    at: Timestamp,
) -> Result<DrawRecord, StartError> {
    let (commit_by, reveal_by) = (request.commit_deadline, request.reveal_deadline);
    let app = past.at(at)?;
    let d = request_draw(app, requester, request).await.map_err(bad)?;
    let rng = ring::rand::SystemRandom::new();
    let mut secrets = Vec::new();
    for (i, party) in d.parties.iter().enumerate() {
        let app = past.at(at.plus_millis(minutes(5 + i as i64)))?;
        let actor = people.acting_for(party)?;
        let mut r = [0u8; 32];
        rng.fill(&mut r).map_err(|_| bad("no randomness"))?;
        let c = crate::draws::commitment(&d.id, party.as_str(), &r).map_err(bad)?;
        commit(app, &actor, &d.id, &hex::encode(c))
            .await
            .map_err(bad)?;
        secrets.push((actor, r));
    }
    for (i, (actor, r)) in secrets.iter().enumerate() {
        let app = past.at(commit_by.plus_millis(minutes(5 + i as i64)))?;
        reveal(app, actor, &d.id, &hex::encode(r))
            .await
            .map_err(bad)?;
    }
    let app = past.at(reveal_by.plus_millis(minutes(1)))?;
    let done = conduct(app, requester, &d.id).await.map_err(bad)?;
    if done.state != DrawState::Completed {
        return Err(bad(format!("the demo's draw {} did not complete", d.id)));
    }
    Ok(done)
}
