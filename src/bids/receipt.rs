//! A bid receipt: a C2SP signed note by the hall's log key stating what was received — tender,
//! lot, the bidder's commitment, the ciphertext's SHA-256 and size, the time and the audit-log
//! entry. The tenderer keeps it; `bidhall receipt verify` checks it offline, and the log entry's
//! inclusion proof (`/api/log/receipts/{index}`) shows the hall logged it.

use crate::auditlog::note::{self, NoteSigner, NoteVerifier};
use crate::domain::Timestamp;
use serde::Serialize;

pub const RECEIPT_HEADER: &str = "bidhall-bid-receipt/1";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceiptBody {
    pub action: String,
    pub tender: String,
    pub lot: String,
    pub commitment: String,
    pub envelope_sha256: String,
    pub size: i64,
    pub at: String,
    pub log_index: i64,
}

impl ReceiptBody {
    fn text(&self) -> String {
        format!(
            "{RECEIPT_HEADER}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
            self.action,
            self.tender,
            self.lot,
            self.commitment,
            self.envelope_sha256,
            self.size,
            self.at,
            self.log_index
        )
    }

    pub fn sign(&self, signer: &NoteSigner) -> String {
        note::sign(&self.text(), &[signer]).expect("receipt text is valid note text")
    }

    /// Opens a signed receipt with the hall's verifier key.
    pub fn verify(signed: &str, verifier: &NoteVerifier) -> Result<ReceiptBody, String> {
        let opened =
            note::open(signed, std::slice::from_ref(verifier)).map_err(|e| e.to_string())?;
        let lines: Vec<&str> = opened.text.lines().collect();
        if lines.len() != 9 || lines[0] != RECEIPT_HEADER {
            return Err("not a bidhall bid receipt".into());
        }
        let num = |s: &str| {
            s.parse::<i64>()
                .map_err(|_| format!("{s:?} is not a number"))
        };
        Ok(ReceiptBody {
            action: lines[1].into(),
            tender: lines[2].into(),
            lot: lines[3].into(),
            commitment: lines[4].into(),
            envelope_sha256: lines[5].into(),
            size: num(lines[6])?,
            at: lines[7].into(),
            log_index: num(lines[8])?,
        })
    }
}

pub fn at_text(t: Timestamp) -> String {
    t.to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_receipt_verifies_with_the_hall_key_only() {
        let key = NoteSigner::generate("bidhall.localhost/log").unwrap();
        let body = ReceiptBody {
            action: "submitted".into(),
            tender: "t".into(),
            lot: "l".into(),
            commitment: "c".into(),
            envelope_sha256: "ab".into(),
            size: 7,
            at: "2027-03-01T01:00:00.000Z".into(),
            log_index: 3,
        };
        let signed = body.sign(&key);
        assert_eq!(ReceiptBody::verify(&signed, &key.verifier()).unwrap(), body);
        let other = NoteSigner::generate("bidhall.localhost/log").unwrap();
        assert!(ReceiptBody::verify(&signed, &other.verifier()).is_err());
        let forged = signed.replace("\n7\n", "\n8\n");
        assert!(ReceiptBody::verify(&forged, &key.verifier()).is_err());
    }
}
