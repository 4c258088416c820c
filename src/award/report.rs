//! The evaluation report (评标报告): computed from the committee's events, so it says nothing the
//! events do not; hashed in RFC 8785 form, signed by each member (an event naming the hash) and,
//! once all have, by the hall with the audit log's key as a C2SP note (docs/award.md §4).

use super::ranking::{self, Method, Ranked};
use super::state::{AwardState, Committee};
use crate::auditlog::note::{self, NoteSigner, NoteVerifier};
use crate::tenders::model::{EvaluationMethod, Tender};
use ring::digest::SHA256;
use serde_json::{json, Value};

pub const FORMAT: &str = "bidhall-evaluation-report/1";

/// The ranking a committee's counted marks give under the tender's method and tie rule: each
/// lot it evaluates ranked on its own (a bid competes only with the bids for its lot), lots in
/// the order of their first bid; a lot that failed before evaluation has no lines.
pub fn ranking(tender: &Tender, s: &AwardState, c: &Committee) -> Vec<Ranked> {
    let weights: Vec<u32> = match &tender.spec.evaluation_method {
        EvaluationMethod::ComprehensiveScoring { criteria } => {
            criteria.iter().map(|c| c.weight).collect()
        }
        EvaluationMethod::LowestEvaluatedPrice => Vec::new(),
    };
    let method = match &tender.spec.evaluation_method {
        EvaluationMethod::ComprehensiveScoring { criteria } => Method::ComprehensiveScoring {
            weights: &weights,
            price: criteria
                .iter()
                .enumerate()
                .find_map(|(i, c)| c.price.as_ref().map(|rule| (i, rule))),
        },
        EvaluationMethod::LowestEvaluatedPrice => Method::LowestEvaluatedPrice,
    };
    let members = s.active_members_of(c).count() as i64;
    let marks = s.counted_marks(c);
    let bids: Vec<_> = s.evaluated_bids_of(c).cloned().collect();
    let mut out = Vec::new();
    for lot in &s.lots {
        let of_lot: Vec<_> = bids
            .iter()
            .filter(|b| b.lot_id == lot.lot_id)
            .cloned()
            .collect();
        if of_lot.is_empty() {
            continue;
        }
        out.extend(ranking::rank(
            method,
            tender.spec.tie_break.unwrap_or_default(),
            members,
            &of_lot,
            &marks,
        ));
    }
    out
}

/// How many scores a member gives a bid: one per criterion the hall does not compute (under
/// comprehensive scoring, every criterion but the price criterion); none for the lowest price.
pub fn scored_criteria(tender: &Tender) -> usize {
    match &tender.spec.evaluation_method {
        EvaluationMethod::LowestEvaluatedPrice => 0,
        EvaluationMethod::ComprehensiveScoring { criteria } => {
            criteria.iter().filter(|c| c.price.is_none()).count()
        }
    }
}

