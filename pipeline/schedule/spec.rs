//! Schedules: `jobs/schedules/NAME.toml` (shipped, built in) and the files
//! of `[schedules] dir` (added; a file named like a shipped schedule
//! replaces it). A schedule runs jobs in order on a cron expression in a
//! time zone, then writes its exports.
//!
//! ```toml
//! description = "The finance pack every morning, Casablanca time"
//! cron = "0 7 * * mon-fri"          # minute hour day-of-month month day-of-week
//! timezone = "Africa/Casablanca"    # IANA name; default UTC
//! jobs = ["cod_reconciliation", "revenue_daily"]
//! [[exports]]
//! table = "reports.cod_reconciliation"
//! format = "xlsx"                   # csv | xlsx
//! ```

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, TimeZone, Utc};
use serde::Deserialize;

use super::{Error, Result};
use crate::exports::ExportSpec;

/// The shipped schedules: (name, TOML).
pub const SHIPPED: &[(&str, &str)] = &[(
    "daily_finance",
    include_str!("../../jobs/schedules/daily_finance.toml"),
)];

/// One schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// The file stem.
    pub name: String,
    /// Where it was read from.
    pub origin: String,
    /// What it does, for people.
    pub description: String,
    /// Whether `settle serve` runs it.
    pub enabled: bool,
    /// The cron expression as written (five fields).
    pub cron_text: String,
    cron: cron::Schedule,
    /// The time zone the expression is read in.
    pub timezone: chrono_tz::Tz,
    /// Jobs to run, in order.
    pub jobs: Vec<String>,
    /// Exports to write after the jobs.
    pub exports: Vec<ExportSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    description: String,
    cron: String,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    jobs: Vec<String>,
    #[serde(default)]
    exports: Vec<ExportSpec>,
}

fn yes() -> bool {
    true
}

/// Reads a five-field cron expression (minute hour day-of-month month
/// day-of-week), as crontab writes it.
pub fn parse_cron(text: &str) -> std::result::Result<cron::Schedule, String> {
    let fields = text.split_whitespace().count();
    if fields != 5 {
        return Err(format!(
            "cron {text:?} has {fields} fields; write five: minute hour day-of-month month day-of-week, e.g. \"0 6 * * *\""
        ));
    }
    cron::Schedule::from_str(&format!("0 {text}")).map_err(|e| format!("cron {text:?}: {e}"))
}

/// Parses one schedule file; `jobs` are the known job names.
pub fn parse(name: &str, origin: &str, text: &str, known_jobs: &[String]) -> Result<Schedule> {
    let bad = |why: String| Error::Config {
        origin: origin.to_string(),
        why,
    };
    let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    let cron = parse_cron(&raw.cron).map_err(bad)?;
    let timezone = match &raw.timezone {
        Some(tz) => tz.parse::<chrono_tz::Tz>().map_err(|_| {
            bad(format!(
                "timezone {tz:?} is not an IANA time zone name such as \"Africa/Casablanca\" or \"UTC\""
            ))
        })?,
        None => chrono_tz::UTC,
    };
    if let Some(unknown) = raw.jobs.iter().find(|j| !known_jobs.contains(j)) {
        return Err(bad(format!(
            "unknown job {unknown:?}; known: {}",
            known_jobs.join(", ")
        )));
    }
    if raw.jobs.is_empty() && raw.exports.is_empty() {
        return Err(bad("a schedule needs jobs, exports or both".into()));
    }
    for e in &raw.exports {
        e.check()
            .map_err(|why| bad(format!("export of {}: {why}", e.table)))?;
    }
    Ok(Schedule {
        name: name.to_string(),
        origin: origin.to_string(),
        description: raw.description,
        enabled: raw.enabled,
        cron_text: raw.cron,
        cron,
        timezone,
        jobs: raw.jobs,
        exports: raw.exports,
    })
}

/// The shipped schedules, then those in `dir`, by name.
pub fn load(dir: Option<&str>) -> Result<Vec<Schedule>> {
    let known: Vec<String> = crate::jobs::spec::all()?
        .into_iter()
        .map(|j| j.name)
        .collect();
    let mut all = BTreeMap::new();
    for (name, text) in SHIPPED {
        let s = parse(name, &format!("jobs/schedules/{name}.toml"), text, &known)?;
        all.insert(s.name.clone(), s);
    }
    if let Some(dir) = dir {
        let files = crate::config::toml_files(dir, "schedule").map_err(|e| Error::Config {
            origin: "[schedules] dir".into(),
            why: e.to_string(),
        })?;
        for (name, origin, text) in files {
            let s = parse(&name, &origin, &text, &known)?;
            all.insert(s.name.clone(), s);
        }
    }
    Ok(all.into_values().collect())
}

