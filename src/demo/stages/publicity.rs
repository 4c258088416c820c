//! The candidates' publicity (中标候选人公示), the day after the opening: the host publicises up to
//! three ranked bids of each lot for the 3 days of 条例54. If the fixture says so, a tenderer
//! objects the next day and the owner answers the day after.

use super::{Hall, Life};
use crate::award::service::{answer, object, publicise, view, PublicityInput, TextInput};
use crate::demo::fixture::bad;
use crate::domain::{Timestamp, DAY_MS};
use crate::server::StartError;

/// Publicises every lot's candidates; returns when the publicity ends.
pub(super) async fn run(hall: &Hall, life: &Life<'_>) -> Result<Timestamp, StartError> {
    let t = &life.tender;
    let from = t.spec.schedule.bid_deadline.plus_millis(DAY_MS);
    let until = from.plus_millis(3 * DAY_MS);
    let app = hall.past.at(from)?;
    let host = life.host(&hall.people)?;
    let award = view(app, Some(&host), &t.id).await.map_err(bad)?;
    for lot in award["lots"].as_array().into_iter().flatten() {
        let passing = lot["passing"].as_u64().unwrap_or(0) as usize;
        if passing == 0 {
            continue;
        }
        let input = PublicityInput {
            lot_id: lot["lot_id"].as_str().map(str::to_owned),
            count: passing.min(3),
            until,
        };
        publicise(app, &host, &t.id, input)
            .await
            .map_err(|e| bad(format!("{}: publicising: {e}", t.id)))?;
    }
    if let Some(o) = &life.fx.objection {
        let app = hall.past.at(from.plus_millis(DAY_MS))?;
        let by = hall.people.actor(&o.by)?;
        let text = TextInput {
            text: o.text.clone(),
            lot_id: None,
        };
        let n = object(app, &by, &t.id, text).await.map_err(bad)?;
        let app = hall.past.at(from.plus_millis(2 * DAY_MS))?;
        let owner = life.owner(&hall.people)?;
        let reply = TextInput {
            text: o.answer.clone(),
            lot_id: None,
        };
        answer(app, &owner, &t.id, n, reply).await.map_err(bad)?;
    }
    Ok(until)
}
