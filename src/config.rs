//! Command line and environment. Every setting has a default that runs on one machine; every field
//! can also be set as `BIDHALL_…` in the environment.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "bidhall",
    version,
    about = "An open public resource trading hall"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the trading hall's web server.
    Serve(Box<ServeArgs>),
    /// Benchmarks that print their figures (each on a scratch database).
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Export, verify and prove the audit log offline.
    #[command(subcommand)]
    Log(LogCommand),
    /// Re-run and check the public random draws offline.
    #[command(subcommand)]
    Draw(DrawCommand),
    /// Seal a bid on this machine (and optionally upload it): only k custodians together can open it.
    Seal(SealArgs),
    /// A custodian's side of the bid box: make a key, release shares at the opening.
    #[command(subcommand)]
    Custodian(CustodianCommand),
    /// Check a bid receipt offline.
    #[command(subcommand)]
    Receipt(ReceiptCommand),
    /// Re-check an opening from its public record.
    #[command(subcommand)]
    Bid(BidCommand),
    /// Compare a bank's daily statement with the ledger and list every difference (exit status 1
    /// when there is one).
    Reconcile(crate::bonds::daily::ReconcileArgs),
    /// Run the sandbox bank: payer accounts, transfers and refunds, notifying the hall, signed.
    SandboxBank(crate::sandbox_bank::cli::SandboxBankArgs),
    /// Run the time-release custodian as its own process, for a hall of several nodes.
    #[command(subcommand)]
    TimeCustodian(crate::bids::time_custodian::server::TimeCustodianCommand),
}

