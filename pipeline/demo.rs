//! `settle demo`: the whole path on one machine with no outside service —
//! generate a store history, push every event through the in-process bus into
//! the lake, run every job, and print a summary.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use datafusion::arrow::util::pretty::pretty_format_batches;
use indicatif::ProgressBar;

use crate::bus::memory::MemoryBus;
use crate::bus::{EventBus, Meta, Record, Topics};
use crate::events::Kind;
use crate::generate::{self, Config, History};
use crate::intake::load::key_of;
use crate::jobs::session::{self, Options};
use crate::jobs::{contracts, queries, spec};
use crate::lake::{Lake, commit, ingest};

/// Errors from the demo.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The lake failed.
    #[error(transparent)]
    Lake(#[from] crate::lake::Error),
    /// A job failed.
    #[error(transparent)]
    Jobs(#[from] crate::jobs::Error),
    /// The bus failed.
    #[error(transparent)]
    Bus(#[from] crate::bus::Error),
    /// A query in the summary failed.
    #[error("summary query: {0}")]
    Sql(#[from] datafusion::error::DataFusionError),
}

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoConfig {
    /// What to generate.
    pub generate: Config,
    /// Bus partitions per topic.
    pub partitions: i32,
    /// Rows per lake batch.
    pub max_rows: usize,
    /// Show progress bars.
    pub progress: bool,
}

/// Publishes a generated history to the bus.
pub async fn publish_history(
    bus: &dyn EventBus,
    topics: &Topics,
    history: &History,
    bar: &ProgressBar,
) -> Result<usize, Error> {
    let now = chrono::Utc::now().timestamp_micros();
    let mut n = 0;
    for (kind, lines) in &history.events {
        let mut records = Vec::with_capacity(lines.len());
        for (i, line) in lines.iter().enumerate() {
            let origin = format!("{}:{}", kind.file_name(), i + 1);
            records.push(Record {
                key: key_of(*kind, line, &origin),
                meta: Meta {
                    kind: *kind,
                    store_id: "default".into(),
                    origin,
                    received_at: now,
                    refusal: None,
                },
                payload: Bytes::from(line.clone()),
            });
        }
        n += records.len();
        bar.inc(records.len() as u64);
        bus.publish(&topics.for_kind(*kind), records).await?;
    }
    Ok(n)
}

/// Runs the demo on `lake` and returns the summary text.
pub async fn run(lake: &Lake, cfg: &DemoConfig) -> Result<String, Error> {
    let started = Instant::now();
    let contracts = contracts::defaults();
    let history = generate::generate(&cfg.generate, &contracts);
    let events: usize = history.events.values().map(Vec::len).sum();
    let topics = Topics::default();
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::with_start_offsets(
        cfg.partitions,
        commit::next_offsets(lake).await?,
    ));
    let b = crate::output::progress(events as u64, "publish", cfg.progress);
    publish_history(&*bus, &topics, &history, &b).await?;
    b.finish();
    let b = crate::output::progress(events as u64, "lake", cfg.progress);
    let names: Vec<String> = Kind::ALL.iter().map(|k| topics.for_kind(*k)).collect();
    let drained = ingest::drain(
        bus,
        lake,
        &names,
        ingest::DrainOptions::rows(cfg.max_rows),
        Some(b.clone()),
    )
    .await?;
    b.finish();
    let jobs = spec::all()?;
    let b = crate::output::progress(jobs.len() as u64, "jobs", cfg.progress);
    let runs = crate::jobs::run::run(lake, &jobs, &Options::default()).await?;
    b.inc(jobs.len() as u64);
    b.finish();
    let ctx = session::open(lake, &Options::default()).await?;
    let mut out = format!(
        "Settle demo: {} orders over {} days (seed {}), {events} events -> {} accepted, {} rejected, {} lake batches\n",
        cfg.generate.orders,
        cfg.generate.days,
        cfg.generate.seed,
        drained.accepted,
        drained.rejected,
        drained.batches
    );
    for r in &runs {
        out += &format!(
            "  job {:<20} {:>7} rows  {:>6} ms\n",
            r.name, r.rows, r.millis
        );
    }
    for (title, name) in SUMMARY {
        let batches = ctx.sql(queries::get(name)?).await?.collect().await?;
        out += &format!(
            "\n{title}\n{}\n",
            pretty_format_batches(&batches).map_err(datafusion::error::DataFusionError::from)?
        );
    }
    out += &format!(
        "\nDone in {:.1} s. Lake: {}\n\nExplore further:\n",
        started.elapsed().as_secs_f64(),
        lake.url
    );
    let lake_arg = lake
        .url
        .as_str()
        .strip_prefix("file://")
        .unwrap_or(lake.url.as_str());
    for sql in queries::lines(queries::get("demo/explore")?) {
        out += &format!("  settle sql --lake {lake_arg} \"{sql}\"\n");
    }
    out += &format!(
        "  settle sql --lake {lake_arg}        # interactive; \\d lists the schemas raw, lake and reports\n\
         \x20 settle alerts run --lake {lake_arg}  # evaluate the alert rules once\n\
         \x20 settle serve --lake {lake_arg}      # dashboards at http://127.0.0.1:8088/dashboards\n\
         \x20 SETTLE__SQL__USERS__FINANCE=pw settle serve --lake {lake_arg} --pg-listen 127.0.0.1:5433  # then: psql -h 127.0.0.1 -p 5433 -U finance\n"
    );
    Ok(out)
}

/// Summary queries the demo prints, with their titles.
const SUMMARY: &[(&str, &str)] = &[
    ("Reconciliation status counts", "demo/status_counts"),
    (
        "COD per carrier and currency (major units)",
        "demo/outstanding_by_carrier",
    ),
    ("Refund, delivery and payment rates", "demo/rates"),
];
