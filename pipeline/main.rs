//! The `settle` command line.

use anyhow::{Context, Result, bail};
use clap::Parser;

use settle::bus::Topics;
use settle::config::Settings;
use settle::events::Kind;
use settle::jobs::session::Options;
use settle::lake::{Lake, commit, ingest};

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

mod cli;

use cli::args::*;
use cli::bench::{bench_dashboards, bench_lake};
use cli::daemons::{bus_for, ingest_daemon, parse_since, serve_daemon};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    let default = if matches!(
        cli.command,
        Command::Ingest { .. }
            | Command::Serve { .. }
            | Command::Triggers {
                command: cli::args::TriggersCommand::Run { .. }
            }
    ) {
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
                .key()
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
        Command::Alerts {
            command: AlertsCommand::List,
        } => {
            out!("{}", cli::alerts::list()?);
        }
        Command::Alerts {
            command: AlertsCommand::Run { names, at },
        } => {
            let lake = open()?;
            out!("{}", cli::alerts::run(&lake, &settings, &names, at).await?);
        }
        Command::Dashboards { command } => {
            out!(
                "{}",
                cli::dashboards::command(command, &settings, open).await?
            );
        }
        Command::Triggers { command } => {
            out!(
                "{}",
                cli::triggers::command(command, &settings, open).await?
            );
        }
        Command::Jobs {
            command: JobsCommand::List,
        } => {
            out!("{}", cli::jobs::list(&settings)?);
        }
        Command::Jobs {
            command:
                JobsCommand::Run {
                    names,
                    as_of,
                    export,
                },
        } => {
            let lake = open()?;
            let as_of = as_of
                .map(|t| settle::events::parse_timestamp("--as-of", &t))
                .transpose()
                .map_err(anyhow::Error::msg)?;
            out!(
                "{}",
                cli::jobs::run(&lake, &settings, &names, as_of, export).await?
            );
        }
        Command::Sql {
            query,
            execute,
            file,
            format,
            output,
        } => {
            let lake = open()?;
            let args = cli::sql::SqlArgs {
                query,
                execute,
                file,
                format,
                output,
            };
            let code = cli::sql::sql_command(&lake, &settings.sql, args).await?;
            if code != 0 {
                std::process::exit(code);
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
        Command::Serve { listen, pg_listen } => {
            let listen = listen.unwrap_or(settings.intake.listen.clone());
            let pg_listen = pg_listen.unwrap_or(settings.sql.pg_listen.clone());
            serve_daemon(&settings, &listen, &pg_listen, open).await?;
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
                BenchCommand::Webhooks {
                    requests,
                    concurrency,
                    body_bytes,
                    brokers,
                    settings: sets,
                    rounds,
                },
        } => {
            let Some(brokers) = brokers.or_else(|| settings.bus.kafka().map(|k| k.brokers)) else {
                bail!("settle bench webhooks needs a broker: --brokers host:port or [bus] brokers");
            };
            let cfg = settle::bench::webhooks::Config {
                brokers,
                requests,
                concurrency: concurrency.max(1),
                body_bytes,
                settings: sets
                    .iter()
                    .map(|s| {
                        s.split_once('=')
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .with_context(|| format!("--set {s:?}: write KEY=VALUE"))
                    })
                    .collect::<Result<_>>()?,
                rounds: rounds.max(1),
            };
            let sides = settle::bench::webhooks::run(&cfg)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            out!("{}", settle::bench::webhooks::render(&cfg, &sides));
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
        Command::Bench {
            command:
                BenchCommand::Dashboards {
                    dir,
                    reuse,
                    runs,
                    threads,
                    no_peer,
                },
        } => {
            let cfg = settle::bench::dashboards::Config {
                runs,
                threads,
                no_peer,
            };
            out!("{}", bench_dashboards(&settings, &dir, reuse, &cfg).await?);
        }
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
