//! The hall's own hands on the ceremony: a watcher that advances every opening the clock has
//! reached and (on SQLite) re-reads the tenders its sockets watch, and (on PostgreSQL) a listener
//! that broadcasts the events other processes committed.

use super::service::advance_due;
use crate::app::AppState;
use crate::domain::TenderId;
use std::time::Duration;

/// Advances due openings every `every` until shutdown.
pub fn spawn_watcher(app: AppState, every: Duration) -> tokio::task::JoinHandle<()> {
    app.every("opening_watcher", every, |app| async move {
        if let Err(e) = advance_due(&app).await {
            tracing::warn!(error = %e, "advancing openings failed");
        }
        // On SQLite, which has no NOTIFY, what another process committed reaches this one's
        // sockets within a tick.
        if app.store.backend() == "sqlite" {
            for tender in app.openings.watched() {
                if let Err(e) = app.openings.publish(app.store.as_ref(), &tender, 1).await {
                    tracing::warn!(error = %e, tender = %tender, "opening broadcast failed");
                }
            }
        }
    })
}

/// Broadcasts to this process's sockets what another process announced with NOTIFY
/// (`<tender id> <first seq>`); after a lost connection, re-reads every watched tender.
pub fn on_notification(app: &AppState, payload: Option<String>) {
    let app = app.clone();
    tokio::spawn(async move {
        let targets: Vec<(TenderId, i64)> = match payload {
            Some(p) => {
                let mut parts = p.split(' ');
                match (
                    parts.next().and_then(|t| TenderId::parse(t).ok()),
                    parts.next().and_then(|s| s.parse().ok()),
                ) {
                    (Some(t), Some(seq)) => vec![(t, seq)],
                    _ => return,
                }
            }
            None => app.openings.watched().into_iter().map(|t| (t, 1)).collect(),
        };
        for (tender, seq) in targets {
            if let Err(e) = app.openings.publish(app.store.as_ref(), &tender, seq).await {
                tracing::warn!(error = %e, tender = %tender, "cannot broadcast another process's events");
            }
        }
    });
}
