//! Persistence. `Store` has one method per use case, each one transaction that also appends the
//! use case's audit-log entry. `sql.rs` holds the SQL both backends share; `sqlite.rs` and
//! `postgres.rs` only connect, migrate and supply the few statements where the dialects differ.

mod award;
mod bids;
mod bonds;
mod commit;
mod disputes;
mod draws;
mod guarantees;
mod inbox;
mod leases;
mod log;
mod logbuffer;
mod opening;
pub mod postgres;
mod reactions;
mod reconciliations;
mod rows;
mod sql;
pub mod sqlite;
mod write_record;

use crate::auditlog::AuditEvent;
use crate::domain::{DocumentId, OrgId, ProjectId, TenderId, Timestamp};
use crate::identity::keys::SigningKey;
use crate::identity::name_key::NameKey;
use crate::identity::session::Session;
use crate::identity::{Actor, Login, Organisation, Role, User};
use crate::tenders::model::{Amendment, Project, Tender, TenderDocument};
use crate::tenders::notices::{NoticePage, NoticeQuery};
use crate::tenders::obtain::Obtained;
use async_trait::async_trait;
pub use award::{AwardStore, IssuedCode};
pub use bids::BidStore;
pub use bonds::{
    BondStore, LedgerWrite, NotificationRow, RefundRow, StoredTransaction, SubAccountRow,
};
pub use disputes::DisputeStore;
pub use draws::DrawStore;
pub use guarantees::GuaranteeStore;
pub use inbox::{InboxStore, MailDue};
pub use leases::LeaseStore;
pub use log::{LogStore, SealedEntry, StoredCheckpoint};
pub use opening::{OpeningStore, NOTIFY_CHANNEL};
pub use reactions::{ReactionStore, StoredReaction};
pub use reconciliations::{ReconciliationStore, StoredReconciliation};
use std::sync::Arc;
pub use write_record::WriteRecordStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or version conflict: the write lost a race or repeats an existing record.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The database could not be reached or failed; the detail is for the log, not for users.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => StoreError::Conflict(db.to_string()),
                _ => StoreError::Unavailable(e.to_string()),
            },
            _ => StoreError::Unavailable(e.to_string()),
        }
    }
}

/// One entry of the audit log as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEntry {
    pub index: i64,
    pub tender: Option<TenderId>,
    pub kind: String,
    pub entry: Vec<u8>,
}

