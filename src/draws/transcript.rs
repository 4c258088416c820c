//! The public record of one draw: announcement, frozen pool, commitments, reveals, beacon, seed,
//! ordered result and replacements, written as RFC 8785 JSON. Building a transcript runs the
//! protocol and then verifies its own output; it must never produce a record `verify` would refuse.

use serde::{Deserialize, Serialize};

use crate::draws::canonical::to_canonical_vec;
use crate::draws::protocol::SECRET_LEN;
use crate::draws::sealed::{sealed_pool_hash, Opening};
use crate::draws::verify::rerun;
use crate::draws::{verify, Candidate, DrawOutcome, DrawVerifyError, Pool, ALGORITHM};

/// The full transcript. Hex fields stay strings here so that a malformed value is reported by
/// `verify` as the step it breaks, not as an opaque parse error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    /// Always `bidhall-draw/1`.
    pub algorithm: String,
    pub draw_id: String,
    /// What the draw is for, as announced (e.g. the tender and whether agents or experts are drawn).
    pub purpose: String,
    pub select_count: u32,
    pub reserve_count: u32,
    /// The parties announced to contribute randomness.
    pub parties: Vec<String>,
    pub deadlines: Deadlines,
    pub missed_reveal_rule: MissedRevealRule,
    pub beacon: Option<Beacon>,
    /// The open pool, `{id, name}` in line order; absent exactly when the pool is sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pool: Option<Vec<Candidate>>,
    /// The sealed pool (expert draws, 法37): member commitments, hex, in position order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_pool: Option<Vec<String>>,
    /// The sealed pool's openings, published when the result is determined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openings: Option<Vec<Opening>>,
    pub pool_hash: String,
    pub commitments: Vec<Commitment>,
    pub reveals: Vec<Reveal>,
    pub missed_reveals: Vec<String>,
    /// Absent when the draw failed.
    pub seed: Option<String>,
    /// Absent when the draw failed. Over a sealed pool it names positions ("1", "2", …).
    pub result: Option<DrawResult>,
    pub replacements: Vec<Replacement>,
    /// Audit-log entries and inclusion proofs added by the platform; the verifier ignores them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit: Option<Vec<serde_json::Value>>,
}

/// The announced deadlines, commit < reveal < beacon, as RFC 3339 UTC strings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deadlines {
    pub commit: String,
    pub reveal: String,
    pub beacon: Option<String>,
}

/// What happens to a party that committed (or was announced) and then did not reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissedRevealRule {
    /// The draw fails publicly; a new draw must be announced.
    FailDraw,
    /// The party is left out of the seed. Only allowed with a beacon, which nobody knows when the
    /// reveals close, so withholding a reveal cannot steer the outcome.
    ExcludeParty,
}

/// The beacon's announced source and round, and its value once published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    /// E.g. `drand-quicknet`, `nist-beacon-2.0`, or a named lottery.
    pub source: String,
    /// The round, pulse index or draw identifier fixed in the announcement.
    pub round: String,
    /// The beacon bytes (hex) that enter the seed.
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub party: String,
    pub commitment: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reveal {
    pub party: String,
    pub r: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DrawResult {
    pub selected: Vec<String>,
    pub reserves: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplacementReason {
    Declined,
    Disqualified,
}

/// One selectee leaving the panel and the next reserve taking the place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    pub replaced: String,
    pub replacement: String,
    pub reason: ReplacementReason,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The frozen pool as it enters a transcript: open (candidates) or sealed (commitments, hex).
enum FrozenSide {
    Open(Vec<Candidate>, [u8; SECRET_LEN]),
    Sealed(Vec<String>, [u8; SECRET_LEN]),
}

/// The beacon as announced, before its value exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BeaconSpec {
    pub source: String,
    pub round: String,
}

/// Everything fixed in step 1, before the pool is frozen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Announcement {
    pub draw_id: String,
    pub purpose: String,
    pub select_count: u32,
    pub reserve_count: u32,
    pub parties: Vec<String>,
    pub deadlines: Deadlines,
    pub missed_reveal_rule: MissedRevealRule,
    pub beacon: Option<BeaconSpec>,
}

impl Transcript {
    /// Runs the draw from what was collected: the announcement, the frozen pool, every commitment
    /// received and every reveal received (already checked or not: mismatches are refused here), and
    /// the beacon value if one was announced and has been published. Announced parties without a
    /// reveal are recorded as having missed it, and the announced rule decides whether the draw
    /// completes or fails. The result is verified before it is returned.
    pub fn conduct(
        announcement: Announcement,
        pool: &Pool,
        commitments: &[(String, [u8; SECRET_LEN])],
        reveals: &[(String, [u8; SECRET_LEN])],
        beacon_value: Option<&[u8]>,
    ) -> Result<Transcript, DrawVerifyError> {
        let frozen = FrozenSide::Open(pool.candidates().to_vec(), pool.hash());
        Self::run(announcement, frozen, commitments, reveals, beacon_value)
    }

