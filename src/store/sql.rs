//! The SQL both backends share, run through sqlx's `Any` driver with `$n` placeholders (both dialects
//! accept them). Each public write is one use case, audit entry included, run atomically by the
//! group committer (`commit.rs`); reads go to the read pool.

use super::commit::GroupCommit;
use super::logbuffer::LogBuffer;
use super::rows;
use super::{Store, StoreError, StoredEntry};
use crate::auditlog::AuditEvent;
use crate::domain::{DocumentId, OrgId, ProjectId, TenderId, Timestamp};
use crate::identity::keys::SigningKey;
use crate::identity::name_key::NameKey;
use crate::identity::session::Session;
use crate::identity::{Actor, Login, Organisation, Role, User};
use crate::tenders::model::{Amendment, DocumentState, Project, Tender, TenderDocument};
use crate::tenders::notices::{
    search_grams, search_text, term_grams, NoticePage, NoticeQuery, PublicStatus, COUNT_CAP,
};
use crate::tenders::obtain::Obtained;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, AnyPool, Row};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

type Q<'a> = Query<'a, Any, AnyArguments<'a>>;

pub struct SqlStore {
    /// SQLite allows one writer at a time: its write pool has one connection, which the group
    /// committer uses. On PostgreSQL both pools are the same.
    pub write: AnyPool,
    pub read: AnyPool,
    pub dialect: Dialect,
    pub commit: GroupCommit,
}

/// Appends the audit entry to the current write and returns its index (see `logbuffer.rs`).
pub(super) fn append_audit(log: &mut LogBuffer, event: &AuditEvent) -> Result<i64, StoreError> {
    log.append(event)
}

