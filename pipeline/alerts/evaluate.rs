//! One evaluation of the rules at a time: run each rule's query with
//! its parameters, step its groups, record transitions, and deliver the
//! outbox. State is saved before anything is sent, so a crash never forgets a
//! notification; one sent just before a crash may be sent again.

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;

use super::channels::{self, Channels};
use super::notify::Notification;
use super::rules::Rule;
use super::state::{self, Change, Observation};
use super::{Error, Result, store};
use crate::lake::Lake;

/// Undelivered notifications older than this are given up (and logged).
const OUTBOX_MAX_AGE_US: i64 = 24 * 3600 * 1_000_000;

/// What one rule did in one evaluation.
#[derive(Debug, Clone, Default)]
pub struct RuleRun {
    /// The rule.
    pub rule: String,
    /// Groups the query returned.
    pub rows: usize,
    /// (group key, change) for each transition.
    pub changes: Vec<(String, Change)>,
    /// Deliveries that succeeded.
    pub sent: usize,
    /// Deliveries that failed for good or will be retried (`channel: why`).
    pub failed: Vec<String>,
    /// The rule's query failed (the other rules still ran).
    pub error: Option<String>,
}

/// Evaluates `rules` at `at` (µs) over the session's lake.
pub async fn evaluate(
    ctx: &SessionContext,
    lake: &Lake,
    rules: &[Rule],
    channels: &Channels,
    at: i64,
) -> Result<Vec<RuleRun>> {
    let mut runs = Vec::with_capacity(rules.len());
    for rule in rules {
        let mut run = RuleRun {
            rule: rule.name.clone(),
            ..RuleRun::default()
        };
        let rows = match observe(ctx, rule, at).await {
            Ok(rows) => rows,
            Err(e) => {
                tracing::warn!(rule = %rule.name, error = %e, "alert rule's query failed; the rule is skipped this time");
                run.error = Some(e.to_string());
                runs.push(run);
                continue;
            }
        };
        run.rows = rows.len();
        let mut saved = store::load(lake, &rule.name).await?;
        let transitions = state::step(rule, &mut saved.groups, &rows, at);
        let mut messages = Vec::with_capacity(transitions.len());
        for t in &transitions {
            run.changes.push((t.key.clone(), t.change));
            if t.change.notifies() {
                let n = Notification::of(rule, t, at);
                messages.push(n.message.clone());
                saved.outbox.push(n);
            } else {
                messages.push(String::new());
            }
        }
        if transitions.is_empty() && saved.outbox.is_empty() {
            // Nothing to remember: the lake is not written.
            runs.push(run);
            continue;
        }
        saved.evaluated_at = Some(at);
        if !transitions.is_empty() {
            let rows = store::event_rows(&rule.name, at, &transitions, &messages);
            let stem = format!("{}-{at}", rule.name);
            crate::lake::parquet_io::write_table(lake, rows, &stem).await?;
        }
        store::save(lake, &rule.name, &saved).await?;
        if !saved.outbox.is_empty() {
            deliver(&mut saved.outbox, channels, at, &mut run).await;
            store::save(lake, &rule.name, &saved).await?;
        }
        runs.push(run);
    }
    Ok(runs)
}

/// Sends every pending (notification, channel); keeps what may work later.
async fn deliver(outbox: &mut Vec<Notification>, channels: &Channels, at: i64, run: &mut RuleRun) {
    for n in outbox.iter_mut() {
        let mut still = Vec::new();
        for name in std::mem::take(&mut n.pending) {
            let Some(channel) = channels.get(&name) else {
                tracing::warn!(rule = %n.rule, channel = %name, message = %n.message,
                    "alert not sent: no [alerts.channels.{name}] is configured");
                run.failed.push(format!("{name}: not configured"));
                continue;
            };
            match channels::deliver(&name, channel, n).await {
                Ok(()) => run.sent += 1,
                Err(f) => {
                    run.failed.push(f.to_string());
                    if f.transient && at - n.at_us < OUTBOX_MAX_AGE_US {
                        tracing::warn!(error = %f, "alert not delivered yet; it is retried at the next evaluation");
                        still.push(name);
                    } else {
                        tracing::error!(error = %f, rule = %n.rule, message = %n.message, "alert could not be delivered; giving up");
                    }
                }
            }
        }
        n.pending = still;
    }
    outbox.retain(|n| !n.pending.is_empty());
}

