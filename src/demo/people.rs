//! The demo's people: organisations of every role with their users, registered as the platform
//! registers them (one audit entry each), and the expert pool. Every user shares one password,
//! hashed once: Argon2 is slow by design, and a hash per user would dominate the load.

use super::fixture::{bad, Org};
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::{Line, OrgId, UserId};
use crate::identity::password::PasswordHash;
use crate::identity::{Actor, CreditCode, Login, Organisation, User};
use crate::registry::service::{register_expert, NewExpert};
use crate::server::StartError;
use serde_json::json;
use std::collections::HashMap;

/// Who is who, by the fixture's keys.
#[derive(Default)]
pub(super) struct People {
    orgs: HashMap<String, Organisation>,
    /// The first user of each organisation, acting for it.
    actors: HashMap<String, (String, Actor)>,
}

impl People {
    pub fn actor(&self, key: &str) -> Result<Actor, StartError> {
        self.actors
            .get(key)
            .map(|(_, a)| a.clone())
            .ok_or_else(|| bad(format!("organisation {key} has no user")))
    }

    /// The login of the organisation's first user.
    pub fn login(&self, key: &str) -> Result<&str, StartError> {
        self.actors
            .get(key)
            .map(|(l, _)| l.as_str())
            .ok_or_else(|| bad(format!("organisation {key} has no user")))
    }

    pub fn org_id(&self, key: &str) -> Result<OrgId, StartError> {
        self.orgs
            .get(key)
            .map(|o| o.id.clone())
            .ok_or_else(|| bad(format!("unknown organisation {key}")))
    }

    /// The first user of the organisation `id`, acting for it.
    pub fn acting_for(&self, id: &OrgId) -> Result<Actor, StartError> {
        self.actor(self.key_of(id)?)
    }

    /// The login of the first user of the organisation `id`.
    pub fn login_for(&self, id: &OrgId) -> Result<&str, StartError> {
        self.login(self.key_of(id)?)
    }

    fn key_of(&self, id: &OrgId) -> Result<&str, StartError> {
        self.orgs
            .iter()
            .find(|(_, o)| o.id == *id)
            .map(|(k, _)| k.as_str())
            .ok_or_else(|| bad(format!("no demo organisation {id}")))
    }
}

/// Registers `orgs` and their users at `app`'s "now".
pub(super) async fn register(
    app: &AppState,
    orgs: Vec<Org>,
    password: &PasswordHash,
    people: &mut People,
) -> Result<(), StartError> {
    let now = app.clock.now();
    for o in orgs {
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
                login: Login::parse(&u.login).map_err(bad)?,
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
            people.actors.entry(o.key.clone()).or_insert((
                u.login.clone(),
                Actor {
                    user_id: user.id.clone(),
                    org_id: org.id.clone(),
                    role: org.role,
                    display_name: u.display_name.clone(),
                    org_name: o.name.clone(),
                },
            ));
        }
        people.orgs.insert(o.key, org);
    }
    Ok(())
}

/// The platform registers the evaluation experts.
pub(super) async fn experts(
    app: &AppState,
    people: &People,
    experts: Vec<NewExpert>,
) -> Result<(), StartError> {
    let platform = people.actor("platform")?;
    for e in experts {
        register_expert(app, &platform, e).await.map_err(bad)?;
    }
    Ok(())
}
