//! Who may see or do what on one tender, and from when: the hall's one access policy.
//!
//! Pure. The caller gathers what the actor is to the tender ([`Relations`]; the facts that need
//! the store, such as "obtained the documents" or "has a bid that counts", it fills in where the
//! action needs them) and asks [`may`]. Every refusal says why and, where the law decides, which
//! article. The rows of docs/api.md ("Who may do what") are this code; its tests go row by row.
//!
//! The law decides what is public when:
//! - 招标投标法 第二十二条: before the bid deadline nobody learns who obtained the documents or who
//!   bid, nor how many, except the trading centre's own records and each tenderer about itself.
//! - 招标投标法 第三十七条, 实施条例 第四十六条: the evaluation committee stays secret until the
//!   result is determined (the draw's views follow that, see docs/draw.md).
//! - 招标投标法 第四十四条: bid documents are read by those who evaluate or supervise, never by
//!   competitors or the public.

use super::model::{Tender, TenderState};
use crate::domain::Timestamp;
use crate::identity::{Actor, Role};

/// What the actor is to one tender.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Relations {
    /// The actor's role in the hall; `None` when signed out.
    pub role: Option<Role>,
    /// The owner (招标人) of the tender's project.
    pub owner: bool,
    /// The tender's appointed agent (招标代理机构).
    pub agent: bool,
    /// The tender's supervising authority (行政监督部门).
    pub supervisor: bool,
    /// The trading centre (交易中心).
    pub platform: bool,
    /// A tenderer that obtained the tender documents (filled in by the caller when asked).
    pub obtained: bool,
    /// A tenderer with a bid that counts (filled in by the caller when asked).
    pub bidder: bool,
    /// A signed-in member of the tender's evaluation committee (filled in by the caller).
    pub committee: bool,
    /// Signed in as a committee member, of this tender or another (a member is not a user).
    pub member: bool,
}

impl Relations {
    /// The relations that follow from the actor and the tender alone.
    pub fn of(actor: Option<&Actor>, t: &Tender) -> Self {
        let Some(a) = actor else {
            return Relations::default();
        };
        Relations {
            role: Some(a.role),
            owner: a.role == Role::Owner && a.org_id == t.owner_org_id,
            agent: a.role == Role::Agent && t.agent_org_id.as_ref() == Some(&a.org_id),
            supervisor: a.role == Role::Supervisor && a.org_id == t.spec.supervisor_org_id,
            platform: a.role == Role::Platform,
            ..Relations::default()
        }
    }

    /// For an evaluation committee member, who signs in with a one-time code, not as a user;
    /// `of_this_tender` when its seat is on this tender's committee.
    pub fn committee_member(of_this_tender: bool) -> Self {
        Relations {
            committee: of_this_tender,
            member: true,
            ..Relations::default()
        }
    }

    pub fn with_obtained(mut self, obtained: bool) -> Self {
        self.obtained = obtained;
        self
    }

    pub fn with_bidder(mut self, bidder: bool) -> Self {
        self.bidder = bidder;
        self
    }

    pub fn signed_in(&self) -> bool {
        self.role.is_some() || self.member
    }

    /// The owner or the appointed agent: the parties who run the tender.
    pub fn manages(&self) -> bool {
        self.owner || self.agent
    }

    /// The host of the evaluation: the agent, or the owner when the tender has no agent.
    pub fn hosts_evaluation(&self, t: &Tender) -> bool {
        self.agent || (self.owner && t.agent_org_id.is_none())
    }

    fn tenderer(&self) -> bool {
        self.role == Some(Role::Tenderer)
    }
}

/// What the actor wants to see or do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The tender's notice, amendments and the list of its issued documents.
    SeeTender,
    /// Create, edit, publish, amend or cancel it; upload its documents; see its drafts.
    Manage,
    /// Read a tender document's content; `issued` once it is published with the tender.
    ReadDocument { issued: bool },
    /// Obtain the tender documents (the sale period is the law's check, not access).
    ObtainDocuments,
    /// The list of who obtained the documents.
    SeeObtainers,
    /// Every tenderer's bonds on the tender: payers, amounts, refunds.
    SeeTenderBonds,
    /// The opening hall, its state and its public events.
    SeeOpening,
    /// Run the opening ceremony (the host: owner or agent).
    HostOpening,
    /// Supervise it: suspend, resume, see the hall's events.
    SuperviseOpening,
    /// An event or a sign-in that concerns one tenderer, other than the actor itself.
    SeeTenderersEvents,
    /// Form the committee, issue members' codes, publicise the candidates.
    HostEvaluation,
    /// The decrypted bid documents of a bid (not the announced lines, which are public).
    ReadBidDocuments { own: bool },
    /// The facts behind the tender's sealed audit-log entries (who obtained, paid, signed in).
    SeeSealedEntries,
    /// The record of every write to the tender: who, when, from which address (`write_record`).
    SeeWriteRecord,
}

