//! The offline verifier behind `bidhall draw verify`: re-runs a transcript step by step and names the
//! first step that differs. It trusts nothing in the transcript but its inputs, must never skip a
//! step to be lenient, and checks steps in the order `docs/draw.md` lists (the JS verifier mirrors it).

use std::collections::BTreeSet;
use std::fmt;

use crate::draws::deadline::parse_utc;
use crate::draws::protocol::{commitment, derive_seed, shuffle, SeedInput, Stream, SECRET_LEN};
use crate::draws::sealed::{member_commitment, position_handle, sealed_pool_hash, Opening};
use crate::draws::{
    Candidate, DrawError, DrawVerifyError, MissedRevealRule, Pool, ReplacementProblem, Transcript,
    ALGORITHM,
};

/// A transcript that re-ran to the same values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedDraw {
    pub draw_id: String,
    pub pool_hash: [u8; SECRET_LEN],
    pub pool_size: usize,
    /// The pool is sealed: the result and replacements name positions ("1", "2", …).
    pub sealed: bool,
    /// The sealed pool's members in position order, each checked against its commitment; empty
    /// for an open pool and for a sealed pool not yet opened.
    pub opened: Vec<Candidate>,
    /// Parties whose reveal entered the seed, in seed order (bytewise by id).
    pub revealed: Vec<String>,
    pub missed: Vec<String>,
    pub outcome: DrawOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrawOutcome {
    Completed {
        seed: [u8; SECRET_LEN],
        /// As drawn, before any replacement.
        selected: Vec<String>,
        /// As drawn, in order.
        reserves: Vec<String>,
        /// The selection after the recorded replacements.
        panel: Vec<String>,
        /// Reserves not yet brought in, in order.
        reserves_left: Vec<String>,
    },
    /// The draw failed publicly; it has no seed and no result, and a new draw must be announced.
    Failed { reason: DrawFailure },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DrawFailure {
    /// Nobody revealed.
    NoReveals,
    /// A party missed its reveal and no beacon was announced, so the last to reveal could have chosen.
    MissedRevealWithoutBeacon,
    /// A party missed its reveal and the announced rule was to fail the draw.
    MissedRevealUnderFailRule,
}

impl fmt::Display for DrawFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DrawFailure::NoReveals => "no party revealed",
            DrawFailure::MissedRevealWithoutBeacon => {
                "a party missed its reveal and no beacon was announced"
            }
            DrawFailure::MissedRevealUnderFailRule => {
                "a party missed its reveal and the announced rule fails the draw"
            }
        })
    }
}

impl fmt::Display for VerifiedDraw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "draw {}: transcript verified ({ALGORITHM})",
            self.draw_id
        )?;
        if self.sealed {
            writeln!(
                f,
                "pool: {} sealed members (commitments only), hash {}",
                self.pool_size,
                hex::encode(self.pool_hash)
            )?;
            if self.opened.is_empty() {
                writeln!(
                    f,
                    "names: not yet opened; the result names positions in the sealed pool"
                )?;
            } else {
                writeln!(
                    f,
                    "names: all {} openings match their commitments",
                    self.opened.len()
                )?;
            }
        } else {
            writeln!(
                f,
                "pool: {} candidates, hash {}",
                self.pool_size,
                hex::encode(self.pool_hash)
            )?;
        }
        writeln!(f, "revealed: {}", list(&self.revealed))?;
        if !self.missed.is_empty() {
            writeln!(f, "missed the reveal: {}", list(&self.missed))?;
        }
        match &self.outcome {
            DrawOutcome::Completed {
                seed,
                selected,
                reserves,
                panel,
                reserves_left,
            } => {
                let named = |items: &[String]| list(&self.named(items));
                writeln!(f, "seed: {}", hex::encode(seed))?;
                writeln!(f, "selected: {}", named(selected))?;
                writeln!(f, "reserves: {}", named(reserves))?;
                if panel != selected {
                    writeln!(f, "after replacements: {}", named(panel))?;
                    writeln!(f, "reserves left: {}", named(reserves_left))?;
                }
                Ok(())
            }
            DrawOutcome::Failed { reason } => {
                writeln!(f, "the draw FAILED publicly: {reason}; it has no result")
            }
        }
    }
}

