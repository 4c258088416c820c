//! Obtaining the tender documents (获取招标文件). Who obtained them is confidential (法 art. 22):
//! the audit log sees only a salted commitment, and only the platform — and after the opening the
//! agent and the supervisor — may list them.

use crate::domain::{OrgId, TenderId, Timestamp};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Obtained {
    pub tender_id: TenderId,
    pub org_id: OrgId,
    #[serde(skip)]
    pub salt: [u8; 32],
    /// SHA-256(salt ‖ org id), as written in the audit log.
    pub commitment: String,
    pub obtained_at: Timestamp,
}

impl Obtained {
    pub fn new(tender_id: TenderId, org_id: OrgId, now: Timestamp) -> Self {
        let mut salt = [0u8; 32];
        crate::identity::session::fill_random(&mut salt);
        let commitment = crate::auditlog::event::commitment(&salt, org_id.as_str());
        Obtained {
            tender_id,
            org_id,
            salt,
            commitment,
            obtained_at: now,
        }
    }
}
