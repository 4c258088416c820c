//! The demo: organisations of every role, users, experts, projects and tenders, loaded from
//! `fixtures/demo.json` into an empty database through the same use cases the API runs, so the
//! audit log records every step. Two loads: `load`, the directory and three notices every test
//! hall starts from; `load_hall`, what `serve --demo` shows: the same plus tenders at every
//! stage of their lives, played at past times on a clock of their own (the hall's clock is never
//! moved). Nothing here writes a row the use cases would not.

mod bank;
mod devices;
mod draws;
mod fixture;
mod notices;
mod past;
mod people;
mod registry;
mod stages;

pub use devices::KEYS_DIR;

use crate::app::AppState;
use crate::domain::Timestamp;
use crate::identity::password::Password;
use crate::server::StartError;
use fixture::bad;
use notices::Projects;
use past::Past;
use people::People;

/// The demo users' shared password, for the README and the tests.
pub fn password() -> String {
    fixture::read().map(|f| f.password).unwrap_or_default()
}

/// Loads the directory and the notices unless the database already holds organisations.
/// Returns whether it did.
pub async fn load(app: &AppState) -> Result<bool, StartError> {
    if !empty(app).await? {
        return Ok(false);
    }
    let fx = fixture::read()?;
    let past = Past::of(app);
    let now = past.present();
    let (people, projects) = directory(
        &past,
        now,
        &fx.password,
        fx.organisations,
        fx.experts,
        fx.projects,
    )
    .await?;
    notices::tenders(&past, &people, &projects, fx.tenders).await?;
    tracing::info!("demo data loaded");
    Ok(true)
}

/// Loads the demo hall unless the database already holds organisations: the directory, agents
/// registered under 三表三制, an agent draw, and tenders bidding, in the lobby, opened, under
/// evaluation, publicising their candidates, awarded to the end, and failed. Needs the sandbox
/// bank (`--demo`). Returns whether it loaded.
pub async fn load_hall(app: &AppState) -> Result<bool, StartError> {
    if !empty(app).await? {
        return Ok(false);
    }
    let started = std::time::Instant::now();
    let fx = fixture::read()?;
    let hall = fx.hall;
    let past = Past::of(app);
    // Before anything is written: the hall's bonds are paid at the sandbox bank.
    let bank = bank::Bank::open(app, past.clock())?;
    let since = past.present().plus_days(-hall.begins_days_ago);
    let mut orgs = fx.organisations;
    orgs.extend(hall.organisations);
    let mut owned = fx.projects;
    owned.extend(hall.projects);
    let (people, projects) = directory(&past, since, &fx.password, orgs, fx.experts, owned).await?;
    let mut devices = devices::Devices::new(&app.config.store.data_dir)?;
    registry::register(
        &past,
        since.plus_days(1),
        &people,
        &mut devices,
        hall.agents,
    )
    .await?;
    for d in &hall.agent_draws {
        draws::agent_draw(&past, &people, &projects, d).await?;
    }
    let mut tenders = fx.tenders;
    tenders.extend(hall.tenders);
    let mut notices = notices::tenders(&past, &people, &projects, tenders).await?;
    notices.sort_by_key(|n| n.tender.published_at);
    let mut hall = stages::Hall {
        past,
        people,
        devices,
        bank,
    };
    for n in notices {
        let key = n.key.clone();
        stages::play(&mut hall, n).await.map_err(|e| match e {
            StartError::Demo(why) => bad(format!("tender {key}: {why}")),
            other => other,
        })?;
    }
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        "demo hall loaded"
    );
    Ok(true)
}

/// The organisations and their users, the experts and the projects, registered at `at`.
async fn directory(
    past: &Past,
    at: Timestamp,
    password: &str,
    orgs: Vec<fixture::Org>,
    experts: Vec<crate::registry::service::NewExpert>,
    owned: Vec<fixture::Project>,
) -> Result<(People, Projects), StartError> {
    let mut people = People::default();
    let mut projects = Projects::default();
    let password = Password::parse(password).map_err(bad)?.hash();
    people::register(past.at(at)?, orgs, &password, &mut people).await?;
    people::experts(past.at(at)?, &people, experts).await?;
    notices::projects(past, at, &people, owned, &mut projects).await?;
    Ok((people, projects))
}

async fn empty(app: &AppState) -> Result<bool, StartError> {
    if app.store.list_organisations(None).await?.is_empty() {
        return Ok(true);
    }
    tracing::info!("demo data not loaded: the database is not empty");
    Ok(false)
}
