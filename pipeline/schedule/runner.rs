//! The scheduler loop (one per schedule, so a schedule never overlaps
//! itself) and the executor that runs a slot's jobs and exports.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use tokio_util::sync::CancellationToken;

use super::clock::Clock;
use super::runs::{self, JobRunRow};
use super::spec::Schedule;
use super::{Error, Result};
use crate::exports::{self, ExportSpec};
use crate::jobs::spec::JobSpec;
use crate::lake::Lake;
use crate::lake::table::Micros;

/// One run to make: what, for which slot, and why.
#[derive(Debug, Clone)]
pub struct Slot {
    /// The schedule (None: by hand, jobs named one by one).
    pub schedule: Option<String>,
    /// The slot (µs).
    pub at: i64,
    /// The slot's date in the schedule's time zone (export file names).
    pub date: chrono::NaiveDate,
    /// schedule, catch_up or manual.
    pub trigger: &'static str,
    /// Slots missed before it.
    pub missed: u32,
}

/// Runs a slot's jobs and exports.
#[async_trait]
pub trait Executor: Send + Sync {
    /// Runs `jobs` then writes `exports`; returns the `job_runs` rows.
    async fn run(&self, slot: &Slot, jobs: &[JobSpec], exports: &[ExportSpec]) -> Vec<JobRunRow>;
}

