//! Long-running commands (`settle ingest`, `settle serve`) and what the
//! command handlers share: the bus for the settings, signals, `--since`.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use settle::bus::memory::MemoryBus;
use settle::bus::{EventBus, Topics};
use settle::config::Settings;
use settle::lake::{Lake, commit};

/// Runs the ingest daemon with its HTTP probes until SIGTERM or Ctrl-C.
pub(crate) async fn ingest_daemon(
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
pub(crate) fn parse_since(text: &str) -> Result<i64> {
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
pub(crate) fn cancel_on_signals(token: tokio_util::sync::CancellationToken) {
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

/// Runs the webhook intake and the trigger runner (when brokers are
/// configured), the Postgres endpoint (when `pg_listen` is set) and the
/// alert loop (when alerts are enabled) until SIGTERM or Ctrl-C.
pub(crate) async fn serve_daemon(
    settings: &Settings,
    listen: &str,
    pg_listen: &str,
    open_lake: impl Fn() -> Result<Lake>,
) -> Result<()> {
    let shutdown = tokio_util::sync::CancellationToken::new();
    let kafka = settings.bus.kafka();
    if kafka.is_none()
        && pg_listen.is_empty()
        && !settings.alerts.enabled
        && !settings.schedules.enabled
        && !settings.dashboards.enabled
    {
        bail!(
            "settle serve has nothing to serve: webhooks need Kafka ([bus] brokers or \
             SETTLE__BUS__BROKERS=host:port; they are acknowledged only once the bus has them), \
             the Postgres endpoint needs --pg-listen ADDR or [sql] pg_listen, and alerts, \
             schedules and dashboards are off ([alerts] enabled = false, [schedules] enabled = \
             false, [dashboards] enabled = false)"
        );
    }
    let mut tasks = tokio::task::JoinSet::new();
    if settings.alerts.enabled {
        let every = humantime::parse_duration(&settings.alerts.every).with_context(|| {
            format!(
                "[alerts] every = {:?}: write e.g. \"1m\"",
                settings.alerts.every
            )
        })?;
        let lake = open_lake()?;
        tasks.spawn(alert_loop(lake, settings.clone(), every, shutdown.clone()));
    }
    if !pg_listen.is_empty() {
        let server = settle::sql::pg::Server::new(open_lake()?, settings.sql.clone()).await?;
        let listener = tokio::net::TcpListener::bind(pg_listen)
            .await
            .with_context(|| {
                format!("listening on {pg_listen}; pick a free address with --pg-listen")
            })?;
        tracing::info!(
            listen = %listener.local_addr()?,
            users = ?settings.sql.users.keys().collect::<Vec<_>>(),
            tls = settings.sql.tls_cert.is_some(),
            "serving the lake read-only over the Postgres wire protocol"
        );
        tasks.spawn(server.serve(listener, shutdown.clone()));
    }
    if settings.schedules.enabled {
        use settle::schedule::{clock::SystemClock, runner, spec};
        let lake = open_lake()?;
        let scheduler = std::sync::Arc::new(runner::Scheduler {
            lake: lake.clone(),
            schedules: spec::load(settings.schedules.dir.as_deref())?,
            jobs: settle::jobs::spec::all()?,
            clock: std::sync::Arc::new(SystemClock),
            executor: std::sync::Arc::new(
                runner::LakeExecutor::new(lake, settings.sql.query_timeout())
                    .destinations(settings),
            ),
        });
        let stop = shutdown.clone();
        tasks.spawn(async move {
            scheduler
                .run(stop)
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
        });
    }
    if let (true, Some(_)) = (settings.triggers.enabled, &kafka) {
        let (runner, kafka) = settle::triggers::runner(settings, open_lake()?)?;
        let stop = shutdown.clone();
        tasks.spawn(async move {
            runner
                .run(&kafka, stop)
                .await
                .map(|s| tracing::info!(summary = ?s, "trigger runner stopped"))
                .map_err(|e| std::io::Error::other(e.to_string()))
        });
    }
    // One HTTP listener for the webhooks (with Kafka) and the dashboards.
    let mut http: Option<axum::Router> = None;
    let mut serving = Vec::new();
    match kafka {
        Some(kafka) => {
            let intake = intake(settings, kafka).await?;
            serving.extend(intake.enabled_routes());
            http = Some(settle::intake::serve::router(intake));
        }
        None => tracing::info!("webhook intake is off: no [bus] brokers configured"),
    }
    if settings.dashboards.enabled {
        use settle::dashboards::web::{Web, router};
        let web = Web::new(
            open_lake()?,
            settings.dashboards.clone(),
            settings.sql.query_timeout(),
        )
        .with_users(settings.sql.users.clone());
        let routes = router(Arc::new(web));
        http = Some(match http {
            Some(h) => h.merge(routes),
            None => routes,
        });
        serving.push("/dashboards".to_string());
    }
    if let Some(app) = http {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}; pick a free address with --listen"))?;
        tracing::info!(listen = %listener.local_addr()?, routes = ?serving, "serving HTTP");
        let stop = shutdown.clone();
        tasks.spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
        });
    }
    cancel_on_signals(shutdown.clone());
    while let Some(done) = tasks.join_next().await {
        if let Err(e) = done.context("a server task failed")? {
            shutdown.cancel();
            return Err(e).context("serving");
        }
    }
    Ok(())
}