impl VerifiedDraw {
    /// Result handles as a person reads them: ids, or for a sealed pool "#position", followed by
    /// the opened id and name once the pool is opened.
    pub fn named(&self, handles: &[String]) -> Vec<String> {
        if !self.sealed {
            return handles.to_vec();
        }
        handles
            .iter()
            .map(|h| {
                let opened = h
                    .parse::<usize>()
                    .ok()
                    .and_then(|p| p.checked_sub(1))
                    .and_then(|k| self.opened.get(k));
                match opened {
                    Some(c) => format!("#{h} {} ({})", c.name, c.id),
                    None => format!("#{h}"),
                }
            })
            .collect()
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

/// Parses a transcript and verifies it: what `bidhall draw verify TRANSCRIPT` runs.
pub fn verify_json(bytes: &[u8]) -> Result<VerifiedDraw, DrawVerifyError> {
    let transcript: Transcript =
        serde_json::from_slice(bytes).map_err(|e| DrawVerifyError::MalformedTranscript {
            reason: e.to_string(),
        })?;
    verify(&transcript)
}

/// Re-runs every step of the transcript and compares each recorded value with the re-run.
pub fn verify(t: &Transcript) -> Result<VerifiedDraw, DrawVerifyError> {
    let mut draw = rerun(t)?;
    match &mut draw.outcome {
        DrawOutcome::Failed { .. } => {
            if t.seed.is_some() {
                return Err(DrawVerifyError::FailedDrawHasResult { field: "seed" });
            }
            if t.result.is_some() {
                return Err(DrawVerifyError::FailedDrawHasResult { field: "result" });
            }
            if !t.replacements.is_empty() {
                return Err(DrawVerifyError::FailedDrawHasResult {
                    field: "replacement",
                });
            }
        }
        DrawOutcome::Completed {
            seed,
            selected,
            reserves,
            panel,
            reserves_left,
        } => {
            let found = t.seed.as_deref().ok_or(DrawVerifyError::SeedMissing)?;
            let found_seed = decode_fixed("seed", found)?;
            if found_seed != *seed {
                return Err(DrawVerifyError::SeedMismatch {
                    expected: hex::encode(seed),
                    found: found.to_owned(),
                });
            }
            let result = t.result.as_ref().ok_or(DrawVerifyError::ResultMissing)?;
            if result.selected.len() != selected.len() {
                return Err(DrawVerifyError::SelectionCountMismatch {
                    expected: selected.len(),
                    found: result.selected.len(),
                });
            }
            if result.reserves.len() != reserves.len() {
                return Err(DrawVerifyError::ReserveCountMismatch {
                    expected: reserves.len(),
                    found: result.reserves.len(),
                });
            }
            if let Some((k, (want, got))) = selected
                .iter()
                .zip(&result.selected)
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                return Err(DrawVerifyError::SelectionMismatch {
                    position: k + 1,
                    expected: want.clone(),
                    found: got.clone(),
                });
            }
            if let Some((k, (want, got))) = reserves
                .iter()
                .zip(&result.reserves)
                .enumerate()
                .find(|(_, (a, b))| a != b)
            {
                return Err(DrawVerifyError::ReserveMismatch {
                    position: k + 1,
                    expected: want.clone(),
                    found: got.clone(),
                });
            }
            let mut next = 0;
            for (k, rep) in t.replacements.iter().enumerate() {
                let invalid = |problem| DrawVerifyError::ReplacementInvalid {
                    number: k + 1,
                    problem,
                };
                let seat = panel
                    .iter()
                    .position(|id| *id == rep.replaced)
                    .ok_or_else(|| {
                        invalid(ReplacementProblem::NotOnPanel {
                            id: rep.replaced.clone(),
                        })
                    })?;
                let expected = reserves.get(next).ok_or_else(|| {
                    invalid(ReplacementProblem::NoReserveLeft {
                        found: rep.replacement.clone(),
                    })
                })?;
                if *expected != rep.replacement {
                    return Err(invalid(ReplacementProblem::NotNextReserve {
                        expected: expected.clone(),
                        found: rep.replacement.clone(),
                    }));
                }
                panel[seat] = expected.clone();
                next += 1;
            }
            *reserves_left = reserves[next..].to_vec();
        }
    }
    if let (Some(sealed), Some(openings)) = (&t.sealed_pool, &t.openings) {
        draw.opened = check_openings(&t.draw_id, sealed, openings)?;
    }
    Ok(draw)
}

/// Step 20: every position of the sealed pool opened exactly once, each opening matching its
/// commitment, and the opened ids in bytewise order along the positions.
fn check_openings(
    draw_id: &str,
    sealed: &[String],
    openings: &[Opening],
) -> Result<Vec<Candidate>, DrawVerifyError> {
    let mut opened: Vec<Option<Candidate>> = vec![None; sealed.len()];
    for (k, o) in openings.iter().enumerate() {
        let invalid = |problem| DrawVerifyError::OpeningInvalid {
            number: k + 1,
            problem,
        };
        let position = o.position as usize;
        if position == 0 || position > sealed.len() {
            return Err(invalid("its position is not in the sealed pool"));
        }
        if opened[position - 1].is_some() {
            return Err(invalid("its position was opened before"));
        }
        let salt = decode_fixed(&format!("salt of opening {}", k + 1), &o.salt)?;
        // The same rules as an open pool's candidates (section 3.1).
        let candidate = Pool::new([Candidate::new(o.id.clone(), o.name.clone())])
            .map_err(DrawVerifyError::PoolInvalid)?
            .candidates()[0]
            .clone();
        let recomputed =
            member_commitment(draw_id, &o.id, &o.name, &salt).map_err(protocol_error)?;
        if hex::encode(recomputed) != sealed[position - 1] {
            return Err(DrawVerifyError::OpeningMismatch { position });
        }
        opened[position - 1] = Some(candidate);
    }
    let mut members = Vec::with_capacity(sealed.len());
    for (k, slot) in opened.into_iter().enumerate() {
        members.push(slot.ok_or(DrawVerifyError::OpeningMissing { position: k + 1 })?);
    }
    let mut ids: Vec<&str> = members.iter().map(|c| c.id.as_str()).collect();
    ids.sort_unstable();
    if let Some(pair) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(DrawVerifyError::PoolInvalid(
            DrawError::DuplicateCandidate {
                id: pair[0].to_owned(),
            },
        ));
    }
    if let Some(k) = members.windows(2).position(|w| w[0].id >= w[1].id) {
        return Err(DrawVerifyError::OpeningOutOfOrder {
            position: k + 1,
            next: k + 2,
        });
    }
    Ok(members)
}

