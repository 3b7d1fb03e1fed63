//! `settle jobs run|list`.

use anyhow::{Result, bail};
use settle::config::Settings;
use settle::exports::ExportSpec;
use settle::jobs::session::Options;
use settle::jobs::spec::{self, JobSpec};
use settle::lake::Lake;
use settle::schedule::runner::{Executor, LakeExecutor, Slot};
use settle::schedule::spec::Schedule;

/// Jobs with their outputs, and the schedules that run them.
pub(crate) fn list(settings: &Settings) -> Result<String> {
    let schedules = settle::schedule::spec::load(settings.schedules.dir.as_deref())?;
    let mut out = String::new();
    for j in spec::all()? {
        let by: Vec<&str> = schedules
            .iter()
            .filter(|s| s.jobs.contains(&j.name))
            .map(|s| s.name.as_str())
            .collect();
        out.push_str(&format!(
            "{:<20} -> {:<20} {:<16} {}\n",
            j.name,
            j.output,
            by.join(","),
            j.description
        ));
    }
    out.push_str("\nschedules:\n");
    for s in &schedules {
        let exports: Vec<String> = s
            .exports
            .iter()
            .map(|e| format!("{} ({:?})", e.table, e.format).to_lowercase())
            .collect();
        out.push_str(&format!(
            "{:<20} {:<8} {:<16} {:<18} jobs: {}; exports: {}\n",
            s.name,
            if s.enabled { "enabled" } else { "disabled" },
            s.cron_text,
            s.timezone.name(),
            s.jobs.join(", "),
            if exports.is_empty() {
                "none".to_string()
            } else {
                exports.join(", ")
            }
        ));
    }
    Ok(out)
}

/// What one name asks for: a schedule's jobs and exports, or one job
/// with the exports of its output.
struct Plan {
    schedule: Option<Schedule>,
    jobs: Vec<JobSpec>,
    exports: Vec<ExportSpec>,
}

fn plans(names: &[String], schedules: &[Schedule], export: bool) -> Result<Vec<Plan>> {
    let all = spec::all()?;
    if names.is_empty() {
        if export {
            bail!(
                "--export needs a schedule or job name, e.g. `settle jobs run daily_finance --export`"
            );
        }
        return Ok(vec![Plan {
            schedule: None,
            jobs: all,
            exports: Vec::new(),
        }]);
    }
    let mut out = Vec::new();
    for name in names {
        if let Some(s) = schedules.iter().find(|s| s.name == *name) {
            let jobs = all
                .iter()
                .filter(|j| s.jobs.contains(&j.name))
                .cloned()
                .collect();
            let exports = if export {
                s.exports.clone()
            } else {
                Vec::new()
            };
            out.push(Plan {
                schedule: Some(s.clone()),
                jobs,
                exports,
            });
            continue;
        }
        let job = spec::select(std::slice::from_ref(name))?.remove(0);
        let mut exports: Vec<ExportSpec> = Vec::new();
        if export {
            for e in schedules.iter().flat_map(|s| &s.exports) {
                if e.table_name() == job.output
                    && !exports.iter().any(|x| {
                        x.file_name(chrono::NaiveDate::MIN) == e.file_name(chrono::NaiveDate::MIN)
                    })
                {
                    exports.push(e.clone());
                }
            }
            if exports.is_empty() {
                bail!(
                    "job {name}: no schedule exports its output {}; add an [[exports]] entry to a schedule",
                    job.output
                );
            }
        }
        out.push(Plan {
            schedule: None,
            jobs: vec![job],
            exports,
        });
    }
    Ok(out)
}

/// Runs the jobs (and, with `export`, the exports) that `names` ask for.
pub(crate) async fn run(
    lake: &Lake,
    settings: &Settings,
    names: &[String],
    as_of: Option<i64>,
    export: bool,
) -> Result<String> {
    let schedules = settle::schedule::spec::load(settings.schedules.dir.as_deref())?;
    let mut out = String::new();
    if !export {
        for plan in plans(names, &schedules, false)? {
            let opts = Options {
                as_of,
                ..Options::default()
            };
            for r in settle::jobs::run::run(lake, &plan.jobs, &opts).await? {
                out.push_str(&format!(
                    "{:<20} {:>8} rows -> {:<20} {:>6} ms\n",
                    r.name, r.rows, r.output, r.millis
                ));
            }
        }
        return Ok(out);
    }
    let executor = LakeExecutor::new(lake.clone(), settings.sql.query_timeout())
        .as_of(as_of)
        .destinations(settings);
    let now = chrono::Utc::now().timestamp_micros();
    let mut failed = Vec::new();
    for plan in plans(names, &schedules, true)? {
        let slot = Slot {
            schedule: plan.schedule.as_ref().map(|s| s.name.clone()),
            at: now,
            date: plan
                .schedule
                .as_ref()
                .map_or(chrono::Utc::now().date_naive(), |s| s.local_date(now)),
            trigger: "manual",
            missed: 0,
        };
        let rows = executor.run(&slot, &plan.jobs, &plan.exports).await;
        for r in &rows {
            out.push_str(&format!(
                "{:<7} {:<36} {:>8} rows -> {} {}\n",
                r.kind,
                r.name,
                r.rows,
                r.output,
                r.error
                    .as_deref()
                    .map(|e| format!("FAILED: {e}"))
                    .unwrap_or_default()
            ));
            if r.status != "ok" {
                failed.push(r.name.clone());
            }
        }
        let stem = format!("manual-{now}-{}", rand::random::<u32>());
        settle::lake::parquet_io::write_table(lake, rows, &stem).await?;
    }
    if !failed.is_empty() {
        print!("{out}");
        bail!("failed: {} (see job_runs)", failed.join(", "));
    }
    Ok(out)
}