/// Evaluates every alert rule each `every` over the freshest lake until `shutdown`.
async fn alert_loop(
    lake: Lake,
    settings: Settings,
    every: std::time::Duration,
    shutdown: tokio_util::sync::CancellationToken,
) -> std::io::Result<()> {
    let rules = match settle::alerts::rules::all() {
        Ok(r) => r,
        Err(e) => return Err(std::io::Error::other(e.to_string())),
    };
    tracing::info!(rules = rules.len(), every = %humantime::format_duration(every), "evaluating alert rules");
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
        let at = chrono::Utc::now().timestamp_micros();
        let ctx = match settle::sql::open(&lake, None, settings.sql.query_timeout()).await {
            Ok(ctx) => ctx,
            Err(e) => {
                tracing::warn!(error = %e, "alert evaluation skipped: the lake could not be read");
                continue;
            }
        };
        match settle::alerts::evaluate::evaluate(&ctx, &lake, &rules, &settings.alerts.channels, at)
            .await
        {
            Ok(runs) => {
                for r in runs.iter().filter(|r| !r.changes.is_empty()) {
                    tracing::info!(rule = %r.rule, changes = ?r.changes, sent = r.sent, "alert rule changed");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "alert evaluation failed; retrying at the next interval")
            }
        }
    }
}

/// The webhook intake.
async fn intake(
    settings: &Settings,
    mut kafka: settle::bus::kafka::KafkaConfig,
) -> Result<Arc<settle::intake::serve::Intake>> {
    use settle::intake::serve::Intake;
    // librdkafka fails a message it could not deliver in time, so a request
    // answered 503 never reaches the bus later.
    kafka.ack_timeout = std::time::Duration::from_millis(settings.intake.ack_timeout_ms.max(1));
    kafka.idempotent = false;
    for (k, v) in settle::intake::serve::PRODUCER_DEFAULTS {
        kafka.options.entry(k.to_string()).or_insert(v.to_string());
    }
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
    if intake.enabled_routes().is_empty() {
        tracing::warn!(
            "no webhook secret is configured: every webhook route answers 404; see [intake] in the README"
        );
    }
    Ok(intake)
}

/// Kafka when brokers are configured, else the in-process bus starting at the
/// lake's next offsets.
pub(crate) async fn bus_for(
    settings: &Settings,
    topics: &Topics,
    lake: &Lake,
) -> Result<Arc<dyn EventBus>> {
    Ok(match settings.bus.kafka() {
        Some(k) => Arc::new(settle::bus::kafka::KafkaBus::new(k, topics.clone())?),
        None => Arc::new(MemoryBus::with_start_offsets(
            settings.bus.partitions,
            commit::next_offsets(lake).await?,
        )),
    })
}