#[derive(Debug, Subcommand)]
pub enum BidCommand {
    /// Check the signed opening record, the log and every envelope, and name every line whose
    /// outcome or fault differs (exit status 1 on any mismatch).
    Verify {
        /// The hall's address.
        #[arg(long, env = "BIDHALL_URL", default_value = "http://127.0.0.1:8080")]
        url: String,
        #[arg(long)]
        tender: String,
        /// The log's verifier key (`GET /api/log/key`), as a file obtained independently of the
        /// hall; without it the key the hall serves is used, and the report says so.
        #[arg(long)]
        log_key: Option<PathBuf>,
        /// Print one JSON report instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Where a client command reaches the hall and who it is.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The hall's address.
    #[arg(long, env = "BIDHALL_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// A session token (`POST /api/session`).
    #[arg(long, env = "BIDHALL_TOKEN")]
    pub token: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct SealArgs {
    #[command(flatten)]
    pub client: ClientArgs,
    /// The tender id.
    #[arg(long)]
    pub tender: String,
    /// The lot id.
    #[arg(long)]
    pub lot: String,
    /// The bid's terms: a JSON file (price in fen, duration, quality commitment, …).
    #[arg(long)]
    pub bid: PathBuf,
    /// Attached files, in order.
    #[arg(long = "attach")]
    pub attachments: Vec<PathBuf>,
    /// The organisation's registered P-256 signing key (PKCS#8 DER file).
    #[arg(long)]
    pub signing_key: PathBuf,
    /// Where to write the sealed envelope.
    #[arg(long)]
    pub out: PathBuf,
    /// Upload the envelope after sealing it and save the receipt beside it.
    #[arg(long, default_value_t = false)]
    pub upload: bool,
}

#[derive(Debug, Subcommand)]
pub enum CustodianCommand {
    /// Generate a custodian key pair for a tender into a key file (the private key never leaves it).
    Keygen {
        /// The key file to create.
        #[arg(long)]
        out: PathBuf,
    },
    /// At the opening: fetch the sealed shares, open them with the key file and release them.
    Release {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        tender: String,
        /// The custodian index in the tender's set (1-based).
        #[arg(long)]
        index: u8,
        #[arg(long)]
        key: PathBuf,
        /// The hall's log verifier key (`GET /api/log/key`) as a file, obtained beforehand from a
        /// source other than the hall; without it the key is fetched from the hall and its id
        /// printed, to compare with the published one (docs/bid-box.md).
        #[arg(long)]
        log_key: Option<PathBuf>,
        /// Print a machine-readable summary (JSON) on standard output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReceiptCommand {
    /// Check a receipt's signature with the hall's key and print what it states.
    Verify {
        /// The receipt (signed note) file.
        receipt: PathBuf,
        /// The hall's log verifier key (`GET /api/log/key`), as a file.
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum DrawCommand {
    /// Re-run a draw's transcript (`GET /api/draws/{id}/transcript`) and say which step differs.
    Verify {
        /// The transcript JSON file.
        transcript: PathBuf,
        /// The audit log's verifier key (`GET /api/log/key`), as a file: with it, every item of
        /// the transcript's `audit` section is checked against its signed checkpoint.
        #[arg(long)]
        log_key: Option<PathBuf>,
        /// Print one JSON object `{ok, step, message, …}` instead of text (docs/draw.md §5).
        #[arg(long)]
        json: bool,
    },
    /// As a named party: make 32 random bytes on this machine, keep them in a new private file and
    /// publish their commitment (docs/draw.md 3.2).
    Commit {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        draw: String,
        /// The party's id (its organisation id, as announced); must be the signed-in organisation.
        #[arg(long)]
        party: String,
        /// The secret file to create (mode 0600; it must not exist).
        #[arg(long)]
        secret_out: PathBuf,
    },
    /// After the commitments closed: publish the secret kept by `draw commit`.
    Reveal {
        #[command(flatten)]
        client: ClientArgs,
        #[arg(long)]
        draw: String,
        /// The secret file written by `draw commit`.
        #[arg(long)]
        secret: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LogCommand {
    /// Write the whole log (tiles, entry bundles, checkpoints, public key) into a folder.
    Export {
        /// The folder to write; it must be empty or absent.
        dir: PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        #[command(flatten)]
        log: LogArgs,
    },
    /// Check an exported folder offline: every entry, tile, checkpoint signature and consistency.
    Verify {
        dir: PathBuf,
        /// A witness's cosignature verifier key (C2SP, `<name>+<id>+<base64>`), repeatable: each
        /// one's cosignature lines on the exported checkpoints must verify, and it must have
        /// cosigned at least one of them.
        #[arg(long = "witness-key")]
        witness_keys: Vec<String>,
    },
    /// Check a signed award letter offline (one item of `GET /api/tenders/{id}/award/letters`:
    /// `{letter, letter_sha256, signature}`) against the log's key.
    CheckLetter {
        /// The letter JSON file.
        letter: PathBuf,
        /// The log's verifier key (`GET /api/log/key`), as a file.
        #[arg(long)]
        key: PathBuf,
    },
    /// Check one entry's inclusion from a receipt (`GET /api/log/receipts/{index}`).
    Prove {
        /// The receipt JSON file.
        receipt: PathBuf,
        /// The log's verifier key (`GET /api/log/key`), as a file.
        #[arg(long)]
        key: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
pub struct StoreArgs {
    /// `sqlite://path` or `postgres://…`. Defaults to a SQLite file under the data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where the SQLite file and stored documents live.
    #[arg(long, env = "BIDHALL_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Stored files (documents, sealed bids) on an S3-compatible object store shared by every
    /// node, `s3://bucket[/prefix]`; endpoint and credentials from the `AWS_*` environment
    /// (docs/operations.md). Without it, files live under the data directory.
    #[arg(long, env = "BIDHALL_OBJECT_STORE")]
    pub object_store: Option<String>,
}

impl StoreArgs {
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir.join("bidhall.db").display()),
        }
    }

    /// The SQLite database file, when the store is one.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        let url = self.database_url();
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?
            .split('?')
            .next()?;
        (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Address to listen on.
    #[arg(long, env = "BIDHALL_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Load the demo organisations, users and tenders from `fixtures/` if the database is empty.
    #[arg(long, env = "BIDHALL_DEMO", default_value_t = false)]
    pub demo: bool,
    /// Largest tender document accepted, in MiB.
    #[arg(long, env = "BIDHALL_MAX_DOCUMENT_MIB", default_value_t = 200)]
    pub max_document_mib: u64,
    /// How long a sign-in lasts, in hours.
    #[arg(long, env = "BIDHALL_SESSION_HOURS", default_value_t = 12)]
    pub session_hours: i64,
    /// `text` (default) or `json` logs.
    #[arg(long, env = "BIDHALL_LOG_FORMAT", default_value = "text")]
    pub log_format: String,
    /// The bearer token a metrics scraper sends for `/metrics` (otherwise only a signed-in
    /// trading-centre user sees them). Never logged.
    #[arg(long, env = "BIDHALL_METRICS_TOKEN", hide_env_values = true)]
    pub metrics_token: Option<String>,
    /// Anonymous self-registrations accepted per network address per hour.
    #[arg(long, env = "BIDHALL_REGISTRATIONS_PER_HOUR", default_value_t = 5)]
    pub registrations_per_hour: usize,
    /// The address of a reverse proxy whose `X-Forwarded-For` names the client (for throttling and
    /// the record of who wrote what); without it the socket's peer is the client.
    #[arg(long, env = "BIDHALL_TRUSTED_PROXY")]
    pub trusted_proxy: Option<std::net::IpAddr>,
    /// How long a client has to send a whole request head once it has sent its first byte, in
    /// milliseconds; a slower one is disconnected (docs/api.md, "Limits").
    #[arg(long, env = "BIDHALL_HEADER_TIMEOUT_MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// How long a connection may wait for its next request (new, or kept alive after an answer)
    /// before it is closed, in milliseconds.
    #[arg(long, env = "BIDHALL_IDLE_TIMEOUT_MS", default_value_t = 60_000)]
    pub idle_timeout_ms: u64,
    /// How long the hall waits for more of a request body, in milliseconds; this is also the grace
    /// a body has before it must keep up `BIDHALL_BODY_MIN_BYTES_PER_SECOND`. A body that stalls or
    /// falls behind is answered `408 request_timeout`.
    #[arg(long, env = "BIDHALL_BODY_TIMEOUT_MS", default_value_t = 20_000)]
    pub body_timeout_ms: u64,
    /// The slowest a request body may arrive on average, in bytes per second (every byte received
    /// buys the client 1/rate seconds more).
    #[arg(
        long,
        env = "BIDHALL_BODY_MIN_BYTES_PER_SECOND",
        default_value_t = 4096
    )]
    pub body_min_bytes_per_second: u64,
    /// Connections served at once; further ones wait in the operating system's queue until one
    /// closes.
    #[arg(long, env = "BIDHALL_MAX_CONNECTIONS", default_value_t = 10_000)]
    pub max_connections: usize,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    #[arg(long, env = "BIDHALL_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    #[command(flatten)]
    pub log: LogArgs,
    /// The time-release custodian's key directory; defaults to `time-custodian` under the data
    /// directory (in production, a directory of another host's component).
    #[arg(long, env = "BIDHALL_TIME_CUSTODIAN_DIR")]
    pub time_custodian_dir: Option<PathBuf>,
    /// The time-release custodian's own process (`bidhall time-custodian serve`), e.g.
    /// `http://10.0.0.5:8070`: every node asks it instead of keeping keys itself
    /// (docs/operations.md).
    #[arg(long, env = "BIDHALL_TIME_CUSTODIAN_URL")]
    pub time_custodian_url: Option<String>,
    /// The bearer token the custodian's process expects. Never logged.
    #[arg(long, env = "BIDHALL_TIME_CUSTODIAN_TOKEN", hide_env_values = true)]
    pub time_custodian_token: Option<String>,
    /// The hall's secret, from which bond sub-accounts are derived: identical on every node
    /// (docs/operations.md); created on the first start of a new hall only. Defaults to
    /// `hall.secret` under the data directory.
    #[arg(long, env = "BIDHALL_HALL_SECRET_FILE")]
    pub hall_secret_file: Option<PathBuf>,
    /// Where each bank's secret is read from, `<CODE>.secret`: identical on every node, never made
    /// by the hall (docs/operations.md). Defaults to `banks` under the data directory.
    #[arg(long, env = "BIDHALL_BANK_SECRETS_DIR")]
    pub bank_secrets_dir: Option<PathBuf>,
    /// Largest sealed bid accepted, in MiB.
    #[arg(long, env = "BIDHALL_MAX_BID_MIB", default_value_t = 1024)]
    pub max_bid_mib: u64,
    /// How long custodians have to release their shares once the opening starts decrypting, in
    /// minutes; after it, every custodian that has not released is named in the hall.
    #[arg(long, env = "BIDHALL_RELEASE_WINDOW_MINUTES", default_value_t = 30)]
    pub release_window_minutes: i64,
    /// How often the hall looks for draws whose windows have closed and conducts them, in
    /// milliseconds; 0 leaves every draw to be conducted by hand.
    #[arg(long, env = "BIDHALL_DRAW_CONDUCTOR_MS", default_value_t = 1000)]
    pub draw_conductor_ms: u64,
    /// Banks that take bonds: `CODE=BASE_URL` or `CODE:PREFIX=BASE_URL`, comma separated; each
    /// bank's secret is read from `<bank secrets dir>/<CODE>.secret` (docs/bonds.md §6).
    #[arg(long, env = "BIDHALL_BANKS", value_delimiter = ',')]
    pub banks: Vec<String>,
    /// Add the in-process sandbox bank `SBX` to the banks (always on with `--demo`).
    #[arg(long, env = "BIDHALL_SANDBOX_BANK", default_value_t = false)]
    pub sandbox_bank: bool,
    /// How often refund instructions waiting in the outbox are sent to their bank, in
    /// milliseconds; 0 leaves them to be sent by hand.
    #[arg(long, env = "BIDHALL_REFUND_SENDER_MS", default_value_t = 1000)]
    pub refund_sender_ms: u64,
    /// How often the daily reconciliation looks for a day to reconcile with each bank (the day
    /// before the hall's today, once per bank), in seconds; 0 turns it off.
    #[arg(long, env = "BIDHALL_RECONCILE_EVERY_SECONDS", default_value_t = 600)]
    pub reconcile_every_seconds: u64,
    /// How often the hall looks for openings the clock has reached and moves them on, in
    /// milliseconds; 0 leaves every opening to move when someone reads or acts on it.
    #[arg(long, env = "BIDHALL_OPENING_WATCHER_MS", default_value_t = 1000)]
    pub opening_watcher_ms: u64,
    /// How often the notifier turns new audit-log entries into notices and mails them, in
    /// milliseconds; 0 leaves it to be run by hand (docs/inbox.md).
    #[arg(long, env = "BIDHALL_NOTIFIER_MS", default_value_t = 2000)]
    pub notifier_ms: u64,
    /// The SMTP relay notices are mailed through, `smtp://host:port` (no TLS: the trading
    /// centre's own relay); none: notices stay in the hall's inbox only.
    #[arg(long, env = "BIDHALL_SMTP_URL")]
    pub smtp_url: Option<String>,
    /// The sender of the hall's mail.
    #[arg(
        long,
        env = "BIDHALL_MAIL_FROM",
        default_value = "bidhall <noreply@bidhall.localhost>"
    )]
    pub mail_from: String,
    /// The hall's address as users reach it, for links in mail.
    #[arg(
        long,
        env = "BIDHALL_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_url: String,
}

impl ServeArgs {
    pub fn hall_secret_file(&self) -> PathBuf {
        self.hall_secret_file
            .clone()
            .unwrap_or_else(|| self.store.data_dir.join("hall.secret"))
    }

    pub fn bank_secrets_dir(&self) -> PathBuf {
        self.bank_secrets_dir
            .clone()
            .unwrap_or_else(|| self.store.data_dir.join("banks"))
    }

    pub fn time_custodian_dir(&self) -> PathBuf {
        self.time_custodian_dir
            .clone()
            .unwrap_or_else(|| self.store.data_dir.join("time-custodian"))
    }
}

#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// The audit log's origin line (its name in checkpoints and the key name).
    #[arg(
        long,
        env = "BIDHALL_LOG_ORIGIN",
        default_value = "bidhall.localhost/log"
    )]
    pub log_origin: String,
    /// The audit log's Ed25519 signing key (C2SP signed-note key text); created on first start.
    /// Defaults to `keys/log.key` under the data directory.
    #[arg(long, env = "BIDHALL_LOG_KEY_FILE")]
    pub log_key_file: Option<PathBuf>,
    /// Witness verifier keys (C2SP tlog-cosignature) whose cosignatures are accepted, comma separated.
    #[arg(long, env = "BIDHALL_WITNESS_KEYS", value_delimiter = ',')]
    pub witness_keys: Vec<String>,
    /// How often to sign a checkpoint while entries arrive, in milliseconds.
    #[arg(long, env = "BIDHALL_CHECKPOINT_MS", default_value_t = 2000)]
    pub checkpoint_ms: u64,
}

