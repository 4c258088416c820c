//! `bidhall draw verify TRANSCRIPT [--log-key KEY] [--json]`: reads a published transcript and
//! re-runs it offline with the `draws` verifier, a drand beacon against the chain's pinned key and,
//! with the log's key, the `audit` section; it needs no database and no network, and trusts
//! nothing in the file.
//! `bidhall draw commit|reveal`: a party's side of a draw from the command line. The 32 random
//! bytes are made on this machine and kept in a private file; only the commitment, and later the
//! bytes themselves, travel to the hall. The secret never appears in output or errors.

use crate::auditlog::note::NoteVerifier;
use crate::bids::cli::{client, get_json};
use crate::config::{ClientArgs, DrawCommand};
use crate::draws::audit::{verify_audit, AuditError};
use crate::draws::{commitment, verify_json, DrawOutcome, DrawVerifyError, SECRET_LEN};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum DrawCliError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the transcript does NOT verify, at step {step}: {error}", step = .error.step())]
    Verify { error: DrawVerifyError },
    #[error("cannot create the secret file {path}: {source}")]
    WriteSecret {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not a draw secret file: {why}")]
    BadSecret { path: PathBuf, why: &'static str },
    #[error("{0}")]
    Hall(String),
    #[error("the transcript's beacon does NOT verify: {0}")]
    Beacon(String),
    #[error("{path} is not a log verifier key: {why}")]
    BadLogKey { path: PathBuf, why: String },
    #[error("the transcript's audit section does NOT verify, at step {step}: {error}", step = .error.step())]
    Audit { error: AuditError },
    #[error("the transcript does NOT verify (the JSON report says why)")]
    Reported,
}

impl DrawCliError {
    /// The step code of `draw verify --json` (docs/draw.md §5): the verifier's own, or one of
    /// `unreadable`, `bad_log_key`, `beacon_unverified` and the audit section's.
    pub fn step(&self) -> &'static str {
        match self {
            DrawCliError::Read { .. } => "unreadable",
            DrawCliError::Verify { error } => error.step(),
            DrawCliError::Beacon(_) => "beacon_unverified",
            DrawCliError::BadLogKey { .. } => "bad_log_key",
            DrawCliError::Audit { error } => error.step(),
            DrawCliError::WriteSecret { .. }
            | DrawCliError::BadSecret { .. }
            | DrawCliError::Hall(_)
            | DrawCliError::Reported => "error",
        }
    }
}

/// A verified transcript: the text report and the `--json` object.
pub struct Checked {
    pub report: String,
    pub json: Value,
}

