//! What the scheduler remembers: per schedule, the last slot it ran
//! (`_schedules/NAME.json` in the lake); and per job or export run, a row
//! of the `job_runs` table.

use serde::{Deserialize, Serialize};

use super::Result;
use crate::lake::Lake;
use crate::lake::table::Micros;
use crate::lake_table;

/// One schedule's saved state.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// The last slot run (µs).
    pub last_slot: Option<i64>,
}

fn path(schedule: &str) -> String {
    format!("_schedules/{schedule}.json")
}

/// The saved state of `schedule`, or a fresh one.
pub async fn load(lake: &Lake, schedule: &str) -> Result<State> {
    match crate::lake::parquet_io::get_optional(lake, &path(schedule)).await? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| super::Error::Config {
            origin: path(schedule),
            why: format!(
                "unreadable schedule state ({e}); delete it and the schedule starts from the next slot"
            ),
        }),
        None => Ok(State::default()),
    }
}

/// Saves the state of `schedule` (one atomic PUT).
pub async fn save(lake: &Lake, schedule: &str, state: &State) -> Result<()> {
    let bytes = serde_json::to_vec(state).expect("schedule state serializes");
    crate::lake::parquet_io::put(lake, &path(schedule), bytes.into()).await?;
    Ok(())
}

lake_table! {
    /// Every job and export run: by a schedule (on time, or once for slots missed while Settle was down) or by hand, with its start, end, rows, status and error.
    pub struct JobRunRow in "job_runs" by started_at {
        /// Always null: runs belong to no single store.
        pub store_id: Option<String>,
        /// The schedule (jobs/schedules/NAME.toml); null when run by hand.
        pub schedule: Option<String>,
        /// job or export.
        pub kind: String,
        /// The job's name, or the export's file name.
        pub name: String,
        /// schedule, catch_up (the latest of several missed slots) or manual.
        pub trigger: String,
        /// The slot the run was for.
        pub slot: Micros,
        /// Slots missed before it (0 when on time).
        pub missed: i64,
        /// Start.
        pub started_at: Micros,
        /// End.
        pub ended_at: Micros,
        /// Rows written (the job's output, or the exported table's rows).
        pub rows: i64,
        /// ok or failed.
        pub status: String,
        /// Why it failed.
        pub error: Option<String>,
        /// The output table, or where the export was written.
        pub output: String,
    }
}