impl LogArgs {
    pub fn key_file(&self, store: &StoreArgs) -> PathBuf {
        self.log_key_file
            .clone()
            .unwrap_or_else(|| store.data_dir.join("keys").join("log.key"))
    }
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// The notice board under load: loads many tenders, then search vs `/healthz`.
    Notices(BenchArgs),
    /// The audit log: durable appends with group commit, time to checkpoint, proofs from storage.
    Log(LogBenchArgs),
    /// The sealed bid box: streamed submissions and opening, against plain baselines.
    Bids(BidBenchArgs),
    /// An expert draw over a large pool end to end through the API, and its verification, against
    /// SHA-256 of the pool list.
    Draw(DrawBenchArgs),
    /// The live opening: fan-out of one event to many websocket observers beside a minimal axum
    /// server, and the time from the opening to the last bid announced.
    Opening(OpeningBenchArgs),
    /// Bonds: signed bank notifications (with replays) over HTTP into the ledger, beside raw
    /// single-row inserts into the same database.
    Bonds(BondsBenchArgs),
    /// A city's busiest morning: many openings at the same minute with their observers, and a
    /// deadline rush with a node killed halfway, on one node or two.
    Peak(PeakBenchArgs),
    /// The server half of `bench opening`, run by it in a child process.
    #[command(hide = true)]
    OpeningServer(OpeningServerArgs),
}

