//! Obtaining the tender documents (获取招标文件). Who obtained them is confidential (法 art. 22):
//! the audit log sees only a salted commitment, and only the platform — and after the opening the
//! agent and the supervisor — may list them.

use crate::auditlog::AuditEvent;
use crate::domain::{OrgId, TenderId, Timestamp};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Obtained {
    pub tender_id: TenderId,
    pub org_id: OrgId,
    #[serde(skip)]
    pub salt: [u8; 32],
    /// The commitment of the sealed log entry (docs/audit-log.md, "Sealed entries").
    pub commitment: String,
    pub obtained_at: Timestamp,
}

impl Obtained {
    /// What the hall keeps of an obtain logged as the sealed entry `audit`: its commitment and
    /// salt, given to the tenderer and, after the opening, to whoever may list the obtainers.
    pub fn new(tender_id: TenderId, org_id: OrgId, now: Timestamp, audit: &AuditEvent) -> Self {
        let d = audit
            .disclosure
            .as_ref()
            .expect("an obtain is logged as a sealed entry");
        Obtained {
            tender_id,
            org_id,
            salt: d.salt,
            commitment: audit.sealed_as().unwrap_or_default().to_owned(),
            obtained_at: now,
        }
    }
}
