//! Storage of the registries (agents, qualifications, credit records, experts) and of draws with
//! their commitments and reveals. Records are JSON documents beside the few columns queries need;
//! every write is one use case with its audit entry, and every draw write also remembers the
//! entry's index so the transcript can carry the draw's audit entries with their proofs.

use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::domain::{OrgId, ProjectId};
use crate::lottery::{DrawRecord, DrawState, PartyValue, SealedSecret};
use crate::registry::{
    AgentHistoryEntry, AgentRecord, AgentStatus, CreditRecord, Expert, Qualification,
};
use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sqlx::any::AnyArguments;
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};

type Q<'a> = Query<'a, Any, AnyArguments<'a>>;

#[async_trait]
pub trait DrawStore: Send + Sync {
    // agents (三表三制)
    /// Writes the agent's registration: a new one when `previous` is `None`, otherwise only if its
    /// status is still `previous` (`Conflict` if someone decided in between); with its history line.
    async fn put_agent(
        &self,
        record: &AgentRecord,
        previous: Option<AgentStatus>,
        history: &AgentHistoryEntry,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn get_agent(&self, org: &OrgId) -> Result<AgentRecord, StoreError>;
    async fn list_agents(&self) -> Result<Vec<AgentRecord>, StoreError>;
    async fn agent_history(&self, org: &OrgId) -> Result<Vec<AgentHistoryEntry>, StoreError>;
    async fn add_qualification(
        &self,
        q: &Qualification,
        history: &AgentHistoryEntry,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// All qualification records (of one organisation, or of all), oldest first.
    async fn list_qualifications(
        &self,
        org: Option<&OrgId>,
    ) -> Result<Vec<Qualification>, StoreError>;

    // credit
    async fn add_credit_record(
        &self,
        r: &CreditRecord,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn list_credit_records(
        &self,
        org: Option<&OrgId>,
    ) -> Result<Vec<CreditRecord>, StoreError>;

    // experts
    async fn create_expert(&self, e: &Expert, audit: &AuditEvent) -> Result<(), StoreError>;
    async fn list_experts(&self) -> Result<Vec<Expert>, StoreError>;

    // draws
    async fn create_draw(&self, d: &DrawRecord, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Writes `d` if the stored version is `d.version - 1`; `Conflict` otherwise.
    async fn save_draw(&self, d: &DrawRecord, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Writes `d` (as `save_draw`) and makes `agent` the agent of `project`, in one transaction
    /// with the audit entry: an agent draw's result is the project's appointment.
    async fn save_draw_appointing(
        &self,
        d: &DrawRecord,
        project: &ProjectId,
        agent: &OrgId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn get_draw(&self, id: &str) -> Result<DrawRecord, StoreError>;
    async fn list_draws(&self) -> Result<Vec<DrawRecord>, StoreError>;
    /// The draws whose pool is frozen and that were not yet conducted: (id, version).
    async fn open_draws(&self) -> Result<Vec<(String, i64)>, StoreError>;
    /// Records a party's commitment; `Conflict` if it already committed.
    async fn add_draw_commitment(
        &self,
        draw: &str,
        v: &PartyValue,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Records a party's reveal; `Conflict` if it already revealed.
    async fn add_draw_reveal(
        &self,
        draw: &str,
        v: &PartyValue,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn draw_commitments(&self, draw: &str) -> Result<Vec<PartyValue>, StoreError>;
    async fn draw_reveals(&self, draw: &str) -> Result<Vec<PartyValue>, StoreError>;
    /// The audit-log indices of the draw's entries, in order.
    async fn draw_audit_indices(&self, draw: &str) -> Result<Vec<i64>, StoreError>;

    // sealed pools (expert draws, 法37)
    /// Writes `d` (as `save_draw`) with its pool sealed, and keeps the pool's secret side apart
    /// from every public record; one transaction with the audit entry.
    async fn freeze_sealed_pool(
        &self,
        d: &DrawRecord,
        secret: &SealedSecret,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The secret side of a draw's sealed pool; `NotFound` if the draw's pool is not sealed.
    async fn sealed_pool(&self, draw: &str) -> Result<SealedSecret, StoreError>;
    /// The draws whose sealed pool is not opened yet.
    async fn unopened_sealed_pools(&self) -> Result<Vec<String>, StoreError>;
    /// Writes `d` (as `save_draw`), now carrying its openings, and marks its sealed pool opened;
    /// `Conflict` if it was opened or changed meanwhile.
    async fn open_sealed_pool(
        &self,
        d: &DrawRecord,
        at: crate::domain::Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

fn to_json<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Unavailable(format!("encode record: {e}")))
}

fn from_json<T: DeserializeOwned>(row: &sqlx::any::AnyRow) -> Result<T, StoreError> {
    let text: String = row.try_get("record")?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Unavailable(format!("a stored record does not decode: {e}")))
}

async fn remember(c: &mut AnyConnection, draw: &str, idx: i64) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO draw_audit (draw_id, idx) VALUES ($1, $2)")
        .bind(draw.to_string())
        .bind(idx)
        .execute(&mut *c)
        .await?;
    Ok(())
}

fn history_insert(h: &AgentHistoryEntry) -> Result<Q<'static>, StoreError> {
    Ok(sqlx::query(
        "INSERT INTO registry_agent_history (id, org_id, at, record) VALUES ($1, $2, $3, $4)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(h.org_id.to_string())
    .bind(h.at.millis())
    .bind(to_json(h)?))
}

impl SqlStore {
    /// Runs the statements and appends the audit entry, as one write; returns the entry's index.
    async fn write_all(&self, qs: Vec<Q<'static>>, audit: &AuditEvent) -> Result<i64, StoreError> {
        let audit = audit.clone();
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    for q in qs {
                        q.execute(&mut *c).await?;
                    }
                    append_audit(log, &audit)
                })
            })
            .await
    }

    /// As `write_all`, for a draw: the statement must change exactly one row, and the entry's
    /// index is remembered for the draw's transcript.
    async fn write_draw(
        &self,
        draw: &str,
        q: Q<'static>,
        conflict: &'static str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        self.write_draw_all(draw, vec![(q, conflict)], audit).await
    }

    /// As `write_draw`, with several statements, each of which must change exactly one row.
    async fn write_draw_all(
        &self,
        draw: &str,
        qs: Vec<(Q<'static>, &'static str)>,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (audit, draw) = (audit.clone(), draw.to_string());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    for (q, conflict) in qs {
                        if q.execute(&mut *c).await?.rows_affected() != 1 {
                            return Err(StoreError::Conflict(conflict.into()));
                        }
                    }
                    let idx = append_audit(log, &audit)?;
                    remember(c, &draw, idx).await
                })
            })
            .await
    }

    fn versioned_update(d: &DrawRecord) -> Result<Q<'static>, StoreError> {
        Ok(sqlx::query(
            "UPDATE draws SET state = $1, version = $2, record = $3 WHERE id = $4 AND version = $5",
        )
        .bind(d.state.as_str())
        .bind(d.version)
        .bind(to_json(d)?)
        .bind(d.id.clone())
        .bind(d.version - 1))
    }

    async fn records<T: DeserializeOwned>(&self, q: Q<'_>) -> Result<Vec<T>, StoreError> {
        q.fetch_all(&self.read)
            .await?
            .iter()
            .map(from_json)
            .collect()
    }

    /// The records of a registry table, of one organisation or all, in the order recorded.
    async fn records_of<T: DeserializeOwned>(
        &self,
        table: &'static str,
        org: Option<&OrgId>,
    ) -> Result<Vec<T>, StoreError> {
        match org {
            Some(o) => {
                let sql = format!(
                    "SELECT record FROM {table} WHERE org_id = $1 ORDER BY recorded_at, id"
                );
                self.records(sqlx::query(&sql).bind(o.to_string())).await
            }
            None => {
                let sql = format!("SELECT record FROM {table} ORDER BY recorded_at, id");
                self.records(sqlx::query(&sql)).await
            }
        }
    }

    async fn record<T: DeserializeOwned>(&self, q: Q<'_>) -> Result<T, StoreError> {
        match q.fetch_optional(&self.read).await? {
            Some(row) => from_json(&row),
            None => Err(StoreError::NotFound),
        }
    }

    async fn party_values(&self, table: &str, draw: &str) -> Result<Vec<PartyValue>, StoreError> {
        let sql =
            format!("SELECT party, value, at FROM {table} WHERE draw_id = $1 ORDER BY at, party");
        let rows = sqlx::query(&sql)
            .bind(draw.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(PartyValue {
                    party: OrgId::from_stored(r.try_get("party")?),
                    value: r.try_get("value")?,
                    at: crate::domain::Timestamp::from_stored(r.try_get("at")?),
                })
            })
            .collect()
    }

    fn party_value_insert(table: &str, draw: &str, v: &PartyValue) -> Q<'static> {
        let sql = match table {
            "draw_commitments" => {
                "INSERT INTO draw_commitments (draw_id, party, value, at) VALUES ($1, $2, $3, $4)"
            }
            _ => "INSERT INTO draw_reveals (draw_id, party, value, at) VALUES ($1, $2, $3, $4)",
        };
        sqlx::query(sql)
            .bind(draw.to_string())
            .bind(v.party.to_string())
            .bind(v.value.clone())
            .bind(v.at.millis())
    }
}

