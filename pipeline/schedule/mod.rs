//! Scheduled jobs and exports (`jobs/schedules/*.toml`): `settle serve`
//! runs each enabled schedule on its cron expression in its time zone;
//! `settle jobs run NAME --export` runs one now. Slots missed while Settle
//! was down run once (the latest), not once each; a schedule never
//! overlaps itself and a job never runs twice at once. Every job and
//! export run is a row of `job_runs`.

pub mod clock;
pub mod runner;
pub mod runs;
pub mod spec;

use serde::Deserialize;

/// `[schedules]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ScheduleSettings {
    /// Whether `settle serve` runs the schedules.
    pub enabled: bool,
    /// A folder of schedule files (`NAME.toml`) besides the shipped ones.
    pub dir: Option<String>,
}

impl Default for ScheduleSettings {
    fn default() -> Self {
        ScheduleSettings {
            enabled: true,
            dir: None,
        }
    }
}

/// Errors from scheduling.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A schedule file or state is wrong.
    #[error("{origin}: {why}")]
    Config {
        /// Where.
        origin: String,
        /// What is wrong and what to do.
        why: String,
    },
    /// A job spec is wrong.
    #[error(transparent)]
    Jobs(#[from] crate::jobs::Error),
    /// The lake failed.
    #[error(transparent)]
    Lake(#[from] crate::lake::Error),
}

/// Result alias for scheduling.
pub type Result<T, E = Error> = std::result::Result<T, E>;