/// The executor over the lake.
pub struct LakeExecutor {
    /// The lake.
    pub lake: Lake,
    /// The time limit of each export's query.
    pub query_timeout: Option<std::time::Duration>,
    /// Jobs measure ages to this time instead of the lake's newest event.
    as_of: Option<i64>,
    /// Where Sheets and emailed exports go.
    dest: crate::exports::Destinations,
    locks: Mutex<BTreeMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl LakeExecutor {
    /// An executor for `lake`.
    pub fn new(lake: Lake, query_timeout: Option<std::time::Duration>) -> Self {
        LakeExecutor {
            lake,
            query_timeout,
            as_of: None,
            dest: Default::default(),
            locks: Mutex::new(BTreeMap::new()),
        }
    }

    /// Sheets exports use `[sheets]`; emailed exports the channels.
    pub fn destinations(mut self, settings: &crate::config::Settings) -> Self {
        self.dest = crate::exports::Destinations {
            sheets: settings.sheets.clone(),
            channels: settings.alerts.channels.clone(),
        };
        self
    }

    /// Jobs measure ages to `as_of` (µs) instead of the lake's newest event.
    pub fn as_of(mut self, as_of: Option<i64>) -> Self {
        self.as_of = as_of;
        self
    }

    /// The lock that keeps `job` from running twice at once.
    fn lock(&self, job: &str) -> Arc<tokio::sync::Mutex<()>> {
        self.locks
            .lock()
            .expect("job locks")
            .entry(job.to_string())
            .or_default()
            .clone()
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

#[async_trait]
impl Executor for LakeExecutor {
    async fn run(&self, slot: &Slot, jobs: &[JobSpec], exports: &[ExportSpec]) -> Vec<JobRunRow> {
        let row = |kind: &str,
                   name: &str,
                   started: i64,
                   rows: usize,
                   error: Option<String>,
                   output: &str| JobRunRow {
            store_id: None,
            schedule: slot.schedule.clone(),
            kind: kind.to_string(),
            name: name.to_string(),
            trigger: slot.trigger.to_string(),
            slot: Micros(slot.at),
            missed: i64::from(slot.missed),
            started_at: Micros(started),
            ended_at: Micros(now()),
            rows: rows as i64,
            status: if error.is_none() { "ok" } else { "failed" }.to_string(),
            error,
            output: output.to_string(),
        };
        let mut out = Vec::new();
        let mut failed = None;
        for job in jobs {
            let lock = self.lock(&job.name);
            let _running = lock.lock().await;
            let started = now();
            let opts = crate::jobs::session::Options {
                as_of: self.as_of,
                ..Default::default()
            };
            match crate::jobs::run::run(&self.lake, std::slice::from_ref(job), &opts).await {
                Ok(runs) => {
                    let rows = runs.iter().map(|r| r.rows).sum();
                    out.push(row("job", &job.name, started, rows, None, &job.output));
                }
                Err(e) => {
                    tracing::warn!(job = %job.name, error = %e, "scheduled job failed");
                    failed = Some(job.name.clone());
                    out.push(row(
                        "job",
                        &job.name,
                        started,
                        0,
                        Some(e.to_string()),
                        &job.output,
                    ));
                }
            }
        }
        if exports.is_empty() {
            return out;
        }
        let area = slot.schedule.as_deref().unwrap_or("manual");
        let ctx = match &failed {
            Some(job) => Err(format!(
                "not written: job {job} failed, so its tables may be stale"
            )),
            None => crate::sql::open(&self.lake, None, self.query_timeout)
                .await
                .map_err(|e| e.to_string()),
        };
        for spec in exports {
            let started = now();
            let file = spec.file_name(slot.date);
            let result = match &ctx {
                Ok(ctx) => exports::export(ctx, &self.lake, spec, area, slot.date, &self.dest)
                    .await
                    .map_err(|e| e.to_string()),
                Err(why) => Err(why.clone()),
            };
            match result {
                Ok(w) => out.push(row("export", &w.file, started, w.rows, None, &w.location)),
                Err(why) => {
                    tracing::warn!(export = %file, error = %why, "scheduled export failed");
                    out.push(row("export", &file, started, 0, Some(why), ""));
                }
            }
        }
        out
    }
}

/// Runs every enabled schedule until `shutdown`.
pub struct Scheduler {
    /// The lake (state and `job_runs`).
    pub lake: Lake,
    /// The schedules.
    pub schedules: Vec<Schedule>,
    /// Every job, by name.
    pub jobs: Vec<JobSpec>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// What runs a slot.
    pub executor: Arc<dyn Executor>,
}

impl Scheduler {
    /// One loop per enabled schedule, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) -> Result<()> {
        let mut tasks = tokio::task::JoinSet::new();
        for (i, s) in self.schedules.iter().enumerate() {
            if s.enabled {
                tracing::info!(schedule = %s.name, cron = %s.cron_text, timezone = %s.timezone, "scheduling");
                tasks.spawn(self.clone().one(i, shutdown.clone()));
            }
        }
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok(Ok(())) => {}
                Ok(Err(e)) => return Err(e),
                Err(e) => {
                    return Err(Error::Config {
                        origin: "scheduler".into(),
                        why: e.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    async fn one(self: Arc<Self>, i: usize, shutdown: CancellationToken) -> Result<()> {
        let s = &self.schedules[i];
        let mut state = runs::load(&self.lake, &s.name).await?;
        let mut last = match state.last_slot {
            Some(t) => t,
            None => {
                // A new schedule starts with the next slot, not with history.
                let now = self.clock.now();
                state.last_slot = Some(now);
                runs::save(&self.lake, &s.name, &state).await?;
                now
            }
        };
        let jobs: Vec<JobSpec> = s
            .jobs
            .iter()
            .filter_map(|name| self.jobs.iter().find(|j| j.name == *name).cloned())
            .collect();
        loop {
            if shutdown.is_cancelled() {
                return Ok(());
            }
            let now = self.clock.now();
            if let Some(due) = s.due(last, now) {
                let slot = Slot {
                    schedule: Some(s.name.clone()),
                    at: due.slot,
                    date: s.local_date(due.slot),
                    trigger: if due.slots > 1 {
                        "catch_up"
                    } else {
                        "schedule"
                    },
                    missed: due.slots - 1,
                };
                let rows = self.executor.run(&slot, &jobs, &s.exports).await;
                if !rows.is_empty() {
                    let stem = format!("{}-{}-{}", s.name, due.slot, rand::random::<u32>());
                    crate::lake::parquet_io::write_table(&self.lake, rows, &stem).await?;
                }
                last = due.slot;
                state.last_slot = Some(last);
                runs::save(&self.lake, &s.name, &state).await?;
                continue;
            }
            let Some(next) = s.next_after(now.max(last)) else {
                shutdown.cancelled().await;
                return Ok(());
            };
            tokio::select! {
                _ = shutdown.cancelled() => return Ok(()),
                _ = self.clock.sleep_until(next) => {}
            }
        }
    }
}
