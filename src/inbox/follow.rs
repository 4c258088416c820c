//! The notifier: reads the audit log from its cursor, turns each entry into the notices
//! `rules.rs` says, and stores them with the new cursor in one transaction — so a crash repeats
//! nothing and loses nothing, and two nodes cannot both notify the same entries.

use super::rules;
use crate::app::AppState;
use crate::store::StoreError;

/// Entries read per round.
const BATCH: i64 = 200;

/// Reads every entry written since the last round; returns how many notices it made.
pub async fn notify(app: &AppState) -> Result<usize, StoreError> {
    let mut made = 0;
    loop {
        let from = app.store.inbox_cursor().await?;
        let entries = app.store.log_entries_after(from, BATCH).await?;
        let Some(last) = entries.last().map(|e| e.index) else {
            return Ok(made);
        };
        let mut notices = Vec::new();
        for e in &entries {
            notices.extend(rules::notices_for(app, e).await?);
        }
        let count = notices.len();
        let mail = app.config.smtp_url.is_some();
        match app
            .store
            .add_notices(notices, from, last, mail, app.clock.now())
            .await
        {
            Ok(()) => made += count,
            // Another notifier took these entries: read on from where it left the cursor.
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e),
        }
        if (entries.len() as i64) < BATCH {
            return Ok(made);
        }
    }
}

/// Notifies and mails every `every`.
pub fn spawn_notifier(app: &AppState, every: std::time::Duration) {
    app.every("notifier", every, |app| async move {
        if let Err(e) = notify(&app).await {
            tracing::warn!(error = %e, "the notifier could not read the log; it will retry");
        }
        if let Err(e) = super::mail::send_due(&app).await {
            tracing::warn!(error = %e, "mailing notices failed; it will retry");
        }
    });
}
