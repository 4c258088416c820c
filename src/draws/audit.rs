//! The transcript's `audit` section checked against the audit log's key (docs/draw.md §4 and §5,
//! step 21): each entry's hash and inclusion proof in the signed checkpoint it is listed under,
//! and that the entry is about this draw. Pure code: the key is given, nothing is fetched; it
//! never vouches for an entry it could not prove.

use crate::auditlog::checkpoint::Checkpoint;
use crate::auditlog::merkle::{self, Hash};
use crate::auditlog::note::{self, NoteVerifier};
use serde_json::Value;

/// Why the `audit` section does not prove itself; each has a stable `step()` code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("the transcript has no audit section to check with the log key")]
    Missing,
    #[error("audit item {item}: {reason}")]
    Malformed { item: usize, reason: String },
    #[error("audit item {item}: the checkpoint is not signed by the log key ({reason})")]
    CheckpointSignature { item: usize, reason: String },
    #[error("audit item {item}: entry {index} is not in the log at tree size {size}: its hash and inclusion proof do not lead to the signed root ({reason})")]
    NotIncluded {
        item: usize,
        index: u64,
        size: u64,
        reason: String,
    },
    #[error("audit item {item}: entry {index} is about draw {found:?}, not {expected:?}")]
    ForeignEntry {
        item: usize,
        index: u64,
        expected: String,
        found: String,
    },
}

impl AuditError {
    /// The stable name of the step that failed.
    pub fn step(&self) -> &'static str {
        match self {
            AuditError::Missing => "audit_missing",
            AuditError::Malformed { .. } => "audit_malformed",
            AuditError::CheckpointSignature { .. } => "audit_checkpoint_signature",
            AuditError::NotIncluded { .. } => "audit_entry_not_included",
            AuditError::ForeignEntry { .. } => "audit_foreign_entry",
        }
    }
}

/// What a checked `audit` section proves.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditReport {
    /// The log's origin line.
    pub origin: String,
    /// The tree sizes of the checkpoints listed, in order.
    pub checkpoints: Vec<u64>,
    /// The entries proved, as (index, type), in the order listed.
    pub entries: Vec<(u64, String)>,
}

fn hash_of(v: &Value) -> Option<Hash> {
    let s = v.as_str()?;
    let bytes = hex::decode(s).ok().filter(|b| hex::encode(b) == s)?;
    bytes.try_into().ok()
}

