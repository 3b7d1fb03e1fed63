//! The life of an alert group: inactive → pending (breaching, not yet for
//! `for`) → firing (notified; re-notified every `repeat_interval`) →
//! resolved (notified once) → inactive. Pure: the evaluation time comes in,
//! transitions come out, so a controllable clock can replay history.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::{Condition, Rule};

/// One group's row from a rule's query.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// The group's labels (the query's other columns), as text.
    pub labels: BTreeMap<String, String>,
    /// Columns named `info_…`: shown in messages, not part of the group.
    pub annotations: BTreeMap<String, String>,
    /// `value`.
    pub value: f64,
    /// `baseline`, when the query has one.
    pub baseline: Option<f64>,
    /// `volume`, when the query has one.
    pub volume: Option<i64>,
}

impl Observation {
    /// The group's identity: its labels.
    pub fn key(&self) -> String {
        key_of(&self.labels)
    }
}

/// A stable key for labels.
pub fn key_of(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// What a row says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The condition holds.
    Breach,
    /// It does not.
    Clear,
    /// Too little volume to say: a pending group is dropped, a firing one held.
    Quiet,
}

/// The verdict of `rule` on one row.
pub fn verdict(rule: &Rule, o: &Observation) -> Verdict {
    if o.volume.is_some_and(|v| v < rule.min_volume) {
        return Verdict::Quiet;
    }
    let breach = match rule.condition {
        Condition::Above => o.value > rule.threshold,
        Condition::Below => o.value < rule.threshold,
        Condition::Drop => match o.baseline {
            Some(b) if b > 0.0 => (b - o.value) / b * 100.0 >= rule.threshold,
            _ => false,
        },
        Condition::Rise => match o.baseline {
            Some(b) if b > 0.0 => (o.value - b) / b * 100.0 >= rule.threshold,
            // Something where there was nothing is a rise of any size.
            Some(_) => o.value > 0.0,
            None => false,
        },
    };
    if breach {
        Verdict::Breach
    } else {
        Verdict::Clear
    }
}

/// Where a group is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Breaching, not yet for long enough.
    Pending,
    /// Notified.
    Firing,
}

/// A group that is pending or firing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Pending or firing.
    pub status: Status,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// The latest row's `info_…` columns.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    /// When it started breaching (µs).
    pub since: i64,
    /// When it was last notified (µs).
    pub last_sent: Option<i64>,
    /// The latest row.
    pub value: f64,
    /// Its baseline.
    pub baseline: Option<f64>,
    /// Its volume.
    pub volume: Option<i64>,
}

/// What happened to a group in one evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Started breaching.
    Pending,
    /// Fired (notified).
    Firing,
    /// Still firing after `repeat_interval` (notified again).
    Repeat,
    /// Stopped breaching while firing (notified).
    Resolved,
    /// Stopped breaching before it fired (not notified).
    Cleared,
}

impl Change {
    /// Whether channels hear of it.
    pub fn notifies(self) -> bool {
        matches!(self, Change::Firing | Change::Repeat | Change::Resolved)
    }

    /// As text.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Pending => "pending",
            Change::Firing => "firing",
            Change::Repeat => "firing",
            Change::Resolved => "resolved",
            Change::Cleared => "cleared",
        }
    }
}

/// One group's change, with the row behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The group's key.
    pub key: String,
    /// What happened.
    pub change: Change,
    /// The group as it is now (for resolved: as it was last seen firing,
    /// with the clearing row's numbers when there is one).
    pub group: Group,
}

/// Applies one evaluation at `at` (µs) to `groups`; groups missing from
/// `rows` are clear.
pub fn step(
    rule: &Rule,
    groups: &mut BTreeMap<String, Group>,
    rows: &[Observation],
    at: i64,
) -> Vec<Transition> {
    let for_us = rule.for_.as_micros() as i64;
    let repeat_us = rule.repeat_interval.as_micros() as i64;
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for o in rows {
        let key = o.key();
        seen.insert(key.clone());
        let verdict = verdict(rule, o);
        let existing = groups.get(&key).cloned();
        match (verdict, existing) {
            (Verdict::Breach, None) => {
                let mut g = Group {
                    status: Status::Pending,
                    labels: o.labels.clone(),
                    annotations: o.annotations.clone(),
                    since: at,
                    last_sent: None,
                    value: o.value,
                    baseline: o.baseline,
                    volume: o.volume,
                };
                let change = if for_us == 0 {
                    g.status = Status::Firing;
                    g.last_sent = Some(at);
                    Change::Firing
                } else {
                    Change::Pending
                };
                groups.insert(key.clone(), g.clone());
                out.push(Transition {
                    key,
                    change,
                    group: g,
                });
            }
            (Verdict::Breach, Some(mut g)) => {
                g.annotations = o.annotations.clone();
                g.value = o.value;
                g.baseline = o.baseline;
                g.volume = o.volume;
                let change = match g.status {
                    Status::Pending if at - g.since >= for_us => {
                        g.status = Status::Firing;
                        g.last_sent = Some(at);
                        Some(Change::Firing)
                    }
                    Status::Firing if g.last_sent.is_none_or(|s| at - s >= repeat_us) => {
                        g.last_sent = Some(at);
                        Some(Change::Repeat)
                    }
                    _ => None,
                };
                groups.insert(key.clone(), g.clone());
                if let Some(change) = change {
                    out.push(Transition {
                        key,
                        change,
                        group: g,
                    });
                }
            }
            (Verdict::Quiet, Some(g)) if g.status == Status::Pending => {
                groups.remove(&key);
                out.push(Transition {
                    key,
                    change: Change::Cleared,
                    group: g,
                });
            }
            (Verdict::Quiet, _) => {}
            (Verdict::Clear, Some(mut g)) => {
                groups.remove(&key);
                g.annotations = o.annotations.clone();
                g.value = o.value;
                g.baseline = o.baseline;
                g.volume = o.volume;
                out.push(ended(key, g));
            }
            (Verdict::Clear, None) => {}
        }
    }
    let gone: Vec<String> = groups
        .keys()
        .filter(|k| !seen.contains(*k))
        .cloned()
        .collect();
    for key in gone {
        if let Some(g) = groups.remove(&key) {
            out.push(ended(key, g));
        }
    }
    out
}

/// A group that stopped breaching: resolved if it had fired, else cleared.
fn ended(key: String, group: Group) -> Transition {
    let change = match group.status {
        Status::Firing => Change::Resolved,
        Status::Pending => Change::Cleared,
    };
    Transition { key, change, group }
}

#[cfg(test)]
mod tests;