/// Why an action is refused. The API answers 404 `not_found`, 401 `unauthenticated`, 403
/// `forbidden` and 403 `confidential_until_opening` (with `details.deadline`) respectively.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Not for this actor to know of: answer as if it did not exist (a draft, an unissued file).
    #[error("no such tender")]
    Hidden,
    /// Sign in first.
    #[error("sign in first")]
    SignIn,
    /// Visible, but not this actor's to do; the reason names the article where the law decides.
    #[error("{0}")]
    Forbidden(&'static str),
    /// This actor may, from the bid deadline on (招标投标法 第二十二条).
    #[error("confidential until the opening at {} (招标投标法 第二十二条)", .deadline.shanghai())]
    UntilOpening { deadline: Timestamp },
}

/// 招标投标法 第二十二条 in a refusal to anyone but the parties who may know after the deadline.
pub const NOT_A_PARTY: &str = "who obtained the documents, who paid a bond and who bid are known \
     to the tender's owner, agent and supervisor from the opening on, and to the trading centre \
     (招标投标法 第二十二条)";

/// May the actor, with these relations to `t`, do `action` at `now`?
pub fn may(action: Action, r: &Relations, t: &Tender, now: Timestamp) -> Result<(), Denied> {
    use Action::*;
    if t.state == TenderState::Draft && !(r.manages() || r.platform) {
        return Err(Denied::Hidden);
    }
    let past_deadline = now >= t.spec.schedule.bid_deadline;
    let ok = |allowed: bool, why: &'static str| {
        if allowed {
            Ok(())
        } else if !r.signed_in() {
            Err(Denied::SignIn)
        } else {
            Err(Denied::Forbidden(why))
        }
    };
    match action {
        SeeTender => Ok(()),
        Manage => ok(
            r.manages(),
            "only the tender's owner and its appointed agent may change it",
        ),
        ReadDocument { issued: false } if !(r.manages() || r.platform) => Err(Denied::Hidden),
        ReadDocument { .. } if r.manages() || r.platform || r.supervisor => Ok(()),
        ReadDocument { .. } => ok(
            r.tenderer() && r.obtained,
            "tender documents are issued to tenderers who obtain them",
        ),
        ObtainDocuments => ok(r.tenderer(), "tender documents are obtained by tenderers"),
        SeeObtainers | SeeTenderBonds | SeeTenderersEvents if r.platform => Ok(()),
        SeeObtainers | SeeTenderBonds | SeeTenderersEvents => {
            let party = r.manages() || r.supervisor;
            if !party {
                return ok(false, NOT_A_PARTY);
            }
            if !hall_knows_the_tenderers(t, now) {
                return Err(Denied::UntilOpening {
                    deadline: t.spec.schedule.bid_deadline,
                });
            }
            Ok(())
        }
        SeeWriteRecord if r.platform => Ok(()),
        SeeWriteRecord if !r.supervisor => ok(
            false,
            "the record of who wrote what from where is kept for the tender's supervisor and the \
             trading centre (电子招标投标办法)",
        ),
        // It names who obtained the documents, paid and bid (招标投标法 第二十二条).
        SeeWriteRecord if !hall_knows_the_tenderers(t, now) => Err(Denied::UntilOpening {
            deadline: t.spec.schedule.bid_deadline,
        }),
        SeeWriteRecord => Ok(()),
        SeeSealedEntries if r.platform || t.is_past_opening(now) => Ok(()),
        SeeSealedEntries => Err(Denied::UntilOpening {
            deadline: t.spec.schedule.bid_deadline,
        }),
        SeeOpening if t.state == TenderState::Draft => Err(Denied::Hidden),
        SeeOpening => Ok(()),
        HostOpening => ok(r.manages(), "only the tender's host does this"),
        SuperviseOpening => ok(r.supervisor, "only the tender's supervisor does this"),
        HostEvaluation => ok(
            r.hosts_evaluation(t),
            "only the tender's agent (or its owner, when it has no agent) does this",
        ),
        ReadBidDocuments { own } => {
            let entitled = r.committee || r.manages() || r.supervisor || (own && r.bidder);
            ok(
                entitled && past_deadline,
                "bid documents are for the evaluation committee, the owner, the agent, the \
                 supervisor and the bidder itself, after the opening (招标投标法 第三十八条、第四十四条)",
            )
        }
    }
}

/// May the tender's host and supervisor know which tenderers take part (their bonds, who
/// obtained, who signed in)? From the bid deadline of a published tender (招标投标法 第二十二条).
pub fn hall_knows_the_tenderers(t: &Tender, now: Timestamp) -> bool {
    t.is_past_opening(now)
}

/// The same answer as a plain yes or no, for views that only filter.
pub fn allows(action: Action, r: &Relations, t: &Tender, now: Timestamp) -> bool {
    may(action, r, t, now).is_ok()
}

#[cfg(test)]
mod tests;