/// Checks every item of `t["audit"]`. Items are checkpoints `{checkpoint, tree_size}` and entries
/// `{index, entry, inclusion_proof}`; an entry is proved in the checkpoint listed last before it.
/// The entry's bytes are the RFC 8785 form of `entry` (the log's entries are canonical JSON).
pub fn verify_audit(
    t: &Value,
    draw_id: &str,
    log_key: &NoteVerifier,
) -> Result<AuditReport, AuditError> {
    let items = t["audit"]
        .as_array()
        .filter(|a| !a.is_empty())
        .ok_or(AuditError::Missing)?;
    let mut report = AuditReport {
        origin: String::new(),
        checkpoints: Vec::new(),
        entries: Vec::new(),
    };
    let mut current: Option<Checkpoint> = None;
    let mut seen = std::collections::BTreeSet::new();
    for (i, item) in items.iter().enumerate() {
        let item_no = i + 1;
        let malformed = |reason: &str| AuditError::Malformed {
            item: item_no,
            reason: reason.to_owned(),
        };
        let Some(obj) = item.as_object() else {
            return Err(malformed("not an object"));
        };
        if let Some(text) = obj.get("checkpoint") {
            let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
            if keys != ["checkpoint", "tree_size"] {
                return Err(malformed("a checkpoint item is {checkpoint, tree_size}"));
            }
            let text = text
                .as_str()
                .ok_or_else(|| malformed("checkpoint is not text"))?;
            let opened = note::open(text, std::slice::from_ref(log_key)).map_err(|e| {
                AuditError::CheckpointSignature {
                    item: item_no,
                    reason: e.to_string(),
                }
            })?;
            let cp = Checkpoint::parse(&opened.text)
                .map_err(|e| malformed(&format!("not a checkpoint: {e}")))?;
            if obj["tree_size"].as_u64() != Some(cp.size) {
                return Err(malformed("tree_size differs from the signed checkpoint's"));
            }
            report.origin = cp.origin.clone();
            report.checkpoints.push(cp.size);
            current = Some(cp);
            continue;
        }
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        if keys != ["entry", "inclusion_proof", "index"] {
            return Err(malformed(
                "an entry item is {index, entry, inclusion_proof}",
            ));
        }
        let cp = current
            .as_ref()
            .ok_or_else(|| malformed("an entry listed before any checkpoint"))?;
        let index = obj["index"]
            .as_u64()
            .ok_or_else(|| malformed("index is not a whole number"))?;
        if !seen.insert(index) {
            return Err(malformed("an entry listed twice"));
        }
        let proof = obj["inclusion_proof"]
            .as_array()
            .ok_or_else(|| malformed("inclusion_proof is not a list"))?
            .iter()
            .map(hash_of)
            .collect::<Option<Vec<Hash>>>()
            .ok_or_else(|| {
                malformed("an inclusion proof hash is not 32 bytes of lower-case hex")
            })?;
        let bytes = crate::canonical::canonicalize(&obj["entry"]);
        merkle::verify_inclusion(&merkle::leaf_hash(&bytes), index, cp.size, &proof, &cp.root)
            .map_err(|e| AuditError::NotIncluded {
                item: item_no,
                index,
                size: cp.size,
                reason: format!("{e:?}"),
            })?;
        let about = obj["entry"]["payload"]["draw"].as_str().unwrap_or_default();
        if about != draw_id {
            return Err(AuditError::ForeignEntry {
                item: item_no,
                index,
                expected: draw_id.to_owned(),
                found: about.to_owned(),
            });
        }
        let kind = obj["entry"]["type"].as_str().unwrap_or_default();
        report.entries.push((index, kind.to_owned()));
    }
    if report.entries.is_empty() {
        return Err(AuditError::Malformed {
            item: items.len(),
            reason: "no entry of the draw is listed".into(),
        });
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auditlog::merkle::MemoryTree;
    use crate::auditlog::note::NoteSigner;
    use serde_json::json;

    /// A log of five entries, the last three about `draw-1`, and its audit section.
    fn fixture() -> (NoteSigner, Value) {
        let signer = NoteSigner::from_seed("bidhall.test/log", [7; 32]).unwrap();
        let entries: Vec<Value> = (0..5)
            .map(|i| {
                let draw = if i < 2 { "other" } else { "draw-1" };
                json!({"actor":{"kind":"system"},"at":"2027-03-01T01:00:00.000Z","payload":{"draw":draw,"n":i},"type":"draw_committed"})
            })
            .collect();
        let mut tree = MemoryTree::new();
        for e in &entries {
            tree.append_entry(&crate::canonical::canonicalize(e));
        }
        let body = Checkpoint::new("bidhall.test/log", 5, tree.root())
            .unwrap()
            .to_body();
        let cp = note::sign(&body, &[&signer]).unwrap();
        let mut audit = vec![json!({ "checkpoint": cp, "tree_size": 5 })];
        for (i, e) in entries.iter().enumerate().skip(2) {
            let proof = tree.inclusion_proof(i as u64, 5).unwrap();
            audit.push(json!({
                "index": i, "entry": e,
                "inclusion_proof": proof.iter().map(hex::encode).collect::<Vec<_>>(),
            }));
        }
        (signer, json!({ "draw_id": "draw-1", "audit": audit }))
    }

    #[test]
    fn a_genuine_audit_section_proves_each_entry_and_any_forgery_is_named() {
        let (signer, t) = fixture();
        let key = signer.verifier();
        let report = verify_audit(&t, "draw-1", &key).unwrap();
        assert_eq!(report.checkpoints, vec![5]);
        assert_eq!(report.entries.len(), 3);
        type Tamper = fn(&mut Value);
        let cases: [(&str, Tamper); 7] = [
            ("audit_missing", |t| t["audit"] = json!([])),
            ("audit_entry_not_included", |t| {
                t["audit"][2]["entry"]["payload"]["n"] = json!(9)
            }),
            ("audit_entry_not_included", |t| {
                t["audit"][1]["inclusion_proof"][0] = json!("00".repeat(32))
            }),
            ("audit_entry_not_included", |t| {
                t["audit"][3]["index"] = json!(1)
            }),
            ("audit_checkpoint_signature", |t| {
                let text = t["audit"][0]["checkpoint"].as_str().unwrap().to_string();
                t["audit"][0]["checkpoint"] = json!(text.replacen("\n5\n", "\n6\n", 1));
            }),
            ("audit_malformed", |t| {
                let first = t["audit"][0].clone();
                t["audit"][0] = t["audit"][1].clone();
                t["audit"][1] = first;
            }),
            ("audit_malformed", |t| t["audit"][0]["tree_size"] = json!(4)),
        ];
        for (step, tamper) in cases {
            let mut forged = t.clone();
            tamper(&mut forged);
            let err = verify_audit(&forged, "draw-1", &key).unwrap_err();
            assert_eq!(err.step(), step, "{err}");
        }
        // a genuine entry of another draw, with its genuine proof
        let err = verify_audit(&t, "draw-2", &key).unwrap_err();
        assert_eq!(err.step(), "audit_foreign_entry", "{err}");
        // another log's key
        let other = NoteSigner::from_seed("bidhall.test/log", [8; 32]).unwrap();
        let err = verify_audit(&t, "draw-1", &other.verifier()).unwrap_err();
        assert_eq!(err.step(), "audit_checkpoint_signature", "{err}");
    }
}
