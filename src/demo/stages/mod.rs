//! A demo tender's life after its publication, as far as the stage its fixture names: bidding,
//! the opening, the evaluation, the publicity, the award and what follows it. One module per
//! step; each runs at its moment in the demo's past, through the use cases the API runs.

mod award;
mod bidding;
mod evaluation;
mod opening;
mod publicity;

use super::bank::Bank;
use super::devices::Devices;
use super::fixture::{BidFx, LifeFx, Stage};
use super::notices::Notice;
use super::past::Past;
use super::people::People;
use crate::identity::Actor;
use crate::sealbox::keys::CustodianPrivateKey;
use crate::server::StartError;
use crate::tenders::model::Tender;

/// What the stages act with: the past's clock, the people, their devices and the bank.
pub(super) struct Hall {
    pub past: Past,
    pub people: People,
    pub devices: Devices,
    pub bank: Bank,
}

/// A tender in its life: its bidders and its custodians' keys (on their devices).
pub(super) struct Life<'a> {
    pub tender: Tender,
    pub fx: &'a LifeFx,
    pub bidders: Vec<Bidder>,
    pub custodians: Vec<Custodian>,
}

pub(super) struct Bidder {
    pub actor: Actor,
    pub bid: BidFx,
}

pub(super) struct Custodian {
    pub index: u8,
    pub actor: Actor,
    pub key: CustodianPrivateKey,
}

impl Life<'_> {
    /// The one who runs the tender: its agent, or its owner when it has none.
    pub fn host(&self, people: &People) -> Result<Actor, StartError> {
        let t = &self.tender;
        people.acting_for(t.agent_org_id.as_ref().unwrap_or(&t.owner_org_id))
    }

    pub fn owner(&self, people: &People) -> Result<Actor, StartError> {
        people.acting_for(&self.tender.owner_org_id)
    }

    /// The bidder of the organisation `org` (its first bid).
    pub fn bidder(&self, org: &str) -> Option<&Bidder> {
        self.bidders.iter().find(|b| b.actor.org_id.as_str() == org)
    }
}

/// Plays the notice's life, if it has one, up to its stage.
pub(super) async fn play(hall: &mut Hall, notice: Notice) -> Result<(), StartError> {
    let Some(fx) = &notice.life else {
        return Ok(());
    };
    let stage = fx.stage;
    let mut life = Life {
        tender: notice.tender,
        fx,
        bidders: Vec::new(),
        custodians: Vec::new(),
    };
    bidding::run(hall, &mut life).await?;
    if stage <= Stage::Lobby {
        return Ok(());
    }
    opening::run(hall, &life).await?;
    if matches!(stage, Stage::Opened | Stage::Failed) {
        return Ok(());
    }
    evaluation::run(hall, &life).await?;
    if stage == Stage::Evaluating {
        return Ok(());
    }
    let until = publicity::run(hall, &life).await?;
    if stage == Stage::Publicised {
        return Ok(());
    }
    award::run(hall, &life, until).await
}