/// Every check that does not look at the recorded seed, result or replacements, then the re-run
/// itself. `Transcript::conduct` uses it to fill those in, so both sides share one computation.
pub(crate) fn rerun(t: &Transcript) -> Result<VerifiedDraw, DrawVerifyError> {
    // Step 0, the shape serde cannot express: one pool, open or sealed; openings only if sealed.
    let malformed = |reason: &str| DrawVerifyError::MalformedTranscript {
        reason: reason.to_owned(),
    };
    match (&t.pool, &t.sealed_pool) {
        (Some(_), Some(_)) => {
            return Err(malformed(
                "the transcript carries both an open pool and a sealed pool",
            ))
        }
        (None, None) => return Err(malformed("the transcript carries no pool")),
        _ => {}
    }
    if t.openings.is_some() && t.sealed_pool.is_none() {
        return Err(malformed("openings belong to a sealed pool only"));
    }

    // Step 1: the announcement.
    if t.algorithm != ALGORITHM {
        return Err(DrawVerifyError::BadAlgorithm {
            found: t.algorithm.clone(),
        });
    }
    if t.draw_id.is_empty() {
        return Err(DrawVerifyError::EmptyDrawId);
    }
    if t.select_count == 0 {
        return Err(DrawVerifyError::NothingToSelect);
    }
    if t.parties.is_empty() {
        return Err(DrawVerifyError::NoParties);
    }
    let mut announced = BTreeSet::new();
    for party in &t.parties {
        if party.is_empty() {
            return Err(DrawVerifyError::EmptyPartyId);
        }
        if !announced.insert(party.as_str()) {
            return Err(DrawVerifyError::DuplicateParty {
                list: "parties",
                party: party.clone(),
            });
        }
    }
    check_deadlines(t)?;
    if t.beacon.is_none() && t.missed_reveal_rule == MissedRevealRule::ExcludeParty {
        return Err(DrawVerifyError::ExcludeWithoutBeacon);
    }

    // Step 2: the frozen pool, open (candidates) or sealed (commitments in position order). The
    // draw runs over `handles`: the ids in line order, or the positions "1" … "N".
    let (pool_hash, handles) = match (&t.pool, &t.sealed_pool) {
        (Some(candidates), _) => {
            let pool =
                Pool::new(candidates.iter().cloned()).map_err(DrawVerifyError::PoolInvalid)?;
            (pool.hash(), pool.ids())
        }
        (None, sealed) => {
            let sealed = sealed.as_deref().unwrap_or_default();
            let mut commitments = Vec::with_capacity(sealed.len());
            for (k, c) in sealed.iter().enumerate() {
                commitments.push(decode_fixed(&format!("sealed_pool[{}]", k + 1), c)?);
            }
            let mut sorted: Vec<(&[u8; SECRET_LEN], usize)> = commitments.iter().zip(1..).collect();
            sorted.sort_unstable();
            if let Some(w) = sorted.windows(2).find(|w| w[0].0 == w[1].0) {
                let (first, second) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
                return Err(DrawVerifyError::PoolInvalid(
                    DrawError::DuplicateCommitment { first, second },
                ));
            }
            let handles = (1..=commitments.len()).map(position_handle).collect();
            (sealed_pool_hash(&commitments), handles)
        }
    };
    if decode_fixed("pool_hash", &t.pool_hash)? != pool_hash {
        return Err(DrawVerifyError::PoolHashMismatch {
            expected: hex::encode(pool_hash),
            found: t.pool_hash.clone(),
        });
    }
    let needed = t.select_count as usize + t.reserve_count as usize;
    if handles.len() < needed {
        return Err(DrawVerifyError::PoolTooSmall {
            pool: handles.len(),
            needed,
        });
    }

    // Step 3: commitments.
    let mut committed = BTreeSet::new();
    let mut commitments: Vec<(&str, [u8; SECRET_LEN])> = Vec::new();
    for c in &t.commitments {
        known_once("commitments", &announced, &mut committed, &c.party)?;
        let value = decode_fixed(&format!("commitment of party {:?}", c.party), &c.commitment)?;
        commitments.push((&c.party, value));
    }

    // Step 4: reveals, each against its commitment.
    let mut inputs: Vec<SeedInput> = Vec::new();
    let mut revealed = BTreeSet::new();
    for r in &t.reveals {
        known_once("reveals", &announced, &mut revealed, &r.party)?;
        let value = decode_fixed(&format!("r of party {:?}", r.party), &r.r)?;
        let committed = commitments
            .iter()
            .find(|(p, _)| *p == r.party)
            .map(|(_, c)| *c)
            .ok_or_else(|| DrawVerifyError::RevealMissingCommitment {
                party: r.party.clone(),
            })?;
        let recomputed = commitment(&t.draw_id, &r.party, &value).map_err(protocol_error)?;
        if recomputed != committed {
            return Err(DrawVerifyError::CommitmentMismatch {
                party: r.party.clone(),
            });
        }
        inputs.push(SeedInput {
            party: r.party.clone(),
            commitment: committed,
            r: value,
        });
    }
    let mut missed = BTreeSet::new();
    for party in &t.missed_reveals {
        known_once("missed_reveals", &announced, &mut missed, party)?;
        if revealed.contains(party.as_str()) {
            return Err(DrawVerifyError::RevealedAndMissed {
                party: party.clone(),
            });
        }
    }
    for party in &t.parties {
        if !revealed.contains(party.as_str()) && !missed.contains(party.as_str()) {
            return Err(DrawVerifyError::PartyUnaccounted {
                party: party.clone(),
            });
        }
    }

    // Step 5: the beacon.
    let beacon_value = match t.beacon.as_ref().and_then(|b| b.value.as_deref()) {
        Some(text) => Some(decode_hex("beacon.value", text)?),
        None => None,
    };

    let mut revealed_ids: Vec<String> = inputs.iter().map(|i| i.party.clone()).collect();
    revealed_ids.sort();
    let failure = if inputs.is_empty() {
        Some(DrawFailure::NoReveals)
    } else if missed.is_empty() {
        None
    } else if t.beacon.is_none() {
        Some(DrawFailure::MissedRevealWithoutBeacon)
    } else if t.missed_reveal_rule == MissedRevealRule::FailDraw {
        Some(DrawFailure::MissedRevealUnderFailRule)
    } else {
        None
    };
    let outcome = match failure {
        Some(reason) => DrawOutcome::Failed { reason },
        None => {
            if t.beacon.is_some() && beacon_value.is_none() {
                return Err(DrawVerifyError::BeaconValueMissing);
            }
            // Steps 6 and 7: the seed, the stream and the partial Fisher–Yates.
            let seed = derive_seed(&t.draw_id, &pool_hash, &inputs, beacon_value.as_deref())
                .map_err(protocol_error)?;
            let selection = shuffle(
                &handles,
                t.select_count as usize,
                t.reserve_count as usize,
                &mut Stream::new(&seed),
            )
            .map_err(protocol_error)?;
            DrawOutcome::Completed {
                seed,
                panel: selection.selected.clone(),
                reserves_left: selection.reserves.clone(),
                selected: selection.selected,
                reserves: selection.reserves,
            }
        }
    };
    Ok(VerifiedDraw {
        draw_id: t.draw_id.clone(),
        pool_hash,
        pool_size: handles.len(),
        sealed: t.sealed_pool.is_some(),
        opened: Vec::new(),
        revealed: revealed_ids,
        missed: t.missed_reveals.clone(),
        outcome,
    })
}

