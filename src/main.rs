//! The `bidhall` binary: parse the command line, start telemetry, and run the command.

use bidhall::clock::{Clock, DemoClock, SystemClock};
use bidhall::config::{BenchCommand, Cli, Command};
use clap::Parser;
use std::process::ExitCode;
use std::sync::Arc;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            bidhall::telemetry::init(&args.log_format);
            // Only the demo's clock can be moved forward (`POST /api/demo/clock`).
            let clock: Arc<dyn Clock> = if args.demo {
                let kept = args.store.data_dir.join("demo-clock");
                match DemoClock::open(kept) {
                    Ok(c) => Arc::new(c),
                    Err(e) => return fail(&e),
                }
            } else {
                Arc::new(SystemClock)
            };
            let app = match bidhall::server::state(&args, clock).await {
                Ok(app) => app,
                Err(e) => return fail(&e),
            };
            if args.demo {
                if let Err(e) = bidhall::demo::load_hall(&app).await {
                    return fail(&e);
                }
            }
            let running = match bidhall::server::spawn(app.clone()).await {
                Ok(r) => r,
                Err(e) => return fail(&e),
            };
            tracing::info!(addr = %running.addr, store = app.store.backend(), "bidhall is serving on http://{}", running.addr);
            let shutdown = app.shutdown.clone();
            tokio::spawn(async move {
                let _ = tokio::signal::ctrl_c().await;
                tracing::info!("shutting down");
                shutdown.cancel();
            });
            match running.task.await {
                Ok(Ok(())) => ExitCode::SUCCESS,
                Ok(Err(e)) => fail(&e),
                Err(e) => fail(&e),
            }
        }
        Command::Log(cmd) => {
            bidhall::telemetry::init("text");
            match bidhall::auditlog::cli::run(cmd).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
        Command::Draw(cmd) => match bidhall::lottery::cli::run(cmd).await {
            Ok(report) => {
                print!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        },
        Command::Seal(args) => done(bidhall::bids::cli::seal(args).await),
        Command::Custodian(cmd) => done(bidhall::bids::cli::custodian(cmd).await),
        Command::Receipt(cmd) => done(bidhall::bids::cli::receipt(cmd)),
        Command::Bid(cmd) => done(bidhall::bids::cli::bid(cmd).await),
        Command::TimeCustodian(cmd) => {
            bidhall::telemetry::init("text");
            done(bidhall::bids::time_custodian::server::run(cmd).await)
        }
        Command::Reconcile(args) => match bidhall::bonds::daily::run(args).await {
            Ok((report, clean)) => {
                print!("{report}");
                if clean {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                }
            }
            Err(e) => fail(&e),
        },
        Command::SandboxBank(args) => {
            bidhall::telemetry::init("text");
            done(bidhall::sandbox_bank::cli::run(args).await)
        }
        Command::Bench(cmd) => {
            bidhall::telemetry::init("text");
            let done = match cmd {
                BenchCommand::Notices(args) => bidhall::bench::run(args).await,
                BenchCommand::Log(args) => bidhall::bench::log::run(args).await,
                BenchCommand::Bids(args) => bidhall::bench::bids::run(args).await,
                BenchCommand::Draw(args) => bidhall::bench::draws::run(args).await,
                BenchCommand::Opening(args) => bidhall::bench::opening::run(args).await,
                BenchCommand::OpeningServer(args) => bidhall::bench::opening::serve(args).await,
                BenchCommand::Bonds(args) => bidhall::bench::bonds::run(args).await,
                BenchCommand::Peak(args) => bidhall::bench::peak::run(args).await,
            };
            match done {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => fail(&e),
            }
        }
    }
}

fn done(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("bidhall: {e}");
    ExitCode::FAILURE
}
