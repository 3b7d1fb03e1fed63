//! The `settle` command line.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};

use settle::bus::memory::MemoryBus;
use settle::bus::{EventBus, Topics};
use settle::config::Settings;
use settle::events::Kind;
use settle::jobs::session::Options;
use settle::lake::{Lake, commit, ingest};
use settle::output::{Format, render};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Settle: operations data for direct-to-consumer and cash-on-delivery stores.
#[derive(Parser)]
#[command(version, about, long_about = None)]
struct Cli {
    /// Settings file (TOML); `SETTLE__SECTION__KEY` environment variables override it.
    #[arg(long, global = true, env = "SETTLE_CONFIG")]
    config: Option<String>,
    /// Lake location: a path, file:///abs, s3://bucket/prefix or memory:// [default: ./lake].
    #[arg(long, global = true)]
    lake: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
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
    /// Run one SQL query over every lake table and print the result.
    Sql {
        /// The query.
        query: String,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
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
    /// bus acknowledged, until SIGTERM or Ctrl-C (needs [bus] brokers).
    Serve {
        /// Listen here (default from [intake] listen).
        #[arg(long)]
        listen: Option<String>,
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
enum JobsCommand {
    /// Run jobs (all when none are named) and write their outputs to the lake.
    Run {
        /// Job names.
        names: Vec<String>,
        /// Measure ages to this time (RFC 3339) instead of the lake's newest event.
        #[arg(long)]
        as_of: Option<String>,
    },
    /// List jobs with their queries, outputs and schedules.
    List,
}

#[derive(Subcommand)]
enum BackfillCommand {
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
enum ImportCommand {
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
enum TopicsCommand {
    /// Create Settle's topics (events of every kind and the dead-letter topic) on the configured brokers.
    Create,
}

#[derive(Subcommand)]
enum LakeCommand {
    /// Recreate every typed table from raw_events.
    Rebuild,
    /// Show committed bus positions and row counts per table.
    Status,
}

#[derive(Subcommand)]
enum BenchCommand {
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

/// `println!` that returns an error instead of panicking when stdout is gone.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($t)*)?;
    }};
}

/// `print!` likewise.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout(), $($t)*)?;
    }};
}

#[tokio::main]
async fn main() -> Result<()> {
    match run().await {
        // `settle ... | head`: the reader left; that is not a failure.
        Err(e)
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) =>
        {
            Ok(())
        }
        other => other,
    }
}

