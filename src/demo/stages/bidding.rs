//! Bidding: the custodians make and register their keys an hour after publication; a tender
//! that will be evaluated gets its expert draw the day before its deadline; from the day after
//! publication each tenderer obtains the documents, seals its bid on its own device, submits it
//! and pays its bid bond half an hour later (at the sandbox bank, or at the trading centre's
//! desk). In the lobby, some tenderers have signed in (签到).

use super::{Bidder, Custodian, Hall, Life};
use crate::blobs::ByteStream;
use crate::demo::draws;
use crate::demo::fixture::{bad, BondPath, Stage};
use crate::demo::past::{hours, minutes};
use crate::domain::{Timestamp, DAY_MS};
use crate::opening::service::{record_bond, sign_in, BondInput};
use crate::server::StartError;
use std::collections::HashSet;

pub(super) async fn run(hall: &mut Hall, life: &mut Life<'_>) -> Result<(), StartError> {
    let t = life.tender.clone();
    let published = t
        .published_at
        .ok_or_else(|| bad(format!("{}: not published", t.id)))?;
    let deadline = t.spec.schedule.bid_deadline;
    custodians(hall, life, published.plus_millis(hours(1))).await?;
    if let (Some(experts), true) = (&life.fx.experts, life.fx.stage > Stage::Lobby) {
        let at = deadline.plus_millis(-DAY_MS);
        draws::expert_draw(&hall.past, &hall.people, &t, experts, at).await?;
    }
    bids(hall, life, published.plus_millis(DAY_MS)).await?;
    if life.fx.stage == Stage::Lobby {
        let app = hall.past.at(hall.past.present().plus_millis(-minutes(5)))?;
        for who in &life.fx.signed_in {
            sign_in(app, &hall.people.actor(who)?, &t.id)
                .await
                .map_err(|e| bad(format!("{who} signing in: {e}")))?;
        }
    }
    Ok(())
}

/// Every custodian but the hall's time-release one registers a key made on its device; a box
/// still to be opened keeps its keys in the data directory for its custodians.
async fn custodians(hall: &mut Hall, life: &mut Life<'_>, at: Timestamp) -> Result<(), StartError> {
    let t = &life.tender;
    let app = hall.past.at(at)?;
    // The hall's own time-release key registers itself when the custodians are first listed,
    // as the custodian page lists them.
    crate::bids::service::custodians(app, &t.id)
        .await
        .map_err(bad)?;
    for index in 1..=t.spec.custodians.members.len() as u8 {
        let Ok(Some(org)) = crate::bids::custodian_org(t, index) else {
            continue;
        };
        let actor = hall.people.acting_for(&org)?;
        let key = hall
            .devices
            .custodian_key(app, &actor, &t.id, index)
            .await?;
        if life.fx.stage <= Stage::Lobby {
            let login = hall.people.login_for(&org)?;
            hall.devices
                .keep(&t.id, t.spec.title.as_str(), index, login, &key)?;
        }
        life.custodians.push(Custodian { index, actor, key });
    }
    Ok(())
}

/// The bids, an hour apart from `from`, each bond paid half an hour after its bid.
async fn bids(hall: &mut Hall, life: &mut Life<'_>, from: Timestamp) -> Result<(), StartError> {
    let t = life.tender.clone();
    let platform = hall.people.actor("platform")?;
    let mut obtained = HashSet::new();
    for (i, bid) in life.fx.bids.iter().enumerate() {
        let at = from.plus_millis(hours(i as i64));
        let app = hall.past.at(at)?;
        let actor = hall.people.actor(&bid.by)?;
        if obtained.insert(actor.org_id.clone()) {
            crate::tenders::service::obtain(app, &actor, &t.id)
                .await
                .map_err(|e| bad(format!("{} obtaining {}: {e}", bid.by, t.id)))?;
        }
        let lot = t
            .spec
            .lots
            .get(bid.lot)
            .ok_or_else(|| bad(format!("{}: no lot {}", t.id, bid.lot)))?;
        let envelope = hall
            .devices
            .seal(app, &actor, &t.id, lot.id.as_str(), bid)
            .await?;
        let body: ByteStream = Box::pin(futures_util::stream::once(async move {
            Ok(bytes::Bytes::from(envelope))
        }));
        crate::bids::service::submit(app, &actor, &t.id, lot.id.as_str(), body)
            .await
            .map_err(|e| bad(format!("{} bidding for {}: {e}", bid.by, t.id)))?;
        let app = hall.past.at(at.plus_millis(minutes(30)))?;
        let fen = lot.bid_bond_fen.fen();
        match life.fx.bonds {
            BondPath::Bank => hall.bank.pay(app, &actor, &t.id, &[fen]).await?,
            BondPath::Desk => {
                let input = BondInput {
                    lot_id: lot.id.to_string(),
                    org_id: actor.org_id.to_string(),
                    amount_fen: fen,
                    reference: format!("交易中心收款 {:04}", i + 1),
                };
                record_bond(app, &platform, &t.id, input)
                    .await
                    .map_err(bad)?;
            }
        }
        life.bidders.push(Bidder {
            actor,
            bid: bid.clone(),
        });
    }
    Ok(())
}
