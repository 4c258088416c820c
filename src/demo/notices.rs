//! The demo's projects and tenders as their owners and agents created and published them, each on
//! the day it was published (in the demo's past), with its clarifications. Their lives after
//! publication are the stages' business.

use super::fixture::{bad, LifeFx, Project, TenderFx};
use super::past::{half_past_nine, Past};
use super::people::People;
use crate::domain::{Line, LotId, Money, ProjectId, Prose, Timestamp, DAY_MS, MINUTE_MS};
use crate::server::StartError;
use crate::tenders::model::{
    AmendmentKind, CustodianSet, Lot, Schedule, Tender, TenderChanges, TenderSpec,
};
use crate::tenders::service::{self, NewAmendment, NewProject, NewTender};
use std::collections::HashMap;

/// The projects by key: id, region (a tender's region is its project's) and owner's key.
#[derive(Default)]
pub(super) struct Projects(HashMap<String, (ProjectId, Line<0, 64>, String)>);

impl Projects {
    fn get(&self, key: &str) -> Result<&(ProjectId, Line<0, 64>, String), StartError> {
        self.0
            .get(key)
            .ok_or_else(|| bad(format!("unknown project {key}")))
    }

    pub fn id(&self, key: &str) -> Result<ProjectId, StartError> {
        Ok(self.get(key)?.0.clone())
    }

    /// The fixture key of the project's owner.
    pub fn owner(&self, key: &str) -> Result<&str, StartError> {
        Ok(&self.get(key)?.2)
    }
}

/// A published tender and what is still to happen to it.
pub(super) struct Notice {
    pub key: String,
    pub tender: Tender,
    pub life: Option<LifeFx>,
}

/// The owners create their projects at `at`.
pub(super) async fn projects(
    past: &Past,
    at: Timestamp,
    people: &People,
    fx: Vec<Project>,
    projects: &mut Projects,
) -> Result<(), StartError> {
    let app = past.at(at)?;
    for p in fx {
        let agent_org_id = match &p.agent {
            Some(a) => Some(people.org_id(a)?),
            None => None,
        };
        let project = service::create_project(
            app,
            &people.actor(&p.owner)?,
            NewProject {
                name: Line::parse(&p.name).map_err(bad)?,
                code: Line::parse(&p.code).map_err(bad)?,
                region: Line::parse(&p.region).map_err(bad)?,
                // A project the fixture names no agent for has its agent drawn (政府投资项目).
                agent_by_draw: agent_org_id.is_none(),
                agent_org_id,
            },
        )
        .await
        .map_err(bad)?;
        projects
            .0
            .insert(p.key, (project.id, project.region, p.owner));
    }
    Ok(())
}

/// Each tender is drafted and published on its day, as its owner or agent did; drafts stay drafts.
pub(super) async fn tenders(
    past: &Past,
    people: &People,
    projects: &Projects,
    fx: Vec<TenderFx>,
) -> Result<Vec<Notice>, StartError> {
    let mut out = Vec::new();
    for t in fx {
        let now = past.present();
        // Whole minutes, as people set times; never later than "now".
        let then = now
            .plus_millis(-t.published_days_ago * DAY_MS)
            .ceil_minute()
            .min(now);
        let app = past.at(then)?;
        let day = |k: &str| -> Result<Timestamp, StartError> {
            let d = *t
                .schedule_days
                .get(k)
                .ok_or_else(|| bad(format!("{}: schedule_days.{k} missing", t.key)))?;
            let at = half_past_nine(then, d);
            Ok(if d == 0 { at.max(then) } else { at })
        };
        let bid_deadline = match t.bid_deadline_in_minutes {
            Some(m) => now.plus_millis(m * MINUTE_MS).ceil_minute(),
            None => day("bid_deadline")?,
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
        let region = projects.get(&t.project)?.1.clone();
        let spec = TenderSpec {
            title: Line::parse(&t.title).map_err(bad)?,
            description: Prose::parse(&t.description).map_err(bad)?,
            category: t.category,
            region,
            qualification: Prose::parse(&t.qualification).map_err(bad)?,
            evaluation_method: t.method,
            tie_break: None,
            performance_bond_percent: t.performance_bond_percent,
            committee_per_lot: false,
            schedule: Schedule {
                docs_from: day("docs_from")?,
                docs_to: day("docs_to")?,
                clarification_deadline: day("clarification_deadline")?,
                bid_deadline,
            },
            lots,
            custodians: CustodianSet::standard(
                people.org_id("supervisor")?,
                people.org_id("witness")?,
            ),
            supervisor_org_id: people.org_id("supervisor")?,
        };
        let by = people.actor(&t.by)?;
        let project_id = projects.id(&t.project)?;
        let tender = service::create_tender(app, &by, NewTender { project_id, spec })
            .await
            .map_err(|e| bad(format!("{}: {e}", t.key)))?;
        if t.state == "draft" {
            continue;
        }
        let mut tender = service::publish(app, &by, &tender.id, tender.version)
            .await
            .map_err(|e| bad(format!("{}: {e}", t.key)))?;
        for c in t.clarifications {
            let done = service::amend(
                app,
                &by,
                &tender.id,
                NewAmendment {
                    version: tender.version,
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
            tender = done.tender;
        }
        out.push(Notice {
            key: t.key,
            tender,
            life: t.life,
        });
    }
    Ok(out)
}
