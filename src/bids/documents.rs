//! Who may read a bid's documents after the opening, and handing them over: the attachments the
//! hall decrypted at the opening (docs/opening.md §5). The public and the competing tenderers see
//! the announced lines and verify them; they never get the documents.

use super::opening::{closed, published};
use super::service::BidError;
use super::Bid;
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::award::member::MemberSession;
use crate::award::state::AwardState;
use crate::blobs::ByteStream;
use crate::domain::{OrgId, TenderId};
use crate::identity::Actor;
use crate::tenders::access::{self, Action, Denied, Relations};
use crate::tenders::model::Tender;
use serde_json::json;

/// Who asks to read bid documents: nobody signed in, a signed-in user, or a committee member
/// (signed in with its one-time evaluation code; its token names one tender and one seat).
#[derive(Debug, Clone, Copy)]
pub enum DocumentReader<'a> {
    Public,
    User(&'a Actor),
    Member(&'a MemberSession),
}

/// Why bid documents are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DocumentRefusal {
    /// Nobody is signed in (401).
    SignedOut,
    /// Signed in, but not one of the parties entitled to this bid's documents (403).
    NotEntitled,
}

/// May `reader` read the documents of the bid that `bidder` submitted to `tender`? The rule is the
/// access policy's `ReadBidDocuments` (src/tenders/access.rs: 招标投标法 第三十八条、第四十四条,
/// 实施条例 第四十八条); this only says who the reader is to the tender.
pub fn may_read_bid_documents(
    reader: &DocumentReader<'_>,
    tender: &Tender,
    bidder: &OrgId,
) -> Result<(), DocumentRefusal> {
    let (relations, own) = match reader {
        DocumentReader::Public => (Relations::of(None, tender), false),
        DocumentReader::Member(m) => (Relations::committee_member(m.tender_id == tender.id), false),
        DocumentReader::User(a) => {
            let own = &a.org_id == bidder;
            (Relations::of(Some(a), tender).with_bidder(own), own)
        }
    };
    // The documents route answers only once the box is closed: judge at the deadline.
    let at = tender.spec.schedule.bid_deadline;
    match access::may(Action::ReadBidDocuments { own }, &relations, tender, at) {
        Ok(()) => Ok(()),
        Err(Denied::SignIn) => Err(DocumentRefusal::SignedOut),
        Err(_) => Err(DocumentRefusal::NotEntitled),
    }
}

/// A counted bid's documents as an entitled reader receives them.
pub struct BidDocuments {
    pub bid: Bid,
    /// The envelope format, 1 or 2.
    pub version: u8,
    /// The archive's length, when the opening recorded it.
    pub size: Option<u64>,
    /// The archive, decrypted as it is sent (never stored in the clear: `decryption.rs`).
    pub body: ByteStream,
}