#[async_trait]
impl DrawStore for SqlStore {
    async fn put_agent(
        &self,
        record: &AgentRecord,
        previous: Option<AgentStatus>,
        history: &AgentHistoryEntry,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let json = to_json(record)?;
        let q = match previous {
            None => sqlx::query(
                "INSERT INTO registry_agents (org_id, status, updated_at, record) VALUES ($1, $2, $3, $4)",
            )
            .bind(record.org_id.to_string())
            .bind(record.status.as_str())
            .bind(record.updated_at.millis())
            .bind(json),
            Some(prev) => sqlx::query(
                "UPDATE registry_agents SET status = $1, updated_at = $2, record = $3 \
                 WHERE org_id = $4 AND status = $5",
            )
            .bind(record.status.as_str())
            .bind(record.updated_at.millis())
            .bind(json)
            .bind(record.org_id.to_string())
            .bind(prev.as_str()),
        };
        let (h, audit) = (history_insert(history)?, audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    if q.execute(&mut *c).await?.rows_affected() != 1 {
                        return Err(StoreError::Conflict(
                            "the registration was decided by someone else".into(),
                        ));
                    }
                    h.execute(&mut *c).await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn get_agent(&self, org: &OrgId) -> Result<AgentRecord, StoreError> {
        self.record(
            sqlx::query("SELECT record FROM registry_agents WHERE org_id = $1")
                .bind(org.to_string()),
        )
        .await
    }

    async fn list_agents(&self) -> Result<Vec<AgentRecord>, StoreError> {
        self.records(sqlx::query(
            "SELECT record FROM registry_agents ORDER BY org_id",
        ))
        .await
    }

    async fn agent_history(&self, org: &OrgId) -> Result<Vec<AgentHistoryEntry>, StoreError> {
        self.records(
            sqlx::query(
                "SELECT record FROM registry_agent_history WHERE org_id = $1 ORDER BY at, id",
            )
            .bind(org.to_string()),
        )
        .await
    }

    async fn add_qualification(
        &self,
        q: &Qualification,
        history: &AgentHistoryEntry,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO registry_qualifications (id, org_id, recorded_at, record) VALUES ($1, $2, $3, $4)",
        )
        .bind(q.id.clone())
        .bind(q.org_id.to_string())
        .bind(q.recorded_at.millis())
        .bind(to_json(q)?);
        self.write_all(vec![insert, history_insert(history)?], audit)
            .await
            .map(|_| ())
    }

    async fn list_qualifications(
        &self,
        org: Option<&OrgId>,
    ) -> Result<Vec<Qualification>, StoreError> {
        self.records_of("registry_qualifications", org).await
    }

    async fn add_credit_record(
        &self,
        r: &CreditRecord,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO registry_credit (id, org_id, recorded_at, record) VALUES ($1, $2, $3, $4)",
        )
        .bind(r.id.clone())
        .bind(r.org_id.to_string())
        .bind(r.recorded_at.millis())
        .bind(to_json(r)?);
        self.write_all(vec![insert], audit).await.map(|_| ())
    }