/// Runs the rule's query for `at` with its parameters: `$eval_us`,
/// `$window_start_us`, `$window_secs` and `$since_date` (the first day the
/// query needs, so older date partitions are never read).
async fn observe(ctx: &SessionContext, rule: &Rule, at: i64) -> Result<Vec<Observation>> {
    let window = rule.window.as_micros() as i64;
    let since = at - rule.reads_back().as_micros() as i64;
    let since_date = chrono::DateTime::from_timestamp_micros(since)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let params: Vec<(&str, ScalarValue)> = vec![
        ("eval_us", ScalarValue::Int64(Some(at))),
        ("window_start_us", ScalarValue::Int64(Some(at - window))),
        ("window_secs", ScalarValue::Int64(Some(window / 1_000_000))),
        ("since_date", ScalarValue::Utf8(Some(since_date))),
    ];
    let sql = rule.sql()?;
    let sql_err = |source| Error::Sql {
        query: rule.query.clone(),
        source,
    };
    let mut df = ctx.sql(sql).await.map_err(sql_err)?;
    if sql.contains('$') {
        df = df.with_param_values(params).map_err(sql_err)?;
    }
    let batches = df.collect().await.map_err(sql_err)?;
    let mut out = Vec::new();
    for b in &batches {
        rows_of(b, &rule.query, &mut out)?;
    }
    Ok(out)
}

/// Rows of a rule query's result: `value`, optional `baseline` and
/// `volume`; columns named `info_…` are annotations for the message; every
/// other column is a label, and the labels make the group.
fn rows_of(b: &RecordBatch, query: &str, out: &mut Vec<Observation>) -> Result<()> {
    let bad = |why: String| Error::Config {
        origin: format!("queries/alerts/{query}.sql"),
        why,
    };
    let schema = b.schema();
    let column = |name: &str, to: &DataType| -> Result<Option<Arc<dyn Array>>> {
        match schema.index_of(name) {
            Ok(i) => cast(b.column(i), to)
                .map(Some)
                .map_err(|e| bad(format!("column {name} is not a number: {e}"))),
            Err(_) => Ok(None),
        }
    };
    let value = column("value", &DataType::Float64)?
        .ok_or_else(|| bad("the query has no `value` column".into()))?;
    let value = value.as_primitive::<Float64Type>();
    let baseline = column("baseline", &DataType::Float64)?;
    let volume = column("volume", &DataType::Int64)?;
    let opts = FormatOptions::default().with_null("");
    let columns: Vec<(String, ArrayFormatter)> = schema
        .fields()
        .iter()
        .enumerate()
        .filter(|(_, f)| !["value", "baseline", "volume"].contains(&f.name().as_str()))
        .map(|(i, f)| {
            ArrayFormatter::try_new(b.column(i).as_ref(), &opts)
                .map(|fmt| (f.name().clone(), fmt))
                .map_err(|e| bad(e.to_string()))
        })
        .collect::<Result<_>>()?;
    for row in 0..b.num_rows() {
        if value.is_null(row) {
            continue;
        }
        let mut labels = BTreeMap::new();
        let mut annotations = BTreeMap::new();
        for (name, fmt) in &columns {
            let text = fmt.value(row).to_string();
            if name.starts_with("info_") {
                annotations.insert(name.clone(), text);
            } else {
                labels.insert(name.clone(), text);
            }
        }
        out.push(Observation {
            labels,
            annotations,
            value: value.value(row),
            baseline: baseline
                .as_ref()
                .map(|a| a.as_primitive::<Float64Type>())
                .filter(|a| !a.is_null(row))
                .map(|a| a.value(row)),
            volume: volume
                .as_ref()
                .map(|a| a.as_primitive::<Int64Type>())
                .filter(|a| !a.is_null(row))
                .map(|a| a.value(row)),
        });
    }
    Ok(())
}