/// The decrypted documents of a counted bid, for an entitled reader: v2 the attachments archive
/// (its announced bid.json is in the public record), v1 the whole bid archive.
pub async fn documents(
    app: &AppState,
    reader: DocumentReader<'_>,
    id: &TenderId,
    bid_id: &str,
) -> Result<BidDocuments, BidError> {
    let tender = published(app, id).await?;
    let bid = app
        .store
        .counted_bids(id)
        .await?
        .into_iter()
        .find(|b| b.id == bid_id)
        .ok_or(BidError::NotFound)?;
    match may_read_bid_documents(&reader, &tender, &bid.org_id) {
        Ok(()) => {}
        Err(DocumentRefusal::SignedOut) => return Err(BidError::SignInFirst),
        Err(DocumentRefusal::NotEntitled) => {
            return Err(BidError::Forbidden(
                "bid documents are for the evaluation committee, the owner, the agent, the supervisor and the bidder itself (招标投标法 第三十八条、第四十四条)".into(),
            ))
        }
    }
    // Where each lot has its own committee, a member reads the bids of its own lot only: the
    // others are not its to evaluate (法44, docs/award.md §2).
    if let DocumentReader::Member(m) = reader {
        let events = app.store.award_events(id).await?;
        let award = AwardState::fold(&events).map_err(|e| BidError::Storage(e.to_string()))?;
        if !award
            .committee_of(m.seat)
            .is_some_and(|c| c.covers(&bid.lot_id))
        {
            return Err(BidError::Forbidden(
                "a lot's committee reads the bid documents of its own lot (招标投标法 第四十四条)"
                    .into(),
            ));
        }
    }
    closed(app, &tender)?;
    let opened = app
        .store
        .openings(id)
        .await?
        .into_iter()
        .find(|(b, _)| *b == bid.id)
        .map(|(_, outcome)| outcome)
        .filter(|o| o["status"] == "opened")
        .ok_or(BidError::DocumentsUnavailable)?;
    let version = opened["version"].as_u64().unwrap_or(1) as u8;
    let size = opened["documents_size"].as_u64();
    let body = super::decryption::documents_stream(app, &bid, &opened).await?;
    // Every read is in the audit log before the documents leave (docs/opening.md §5): a
    // committee member by its seat, anyone else by its account.
    let mut payload = json!({ "bid_id": bid.id, "lot_id": bid.lot_id });
    let actor = match reader {
        DocumentReader::Member(m) => {
            payload["member_seat"] = json!(m.seat);
            AuditActor::System
        }
        DocumentReader::User(a) => {
            payload["role"] = json!(a.role);
            AuditActor::from(a)
        }
        DocumentReader::Public => AuditActor::System,
    };
    let audit = AuditEvent::new(
        "bid_documents_read",
        Some(id),
        actor,
        app.clock.now(),
        payload,
    );
    app.store.record_event(&audit).await?;
    Ok(BidDocuments {
        bid,
        version,
        size,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{ProjectId, Timestamp, UserId};
    use crate::identity::Role;
    use crate::tenders::model::TenderState;

    fn actor(role: Role, org: &OrgId) -> Actor {
        Actor {
            user_id: UserId::generate(),
            org_id: org.clone(),
            role,
            display_name: "x".into(),
            org_name: "x".into(),
        }
    }

    fn tender() -> Tender {
        let now = Timestamp::parse("2026-11-01T01:00:00Z").unwrap();
        Tender {
            id: TenderId::generate(),
            project_id: ProjectId::generate(),
            owner_org_id: OrgId::generate(),
            agent_org_id: Some(OrgId::generate()),
            state: TenderState::Published,
            spec: crate::tenders::law::tests::spec(now),
            version: 2,
            created_at: now,
            updated_at: now,
            published_at: Some(now),
            documents_issued_at: Some(now),
            award_stage: None,
        }
    }

    #[test]
    fn only_the_committee_the_owner_the_agent_the_supervisor_and_the_bidder_read() {
        let t = &tender();
        let bidder = OrgId::generate();
        let rival = OrgId::generate();
        let check = |r: DocumentReader<'_>| may_read_bid_documents(&r, t, &bidder);
        assert_eq!(
            check(DocumentReader::Public),
            Err(DocumentRefusal::SignedOut)
        );
        let yes = [
            actor(Role::Owner, &t.owner_org_id),
            actor(Role::Agent, t.agent_org_id.as_ref().unwrap()),
            actor(Role::Supervisor, &t.spec.supervisor_org_id),
            actor(Role::Tenderer, &bidder),
        ];
        for a in &yes {
            assert_eq!(check(DocumentReader::User(a)), Ok(()), "{:?}", a.role);
        }
        let no = [
            actor(Role::Tenderer, &rival),
            actor(Role::Platform, &rival),
            actor(Role::Witness, &rival),
            // the right organisation in the wrong role, and the right role elsewhere
            actor(Role::Supervisor, &t.owner_org_id),
            actor(Role::Owner, &rival),
            actor(Role::Agent, &rival),
        ];
        for a in &no {
            assert_eq!(
                check(DocumentReader::User(a)),
                Err(DocumentRefusal::NotEntitled),
                "{:?}",
                a.role
            );
        }
        let expires_at = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let seat = MemberSession {
            tender_id: t.id.clone(),
            seat: 1,
            expires_at,
        };
        assert_eq!(check(DocumentReader::Member(&seat)), Ok(()));
        let elsewhere = MemberSession {
            tender_id: TenderId::generate(),
            seat: 1,
            expires_at,
        };
        assert_eq!(
            check(DocumentReader::Member(&elsewhere)),
            Err(DocumentRefusal::NotEntitled)
        );
    }
}