fn at(us: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(us).unwrap_or_default()
}

/// When a run is due: the latest slot in `(after, now]` and how many
/// slots that range held (more than one: runs were missed, and only the
/// latest runs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Due {
    /// The slot to run (µs).
    pub slot: i64,
    /// Slots in the range, this one included.
    pub slots: u32,
}

impl Schedule {
    /// The run due at `now` if the last slot run was `after` (µs).
    pub fn due(&self, after: i64, now: i64) -> Option<Due> {
        let start = self.timezone.from_utc_datetime(&at(after).naive_utc());
        let mut due = None;
        let mut slots = 0u32;
        for t in self.cron.after(&start) {
            let us = t.with_timezone(&Utc).timestamp_micros();
            if us > now {
                break;
            }
            slots = slots.saturating_add(1);
            due = Some(us);
            // A year of minute slots is enough to know runs were missed.
            if slots >= 600_000 {
                break;
            }
        }
        due.map(|slot| Due { slot, slots })
    }

    /// The first slot after `t` (µs).
    pub fn next_after(&self, t: i64) -> Option<i64> {
        let start = self.timezone.from_utc_datetime(&at(t).naive_utc());
        self.cron
            .after(&start)
            .next()
            .map(|n| n.with_timezone(&Utc).timestamp_micros())
    }

    /// The calendar date of a slot in the schedule's time zone (export file names).
    pub fn local_date(&self, slot: i64) -> chrono::NaiveDate {
        self.timezone
            .from_utc_datetime(&at(slot).naive_utc())
            .date_naive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn us(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_micros()
    }

    fn schedule(cron: &str, tz: &str) -> Schedule {
        let text = format!(
            "description = \"t\"\ncron = \"{cron}\"\ntimezone = \"{tz}\"\njobs = [\"revenue_daily\"]\n"
        );
        parse("t", "t.toml", &text, &["revenue_daily".to_string()]).unwrap()
    }

    #[test]
    fn cron_is_read_in_the_schedule_time_zone_across_dst() {
        // 07:00 in New York is 12:00 UTC in winter, 11:00 UTC in summer.
        let s = schedule("0 7 * * *", "America/New_York");
        assert_eq!(
            s.next_after(us("2026-03-07T13:00:00Z")),
            Some(us("2026-03-08T11:00:00Z")),
            "the day DST starts"
        );
        assert_eq!(
            s.next_after(us("2026-01-10T00:00:00Z")),
            Some(us("2026-01-10T12:00:00Z"))
        );
        let utc = schedule("30 6 * * mon-fri", "UTC");
        // Saturday → Monday.
        assert_eq!(
            utc.next_after(us("2026-12-05T07:00:00Z")),
            Some(us("2026-12-07T06:30:00Z"))
        );
        assert_eq!(
            s.local_date(us("2026-12-05T02:00:00Z")).to_string(),
            "2026-12-04",
            "02:00 UTC is still the 4th in New York"
        );
    }

    #[test]
    fn missed_slots_make_one_run_of_the_latest() {
        let s = schedule("0 * * * *", "UTC");
        let last = us("2026-12-05T06:00:00Z");
        assert_eq!(s.due(last, us("2026-12-05T06:59:59Z")), None);
        assert_eq!(
            s.due(last, us("2026-12-05T07:00:00Z")),
            Some(Due {
                slot: us("2026-12-05T07:00:00Z"),
                slots: 1
            })
        );
        // Down from 06:10 to 09:20: 07:00, 08:00 and 09:00 were missed; 09:00 runs once.
        assert_eq!(
            s.due(last, us("2026-12-05T09:20:00Z")),
            Some(Due {
                slot: us("2026-12-05T09:00:00Z"),
                slots: 3
            })
        );
    }

    #[test]
    fn mistakes_are_explained() {
        let e = |text: &str| {
            parse("t", "t.toml", text, &["revenue_daily".to_string()])
                .unwrap_err()
                .to_string()
        };
        assert!(
            e("description = \"d\"\ncron = \"0 6 * *\"\njobs = [\"revenue_daily\"]")
                .contains("five")
        );
        assert!(e("description = \"d\"\ncron = \"0 6 * * *\"\ntimezone = \"Mars/Olympus\"\njobs = [\"revenue_daily\"]").contains("IANA"));
        assert!(
            e("description = \"d\"\ncron = \"0 6 * * *\"\njobs = [\"revenue\"]")
                .contains("unknown job")
        );
        assert!(
            e("description = \"d\"\ncron = \"61 6 * * *\"\njobs = [\"revenue_daily\"]")
                .contains("cron")
        );
    }

    #[test]
    fn shipped_schedules_parse() {
        let all = load(None).unwrap();
        assert!(all.iter().any(|s| s.name == "daily_finance"));
    }
}
