//! `bidhall sandbox-bank`: the sandbox bank on its own, delivering to a hall at `--hall`, and the
//! same bank mounted inside `bidhall serve --demo`.

use super::{delivery, journal_path, load_or_create_secret, SandboxBank, SANDBOX_CODE};
use crate::bonds::BankCode;
use crate::clock::{Clock, SystemClock};
use axum::Router;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, clap::Args)]
pub struct SandboxBankArgs {
    /// Where the bank listens.
    #[arg(
        long,
        env = "BIDHALL_SANDBOX_BANK_LISTEN",
        default_value = "127.0.0.1:8090"
    )]
    pub listen: String,
    /// The hall the bank notifies.
    #[arg(
        long,
        env = "BIDHALL_SANDBOX_BANK_HALL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub hall: String,
    /// Holds the journal (`sandbox-bank/journal.jsonl`) and the secret shared with the hall
    /// (`banks/SBX.secret`, created if missing).
    #[arg(long, env = "BIDHALL_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// How often queued notifications are looked at, in milliseconds.
    #[arg(long, env = "BIDHALL_SANDBOX_BANK_DELIVER_MS", default_value_t = 1000)]
    pub deliver_ms: u64,
    /// Mark the page's account cookies `Secure` (set when served over HTTPS).
    #[arg(long, env = "BIDHALL_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
}

/// Opens the bank in `data_dir`, sharing the secret in `secrets_dir` with the hall, and starts
/// delivering its notifications to `hall`.
pub fn start(
    data_dir: &Path,
    secrets_dir: &Path,
    hall: &str,
    clock: Arc<dyn Clock>,
    every: Duration,
    shutdown: CancellationToken,
) -> Result<Arc<SandboxBank>, String> {
    let code = BankCode::parse(SANDBOX_CODE).expect("a valid code");
    let secret = load_or_create_secret(secrets_dir, &code).map_err(|e| e.to_string())?;
    let issuer =
        super::issuer::SandboxIssuer::load_or_create(data_dir).map_err(|e| e.to_string())?;
    let bank = SandboxBank::open(code.clone(), secret, clock, &journal_path(data_dir))
        .map_err(|e| e.to_string())?
        .with_issuer(issuer);
    let bank = Arc::new(bank);
    let courier = Arc::new(delivery::HttpCourier::new(hall, &code));
    delivery::spawn_delivery(bank.clone(), courier, every, shutdown);
    Ok(bank)
}

/// For `serve --demo`: the bank nested at `/sandbox-bank`, notifying the hall at its own address.
/// Without `--demo` the router is returned as it is.
pub fn mount_demo(
    router: Router,
    app: &crate::app::AppState,
    hall: std::net::SocketAddr,
) -> Result<Router, String> {
    if !app.config.demo {
        return Ok(router);
    }
    let bank = start(
        &app.config.store.data_dir,
        &app.config.bank_secrets_dir(),
        &format!("http://{hall}"),
        app.clock.clone(),
        Duration::from_secs(1),
        app.shutdown.clone(),
    )?;
    tracing::info!("sandbox bank at http://{hall}/sandbox-bank");
    Ok(router
        .nest(
            "/sandbox-bank",
            super::http::router(bank, "/sandbox-bank", app.config.secure_cookies),
        )
        .route(
            "/sandbox-bank/",
            axum::routing::get(|| async { axum::response::Redirect::permanent("/sandbox-bank") }),
        ))
}

pub async fn run(args: SandboxBankArgs) -> Result<(), String> {
    let shutdown = CancellationToken::new();
    let bank = start(
        &args.data_dir,
        &args.data_dir.join("banks"),
        &args.hall,
        Arc::new(SystemClock),
        Duration::from_millis(args.deliver_ms.max(10)),
        shutdown.clone(),
    )?;
    let listener = tokio::net::TcpListener::bind(&args.listen)
        .await
        .map_err(|e| format!("{}: {e}", args.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    tracing::info!(hall = %args.hall, "sandbox bank on http://{addr}");
    let stop = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stop.cancel();
    });
    axum::serve(listener, super::http::router(bank, "", args.secure_cookies))
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await
        .map_err(|e| e.to_string())
}
