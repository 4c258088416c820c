//! One audit-log entry: a canonical JSON (RFC 8785) event with a type, the tender it concerns, the
//! actor, the time and the payload. Entry bytes are what the Merkle tree hashes, so they are produced
//! only by `canonical_bytes`, never by ad-hoc serialisation.

use crate::domain::{OrgId, TenderId, Timestamp, UserId};
use crate::identity::{Actor, Role};
use serde::Serialize;

#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuditActor {
    User {
        user_id: UserId,
        org_id: OrgId,
        role: Role,
    },
    /// A tenderer whose identity stays confidential until the opening (法 art. 22): the entry
    /// carries SHA-256(salt ‖ org id) and the salt is published at the opening.
    Committed { commitment: String },
    /// The hall itself (a deadline passing, a demo load).
    System,
}

impl From<&Actor> for AuditActor {
    fn from(a: &Actor) -> Self {
        AuditActor::User {
            user_id: a.user_id.clone(),
            org_id: a.org_id.clone(),
            role: a.role,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AuditEvent {
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tender: Option<TenderId>,
    pub actor: AuditActor,
    pub at: Timestamp,
    pub payload: serde_json::Value,
}

impl AuditEvent {
    pub fn new(
        kind: &'static str,
        tender: Option<&TenderId>,
        actor: AuditActor,
        at: Timestamp,
        payload: serde_json::Value,
    ) -> Self {
        AuditEvent {
            kind,
            tender: tender.cloned(),
            actor,
            at,
            payload,
        }
    }

    /// The exact bytes of the log entry.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        crate::canonical::to_canonical_vec(self)
            .expect("audit events serialise: no maps with non-string keys")
    }
}

/// SHA-256(salt ‖ identity), hex: binds an identity without revealing it until the salt is opened.
pub fn commitment(salt: &[u8; 32], identity: &str) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(salt);
    ctx.update(identity.as_bytes());
    hex::encode(ctx.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_canonical_json() {
        let at = Timestamp::parse("2026-11-23T00:00:00Z").unwrap();
        let e = AuditEvent::new(
            "tender_published",
            None,
            AuditActor::System,
            at,
            serde_json::json!({"z": 1, "a": "道路"}),
        );
        assert_eq!(
            String::from_utf8(e.canonical_bytes()).unwrap(),
            r#"{"actor":{"kind":"system"},"at":"2026-11-23T00:00:00.000Z","payload":{"a":"道路","z":1},"type":"tender_published"}"#
        );
    }

    #[test]
    fn a_commitment_hides_the_identity_but_binds_it() {
        let salt = [7u8; 32];
        let c = commitment(&salt, "org-1");
        assert!(!c.contains("org-1"));
        assert_eq!(c, commitment(&salt, "org-1"));
        assert_ne!(c, commitment(&salt, "org-2"));
        assert_ne!(c, commitment(&[8u8; 32], "org-1"));
    }

    #[test]
    fn commitment_test_vector_from_the_docs() {
        // docs/audit-log.md, "Confidentiality before the opening"
        assert_eq!(
            commitment(&[1u8; 32], "0190f5d2-0000-7000-8000-000000000001"),
            "c17d1abcef9d1318504741b8260168ba78aa661c840537b7d524587b6ea97f05"
        );
    }
}