#[derive(Debug, Clone, Args)]
pub struct BondsBenchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Notifications to send, replays included.
    #[arg(long, default_value_t = 10_000)]
    pub notifications: usize,
    /// The share of them that are replays of an earlier one, in percent.
    #[arg(long, default_value_t = 10)]
    pub duplicate_percent: usize,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

#[derive(Debug, Clone, Args)]
pub struct PeakBenchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Nodes serving the hall: 1, or 2 on one PostgreSQL database and one object store.
    #[arg(long, default_value_t = 1)]
    pub nodes: usize,
    /// Openings at the same minute (0 skips them).
    #[arg(long, default_value_t = 100)]
    pub openings: usize,
    /// Sealed bids in each opening.
    #[arg(long, default_value_t = 8)]
    pub bids_per_opening: usize,
    /// Size of each of those bids, in MiB.
    #[arg(long, default_value_t = 5)]
    pub bid_mib: usize,
    /// Websocket observers, spread evenly over the openings.
    #[arg(long, default_value_t = 3000)]
    pub observers: usize,
    /// Bids in the deadline rush (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    pub rush_bids: usize,
    /// Tenders they are spread across.
    #[arg(long, default_value_t = 200)]
    pub rush_tenders: usize,
    /// Seconds the rush lasts (the modelled morning: the last 10 minutes).
    #[arg(long, default_value_t = 600)]
    pub rush_seconds: u64,
    /// Size of each rush bid, in KiB.
    #[arg(long, default_value_t = 256)]
    pub rush_kib: usize,
}