    async fn list_credit_records(
        &self,
        org: Option<&OrgId>,
    ) -> Result<Vec<CreditRecord>, StoreError> {
        self.records_of("registry_credit", org).await
    }

    async fn create_expert(&self, e: &Expert, audit: &AuditEvent) -> Result<(), StoreError> {
        let insert = sqlx::query(
            "INSERT INTO registry_experts (id, created_at, record) VALUES ($1, $2, $3)",
        )
        .bind(e.id.clone())
        .bind(e.created_at.millis())
        .bind(to_json(e)?);
        self.write_all(vec![insert], audit).await.map(|_| ())
    }

    async fn list_experts(&self) -> Result<Vec<Expert>, StoreError> {
        self.records(sqlx::query(
            "SELECT record FROM registry_experts ORDER BY id",
        ))
        .await
    }

    async fn create_draw(&self, d: &DrawRecord, audit: &AuditEvent) -> Result<(), StoreError> {
        let q = sqlx::query(
            "INSERT INTO draws (id, state, version, created_at, record) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(d.id.clone())
        .bind(d.state.as_str())
        .bind(d.version)
        .bind(d.created_at.millis())
        .bind(to_json(d)?);
        self.write_draw(&d.id, q, "the draw already exists", audit)
            .await
    }

    async fn save_draw(&self, d: &DrawRecord, audit: &AuditEvent) -> Result<(), StoreError> {
        let q = Self::versioned_update(d)?;
        self.write_draw(&d.id, q, "the draw was changed by someone else", audit)
            .await
    }

    async fn save_draw_appointing(
        &self,
        d: &DrawRecord,
        project: &ProjectId,
        agent: &OrgId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let appoint = sqlx::query("UPDATE projects SET agent_org_id = $1 WHERE id = $2")
            .bind(agent.to_string())
            .bind(project.to_string());
        self.write_draw_all(
            &d.id,
            vec![
                (
                    Self::versioned_update(d)?,
                    "the draw was changed by someone else",
                ),
                (appoint, "the draw's project does not exist"),
            ],
            audit,
        )
        .await
    }

    async fn get_draw(&self, id: &str) -> Result<DrawRecord, StoreError> {
        self.record(sqlx::query("SELECT record FROM draws WHERE id = $1").bind(id.to_string()))
            .await
    }

    async fn list_draws(&self) -> Result<Vec<DrawRecord>, StoreError> {
        self.records(sqlx::query(
            "SELECT record FROM draws ORDER BY created_at DESC, id DESC LIMIT 200",
        ))
        .await
    }

    async fn open_draws(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT id, version FROM draws WHERE state = $1 ORDER BY created_at, id")
                .bind(DrawState::Open.as_str())
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<String, _>("id")?,
                    r.try_get::<i64, _>("version")?,
                ))
            })
            .collect()
    }

    async fn add_draw_commitment(
        &self,
        draw: &str,
        v: &PartyValue,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let q = Self::party_value_insert("draw_commitments", draw, v);
        self.write_draw(draw, q, "the party already committed", audit)
            .await
    }

    async fn add_draw_reveal(
        &self,
        draw: &str,
        v: &PartyValue,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let q = Self::party_value_insert("draw_reveals", draw, v);
        self.write_draw(draw, q, "the party already revealed", audit)
            .await
    }

    async fn draw_commitments(&self, draw: &str) -> Result<Vec<PartyValue>, StoreError> {
        self.party_values("draw_commitments", draw).await
    }

    async fn draw_reveals(&self, draw: &str) -> Result<Vec<PartyValue>, StoreError> {
        self.party_values("draw_reveals", draw).await
    }

    async fn draw_audit_indices(&self, draw: &str) -> Result<Vec<i64>, StoreError> {
        let rows = sqlx::query("SELECT idx FROM draw_audit WHERE draw_id = $1 ORDER BY idx")
            .bind(draw.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| r.try_get::<i64, _>("idx").map_err(StoreError::from))
            .collect()
    }

    async fn freeze_sealed_pool(
        &self,
        d: &DrawRecord,
        secret: &SealedSecret,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let update = Self::versioned_update(d)?;
        let insert = sqlx::query(
            "INSERT INTO draw_sealed_pools (draw_id, opened_at, record) VALUES ($1, NULL, $2)",
        )
        .bind(d.id.clone())
        .bind(to_json(secret)?);
        self.write_draw_all(
            &d.id,
            vec![
                (update, "the draw was changed by someone else"),
                (insert, "the draw's pool is already sealed"),
            ],
            audit,
        )
        .await
    }

    async fn sealed_pool(&self, draw: &str) -> Result<SealedSecret, StoreError> {
        self.record(
            sqlx::query("SELECT record FROM draw_sealed_pools WHERE draw_id = $1")
                .bind(draw.to_string()),
        )
        .await
    }

    async fn unopened_sealed_pools(&self) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT draw_id FROM draw_sealed_pools WHERE opened_at IS NULL ORDER BY draw_id",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| r.try_get::<String, _>("draw_id").map_err(StoreError::from))
            .collect()
    }

    async fn open_sealed_pool(
        &self,
        d: &DrawRecord,
        at: crate::domain::Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let update = Self::versioned_update(d)?;
        let mark = sqlx::query(
            "UPDATE draw_sealed_pools SET opened_at = $1 WHERE draw_id = $2 AND opened_at IS NULL",
        )
        .bind(at.millis())
        .bind(d.id.clone());
        self.write_draw_all(
            &d.id,
            vec![
                (update, "the draw was changed by someone else"),
                (mark, "the draw's pool was opened already"),
            ],
            audit,
        )
        .await
    }
}
