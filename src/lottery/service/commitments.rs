//! The parties' commitments and reveals, and the public beacon, each within its window
//! (docs/draw.md).

use super::*;

fn party_of<'a>(d: &DrawRecord, actor: &'a Actor) -> Result<&'a OrgId, LotteryError> {
    if !d.is_party(&actor.org_id) {
        return Err(LotteryError::Forbidden(
            "only the parties named in the announcement contribute to this draw",
        ));
    }
    Ok(&actor.org_id)
}

pub(super) fn in_phase(
    d: &DrawRecord,
    now: Timestamp,
    want: Phase,
    action: &'static str,
) -> Result<(), LotteryError> {
    let phase = d.phase(now);
    if phase != want {
        return Err(LotteryError::WrongPhase { phase, action });
    }
    Ok(())
}

/// A party publishes c = SHA-256(domain ‖ draw ‖ party ‖ r), computed on its own device.
pub async fn commit(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    commitment_hex: &str,
) -> Result<PartyValue, LotteryError> {
    let d = load(app, draw).await?;
    let party = party_of(&d, actor)?;
    let now = app.clock.now();
    in_phase(&d, now, Phase::Committing, "committing")?;
    let c = hex32("commitment", commitment_hex)?;
    let v = PartyValue {
        party: party.clone(),
        value: hex::encode(c),
        at: now,
    };
    let audit = event(
        "draw_committed",
        &d,
        AuditActor::from(actor),
        now,
        json!({ "party": party, "commitment": v.value }),
    );
    app.store
        .add_draw_commitment(&d.id, &v, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => LotteryError::Already("committed"),
            e => e.into(),
        })?;
    Ok(v)
}

/// A party reveals its 32 bytes; refused unless they match its commitment.
pub async fn reveal(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    r_hex: &str,
) -> Result<PartyValue, LotteryError> {
    let d = load(app, draw).await?;
    let party = party_of(&d, actor)?;
    let now = app.clock.now();
    in_phase(&d, now, Phase::Revealing, "revealing")?;
    let r = hex32("r", r_hex)?;
    let committed = app
        .store
        .draw_commitments(&d.id)
        .await?
        .into_iter()
        .find(|c| c.party == *party)
        .ok_or(LotteryError::NotCommitted)?;
    let expected =
        commitment(&d.id, party.as_str(), &r).map_err(|e| LotteryError::Protocol(e.to_string()))?;
    if hex::encode(expected) != committed.value {
        return Err(LotteryError::CommitmentMismatch);
    }
    let v = PartyValue {
        party: party.clone(),
        value: hex::encode(r),
        at: now,
    };
    let audit = event(
        "draw_revealed",
        &d,
        AuditActor::from(actor),
        now,
        json!({ "party": party, "r": v.value }),
    );
    app.store
        .add_draw_reveal(&d.id, &v, &audit)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => LotteryError::Already("revealed"),
            e => e.into(),
        })?;
    Ok(v)
}

/// What the platform enters for the announced beacon.
#[derive(Debug, Clone)]
pub enum BeaconEntry {
    /// The value as hex, for a source the hall cannot check itself (a NIST pulse, a lottery).
    Value(String),
    /// A drand quicknet round, checked against the chain's pinned key; its randomness is the value.
    Drand(DrandRound),
}

/// The platform enters the announced beacon's value once it exists (after the reveals closed).
pub async fn enter_beacon(
    app: &AppState,
    actor: &Actor,
    draw: &str,
    entry: BeaconEntry,
) -> Result<DrawRecord, LotteryError> {
    if actor.role != Role::Platform {
        return Err(LotteryError::Forbidden(
            "only the platform enters a beacon value",
        ));
    }
    let mut d = load(app, draw).await?;
    let now = app.clock.now();
    in_phase(&d, now, Phase::AwaitingBeacon, "entering the beacon")?;
    let announced = d
        .beacon
        .clone()
        .expect("awaiting a beacon means one was announced");
    if now < announced.deadline {
        return Err(LotteryError::WrongPhase {
            phase: Phase::AwaitingBeacon,
            action: "entering the beacon before its announced time",
        });
    }
    let is_drand = announced.source == drand::QUICKNET;
    let (value, proof) = match entry {
        BeaconEntry::Drand(round) if is_drand => {
            let value = drand::verify_quicknet(&announced.round, &round)
                .map_err(|e| invalid("drand", e.code(), e.to_string()))?;
            let proof = json!({ "round": round.round, "signature": round.signature });
            (value.to_vec(), Some(proof))
        }
        BeaconEntry::Drand(_) => {
            return Err(invalid(
                "drand",
                "not_drand",
                format!(
                    "the announced beacon is {}, not {}: enter its value",
                    announced.source,
                    drand::QUICKNET
                ),
            ))
        }
        BeaconEntry::Value(_) if is_drand => {
            return Err(invalid(
                "drand",
                "required",
                "a drand quicknet beacon is entered as the round's JSON (round, signature), which the hall checks against the chain's key",
            ))
        }
        BeaconEntry::Value(value_hex) => {
            let value = hex::decode(&value_hex)
                .ok()
                .filter(|v| !v.is_empty() && hex::encode(v) == value_hex)
                .ok_or_else(|| {
                    invalid(
                        "value",
                        "malformed_hex",
                        "the beacon value is non-empty lower-case hex",
                    )
                })?;
            (value, None)
        }
    };
    d.beacon_value = Some(hex::encode(&value));
    d.version += 1;
    let audit = event(
        "draw_beacon_entered",
        &d,
        AuditActor::from(actor),
        now,
        json!({ "source": announced.source, "round": announced.round, "value": d.beacon_value, "drand": proof }),
    );
    app.store.save_draw(&d, &audit).await?;
    Ok(d)
}
