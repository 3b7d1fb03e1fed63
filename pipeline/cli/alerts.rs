//! `settle alerts run|list`.

use anyhow::Result;
use settle::alerts::{evaluate, rules};
use settle::config::Settings;
use settle::lake::Lake;

/// Evaluates the rules named (all when none) at `at` (RFC 3339) or now,
/// and prints what changed.
pub(crate) async fn run(
    lake: &Lake,
    settings: &Settings,
    names: &[String],
    at: Option<String>,
) -> Result<String> {
    let rules = rules::select(names)?;
    let at = match at {
        Some(text) => settle::events::parse_timestamp("--at", &text).map_err(anyhow::Error::msg)?,
        None => chrono::Utc::now().timestamp_micros(),
    };
    let ctx = settle::sql::open(lake, None, settings.sql.query_timeout()).await?;
    let runs = evaluate::evaluate(&ctx, lake, &rules, &settings.alerts.channels, at).await?;
    let mut out = String::new();
    for r in &runs {
        let changes: Vec<String> = r
            .changes
            .iter()
            .map(|(k, c)| format!("{k}: {}", format!("{c:?}").to_lowercase()))
            .collect();
        out.push_str(&format!(
            "{:<24} {:>4} groups  {}{}\n",
            r.rule,
            r.rows,
            if changes.is_empty() {
                "no change".to_string()
            } else {
                changes.join("; ")
            },
            match (&r.error, r.sent, r.failed.is_empty()) {
                (Some(e), _, _) => format!("  ERROR {e}"),
                (None, 0, true) => String::new(),
                (None, sent, true) => format!("  ({sent} sent)"),
                (None, sent, false) => format!("  ({sent} sent; not sent: {})", tally(&r.failed)),
            }
        ));
    }
    Ok(out)
}

/// One line per rule.
pub(crate) fn list() -> Result<String> {
    let mut out = String::new();
    for r in rules::all()? {
        out.push_str(&format!(
            "{:<24} {:?} {} over {} (min volume {}, for {}, repeat {}) -> {}\n  {}\n",
            r.name,
            r.condition,
            r.threshold,
            humantime::format_duration(r.window),
            r.min_volume,
            humantime::format_duration(r.for_),
            humantime::format_duration(r.repeat_interval),
            r.channels.join(", "),
            r.description
        ));
    }
    Ok(out)
}

/// `reason` or `reason (×N)`, once per distinct reason.
fn tally(reasons: &[String]) -> String {
    let mut counts: Vec<(&str, usize)> = Vec::new();
    for r in reasons {
        match counts.iter_mut().find(|(x, _)| *x == r.as_str()) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.as_str(), 1)),
        }
    }
    counts
        .iter()
        .map(|(r, n)| {
            if *n > 1 {
                format!("{r} (×{n})")
            } else {
                r.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}