async fn run() -> Result<()> {
    let cli = Cli::parse();
    // Daemons log their work at info; one-shot commands only warnings.
    let default = if matches!(cli.command, Command::Ingest { .. } | Command::Serve { .. }) {
        "info"
    } else {
        "warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SETTLE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default)),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let settings = Settings::load(cli.config.as_deref(), std::env::vars())?;
    let lake_url = cli.lake.clone().unwrap_or(settings.lake.url.clone());
    let open = || Lake::open(&lake_url).with_context(|| format!("opening lake {lake_url}"));
    match cli.command {
        Command::Demo {
            orders,
            days,
            seed,
            quiet,
        } => {
            let lake = open()?;
            let cfg = settle::demo::DemoConfig {
                generate: settle::generate::Config {
                    orders,
                    days,
                    seed,
                    overdue_days: settle::jobs::spec::overdue_days(),
                },
                partitions: settings.bus.partitions,
                max_rows: settings.ingest.max_rows,
                progress: !quiet,
            };
            out!("{}", settle::demo::run(&lake, &cfg).await?);
        }
        Command::Generate {
            orders,
            days,
            seed,
            out,
        } => {
            let cfg = settle::generate::Config {
                orders,
                days,
                seed,
                overdue_days: settle::jobs::spec::overdue_days(),
            };
            let history = settle::generate::generate(&cfg, &settle::jobs::contracts::defaults());
            settle::generate::write(&history, &out)
                .with_context(|| format!("writing {}", out.display()))?;
            for (kind, lines) in &history.events {
                outln!(
                    "{:>8} {} events -> {}",
                    lines.len(),
                    kind,
                    out.join(kind.file_name()).display()
                );
            }
            outln!(
                "{:>8} orders of ground truth -> {}",
                history.truth.len(),
                out.join("truth.jsonl").display()
            );
        }
        Command::Load { kind, store, files } => {
            let lake = open()?;
            let topics = Topics {
                prefix: settings.bus.topic_prefix.clone(),
            };
            let bus = bus_for(&settings, &topics, &lake).await?;
            let mut n = 0;
            for f in &files {
                n += settle::intake::load::load_file(&*bus, &topics, f, kind, &store).await?;
            }
            if settings.bus.kafka().is_some() {
                outln!(
                    "produced {n} {kind} events to {}; `settle ingest` writes them to the lake",
                    topics.for_kind(kind)
                );
                return Ok(());
            }
            let opts = ingest::DrainOptions {
                max_rows: settings.ingest.max_rows,
                max_event_bytes: settings.ingest.max_event_bytes,
            };
            let d = ingest::drain(bus, &lake, &[topics.for_kind(kind)], opts, None).await?;
            outln!(
                "loaded {n} {kind} events: {} accepted, {} rejected (see the rejected table)",
                d.accepted,
                d.rejected
            );
        }
        Command::Backfill {
            command: BackfillCommand::Stripe { since, quiet },
        } => {
            let lake = open()?;
            let since = parse_since(&since)?;
            let key = settings
                .stripe
                .api_key
                .clone()
                .or_else(|| std::env::var("STRIPE_API_KEY").ok().map(settle::sources::secret::Secret::new))
                .filter(|k| !k.is_empty())
                .context("no Stripe key: set STRIPE_API_KEY or [stripe] api_key (a restricted read-only key is enough)")?;
            let s = &settings.stripe;
            let api = settle::sources::stripe::api::Api::new(&key, &s.api_base, s.max_attempts)?;
            let topics = Topics {
                prefix: settings.bus.topic_prefix.clone(),
            };
            let bus = bus_for(&settings, &topics, &lake).await?;
            let run = settle::intake::backfill::Backfill {
                api: &api,
                bus: &*bus,
                topics: &topics,
                lake: &lake,
                store: &settings.intake.stripe.store_id,
                since,
                page_size: s.page_size.clamp(1, 100),
                progress: !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
            };
            let counts = run.run().await?;
            if settings.bus.kafka().is_none() {
                let opts = ingest::DrainOptions {
                    max_rows: settings.ingest.max_rows,
                    max_event_bytes: settings.ingest.max_event_bytes,
                };
                ingest::drain(bus, &lake, &[topics.for_kind(Kind::Stripe)], opts, None).await?;
            }
            for c in counts {
                outln!(
                    "{:<22} {:>8} read {:>8} produced",
                    c.list,
                    c.read,
                    c.produced
                );
            }
        }
        Command::Import {
            command:
                ImportCommand::Remittances {
                    carrier,
                    statement,
                    dry_run,
                    files,
                },
        } => {
            let lake = open()?;
            let Some(cfg) = settings.carriers.get(&carrier) else {
                bail!(
                    "no [carriers.{carrier}] in the config: add its store_id, currency and \
                     [carriers.{carrier}.remittance] columns (see the README)"
                );
            };
            let topics = Topics {
                prefix: settings.bus.topic_prefix.clone(),
            };
            let bus = bus_for(&settings, &topics, &lake).await?;
            let mut done = Vec::new();
            for file in &files {
                use settle::intake::remit;
                let plan = remit::plan(&carrier, cfg, file, statement.as_deref())?;
                if let Some(prev) = remit::previous(&lake, &carrier, &plan.summary.sha256).await? {
                    outln!(
                        "{}: already imported ({} lines, sha256 {}); nothing produced",
                        plan.summary.file,
                        prev.lines,
                        &prev.sha256[..12]
                    );
                    continue;
                }
                if dry_run {
                    out!("{}", remit::render(&plan.summary));
                    continue;
                }
                let summary = remit::publish(&*bus, &topics, plan).await?;
                out!("{}", remit::render(&summary));
                done.push(summary);
            }
            if !done.is_empty() && settings.bus.kafka().is_none() {
                let opts = ingest::DrainOptions {
                    max_rows: settings.ingest.max_rows,
                    max_event_bytes: settings.ingest.max_event_bytes,
                };
                let names = [topics.for_kind(Kind::Remittance)];
                ingest::drain(bus, &lake, &names, opts, None).await?;
            }
            for summary in &done {
                settle::intake::remit::remember(&lake, &carrier, summary).await?;
            }
            if !done.is_empty() && settings.bus.kafka().is_some() {
                outln!(
                    "produced to {}; `settle ingest` writes them to the lake",
                    topics.for_kind(Kind::Remittance)
                );
            }
        }
        Command::Topics {
            command: TopicsCommand::Create,
        } => {
            let topics = Topics {
                prefix: settings.bus.topic_prefix.clone(),
            };
            let Some(kafka) = settings.bus.kafka() else {
                bail!("no brokers configured: set [bus] brokers or SETTLE__BUS__BROKERS");
            };
            let bus = settle::bus::kafka::KafkaBus::new(kafka, topics.clone())?;
            let names = topics.all();
            let created = bus.create_topics(&names).await?;
            for t in &names {
                let state = if created.contains(t) {
                    "created"
                } else {
                    "exists"
                };
                outln!("{t:<28} {state}");
            }
        }
        Command::Jobs {
            command: JobsCommand::List,
        } => {
            for j in settle::jobs::spec::all()? {
                outln!(
                    "{:<20} -> {:<20} {:<14} {}",
                    j.name,
                    j.output,
                    j.schedule.unwrap_or_default(),
                    j.description
                );
            }
        }
        Command::Jobs {
            command: JobsCommand::Run { names, as_of },
        } => {
            let lake = open()?;
            let as_of = as_of
                .map(|t| settle::events::parse_timestamp("--as-of", &t))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let jobs = settle::jobs::spec::select(&names)?;
            for r in settle::jobs::run::run(
                &lake,
                &jobs,
                &Options {
                    as_of,
                    contracts: None,
                },
            )
            .await?
            {
                outln!(
                    "{:<20} {:>8} rows -> {:<20} {:>6} ms",
                    r.name,
                    r.rows,
                    r.output,
                    r.millis
                );
            }
        }
        Command::Sql { query, format } => {
            let lake = open()?;
            let ctx = settle::jobs::session::open(&lake, &Options::default()).await?;
            let df = ctx.sql(&query).await.context("planning the query")?;
            let batches = df.collect().await.context("running the query")?;
            out!("{}", render(&batches, format)?);
            if format == Format::Table {
                outln!("");
            }
        }
        Command::Lake {
            command: LakeCommand::Rebuild,
        } => {
            let lake = open()?;
            let r = settle::lake::rebuild::rebuild(&lake).await?;
            outln!(
                "rebuilt typed tables from {} raw files ({} events): {} files written",
                r.files,
                r.events,
                r.written
            );
        }
        Command::Ingest { listen, group } => {
            let lake = open()?;
            let Some(kafka) = settings.bus.kafka() else {
                bail!(
                    "settle ingest needs Kafka: set [bus] brokers in the config or \
                     SETTLE__BUS__BROKERS=host:port (without Kafka, settle load writes the lake itself)"
                );
            };
            let i = &settings.ingest;
            let cfg = settle::ingest::Config {
                kafka,
                topics: Topics {
                    prefix: settings.bus.topic_prefix.clone(),
                },
                group_id: group.unwrap_or(i.group_id.clone()),
                max_rows: i.max_rows.max(1),
                max_age: std::time::Duration::from_millis(i.max_age_ms.max(1)),
                max_event_bytes: i.max_event_bytes,
                max_buffered_bytes: i.max_buffered_bytes,
            };
            let listen = listen.unwrap_or(i.listen.clone());
            let s = ingest_daemon(lake, cfg, &listen).await?;
            outln!(
                "ingest stopped: {} events written, {} rejected, {} batches, {} fenced",
                s.written,
                s.rejected,
                s.batches,
                s.fenced
            );
        }
        Command::Serve { listen } => {
            let listen = listen.unwrap_or(settings.intake.listen.clone());
            serve_daemon(&settings, &listen).await?;
            outln!("serve stopped");
        }
        Command::Status => {
            let lake = open()?;
            let topics = Topics {
                prefix: settings.bus.topic_prefix.clone(),
            };
            let names = topics.all();
            let kafka = settings.bus.kafka();
            let group = settings.ingest.group_id.clone();
            let rows = settle::ingest::status::positions(
                &lake,
                &names,
                kafka.as_ref().map(|k| (k, group.as_str())),
            )
            .await?;
            out!("{}", settle::ingest::status::render(&rows));
        }
        Command::Lake {
            command: LakeCommand::Status,
        } => {
            let lake = open()?;
            for c in commit::committed(&lake)
                .await?
                .into_iter()
                .collect::<std::collections::BTreeMap<_, _>>()
            {
                outln!("{}/{}: committed through offset {}", c.0.0, c.0.1, c.1);
            }
            let ctx = settle::jobs::session::open(&lake, &Options::default()).await?;
            for t in settle::lake::tables::EVENT_TABLES {
                let n = ctx.table(*t).await?.count().await?;
                outln!("{t:<16} {n:>10} rows");
            }
        }
        Command::Bench {
            command:
                BenchCommand::Ingest {
                    events,
                    latency_events,
                    rate,
                    brokers,
                    max_age_ms,
                    dir,
                },
        } => {
            let Some(brokers) = brokers.or_else(|| settings.bus.kafka().map(|k| k.brokers)) else {
                bail!("settle bench ingest needs a broker: --brokers host:port or [bus] brokers");
            };
            let cfg = settle::bench::ingest::Config {
                brokers,
                events,
                latency_events,
                rate,
                dir,
                max_age_ms,
            };
            let say = |s: &str| eprintln!("{s} ...");
            let report = settle::bench::ingest::run(&cfg, &say)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            out!("{}", settle::bench::ingest::render(&cfg, &report));
        }
        Command::Bench {
            command:
                BenchCommand::Consume {
                    brokers,
                    topic,
                    events,
                    settings,
                },
        } => {
            let secs = settle::bench::ingest::bare_consume(&brokers, &topic, events, &settings)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            outln!("{}", serde_json::json!({"events": events, "seconds": secs}));
        }
        Command::Bench {
            command:
                BenchCommand::Lake {
                    events,
                    dir,
                    reuse,
                    no_peer,
                },
        } => bench_lake(events, &dir, reuse, no_peer).await?,
        Command::Schemas { out } => {
            std::fs::create_dir_all(&out)?;
            for (name, v) in settle::lake::contracts::all() {
                let path = out.join(format!("{name}.schema.json"));
                std::fs::write(&path, settle::lake::contracts::render(&v))?;
                outln!("wrote {}", path.display());
            }
        }
    }
    Ok(())
}

/// Runs the ingest daemon with its HTTP probes until SIGTERM or Ctrl-C.
async fn ingest_daemon(
    lake: Lake,
    cfg: settle::ingest::Config,
    listen: &str,
) -> Result<settle::ingest::Summary> {
    use settle::ingest::http::{Health, router};
    let health = Arc::new(Health::default());
    health.beat();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}; pick a free address with --listen"))?;
    tracing::info!(listen = %listener.local_addr()?, "serving /metrics /healthz /readyz");
    let shutdown = tokio_util::sync::CancellationToken::new();
    let app = router(health.clone());
    let stop_http = shutdown.clone();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move { stop_http.cancelled().await })
            .await
    });
    cancel_on_signals(shutdown.clone());
    let ingest = tokio::spawn(settle::ingest::run(lake, cfg, health, shutdown.clone()));
    let result = ingest.await.context("ingest task")?;
    shutdown.cancel();
    let _ = server.await;
    Ok(result?)
}

