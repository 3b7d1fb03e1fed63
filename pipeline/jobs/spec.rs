//! Job specs: `jobs/*.toml`, each naming its queries and output table.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{Error, Result};

/// The jobs shipped with Settle: (name, TOML).
pub const JOBS: &[(&str, &str)] = &[
    (
        "cod_reconciliation",
        include_str!("../../jobs/cod_reconciliation.toml"),
    ),
    ("refund_rates", include_str!("../../jobs/refund_rates.toml")),
    (
        "delivery_success",
        include_str!("../../jobs/delivery_success.toml"),
    ),
    (
        "payment_success",
        include_str!("../../jobs/payment_success.toml"),
    ),
    (
        "revenue_daily",
        include_str!("../../jobs/revenue_daily.toml"),
    ),
];

/// One job.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JobSpec {
    /// Job name (the file stem); filled in after parsing.
    #[serde(skip)]
    pub name: String,
    /// What the job builds.
    pub description: String,
    /// Queries run in order; the last one's result is the output.
    pub queries: Vec<String>,
    /// Output table in the lake.
    pub output: String,
    /// Money columns of the output (`col`, in the row's `currency`, or
    /// `col:currency_col`): exports write them in major units.
    #[serde(default)]
    pub money: Vec<String>,
    /// Parameters the queries read from `job_params`.
    #[serde(default)]
    pub params: BTreeMap<String, i64>,
}

/// Parses one job spec.
pub fn parse(name: &str, text: &str) -> Result<JobSpec> {
    let mut spec: JobSpec = toml::from_str(text).map_err(|e| Error::Config {
        origin: format!("jobs/{name}.toml"),
        why: e.to_string(),
    })?;
    spec.name = name.to_string();
    for q in &spec.queries {
        super::queries::get(q)?;
    }
    Ok(spec)
}

/// Every shipped job.
pub fn all() -> Result<Vec<JobSpec>> {
    JOBS.iter().map(|(n, t)| parse(n, t)).collect()
}

/// The jobs named, or all of them when `names` is empty.
pub fn select(names: &[String]) -> Result<Vec<JobSpec>> {
    pick(all()?, names, |j| &j.name).map_err(|(name, known)| Error::Unknown {
        what: "job",
        name,
        known,
    })
}

/// The items of `all` named in `names` (in that order), or all of them when
/// `names` is empty; else the first unknown name and the known ones.
pub fn pick<T: Clone>(
    all: Vec<T>,
    names: &[String],
    name_of: impl Fn(&T) -> &str,
) -> std::result::Result<Vec<T>, (String, String)> {
    if names.is_empty() {
        return Ok(all);
    }
    names
        .iter()
        .map(|n| {
            all.iter()
                .find(|x| name_of(x) == n)
                .cloned()
                .ok_or_else(|| {
                    let known: Vec<&str> = all.iter().map(&name_of).collect();
                    (n.clone(), known.join(", "))
                })
        })
        .collect()
}

/// Overdue threshold from the reconciliation job (the generator uses it too).
pub fn overdue_days() -> i64 {
    all()
        .ok()
        .and_then(|jobs| jobs.into_iter().find(|j| j.name == "cod_reconciliation"))
        .and_then(|j| j.params.get("overdue_days").copied())
        .unwrap_or(20)
}
