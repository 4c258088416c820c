//! Storage of bonds paid by bank transfer: sub-accounts, the performance bonds the award expects,
//! the bank's notifications, the ledger's transactions and postings, and the refund outbox.
//! A ledger write checks, inside its transaction, that nothing was written for the same
//! (tender, tenderer) since the caller read it (`Conflict` otherwise), so two writers cannot both
//! take the same money. Balances are never stored: they are sums over postings.

use super::sql::{append_audit, SqlStore};
use super::StoreError;
use crate::auditlog::AuditEvent;
use crate::bonds::bank::BankCode;
use crate::bonds::ledger::{Account, IdempotencyKey, Leg, Memo, RefundInstructionId, Side};
use crate::bonds::Transaction;
use crate::domain::{Money, OrgId, TenderId, Timestamp};
use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::Row;

/// A (tender, tenderer) pair's sub-account at a bank.
#[derive(Debug, Clone, PartialEq)]
pub struct SubAccountRow {
    pub tender: TenderId,
    pub tenderer: OrgId,
    pub bank: BankCode,
    pub number: String,
    pub attempt: i64,
    pub opened_at: Timestamp,
}

/// A notification as received, kept by (bank, bank transaction id).
#[derive(Debug, Clone, PartialEq)]
pub struct NotificationRow {
    pub bank: BankCode,
    pub bank_txn_id: String,
    /// `credit` or `refund_paid`.
    pub kind: &'static str,
    pub body_sha256: String,
    /// `recorded` or `flagged`.
    pub outcome: String,
    pub reason: Option<String>,
    pub received_at: Timestamp,
}

/// A refund instruction in the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRow {
    pub instruction: RefundInstructionId,
    pub tender: Option<TenderId>,
    pub tenderer: Option<OrgId>,
    pub bank: BankCode,
    pub to_account: String,
    pub to_name: String,
    pub amount: Money,
    pub due_by: Timestamp,
    pub article: String,
    /// `pending`, `accepted` or `paid`.
    pub state: String,
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
}

/// A transaction as stored, with the words a person gave for it.
#[derive(Debug, Clone)]
pub struct StoredTransaction {
    pub seq: i64,
    pub tender: Option<TenderId>,
    pub tenderer: Option<OrgId>,
    pub transaction: Transaction,
    pub note: Option<String>,
}

/// One ledger transaction and everything that must commit with it.
#[derive(Debug, Clone)]
pub struct LedgerWrite {
    /// The (tender, tenderer) whose bonds it moves, and the last `seq` the caller saw for them.
    pub scope: Option<(TenderId, OrgId)>,
    pub after: i64,
    pub transaction: Transaction,
    pub note: Option<String>,
    pub notification: Option<NotificationRow>,
    /// A refund instruction to send.
    pub refund: Option<RefundRow>,
    /// The instruction this transaction confirms paid.
    pub paid: Option<RefundInstructionId>,
    pub audit: AuditEvent,
    /// What this transaction asks of the hall afterwards (src/reactions), written with it.
    pub reactions: Vec<crate::reactions::Reaction>,
}

