//! The opening (不见面开标) at the deadline: the box closes and the hall's time-release custodian
//! releases; with fewer than 3 bids the tender fails there (条例44). Otherwise the other
//! custodians release from their devices minutes later, every bid is announced, the host opens a
//! confirmation window, each tenderer confirms its line, and the host concludes: the record is
//! signed.

use super::{Hall, Life};
use crate::demo::devices;
use crate::demo::fixture::{bad, Stage};
use crate::demo::past::minutes;
use crate::opening::service::{advance, conclude, confirm, open_window, state};
use crate::server::StartError;

pub(super) async fn run(hall: &Hall, life: &Life<'_>) -> Result<(), StartError> {
    let t = &life.tender;
    let deadline = t.spec.schedule.bid_deadline;
    let app = hall.past.at(deadline)?;
    advance(app, &t.id).await.map_err(bad)?;
    let phase = |s: &serde_json::Value| s["phase"].as_str().unwrap_or_default().to_owned();
    if life.fx.stage == Stage::Failed {
        let s = state(app, None, &t.id).await.map_err(bad)?;
        return match phase(&s).as_str() {
            "failed" => Ok(()),
            other => Err(bad(format!("{}: the opening is {other}, not failed", t.id))),
        };
    }
    for (i, c) in life.custodians.iter().enumerate() {
        let app = hall.past.at(deadline.plus_millis(minutes(3 + i as i64)))?;
        devices::release(app, &c.actor, &t.id, c.index, &c.key).await?;
    }
    let app = hall.past.at(deadline.plus_millis(minutes(10)))?;
    let s = state(app, None, &t.id).await.map_err(bad)?;
    if phase(&s) != "announced" {
        return Err(bad(format!("{}: the opening is {}", t.id, phase(&s))));
    }
    let host = life.host(&hall.people)?;
    open_window(app, &host, &t.id, 30).await.map_err(bad)?;
    let lines = s["lines"].as_array().cloned().unwrap_or_default();
    for (i, line) in lines.iter().enumerate() {
        let Some(who) = line["org_id"].as_str().and_then(|o| life.bidder(o)) else {
            continue;
        };
        let n = line["n"].as_i64().unwrap_or_default();
        let app = hall.past.at(deadline.plus_millis(minutes(12 + i as i64)))?;
        confirm(app, &who.actor, &t.id, n).await.map_err(bad)?;
    }
    let app = hall.past.at(deadline.plus_millis(minutes(45)))?;
    conclude(app, &host, &t.id).await.map_err(bad)?;
    Ok(())
}
