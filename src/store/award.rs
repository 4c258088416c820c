//! Storage of a tender's award events and of its committee members' codes and tokens (digests
//! only). Events are appended only after the last one the caller folded (`Conflict` otherwise), so
//! two writers cannot both decide the next step.

use super::opening::{append_after, event};
use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::award::member::MemberSession;
use crate::award::AwardEvent;
use crate::domain::{TenderId, Timestamp};
use crate::reactions::Reaction;
use async_trait::async_trait;
use sqlx::Row;

/// A code to (re)issue with an append: the seat and the code's SHA-256.
#[derive(Debug, Clone)]
pub struct IssuedCode {
    pub seat: i64,
    pub code_sha256: String,
}

#[async_trait]
pub trait AwardStore: Send + Sync {
    /// Appends `events` (numbered `after + 1`, …) with their audit entries and the reactions
    /// they ask for, if the tender's last award event is still `after` (`Conflict` otherwise);
    /// sets the tender's public award stage; and issues `codes`: each replaces any unused code of
    /// its seat.
    #[allow(clippy::too_many_arguments)] // one transaction's parts
    async fn append_award_events(
        &self,
        tender: &TenderId,
        after: i64,
        events: Vec<AwardEvent>,
        audits: Vec<AuditEvent>,
        codes: Vec<IssuedCode>,
        reactions: Vec<Reaction>,
        stage: Option<&'static str>,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// The tender's award events, oldest first.
    async fn award_events(&self, tender: &TenderId) -> Result<Vec<AwardEvent>, StoreError>;
    /// Every tender's events of `kind` at or after `since`, oldest first.
    async fn award_events_of_kind(
        &self,
        kind: &str,
        since: Timestamp,
    ) -> Result<Vec<(TenderId, AwardEvent)>, StoreError>;
    /// The tender and seat of an unused code, if there is one with this digest.
    async fn find_evaluation_code(
        &self,
        code_sha256: &str,
    ) -> Result<Option<(TenderId, i64)>, StoreError>;
    /// Uses the code once and stores the member's token digest; `Conflict` if the code was used
    /// (or replaced) meanwhile.
    async fn redeem_evaluation_code(
        &self,
        code_sha256: &str,
        token_sha256: &str,
        session: &MemberSession,
        now: Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The member a token digest belongs to (expiry is the caller's rule).
    async fn find_member_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<MemberSession>, StoreError>;
}

/// Sets where the tender's award stands on the board (`None`: unchanged).
pub(super) async fn set_award_stage(
    c: &mut sqlx::AnyConnection,
    tender: &str,
    stage: Option<&'static str>,
) -> Result<(), StoreError> {
    if let Some(stage) = stage {
        sqlx::query("UPDATE tenders SET award_stage = $1 WHERE id = $2")
            .bind(stage)
            .bind(tender.to_owned())
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

#[async_trait]
impl AwardStore for SqlStore {
    async fn append_award_events(
        &self,
        tender: &TenderId,
        after: i64,
        events: Vec<AwardEvent>,
        audits: Vec<AuditEvent>,
        codes: Vec<IssuedCode>,
        reactions: Vec<Reaction>,
        stage: Option<&'static str>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let tender = tender.to_string();
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    append_after(c, "award_events", "award", &tender, after, &events).await?;
                    super::reactions::insert(c, &reactions, now).await?;
                    set_award_stage(c, &tender, stage).await?;
                    for code in &codes {
                        sqlx::query(
                            "DELETE FROM evaluation_codes WHERE tender_id = $1 AND seat = $2 AND used_at IS NULL",
                        )
                        .bind(tender.clone())
                        .bind(code.seat)
                        .execute(&mut *c)
                        .await?;
                        sqlx::query(
                            "INSERT INTO evaluation_codes (code_sha256, tender_id, seat, issued_at) \
                             VALUES ($1, $2, $3, $4)",
                        )
                        .bind(code.code_sha256.clone())
                        .bind(tender.clone())
                        .bind(code.seat)
                        .bind(now.millis())
                        .execute(&mut *c)
                        .await?;
                    }
                    for a in &audits {
                        append_audit(log, a)?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn award_events(&self, tender: &TenderId) -> Result<Vec<AwardEvent>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, at, kind, audience, party_org, body FROM award_events \
             WHERE tender_id = $1 ORDER BY seq",
        )
        .bind(tender.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(event).collect()
    }

    async fn award_events_of_kind(
        &self,
        kind: &str,
        since: Timestamp,
    ) -> Result<Vec<(TenderId, AwardEvent)>, StoreError> {
        let rows = sqlx::query(
            "SELECT tender_id, seq, at, kind, audience, party_org, body FROM award_events \
             WHERE kind = $1 AND at >= $2 ORDER BY at, tender_id, seq",
        )
        .bind(kind.to_owned())
        .bind(since.millis())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| Ok((TenderId::from_stored(r.try_get("tender_id")?), event(r)?)))
            .collect()
    }

    async fn find_evaluation_code(
        &self,
        code_sha256: &str,
    ) -> Result<Option<(TenderId, i64)>, StoreError> {
        let row = sqlx::query(
            "SELECT tender_id, seat FROM evaluation_codes WHERE code_sha256 = $1 AND used_at IS NULL",
        )
        .bind(code_sha256.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok((
                TenderId::from_stored(r.try_get("tender_id")?),
                r.try_get("seat")?,
            ))
        })
        .transpose()
    }

    async fn redeem_evaluation_code(
        &self,
        code_sha256: &str,
        token_sha256: &str,
        session: &MemberSession,
        now: Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (code, token, session, audit) = (
            code_sha256.to_string(),
            token_sha256.to_string(),
            session.clone(),
            audit.clone(),
        );
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let used = sqlx::query(
                        "UPDATE evaluation_codes SET used_at = $1 \
                         WHERE code_sha256 = $2 AND tender_id = $3 AND seat = $4 AND used_at IS NULL",
                    )
                    .bind(now.millis())
                    .bind(code)
                    .bind(session.tender_id.to_string())
                    .bind(session.seat)
                    .execute(&mut *c)
                    .await?
                    .rows_affected();
                    if used != 1 {
                        return Err(StoreError::Conflict("the code is used".into()));
                    }
                    sqlx::query(
                        "INSERT INTO evaluation_tokens (token_sha256, tender_id, seat, created_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(token)
                    .bind(session.tender_id.to_string())
                    .bind(session.seat)
                    .bind(now.millis())
                    .bind(session.expires_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn find_member_token(
        &self,
        token_sha256: &str,
    ) -> Result<Option<MemberSession>, StoreError> {
        let row = sqlx::query(
            "SELECT tender_id, seat, expires_at FROM evaluation_tokens WHERE token_sha256 = $1",
        )
        .bind(token_sha256.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(MemberSession {
                tender_id: TenderId::from_stored(r.try_get("tender_id")?),
                seat: r.try_get("seat")?,
                expires_at: Timestamp::from_stored(r.try_get("expires_at")?),
            })
        })
        .transpose()
    }
}