impl SqlStore {
    /// Runs one statement and its audit entry as one write.
    async fn write_one(&self, q: Q<'static>, audit: &AuditEvent) -> Result<(), StoreError> {
        let audit = audit.clone();
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    q.execute(&mut *c).await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn fetch_all<T>(
        &self,
        q: Q<'_>,
        map: impl Fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        q.fetch_all(&self.read).await?.iter().map(map).collect()
    }

    async fn fetch_one<T>(
        &self,
        q: Q<'_>,
        map: impl Fn(&AnyRow) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        match q.fetch_optional(&self.read).await? {
            Some(row) => map(&row),
            None => Err(StoreError::NotFound),
        }
    }

    fn insert_org(org: &Organisation) -> Q<'static> {
        sqlx::query(
            "INSERT INTO organisations (id, role, name, credit_code, region, created_at, name_key) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(org.id.to_string())
        .bind(org.role.as_str())
        .bind(org.name.as_str().to_string())
        .bind(org.credit_code.as_str().to_string())
        .bind(org.region.as_str().to_string())
        .bind(org.created_at.millis())
        .bind(NameKey::of(org.name.as_str()).as_str().to_string())
    }
    fn insert_user(user: &User) -> Q<'static> {
        sqlx::query(
            "INSERT INTO users (id, org_id, login, display_name, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(user.id.to_string())
        .bind(user.org_id.to_string())
        .bind(user.login.as_str().to_string())
        .bind(user.display_name.as_str().to_string())
        .bind(user.password_hash.as_str().to_string())
        .bind(user.created_at.millis())
    }
}

async fn project_search_fields(conn: &mut AnyConnection, t: &Tender) -> Result<String, StoreError> {
    let row = sqlx::query("SELECT name, code FROM projects WHERE id = $1")
        .bind(t.project_id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    let name: String = row.try_get("name")?;
    let code: String = row.try_get("code")?;
    Ok(search_text(t, &name, &code))
}
async fn insert_tender(conn: &mut AnyConnection, t: &Tender) -> Result<(), StoreError> {
    let text = project_search_fields(conn, t).await?;
    sqlx::query(
            "INSERT INTO tenders (id, project_id, owner_org_id, agent_org_id, state, title, category, \
               region, bid_deadline, total_estimate, published_at, documents_issued_at, search_text, \
               search_grams, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(t.id.to_string())
        .bind(t.project_id.to_string())
        .bind(t.owner_org_id.to_string())
        .bind(t.agent_org_id.as_ref().map(|a| a.to_string()))
        .bind(t.state.as_str())
        .bind(t.spec.title.as_str().to_string())
        .bind(t.spec.category.as_str())
        .bind(t.spec.region.as_str().to_string())
        .bind(t.spec.schedule.bid_deadline.millis())
        .bind(total_estimate(t))
        .bind(t.published_at.map(|p| p.millis()))
        .bind(t.documents_issued_at.map(|p| p.millis()))
        .bind(text.clone())
        .bind(search_grams(&text))
        .bind(t.version)
        .bind(t.created_at.millis())
        .bind(t.updated_at.millis())
        .execute(&mut *conn)
        .await?;
    sqlx::query("INSERT INTO tender_specs (tender_id, spec) VALUES ($1, $2)")
        .bind(t.id.to_string())
        .bind(spec_json(t))
        .execute(&mut *conn)
        .await?;
    Ok(())
}
/// Writes the tender's mutable columns if nobody changed it since `version - 1`.
async fn update_tender(conn: &mut AnyConnection, t: &Tender) -> Result<(), StoreError> {
    let text = project_search_fields(conn, t).await?;
    let done = sqlx::query(
            "UPDATE tenders SET state = $1, title = $2, category = $3, region = $4, bid_deadline = $5, \
               total_estimate = $6, published_at = $7, documents_issued_at = $8, search_text = $9, \
               search_grams = $10, version = $11, updated_at = $12 \
             WHERE id = $13 AND version = $14",
        )
        .bind(t.state.as_str())
        .bind(t.spec.title.as_str().to_string())
        .bind(t.spec.category.as_str())
        .bind(t.spec.region.as_str().to_string())
        .bind(t.spec.schedule.bid_deadline.millis())
        .bind(total_estimate(t))
        .bind(t.published_at.map(|p| p.millis()))
        .bind(t.documents_issued_at.map(|p| p.millis()))
        .bind(text.clone())
        .bind(search_grams(&text))
        .bind(t.version)
        .bind(t.updated_at.millis())
        .bind(t.id.to_string())
        .bind(t.version - 1)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::Conflict(
            "the tender was changed by someone else".into(),
        ));
    }
    sqlx::query("UPDATE tender_specs SET spec = $1 WHERE tender_id = $2")
        .bind(spec_json(t))
        .bind(t.id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Computes `search_grams` for rows that predate it (an empty value), in batches.
/// Fills the name key of organisations registered before it existed (migration 0014; SQL cannot
/// normalise Unicode), oldest first. A name that collides with an older one keeps no key, and the
/// operator is told to resolve it; new registrations of that name are refused all the same.
pub(super) async fn backfill_name_keys(pool: &AnyPool) -> Result<(), StoreError> {
    let rows = sqlx::query(
        "SELECT id, name FROM organisations WHERE name_key IS NULL ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await?;
    for r in &rows {
        let id: String = r.try_get("id")?;
        let name: String = r.try_get("name")?;
        let set = sqlx::query("UPDATE organisations SET name_key = $1 WHERE id = $2")
            .bind(NameKey::of(&name).as_str().to_string())
            .bind(&id)
            .execute(pool)
            .await;
        match set.map_err(StoreError::from) {
            Ok(_) => {}
            Err(StoreError::Conflict(_)) => tracing::warn!(
                org = %id,
                "an organisation's name is the same as an older one's after normalisation; \
                 rename one of them"
            ),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub(super) async fn backfill_grams(pool: &AnyPool) -> Result<(), StoreError> {
    loop {
        let rows = sqlx::query(
            "SELECT seq, search_text FROM tenders WHERE search_grams = '' AND search_text <> '' LIMIT 500",
        )
        .fetch_all(pool)
        .await?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut tx = pool.begin().await?;
        for r in &rows {
            let seq: i64 = r.try_get("seq")?;
            let text: String = r.try_get("search_text")?;
            sqlx::query("UPDATE tenders SET search_grams = $1 WHERE seq = $2")
                .bind(search_grams(&text))
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
    }
}

#[async_trait::async_trait]
impl Store for SqlStore {
    async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if self.dialect == Dialect::Sqlite {
            // After a bulk write, fold the write-ahead log back into the database file so
            // readers stop consulting a long WAL (outside any transaction, hence not via commit).
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.write)
                .await?;
        }
        let sql = match self.dialect {
            Dialect::Sqlite => "ANALYZE",
            Dialect::Postgres => "ANALYZE tenders",
        };
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    sqlx::query(sql).execute(&mut *c).await?;
                    Ok(())
                })
            })
            .await
    }

    fn backend(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.read).await?;
        Ok(())
    }

    // organisations, users, sessions, keys

    async fn create_organisation(
        &self,
        org: &Organisation,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.write_one(Self::insert_org(org), audit).await
    }

    async fn register_organisation_with_user(
        &self,
        org: &Organisation,
        user: &User,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (org_q, user_q, audit) = (
            Self::insert_org(org),
            Self::insert_user(user),
            audit.clone(),
        );
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    org_q.execute(&mut *c).await?;
                    user_q.execute(&mut *c).await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn find_organisation_by_name(
        &self,
        key: &NameKey,
    ) -> Result<Option<Organisation>, StoreError> {
        match self
            .fetch_one(
                sqlx::query("SELECT * FROM organisations WHERE name_key = $1")
                    .bind(key.as_str().to_string()),
                rows::organisation,
            )
            .await
        {
            Ok(org) => Ok(Some(org)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn get_organisation(&self, id: &OrgId) -> Result<Organisation, StoreError> {
        self.fetch_one(
            sqlx::query("SELECT * FROM organisations WHERE id = $1").bind(id.to_string()),
            rows::organisation,
        )
        .await
    }

    async fn list_organisations(
        &self,
        role: Option<Role>,
    ) -> Result<Vec<Organisation>, StoreError> {
        let q = match role {
            Some(r) => sqlx::query("SELECT * FROM organisations WHERE role = $1 ORDER BY name")
                .bind(r.as_str()),
            None => sqlx::query("SELECT * FROM organisations ORDER BY role, name"),
        };
        self.fetch_all(q, rows::organisation).await
    }

    async fn create_user(&self, user: &User, audit: &AuditEvent) -> Result<(), StoreError> {
        self.write_one(Self::insert_user(user), audit).await
    }

    async fn find_user_by_login(&self, login: &Login) -> Result<Option<User>, StoreError> {
        match self
            .fetch_one(
                sqlx::query("SELECT * FROM users WHERE login = $1")
                    .bind(login.as_str().to_string()),
                rows::user,
            )
            .await
        {
            Ok(u) => Ok(Some(u)),
            Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn create_session(&self, s: &Session) -> Result<(), StoreError> {
        let s = s.clone();
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    // Expired sessions are swept as new ones are made, so the table stays small.
                    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
                        .bind(s.created_at.millis())
                        .execute(&mut *c)
                        .await?;
                    sqlx::query(
                        "INSERT INTO sessions (token_digest, user_id, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(s.token_digest.clone())
                    .bind(s.user_id.to_string())
                    .bind(s.created_at.millis())
                    .bind(s.expires_at.millis())
                    .execute(&mut *c)
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn find_session(&self, digest: &str) -> Result<Option<(Session, Actor)>, StoreError> {
        let row = sqlx::query(
            "SELECT s.token_digest, s.user_id, s.created_at, s.expires_at, u.org_id, u.display_name, \
                    o.role, o.name AS org_name \
             FROM sessions s JOIN users u ON u.id = s.user_id JOIN organisations o ON o.id = u.org_id \
             WHERE s.token_digest = $1",
        )
        .bind(digest.to_string())
        .fetch_optional(&self.read)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let session = Session {
            token_digest: r.try_get("token_digest")?,
            user_id: crate::domain::UserId::from_stored(r.try_get("user_id")?),
            created_at: Timestamp::from_stored(r.try_get("created_at")?),
            expires_at: Timestamp::from_stored(r.try_get("expires_at")?),
        };
        Ok(Some((session, rows::actor(&r)?)))
    }

    async fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        let digest = digest.to_string();
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    sqlx::query("DELETE FROM sessions WHERE token_digest = $1")
                        .bind(digest)
                        .execute(&mut *c)
                        .await?;
                    Ok(())
                })
            })
            .await
    }

    async fn add_signing_key(&self, k: &SigningKey, audit: &AuditEvent) -> Result<(), StoreError> {
        let q = sqlx::query(
            "INSERT INTO signing_keys (id, org_id, label, public_key, fingerprint, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(k.id.to_string())
        .bind(k.org_id.to_string())
        .bind(k.label.as_str().to_string())
        .bind(k.public_key.to_base64())
        .bind(k.fingerprint.clone())
        .bind(k.created_at.millis());
        self.write_one(q, audit).await
    }

    async fn list_signing_keys(&self, org: &OrgId) -> Result<Vec<SigningKey>, StoreError> {
        self.fetch_all(
            sqlx::query("SELECT * FROM signing_keys WHERE org_id = $1 ORDER BY created_at")
                .bind(org.to_string()),
            rows::signing_key,
        )
        .await
    }

    // projects and tenders

    async fn create_project(&self, p: &Project, audit: &AuditEvent) -> Result<(), StoreError> {
        let q = sqlx::query(
            "INSERT INTO projects (id, owner_org_id, agent_org_id, agent_by_draw, name, code, region, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(p.id.to_string())
        .bind(p.owner_org_id.to_string())
        .bind(p.agent_org_id.as_ref().map(|a| a.to_string()))
        .bind(i64::from(p.agent_by_draw))
        .bind(p.name.as_str().to_string())
        .bind(p.code.as_str().to_string())
        .bind(p.region.as_str().to_string())
        .bind(p.created_at.millis());
        self.write_one(q, audit).await
    }

    async fn get_project(&self, id: &ProjectId) -> Result<Project, StoreError> {
        self.fetch_one(
            sqlx::query("SELECT * FROM projects WHERE id = $1").bind(id.to_string()),
            rows::project,
        )
        .await
    }

    async fn list_projects(&self, org: &OrgId) -> Result<Vec<Project>, StoreError> {
        self.fetch_all(
            sqlx::query(
                "SELECT * FROM projects WHERE owner_org_id = $1 OR agent_org_id = $1 ORDER BY created_at DESC",
            )
            .bind(org.to_string()),
            rows::project,
        )
        .await
    }

    async fn create_tender(&self, t: &Tender, audit: &AuditEvent) -> Result<(), StoreError> {
        let (t, audit) = (t.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    insert_tender(c, &t).await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn record_event(&self, audit: &AuditEvent) -> Result<i64, StoreError> {
        let audit = audit.clone();
        self.commit
            .run(move |_c, log| Box::pin(async move { append_audit(log, &audit) }))
            .await
    }

    async fn import_tenders(&self, batch: &[(Tender, AuditEvent)]) -> Result<(), StoreError> {
        let batch = batch.to_vec();
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    for (t, audit) in &batch {
                        insert_tender(c, t).await?;
                        append_audit(log, audit)?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn get_tender(&self, id: &TenderId) -> Result<Tender, StoreError> {
        self.fetch_one(
            sqlx::query(
                "SELECT t.*, s.spec FROM tenders t JOIN tender_specs s ON s.tender_id = t.id \
                 WHERE t.id = $1",
            )
            .bind(id.to_string()),
            rows::tender,
        )
        .await
    }

    async fn list_tenders_of_org(&self, org: &OrgId) -> Result<Vec<Tender>, StoreError> {
        self.fetch_all(
            sqlx::query(
                "SELECT t.*, s.spec FROM tenders t JOIN tender_specs s ON s.tender_id = t.id \
                 WHERE t.owner_org_id = $1 OR t.agent_org_id = $1 ORDER BY t.updated_at DESC",
            )
            .bind(org.to_string()),
            rows::tender,
        )
        .await
    }

    async fn list_tenders_of_project(
        &self,
        project: &ProjectId,
    ) -> Result<Vec<Tender>, StoreError> {
        self.fetch_all(
            sqlx::query(
                "SELECT t.*, s.spec FROM tenders t JOIN tender_specs s ON s.tender_id = t.id \
                 WHERE t.project_id = $1 AND t.state <> 'draft' ORDER BY t.created_at, t.id",
            )
            .bind(project.to_string()),
            rows::tender,
        )
        .await
    }

    async fn save_tender(&self, t: &Tender, audit: &AuditEvent) -> Result<(), StoreError> {
        let (t, audit) = (t.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    update_tender(c, &t).await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn publish_tender(&self, t: &Tender, audit: &AuditEvent) -> Result<(), StoreError> {
        let (t, audit) = (t.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    update_tender(c, &t).await?;
                    sqlx::query(
                        "UPDATE documents SET state = $1 WHERE tender_id = $2 AND state = $3",
                    )
                    .bind(DocumentState::Published.as_str())
                    .bind(t.id.to_string())
                    .bind(DocumentState::Draft.as_str())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn add_amendment(
        &self,
        t: &Tender,
        a: &Amendment,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let body = serde_json::to_string(a).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let (t, a, audit) = (t.clone(), a.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    update_tender(c, &t).await?;
                    sqlx::query(
                        "INSERT INTO amendments (id, tender_id, number, body, published_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(a.id.to_string())
                    .bind(a.tender_id.to_string())
                    .bind(a.number)
                    .bind(body)
                    .bind(a.published_at.millis())
                    .execute(&mut *c)
                    .await?;
                    for doc in &a.documents {
                        let done = sqlx::query(
                            "UPDATE documents SET state = $1, amendment_id = $2 \
                             WHERE id = $3 AND tender_id = $4 AND state = $5",
                        )
                        .bind(DocumentState::Published.as_str())
                        .bind(a.id.to_string())
                        .bind(doc.to_string())
                        .bind(t.id.to_string())
                        .bind(DocumentState::Staged.as_str())
                        .execute(&mut *c)
                        .await?;
                        if done.rows_affected() != 1 {
                            return Err(StoreError::Conflict(format!(
                                "document {doc} is not a staged document of this tender"
                            )));
                        }
                    }
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn list_amendments(&self, tender: &TenderId) -> Result<Vec<Amendment>, StoreError> {
        self.fetch_all(
            sqlx::query("SELECT body FROM amendments WHERE tender_id = $1 ORDER BY number")
                .bind(tender.to_string()),
            rows::amendment,
        )
        .await
    }

    // documents

    async fn add_document(&self, d: &TenderDocument, audit: &AuditEvent) -> Result<(), StoreError> {
        let q = sqlx::query(
            "INSERT INTO documents (id, tender_id, name, media_type, sha256, size, state, amendment_id, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(d.id.to_string())
        .bind(d.tender_id.to_string())
        .bind(d.name.as_str().to_string())
        .bind(d.media_type.clone())
        .bind(d.sha256.clone())
        .bind(d.size)
        .bind(d.state.as_str())
        .bind(d.amendment_id.as_ref().map(|a| a.to_string()))
        .bind(d.uploaded_at.millis());
        self.write_one(q, audit).await
    }

    async fn get_document(&self, id: &DocumentId) -> Result<TenderDocument, StoreError> {
        self.fetch_one(
            sqlx::query("SELECT * FROM documents WHERE id = $1").bind(id.to_string()),
            rows::document,
        )
        .await
    }

    async fn list_documents(&self, tender: &TenderId) -> Result<Vec<TenderDocument>, StoreError> {
        self.fetch_all(
            sqlx::query("SELECT * FROM documents WHERE tender_id = $1 ORDER BY uploaded_at, id")
                .bind(tender.to_string()),
            rows::document,
        )
        .await
    }

    // obtaining documents

    async fn record_obtained(&self, o: &Obtained, audit: &AuditEvent) -> Result<bool, StoreError> {
        let (o, audit) = (o.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let exists =
                        sqlx::query("SELECT 1 FROM obtained WHERE tender_id = $1 AND org_id = $2")
                            .bind(o.tender_id.to_string())
                            .bind(o.org_id.to_string())
                            .fetch_optional(&mut *c)
                            .await?
                            .is_some();
                    if exists {
                        return Ok(false);
                    }
                    sqlx::query(
                        "INSERT INTO obtained (tender_id, org_id, salt, commitment, obtained_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(o.tender_id.to_string())
                    .bind(o.org_id.to_string())
                    .bind(hex::encode(o.salt))
                    .bind(o.commitment.clone())
                    .bind(o.obtained_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(true)
                })
            })
            .await
    }

    async fn find_obtained(
        &self,
        tender: &TenderId,
        org: &OrgId,
    ) -> Result<Option<Obtained>, StoreError> {
        let rows = self
            .fetch_all(
                sqlx::query("SELECT * FROM obtained WHERE tender_id = $1 AND org_id = $2")
                    .bind(tender.to_string())
                    .bind(org.to_string()),
                rows::obtained,
            )
            .await?;
        Ok(rows.into_iter().next())
    }

    async fn list_obtained(&self, tender: &TenderId) -> Result<Vec<Obtained>, StoreError> {
        self.fetch_all(
            sqlx::query("SELECT * FROM obtained WHERE tender_id = $1 ORDER BY obtained_at")
                .bind(tender.to_string()),
            rows::obtained,
        )
        .await
    }

    // the notice board

    async fn search_notices(
        &self,
        q: &NoticeQuery,
        now: Timestamp,
    ) -> Result<NoticePage, StoreError> {
        let mut filter = Filter::default();
        // Drafts never appear. Written as a literal so the partial index of public tenders, in
        // board order, applies (a bound parameter would hide it from the planner).
        filter.clauses.push("t.state <> 'draft'".into());
        match q.status {
            Some(PublicStatus::Bidding) => {
                filter.push("t.state = $", "published".to_string().into());
                filter.push("t.bid_deadline > $", now.millis().into());
            }
            Some(PublicStatus::Closed) => {
                filter.push("t.state = $", "published".to_string().into());
                filter.push("t.bid_deadline <= $", now.millis().into());
                filter
                    .clauses
                    .push("(t.award_stage IS NULL OR t.award_stage = 'evaluating')".into());
            }
            Some(PublicStatus::Cancelled) => filter
                .clauses
                .push("(t.state = 'cancelled' OR t.award_stage = 'terminated')".into()),
            Some(s) => {
                filter.push("t.state = $", "published".to_string().into());
                filter.push("t.bid_deadline <= $", now.millis().into());
                filter.push("t.award_stage = $", s.as_str().to_string().into());
            }
            None => {}
        }
        if let Some(c) = q.category {
            filter.push("t.category = $", c.as_str().to_string().into());
        }
        if let Some(r) = &q.region {
            filter.push("t.region = $", r.clone().into());
        }
        if let Some(from) = q.deadline_from {
            filter.push("t.bid_deadline >= $", from.millis().into());
        }
        if let Some(to) = q.deadline_to {
            filter.push("t.bid_deadline <= $", to.millis().into());
        }
        for term in &q.terms {
            // The two-character windows narrow the candidates through an index; LIKE confirms
            // the exact substring. A one-character term has no windows and is scanned.
            let grams = term_grams(term);
            if !grams.is_empty() {
                match self.dialect {
                    Dialect::Sqlite => {
                        let query = grams
                            .iter()
                            .map(|g| format!("\"{}\"", g.replace('"', "\"\"")))
                            .collect::<Vec<_>>()
                            .join(" AND ");
                        filter.push(
                            "t.seq IN (SELECT rowid FROM tender_grams WHERE tender_grams MATCH $)",
                            query.into(),
                        )
                    }
                    Dialect::Postgres => filter.push(
                        "string_to_array(t.search_grams, ' ') @> string_to_array($, ' ')",
                        grams.join(" ").into(),
                    ),
                }
            }
            filter.push(
                "t.search_text LIKE $ ESCAPE '\\'",
                like_pattern(term).into(),
            );
        }
        let where_sql = filter.sql();
        let count_sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM tenders t WHERE {where_sql} LIMIT {}) c",
            COUNT_CAP + 1
        );
        let list_sql = format!(
            "SELECT t.id, t.title, t.category, t.region, t.state, t.bid_deadline, t.published_at, \
                    t.total_estimate, t.award_stage \
             FROM tenders t WHERE {where_sql} \
             ORDER BY t.published_at DESC, t.id DESC LIMIT {} OFFSET {}",
            q.per_page,
            q.offset()
        );
        let total: i64 = filter
            .bind_scalar(sqlx::query_scalar(&count_sql))
            .fetch_one(&self.read)
            .await?;
        let items = filter
            .bind(sqlx::query(&list_sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| rows::notice(r, now))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NoticePage {
            items,
            total: total.min(COUNT_CAP),
            total_capped: total > COUNT_CAP,
            page: q.page,
            per_page: q.per_page,
        })
    }

    // the audit log

    async fn audit_entries(
        &self,
        tender: Option<&TenderId>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError> {
        let q = match tender {
            Some(t) => sqlx::query(
                "SELECT idx, tender_id, kind, entry FROM audit_log WHERE tender_id = $1 AND idx > $2 ORDER BY idx LIMIT $3",
            )
            .bind(t.to_string()),
            None => sqlx::query(
                "SELECT idx, tender_id, kind, entry FROM audit_log WHERE idx > $1 ORDER BY idx LIMIT $2",
            ),
        };
        self.fetch_all(q.bind(after).bind(limit), super::log::entry)
            .await
    }
}

fn total_estimate(t: &Tender) -> i64 {
    t.spec.lots.iter().map(|l| l.estimate_fen.fen()).sum()
}

fn spec_json(t: &Tender) -> String {
    serde_json::to_string(&t.spec).expect("a tender spec serialises")
}

/// `%term%` with LIKE's wildcards escaped, so a user's `%` or `_` matches itself.
fn like_pattern(term: &str) -> String {
    let escaped = term
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

enum Param {
    Text(String),
    Int(i64),
}
impl From<String> for Param {
    fn from(s: String) -> Self {
        Param::Text(s)
    }
}
impl From<i64> for Param {
    fn from(i: i64) -> Self {
        Param::Int(i)
    }
}

/// A WHERE clause built from fixed fragments with numbered placeholders; user text only ever
/// travels as a bound parameter.
#[derive(Default)]
struct Filter {
    clauses: Vec<String>,
    params: Vec<Param>,
}

impl Filter {
    fn push(&mut self, fragment: &str, p: Param) {
        self.params.push(p);
        self.clauses
            .push(fragment.replacen('$', &format!("${}", self.params.len()), 1));
    }
    fn sql(&self) -> String {
        self.clauses.join(" AND ")
    }
    fn bind<'q>(&self, mut q: Q<'q>) -> Q<'q> {
        for p in &self.params {
            q = match p {
                Param::Text(s) => q.bind(s.clone()),
                Param::Int(i) => q.bind(*i),
            };
        }
        q
    }
    fn bind_scalar<'q>(
        &self,
        mut q: sqlx::query::QueryScalar<'q, Any, i64, AnyArguments<'q>>,
    ) -> sqlx::query::QueryScalar<'q, Any, i64, AnyArguments<'q>> {
        for p in &self.params {
            q = match p {
                Param::Text(s) => q.bind(s.clone()),
                Param::Int(i) => q.bind(*i),
            };
        }
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_from_users_are_escaped() {
        assert_eq!(like_pattern("100%_a\\"), "%100\\%\\_a\\\\%");
    }

    #[test]
    fn filter_numbers_placeholders_in_order() {
        let mut f = Filter::default();
        f.push("a = $", Param::Int(1));
        f.push("b LIKE $ ESCAPE '\\'", Param::Text("x".into()));
        assert_eq!(f.sql(), "a = $1 AND b LIKE $2 ESCAPE '\\'");
    }
}
