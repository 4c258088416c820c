//! The sandbox bank's memory: an append-only journal of JSON lines, each fsynced before the bank
//! answers, replayed on start. A line torn by a crash mid-write is dropped (it was never
//! answered); any other unreadable line stops the bank rather than guess.

use super::access::AccessDigest;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What happened at the bank, in the order it happened. The state is a fold over these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case", deny_unknown_fields)]
pub enum Event {
    /// A payer account. `access_sha256` is the SHA-256 of its access code, never the code; lines
    /// written before codes existed have none, and their accounts stay locked (no code opens them).
    AccountOpened {
        account: String,
        name: String,
        balance_fen: i64,
        at_ms: i64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        access_sha256: Option<AccessDigest>,
    },
    /// A payer's transfer into the hall's clearing account, to a sub-account.
    Transferred {
        bank_txn_id: String,
        from_account: String,
        to_sub_account: String,
        amount_fen: i64,
        at_ms: i64,
    },
    /// A refund the hall instructed, paid out of the clearing account.
    RefundPaid {
        bank_txn_id: String,
        instruction_id: String,
        to_account: String,
        to_name: String,
        amount_fen: i64,
        at_ms: i64,
    },
    /// The hall gave a final answer to a queued notification: no more attempts.
    Settled {
        bank_txn_id: String,
        status: u16,
        answer: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    #[error("journal {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("journal {path}, line {line}: {what}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        what: String,
    },
}

pub struct Journal {
    path: PathBuf,
    file: File,
}

impl Journal {
    /// Opens (or creates) the journal and reads back every event in it.
    pub fn open(path: &Path) -> Result<(Journal, Vec<Event>), JournalError> {
        let io = |source| JournalError::Io {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)
            .map_err(io)?;
        let mut events = Vec::new();
        let mut good_len: u64 = 0;
        let mut reader = BufReader::new(&file);
        let mut line = String::new();
        let mut n = 0;
        loop {
            line.clear();
            let read = reader.read_line(&mut line).map_err(io)?;
            if read == 0 {
                break;
            }
            n += 1;
            if !line.ends_with('\n') {
                // Torn by a crash before its fsync returned: never acknowledged, so dropped.
                break;
            }
            let event =
                serde_json::from_str(line.trim_end()).map_err(|e| JournalError::Corrupt {
                    path: path.to_owned(),
                    line: n,
                    what: e.to_string(),
                })?;
            events.push(event);
            good_len += read as u64;
        }
        drop(reader);
        if file.metadata().map_err(io)?.len() != good_len {
            file.set_len(good_len).map_err(io)?;
            file.seek(SeekFrom::End(0)).map_err(io)?;
        }
        Ok((
            Journal {
                path: path.to_owned(),
                file,
            },
            events,
        ))
    }

    /// Appends one event and returns only once it is on disk.
    pub fn append(&mut self, event: &Event) -> Result<(), JournalError> {
        let io = |source| JournalError::Io {
            path: self.path.clone(),
            source,
        };
        let mut line = serde_json::to_vec(event).map_err(|e| io(e.into()))?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io)?;
        self.file.sync_data().map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_torn_last_line_is_dropped_and_the_rest_replayed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        let e = Event::Settled {
            bank_txn_id: "SBX1".into(),
            status: 200,
            answer: "{}".into(),
        };
        {
            let (mut j, events) = Journal::open(&path).unwrap();
            assert!(events.is_empty());
            j.append(&e).unwrap();
        }
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"event\":\"settled\",\"bank_").unwrap();
        drop(f);
        let (mut j, events) = Journal::open(&path).unwrap();
        assert_eq!(events, vec![e.clone()]);
        j.append(&e).unwrap();
        let (_, events) = Journal::open(&path).unwrap();
        assert_eq!(events, vec![e.clone(), e]);
    }

    #[test]
    fn an_account_opened_before_access_codes_still_replays_without_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(
            &path,
            "{\"event\":\"account_opened\",\"account\":\"62220201000000000001\",\"name\":\"某公司\",\"balance_fen\":100,\"at_ms\":0}\n",
        )
        .unwrap();
        let (_, events) = Journal::open(&path).unwrap();
        assert!(matches!(
            &events[..],
            [Event::AccountOpened {
                access_sha256: None,
                ..
            }]
        ));
    }

    #[test]
    fn a_corrupt_line_in_the_middle_stops_the_bank() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal.jsonl");
        std::fs::write(&path, "not json\n{}\n").unwrap();
        assert!(matches!(
            Journal::open(&path),
            Err(JournalError::Corrupt { line: 1, .. })
        ));
    }
}
