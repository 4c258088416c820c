//! Group commit: every write of the hall runs on one writer task, which takes all writes waiting
//! at that moment into a single database transaction, each inside its own savepoint, and commits
//! them with one flush to disk. A write is answered only after that commit. A write that fails
//! rolls back to its savepoint without disturbing the others; a caller that goes away does not
//! abandon a half-done write (the writer finishes or drops it whole).

use super::logbuffer::LogBuffer;
use super::sql::Dialect;
use super::StoreError;
use futures_util::future::BoxFuture;
use futures_util::FutureExt;
use sqlx::{AnyConnection, AnyPool};
use std::panic::AssertUnwindSafe;
use tokio::sync::{mpsc, oneshot};

/// Writes taken into one transaction at most; the rest wait for the next.
const MAX_BATCH: usize = 512;

type Deliver = Box<dyn FnOnce(Result<(), StoreError>) + Send>;
type Job = Box<
    dyn for<'c> FnOnce(&'c mut AnyConnection, &'c mut LogBuffer) -> BoxFuture<'c, Option<Deliver>>
        + Send,
>;

pub struct GroupCommit {
    jobs: mpsc::Sender<Job>,
}

impl GroupCommit {
    pub fn start(pool: AnyPool, dialect: Dialect) -> Self {
        let (jobs, rx) = mpsc::channel(4 * MAX_BATCH);
        tokio::spawn(writer(pool, dialect, rx));
        GroupCommit { jobs }
    }

    /// Runs `work` in the next group transaction and returns its result once committed.
    pub async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: for<'c> FnOnce(
                &'c mut AnyConnection,
                &'c mut LogBuffer,
            ) -> BoxFuture<'c, Result<T, StoreError>>
            + Send
            + 'static,
    {
        let (send, recv) = oneshot::channel::<Result<T, StoreError>>();
        let job: Job = Box::new(move |conn, log| {
            Box::pin(async move {
                match work(conn, log).await {
                    Ok(value) => {
                        let deliver: Deliver = Box::new(move |committed| {
                            let _ = send.send(committed.map(|()| value));
                        });
                        Some(deliver)
                    }
                    Err(e) => {
                        let _ = send.send(Err(e));
                        None
                    }
                }
            })
        });
        self.jobs
            .send(job)
            .await
            .map_err(|_| StoreError::Unavailable("the writer has stopped".into()))?;
        recv.await.map_err(|_| {
            StoreError::Unavailable("the write was not committed: the database failed".into())
        })?
    }
}

async fn exec(conn: &mut AnyConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql).execute(conn).await.map(|_| ())
}

async fn writer(pool: AnyPool, dialect: Dialect, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Dropping a batch drops its answer channels: the callers learn the write failed.
        // SQLite: take the write lock at once, so a second process on the same file waits
        // (busy_timeout) instead of failing to upgrade a read lock mid-batch.
        let begin = match dialect {
            Dialect::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await,
            Dialect::Postgres => pool.begin().await,
        };
        let mut tx = match begin {
            Ok(tx) => tx,
            Err(e) => {
                tracing::error!(error = %e, "cannot begin a write transaction");
                continue;
            }
        };
        if dialect == Dialect::Postgres {
            // One writer at a time across processes, so log indexes are dense and in commit order.
            if let Err(e) = exec(&mut tx, "SELECT pg_advisory_xact_lock(7262001)").await {
                tracing::error!(error = %e, "cannot take the log lock");
                continue;
            }
        }
        let mut log = match LogBuffer::start(&mut tx).await {
            Ok(log) => log,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the log's edge");
                continue;
            }
        };
        let mut delivered = Vec::with_capacity(batch.len());
        let mut broken = false;
        // SQLite keeps nested savepoints (all named `w`; a rollback goes to the innermost, this
        // write's) cheaply until the commit releases them all, which saves a statement per write; PostgreSQL slows down past 64 open subtransactions, so each is
        // released as soon as its write succeeds.
        let release_each = dialect == Dialect::Postgres;
        for job in batch {
            if exec(&mut tx, "SAVEPOINT w").await.is_err() {
                broken = true;
                break;
            }
            let mark = log.mark();
            let outcome = AssertUnwindSafe(job(&mut tx, &mut log))
                .catch_unwind()
                .await;
            let step = match outcome {
                Ok(Some(deliver)) => {
                    delivered.push(deliver);
                    if release_each {
                        exec(&mut tx, "RELEASE SAVEPOINT w").await
                    } else {
                        Ok(())
                    }
                }
                Ok(None) | Err(_) => {
                    if outcome.is_err() {
                        tracing::error!("a write panicked; it was rolled back");
                    }
                    log.rollback_to(mark);
                    match exec(&mut tx, "ROLLBACK TO SAVEPOINT w").await {
                        Ok(()) => exec(&mut tx, "RELEASE SAVEPOINT w").await,
                        Err(e) => Err(e),
                    }
                }
            };
            if let Err(e) = step {
                tracing::error!(error = %e, "savepoint failed; the batch is rolled back");
                broken = true;
                break;
            }
        }
        if !broken {
            if let Err(e) = log.flush(&mut tx).await {
                tracing::error!(error = %e, "cannot write the batch's log entries");
                broken = true;
            }
        }
        if broken {
            drop(tx);
            continue;
        }
        let committed = tx.commit().await.map_err(StoreError::from);
        for deliver in delivered {
            deliver(match &committed {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
            });
        }
    }
}