#[async_trait]
pub trait BondStore: Send + Sync {
    /// Opens the pair's sub-account; `Conflict` if the number is taken or the pair has one.
    async fn open_sub_account(
        &self,
        row: &SubAccountRow,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn sub_account_of(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
    ) -> Result<Option<SubAccountRow>, StoreError>;
    async fn sub_account_by_number(
        &self,
        bank: &BankCode,
        number: &str,
    ) -> Result<Option<SubAccountRow>, StoreError>;
    /// Records (or replaces) the performance bond the winner is to give.
    async fn expect_performance_bond(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
        amount: Money,
        due_by: Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn performance_bond_expected(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
    ) -> Result<Option<(Money, Timestamp)>, StoreError>;
    async fn bank_notification(
        &self,
        bank: &BankCode,
        bank_txn_id: &str,
    ) -> Result<Option<NotificationRow>, StoreError>;
    /// Writes the transaction, its postings and what commits with it, if nothing was written for
    /// the scope after `after`; `Conflict` otherwise, or if its key or notification is known.
    async fn write_ledger(&self, w: LedgerWrite) -> Result<i64, StoreError>;
    /// The transactions of one (tender, tenderer) in order, and the last seq among them.
    async fn ledger_scope(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
    ) -> Result<(Vec<StoredTransaction>, i64), StoreError>;
    /// All transactions of a tender, or of the whole hall, in order.
    async fn ledger_transactions(
        &self,
        tender: Option<&TenderId>,
    ) -> Result<Vec<StoredTransaction>, StoreError>;
    /// Pending instructions whose next attempt is due, oldest first.
    async fn refunds_due(&self, now: Timestamp, limit: i64) -> Result<Vec<RefundRow>, StoreError>;
    /// Records one attempt to send: accepted by the bank, or to be tried again at `next_attempt_at`.
    async fn refund_attempted(
        &self,
        instruction: &RefundInstructionId,
        accepted: bool,
        next_attempt_at: Timestamp,
        error: Option<String>,
        audit: Option<&AuditEvent>,
    ) -> Result<(), StoreError>;
    async fn refunds(&self, tender: Option<&TenderId>) -> Result<Vec<RefundRow>, StoreError>;
    async fn refund(
        &self,
        instruction: &RefundInstructionId,
    ) -> Result<Option<RefundRow>, StoreError>;
}

fn bad(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(format!("a stored bond record does not read back: {e}"))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(bad)
}

fn side_str(s: Side) -> &'static str {
    match s {
        Side::Debit => "debit",
        Side::Credit => "credit",
    }
}

fn sub_account(r: &AnyRow) -> Result<SubAccountRow, StoreError> {
    Ok(SubAccountRow {
        tender: TenderId::from_stored(r.try_get("tender_id")?),
        tenderer: OrgId::from_stored(r.try_get("tenderer_id")?),
        bank: BankCode::parse(&r.try_get::<String, _>("bank")?).map_err(bad)?,
        number: r.try_get("number")?,
        attempt: r.try_get("attempt")?,
        opened_at: Timestamp::from_stored(r.try_get("opened_at")?),
    })
}

fn refund_row(r: &AnyRow) -> Result<RefundRow, StoreError> {
    let tender: Option<String> = r.try_get("tender_id")?;
    let tenderer: Option<String> = r.try_get("tenderer_id")?;
    Ok(RefundRow {
        instruction: RefundInstructionId::parse(&r.try_get::<String, _>("instruction_id")?)
            .map_err(bad)?,
        tender: tender.map(TenderId::from_stored),
        tenderer: tenderer.map(OrgId::from_stored),
        bank: BankCode::parse(&r.try_get::<String, _>("bank")?).map_err(bad)?,
        to_account: r.try_get("to_account")?,
        to_name: r.try_get("to_name")?,
        amount: Money::from_fen(r.try_get("amount_fen")?).map_err(bad)?,
        due_by: Timestamp::from_stored(r.try_get("due_by")?),
        article: r.try_get("article")?,
        state: r.try_get("state")?,
        attempts: r.try_get("attempts")?,
        next_attempt_at: Timestamp::from_stored(r.try_get("next_attempt_at")?),
        last_error: r.try_get("last_error")?,
        created_at: Timestamp::from_stored(r.try_get("created_at")?),
    })
}

const REFUND_COLUMNS: &str = "instruction_id, tender_id, tenderer_id, bank, to_account, to_name, \
     amount_fen, due_by, article, state, attempts, next_attempt_at, last_error, created_at";

impl SqlStore {
    /// Reads transactions (with their postings, in order) selected by `filter` on `t`.
    async fn read_transactions(
        &self,
        filter: &str,
        binds: Vec<String>,
    ) -> Result<Vec<StoredTransaction>, StoreError> {
        let sql = format!(
            "SELECT t.seq, t.idempotency_key, t.tender_id, t.tenderer_id, t.at, t.memo, t.note, \
               p.account, p.side, p.fen \
             FROM ledger_transactions t JOIN ledger_postings p ON p.seq = t.seq \
             {filter} ORDER BY t.seq, p.n"
        );
        let mut q = sqlx::query(&sql);
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.read).await?;
        let mut out: Vec<StoredTransaction> = Vec::new();
        let mut i = 0;
        while i < rows.len() {
            let seq: i64 = rows[i].try_get("seq")?;
            let head = &rows[i];
            let mut legs = Vec::new();
            while i < rows.len() && rows[i].try_get::<i64, _>("seq")? == seq {
                let account: Account =
                    serde_json::from_str(&rows[i].try_get::<String, _>("account")?).map_err(bad)?;
                let fen: i64 = rows[i].try_get("fen")?;
                let side: String = rows[i].try_get("side")?;
                legs.push(if side == "debit" {
                    Leg::debit(account, fen)
                } else {
                    Leg::credit(account, fen)
                });
                i += 1;
            }
            let key: IdempotencyKey =
                serde_json::from_str(&head.try_get::<String, _>("idempotency_key")?)
                    .map_err(bad)?;
            let memo: Memo = serde_json::from_str::<Memo>(&head.try_get::<String, _>("memo")?)
                .map_err(bad)?
                .restore();
            let at = Timestamp::from_stored(head.try_get("at")?);
            let tender: Option<String> = head.try_get("tender_id")?;
            let tenderer: Option<String> = head.try_get("tenderer_id")?;
            out.push(StoredTransaction {
                seq,
                tender: tender.map(TenderId::from_stored),
                tenderer: tenderer.map(OrgId::from_stored),
                transaction: Transaction::new(key, at, memo, legs).map_err(bad)?,
                note: head.try_get("note")?,
            });
        }
        Ok(out)
    }
}