    /// As `conduct`, over a sealed pool given by its members' commitments in position order
    /// (`docs/draw.md`, "Sealed pools"): the result names positions, and no id or name appears.
    pub fn conduct_sealed(
        announcement: Announcement,
        sealed: &[[u8; SECRET_LEN]],
        commitments: &[(String, [u8; SECRET_LEN])],
        reveals: &[(String, [u8; SECRET_LEN])],
        beacon_value: Option<&[u8]>,
    ) -> Result<Transcript, DrawVerifyError> {
        let frozen = FrozenSide::Sealed(
            sealed.iter().map(hex::encode).collect(),
            sealed_pool_hash(sealed),
        );
        Self::run(announcement, frozen, commitments, reveals, beacon_value)
    }

    fn run(
        announcement: Announcement,
        frozen: FrozenSide,
        commitments: &[(String, [u8; SECRET_LEN])],
        reveals: &[(String, [u8; SECRET_LEN])],
        beacon_value: Option<&[u8]>,
    ) -> Result<Transcript, DrawVerifyError> {
        let missed: Vec<String> = announcement
            .parties
            .iter()
            .filter(|p| !reveals.iter().any(|(r, _)| r == *p))
            .cloned()
            .collect();
        let (pool, sealed_pool, hash) = match frozen {
            FrozenSide::Open(candidates, hash) => (Some(candidates), None, hash),
            FrozenSide::Sealed(commitments, hash) => (None, Some(commitments), hash),
        };
        let mut transcript = Transcript {
            algorithm: ALGORITHM.to_owned(),
            draw_id: announcement.draw_id,
            purpose: announcement.purpose,
            select_count: announcement.select_count,
            reserve_count: announcement.reserve_count,
            parties: announcement.parties,
            deadlines: announcement.deadlines,
            missed_reveal_rule: announcement.missed_reveal_rule,
            beacon: announcement.beacon.map(|b| Beacon {
                source: b.source,
                round: b.round,
                value: beacon_value.map(hex::encode),
            }),
            pool,
            sealed_pool,
            openings: None,
            pool_hash: hex::encode(hash),
            commitments: commitments
                .iter()
                .map(|(party, c)| Commitment {
                    party: party.clone(),
                    commitment: hex::encode(c),
                })
                .collect(),
            reveals: reveals
                .iter()
                .map(|(party, r)| Reveal {
                    party: party.clone(),
                    r: hex::encode(r),
                })
                .collect(),
            missed_reveals: missed,
            seed: None,
            result: None,
            replacements: Vec::new(),
            audit: None,
        };
        // The same re-run an auditor does fills in the seed and the result, so the platform cannot
        // compute them any other way.
        if let DrawOutcome::Completed {
            seed,
            selected,
            reserves,
            ..
        } = rerun(&transcript)?.outcome
        {
            transcript.seed = Some(hex::encode(seed));
            transcript.result = Some(DrawResult { selected, reserves });
        }
        verify(&transcript)?;
        Ok(transcript)
    }

    /// Publishes the sealed pool's openings (one per position) once the result is determined. The
    /// transcript is re-verified with them, every opening against its commitment; on error it is
    /// unchanged.
    pub fn open(&mut self, openings: Vec<Opening>) -> Result<(), DrawVerifyError> {
        let mut candidate = self.clone();
        candidate.openings = Some(openings);
        verify(&candidate)?;
        *self = candidate;
        Ok(())
    }

    /// Whether the pool is published as commitments only.
    pub fn is_sealed(&self) -> bool {
        self.sealed_pool.is_some()
    }

    /// Records that `replaced` (currently on the panel) declined or was disqualified, brings in the
    /// next unused reserve and returns its id. The transcript is re-verified; on error it is unchanged.
    pub fn replace(
        &mut self,
        replaced: &str,
        reason: ReplacementReason,
        note: Option<String>,
    ) -> Result<String, DrawVerifyError> {
        let next = self
            .result
            .as_ref()
            .and_then(|r| r.reserves.get(self.replacements.len()))
            .cloned()
            .unwrap_or_default();
        let mut candidate = self.clone();
        candidate.replacements.push(Replacement {
            replaced: replaced.to_owned(),
            replacement: next.clone(),
            reason,
            note,
        });
        verify(&candidate)?;
        *self = candidate;
        Ok(next)
    }

    /// The RFC 8785 bytes of the whole transcript, `audit` included when present.
    pub fn canonical_bytes(&self) -> Result<Vec<u8>, serde_json::Error> {
        to_canonical_vec(self)
    }
}