/// A committee's report as the events stand (members' signatures are over its hash, so not in
/// it). A lot's committee's report names its lot and holds only that lot's bids, marks, ranking
/// and questions; the tender's one committee's report is as it always was, byte for byte.
pub fn build(tender: &Tender, s: &AwardState, c: &Committee) -> Value {
    let method = match &tender.spec.evaluation_method {
        EvaluationMethod::LowestEvaluatedPrice => json!({ "kind": "lowest_evaluated_price" }),
        EvaluationMethod::ComprehensiveScoring { criteria } => json!({
            "kind": "comprehensive_scoring",
            "criteria": criteria.iter().map(|c| {
                let mut v = json!({ "name": c.name.as_str(), "weight": c.weight });
                if let Some(rule) = &c.price {
                    v["price"] = serde_json::to_value(rule).unwrap_or(Value::Null);
                }
                v
            }).collect::<Vec<_>>(),
        }),
    };
    let committee: Vec<Value> = s
        .members_of(c)
        .map(|m| {
            json!({
                "seat": m.seat, "kind": m.kind, "name": m.name,
                "conflict": m.conflict, "declared_at": m.declared_at, "replaced_by": m.replaced_by,
            })
        })
        .collect();
    let mut marks = s.counted_marks(c);
    marks.sort_by_key(|m| (m.seat, m.line));
    let marks: Vec<Value> = marks
        .iter()
        .map(|m| {
            let mut v = json!({ "seat": m.seat, "line": m.line, "compliant": m.compliant, "scores": m.scores });
            if let Some((ground, reason)) = &m.rejection {
                v["rejection"] = json!({ "ground": ground, "reason": reason });
            }
            v
        })
        .collect();
    let bids: Vec<Value> = s
        .bids
        .iter()
        .filter(|b| c.covers(&b.lot_id))
        .map(|b| {
            let mut v = json!({ "line": b.line, "org_id": b.org_id, "org_name": b.org_name, "price_fen": b.price_fen });
            if !b.lot_id.is_empty() {
                v["lot_id"] = json!(b.lot_id);
            }
            v
        })
        .collect();
    // Lots that failed before the evaluation, with their ground (a lot with fewer than 3 bids).
    let failed: Vec<Value> = s
        .lots
        .iter()
        .filter(|l| c.covers(&l.lot_id))
        .filter_map(|l| l.failure.as_ref())
        .cloned()
        .collect();
    let mut report = json!({
        "format": FORMAT,
        "tender_id": tender.id.to_string(),
        "title": tender.spec.title.as_str(),
        "method": method,
        "tie_break": tender.spec.tie_break.unwrap_or_default().as_str(),
        "draw_id": c.draw_id,
        "committee": committee,
        "bids": bids,
        "marks": marks,
        "ranking": ranking(tender, s, c),
    });
    if let Some(lot) = &c.lot_id {
        report["lot_id"] = json!(lot);
    }
    // Only when there are any, so reports of tenders before lots keep their hash.
    if !failed.is_empty() {
        report["lots_failed"] = Value::Array(failed);
    }
    // The committee's written questions and the tenderers' answers (条例52).
    let in_scope = |line: i64| s.bids.iter().any(|b| b.line == line && c.covers(&b.lot_id));
    if s.clarifications.iter().any(|q| in_scope(q.line)) {
        report["clarifications"] = s
            .clarifications
            .iter()
            .filter(|q| in_scope(q.line))
            .map(|q| json!({ "id": q.id, "seat": q.seat, "line": q.line, "text": q.text, "answer": q.answer }))
            .collect();
    }
    report
}

pub fn sha256(report: &Value) -> String {
    hex::encode(ring::digest::digest(
        &SHA256,
        &crate::canonical::canonicalize(report),
    ))
}

fn note_text(tender_id: &str, report_sha256: &str) -> String {
    format!("bidhall evaluation report\n{tender_id}\n{report_sha256}\n")
}

/// The hall's signed note over the report's hash.
pub fn sign(signer: &NoteSigner, tender_id: &str, report_sha256: &str) -> String {
    note::sign(&note_text(tender_id, report_sha256), &[signer]).expect("a report note is valid")
}

/// Checks a report against its signature: the hash, then the note's text and signature.
pub fn verify(report: &Value, signature: &str, verifier: &NoteVerifier) -> Result<(), String> {
    let tender_id = report["tender_id"].as_str().unwrap_or_default();
    let opened = note::open(signature, std::slice::from_ref(verifier))
        .map_err(|e| format!("the signature does not verify: {e}"))?;
    if opened.text != note_text(tender_id, &sha256(report)) {
        return Err("the signed note is not about this report".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector of docs/award.md §4.
    #[test]
    fn the_note_text_and_hash_match_the_documented_vector() {
        let report =
            json!({ "format": FORMAT, "tender_id": "t1", "ranking": [{ "rank": 1, "line": 2 }] });
        assert_eq!(
            String::from_utf8(crate::canonical::canonicalize(&report)).unwrap(),
            r#"{"format":"bidhall-evaluation-report/1","ranking":[{"line":2,"rank":1}],"tender_id":"t1"}"#
        );
        let sha = "d6e9e5b2a96572de0c4a7d843ed7512236b62e97471d38084644c2c452c4e323";
        assert_eq!(sha256(&report), sha);
        assert_eq!(
            note_text("t1", sha),
            format!("bidhall evaluation report\nt1\n{sha}\n")
        );
    }

    #[test]
    fn a_signed_report_verifies_and_any_change_does_not() {
        let signer = NoteSigner::generate("bidhall.test/log").unwrap();
        let report =
            json!({ "format": FORMAT, "tender_id": "t1", "ranking": [{ "rank": 1, "line": 2 }] });
        let sig = sign(&signer, "t1", &sha256(&report));
        assert_eq!(verify(&report, &sig, &signer.verifier()), Ok(()));
        let mut changed = report.clone();
        changed["ranking"][0]["line"] = json!(1);
        assert!(verify(&changed, &sig, &signer.verifier()).is_err());
    }
}
