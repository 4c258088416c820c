//! The inbox (src/inbox): notices, the notifier's cursor over the audit log, mail delivery state
//! and organisations' contact addresses.
//!
//! The cursor moves only with the notices it made, in one transaction, and only from where the
//! writer read it (`UPDATE … WHERE log_index = $from`): two notifiers (two nodes) that read the
//! same entries cannot both commit them; the loser's write is a `Conflict` and it reads again.

use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::domain::{OrgId, TenderId, Timestamp};
use crate::inbox::rules::LogEntry;
use crate::inbox::{Kind, NewNotice, Notice};
use async_trait::async_trait;
use sqlx::Row;

/// A notice waiting to be mailed, with where to.
#[derive(Debug, Clone)]
pub struct MailDue {
    pub notice: Notice,
    pub to: String,
    pub attempts: i64,
}

#[async_trait]
pub trait InboxStore: Send + Sync {
    /// The last audit-log index turned into notices (-1 before any).
    async fn inbox_cursor(&self) -> Result<i64, StoreError>;
    /// Audit-log entries after `after`, oldest first, at most `limit`, with a sealed entry's
    /// tender (its payload stays sealed: empty).
    async fn log_entries_after(&self, after: i64, limit: i64) -> Result<Vec<LogEntry>, StoreError>;
    /// Stores `notices` and moves the cursor from `from` to `to`, in one transaction; `mail`:
    /// whether the hall mails (a notice to an organisation with a contact address is then
    /// `pending`). `Conflict` if the cursor is no longer at `from`.
    async fn add_notices(
        &self,
        notices: Vec<NewNotice>,
        from: i64,
        to: i64,
        mail: bool,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// The organisation's notices, newest first, at most 200.
    async fn notices_of(&self, org: &OrgId) -> Result<Vec<Notice>, StoreError>;
    /// Marks the organisation's notice read; `NotFound` if it has no such notice.
    async fn mark_notice_read(
        &self,
        org: &OrgId,
        id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError>;
    /// Notices due for mailing at `now`, oldest first.
    async fn mail_due(&self, now: Timestamp, limit: i64) -> Result<Vec<MailDue>, StoreError>;
    /// The mail of a notice went out (`Ok`) or failed, to be tried again from `next`.
    async fn mail_attempted(
        &self,
        id: &str,
        result: Result<Timestamp, (Timestamp, String)>,
    ) -> Result<(), StoreError>;
    async fn contact_email(&self, org: &OrgId) -> Result<Option<String>, StoreError>;
    /// Sets (or with `None` clears) where the organisation's notices are mailed, with its audit
    /// entry (which does not carry the address).
    async fn set_contact_email(
        &self,
        org: &OrgId,
        email: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

const COLUMNS: &str =
    "id, org_id, kind, tender_id, params, due_at, created_at, read_at, mail_state, mail_attempts";

fn notice(r: &sqlx::any::AnyRow) -> Result<Notice, StoreError> {
    let kind: String = r.try_get("kind")?;
    let kind = Kind::parse(&kind)
        .ok_or_else(|| StoreError::Unavailable(format!("unknown notice kind {kind}")))?;
    let tender = r
        .try_get::<Option<String>, _>("tender_id")?
        .map(TenderId::from_stored);
    let params: String = r.try_get("params")?;
    Ok(Notice {
        id: r.try_get("id")?,
        link: kind.link(tender.as_ref()),
        kind,
        tender_id: tender,
        params: serde_json::from_str(&params).unwrap_or_default(),
        due_at: r
            .try_get::<Option<i64>, _>("due_at")?
            .map(Timestamp::from_stored),
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
        read_at: r
            .try_get::<Option<i64>, _>("read_at")?
            .map(Timestamp::from_stored),
        mail_state: r.try_get("mail_state")?,
    })
}

#[async_trait]
impl InboxStore for SqlStore {
    async fn inbox_cursor(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT log_index FROM inbox_cursor WHERE name = 'notifier'")
            .fetch_optional(&self.read)
            .await?;
        Ok(match row {
            Some(r) => r.try_get("log_index")?,
            None => -1,
        })
    }

    async fn log_entries_after(&self, after: i64, limit: i64) -> Result<Vec<LogEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT l.idx, l.kind, COALESCE(l.tender_id, s.tender_id) AS tender_id, l.entry, l.at \
             FROM audit_log l LEFT JOIN audit_sealed s ON s.idx = l.idx \
             WHERE l.idx > $1 ORDER BY l.idx LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let bytes: Vec<u8> = r.try_get("entry")?;
                let entry: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                Ok(LogEntry {
                    index: r.try_get("idx")?,
                    kind: r.try_get("kind")?,
                    tender: r
                        .try_get::<Option<String>, _>("tender_id")?
                        .map(TenderId::from_stored),
                    payload: entry["payload"].clone(),
                    at: Timestamp::from_stored(r.try_get("at")?),
                })
            })
            .collect()
    }

    async fn add_notices(
        &self,
        notices: Vec<NewNotice>,
        from: i64,
        to: i64,
        mail: bool,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    let moved = if from < 0 {
                        sqlx::query(
                            "INSERT INTO inbox_cursor (name, log_index) VALUES ('notifier', $1) \
                             ON CONFLICT (name) DO NOTHING",
                        )
                        .bind(to)
                        .execute(&mut *c)
                        .await?
                        .rows_affected()
                    } else {
                        sqlx::query(
                            "UPDATE inbox_cursor SET log_index = $1 \
                             WHERE name = 'notifier' AND log_index = $2",
                        )
                        .bind(to)
                        .bind(from)
                        .execute(&mut *c)
                        .await?
                        .rows_affected()
                    };
                    if moved != 1 {
                        return Err(StoreError::Conflict(
                            "another notifier moved the cursor".into(),
                        ));
                    }
                    for n in &notices {
                        let addressed = mail
                            && sqlx::query(
                                "SELECT contact_email FROM organisations WHERE id = $1 \
                                 AND contact_email IS NOT NULL",
                            )
                            .bind(n.org.to_string())
                            .fetch_optional(&mut *c)
                            .await?
                            .is_some();
                        sqlx::query(
                            "INSERT INTO inbox (id, org_id, kind, tender_id, params, due_at, created_at, \
                               mail_state, mail_attempts, mail_next_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, $7) ON CONFLICT (id) DO NOTHING",
                        )
                        .bind(n.id())
                        .bind(n.org.to_string())
                        .bind(n.kind.as_str())
                        .bind(n.tender.as_ref().map(|t| t.to_string()))
                        .bind(n.params.to_string())
                        .bind(n.due_at.map(|t| t.millis()))
                        .bind(now.millis())
                        .bind(if addressed { "pending" } else { "none" })
                        .execute(&mut *c)
                        .await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn notices_of(&self, org: &OrgId) -> Result<Vec<Notice>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM inbox WHERE org_id = $1 ORDER BY created_at DESC, id DESC LIMIT 200"
        ))
        .bind(org.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(notice).collect()
    }

    async fn mark_notice_read(
        &self,
        org: &OrgId,
        id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let (org, id) = (org.to_string(), id.to_owned());
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    let found = sqlx::query(
                        "UPDATE inbox SET read_at = COALESCE(read_at, $3) WHERE id = $1 AND org_id = $2",
                    )
                    .bind(id)
                    .bind(org)
                    .bind(at.millis())
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    if found == 0 {
                        return Err(StoreError::NotFound);
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn mail_due(&self, now: Timestamp, limit: i64) -> Result<Vec<MailDue>, StoreError> {
        let rows = sqlx::query(
            "SELECT i.id, i.org_id, i.kind, i.tender_id, i.params, i.due_at, i.created_at, i.read_at, \
                    i.mail_state, i.mail_attempts, o.contact_email \
             FROM inbox i JOIN organisations o ON o.id = i.org_id \
             WHERE i.mail_state = 'pending' AND i.mail_next_at <= $1 AND o.contact_email IS NOT NULL \
             ORDER BY i.mail_next_at, i.id LIMIT $2",
        )
        .bind(now.millis())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(MailDue {
                    notice: notice(r)?,
                    to: r.try_get("contact_email")?,
                    attempts: r.try_get("mail_attempts")?,
                })
            })
            .collect()
    }

    async fn mail_attempted(
        &self,
        id: &str,
        result: Result<Timestamp, (Timestamp, String)>,
    ) -> Result<(), StoreError> {
        let id = id.to_owned();
        self.commit
            .run(move |c, _log| {
                Box::pin(async move {
                    match result {
                        Ok(_) => {
                            sqlx::query(
                                "UPDATE inbox SET mail_state = 'sent', mail_attempts = mail_attempts + 1, \
                                 mail_error = NULL WHERE id = $1",
                            )
                            .bind(id)
                            .execute(&mut *c)
                            .await?;
                        }
                        Err((next, error)) => {
                            sqlx::query(
                                "UPDATE inbox SET mail_attempts = mail_attempts + 1, mail_next_at = $2, \
                                 mail_error = $3 WHERE id = $1",
                            )
                            .bind(id)
                            .bind(next.millis())
                            .bind(error)
                            .execute(&mut *c)
                            .await?;
                        }
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn contact_email(&self, org: &OrgId) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT contact_email FROM organisations WHERE id = $1")
            .bind(org.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(row.try_get("contact_email")?)
    }

    async fn set_contact_email(
        &self,
        org: &OrgId,
        email: Option<&str>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (org, email, audit) = (org.to_string(), email.map(str::to_owned), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query("UPDATE organisations SET contact_email = $1 WHERE id = $2")
                        .bind(email)
                        .bind(org)
                        .execute(&mut *c)
                        .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }
}