#[async_trait]
impl BondStore for SqlStore {
    async fn open_sub_account(
        &self,
        row: &SubAccountRow,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (row, audit) = (row.clone(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "INSERT INTO bond_sub_accounts (tender_id, tenderer_id, bank, number, attempt, opened_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(row.tender.to_string())
                    .bind(row.tenderer.to_string())
                    .bind(row.bank.as_str().to_owned())
                    .bind(row.number.clone())
                    .bind(row.attempt)
                    .bind(row.opened_at.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn sub_account_of(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
    ) -> Result<Option<SubAccountRow>, StoreError> {
        sqlx::query("SELECT * FROM bond_sub_accounts WHERE tender_id = $1 AND tenderer_id = $2")
            .bind(tender.to_string())
            .bind(tenderer.to_string())
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(sub_account)
            .transpose()
    }

    async fn sub_account_by_number(
        &self,
        bank: &BankCode,
        number: &str,
    ) -> Result<Option<SubAccountRow>, StoreError> {
        sqlx::query("SELECT * FROM bond_sub_accounts WHERE number = $1 AND bank = $2")
            .bind(number.to_owned())
            .bind(bank.as_str().to_owned())
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(sub_account)
            .transpose()
    }

    async fn expect_performance_bond(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
        amount: Money,
        due_by: Timestamp,
        audit: &AuditEvent,
    ) -> Result<(), StoreError> {
        let (tender, tenderer, audit) = (tender.to_string(), tenderer.to_string(), audit.clone());
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    sqlx::query(
                        "DELETE FROM performance_bonds_expected WHERE tender_id = $1 AND tenderer_id = $2",
                    )
                    .bind(tender.clone())
                    .bind(tenderer.clone())
                    .execute(&mut *c)
                    .await?;
                    sqlx::query(
                        "INSERT INTO performance_bonds_expected (tender_id, tenderer_id, amount_fen, due_by) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(tender)
                    .bind(tenderer)
                    .bind(amount.fen())
                    .bind(due_by.millis())
                    .execute(&mut *c)
                    .await?;
                    append_audit(log, &audit)?;
                    Ok(())
                })
            })
            .await
    }

    async fn performance_bond_expected(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
    ) -> Result<Option<(Money, Timestamp)>, StoreError> {
        let row = sqlx::query(
            "SELECT amount_fen, due_by FROM performance_bonds_expected \
             WHERE tender_id = $1 AND tenderer_id = $2",
        )
        .bind(tender.to_string())
        .bind(tenderer.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok((
                Money::from_fen(r.try_get("amount_fen")?).map_err(bad)?,
                Timestamp::from_stored(r.try_get("due_by")?),
            ))
        })
        .transpose()
    }

