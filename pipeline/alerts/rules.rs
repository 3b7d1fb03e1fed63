//! Alert rules: `jobs/alerts/*.toml`, each naming a query in
//! `queries/alerts/` that returns one row per group (a `value`, optionally a
//! `baseline` and a `volume`; `info_…` columns for the message; the other
//! columns are labels, which make the group) and the condition under which a
//! group alerts.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use super::{Error, Result};

/// The shipped rules: (name, TOML).
pub const RULES: &[(&str, &str)] = &[
    (
        "payment_success_drop",
        include_str!("../../jobs/alerts/payment_success_drop.toml"),
    ),
    (
        "refund_spike",
        include_str!("../../jobs/alerts/refund_spike.toml"),
    ),
    (
        "rto_spike",
        include_str!("../../jobs/alerts/rto_spike.toml"),
    ),
    (
        "cod_remittance_overdue",
        include_str!("../../jobs/alerts/cod_remittance_overdue.toml"),
    ),
    (
        "failed_payment_burst",
        include_str!("../../jobs/alerts/failed_payment_burst.toml"),
    ),
];

/// The queries rules run: (name, SQL).
pub const QUERIES: &[(&str, &str)] = &[
    (
        "payment_success_rate",
        include_str!("../../queries/alerts/payment_success_rate.sql"),
    ),
    (
        "refund_volume",
        include_str!("../../queries/alerts/refund_volume.sql"),
    ),
    (
        "rto_rate",
        include_str!("../../queries/alerts/rto_rate.sql"),
    ),
    (
        "overdue_remittances",
        include_str!("../../queries/alerts/overdue_remittances.sql"),
    ),
    (
        "failed_payments",
        include_str!("../../queries/alerts/failed_payments.sql"),
    ),
];

/// When a group's row breaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// `value > threshold`.
    Above,
    /// `value < threshold`.
    Below,
    /// `value` is at least `threshold` % under `baseline`.
    Drop,
    /// `value` is at least `threshold` % over `baseline`.
    Rise,
}

/// One rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The file stem; filled in after parsing.
    #[serde(skip)]
    pub name: String,
    /// What the rule watches, for people.
    pub description: String,
    /// Query name in `queries/alerts/`.
    pub query: String,
    /// How a row breaches.
    pub condition: Condition,
    /// The value, or the percentage for drop and rise.
    pub threshold: f64,
    /// Rows with a smaller `volume` never breach (a quiet night pages nobody).
    #[serde(default)]
    pub min_volume: i64,
    /// How long a group must breach before it fires.
    #[serde(rename = "for", default, with = "humantime_serde_opt")]
    pub for_: Duration,
    /// The window the query judges, before the evaluation time
    /// (`$window_start_us` … `$eval_us`).
    #[serde(with = "humantime_serde_opt")]
    pub window: Duration,
    /// How far back the query reads, baselines included (`$since_date`):
    /// older date partitions are skipped. At least the window.
    #[serde(default, with = "humantime_serde_opt")]
    pub lookback: Duration,
    /// While firing, the notification is sent again after this long.
    #[serde(with = "humantime_serde_opt")]
    pub repeat_interval: Duration,
    /// Channel names from `[alerts.channels.NAME]`.
    pub channels: Vec<String>,
    /// The message; `{label}`, `{info_…}` (the query's annotation columns),
    /// `{value}`, `{baseline}`, `{volume}`, `{value_pct}`, `{baseline_pct}`,
    /// `{change_pct}`, `{rule}`, `{state}`.
    pub message: String,
    /// Fixed labels added to every notification (severity, team).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `"15m"`, `"1h 30m"`, `"0s"` through humantime.
mod humantime_serde_opt {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!(
                "{text:?} is not a duration ({e}); write e.g. \"90s\", \"15m\", \"1h\", \"7d\""
            ))
        })
    }
}

impl Rule {
    /// How far back the query reads.
    pub fn reads_back(&self) -> Duration {
        self.lookback.max(self.window)
    }

    /// The SQL of the rule's query.
    pub fn sql(&self) -> Result<&'static str> {
        query(&self.query)
    }
}

/// The SQL of alert query `name`.
pub fn query(name: &str) -> Result<&'static str> {
    QUERIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sql)| *sql)
        .ok_or_else(|| Error::Config {
            origin: format!("queries/alerts/{name}.sql"),
            why: format!(
                "no such alert query; known: {}",
                QUERIES
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        })
}

/// Parses one rule.
pub fn parse(name: &str, text: &str) -> Result<Rule> {
    let origin = format!("jobs/alerts/{name}.toml");
    let mut rule: Rule = toml::from_str(text).map_err(|e| Error::Config {
        origin: origin.clone(),
        why: e.to_string(),
    })?;
    rule.name = name.to_string();
    rule.sql()?;
    if matches!(rule.condition, Condition::Drop | Condition::Rise) && rule.threshold <= 0.0 {
        return Err(Error::Config {
            origin,
            why: "a drop or rise threshold is a percentage above 0".into(),
        });
    }
    Ok(rule)
}

/// Every shipped rule.
pub fn all() -> Result<Vec<Rule>> {
    RULES.iter().map(|(n, t)| parse(n, t)).collect()
}

/// The rules named, or all of them when `names` is empty.
pub fn select(names: &[String]) -> Result<Vec<Rule>> {
    crate::jobs::spec::pick(all()?, names, |r| &r.name).map_err(|(name, known)| Error::Config {
        origin: format!("jobs/alerts/{name}.toml"),
        why: format!("no such rule; known: {known}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_rule_parses_and_names_a_query() {
        let rules = all().unwrap();
        assert_eq!(rules.len(), RULES.len());
        for r in &rules {
            assert!(!r.channels.is_empty(), "{}", r.name);
            assert!(r.window > Duration::ZERO, "{}", r.name);
        }
    }

    #[test]
    fn a_bad_duration_says_how_to_write_one() {
        let text = RULES[0]
            .1
            .replace("repeat_interval = \"", "repeat_interval = \"soon");
        let e = parse("x", &text).unwrap_err().to_string();
        assert!(
            e.contains("jobs/alerts/x.toml") && e.contains("\"15m\""),
            "{e}"
        );
    }
}