#[derive(Debug, Clone, Args)]
pub struct OpeningBenchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Numbers of observers, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "100,1000,10000")]
    pub observers: Vec<usize>,
    /// Events timed per number of observers.
    #[arg(long, default_value_t = 20)]
    pub rounds: usize,
    /// Sealed bids in the timed ceremony (0 skips it).
    #[arg(long, default_value_t = 300)]
    pub bids: usize,
    /// Size of each bid, in MiB.
    #[arg(long, default_value_t = 5)]
    pub bid_mib: usize,
    /// Skip the fan-out (on PostgreSQL the two parts each need an empty database: run them apart).
    #[arg(long, default_value_t = false)]
    pub no_fan_out: bool,
}

#[derive(Debug, Clone, Args)]
pub struct OpeningServerArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// `hall` or `minimal`.
    #[arg(long)]
    pub kind: String,
}

#[derive(Debug, Clone, Args)]
pub struct DrawBenchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Experts to register (all eligible).
    #[arg(long, default_value_t = 100_000)]
    pub experts: usize,
    /// How many the draw selects.
    #[arg(long, default_value_t = 50)]
    pub select: u32,
    /// How many reserves it draws.
    #[arg(long, default_value_t = 20)]
    pub reserves: u32,
}

#[derive(Debug, Clone, Args)]
pub struct BidBenchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Envelopes of 5 MiB to open.
    #[arg(long, default_value_t = 300)]
    pub envelopes: usize,
}

