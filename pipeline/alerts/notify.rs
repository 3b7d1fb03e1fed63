//! Notifications: what channels receive when a group fires, fires again or
//! resolves, with the rule's message rendered from the row.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::Rule;
use super::state::{Change, Transition};

/// One notification, kept in the rule's outbox until every channel has it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    /// `rule/key/at/state`: the same event never gets two ids.
    pub id: String,
    /// The rule's name.
    pub rule: String,
    /// `firing` or `resolved`.
    pub state: String,
    /// The group's labels and the rule's fixed labels.
    pub labels: BTreeMap<String, String>,
    /// The row's `info_…` columns (amounts for people, not part of the group).
    pub annotations: BTreeMap<String, String>,
    /// The row's value.
    pub value: f64,
    /// Its baseline.
    pub baseline: Option<f64>,
    /// Its volume.
    pub volume: Option<i64>,
    /// Evaluation time, RFC 3339.
    pub at: String,
    /// The same in microseconds since the epoch.
    pub at_us: i64,
    /// The rendered message.
    pub message: String,
    /// Channels still to deliver to.
    pub pending: Vec<String>,
}

impl Notification {
    /// Builds the notification for a transition that notifies.
    pub fn of(rule: &Rule, t: &Transition, at: i64) -> Self {
        let g = &t.group;
        let mut labels = rule.labels.clone();
        labels.extend(g.labels.clone());
        let state = t.change.as_str().to_string();
        let mut vars = labels.clone();
        vars.extend(g.annotations.clone());
        let message = render(
            &rule.message,
            rule,
            t.change,
            &vars,
            g.value,
            g.baseline,
            g.volume,
        );
        let at_text = chrono::DateTime::from_timestamp_micros(at)
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default();
        Notification {
            id: format!("{}/{}/{}/{}", rule.name, t.key, at, state),
            rule: rule.name.clone(),
            state,
            labels,
            annotations: g.annotations.clone(),
            value: g.value,
            baseline: g.baseline,
            volume: g.volume,
            at: at_text,
            at_us: at,
            message,
            pending: rule.channels.clone(),
        }
    }

    /// The line people read: `[FIRING] message` or `[RESOLVED] message`.
    pub fn text(&self) -> String {
        format!(
            "[{}] {} ({})",
            self.state.to_uppercase(),
            self.message,
            self.rule
        )
    }
}

/// Fills `{name}` placeholders; unknown names stay as written.
pub fn render(
    template: &str,
    rule: &Rule,
    change: Change,
    labels: &BTreeMap<String, String>,
    value: f64,
    baseline: Option<f64>,
    volume: Option<i64>,
) -> String {
    let pct = |v: f64| format!("{:.1}", v * 100.0);
    let num = |v: f64| {
        if v.fract() == 0.0 && v.abs() < 1e15 {
            format!("{}", v as i64)
        } else {
            format!("{v:.4}")
        }
    };
    let mut vars: BTreeMap<&str, String> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    vars.insert("rule", rule.name.clone());
    vars.insert("state", change.as_str().to_string());
    vars.insert("value", num(value));
    vars.insert("value_pct", pct(value));
    if let Some(b) = baseline {
        vars.insert("baseline", num(b));
        vars.insert("baseline_pct", pct(b));
        if b != 0.0 {
            vars.insert("change_pct", format!("{:+.1}", (value - b) / b * 100.0));
        }
    }
    if let Some(v) = volume {
        vars.insert("volume", v.to_string());
    }
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match vars.get(name) {
                    Some(v) => out.push_str(v),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}