fn check_deadlines(t: &Transcript) -> Result<(), DrawVerifyError> {
    let parse = |which: &'static str, value: &str| {
        parse_utc(value).ok_or_else(|| DrawVerifyError::BadDeadline {
            which,
            value: value.to_owned(),
        })
    };
    let commit = parse("commit", &t.deadlines.commit)?;
    let reveal = parse("reveal", &t.deadlines.reveal)?;
    let beacon = match &t.deadlines.beacon {
        Some(value) => Some(parse("beacon", value)?),
        None => None,
    };
    if commit >= reveal {
        return Err(DrawVerifyError::DeadlinesOutOfOrder {
            earlier: "commit",
            later: "reveal",
        });
    }
    match (beacon, &t.beacon) {
        (Some(beacon), Some(_)) if reveal >= beacon => Err(DrawVerifyError::DeadlinesOutOfOrder {
            earlier: "reveal",
            later: "beacon",
        }),
        (Some(_), Some(_)) | (None, None) => Ok(()),
        _ => Err(DrawVerifyError::BeaconDeadlineMismatch),
    }
}

/// The party was announced and appears in `list` for the first time (it is then recorded as seen).
fn known_once<'a>(
    list: &'static str,
    announced: &BTreeSet<&str>,
    seen: &mut BTreeSet<&'a str>,
    party: &'a str,
) -> Result<(), DrawVerifyError> {
    if !announced.contains(party) {
        return Err(DrawVerifyError::UnknownParty {
            list,
            party: party.to_owned(),
        });
    }
    if !seen.insert(party) {
        return Err(DrawVerifyError::DuplicateParty {
            list,
            party: party.to_owned(),
        });
    }
    Ok(())
}

