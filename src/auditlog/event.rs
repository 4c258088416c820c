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
    /// A sealed entry (docs/audit-log.md, "Sealed entries"): the tender, the actor and the
    /// payload are inside the commitment, disclosed at the opening.
    Sealed { commitment: String },
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
    /// For a sealed entry, what the hall keeps to disclose at the opening; never in the entry.
    #[serde(skip)]
    pub disclosure: Option<Disclosure>,
}

/// The facts behind a sealed entry: stored beside the log, served from the tender's opening on.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    pub tender: TenderId,
    pub salt: [u8; 32],
    /// RFC 8785 bytes of `{"actor", "payload", "tender"}`: exactly what the commitment hashes.
    pub facts: Vec<u8>,
}

/// The label that keeps a sealed entry's commitment apart from every other hash in the hall.
pub const SEALED_LABEL: &str = "bidhall-log/1 sealed";

/// `SHA-256(lp(SEALED_LABEL) ‖ salt ‖ facts)`, hex.
pub fn sealed_commitment(salt: &[u8; 32], facts: &[u8]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(&(SEALED_LABEL.len() as u32).to_be_bytes());
    ctx.update(SEALED_LABEL.as_bytes());
    ctx.update(salt);
    ctx.update(facts);
    hex::encode(ctx.finish())
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
            disclosure: None,
        }
    }

    /// An entry about a tenderer while who bids is confidential (招标投标法 第二十二条): the log
    /// shows its type, its time and a commitment; which tender, who and what are disclosed at
    /// the tender's opening. Each entry has its own salt, so two entries cannot be linked.
    pub fn sealed(
        kind: &'static str,
        tender: &TenderId,
        actor: AuditActor,
        at: Timestamp,
        payload: serde_json::Value,
    ) -> Self {
        let mut salt = [0u8; 32];
        crate::identity::session::fill_random(&mut salt);
        Self::sealed_with_salt(kind, tender, actor, at, payload, salt)
    }

    /// [`AuditEvent::sealed`] with a given salt (test vectors).
    pub fn sealed_with_salt(
        kind: &'static str,
        tender: &TenderId,
        actor: AuditActor,
        at: Timestamp,
        payload: serde_json::Value,
        salt: [u8; 32],
    ) -> Self {
        let facts = crate::canonical::to_canonical_vec(&serde_json::json!({
            "actor": actor, "payload": payload, "tender": tender,
        }))
        .expect("facts serialise");
        AuditEvent {
            kind,
            tender: None,
            actor: AuditActor::Sealed {
                commitment: sealed_commitment(&salt, &facts),
            },
            at,
            payload: serde_json::json!({}),
            disclosure: Some(Disclosure {
                tender: tender.clone(),
                salt,
                facts,
            }),
        }
    }

    /// Sealed while `at` is before the tender's bid deadline, plain from then on.
    pub fn about_a_tenderer(
        kind: &'static str,
        tender: &TenderId,
        deadline: Timestamp,
        actor: AuditActor,
        at: Timestamp,
        payload: serde_json::Value,
    ) -> Self {
        if at < deadline {
            Self::sealed(kind, tender, actor, at, payload)
        } else {
            Self::new(kind, Some(tender), actor, at, payload)
        }
    }

    /// The commitment of a sealed entry.
    pub fn sealed_as(&self) -> Option<&str> {
        match &self.actor {
            AuditActor::Sealed { commitment } => Some(commitment),
            _ => None,
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
    fn a_sealed_entry_names_neither_tender_nor_actor_and_its_disclosure_checks() {
        let tender = TenderId::from_stored("0190f5d2-0000-7000-8000-0000000000aa".into());
        let org = OrgId::from_stored("0190f5d2-0000-7000-8000-000000000001".into());
        let actor = AuditActor::User {
            user_id: UserId::from_stored("0190f5d2-0000-7000-8000-000000000002".into()),
            org_id: org,
            role: Role::Tenderer,
        };
        let at = Timestamp::parse("2027-03-01T02:00:00Z").unwrap();
        let e = AuditEvent::sealed_with_salt(
            "sub_account_opened",
            &tender,
            actor,
            at,
            serde_json::json!({"bank": "SBX", "sub_account": "8801089892966438763"}),
            [1u8; 32],
        );
        let d = e.disclosure.clone().unwrap();
        // docs/audit-log.md, "Sealed entries": the test vector
        assert_eq!(
            String::from_utf8(d.facts.clone()).unwrap(),
            r#"{"actor":{"kind":"user","org_id":"0190f5d2-0000-7000-8000-000000000001","role":"tenderer","user_id":"0190f5d2-0000-7000-8000-000000000002"},"payload":{"bank":"SBX","sub_account":"8801089892966438763"},"tender":"0190f5d2-0000-7000-8000-0000000000aa"}"#
        );
        let entry = String::from_utf8(e.canonical_bytes()).unwrap();
        assert_eq!(
            entry,
            format!(
                r#"{{"actor":{{"commitment":"{}","kind":"sealed"}},"at":"2027-03-01T02:00:00.000Z","payload":{{}},"type":"sub_account_opened"}}"#,
                sealed_commitment(&[1u8; 32], &d.facts)
            )
        );
        assert_eq!(
            e.sealed_as().unwrap(),
            "742e2d560b244366b290eec824db801858ea35f59084c1bb8b4f7ed2bb4ff050"
        );
        for secret in [
            "0190f5d2-0000-7000-8000-0000000000aa",
            "000000000001",
            "8801089892966438763",
        ] {
            assert!(!entry.contains(secret), "{entry}");
        }
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
