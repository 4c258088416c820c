//! Which audit-log entry asks what of whom: the one place that decides the hall's notices
//! (docs/inbox.md §1). Each rule reads what it needs of the tender, the opening or the award as it
//! stands, and names recipients by organisation. A notice never says more than its recipient may
//! know: the owner hears that a question or objection awaits it, never from whom (法 第二十二条);
//! a tenderer hears of its own result, its own question and its own lots.

use super::{Kind, NewNotice};
use crate::app::AppState;
use crate::award::event::AwardBody;
use crate::award::state::AwardState;
use crate::domain::{OrgId, TenderId, Timestamp, DAY_MS};
use crate::identity::Role;
use crate::opening::event::Body as OpeningBody;
use crate::store::StoreError;
use crate::tenders::model::Tender;
use serde_json::{json, Value};

/// An audit-log entry as the notifier reads it: its index, kind, tender (a sealed entry's too)
/// and payload (empty for a sealed entry).
#[derive(Debug, Clone)]
pub struct LogEntry {
    pub index: i64,
    pub kind: String,
    pub tender: Option<TenderId>,
    pub payload: Value,
    pub at: Timestamp,
}

/// The notices `entry` makes.
pub async fn notices_for(app: &AppState, entry: &LogEntry) -> Result<Vec<NewNotice>, StoreError> {
    let Some(tender_id) = &entry.tender else {
        return match entry.kind.as_str() {
            "agent_registration_submitted" => registration(app, entry).await,
            _ => Ok(Vec::new()),
        };
    };
    let tender = match app.store.get_tender(tender_id).await {
        Ok(t) => t,
        Err(StoreError::NotFound) => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let to = |org: &OrgId, kind: Kind, params: Value, due: Option<Timestamp>| NewNotice {
        log_index: entry.index,
        org: org.clone(),
        kind,
        tender: Some(tender_id.clone()),
        params: with_title(&tender, params),
        due_at: due,
    };
    let deadline = tender.spec.schedule.bid_deadline;
    Ok(match entry.kind.as_str() {
        // Bidding waits for every custodian's key (docs/bid-box.md): each one is asked.
        "tender_published" => custodians(&tender)
            .iter()
            .map(|o| to(o, Kind::CustodianKeyNeeded, json!({}), Some(deadline)))
            .collect(),
        // The owner's side answers; who asked is not said (法22).
        "question_asked" => managers(&tender)
            .iter()
            .map(|o| {
                let due = tender.spec.schedule.clarification_deadline;
                to(o, Kind::QuestionToAnswer, json!({}), Some(due))
            })
            .collect(),
        "document_objection_raised" => managers(&tender)
            .iter()
            .map(|o| {
                let due = entry.at.plus_millis(3 * DAY_MS);
                to(o, Kind::ObjectionToAnswer, json!({}), Some(due))
            })
            .collect(),
        "complaint_filed" => vec![to(
            &tender.spec.supervisor_org_id,
            Kind::ComplaintToAccept,
            json!({}),
            None,
        )],
        "opening_event" => opening(app, &tender, entry, &|o, k, p, d| to(o, k, p, d)).await?,
        "award_event" => award(app, &tender, entry, &|o, k, p, d| to(o, k, p, d)).await?,
        _ => Vec::new(),
    })
}

type Make<'a> = dyn Fn(&OrgId, Kind, Value, Option<Timestamp>) -> NewNotice + Sync + 'a;

/// The opening's decryption asks every custodian with a key (not the hall's time-release one)
/// to release its shares within the window.
async fn opening(
    app: &AppState,
    tender: &Tender,
    entry: &LogEntry,
    to: &Make<'_>,
) -> Result<Vec<NewNotice>, StoreError> {
    if entry.payload["event"] != "decryption_started" {
        return Ok(Vec::new());
    }
    let seq = entry.payload["seq"].as_i64().unwrap_or_default();
    let events = crate::opening::service::all_events(app, &tender.id).await?;
    let Some(e) = events.iter().find(|e| e.seq == seq) else {
        return Ok(Vec::new());
    };
    let until = match OpeningBody::parse(e.seq, &e.kind, &e.body) {
        Ok(OpeningBody::DecryptionStarted { release_until, .. }) => Some(release_until),
        _ => None,
    };
    Ok(custodians(tender)
        .iter()
        .map(|o| to(o, Kind::SharesToRelease, json!({}), until))
        .collect())
}

/// The award's steps that concern tenderers: publicity, the notice and the result notices, a lot
/// failing, a clarification question.
async fn award(
    app: &AppState,
    tender: &Tender,
    entry: &LogEntry,
    to: &Make<'_>,
) -> Result<Vec<NewNotice>, StoreError> {
    let seq = entry.payload["seq"].as_i64().unwrap_or_default();
    let events = app.store.award_events(&tender.id).await?;
    let Some(e) = events.iter().find(|e| e.seq == seq) else {
        return Ok(Vec::new());
    };
    let Ok(body) = AwardBody::of(e) else {
        return Ok(Vec::new());
    };
    let s = AwardState::fold(&events[..events.iter().position(|x| x.seq == seq).unwrap_or(0)])
        .unwrap_or_default();
    let lot_name = |lot: &Option<String>| {
        let id = lot.clone().unwrap_or_default();
        tender
            .spec
            .lots
            .iter()
            .find(|l| l.id.as_str() == id)
            .map(|l| l.name.as_str().to_string())
            .unwrap_or_default()
    };
    let tenderers_of = |lot: &Option<String>| -> Vec<OrgId> {
        let id = lot.clone().unwrap_or_default();
        let mut orgs: Vec<OrgId> = Vec::new();
        for b in s.bids.iter().filter(|b| b.lot_id == id || id.is_empty()) {
            let o = OrgId::from_stored(b.org_id.clone());
            if !orgs.contains(&o) {
                orgs.push(o);
            }
        }
        orgs
    };
    Ok(match body {
        AwardBody::CandidatesPublicised { lot_id, until, .. } => tenderers_of(&lot_id)
            .iter()
            .map(|o| {
                let p = json!({ "lot": lot_name(&lot_id) });
                to(o, Kind::CandidatesPublicised, p, Some(until))
            })
            .collect(),
        AwardBody::AwardNoticeIssued(n) => {
            let p = json!({ "lot": lot_name(&n.lot_id) });
            let org = OrgId::from_stored(n.org_id.clone());
            vec![to(&org, Kind::AwardNotice, p, Some(n.contract_due))]
        }
        AwardBody::ResultNotified { lot_id, org_id, .. } => {
            let p = json!({ "lot": lot_name(&lot_id) });
            vec![to(&OrgId::from_stored(org_id), Kind::ResultNotice, p, None)]
        }
        AwardBody::AwardFailed { lot_id, .. } => tenderers_of(&lot_id)
            .iter()
            .map(|o| {
                to(
                    o,
                    Kind::LotFailed,
                    json!({ "lot": lot_name(&lot_id) }),
                    None,
                )
            })
            .collect(),
        AwardBody::ClarificationAsked { line, .. } => s
            .bids
            .iter()
            .find(|b| b.line == line)
            .map(|b| {
                let p = json!({ "lot": lot_name(&Some(b.lot_id.clone())) });
                let org = OrgId::from_stored(b.org_id.clone());
                vec![to(&org, Kind::ClarificationToAnswer, p, None)]
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    })
}

/// An agent's registration asks every trading-centre organisation to review it.
async fn registration(app: &AppState, entry: &LogEntry) -> Result<Vec<NewNotice>, StoreError> {
    let org = entry.payload["org"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let name = match app.store.get_organisation(&OrgId::from_stored(org)).await {
        Ok(o) => json!(o.name.as_str()),
        Err(_) => Value::Null,
    };
    Ok(app
        .store
        .list_organisations(Some(Role::Platform))
        .await?
        .into_iter()
        .map(|o| NewNotice {
            log_index: entry.index,
            org: o.id,
            kind: Kind::RegistrationToReview,
            tender: None,
            params: json!({ "name": name }),
            due_at: None,
        })
        .collect())
}

/// The organisations holding a custodian key of the tender (the hall's time-release custodian
/// holds none).
fn custodians(t: &Tender) -> Vec<OrgId> {
    let mut out: Vec<OrgId> = Vec::new();
    for i in 1..=t.spec.custodians.members.len() {
        if let Ok(Some(o)) = crate::bids::custodian_org(t, i as u8) {
            if !out.contains(&o) {
                out.push(o);
            }
        }
    }
    out
}

/// Who runs the tender: the owner and its agent.
fn managers(t: &Tender) -> Vec<OrgId> {
    let mut out = vec![t.owner_org_id.clone()];
    out.extend(t.agent_org_id.iter().cloned());
    out
}

fn with_title(t: &Tender, mut params: Value) -> Value {
    params["title"] = json!(t.spec.title.as_str());
    params
}