/// Lower-case, even-length, non-empty hex only: one spelling per value keeps transcripts canonical.
fn decode_hex(field: &str, text: &str) -> Result<Vec<u8>, DrawVerifyError> {
    let well_formed = !text.is_empty()
        && text.len().is_multiple_of(2)
        && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let malformed = || DrawVerifyError::MalformedHex {
        field: field.to_owned(),
    };
    if !well_formed {
        return Err(malformed());
    }
    hex::decode(text).map_err(|_| malformed())
}

fn decode_fixed(field: &str, text: &str) -> Result<[u8; SECRET_LEN], DrawVerifyError> {
    let bytes = decode_hex(field, text)?;
    <[u8; SECRET_LEN]>::try_from(bytes.as_slice()).map_err(|_| DrawVerifyError::WrongLength {
        field: field.to_owned(),
        expected: SECRET_LEN,
        found: bytes.len(),
    })
}

/// Protocol errors can only arise here from lengths a JSON transcript cannot reach or from states the
/// checks above already refused; they are still reported, never unwrapped.
fn protocol_error(e: DrawError) -> DrawVerifyError {
    match e {
        DrawError::NothingToSelect => DrawVerifyError::NothingToSelect,
        DrawError::PoolTooSmall { pool, needed } => DrawVerifyError::PoolTooSmall { pool, needed },
        DrawError::DuplicateParty { party } => DrawVerifyError::DuplicateParty {
            list: "reveals",
            party,
        },
        other => DrawVerifyError::MalformedTranscript {
            reason: other.to_string(),
        },
    }
}
