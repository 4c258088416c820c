//! A draw as the hall runs it (摇号 / 专家抽取): announced, pool frozen from the registries, commits,
//! reveals, optional beacon, then conducted by the pure `draws` protocol into a public transcript.
//! This module holds the record and its phase rules; `service.rs` the use cases. The outcome is
//! only ever computed by `draws::Transcript::conduct`, never here.

pub mod cli;
pub mod drand;
pub mod service;

use crate::domain::{OrgId, ProjectId, TenderId, Timestamp};
use crate::draws::{
    Announcement, BeaconSpec, Candidate, Deadlines, MissedRevealRule, Opening, Transcript,
};
use crate::registry::{AgentFilter, Exclusion, ExpertFilter};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrawKind {
    /// 招标代理机构摇号: the owner of a project draws its bidding agent.
    Agent,
    /// 评标专家抽取: the tender's agent (or owner) draws the evaluation panel.
    Expert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DrawState {
    /// Announced and logged; the pool is frozen next.
    Announced,
    /// The pool is frozen and published; commits and reveals by the clock.
    Open,
    /// Conducted: the transcript holds the seed and the ordered result.
    Completed,
    /// Failed publicly (a missed reveal without the rule to leave it out); never re-run.
    Failed,
}

impl DrawState {
    pub fn as_str(self) -> &'static str {
        match self {
            DrawState::Announced => "announced",
            DrawState::Open => "open",
            DrawState::Completed => "completed",
            DrawState::Failed => "failed",
        }
    }
}

/// The beacon as announced: its source, the round, and when its value is expected to exist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnouncedBeacon {
    /// E.g. `drand-quicknet`, `nist-beacon-2.0`, or a named public lottery.
    pub source: String,
    pub round: String,
    #[schema(value_type = String)]
    pub deadline: Timestamp,
}

/// A candidate left out of the pool, with why. In a sealed expert pool the id and the name are
/// empty (and not serialised) until the pool is opened: only the reasons are public.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Excluded {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    pub reasons: Vec<Exclusion>,
}

impl Excluded {
    /// The same exclusion without whom it concerns, as a sealed pool publishes it.
    pub fn anonymous(&self) -> Excluded {
        Excluded {
            id: String::new(),
            name: String::new(),
            reasons: self.reasons.clone(),
        }
    }
}

/// The pool as frozen: the canonical candidate list, its hash and every exclusion with its reasons.
/// An expert draw's pool is sealed (法37, 条例): `candidates` stays empty and `sealed` lists the
/// members' commitments in position order until the pool is opened at the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FrozenPool {
    #[schema(value_type = Vec<Object>)]
    pub candidates: Vec<Candidate>,
    pub hash: String,
    pub excluded: Vec<Excluded>,
    #[schema(value_type = String)]
    pub frozen_at: Timestamp,
    /// Hex commitments of a sealed pool, in position order (position 1 first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed: Option<Vec<String>>,
    /// When a sealed pool was opened (the result determined).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub opened_at: Option<Timestamp>,
}

/// The secret side of a sealed pool, kept by the platform alone until the opening: every member's
/// opening (position, id, name, salt) and the exclusions with whom they concern. Never serialised
/// into a response, a page, a log line or an audit entry before the pool is opened.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct SealedSecret {
    pub openings: Vec<Opening>,
    pub excluded: Vec<Excluded>,
}

impl std::fmt::Debug for SealedSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedSecret({} openings, {} excluded)",
            self.openings.len(),
            self.excluded.len()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DrawRecord {
    pub id: String,
    pub kind: DrawKind,
    #[schema(value_type = Option<String>)]
    pub project_id: Option<ProjectId>,
    #[schema(value_type = Option<String>)]
    pub tender_id: Option<TenderId>,
    #[schema(value_type = String)]
    pub requested_by: OrgId,
    pub purpose: String,
    pub select_count: u32,
    pub reserve_count: u32,
    pub agent_filter: Option<AgentFilter>,
    pub expert_filter: Option<ExpertFilter>,
    /// The organisations that contribute randomness, as announced.
    #[schema(value_type = Vec<String>)]
    pub parties: Vec<OrgId>,
    #[schema(value_type = String)]
    pub commit_deadline: Timestamp,
    #[schema(value_type = String)]
    pub reveal_deadline: Timestamp,
    pub beacon: Option<AnnouncedBeacon>,
    #[schema(value_type = String)]
    pub missed_reveal_rule: MissedRevealRule,
    pub state: DrawState,
    pub pool: Option<FrozenPool>,
    /// Hex, entered after the reveals closed.
    pub beacon_value: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub transcript: Option<Transcript>,
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    pub version: i64,
}

/// What a party may do with a draw at an instant, decided by the record and the clock only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Announced,
    Committing,
    Revealing,
    /// The reveals closed; the announced beacon's value is awaited.
    AwaitingBeacon,
    /// Everything is in: the draw can be conducted.
    ReadyToConduct,
    Completed,
    Failed,
}