/// `draw verify`: the draw re-run (steps 0–20), a drand beacon against the chain's pinned key,
/// then, with the log's key, the `audit` section (step 21). Stops at the first difference.
pub fn verify_file(path: &Path, log_key: Option<&Path>) -> Result<Checked, DrawCliError> {
    let bytes = std::fs::read(path).map_err(|source| DrawCliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let verifier = match log_key {
        Some(k) => {
            let text = std::fs::read_to_string(k).map_err(|source| DrawCliError::Read {
                path: k.to_path_buf(),
                source,
            })?;
            Some(
                NoteVerifier::parse(text.trim()).map_err(|e| DrawCliError::BadLogKey {
                    path: k.to_path_buf(),
                    why: e.to_string(),
                })?,
            )
        }
        None => None,
    };
    let verified = verify_json(&bytes).map_err(|error| DrawCliError::Verify { error })?;
    let mut report = verified.to_string();
    let t: Value = serde_json::from_slice(&bytes).map_err(|e| DrawCliError::Verify {
        error: DrawVerifyError::MalformedTranscript {
            reason: e.to_string(),
        },
    })?;
    // The audit section first: the drand round is read from an audit entry, which only the
    // log's key makes more than the file's word.
    let audit = match &verifier {
        Some(key) => {
            let a = verify_audit(&t, &verified.draw_id, key)
                .map_err(|error| DrawCliError::Audit { error })?;
            report.push_str(&format!(
                "audit: {} entries of the draw proved in the log {} at tree size {}\n",
                a.entries.len(),
                a.origin,
                a.checkpoints
                    .iter()
                    .map(u64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
            json!({ "checked": true, "origin": a.origin, "checkpoints": a.checkpoints,
                    "entries": a.entries.iter().map(|(i, k)| json!({ "index": i, "type": k })).collect::<Vec<_>>() })
        }
        None => {
            report.push_str(
                "audit: not checked (give the log's key with --log-key to prove the audit entries)\n",
            );
            json!({ "checked": false })
        }
    };
    let beacon = super::drand::check_transcript_beacon(&t).map_err(DrawCliError::Beacon)?;
    if let Some(line) = &beacon {
        report.push_str(line);
    }
    let (outcome, result) = match &verified.outcome {
        DrawOutcome::Completed {
            seed,
            selected,
            reserves,
            panel,
            reserves_left,
        } => (
            "completed",
            json!({ "seed": hex::encode(seed), "selected": selected, "reserves": reserves,
                    "panel": panel, "reserves_left": reserves_left }),
        ),
        DrawOutcome::Failed { reason } => ("failed", json!({ "reason": reason.to_string() })),
    };
    let json = json!({
        "ok": true,
        "step": null,
        "message": format!("draw {}: transcript verified", verified.draw_id),
        "draw_id": verified.draw_id,
        "outcome": outcome,
        "result": result,
        "sealed": verified.sealed,
        "pool_size": verified.pool_size,
        "pool_hash": hex::encode(verified.pool_hash),
        "beacon": beacon.as_deref().map(str::trim_end),
        "audit": audit,
    });
    Ok(Checked { report, json })
}

/// A party's secret for one draw, as `draw commit` writes it and `draw reveal` reads it:
///
/// ```text
/// bidhall-draw/1 secret
/// draw <draw id>
/// party <party id>
/// r <64 lower-case hex digits>
/// ```
pub struct SecretFile {
    pub draw: String,
    pub party: String,
    pub r: [u8; SECRET_LEN],
}

const SECRET_HEADER: &str = "bidhall-draw/1 secret";

impl SecretFile {
    pub fn to_text(&self) -> String {
        format!(
            "{SECRET_HEADER}\ndraw {}\nparty {}\nr {}\n",
            self.draw,
            self.party,
            hex::encode(self.r)
        )
    }

    pub fn parse(text: &str) -> Result<SecretFile, &'static str> {
        let mut lines = text.lines();
        if lines.next() != Some(SECRET_HEADER) {
            return Err("it does not start with the bidhall-draw/1 secret header");
        }
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .and_then(|l| l.strip_prefix(' '))
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let draw = field("draw").ok_or("no draw line")?;
        let party = field("party").ok_or("no party line")?;
        let r = field("r").ok_or("no r line")?;
        let bytes = hex::decode(&r)
            .ok()
            .filter(|b| hex::encode(b) == r)
            .ok_or("r is not lower-case hex")?;
        let r = bytes.try_into().map_err(|_| "r is not 32 bytes")?;
        Ok(SecretFile { draw, party, r })
    }

    /// c = SHA-256(lp("bidhall-draw/1/commit") ‖ lp(draw) ‖ lp(party) ‖ r), hex.
    pub fn commitment_hex(&self) -> Result<String, String> {
        commitment(&self.draw, &self.party, &self.r)
            .map(hex::encode)
            .map_err(|e| e.to_string())
    }
}

/// Runs the command and returns the report to print.
pub async fn run(cmd: DrawCommand) -> Result<String, DrawCliError> {
    match cmd {
        DrawCommand::Verify {
            transcript,
            log_key,
            json,
        } => {
            let checked = verify_file(&transcript, log_key.as_deref());
            if !json {
                return checked.map(|v| v.report);
            }
            // Machine-readable: one JSON object on standard output, success or not; a failure
            // still ends with a non-zero exit status.
            let (value, ok) = match &checked {
                Ok(v) => (v.json.clone(), true),
                Err(e) => (
                    json!({ "ok": false, "step": e.step(), "message": e.to_string() }),
                    false,
                ),
            };
            let text = format!("{value}\n");
            if ok {
                Ok(text)
            } else {
                print!("{text}");
                Err(DrawCliError::Reported)
            }
        }
        DrawCommand::Commit {
            client: ca,
            draw,
            party,
            secret_out,
        } => commit(&ca, draw, party, &secret_out).await,
        DrawCommand::Reveal {
            client: ca,
            draw,
            secret,
        } => reveal(&ca, &draw, &secret).await,
    }
}

async fn commit(
    ca: &ClientArgs,
    draw: String,
    party: String,
    out: &Path,
) -> Result<String, DrawCliError> {
    let (c, base, token) = client(ca).map_err(DrawCliError::Hall)?;
    // The hall takes the party from the token: committing under another name could never be
    // revealed, so it is refused before anything is made or sent.
    let me = get_json(&c, &format!("{base}/api/me"), Some(&token))
        .await
        .map_err(DrawCliError::Hall)?;
    if me["org_id"].as_str() != Some(party.as_str()) {
        return Err(DrawCliError::Hall(format!(
            "signed in for organisation {}, not for party {party}",
            me["org_id"]
        )));
    }
    let view = get_json(&c, &format!("{base}/api/draws/{draw}"), None)
        .await
        .map_err(DrawCliError::Hall)?;
    let named = view["draw"]["parties"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p.as_str() == Some(party.as_str())));
    if !named {
        return Err(DrawCliError::Hall(format!(
            "{party} is not a party named in the announcement of draw {draw}"
        )));
    }
    if view["phase"] != "committing" {
        return Err(DrawCliError::Hall(format!(
            "draw {draw} is not taking commitments: it is {}",
            view["phase"]
        )));
    }
    let mut r = [0u8; SECRET_LEN];
    crate::identity::session::fill_random(&mut r);
    let secret = SecretFile { draw, party, r };
    let c_hex = secret.commitment_hex().map_err(DrawCliError::Hall)?;
    // On disk before it is committed to: a commitment whose secret was lost can never be revealed.
    crate::keyfile::write_private(out, secret.to_text().as_bytes()).map_err(|source| {
        DrawCliError::WriteSecret {
            path: out.to_path_buf(),
            source,
        }
    })?;
    let url = format!("{base}/api/draws/{}/commit", secret.draw);
    post_json(&c, &url, &token, &json!({ "commitment": c_hex })).await?;
    Ok(format!(
        "committed {c_hex} for party {} in draw {}; the secret is in {} (keep it until you reveal)\n",
        secret.party,
        secret.draw,
        out.display()
    ))
}

async fn reveal(ca: &ClientArgs, draw: &str, path: &Path) -> Result<String, DrawCliError> {
    let (c, base, token) = client(ca).map_err(DrawCliError::Hall)?;
    let text = std::fs::read_to_string(path).map_err(|source| DrawCliError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let secret = SecretFile::parse(&text).map_err(|why| DrawCliError::BadSecret {
        path: path.to_path_buf(),
        why,
    })?;
    if secret.draw != draw {
        return Err(DrawCliError::BadSecret {
            path: path.to_path_buf(),
            why: "it was made for another draw",
        });
    }
    let url = format!("{base}/api/draws/{draw}/reveal");
    post_json(&c, &url, &token, &json!({ "r": hex::encode(secret.r) })).await?;
    Ok(format!(
        "revealed for party {} in draw {draw}; it matches the commitment {}\n",
        secret.party,
        secret.commitment_hex().map_err(DrawCliError::Hall)?
    ))
}

/// POSTs `body`; the hall's refusal (its message, never the body sent) becomes the error.
async fn post_json(
    c: &reqwest::Client,
    url: &str,
    token: &str,
    body: &Value,
) -> Result<Value, DrawCliError> {
    let r = c
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .map_err(|e| DrawCliError::Hall(format!("{url}: {}", e.without_url())))?;
    let status = r.status();
    let answer: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(DrawCliError::Hall(format!(
            "{url}: {status}: {} ({})",
            answer["error"]["message"].as_str().unwrap_or("refused"),
            answer["error"]["code"].as_str().unwrap_or("")
        )));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_reads_back_as_written_and_refuses_anything_else() {
        let s = SecretFile {
            draw: "draw-2026-0001".into(),
            party: "platform".into(),
            r: core::array::from_fn(|i| i as u8),
        };
        let text = s.to_text();
        let back = SecretFile::parse(&text).unwrap();
        assert_eq!(
            (back.draw.as_str(), back.party.as_str()),
            ("draw-2026-0001", "platform")
        );
        assert_eq!(back.r, s.r);
        // docs/draw.md section 6: the commitment of `platform` with r = 00 01 … 1f
        assert_eq!(
            back.commitment_hex().unwrap(),
            "e5b4dbd12e691c6f6595582e18c8409233774b338b73ade01ae1ff2b370193c0"
        );
        for bad in [
            text.replace(SECRET_HEADER, "something else"),
            text.replace("r 00", "r 0"),
            text.replace("r 000102", "r 000102ff"),
            text.replace("r 0001", "r 00AB"),
            text.replace("party platform\n", ""),
        ] {
            assert!(SecretFile::parse(&bad).is_err(), "{bad}");
        }
    }
}
