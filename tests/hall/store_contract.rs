//! The Store contract, run on whichever backend this test run uses (SQLite by default; PostgreSQL
//! when DATABASE_URL names one, as CI's second pass does).

use crate::common::*;
use bidhall::auditlog::{AuditActor, AuditEvent};
use bidhall::domain::{Line, OrgId, UserId};
use bidhall::identity::session::Session;
use bidhall::identity::{CreditCode, Organisation, Role, User};
use bidhall::store::{Store, StoreError};
use serde_json::json;

fn org(code: &str, now: bidhall::domain::Timestamp) -> Organisation {
    Organisation {
        id: OrgId::generate(),
        role: Role::Tenderer,
        name: Line::parse(&format!("契约测试公司{code}")).unwrap(),
        credit_code: CreditCode::parse(code).unwrap(),
        region: Line::parse("").unwrap(),
        created_at: now,
    }
}

fn event(kind: &'static str, now: bidhall::domain::Timestamp) -> AuditEvent {
    AuditEvent::new(kind, None, AuditActor::System, now, json!({}))
}

async fn entries(store: &dyn Store) -> Vec<bidhall::store::StoredEntry> {
    store.audit_entries(None, -1, 100_000).await.unwrap()
}

/// Two organisations whose names differ only in width, spacing or case: the store refuses the
/// second, so two registrations racing past the service's look-up cannot both win.
#[tokio::test]
async fn the_store_keeps_organisation_names_unique_after_normalisation() {
    let app = TestApp::spawn().await;
    let store: &dyn Store = &*app.app.store;
    let now = app.now();
    let mut a = org(&credit_code("91210100MA0Y1111A"), now);
    a.name = Line::parse("契约（测试）Alpha公司").unwrap();
    store
        .create_organisation(&a, &event("organisation_registered", now))
        .await
        .unwrap();
    let size = store.audit_size().await.unwrap();
    let mut b = org(&credit_code("91210100MA0Y1111B"), now);
    b.name = Line::parse("契约 (测试) ALPHA 公司").unwrap();
    let e = store
        .create_organisation(&b, &event("organisation_registered", now))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    assert_eq!(store.audit_size().await.unwrap(), size);
    let key = bidhall::identity::name_key::NameKey::of("契约(测试)alpha公司");
    let found = store
        .find_organisation_by_name(&key)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, a.id);
}