impl Phase {
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Announced => "announced",
            Phase::Committing => "committing",
            Phase::Revealing => "revealing",
            Phase::AwaitingBeacon => "awaiting_beacon",
            Phase::ReadyToConduct => "ready_to_conduct",
            Phase::Completed => "completed",
            Phase::Failed => "failed",
        }
    }
}

impl DrawRecord {
    pub fn phase(&self, now: Timestamp) -> Phase {
        match self.state {
            DrawState::Announced => Phase::Announced,
            DrawState::Completed => Phase::Completed,
            DrawState::Failed => Phase::Failed,
            DrawState::Open if now < self.commit_deadline => Phase::Committing,
            DrawState::Open if now < self.reveal_deadline && self.beacon_value.is_none() => {
                Phase::Revealing
            }
            DrawState::Open if self.beacon.is_some() && self.beacon_value.is_none() => {
                Phase::AwaitingBeacon
            }
            DrawState::Open => Phase::ReadyToConduct,
        }
    }

    /// The pool is published as commitments only (an expert draw, 法37).
    pub fn is_sealed(&self) -> bool {
        self.pool.as_ref().is_some_and(|p| p.sealed.is_some())
    }

    /// A sealed pool whose openings were published.
    pub fn is_opened(&self) -> bool {
        self.pool.as_ref().is_some_and(|p| p.opened_at.is_some())
    }

    pub fn is_party(&self, org: &OrgId) -> bool {
        self.parties.contains(org)
    }

    /// The protocol's step 1, exactly as it enters the transcript.
    pub fn announcement(&self) -> Announcement {
        Announcement {
            draw_id: self.id.clone(),
            purpose: self.purpose.clone(),
            select_count: self.select_count,
            reserve_count: self.reserve_count,
            parties: self.parties.iter().map(|p| p.to_string()).collect(),
            deadlines: Deadlines {
                commit: self.commit_deadline.to_rfc3339(),
                reveal: self.reveal_deadline.to_rfc3339(),
                beacon: self.beacon.as_ref().map(|b| b.deadline.to_rfc3339()),
            },
            missed_reveal_rule: self.missed_reveal_rule,
            beacon: self.beacon.as_ref().map(|b| BeaconSpec {
                source: b.source.clone(),
                round: b.round.clone(),
            }),
        }
    }
}

/// A party's commitment or reveal as received.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PartyValue {
    #[schema(value_type = String)]
    pub party: OrgId,
    /// Hex: the commitment, or the revealed 32 bytes.
    pub value: String,
    #[schema(value_type = String)]
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn record(beacon: bool) -> DrawRecord {
        DrawRecord {
            id: "d".into(),
            kind: DrawKind::Agent,
            project_id: None,
            tender_id: None,
            requested_by: OrgId::generate(),
            purpose: "p".into(),
            select_count: 1,
            reserve_count: 0,
            agent_filter: None,
            expert_filter: None,
            parties: vec![],
            commit_deadline: t("2027-03-01T02:00:00Z"),
            reveal_deadline: t("2027-03-01T03:00:00Z"),
            beacon: beacon.then(|| AnnouncedBeacon {
                source: "drand-quicknet".into(),
                round: "1".into(),
                deadline: t("2027-03-01T04:00:00Z"),
            }),
            missed_reveal_rule: MissedRevealRule::FailDraw,
            state: DrawState::Open,
            pool: None,
            beacon_value: None,
            transcript: None,
            created_at: t("2027-03-01T01:00:00Z"),
            version: 1,
        }
    }

    #[test]
    fn the_clock_moves_a_draw_through_its_windows() {
        let r = record(false);
        assert_eq!(r.phase(t("2027-03-01T01:59:59Z")), Phase::Committing);
        assert_eq!(r.phase(t("2027-03-01T02:00:00Z")), Phase::Revealing);
        assert_eq!(r.phase(t("2027-03-01T03:00:00Z")), Phase::ReadyToConduct);
    }

    #[test]
    fn a_draw_with_a_beacon_waits_for_its_value_and_closes_reveals_once_it_exists() {
        let mut r = record(true);
        assert_eq!(r.phase(t("2027-03-01T03:30:00Z")), Phase::AwaitingBeacon);
        r.beacon_value = Some("00".into());
        assert_eq!(r.phase(t("2027-03-01T02:30:00Z")), Phase::ReadyToConduct);
        assert_eq!(r.phase(t("2027-03-01T04:30:00Z")), Phase::ReadyToConduct);
    }

    #[test]
    fn deadlines_enter_the_transcript_in_the_strict_utc_form() {
        let a = record(true).announcement();
        assert_eq!(a.deadlines.commit, "2027-03-01T02:00:00.000Z");
        assert_eq!(
            a.deadlines.beacon.as_deref(),
            Some("2027-03-01T04:00:00.000Z")
        );
    }
}
