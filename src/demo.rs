//! The demo hall: organisations of every role, users, projects and tenders in different states,
//! loaded from `fixtures/demo.json` into an empty database through the same use cases the API
//! runs, so the audit log records them. Dates are relative to the moment of loading.

use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::clock::ManualClock;
use crate::domain::{
    Line, LotId, Money, OrgId, Prose, Timestamp, UserId, DAY_MS, HOUR_MS, MINUTE_MS,
};
use crate::identity::password::Password;
use crate::identity::{Actor, CreditCode, Organisation, Role, User};
use crate::server::StartError;
use crate::tenders::model::{
    AmendmentKind, Category, CustodianSet, EvaluationMethod, Lot, Schedule, TenderChanges,
    TenderSpec,
};
use crate::tenders::service::{self, NewAmendment, NewProject, NewTender};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

const FIXTURE: &str = include_str!("../fixtures/demo.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    password: String,
    organisations: Vec<FixOrg>,
    projects: Vec<FixProject>,
    tenders: Vec<FixTender>,
    /// The evaluation expert pool, registered by the platform.
    #[serde(default)]
    experts: Vec<crate::registry::service::NewExpert>,
    /// A legend of the specialty codes the experts use (documentation only).
    #[serde(default)]
    #[allow(dead_code)]
    expert_specialties: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixOrg {
    key: String,
    role: Role,
    name: String,
    credit_code: String,
    region: String,
    users: Vec<FixUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixUser {
    login: String,
    display_name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixProject {
    key: String,
    owner: String,
    agent: String,
    name: String,
    code: String,
    region: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixTender {
    project: String,
    by: String,
    state: String,
    #[serde(default)]
    published_days_ago: i64,
    title: String,
    category: Category,
    description: String,
    qualification: String,
    method: EvaluationMethod,
    schedule_days: HashMap<String, i64>,
    lots: Vec<FixLot>,
    #[serde(default)]
    clarifications: Vec<FixClarification>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixLot {
    name: String,
    estimate_yuan: i64,
    bid_bond_yuan: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FixClarification {
    summary: String,
    body: String,
}

fn bad(what: impl std::fmt::Display) -> StartError {
    StartError::Demo(what.to_string())
}

/// The demo users' shared password, for the README and the tests.
pub fn password() -> String {
    serde_json::from_str::<Fixture>(FIXTURE)
        .map(|f| f.password)
        .unwrap_or_default()
}

/// Loads the demo data unless the database already holds organisations. Returns whether it did.
pub async fn load(app: &AppState) -> Result<bool, StartError> {
    if !app.store.list_organisations(None).await?.is_empty() {
        tracing::info!("demo data not loaded: the database is not empty");
        return Ok(false);
    }
    let fx: Fixture = serde_json::from_str(FIXTURE).map_err(bad)?;
    let password = Password::parse(&fx.password).map_err(bad)?.hash();
    let now = app.clock.now();
    let mut orgs: HashMap<String, Organisation> = HashMap::new();
    let mut actors: HashMap<String, Actor> = HashMap::new();
    for o in fx.organisations {
        let org = Organisation {
            id: OrgId::generate(),
            role: o.role,
            name: Line::parse(&o.name).map_err(bad)?,
            credit_code: CreditCode::parse(&o.credit_code).map_err(bad)?,
            region: Line::parse(&o.region).map_err(bad)?,
            created_at: now,
        };
        let audit = AuditEvent::new(
            "organisation_registered",
            None,
            AuditActor::System,
            now,
            json!({ "org": org.id, "role": org.role, "name": org.name.as_str(), "source": "demo" }),
        );
        app.store.create_organisation(&org, &audit).await?;
        for u in o.users {
            let user = User {
                id: UserId::generate(),
                org_id: org.id.clone(),
                login: crate::identity::Login::parse(&u.login).map_err(bad)?,
                display_name: Line::parse(&u.display_name).map_err(bad)?,
                password_hash: password.clone(),
                created_at: now,
            };
            let audit = AuditEvent::new(
                "user_created",
                None,
                AuditActor::System,
                now,
                json!({ "org": org.id, "user": user.id, "login": user.login.as_str(), "source": "demo" }),
            );
            app.store.create_user(&user, &audit).await?;
            actors.entry(o.key.clone()).or_insert(Actor {
                user_id: user.id.clone(),
                org_id: org.id.clone(),
                role: org.role,
                display_name: u.display_name.clone(),
                org_name: o.name.clone(),
            });
        }
        orgs.insert(o.key, org);
    }
    let org_id = |key: &str| {
        orgs.get(key)
            .map(|o| o.id.clone())
            .ok_or_else(|| bad(format!("unknown organisation {key}")))
    };
    let actor = |key: &str| {
        actors
            .get(key)
            .cloned()
            .ok_or_else(|| bad(format!("organisation {key} has no user")))
    };

    let platform = actor("platform")?;
    for e in fx.experts {
        crate::registry::service::register_expert(app, &platform, e)
            .await
            .map_err(bad)?;
    }

    let mut projects = HashMap::new();
    let mut regions = HashMap::new();
    for p in fx.projects {
        let project = service::create_project(
            app,
            &actor(&p.owner)?,
            NewProject {
                name: Line::parse(&p.name).map_err(bad)?,
                code: Line::parse(&p.code).map_err(bad)?,
                region: Line::parse(&p.region).map_err(bad)?,
                agent_org_id: Some(org_id(&p.agent)?),
                agent_by_draw: false,
            },
        )
        .await
        .map_err(bad)?;
        regions.insert(p.key.clone(), project.region.clone());
        projects.insert(p.key, project.id);
    }

    for t in fx.tenders {
        // A tender published in the past is created on a clock set to that day, so the law's
        // checks run as they would have then.
        let then = now
            .plus_millis(-t.published_days_ago * DAY_MS)
            .ceil_minute();
        let at = AppState::new(
            app.store.clone(),
            app.blobs.clone(),
            Arc::new(ManualClock::new(then)),
            app.config.clone(),
            app.log.clone(),
        );
        // Schedule times fall at 09:30 Beijing time, `d` days after the day of publication.
        let beijing_midnight = {
            let shift = 8 * HOUR_MS;
            Timestamp::from_stored((then.millis() + shift).div_euclid(DAY_MS) * DAY_MS - shift)
        };
        let day = |k: &str| -> Result<Timestamp, StartError> {
            let d = t
                .schedule_days
                .get(k)
                .ok_or_else(|| bad(format!("schedule_days.{k} missing")))?;
            let at = beijing_midnight
                .plus_days(*d)
                .plus_millis(9 * HOUR_MS + 30 * MINUTE_MS);
            Ok(if *d == 0 { at.max(then) } else { at })
        };
        let lots = t
            .lots
            .iter()
            .map(|l| {
                Ok(Lot {
                    id: LotId::generate(),
                    name: Line::parse(&l.name).map_err(bad)?,
                    estimate_fen: Money::from_fen(l.estimate_yuan * 100).map_err(bad)?,
                    bid_bond_fen: Money::from_fen(l.bid_bond_yuan * 100).map_err(bad)?,
                })
            })
            .collect::<Result<Vec<_>, StartError>>()?;
        let spec = TenderSpec {
            title: Line::parse(&t.title).map_err(bad)?,
            description: Prose::parse(&t.description).map_err(bad)?,
            category: t.category,
            region: regions
                .get(&t.project)
                .cloned()
                .ok_or_else(|| bad(format!("unknown project {}", t.project)))?,
            qualification: Prose::parse(&t.qualification).map_err(bad)?,
            evaluation_method: t.method,
            tie_break: None,
            performance_bond_percent: None,
            schedule: Schedule {
                docs_from: day("docs_from")?,
                docs_to: day("docs_to")?,
                clarification_deadline: day("clarification_deadline")?,
                bid_deadline: day("bid_deadline")?,
            },
            lots,
            custodians: CustodianSet::standard(org_id("supervisor")?, org_id("witness")?),
            supervisor_org_id: org_id("supervisor")?,
        };
        let by = actor(&t.by)?;
        let project_id = projects
            .get(&t.project)
            .cloned()
            .ok_or_else(|| bad(format!("unknown project {}", t.project)))?;
        let tender = service::create_tender(&at, &by, NewTender { project_id, spec })
            .await
            .map_err(bad)?;
        if t.state == "draft" {
            continue;
        }
        let tender = service::publish(&at, &by, &tender.id, tender.version)
            .await
            .map_err(bad)?;
        let mut version = tender.version;
        for c in t.clarifications {
            let done = service::amend(
                &at,
                &by,
                &tender.id,
                NewAmendment {
                    version,
                    kind: AmendmentKind::Clarification,
                    summary: Line::parse(&c.summary).map_err(bad)?,
                    body: Prose::parse(&c.body).map_err(bad)?,
                    affects_bids: false,
                    changes: TenderChanges::default(),
                    documents: vec![],
                },
            )
            .await
            .map_err(bad)?;
            version = done.tender.version;
        }
    }
    tracing::info!("demo data loaded");
    Ok(true)
}
