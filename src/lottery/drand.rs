//! A draw's beacon from drand's quicknet (scheme `bls-unchained-g1-rfc9380`): the round as drand
//! publishes it is checked against the chain's pinned BLS public key, and its randomness,
//! SHA-256 of the signature, becomes the draw's beacon value. Pure: no network; whoever enters a
//! round fetched it, and anyone can re-check it from the transcript (docs/draw.md, "Beacon").

use drand_verify::{G2PubkeyRfc, Pubkey};
use serde::{Deserialize, Serialize};

/// The beacon source name that announces a quicknet round.
pub const QUICKNET: &str = "drand-quicknet";
/// Quicknet's chain hash, for people fetching a round
/// (`https://api.drand.sh/{chain hash}/public/{round}`).
pub const QUICKNET_CHAIN_HASH: &str =
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971";
/// Quicknet's public key (a compressed G2 point), pinned here rather than fetched.
pub const QUICKNET_PUBLIC_KEY: &str = "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a";

/// A round as drand's HTTP API returns it: `{"round": …, "randomness": "…", "signature": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrandRound {
    pub round: u64,
    /// Hex; when given it must be SHA-256 of the signature.
    #[serde(default)]
    pub randomness: Option<String>,
    /// Hex, 48 bytes (a compressed G1 point).
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrandError {
    #[error("the round is {got}, but the draw announced round {announced}")]
    WrongRound { announced: String, got: u64 },
    #[error("the signature is not 48 bytes of lower-case hex")]
    MalformedSignature,
    #[error("the signature does not verify against quicknet's public key for round {0}")]
    BadSignature(u64),
    #[error("the randomness is not SHA-256 of the signature")]
    RandomnessMismatch,
}

impl DrandError {
    pub fn code(&self) -> &'static str {
        match self {
            DrandError::WrongRound { .. } => "wrong_round",
            DrandError::MalformedSignature => "malformed_signature",
            DrandError::BadSignature(_) => "bad_signature",
            DrandError::RandomnessMismatch => "randomness_mismatch",
        }
    }
}

/// Checks a quicknet round for the announced round number; returns its randomness (32 bytes).
pub fn verify_quicknet(announced_round: &str, r: &DrandRound) -> Result<[u8; 32], DrandError> {
    if announced_round.trim() != r.round.to_string() {
        return Err(DrandError::WrongRound {
            announced: announced_round.to_string(),
            got: r.round,
        });
    }
    let sig = hex::decode(&r.signature)
        .ok()
        .filter(|s| s.len() == 48 && hex::encode(s) == r.signature)
        .ok_or(DrandError::MalformedSignature)?;
    let key: [u8; 96] = hex::decode(QUICKNET_PUBLIC_KEY)
        .expect("pinned key is hex")
        .try_into()
        .expect("pinned key is 96 bytes");
    let pk = G2PubkeyRfc::from_fixed(key).expect("the pinned key is a G2 point");
    if !pk.verify(r.round, b"", &sig).unwrap_or(false) {
        return Err(DrandError::BadSignature(r.round));
    }
    let randomness: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, &sig)
        .as_ref()
        .try_into()
        .expect("SHA-256 is 32 bytes");
    if let Some(given) = &r.randomness {
        if *given != hex::encode(randomness) {
            return Err(DrandError::RandomnessMismatch);
        }
    }
    Ok(randomness)
}

/// The platform verifier's beacon step for a published transcript: when the beacon is a quicknet
/// round, the round the hall recorded in its `draw_beacon_entered` audit entry must verify against
/// the pinned key, for the announced round, and give exactly the beacon value that entered the seed.
/// `Ok(None)`: no drand beacon value to check.
pub fn check_transcript_beacon(t: &serde_json::Value) -> Result<Option<String>, String> {
    let beacon = &t["beacon"];
    if beacon["source"] != QUICKNET || beacon["value"].is_null() {
        return Ok(None);
    }
    let announced = beacon["round"].as_str().unwrap_or_default();
    let recorded = t["audit"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| &a["entry"])
        .find(|e| e["type"] == "draw_beacon_entered" && e["payload"]["drand"].is_object())
        .ok_or("the beacon is a drand round, but the transcript's audit entries do not carry it")?;
    let round: DrandRound = serde_json::from_value(recorded["payload"]["drand"].clone())
        .map_err(|e| format!("the recorded drand round is malformed: {e}"))?;
    let value = verify_quicknet(announced, &round).map_err(|e| format!("drand beacon: {e}"))?;
    if beacon["value"] != hex::encode(value).as_str() {
        return Err("drand beacon: the value in the seed is not the round's randomness".into());
    }
    Ok(Some(format!(
        "beacon: drand quicknet round {} verified against the pinned key; its randomness is the beacon value\n",
        round.round
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quicknet round 123 (`https://api.drand.sh/52db…e971/public/123`).
    fn round_123() -> DrandRound {
        DrandRound {
            round: 123,
            randomness: None,
            signature: "b75c69d0b72a5d906e854e808ba7e2accb1542ac355ae486d591aa9d43765482e26cd02df835d3546d23c4b13e0dfc92".into(),
        }
    }

    #[test]
    fn a_quicknet_round_verifies_and_gives_sha256_of_its_signature() {
        let r = verify_quicknet("123", &round_123()).unwrap();
        assert_eq!(
            hex::encode(r),
            "fb8f7bc29bf24db51871ec8c79f3a1e4bd0557bc0dfcee9ed1d924e69d1c60dc"
        );
        let with = DrandRound {
            randomness: Some(hex::encode(r)),
            ..round_123()
        };
        assert_eq!(verify_quicknet("123", &with), Ok(r));
    }

    #[test]
    fn another_round_a_changed_signature_or_a_wrong_randomness_is_refused() {
        assert!(matches!(
            verify_quicknet("124", &round_123()),
            Err(DrandError::WrongRound { got: 123, .. })
        ));
        // the same signature claimed for another round
        let moved = DrandRound {
            round: 124,
            ..round_123()
        };
        assert_eq!(
            verify_quicknet("124", &moved),
            Err(DrandError::BadSignature(124))
        );
        let mut flipped = round_123();
        flipped.signature.replace_range(95..96, "3");
        assert!(verify_quicknet("123", &flipped).is_err());
        let short = DrandRound {
            signature: "b75c".into(),
            ..round_123()
        };
        assert_eq!(
            verify_quicknet("123", &short),
            Err(DrandError::MalformedSignature)
        );
        let lying = DrandRound {
            randomness: Some("00".repeat(32)),
            ..round_123()
        };
        assert_eq!(
            verify_quicknet("123", &lying),
            Err(DrandError::RandomnessMismatch)
        );
    }
}
