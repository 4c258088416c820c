//! Storage of questions, objections to the documents and complaints (`crate::disputes`): one row
//! each, written with its audit entry. An answer, an acceptance or a decision is written only over
//! the state the caller read (`Conflict` otherwise), so two people cannot both answer.

use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::disputes::model::{
    Acceptance, Answer, Complaint, ComplaintId, ComplaintState, Decision, DocumentObjection,
    Matter, ObjectionId, PriorObjection, Question, QuestionId, Statement,
};
use crate::disputes::service::prior_columns;
use crate::domain::{Line, OrgId, TenderId, Timestamp, UserId};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

#[async_trait]
pub trait DisputeStore: Send + Sync {
    async fn add_question(&self, q: &Question, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Writes the question's answer if it had none (`Conflict` otherwise).
    async fn answer_question(&self, q: &Question, audit: &AuditEvent) -> Result<(), StoreError>;
    /// The tender's questions, oldest first.
    async fn questions(&self, tender: &TenderId) -> Result<Vec<Question>, StoreError>;
    async fn add_objection(
        &self,
        o: &DocumentObjection,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Writes the objection's answer if it had none (`Conflict` otherwise).
    async fn answer_objection(
        &self,
        o: &DocumentObjection,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The tender's objections to its documents, oldest first.
    async fn objections(&self, tender: &TenderId) -> Result<Vec<DocumentObjection>, StoreError>;
    async fn add_complaint(&self, c: &Complaint, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Writes the complaint's acceptance and decision if its stored state is still `from`
    /// (`Conflict` otherwise).
    async fn update_complaint(
        &self,
        c: &Complaint,
        from: ComplaintState,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The tender's complaints, oldest first.
    async fn complaints(&self, tender: &TenderId) -> Result<Vec<Complaint>, StoreError>;
    /// The complaints addressed to a supervising department, oldest first.
    async fn complaints_to(&self, supervisor: &OrgId) -> Result<Vec<Complaint>, StoreError>;
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Unavailable(format!("a stored {what} does not parse"))
}

fn statement(r: &AnyRow, column: &str) -> Result<Option<Statement>, StoreError> {
    r.try_get::<Option<String>, _>(column)?
        .map(|s| Statement::parse(&s).map_err(|_| corrupt(column)))
        .transpose()
}

fn required(r: &AnyRow, column: &str) -> Result<Statement, StoreError> {
    statement(r, column)?.ok_or_else(|| corrupt(column))
}

fn instant(r: &AnyRow, column: &str) -> Result<Option<Timestamp>, StoreError> {
    Ok(r.try_get::<Option<i64>, _>(column)?
        .map(Timestamp::from_stored))
}

/// The answer columns a question and an objection share.
fn answer(r: &AnyRow) -> Result<Option<Answer>, StoreError> {
    let (Some(text), Some(at)) = (statement(r, "answer")?, instant(r, "answered_at")?) else {
        return Ok(None);
    };
    Ok(Some(Answer {
        text,
        by_org: OrgId::from_stored(r.try_get("answered_by_org")?),
        by_user: UserId::from_stored(r.try_get("answered_by_user")?),
        at,
    }))
}

fn question(r: &AnyRow) -> Result<Question, StoreError> {
    Ok(Question {
        id: QuestionId::from_stored(r.try_get("id")?),
        tender_id: TenderId::from_stored(r.try_get("tender_id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        user_id: UserId::from_stored(r.try_get("user_id")?),
        text: required(r, "text")?,
        asked_at: Timestamp::from_stored(r.try_get("asked_at")?),
        answer: answer(r)?,
    })
}

fn objection(r: &AnyRow) -> Result<DocumentObjection, StoreError> {
    Ok(DocumentObjection {
        id: ObjectionId::from_stored(r.try_get("id")?),
        tender_id: TenderId::from_stored(r.try_get("tender_id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        user_id: UserId::from_stored(r.try_get("user_id")?),
        text: required(r, "text")?,
        raised_at: Timestamp::from_stored(r.try_get("raised_at")?),
        answer: answer(r)?,
    })
}

fn complaint(r: &AnyRow) -> Result<Complaint, StoreError> {
    let matter: String = r.try_get("matter")?;
    let state: String = r.try_get("state")?;
    let state = ComplaintState::parse(&state).ok_or_else(|| corrupt("complaint state"))?;
    let prior = match (
        r.try_get::<Option<String>, _>("objection_id")?,
        r.try_get::<Option<String>, _>("objection_reference")?,
    ) {
        (Some(id), _) => Some(PriorObjection::Document(ObjectionId::from_stored(id))),
        (None, Some(text)) => Some(PriorObjection::Reference(
            Line::parse(&text).map_err(|_| corrupt("objection reference"))?,
        )),
        (None, None) => None,
    };
    let acceptance = match (instant(r, "accepted_at")?, state) {
        (
            Some(at),
            ComplaintState::Accepted | ComplaintState::Rejected | ComplaintState::Decided,
        ) => Some(Acceptance {
            accepted: state != ComplaintState::Rejected,
            reason: statement(r, "acceptance_reason")?,
            by_user: UserId::from_stored(r.try_get("accepted_by_user")?),
            at,
        }),
        _ => None,
    };
    let decision = match (instant(r, "decided_at")?, statement(r, "decision")?) {
        (Some(at), Some(text)) => Some(Decision {
            upheld: r.try_get::<Option<String>, _>("outcome")?.as_deref() == Some("upheld"),
            text,
            by_user: UserId::from_stored(r.try_get("decided_by_user")?),
            at,
        }),
        _ => None,
    };
    Ok(Complaint {
        id: ComplaintId::from_stored(r.try_get("id")?),
        tender_id: TenderId::from_stored(r.try_get("tender_id")?),
        supervisor_org_id: OrgId::from_stored(r.try_get("supervisor_org_id")?),
        org_id: OrgId::from_stored(r.try_get("org_id")?),
        user_id: UserId::from_stored(r.try_get("user_id")?),
        matter: Matter::parse(&matter).ok_or_else(|| corrupt("complaint matter"))?,
        text: required(r, "text")?,
        knew_at: Timestamp::from_stored(r.try_get("knew_at")?),
        prior,
        received_at: Timestamp::from_stored(r.try_get("received_at")?),
        acceptance,
        decision,
    })
}

/// `table` is one of the two tables with answer columns; never user input.
async fn write_answer(
    store: &SqlStore,
    table: &'static str,
    id: String,
    a: Answer,
    audit: &AuditEvent,
) -> Result<(), StoreError> {
    let audit = audit.clone();
    store
        .commit
        .run(move |c, log| {
            Box::pin(async move {
                let sql = format!(
                    "UPDATE {table} SET answer = $1, answered_by_org = $2, answered_by_user = $3, \
                       answered_at = $4 WHERE id = $5 AND answered_at IS NULL"
                );
                let done = sqlx::query(&sql)
                    .bind(a.text.as_str().to_string())
                    .bind(a.by_org.to_string())
                    .bind(a.by_user.to_string())
                    .bind(a.at.millis())
                    .bind(id)
                    .execute(&mut *c)
                    .await?;
                if done.rows_affected() != 1 {
                    return Err(StoreError::Conflict("already answered".into()));
                }
                append_audit(log, &audit)?;
                Ok(())
            })
        })
        .await
}

#[async_trait]
impl DisputeStore for SqlStore {
    async fn add_question(&self, q: &Question, audit: &AuditEvent) -> Result<(), StoreError> {
        let (q, audit) = (q.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO dispute_questions (id, tender_id, org_id, user_id, text, asked_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(q.id.to_string())
                    .bind(q.tender_id.to_string())
                    .bind(q.org_id.to_string())
                    .bind(q.user_id.to_string())
                    .bind(q.text.as_str().to_string())
                    .bind(q.asked_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn answer_question(&self, q: &Question, audit: &AuditEvent) -> Result<(), StoreError> {
        let a = q.answer.clone().ok_or(StoreError::NotFound)?;
        write_answer(self, "dispute_questions", q.id.to_string(), a, audit).await
    }

    async fn questions(&self, tender: &TenderId) -> Result<Vec<Question>, StoreError> {
        sqlx::query("SELECT * FROM dispute_questions WHERE tender_id = $1 ORDER BY asked_at, id")
            .bind(tender.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(question)
            .collect()
    }

    async fn add_objection(
        &self,
        o: &DocumentObjection,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (o, audit) = (o.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO document_objections (id, tender_id, org_id, user_id, text, raised_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(o.id.to_string())
                    .bind(o.tender_id.to_string())
                    .bind(o.org_id.to_string())
                    .bind(o.user_id.to_string())
                    .bind(o.text.as_str().to_string())
                    .bind(o.raised_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn answer_objection(
        &self,
        o: &DocumentObjection,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let a = o.answer.clone().ok_or(StoreError::NotFound)?;
        write_answer(self, "document_objections", o.id.to_string(), a, audit).await
    }

    async fn objections(&self, tender: &TenderId) -> Result<Vec<DocumentObjection>, StoreError> {
        sqlx::query("SELECT * FROM document_objections WHERE tender_id = $1 ORDER BY raised_at, id")
            .bind(tender.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(objection)
            .collect()
    }

    async fn add_complaint(&self, c: &Complaint, audit: &AuditEvent) -> Result<(), StoreError> {
        let (k, audit) = (c.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let (objection_id, reference) = prior_columns(&k.prior);
                    sqlx::query(
                        "INSERT INTO complaints (id, tender_id, supervisor_org_id, org_id, user_id, \
                           matter, text, knew_at, objection_id, objection_reference, received_at, state) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
                    )
                    .bind(k.id.to_string())
                    .bind(k.tender_id.to_string())
                    .bind(k.supervisor_org_id.to_string())
                    .bind(k.org_id.to_string())
                    .bind(k.user_id.to_string())
                    .bind(k.matter.as_str())
                    .bind(k.text.as_str().to_string())
                    .bind(k.knew_at.millis())
                    .bind(objection_id)
                    .bind(reference)
                    .bind(k.received_at.millis())
                    .bind(k.state().as_str())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn update_complaint(
        &self,
        c: &Complaint,
        from: ComplaintState,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (k, audit) = (c.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let a = k.acceptance.as_ref();
                    let d = k.decision.as_ref();
                    let done = sqlx::query(
                        "UPDATE complaints SET state = $1, acceptance_reason = $2, accepted_by_user = $3, \
                           accepted_at = $4, outcome = $5, decision = $6, decided_by_user = $7, \
                           decided_at = $8 \
                         WHERE id = $9 AND state = $10",
                    )
                    .bind(k.state().as_str())
                    .bind(a.and_then(|a| a.reason.as_ref()).map(|r| r.as_str().to_string()))
                    .bind(a.map(|a| a.by_user.to_string()))
                    .bind(a.map(|a| a.at.millis()))
                    .bind(d.map(|d| if d.upheld { "upheld" } else { "dismissed" }))
                    .bind(d.map(|d| d.text.as_str().to_string()))
                    .bind(d.map(|d| d.by_user.to_string()))
                    .bind(d.map(|d| d.at.millis()))
                    .bind(k.id.to_string())
                    .bind(from.as_str())
                    .execute(&mut *c)
                    .await?;
                    if done.rows_affected() != 1 {
                        return Err(StoreError::Conflict("the complaint moved on".into()));
                    }
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn complaints(&self, tender: &TenderId) -> Result<Vec<Complaint>, StoreError> {
        sqlx::query("SELECT * FROM complaints WHERE tender_id = $1 ORDER BY received_at, id")
            .bind(tender.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(complaint)
            .collect()
    }

    async fn complaints_to(&self, supervisor: &OrgId) -> Result<Vec<Complaint>, StoreError> {
        sqlx::query(
            "SELECT * FROM complaints WHERE supervisor_org_id = $1 ORDER BY received_at, id",
        )
        .bind(supervisor.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(complaint)
        .collect()
    }
}
