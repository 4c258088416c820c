//! Reconciliation with the banks, by hand and every day. `bidhall reconcile STATEMENT` reads a
//! bank's statement file (docs/bonds.md §5.3) and lists every difference from the stored ledger;
//! the daily job fetches each bank's statement of the day before (§5.2, signed both ways), runs
//! the same comparison, and keeps the result, with its audit entry, for the platform's ledger page.

use super::bank::{self, BankCode};
use super::directory::BankEndpoint;
use super::reconcile::{reconcile, reconcile_report, Reconciliation};
use super::service::rebuild;
use super::statement::{Statement, StatementDate};
use crate::app::AppState;
use crate::auditlog::{AuditActor, AuditEvent};
use crate::clock::Clock;
use crate::config::StoreArgs;
use crate::domain::DAY_MS;
use crate::store::StoredReconciliation;
use serde_json::json;
use std::path::PathBuf;

/// `bidhall reconcile`: a bank's statement against the ledger of the hall's database.
#[derive(Debug, clap::Args)]
pub struct ReconcileArgs {
    /// The bank's daily statement, as the JSON of docs/bonds.md §5.3.
    pub statement: PathBuf,
    #[command(flatten)]
    pub store: StoreArgs,
}

/// The report to print, and whether the statement and the ledger agree.
pub async fn run(args: ReconcileArgs) -> Result<(String, bool), String> {
    let bytes = std::fs::read(&args.statement)
        .map_err(|e| format!("cannot read {}: {e}", args.statement.display()))?;
    let statement: Statement = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{} is not a statement: {e}", args.statement.display()))?;
    let store = crate::store::open(&args.store.database_url())
        .await
        .map_err(|e| e.to_string())?;
    let ledger = rebuild(
        &store
            .ledger_transactions(None)
            .await
            .map_err(|e| e.to_string())?,
    )
    .map_err(|e| e.to_string())?;
    let clean = reconcile(&statement, &ledger).is_clean();
    Ok((reconcile_report(&statement, &ledger), clean))
}

/// Asks `bank` for its statement of `date`, signed on the hall's clock, and checks the bank's
/// signature over the answer before reading it.
pub async fn fetch_statement(
    client: &reqwest::Client,
    clock: &dyn Clock,
    bank: &BankEndpoint,
    date: StatementDate,
) -> Result<Statement, String> {
    let ts = clock.now().millis().div_euclid(1000);
    let resp = client
        .get(format!("{}/statements/{date}", bank.base_url))
        .header("Bidhall-Timestamp", ts.to_string())
        .header("Bidhall-Signature", bank::sign(&bank.secret, ts, b""))
        .send()
        .await
        .map_err(|e| {
            format!(
                "bank {} unreachable: {}",
                bank.code.as_str(),
                e.without_url()
            )
        })?;
    let status = resp.status();
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    let (their_ts, their_sig) = (header("Bidhall-Timestamp"), header("Bidhall-Signature"));
    let body = resp
        .bytes()
        .await
        .map_err(|e| e.without_url().to_string())?;
    if !status.is_success() {
        return Err(format!("bank {} answered {status}", bank.code.as_str()));
    }
    bank::verify_signed(&bank.secret, &their_ts, &their_sig, &body, clock.now())
        .map_err(|e| format!("the statement of bank {}: {e}", bank.code.as_str()))?;
    let statement: Statement = serde_json::from_slice(&body)
        .map_err(|e| format!("bank {} sent no statement: {e}", bank.code.as_str()))?;
    if statement.bank() != &bank.code || statement.date() != date {
        return Err(format!(
            "bank {} sent the statement of another bank or day",
            bank.code.as_str()
        ));
    }
    Ok(statement)
}

/// Reconciles the day before the hall's today with each bank that has an API, once per bank and
/// day; returns what it stored.
pub async fn reconcile_yesterday(
    app: &AppState,
    client: &reqwest::Client,
) -> Result<Vec<Reconciliation>, String> {
    let yesterday = StatementDate::of(app.clock.now().plus_millis(-DAY_MS));
    let mut done = Vec::new();
    for code in app.banks.codes() {
        let seen = app
            .store
            .reconciliation(code.as_str(), &yesterday.to_string())
            .await
            .map_err(|e| e.to_string())?;
        if seen.is_some() {
            continue;
        }
        done.push(reconcile_day(app, client, &code, yesterday).await?);
    }
    Ok(done)
}

/// Fetches one bank's statement of `date`, reconciles it with the ledger and keeps the result.
pub async fn reconcile_day(
    app: &AppState,
    client: &reqwest::Client,
    code: &BankCode,
    date: StatementDate,
) -> Result<Reconciliation, String> {
    let bank = app
        .banks
        .get(code)
        .ok_or_else(|| format!("bank {} is not configured", code.as_str()))?;
    let statement = fetch_statement(client, &*app.clock, &bank, date).await?;
    let ledger = super::service::ledger(app)
        .await
        .map_err(|e| e.to_string())?;
    let r = reconcile(&statement, &ledger);
    let now = app.clock.now();
    let differences = serde_json::to_value(&r.differences).map_err(|e| e.to_string())?;
    let stored = StoredReconciliation {
        bank: code.as_str().to_owned(),
        day: date.to_string(),
        ran_at: now,
        matched: r.matched as i64,
        differences,
    };
    let audit = AuditEvent::new(
        "bank_reconciled",
        None,
        AuditActor::System,
        now,
        json!({ "bank": code.as_str(), "day": date.to_string(), "matched": r.matched,
                "differences": r.differences.len() }),
    );
    app.store
        .record_reconciliation(&stored, &audit)
        .await
        .map_err(|e| e.to_string())?;
    if !r.is_clean() {
        tracing::warn!(bank = code.as_str(), day = %date, differences = r.differences.len(), "the bank's statement and the ledger differ");
    }
    Ok(r)
}

/// The daily job as a watcher: every `every` it reconciles yesterday for each bank not yet done,
/// so a day is reconciled soon after it ends on the hall's clock, and again after a failure.
pub fn spawn_daily(app: AppState, every: std::time::Duration) {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap_or_default();
    app.every("daily_reconciliation", every, move |app| {
        let client = client.clone();
        async move {
            if let Err(e) = reconcile_yesterday(&app, &client).await {
                tracing::warn!(error = %e, "daily reconciliation failed; will retry");
            }
        }
    });
}
