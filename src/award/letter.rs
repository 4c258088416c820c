//! The letters the award sends (法45): the award notice (中标通知书) to a lot's winner and the
//! notice of the result (中标结果通知书) to every other tenderer whose bid for the lot was opened.
//! A letter is computed from the award's events, so it says nothing they do not; it is hashed in
//! RFC 8785 form and signed by the hall with the audit log's key as a C2SP note, like the
//! evaluation report, so anyone holding the log's public key can check a printed letter offline
//! (docs/award.md §5, "Letters").

use super::event::Notice;
use super::state::{AwardState, LotAward};
use crate::auditlog::note::{self, NoteSigner, NoteVerifier};
use crate::tenders::model::Tender;
use ring::digest::SHA256;
use serde_json::{json, Value};

pub const FORMAT: &str = "bidhall-award-letter/1";

/// The letter `org` receives for `lot`, once the lot's notice is out: `award_notice` to the
/// winner, `result_notice` to another tenderer that bid for the lot; `None` to anyone else.
pub fn build(t: &Tender, s: &AwardState, lot: &LotAward, org: &str) -> Option<Value> {
    let (n, issued): &(Notice, _) = lot.notice.as_ref()?;
    let lot_name = t
        .spec
        .lots
        .iter()
        .find(|l| l.id.as_str() == lot.lot_id)
        .map(|l| l.name.as_str().to_string());
    let mut letter = json!({
        "format": FORMAT,
        "tender_id": t.id.to_string(),
        "title": t.spec.title.as_str(),
        "lot_id": lot.lot_id,
        "lot_name": lot_name,
        "issued_at": issued.to_rfc3339(),
        "article": "法45",
    });
    if n.org_id == org {
        letter["kind"] = json!("award_notice");
        letter["to"] = json!({ "org_id": n.org_id, "org_name": n.org_name });
        letter["price_fen"] = json!(n.price_fen.fen());
        letter["contract_due"] = json!(n.contract_due.to_rfc3339());
        letter["performance_bond_fen"] = json!(n.performance_bond_fen.fen());
    } else {
        let bid = s
            .bids
            .iter()
            .find(|b| b.org_id == org && b.lot_id == lot.lot_id)?;
        letter["kind"] = json!("result_notice");
        letter["to"] = json!({ "org_id": bid.org_id, "org_name": bid.org_name });
        letter["winner"] = json!({ "org_name": n.org_name, "price_fen": n.price_fen.fen() });
    }
    Some(letter)
}

pub fn sha256(letter: &Value) -> String {
    hex::encode(ring::digest::digest(
        &SHA256,
        &crate::canonical::canonicalize(letter),
    ))
}

fn note_text(tender_id: &str, letter_sha256: &str) -> String {
    format!("bidhall award letter\n{tender_id}\n{letter_sha256}\n")
}

/// The hall's signed note over the letter's hash.
pub fn sign(signer: &NoteSigner, letter: &Value) -> String {
    let tender_id = letter["tender_id"].as_str().unwrap_or_default();
    note::sign(&note_text(tender_id, &sha256(letter)), &[signer]).expect("a letter note is valid")
}

/// Checks a letter against its signature: the hash, then the note's text and signature.
pub fn verify(letter: &Value, signature: &str, verifier: &NoteVerifier) -> Result<(), String> {
    if letter["format"] != FORMAT {
        return Err(format!("not a {FORMAT} letter"));
    }
    let tender_id = letter["tender_id"].as_str().unwrap_or_default();
    let opened = note::open(signature, std::slice::from_ref(verifier))
        .map_err(|e| format!("the signature does not verify: {e}"))?;
    if opened.text != note_text(tender_id, &sha256(letter)) {
        return Err("the signed note is not about this letter".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vector of docs/award.md §5 "Letters".
    #[test]
    fn the_note_text_and_hash_match_the_documented_vector() {
        let letter =
            json!({ "format": FORMAT, "tender_id": "t1", "kind": "award_notice", "lot_id": "l1" });
        assert_eq!(
            String::from_utf8(crate::canonical::canonicalize(&letter)).unwrap(),
            r#"{"format":"bidhall-award-letter/1","kind":"award_notice","lot_id":"l1","tender_id":"t1"}"#
        );
        let sha = sha256(&letter);
        assert_eq!(
            note_text("t1", &sha),
            format!("bidhall award letter\nt1\n{sha}\n")
        );
        assert_eq!(
            sha,
            "61ea4e5aeea2a2da40979e0f6acc82bd21a106a851383f63966b5bbe5547850f"
        );
    }

    #[test]
    fn a_signed_letter_verifies_and_any_change_does_not() {
        let signer = NoteSigner::generate("bidhall.test/log").unwrap();
        let letter = json!({ "format": FORMAT, "tender_id": "t1", "kind": "result_notice",
            "to": { "org_id": "o", "org_name": "乙" }, "winner": { "org_name": "甲", "price_fen": 100 } });
        let sig = sign(&signer, &letter);
        assert_eq!(verify(&letter, &sig, &signer.verifier()), Ok(()));
        let mut changed = letter.clone();
        changed["winner"]["price_fen"] = json!(99);
        assert!(verify(&changed, &sig, &signer.verifier()).is_err());
        let other = NoteSigner::generate("bidhall.test/log").unwrap();
        assert!(verify(&letter, &sig, &other.verifier()).is_err());
    }
}
