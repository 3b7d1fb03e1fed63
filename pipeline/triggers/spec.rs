//! Trigger files: `jobs/triggers/NAME.toml` (shipped, built in) and the
//! files of `[triggers] dir` (added; a file named like a shipped trigger
//! replaces it).
//!
//! ```toml
//! description = "A returned prepaid order is refunded in Stripe"
//! on = "order"                      # stripe | order | tracking | remittance
//! types = ["order.update"]          # empty or absent: every type of that kind
//! enabled = true
//! [when]                            # every entry must hold (see `when`)
//! fulfillment_status = "returned"
//! payment_method = "prepaid"
//! stripe_payment_intent = { exists = true }
//! [[actions]]                       # run in order (see `actions`)
//! name = "refund"
//! kind = "stripe.refund"
//! payment_intent = "{stripe_payment_intent}"
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::actions::{ActionDef, parse_action};
use super::when::{self, When};
use super::{Error, Result};
use crate::events::Kind;

/// The shipped triggers: (name, TOML).
pub const SHIPPED: &[(&str, &str)] = &[
    (
        "dispatch_ready",
        include_str!("../../jobs/triggers/dispatch_ready.toml"),
    ),
    (
        "refund_returned_prepaid",
        include_str!("../../jobs/triggers/refund_returned_prepaid.toml"),
    ),
    (
        "returned_prepaid_parcel",
        include_str!("../../jobs/triggers/returned_prepaid_parcel.toml"),
    ),
    (
        "invoice_wholesale_order",
        include_str!("../../jobs/triggers/invoice_wholesale_order.toml"),
    ),
];

/// One trigger.
#[derive(Debug, Clone)]
pub struct Trigger {
    /// The file stem.
    pub name: String,
    /// Where it was read from.
    pub origin: String,
    /// What it does, for people.
    pub description: String,
    /// Whether the runner uses it.
    pub enabled: bool,
    /// The kind of event it watches.
    pub on: Kind,
    /// Event types it takes (empty: all of its kind).
    pub types: Vec<String>,
    /// Conditions on the event.
    pub when: When,
    /// Actions, in order.
    pub actions: Vec<ActionDef>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    description: String,
    #[serde(default = "yes")]
    enabled: bool,
    on: String,
    #[serde(default)]
    types: Vec<String>,
    #[serde(default)]
    when: BTreeMap<String, toml::Value>,
    actions: Vec<toml::Table>,
}

fn yes() -> bool {
    true
}

/// Parses one trigger file.
pub fn parse(name: &str, origin: &str, text: &str) -> Result<Trigger> {
    let bad = |why: String| Error::Config {
        origin: origin.to_string(),
        why,
    };
    let raw: Raw = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    let on: Kind = raw.on.parse().map_err(bad)?;
    let when = when::parse(&raw.when).map_err(bad)?;
    if raw.actions.is_empty() {
        return Err(bad("no [[actions]]: a trigger needs at least one".into()));
    }
    let mut actions = Vec::new();
    for (i, table) in raw.actions.into_iter().enumerate() {
        let action = parse_action(table).map_err(|why| bad(format!("action {}: {why}", i + 1)))?;
        if actions.iter().any(|a: &ActionDef| a.name == action.name) {
            return Err(bad(format!(
                "two actions are named {:?}; names must differ (they make the idempotency keys)",
                action.name
            )));
        }
        actions.push(action);
    }
    Ok(Trigger {
        name: name.to_string(),
        origin: origin.to_string(),
        description: raw.description,
        enabled: raw.enabled,
        on,
        types: raw.types,
        when,
        actions,
    })
}

/// The shipped triggers, then those in `dir` (replacing same-named ones), by name.
pub fn load(dir: Option<&str>) -> Result<Vec<Trigger>> {
    let mut all: BTreeMap<String, Trigger> = BTreeMap::new();
    for (name, text) in SHIPPED {
        let t = parse(name, &format!("jobs/triggers/{name}.toml"), text)?;
        all.insert(t.name.clone(), t);
    }
    if let Some(dir) = dir {
        let files = crate::config::toml_files(dir, "trigger").map_err(|e| Error::Config {
            origin: "[triggers] dir".into(),
            why: e.to_string(),
        })?;
        for (name, origin, text) in files {
            let t = parse(&name, &origin, &text)?;
            all.insert(t.name.clone(), t);
        }
    }
    Ok(all.into_values().collect())
}

impl Trigger {
    /// Whether the trigger takes events of `kind` and `event_type` (before `[when]`).
    pub fn watches(&self, kind: Kind, event_type: &str) -> bool {
        self.on == kind && (self.types.is_empty() || self.types.iter().any(|t| t == event_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_triggers_parse() {
        let all = load(None).unwrap();
        assert_eq!(all.len(), SHIPPED.len());
        let refund = all
            .iter()
            .find(|t| t.name == "refund_returned_prepaid")
            .unwrap();
        assert!(!refund.enabled, "moving money is opt-in");
        assert!(refund.watches(Kind::Order, "order.update"));
        assert!(!refund.watches(Kind::Order, "order.create"));
    }

    #[test]
    fn mistakes_name_the_file_and_the_action() {
        let e = parse(
            "x",
            "x.toml",
            "description = \"d\"\non = \"order\"\nactions = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("x.toml") && e.contains("at least one"), "{e}");
        let e = parse(
            "x",
            "x.toml",
            "description = \"d\"\non = \"order\"\n[[actions]]\nname = \"a\"\nkind = \"stripe.refund\"\npaymnt_intent = \"pi\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("action 1") && e.contains("paymnt_intent"), "{e}");
        let e = parse(
            "x",
            "x.toml",
            "description = \"d\"\non = \"parcel\"\n[[actions]]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("unknown event kind"), "{e}");
    }
}
