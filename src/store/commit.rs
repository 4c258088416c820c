//! Group commit: every write of the hall runs on one writer task, which takes all writes waiting
//! at that moment into a single database transaction, each inside its own savepoint, and commits
//! them with one flush to disk. A write is answered only after that commit. A write that fails
//! rolls back to its savepoint without disturbing the others; a caller that goes away does not
//! abandon a half-done write (the writer finishes or drops it whole).
//!
//! Round trips to the database are what bound a single writer on PostgreSQL, so a batch spends
//! as few as it can beside its writes' own statements: one to begin (transaction, log lock,
//! first savepoint), one to read the log's size, one per write between writes (release and
//! open the savepoint together), the log's rows in a few multi-row inserts, and the commit.

use super::logbuffer::{Edge, LogBuffer};
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

async fn exec(conn: &mut AnyConnection, sql: &'static str) -> Result<(), sqlx::Error> {
    // Without arguments a string goes as one simple query: several statements, one round trip.
    sqlx::Executor::execute(conn, sql).await.map(|_| ())
}

/// How a batch begins: the transaction, on PostgreSQL the log lock (one writer at a time across
/// processes, so log indexes are dense and in commit order), and the first write's savepoint,
/// in one round trip. SQLite takes the write lock at once, so a second process on the same file
/// waits (busy_timeout) instead of failing to upgrade a read lock mid-batch.
fn begin_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => "BEGIN IMMEDIATE; SAVEPOINT w",
        Dialect::Postgres => "BEGIN; SELECT pg_advisory_xact_lock(7262001); SAVEPOINT w",
    }
}

/// After a write that succeeded and before the next: keep its work, guard the next one. The
/// savepoint is released rather than nested (PostgreSQL slows down with many open
/// subtransactions), in the same round trip that opens the next.
const NEXT_AFTER_SUCCESS: &str = "RELEASE SAVEPOINT w; SAVEPOINT w";
/// After a write that failed: undo its work; the savepoint stays for the next write.
const UNDO: &str = "ROLLBACK TO SAVEPOINT w";

async fn writer(pool: AnyPool, dialect: Dialect, mut rx: mpsc::Receiver<Job>) {
    // The log's right edge as the last committed batch left it: the next batch reads it again
    // only if the log has grown meanwhile (another process wrote).
    let mut edge: Option<Edge> = None;
    while let Some(first) = rx.recv().await {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        // Dropping a batch drops its answer channels: the callers learn the write failed.
        let mut tx = match pool.begin_with(begin_sql(dialect)).await {
            Ok(tx) => tx,
            Err(e) => {
                tracing::error!(error = %e, "cannot begin a write transaction");
                continue;
            }
        };
        let mut log = match LogBuffer::start(&mut tx, edge.take()).await {
            Ok(log) => log,
            Err(e) => {
                tracing::error!(error = %e, "cannot read the log's edge");
                continue;
            }
        };
        let mut delivered = Vec::with_capacity(batch.len());
        let mut broken = false;
        let last = batch.len() - 1;
        for (n, job) in batch.into_iter().enumerate() {
            let mark = log.mark();
            let outcome = AssertUnwindSafe(job(&mut tx, &mut log))
                .catch_unwind()
                .await;
            let step = match outcome {
                Ok(Some(deliver)) => {
                    delivered.push(deliver);
                    // The last write's work is kept by the commit itself.
                    if n < last {
                        exec(&mut tx, NEXT_AFTER_SUCCESS).await
                    } else {
                        Ok(())
                    }
                }
                Ok(None) | Err(_) => {
                    if outcome.is_err() {
                        tracing::error!("a write panicked; it was rolled back");
                    }
                    log.rollback_to(mark);
                    exec(&mut tx, UNDO).await
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
        if committed.is_ok() {
            edge = Some(log.edge());
        }
        for deliver in delivered {
            deliver(match &committed {
                Ok(()) => Ok(()),
                Err(e) => Err(StoreError::Unavailable(format!("commit failed: {e}"))),
            });
        }
    }
}