/// `--since`: a UTC day or an RFC 3339 time, as Unix seconds.
fn parse_since(text: &str) -> Result<i64> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(d
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc()
            .timestamp());
    }
    settle::events::parse_timestamp("--since", text)
        .map(|micros| micros / 1_000_000)
        .map_err(anyhow::Error::msg)
}

/// Cancels `token` on SIGTERM or Ctrl-C.
fn cancel_on_signals(token: tokio_util::sync::CancellationToken) {
    tokio::spawn(async move {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: finishing and stopping"),
            _ = tokio::signal::ctrl_c() => tracing::info!("Ctrl-C: finishing and stopping"),
        }
        token.cancel();
    });
}

/// Runs the webhook intake until SIGTERM or Ctrl-C.
async fn serve_daemon(settings: &Settings, listen: &str) -> Result<()> {
    use settle::intake::serve::{Intake, serve};
    let Some(mut kafka) = settings.bus.kafka() else {
        bail!(
            "settle serve needs Kafka: set [bus] brokers in the config or \
             SETTLE__BUS__BROKERS=host:port (webhooks are acknowledged only once the bus has them)"
        );
    };
    // librdkafka fails a message it could not deliver in time, so a request
    // answered 503 never reaches the bus later.
    kafka.ack_timeout = std::time::Duration::from_millis(settings.intake.ack_timeout_ms.max(1));
    kafka.idempotent = false;
    let topics = Topics {
        prefix: settings.bus.topic_prefix.clone(),
    };
    let bus = Arc::new(settle::bus::kafka::KafkaBus::new(kafka, topics.clone())?);
    // Producers do not create topics; make sure they exist (a broker that
    // is down now only means 503s until it is back).
    if let Err(e) = bus.create_topics(&topics.all()).await {
        tracing::warn!(error = %e, "could not check the topics; webhooks get 503 until the bus answers");
    }
    for (name, c) in settings
        .carriers
        .iter()
        .filter(|(_, c)| !c.format.is_empty())
    {
        settle::sources::carriers::format(&c.format)
            .map_err(|e| anyhow::anyhow!("[carriers.{name}] format: {e}"))?;
    }
    let intake = Arc::new(Intake::new(
        bus,
        topics,
        settings.intake.clone(),
        settings.carriers.clone(),
    ));
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}; pick a free address with --listen"))?;
    let routes = intake.enabled_routes();
    if routes.is_empty() {
        tracing::warn!(
            "no webhook secret is configured: every webhook route answers 404; see [intake] in the README"
        );
    }
    tracing::info!(listen = %listener.local_addr()?, routes = ?routes, "serving webhooks");
    let shutdown = tokio_util::sync::CancellationToken::new();
    cancel_on_signals(shutdown.clone());
    serve(listener, intake, shutdown).await?;
    Ok(())
}

