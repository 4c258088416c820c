//! `bidhall draw verify TRANSCRIPT`: reads a published transcript and re-runs it offline with the
//! `draws` verifier. It needs no database and no network, and trusts nothing in the file.

use crate::config::DrawCommand;
use crate::draws::{verify_json, DrawVerifyError};
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum DrawCliError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the transcript does NOT verify, at step {step}: {error}", step = .error.step())]
    Verify { error: DrawVerifyError },
}

/// Runs the command and returns the report to print.
pub fn run(cmd: DrawCommand) -> Result<String, DrawCliError> {
    match cmd {
        DrawCommand::Verify { transcript } => {
            let bytes = std::fs::read(&transcript).map_err(|source| DrawCliError::Read {
                path: transcript.clone(),
                source,
            })?;
            verify_json(&bytes)
                .map(|v| v.to_string())
                .map_err(|error| DrawCliError::Verify { error })
        }
    }
}
