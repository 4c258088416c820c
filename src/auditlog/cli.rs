//! `bidhall log export|verify|prove`: the auditor's commands, printing what they checked.

use super::cosignature::CosignatureVerifier;
use super::offline::{self, Receipt};
use super::service::LogKeys;
use crate::config::LogCommand;

pub async fn run(cmd: LogCommand) -> Result<(), String> {
    match cmd {
        LogCommand::Export { dir, store, log } => {
            let keys = LogKeys::load_or_create(&log.key_file(&store), &log.log_origin, &[])
                .map_err(|e| e.to_string())?;
            let db = crate::store::open(&store.database_url())
                .await
                .map_err(|e| e.to_string())?;
            let vkey = keys.verifier().to_string();
            let s = offline::export_from_store(db, &dir, &vkey).await?;
            println!(
                "exported {} entries, {} checkpoints, {} tiles, {} entry bundles; root {}",
                s.entries,
                s.checkpoints,
                s.tiles,
                s.bundles,
                hex::encode(s.root)
            );
            Ok(())
        }
        LogCommand::Verify { dir, witness_keys } => {
            let witnesses = witness_keys
                .iter()
                .map(|k| {
                    CosignatureVerifier::parse(k.trim())
                        .map_err(|e| format!("witness key {k:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let started = std::time::Instant::now();
            let r = tokio::task::spawn_blocking(move || {
                super::export::verify_with_witnesses(&dir, &witnesses)
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("verification FAILED: {e}"))?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "verified {}: {} entries, {} checkpoints, {} tiles; root at size {} is {} ({:.2} s, {:.0} entries/s)",
                r.origin,
                r.entries,
                r.checkpoints_checked,
                r.tiles_checked,
                r.final_size,
                hex::encode(r.final_root),
                secs,
                r.entries as f64 / secs.max(1e-9)
            );
            for w in &r.witnesses {
                println!(
                    "witness {}: {} checkpoint(s) cosigned, the largest at size {}",
                    w.witness, w.checkpoints, w.largest_size
                );
            }
            Ok(())
        }
        LogCommand::CheckLetter { letter, key } => {
            let text = std::fs::read_to_string(&letter)
                .map_err(|e| format!("{}: {e}", letter.display()))?;
            let item: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not JSON: {e}", letter.display()))?;
            let vkey =
                std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
            let verifier = super::note::NoteVerifier::parse(vkey.trim())
                .map_err(|e| format!("{}: not a log key: {e}", key.display()))?;
            let signature = item["signature"].as_str().unwrap_or_default();
            crate::award::letter::verify(&item["letter"], signature, &verifier)
                .map_err(|e| format!("letter FAILED: {e}"))?;
            println!(
                "the letter {} ({}) to {} is signed by {}",
                crate::award::letter::sha256(&item["letter"]),
                item["letter"]["kind"].as_str().unwrap_or_default(),
                item["letter"]["to"]["org_name"]
                    .as_str()
                    .unwrap_or_default(),
                verifier.name()
            );
            Ok(())
        }
        LogCommand::Prove { receipt, key } => {
            let text = std::fs::read_to_string(&receipt)
                .map_err(|e| format!("{}: {e}", receipt.display()))?;
            let r: Receipt = serde_json::from_str(&text)
                .map_err(|e| format!("{}: not a receipt: {e}", receipt.display()))?;
            let vkey =
                std::fs::read_to_string(&key).map_err(|e| format!("{}: {e}", key.display()))?;
            let p = offline::prove(&r, &vkey).map_err(|e| format!("proof FAILED: {e}"))?;
            println!(
                "entry {} is in {} at tree size {} (root {})\n{}",
                p.index,
                p.origin,
                p.tree_size,
                p.root_hex,
                serde_json::to_string_pretty(&p.entry).unwrap_or_default()
            );
            Ok(())
        }
    }
}
