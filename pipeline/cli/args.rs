//! The command line's arguments (clap): every command and its flags.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use settle::events::Kind;
use settle::output::Format;

/// Settle: operations data for direct-to-consumer and cash-on-delivery stores.
#[derive(Parser)]
#[command(version, about, long_about = None)]
pub(crate) struct Cli {
    /// Settings file (TOML); `SETTLE__SECTION__KEY` environment variables override it.
    #[arg(long, global = true, env = "SETTLE_CONFIG")]
    pub(crate) config: Option<String>,
    /// Lake location: a path, file:///abs, s3://bucket/prefix or memory:// [default: ./lake].
    #[arg(long, global = true)]
    pub(crate) lake: Option<String>,
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Run the whole pipeline on generated store data, with no outside service.
    Demo {
        /// Orders to generate.
        #[arg(long, default_value_t = 20_000)]
        orders: usize,
        /// Days of history.
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// Seed for the generator.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Hide progress bars.
        #[arg(long)]
        quiet: bool,
    },
    /// Write a generated store history as JSONL event files plus ground truth.
    Generate {
        /// Orders to generate.
        #[arg(long, default_value_t = 5_000)]
        orders: usize,
        /// Days of history.
        #[arg(long, default_value_t = 60)]
        days: i64,
        /// Seed: one seed, one history.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Push newline-delimited events through the bus into the lake (with Kafka
    /// configured, only produce: `settle ingest` writes the lake).
    Load {
        /// Contract the lines follow.
        #[arg(long)]
        kind: Kind,
        /// Store to attribute events to when they name none.
        #[arg(long, default_value = "default")]
        store: String,
        /// JSONL files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Read history from outside systems' APIs onto the bus.
    Backfill {
        #[command(subcommand)]
        command: BackfillCommand,
    },
    /// Import files from outside systems.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Kafka topics.
    Topics {
        #[command(subcommand)]
        command: TopicsCommand,
    },
    /// Run or list jobs.
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Evaluate or list the alert rules (jobs/alerts/*.toml).
    Alerts {
        #[command(subcommand)]
        command: AlertsCommand,
    },
    /// Render or list the dashboards (dashboards/*.toml).
    Dashboards {
        #[command(subcommand)]
        command: DashboardsCommand,
    },
    /// Run, list or try the event triggers (jobs/triggers/*.toml and [triggers] dir).
    Triggers {
        #[command(subcommand)]
        command: TriggersCommand,
    },
    /// SQL over the lake, read-only: a query, -e, -f, or an interactive
    /// session (REPL with history, \d, \timing, \q) when none is given.
    /// Tables are in schemas raw, lake and reports; bare names also resolve.
    Sql {
        /// The query (like -e).
        #[arg(conflicts_with_all = ["execute", "file"])]
        query: Option<String>,
        /// SQL to run; several statements separated by ';'.
        #[arg(short = 'e', long, conflicts_with = "file")]
        execute: Option<String>,
        /// A file of SQL statements to run.
        #[arg(short = 'f', long)]
        file: Option<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Write results to this file instead of standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// Consume every event topic in a consumer group and write the lake,
    /// exactly once, until SIGTERM or Ctrl-C (needs [bus] brokers).
    Ingest {
        /// Serve /metrics, /healthz and /readyz here (default from [ingest] listen).
        #[arg(long)]
        listen: Option<String>,
        /// Consumer group (default from [ingest] group_id).
        #[arg(long)]
        group: Option<String>,
    },
    /// Receive signed webhooks (Stripe, Shopify, WooCommerce, generic orders,
    /// carriers) and produce them to the bus, answering 2xx only after the
    /// bus acknowledged (needs [bus] brokers); and, with --pg-listen or
    /// [sql] pg_listen, serve the lake read-only over the Postgres wire
    /// protocol (psql, BI tools). Runs until SIGTERM or Ctrl-C.
    Serve {
        /// Listen for webhooks here (default from [intake] listen).
        #[arg(long)]
        listen: Option<String>,
        /// Speak the Postgres wire protocol here, e.g. 127.0.0.1:5433
        /// (default from [sql] pg_listen; users from [sql.users]).
        #[arg(long)]
        pg_listen: Option<String>,
    },
    /// Per partition: broker end offset, newest offset in the lake, group offset and lag.
    Status,
    /// Lake maintenance.
    Lake {
        #[command(subcommand)]
        command: LakeCommand,
    },
    /// Write the lake table contracts (schemas/tables/*.schema.json) from the Rust declarations.
    Schemas {
        /// Output folder.
        #[arg(long, default_value = "schemas/tables")]
        out: PathBuf,
    },
    /// Benchmarks that print ratios against a peer run in the same process.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
}

#[derive(Subcommand)]
pub(crate) enum JobsCommand {
    /// Run jobs (all when none are named) and write their outputs to the
    /// lake. A schedule's name (jobs/schedules/NAME.toml) runs its jobs.
    Run {
        /// Job or schedule names.
        names: Vec<String>,
        /// Measure ages to this time (RFC 3339) instead of the lake's newest event.
        #[arg(long)]
        as_of: Option<String>,
        /// Also write the exports: a schedule's, or those of the schedules
        /// that export the job's output (CSV/XLSX, dated); recorded in job_runs.
        #[arg(long)]
        export: bool,
    },
    /// List jobs with their outputs and schedules, and the schedules.
    List,
}

#[derive(Subcommand)]
pub(crate) enum DashboardsCommand {
    /// Write a dashboard as one self-contained HTML file (inline SVG charts,
    /// no script, no network), e.g. to email it.
    Render {
        /// Dashboard name.
        name: String,
        /// The HTML file to write.
        #[arg(long)]
        out: std::path::PathBuf,
        /// First day (YYYY-MM-DD) [default: 30 days before --to].
        #[arg(long)]
        from: Option<chrono::NaiveDate>,
        /// Last day (YYYY-MM-DD) [default: the lake's newest day].
        #[arg(long)]
        to: Option<chrono::NaiveDate>,
        /// Only this store.
        #[arg(long, default_value = "")]
        store: String,
        /// Only this carrier.
        #[arg(long, default_value = "")]
        carrier: String,
        /// Only this currency (ISO code).
        #[arg(long, default_value = "")]
        currency: String,
    },
    /// List the dashboards and their panels.
    List,
}

#[derive(Subcommand)]
pub(crate) enum TriggersCommand {
    /// Consume the event topics in the triggers' own consumer group and run
    /// the actions of every matching enabled trigger (Stripe calls with
    /// idempotency keys, notifications, command events), until SIGTERM or
    /// Ctrl-C (needs [bus] brokers). Outcomes go to the actions_log table.
    Run {
        /// Consumer group (default from [triggers] group_id).
        #[arg(long)]
        group: Option<String>,
    },
    /// List the triggers: kind, types, conditions, actions, enabled or not.
    List,
    /// Show which triggers an event (a JSON file) would fire and what their
    /// actions would send, without running anything.
    Check {
        /// The event's contract.
        #[arg(long, value_enum)]
        kind: settle::events::Kind,
        /// Store to attribute the event to when it names none.
        #[arg(long, default_value = "default")]
        store: String,
        /// The event body (JSON).
        file: std::path::PathBuf,
    },
}

#[derive(Subcommand)]
pub(crate) enum AlertsCommand {
    /// Evaluate the rules once (all when none are named): groups go pending,
    /// fire, repeat or resolve; notifications go to [alerts.channels.NAME].
    Run {
        /// Rule names.
        names: Vec<String>,
        /// Evaluate as of this time (RFC 3339) instead of now.
        #[arg(long)]
        at: Option<String>,
    },
    /// List the rules with their queries, conditions and channels.
    List,
}

#[derive(Subcommand)]
pub(crate) enum BackfillCommand {
    /// Customers, charges, payment intents, refunds, invoices, balance
    /// transactions and payouts created since DATE as snapshot events, plus
    /// Stripe's own events (30 days); resumable, and a second run produces
    /// only what is new. Key: [stripe] api_key or STRIPE_API_KEY.
    Stripe {
        /// First day (YYYY-MM-DD, UTC) or an RFC 3339 time.
        #[arg(long)]
        since: String,
        /// Hide progress bars.
        #[arg(long)]
        quiet: bool,
    },
}

#[derive(Subcommand)]
pub(crate) enum ImportCommand {
    /// Carrier COD remittance statements (CSV, XLSX, XLS, ODS), read with
    /// `[carriers.NAME.remittance]`; prints lines, totals per currency and
    /// rejected lines. Importing the same file again produces nothing.
    Remittances {
        /// Carrier name, as in `[carriers.NAME]`.
        #[arg(long)]
        carrier: String,
        /// Statement id when the file has no statement column [default: the file name without extension].
        #[arg(long)]
        statement: Option<String>,
        /// Check and summarize only; produce nothing.
        #[arg(long)]
        dry_run: bool,
        /// Statement files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
pub(crate) enum TopicsCommand {
    /// Create Settle's topics (events of every kind and the dead-letter topic) on the configured brokers.
    Create,
}

#[derive(Subcommand)]
pub(crate) enum LakeCommand {
    /// Recreate every typed table from raw_events.
    Rebuild,
    /// Show committed bus positions and row counts per table.
    Status,
}

#[derive(Subcommand)]
pub(crate) enum BenchCommand {
    /// N Stripe-sized events through decode -> Arrow -> Parquet vs DuckDB read_json -> COPY TO parquet.
    Lake {
        /// Events to push.
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Work folder (the events file and both outputs go here).
        #[arg(long, default_value = "target/bench-lake")]
        dir: PathBuf,
        /// Reuse the events file from an earlier run when it exists.
        #[arg(long)]
        reuse: bool,
        /// Skip the DuckDB peer (for profiling Settle's side alone).
        #[arg(long)]
        no_peer: bool,
    },
    /// N Stripe-sized events through a real broker -> settle ingest on one core
    /// -> lake: events/s, peak RSS, produce-to-visible p99, and the ratio to
    /// the decode-only lake benchmark (needs [bus] brokers, or --brokers).
    Ingest {
        /// Events for the throughput phase (a backlog drained from the broker).
        #[arg(long, default_value_t = 1_000_000)]
        events: usize,
        /// Events for the latency phase, produced at --rate.
        #[arg(long, default_value_t = 100_000)]
        latency_events: usize,
        /// Events per second in the latency phase.
        #[arg(long, default_value_t = 20_000)]
        rate: usize,
        /// Kafka bootstrap servers (default from [bus] brokers).
        #[arg(long)]
        brokers: Option<String>,
        /// `[ingest] max_age_ms` for the run.
        #[arg(long, default_value_t = 1_000)]
        max_age_ms: u64,
        /// Work folder.
        #[arg(long, default_value = "target/bench-ingest")]
        dir: PathBuf,
    },
    /// Signed ~1.5 KB Stripe webhooks through `settle serve`'s route (signature
    /// check + bus acknowledgement) beside a do-nothing axum handler and an
    /// axum handler that only awaits the broker's acknowledgement, in the same
    /// process: requests/s, p50/p99, CPU per request and the ratios (needs a broker).
    Webhooks {
        /// Requests per side.
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        /// Requests in flight.
        #[arg(long, default_value_t = 32)]
        concurrency: usize,
        /// Body size in bytes.
        #[arg(long, default_value_t = 1_536)]
        body_bytes: usize,
        /// librdkafka setting KEY=VALUE for the producers (repeatable).
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
        /// Kafka bootstrap servers (default from [bus] brokers).
        #[arg(long)]
        brokers: Option<String>,
        /// Rounds: every side runs once per round, interleaved; each side's
        /// median round is reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
    },
    /// Every shipped dashboard's page over the demo lake (built in DIR/lake
    /// by `settle demo` at its default size unless --reuse finds it), beside
    /// DuckDB running the same panel queries on the same Parquet files.
    Dashboards {
        /// Work folder.
        #[arg(long, default_value = "target/bench-dashboards")]
        dir: PathBuf,
        /// Reuse DIR/lake from an earlier run when it exists.
        #[arg(long)]
        reuse: bool,
        /// Timed runs per dashboard (after one warm-up).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// DuckDB threads.
        #[arg(long, default_value_t = 2)]
        threads: usize,
        /// Skip the DuckDB peer.
        #[arg(long)]
        no_peer: bool,
    },
    /// (Used by `bench ingest`.) Reads N events of every partition of a topic
    /// with a bare rdkafka consumer and prints {"events", "seconds"}: the
    /// broker's and librdkafka's ceiling, without Settle's work.
    #[command(hide = true)]
    Consume {
        /// Kafka bootstrap servers.
        #[arg(long)]
        brokers: String,
        /// Topic to read from its beginning.
        #[arg(long)]
        topic: String,
        /// Stop after this many events.
        #[arg(long)]
        events: usize,
        /// librdkafka setting KEY=VALUE (repeatable), for tuning experiments.
        #[arg(long = "set", value_name = "KEY=VALUE")]
        settings: Vec<String>,
    },
}