#[derive(Debug, Clone, Args)]
pub struct LogBenchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// Concurrent writers.
    #[arg(long, default_value_t = 64)]
    pub writers: usize,
    /// Seconds to append.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
}

#[derive(Debug, Clone, Args)]
pub struct BenchArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// How many tenders to load.
    #[arg(long, default_value_t = 100_000)]
    pub tenders: usize,
    /// Seconds to run each load phase.
    #[arg(long, default_value_t = 5)]
    pub seconds: u64,
    /// Concurrent client connections.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// Keep the scratch database afterwards (to inspect query plans).
    #[arg(long, default_value_t = false)]
    pub keep: bool,
}

impl ServeArgs {
    /// Settings for tests and benchmarks: a given store, default everything else.
    pub fn for_store(store: StoreArgs) -> Self {
        ServeArgs {
            store,
            listen: "127.0.0.1:0".into(),
            demo: false,
            max_document_mib: 200,
            session_hours: 12,
            log_format: "text".into(),
            metrics_token: None,
            trusted_proxy: None,
            registrations_per_hour: 5,
            secure_cookies: false,
            header_timeout_ms: 10_000,
            idle_timeout_ms: 60_000,
            body_timeout_ms: 20_000,
            body_min_bytes_per_second: 4096,
            max_connections: 10_000,
            log: LogArgs {
                log_origin: "bidhall.localhost/log".into(),
                log_key_file: None,
                witness_keys: Vec::new(),
                checkpoint_ms: 2000,
            },
            time_custodian_dir: None,
            time_custodian_url: None,
            time_custodian_token: None,
            hall_secret_file: None,
            bank_secrets_dir: None,
            max_bid_mib: 1024,
            release_window_minutes: 30,
            draw_conductor_ms: 1000,
            banks: Vec::new(),
            sandbox_bank: true,
            refund_sender_ms: 1000,
            reconcile_every_seconds: 0,
            opening_watcher_ms: 1000,
            notifier_ms: 2000,
            smtp_url: None,
            mail_from: "bidhall <noreply@bidhall.localhost>".into(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}
