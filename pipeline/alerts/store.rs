//! What survives a restart: each rule's groups (pending, firing) and its
//! outbox of notifications not yet delivered, as `_alerts/state/RULE.json`
//! in the lake; and every transition as a row of the `alert_events` table.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Result;
use super::notify::Notification;
use super::state::{Group, Transition};
use crate::lake::Lake;
use crate::lake::table::Micros;
use crate::lake_table;

/// One rule's saved state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RuleState {
    /// Pending and firing groups by key.
    pub groups: BTreeMap<String, Group>,
    /// Notifications some channel has not received yet.
    pub outbox: Vec<Notification>,
    /// The last evaluation time (µs).
    pub evaluated_at: Option<i64>,
}

fn path(rule: &str) -> String {
    format!("_alerts/state/{rule}.json")
}

/// The saved state of `rule`, or a fresh one.
pub async fn load(lake: &Lake, rule: &str) -> Result<RuleState> {
    match crate::lake::parquet_io::get_optional(lake, &path(rule)).await? {
        Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| super::Error::Config {
            origin: path(rule),
            why: format!("unreadable alert state ({e}); delete it to start the rule afresh"),
        }),
        None => Ok(RuleState::default()),
    }
}

/// Saves the state of `rule` (one atomic PUT).
pub async fn save(lake: &Lake, rule: &str, state: &RuleState) -> Result<()> {
    let bytes = serde_json::to_vec_pretty(state).expect("alert state serializes");
    crate::lake::parquet_io::put(lake, &path(rule), bytes.into()).await?;
    Ok(())
}

lake_table! {
    /// Every alert transition (pending, firing, repeated, resolved, cleared), for dashboards and audits.
    pub struct AlertEventRow in "alert_events" by at {
        /// The group's store, when the rule groups by store.
        pub store_id: Option<String>,
        /// Evaluation time.
        pub at: Micros,
        /// Rule name (jobs/alerts/RULE.toml).
        pub rule: String,
        /// The group's labels as `k=v,…`.
        pub group_key: String,
        /// pending, firing, repeat, resolved or cleared.
        pub change: String,
        /// The query's value for the group.
        pub value: f64,
        /// Its baseline, when the query has one.
        pub baseline: Option<f64>,
        /// Its volume, when the query has one.
        pub volume: Option<i64>,
        /// The rendered message (empty for changes nobody is told of).
        pub message: String,
    }
}

/// The rows for one evaluation's transitions.
pub fn event_rows(
    rule: &str,
    at: i64,
    transitions: &[Transition],
    messages: &[String],
) -> Vec<AlertEventRow> {
    transitions
        .iter()
        .zip(messages)
        .map(|(t, message)| AlertEventRow {
            store_id: t.group.labels.get("store_id").cloned(),
            at: Micros(at),
            rule: rule.to_string(),
            group_key: t.key.clone(),
            change: format!("{:?}", t.change).to_lowercase(),
            value: t.group.value,
            baseline: t.group.baseline,
            volume: t.group.volume,
            message: message.clone(),
        })
        .collect()
}