#[async_trait]
pub trait Store:
    LogStore
    + BidStore
    + DrawStore
    + OpeningStore
    + AwardStore
    + BondStore
    + GuaranteeStore
    + ReconciliationStore
    + WriteRecordStore
    + DisputeStore
    + ReactionStore
    + LeaseStore
    + InboxStore
    + Send
    + Sync
{
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    async fn ping(&self) -> Result<(), StoreError>;
    /// Refreshes the query planner's statistics (after a bulk import, say).
    async fn refresh_statistics(&self) -> Result<(), StoreError>;

    // organisations, users, sessions, keys
    async fn create_organisation(
        &self,
        org: &Organisation,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// A tenderer's self-registration: its organisation and first user in one transaction.
    async fn register_organisation_with_user(
        &self,
        org: &Organisation,
        user: &User,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn get_organisation(&self, id: &OrgId) -> Result<Organisation, StoreError>;
    /// The organisation whose name has this key, if one has (the key is unique).
    async fn find_organisation_by_name(
        &self,
        key: &NameKey,
    ) -> Result<Option<Organisation>, StoreError>;
    async fn list_organisations(&self, role: Option<Role>)
        -> Result<Vec<Organisation>, StoreError>;
    async fn create_user(&self, user: &User, audit: &AuditEvent) -> Result<(), StoreError>;
    async fn find_user_by_login(&self, login: &Login) -> Result<Option<User>, StoreError>;
    async fn create_session(&self, session: &Session) -> Result<(), StoreError>;
    /// The session and its actor, if the digest is known (expiry is the caller's rule).
    async fn find_session(&self, digest: &str) -> Result<Option<(Session, Actor)>, StoreError>;
    async fn delete_session(&self, digest: &str) -> Result<(), StoreError>;
    async fn add_signing_key(&self, key: &SigningKey, audit: &AuditEvent)
        -> Result<(), StoreError>;
    async fn list_signing_keys(&self, org: &OrgId) -> Result<Vec<SigningKey>, StoreError>;

    // projects and tenders
    async fn create_project(&self, project: &Project, audit: &AuditEvent)
        -> Result<(), StoreError>;
    async fn get_project(&self, id: &ProjectId) -> Result<Project, StoreError>;
    async fn list_projects(&self, org: &OrgId) -> Result<Vec<Project>, StoreError>;
    async fn create_tender(&self, tender: &Tender, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Records an event that changes nothing else (a deadline passing, a box closing).
    async fn record_event(&self, audit: &AuditEvent) -> Result<i64, StoreError>;
    /// Imports tenders in one transaction (notices migrated from a previous platform, load tests),
    /// each with its audit entry.
    async fn import_tenders(&self, batch: &[(Tender, AuditEvent)]) -> Result<(), StoreError>;
    async fn get_tender(&self, id: &TenderId) -> Result<Tender, StoreError>;
    async fn list_tenders_of_org(&self, org: &OrgId) -> Result<Vec<Tender>, StoreError>;
    /// The project's tenders that are not drafts, oldest first.
    async fn list_tenders_of_project(&self, project: &ProjectId)
        -> Result<Vec<Tender>, StoreError>;
    /// Writes `tender` if the stored version is `tender.version - 1`; `Conflict` otherwise.
    async fn save_tender(&self, tender: &Tender, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Saves the published tender (as `save_tender`) and issues its draft documents.
    async fn publish_tender(&self, tender: &Tender, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Saves the amended tender (as `save_tender`), records the amendment and issues the staged
    /// documents it lists.
    async fn add_amendment(
        &self,
        tender: &Tender,
        amendment: &Amendment,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn list_amendments(&self, tender: &TenderId) -> Result<Vec<Amendment>, StoreError>;

    // tender documents
    async fn add_document(
        &self,
        doc: &TenderDocument,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    async fn get_document(&self, id: &DocumentId) -> Result<TenderDocument, StoreError>;
    async fn list_documents(&self, tender: &TenderId) -> Result<Vec<TenderDocument>, StoreError>;

    // who obtained the documents (confidential until the opening)
    /// Records that a tenderer obtained the documents; `false` if it already had.
    async fn record_obtained(&self, o: &Obtained, audit: &AuditEvent) -> Result<bool, StoreError>;
    async fn find_obtained(
        &self,
        tender: &TenderId,
        org: &OrgId,
    ) -> Result<Option<Obtained>, StoreError>;
    async fn list_obtained(&self, tender: &TenderId) -> Result<Vec<Obtained>, StoreError>;

    // the public notice board
    async fn search_notices(
        &self,
        q: &NoticeQuery,
        now: Timestamp,
    ) -> Result<NoticePage, StoreError>;

    // the audit log
    async fn audit_entries(
        &self,
        tender: Option<&TenderId>,
        after: i64,
        limit: i64,
    ) -> Result<Vec<StoredEntry>, StoreError>;
}

/// Opens the store named by `url` (`sqlite://…` or `postgres://…`) and brings its schema up to date.
pub async fn open(url: &str) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::open(url).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::open(url).await?))
    } else {
        Err(StoreError::Unavailable(
            "DATABASE_URL must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// Applies the embedded migrations (version, description, SQL) that the database has not seen yet.
async fn migrate(pool: &sqlx::AnyPool, files: &[(i64, &str, &str)]) -> Result<(), StoreError> {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    let migrations: Vec<Migration> = files
        .iter()
        .map(|(version, description, sql)| {
            Migration::new(
                *version,
                description.to_string().into(),
                MigrationType::Simple,
                sql.to_string().into(),
                false,
            )
        })
        .collect();
    let migrator = Migrator {
        migrations: migrations.into(),
        ..Migrator::DEFAULT
    };
    migrator
        .run(pool)
        .await
        .map_err(|e| StoreError::Unavailable(format!("migration failed: {e}")))
}
