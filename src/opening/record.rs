//! The opening record (开标记录): computed from the whole event list, so it says nothing the events
//! do not, hashed in RFC 8785 form and signed with the audit log's key (docs/opening.md §4).

use super::event::EventError;
use super::state::OpeningState;
use super::OpeningEvent;
use crate::auditlog::note::{self, NoteSigner, NoteVerifier};
use crate::tenders::model::Tender;
use ring::digest::{Context, SHA256};
use serde_json::{json, Value};

pub const FORMAT: &str = "bidhall-opening-record/1";

/// SHA-256 over the events in order, each as `u32be(len) ‖ RFC 8785 JSON`.
pub fn events_hash(events: &[OpeningEvent]) -> String {
    let mut ctx = Context::new(&SHA256);
    for e in events {
        let bytes = e.canonical();
        ctx.update(&(bytes.len() as u32).to_be_bytes());
        ctx.update(&bytes);
    }
    hex::encode(ctx.finish())
}

/// The record as of `events` (the conclusion itself is not part of what it signs).
pub fn build(
    tender: &Tender,
    events: &[OpeningEvent],
    concluded_at: &str,
) -> Result<Value, EventError> {
    let s = OpeningState::fold(events)?;
    let lines: Vec<Value> = s
        .lines
        .iter()
        .map(|l| {
            let mut v = serde_json::to_value(l).expect("a line serialises");
            v["confirmed"] = match s.confirmed.get(&l.n) {
                Some((seq, at)) => json!({ "seq": seq, "at": at.to_rfc3339() }),
                None => Value::Null,
            };
            v
        })
        .collect();
    let custodians = s.custodians_released();
    let objections: Vec<Value> = s
        .objections
        .iter()
        .map(|(o, _)| {
            json!({
                "id": o.id, "n": o.n, "org_name": o.org_name, "text": o.text,
                "raised_at": o.raised_at, "answer": o.answer, "answered_at": o.answered_at,
            })
        })
        .collect();
    let mut record = json!({
        "format": FORMAT,
        "tender_id": tender.id.to_string(),
        "title": tender.spec.title.as_str(),
        "deadline": tender.spec.schedule.bid_deadline.to_rfc3339(),
        "count": s.count,
        "k": s.k,
        "custodians": custodians,
        "lines": lines,
        "objections": objections,
        "suspensions": s.suspensions,
        "events": { "count": events.len(), "sha256": events_hash(events) },
        "concluded_at": concluded_at,
    });
    // Lots not opened (条例44), only where there are some: a record without them keeps the bytes
    // (and the hash) it always had.
    if !s.not_opened.is_empty() {
        record["not_opened"] = serde_json::to_value(&s.not_opened).expect("lots serialise");
    }
    Ok(record)
}

pub fn sha256(record: &Value) -> String {
    hex::encode(ring::digest::digest(
        &SHA256,
        &crate::canonical::canonicalize(record),
    ))
}

fn note_text(tender_id: &str, record_sha256: &str) -> String {
    format!("bidhall opening record\n{tender_id}\n{record_sha256}\n")
}

/// The platform's signed note over the record's hash.
pub fn sign(signer: &NoteSigner, tender_id: &str, record_sha256: &str) -> String {
    note::sign(&note_text(tender_id, record_sha256), &[signer]).expect("a record note is valid")
}

/// Checks a record against its signature: the hash, then the note's text and signature.
pub fn verify(record: &Value, signature: &str, verifier: &NoteVerifier) -> Result<(), String> {
    let tender_id = record["tender_id"].as_str().unwrap_or_default();
    let hash = sha256(record);
    let opened = note::open(signature, std::slice::from_ref(verifier))
        .map_err(|e| format!("the signature does not verify: {e}"))?;
    if opened.text != note_text(tender_id, &hash) {
        return Err("the signed note is not about this record".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::opening::Audience;

    /// The vector of docs/opening.md §4.
    #[test]
    fn the_events_hash_matches_the_documented_vector() {
        let at = |s: &str| Timestamp::parse(s).unwrap();
        let events = vec![
            OpeningEvent {
                seq: 1,
                at: at("2027-03-26T00:30:00.000Z"),
                kind: "lobby_opened".into(),
                audience: Audience::Public,
                body: json!({ "deadline": "2027-03-26T01:00:00.000Z" }),
            },
            OpeningEvent {
                seq: 2,
                at: at("2027-03-26T01:00:00.000Z"),
                kind: "opening_failed".into(),
                // the audience is not part of what is hashed
                audience: Audience::Hall,
                body: json!({ "count": 2, "rule": "min_three_bids", "article": "条例44" }),
            },
        ];
        assert_eq!(
            String::from_utf8(events[1].canonical()).unwrap(),
            r#"{"at":"2027-03-26T01:00:00.000Z","body":{"article":"条例44","count":2,"rule":"min_three_bids"},"kind":"opening_failed","seq":2}"#
        );
        assert_eq!(
            events_hash(&events),
            "9ceb1e8cd8ce633f0291c4eaac3fa61e3a9c7d31763bc7d453919519f6ce60b4"
        );
    }

    #[test]
    fn a_signed_record_verifies_and_any_change_does_not() {
        let signer = NoteSigner::generate("bidhall.test/log").unwrap();
        let record =
            json!({ "format": FORMAT, "tender_id": "t1", "lines": [{ "n": 1, "price_fen": 100 }] });
        let sig = sign(&signer, "t1", &sha256(&record));
        assert_eq!(verify(&record, &sig, &signer.verifier()), Ok(()));
        let mut changed = record.clone();
        changed["lines"][0]["price_fen"] = json!(99);
        assert!(verify(&changed, &sig, &signer.verifier()).is_err());
        let other = NoteSigner::generate("bidhall.test/log").unwrap();
        assert!(verify(&record, &sig, &other.verifier()).is_err());
    }
}