/// Organisations registered before migration 0014 get their name key when the store opens; one
/// whose name collides with an older one's keeps none, and the store still opens.
#[tokio::test]
async fn opening_the_store_fills_the_name_key_of_older_organisations() {
    use sqlx::Connection;
    let app = TestApp::spawn().await;
    let url = app.args.store.database_url();
    let orgs = app.app.store.list_organisations(None).await.unwrap();
    let (first, second) = (&orgs[0], &orgs[1]);
    {
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE organisations SET name_key = NULL")
            .execute(&mut c)
            .await
            .unwrap();
        // As if `second` had been registered under `first`'s name in another spelling.
        sqlx::query("UPDATE organisations SET name = $1 WHERE id = $2")
            .bind(format!(" {} ", first.name.as_str()))
            .bind(second.id.to_string())
            .execute(&mut c)
            .await
            .unwrap();
    }
    let reopened = bidhall::store::open(&url).await.unwrap();
    let key = |name: &str| bidhall::identity::name_key::NameKey::of(name);
    for o in &orgs[2..] {
        let found = reopened
            .find_organisation_by_name(&key(o.name.as_str()))
            .await
            .unwrap();
        assert_eq!(
            found.map(|f| f.id),
            Some(o.id.clone()),
            "{}",
            o.name.as_str()
        );
    }
    let holder = reopened
        .find_organisation_by_name(&key(first.name.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert!(holder.id == first.id || holder.id == second.id);
}

#[tokio::test]
async fn writes_and_their_audit_entries_commit_together_or_not_at_all() {
    let app = TestApp::spawn().await;
    let store: &dyn Store = &*app.app.store;
    let now = app.now();
    // Counted by kind: the hall's own watchers (a box closing at its deadline) may log meanwhile.
    let registered = |all: &[bidhall::store::StoredEntry]| {
        all.iter()
            .filter(|e| e.kind == "organisation_registered")
            .count()
    };
    let before = registered(&entries(store).await);
    let a = org("91210100MA0Y12345M", now);
    store
        .create_organisation(&a, &event("organisation_registered", now))
        .await
        .unwrap();
    // the same credit code again: a Conflict, and no audit entry for the failed write
    let mut dup = org("91210100MA0Y12345M", now);
    dup.id = OrgId::generate();
    let e = store
        .create_organisation(&dup, &event("organisation_registered", now))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    let after = entries(store).await;
    assert_eq!(registered(&after), before + 1);
    // indexes are dense and in order
    for (i, e) in after.iter().enumerate() {
        assert_eq!(e.index, i as i64);
    }
    assert_eq!(
        store.get_organisation(&a.id).await.unwrap().credit_code,
        a.credit_code
    );
    assert!(matches!(
        store.get_organisation(&OrgId::generate()).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn concurrent_appends_keep_the_log_dense() {
    let app = TestApp::spawn().await;
    let now = app.now();
    let mut tasks = Vec::new();
    for i in 0..20 {
        let store = app.app.store.clone();
        tasks.push(tokio::spawn(async move {
            let o = org(&credit_code(&format!("91210100MA0Y2{i:04}")), now);
            store
                .create_organisation(&o, &event("organisation_registered", now))
                .await
        }));
    }
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let all = entries(&*app.app.store).await;
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.index, i as i64, "no gaps, no duplicates");
    }
}

#[tokio::test]
async fn sessions_are_found_by_digest_and_deleted() {
    let app = TestApp::spawn().await;
    let store: &dyn Store = &*app.app.store;
    let now = app.now();
    let o = org("91210100MA0Y12346Q", now);
    store
        .create_organisation(&o, &event("organisation_registered", now))
        .await
        .unwrap();
    let u = User {
        id: UserId::generate(),
        org_id: o.id.clone(),
        login: bidhall::identity::Login::parse("contract.user").unwrap(),
        display_name: Line::parse("契约").unwrap(),
        password_hash: bidhall::identity::password::PasswordHash::from_stored("x".into()),
        created_at: now,
    };
    store
        .create_user(&u, &event("user_created", now))
        .await
        .unwrap();
    let dup = User {
        id: UserId::generate(),
        ..u.clone()
    };
    assert!(matches!(
        store.create_user(&dup, &event("user_created", now)).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .create_session(&Session {
            token_digest: "d1".into(),
            user_id: u.id.clone(),
            created_at: now,
            expires_at: now.plus_days(1),
        })
        .await
        .unwrap();
    let (s, actor) = store.find_session("d1").await.unwrap().unwrap();
    assert_eq!((s.user_id, actor.role), (u.id.clone(), Role::Tenderer));
    store.delete_session("d1").await.unwrap();
    assert!(store.find_session("d1").await.unwrap().is_none());
}

#[tokio::test]
async fn a_tender_write_based_on_an_old_version_conflicts() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let spec = app.spec("版本").await;
    let t = app.draft_tender(&agent, spec).await;
    let id = bidhall::domain::TenderId::parse(t["id"].as_str().unwrap()).unwrap();
    let store: &dyn Store = &*app.app.store;
    let mut tender = store.get_tender(&id).await.unwrap();
    tender.version += 1;
    store
        .save_tender(&tender, &event("tender_draft_edited", app.now()))
        .await
        .unwrap();
    let n = entries(store).await.len();
    // the same write again is based on version 1, which is gone
    assert!(matches!(
        store
            .save_tender(&tender, &event("tender_draft_edited", app.now()))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        entries(store).await.len(),
        n,
        "the refused write left no audit entry"
    );
}

#[tokio::test]
async fn obtaining_twice_is_recorded_once() {
    let app = TestApp::spawn().await;
    let agent = app.sign_in("agent").await;
    let t = app.publish_tender(&agent, "获取").await;
    let id = bidhall::domain::TenderId::parse(t["id"].as_str().unwrap()).unwrap();
    let store: &dyn Store = &*app.app.store;
    let org = OrgId::parse(&app.org_id("tenderer", "华建").await).unwrap();
    let sealed = || {
        bidhall::auditlog::AuditEvent::sealed(
            "tender_documents_obtained",
            &id,
            bidhall::auditlog::AuditActor::System,
            app.now(),
            serde_json::json!({}),
        )
    };
    let ev = sealed();
    let o = bidhall::tenders::obtain::Obtained::new(id.clone(), org.clone(), app.now(), &ev);
    assert!(store.record_obtained(&o, &ev).await.unwrap());
    let ev2 = sealed();
    let o2 = bidhall::tenders::obtain::Obtained::new(id.clone(), org.clone(), app.now(), &ev2);
    assert!(!store.record_obtained(&o2, &ev2).await.unwrap());
    let kept = store.find_obtained(&id, &org).await.unwrap().unwrap();
    assert_eq!(
        kept.commitment, o.commitment,
        "the first record and its salt are kept"
    );
    assert_eq!(kept.salt, o.salt);
    assert_eq!(store.list_obtained(&id).await.unwrap().len(), 1);
}

#[tokio::test]
async fn two_servers_share_one_database() {
    // It registers 16 organisations from one address: more than the default hourly limit.
    let app = TestApp::spawn_with(|a| a.registrations_per_hour = 100).await;
    // A second hall process on the same database, data folder and log key.
    let mut args = app.args.clone();
    args.listen = "127.0.0.1:0".into();
    let clock = std::sync::Arc::new(bidhall::clock::ManualClock::new(app.now()));
    let second = bidhall::server::state(&args, clock).await.unwrap();
    let running = bidhall::server::spawn(second.clone()).await.unwrap();
    let other_base = format!("http://{}", running.addr);
    let mut tasks = Vec::new();
    for i in 0..16 {
        let base = if i % 2 == 0 {
            app.base.clone()
        } else {
            other_base.clone()
        };
        tasks.push(tokio::spawn(async move {
            let body = json!({
                "organisation": { "role": "tenderer", "name": format!("共享{i}"), "credit_code": credit_code(&format!("91210100MA0Y3{i:04}")) },
                "user": { "login": format!("shared{i}"), "display_name": "共享", "password": "a long enough password" }
            });
            reqwest::Client::new().post(format!("{base}/api/register")).json(&body).send().await.unwrap().status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), reqwest::StatusCode::CREATED);
    }
    // both sign checkpoints of the one log, and either sees the other's writes
    let a = app.post("/api/log/checkpoint", None, json!({})).await;
    let b: serde_json::Value = reqwest::Client::new()
        .post(format!("{other_base}/api/log/checkpoint"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        a.body["note"], b["note"],
        "the same size gets the same signed note"
    );
    let all = entries(&*second.store).await;
    for (i, e) in all.iter().enumerate() {
        assert_eq!(e.index, i as i64);
    }
    let keys = bidhall::auditlog::service::LogKeys::load_or_create(
        &args.log.key_file(&args.store),
        &args.log.log_origin,
        &[],
    )
    .unwrap();
    bidhall::auditlog::service::self_check(&*second.store, &keys)
        .await
        .unwrap();
    second.shutdown.cancel();
}