/// Kafka when brokers are configured, else the in-process bus starting at the
/// lake's next offsets.
async fn bus_for(settings: &Settings, topics: &Topics, lake: &Lake) -> Result<Arc<dyn EventBus>> {
    Ok(match settings.bus.kafka() {
        Some(k) => Arc::new(settle::bus::kafka::KafkaBus::new(k, topics.clone())?),
        None => Arc::new(MemoryBus::with_start_offsets(
            settings.bus.partitions,
            commit::next_offsets(lake).await?,
        )),
    })
}

async fn bench_lake(
    events: usize,
    dir: &std::path::Path,
    reuse: bool,
    no_peer: bool,
) -> Result<()> {
    use settle::bench;
    std::fs::create_dir_all(dir)?;
    let file = dir.join("stripe_events.jsonl");
    let lake_dir = dir.join("lake");
    let _ = std::fs::remove_dir_all(&lake_dir);
    let bytes = if reuse && file.exists() {
        outln!("reusing {}", file.display());
        std::fs::metadata(&file)?.len()
    } else {
        outln!("writing {events} Stripe events to {} ...", file.display());
        bench::write_events(&file, events)?
    };
    let mb = bytes as f64 / 1e6;
    outln!(
        "{mb:.1} MB, {:.0} bytes/event",
        bytes as f64 / events as f64
    );
    let lake = Lake::open(lake_dir.to_str().context("utf-8 path")?)?;
    let (n, secs) = bench::settle_side(&file, &lake, 50_000).await?;
    outln!(
        "settle  decode->arrow->parquet (1 thread): {secs:>7.2} s  {:>9.0} events/s  {:>7.1} MB/s",
        n as f64 / secs,
        mb / secs
    );
    for threads in if no_peer { vec![] } else { vec![1, 2] } {
        let out = dir.join(format!("duckdb-{threads}.parquet"));
        match bench::duckdb_side(&file, &out, threads) {
            Ok(d) => outln!(
                "duckdb  read_json->COPY parquet ({threads} thread{}): {d:>7.2} s  {:>9.0} events/s  {:>7.1} MB/s  settle/duckdb speed ratio {:.2}",
                if threads == 1 { "" } else { "s" },
                n as f64 / d,
                mb / d,
                d / secs
            ),
            Err(e) => bail!("{e}"),
        }
    }
    Ok(())
}
