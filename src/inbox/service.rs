//! The inbox's use cases: an organisation's notices, marking one read, and where its notices are
//! mailed. Every signed-in user sees its own organisation's notices, and only those.

use super::Notice;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::domain::InvalidValue;
use crate::identity::Actor;
use crate::store::StoreError;
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("no such notice")]
    NotFound,
    #[error("{field}: {value}")]
    Invalid {
        field: &'static str,
        value: InvalidValue,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The organisation's inbox: its notices (newest first), how many are unread, and where they are
/// mailed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Inbox {
    pub notices: Vec<Notice>,
    pub unread: usize,
    pub contact_email: Option<String>,
    /// Whether the hall mails notices at all (an SMTP relay is configured).
    pub mails: bool,
}

pub async fn inbox(app: &AppState, actor: &Actor) -> Result<Inbox, InboxError> {
    let notices = app.store.notices_of(&actor.org_id).await?;
    Ok(Inbox {
        unread: notices.iter().filter(|n| n.read_at.is_none()).count(),
        notices,
        contact_email: app.store.contact_email(&actor.org_id).await?,
        mails: app.config.smtp_url.is_some(),
    })
}

pub async fn mark_read(app: &AppState, actor: &Actor, id: &str) -> Result<(), InboxError> {
    match app
        .store
        .mark_notice_read(&actor.org_id, id, app.clock.now())
        .await
    {
        Err(StoreError::NotFound) => Err(InboxError::NotFound),
        r => Ok(r?),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Where the organisation's notices are mailed; empty or absent: nowhere.
    #[serde(default)]
    pub email: Option<String>,
}

/// Sets where the organisation's notices are mailed: a plain address (`name@domain`, at most 254
/// characters, no display name).
pub async fn set_contact(app: &AppState, actor: &Actor, c: Contact) -> Result<(), InboxError> {
    let email = c.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    if let Some(e) = email {
        let plain = e.chars().count() <= 254
            && !e.contains(['<', '>', ' ', ',', ';'])
            && e.parse::<lettre::Address>().is_ok();
        if !plain {
            return Err(InboxError::Invalid {
                field: "email",
                value: InvalidValue::new("bad_email", "write an address such as name@example.cn"),
            });
        }
    }
    let audit = AuditEvent::new(
        "contact_email_set",
        None,
        AuditActor::from(actor),
        app.clock.now(),
        json!({ "org": actor.org_id, "set": email.is_some() }),
    );
    app.store
        .set_contact_email(&actor.org_id, email, &audit)
        .await?;
    Ok(())
}
