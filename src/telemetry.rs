//! Logs as `tracing` spans: readable text by default, JSON lines when asked. Filtered by
//! `RUST_LOG` (default `info`). Secrets never go into spans: tokens and passwords are not fields.

use tracing_subscriber::EnvFilter;

pub fn init(format: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if format == "json" {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