    async fn bank_notification(
        &self,
        bank: &BankCode,
        bank_txn_id: &str,
    ) -> Result<Option<NotificationRow>, StoreError> {
        let row = sqlx::query(
            "SELECT kind, body_sha256, outcome, reason, received_at FROM bank_notifications \
             WHERE bank = $1 AND bank_txn_id = $2",
        )
        .bind(bank.as_str().to_owned())
        .bind(bank_txn_id.to_owned())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            let kind: String = r.try_get("kind")?;
            Ok(NotificationRow {
                bank: bank.clone(),
                bank_txn_id: bank_txn_id.to_owned(),
                kind: if kind == "credit" {
                    "credit"
                } else {
                    "refund_paid"
                },
                body_sha256: r.try_get("body_sha256")?,
                outcome: r.try_get("outcome")?,
                reason: r.try_get("reason")?,
                received_at: Timestamp::from_stored(r.try_get("received_at")?),
            })
        })
        .transpose()
    }

    async fn write_ledger(&self, w: LedgerWrite) -> Result<i64, StoreError> {
        let key = json(w.transaction.key())?;
        let memo = json(w.transaction.memo())?;
        let mut postings = Vec::new();
        for p in w.transaction.postings() {
            postings.push((json(p.account())?, side_str(p.side()), p.amount().fen()));
        }
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    let (tender, tenderer): (Option<String>, Option<String>) = match &w.scope {
                        Some((t, o)) => (Some(t.to_string()), Some(o.to_string())),
                        None => (None, None),
                    };
                    // The version check rides on the insert: no row comes back if another
                    // write for the pair came first (one statement fewer on the writer).
                    let inserted = sqlx::query(
                        "INSERT INTO ledger_transactions (idempotency_key, tender_id, tenderer_id, at, memo, note) \
                         SELECT $1, $2, $3, $4, $5, $6 \
                         WHERE $7 = (SELECT COALESCE(MAX(seq), 0) FROM ledger_transactions \
                                     WHERE tender_id = $2 AND tenderer_id = $3) \
                         RETURNING seq",
                    )
                    .bind(key)
                    .bind(tender.clone())
                    .bind(tenderer.clone())
                    .bind(w.transaction.at().millis())
                    .bind(memo)
                    .bind(w.note.clone())
                    .bind(if tender.is_some() { w.after } else { 0 })
                    .fetch_optional(&mut *c)
                    .await?;
                    let Some(row) = inserted else {
                        return Err(StoreError::Conflict(
                            "the bonds of this tenderer moved on since they were read".into(),
                        ));
                    };
                    let seq: i64 = row.try_get("seq")?;
                    let values: Vec<String> = (0..postings.len())
                        .map(|k| {
                            let b = 5 * k;
                            format!("(${}, ${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4, b + 5)
                        })
                        .collect();
                    let sql = format!(
                        "INSERT INTO ledger_postings (seq, n, account, side, fen) VALUES {}",
                        values.join(", ")
                    );
                    let mut q = sqlx::query(&sql);
                    for (n, (account, side, fen)) in postings.into_iter().enumerate() {
                        q = q.bind(seq).bind(n as i64).bind(account).bind(side).bind(fen);
                    }
                    q.execute(&mut *c).await?;
                    if let Some(n) = &w.notification {
                        sqlx::query(
                            "INSERT INTO bank_notifications (bank, bank_txn_id, kind, body_sha256, outcome, reason, received_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        )
                        .bind(n.bank.as_str().to_owned())
                        .bind(n.bank_txn_id.clone())
                        .bind(n.kind)
                        .bind(n.body_sha256.clone())
                        .bind(n.outcome.clone())
                        .bind(n.reason.clone())
                        .bind(n.received_at.millis())
                        .execute(&mut *c)
                        .await?;
                    }
                    if let Some(r) = &w.refund {
                        sqlx::query(&format!(
                            "INSERT INTO refund_outbox ({REFUND_COLUMNS}) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
                        ))
                        .bind(r.instruction.as_str().to_owned())
                        .bind(r.tender.as_ref().map(|t| t.to_string()))
                        .bind(r.tenderer.as_ref().map(|o| o.to_string()))
                        .bind(r.bank.as_str().to_owned())
                        .bind(r.to_account.clone())
                        .bind(r.to_name.clone())
                        .bind(r.amount.fen())
                        .bind(r.due_by.millis())
                        .bind(r.article.clone())
                        .bind(r.state.clone())
                        .bind(r.attempts)
                        .bind(r.next_attempt_at.millis())
                        .bind(r.last_error.clone())
                        .bind(r.created_at.millis())
                        .execute(&mut *c)
                        .await?;
                    }
                    if let Some(id) = &w.paid {
                        sqlx::query("UPDATE refund_outbox SET state = 'paid' WHERE instruction_id = $1")
                            .bind(id.as_str().to_owned())
                            .execute(&mut *c)
                            .await?;
                    }
                    super::reactions::insert(c, &w.reactions, w.audit.at).await?;
                    append_audit(log, &w.audit)?;
                    Ok(seq)
                })
            })
            .await
    }

    async fn ledger_scope(
        &self,
        tender: &TenderId,
        tenderer: &OrgId,
    ) -> Result<(Vec<StoredTransaction>, i64), StoreError> {
        let ts = self
            .read_transactions(
                "WHERE t.tender_id = $1 AND t.tenderer_id = $2",
                vec![tender.to_string(), tenderer.to_string()],
            )
            .await?;
        let last = ts.last().map_or(0, |t| t.seq);
        Ok((ts, last))
    }

    async fn ledger_transactions(
        &self,
        tender: Option<&TenderId>,
    ) -> Result<Vec<StoredTransaction>, StoreError> {
        match tender {
            Some(t) => {
                self.read_transactions("WHERE t.tender_id = $1", vec![t.to_string()])
                    .await
            }
            None => self.read_transactions("", Vec::new()).await,
        }
    }

    async fn refunds_due(&self, now: Timestamp, limit: i64) -> Result<Vec<RefundRow>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REFUND_COLUMNS} FROM refund_outbox WHERE state = 'pending' AND next_attempt_at <= $1 \
             ORDER BY next_attempt_at, instruction_id LIMIT $2"
        ))
        .bind(now.millis())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(refund_row).collect()
    }

    async fn refund_attempted(
        &self,
        instruction: &RefundInstructionId,
        accepted: bool,
        next_attempt_at: Timestamp,
        error: Option<String>,
        audit: Option<&AuditEvent>,
    ) -> Result<(), StoreError> {
        let id = instruction.as_str().to_owned();
        let audit = audit.cloned();
        self.commit
            .run(move |c, log| {
                Box::pin(async move {
                    // A confirmation may have come first: `paid` is never taken back.
                    sqlx::query(
                        "UPDATE refund_outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, \
                         state = CASE WHEN state = 'pending' THEN $4 ELSE state END \
                         WHERE instruction_id = $1",
                    )
                    .bind(id)
                    .bind(next_attempt_at.millis())
                    .bind(error)
                    .bind(if accepted { "accepted" } else { "pending" })
                    .execute(&mut *c)
                    .await?;
                    if let Some(a) = &audit {
                        append_audit(log, a)?;
                    }
                    Ok(())
                })
            })
            .await
    }

    async fn refunds(&self, tender: Option<&TenderId>) -> Result<Vec<RefundRow>, StoreError> {
        let rows = match tender {
            Some(t) => {
                sqlx::query(&format!(
                    "SELECT {REFUND_COLUMNS} FROM refund_outbox WHERE tender_id = $1 ORDER BY created_at, instruction_id"
                ))
                .bind(t.to_string())
                .fetch_all(&self.read)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {REFUND_COLUMNS} FROM refund_outbox ORDER BY created_at, instruction_id"
                ))
                .fetch_all(&self.read)
                .await?
            }
        };
        rows.iter().map(refund_row).collect()
    }

    async fn refund(
        &self,
        instruction: &RefundInstructionId,
    ) -> Result<Option<RefundRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {REFUND_COLUMNS} FROM refund_outbox WHERE instruction_id = $1"
        ))
        .bind(instruction.as_str().to_owned())
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(refund_row)
        .transpose()
    }
}
