//! The demo's bidding agents registered under 三表三制: each submits its three forms and signs
//! its acceptance of the three rules with its registered key, the trading centre approves it and
//! records its qualification, so agent draws have a pool.

use super::devices::Devices;
use super::fixture::{bad, AgentFx};
use super::past::{hours, Past};
use super::people::People;
use crate::domain::{Line, Timestamp};
use crate::registry::service::{
    record_qualification, review_agent, submit_agent_forms, NewQualification, Review,
};
use crate::registry::{rule_message, AgentForms, AgentRule, OrganisationForm, RuleCommitment};
use crate::server::StartError;

/// Each agent registers at `at` (one hour apart) and is approved and qualified a day later; its
/// qualification runs from then for three years.
pub(super) async fn register(
    past: &Past,
    at: Timestamp,
    people: &People,
    devices: &mut Devices,
    agents: Vec<AgentFx>,
) -> Result<(), StartError> {
    let platform = people.actor("platform")?;
    for (i, a) in agents.into_iter().enumerate() {
        let submitted = at.plus_millis(hours(i as i64));
        let app = past.at(submitted)?;
        let actor = people.actor(&a.org)?;
        let org = app.store.get_organisation(&actor.org_id).await?;
        let signer = a.legal_representative.name.clone();
        let mut commitments = Vec::new();
        for rule in AgentRule::ALL {
            let message = rule_message(&actor.org_id, rule, signer.as_str());
            let (key_id, signature) = devices.sign(app, &actor, &message).await?;
            commitments.push(RuleCommitment {
                rule,
                signed_by: signer.clone(),
                text_sha256: rule.text_sha256(),
                key_id: Some(key_id),
                signature: Some(signature),
            });
        }
        let forms = AgentForms {
            organisation: OrganisationForm {
                name: org.name.clone(),
                credit_code: org.credit_code.clone(),
                address: Line::parse(&a.address).map_err(bad)?,
                phone: Line::parse(&a.phone).map_err(bad)?,
                registered_capital_fen: a.registered_capital_yuan * 100,
            },
            legal_representative: a.legal_representative,
            staff: a.staff,
            commitments,
        };
        submit_agent_forms(app, &actor, forms)
            .await
            .map_err(|e| bad(format!("{}: {e}", a.org)))?;
        let reviewed = submitted.plus_millis(hours(24));
        let app = past.at(reviewed)?;
        let review = Review {
            approve: true,
            reason: Line::parse("三表齐全，三制承诺已签署").map_err(bad)?,
        };
        review_agent(app, &platform, &actor.org_id, review)
            .await
            .map_err(bad)?;
        let qualification = NewQualification {
            categories: a.categories,
            grade: a.grade,
            valid_from: reviewed,
            valid_to: reviewed.plus_days(3 * 365),
        };
        record_qualification(app, &platform, &actor.org_id, qualification)
            .await
            .map_err(bad)?;
    }
    Ok(())
}
