//! What a trigger does: Stripe calls (`stripe.*`, see [`stripe`]),
//! `notify` through the alert channels, and `emit` of a command event to a
//! topic. Each action is retried with doubling waits while its failures
//! are transient; a permanent failure (a 4xx from Stripe, a template that
//! refers to a missing field) is final.

mod commands;
pub mod stripe;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::template::Scope;
use crate::alerts::channels::Channels;
use crate::bus::Topics;
use crate::bus::kafka::KafkaBus;

/// An action as written in a trigger file.
#[derive(Debug, Clone)]
pub struct ActionDef {
    /// Its name within the trigger (part of the idempotency key; results
    /// are `{$actions.NAME.…}` for later actions).
    pub name: String,
    /// `stripe.refund`, `notify`, `emit`, ….
    pub kind: String,
    /// Its parameters.
    pub spec: ActionSpec,
    /// Its parameters as written (for `settle triggers check`).
    pub params: toml::Table,
}

/// The parameters of each kind of action.
#[derive(Debug, Clone)]
pub enum ActionSpec {
    /// A Stripe call.
    Stripe(stripe::StripeAction),
    /// A message to channels of `[alerts.channels]`.
    Notify(NotifySpec),
    /// A command event to a topic.
    Emit(commands::EmitSpec),
}

/// `kind = "notify"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySpec {
    /// Channel names from `[alerts.channels.NAME]`.
    pub channels: Vec<String>,
    /// The message template.
    pub message: String,
}

/// Reads one `[[actions]]` table.
pub fn parse_action(mut t: toml::Table) -> Result<ActionDef, String> {
    let mut take = |field: &str| match t.remove(field) {
        Some(toml::Value::String(s)) if !s.is_empty() => Ok(s),
        _ => Err(format!("every action needs a {field} (a non-empty string)")),
    };
    let name = take("name")?;
    let kind = take("kind")?;
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(format!(
            "action name {name:?}: use lowercase letters, digits and _"
        ));
    }
    let params = t.clone();
    let rest = toml::Value::Table(t);
    let why = |e: toml::de::Error| format!("{name:?} ({kind}): {}", e.message());
    let spec = match kind.as_str() {
        "notify" => ActionSpec::Notify(rest.try_into().map_err(why)?),
        "emit" => ActionSpec::Emit(rest.try_into().map_err(why)?),
        k if k.starts_with("stripe.") => {
            ActionSpec::Stripe(stripe::StripeAction::parse(k, rest).map_err(|e| match e {
                stripe::ParseError::Toml(e) => why(e),
                stripe::ParseError::Kind(msg) => format!("{name:?}: {msg}"),
            })?)
        }
        other => {
            return Err(format!(
                "{name:?}: unknown kind {other:?}; use notify, emit or one of {}",
                stripe::KINDS.join(", ")
            ));
        }
    };
    Ok(ActionDef {
        name,
        kind,
        spec,
        params,
    })
}

/// Why an action did not succeed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// What went wrong (no secrets).
    pub why: String,
    /// Whether trying again later may work.
    pub transient: bool,
}

impl Failure {
    /// A failure trying again cannot fix.
    pub fn permanent(why: impl Into<String>) -> Self {
        Failure {
            why: why.into(),
            transient: false,
        }
    }
}

/// What actions need to run.
pub struct Runtime {
    /// Stripe, when a key is configured.
    pub stripe: Option<stripe::Stripe>,
    /// Notification channels.
    pub channels: Channels,
    /// The bus, for command events.
    pub bus: Arc<KafkaBus>,
    /// Topic names.
    pub topics: Topics,
    /// Attempts while failures are transient.
    pub max_attempts: u32,
    /// The first wait between attempts.
    pub backoff: Duration,
}

/// How one action ended.
#[derive(Debug, Clone)]
pub struct Done {
    /// Its result (the Stripe object, the command sent, the channels told).
    pub result: Result<Value, Failure>,
    /// Attempts made.
    pub attempts: u32,
    /// Why each earlier attempt failed (transient failures that were retried).
    pub retried: Vec<String>,
}

impl Runtime {
    /// Runs `def` with idempotency key `key`, retrying transient failures.
    pub async fn run(&self, def: &ActionDef, scope: &Scope<'_>, key: &str) -> Done {
        let mut told = BTreeSet::new();
        let mut attempts = 0;
        let mut retried = Vec::new();
        loop {
            attempts += 1;
            let result = self.once(def, scope, key, &mut told).await;
            match result {
                Err(f) if f.transient && attempts < self.max_attempts.max(1) => {
                    let wait = self.backoff * 2u32.saturating_pow(attempts - 1);
                    tracing::info!(action = %def.name, attempt = attempts, error = %f.why, wait = ?wait, "action failed; retrying");
                    retried.push(f.why);
                    tokio::time::sleep(wait).await;
                }
                result => {
                    return Done {
                        result,
                        attempts,
                        retried,
                    };
                }
            }
        }
    }

    async fn once(
        &self,
        def: &ActionDef,
        scope: &Scope<'_>,
        key: &str,
        told: &mut BTreeSet<String>,
    ) -> Result<Value, Failure> {
        match &def.spec {
            ActionSpec::Stripe(a) => {
                let stripe = self.stripe.as_ref().ok_or_else(|| {
                    Failure::permanent(
                        "no Stripe key: set STRIPE_API_KEY or [stripe] api_key for stripe.* actions",
                    )
                })?;
                stripe.run(a, scope, key).await
            }
            ActionSpec::Notify(n) => self.notify(n, scope, key, told).await,
            ActionSpec::Emit(e) => commands::emit(&self.bus, &self.topics, e, scope, key).await,
        }
    }

    /// Sends the message to every channel not told yet in an earlier attempt.
    async fn notify(
        &self,
        n: &NotifySpec,
        scope: &Scope<'_>,
        key: &str,
        told: &mut BTreeSet<String>,
    ) -> Result<Value, Failure> {
        let message = scope.render(&n.message).map_err(Failure::permanent)?;
        let note = crate::alerts::notify::Notification {
            id: key.to_string(),
            rule: scope.trigger.to_string(),
            state: "action".into(),
            labels: BTreeMap::from([
                ("store_id".to_string(), scope.event.store_id.clone()),
                ("event_id".to_string(), scope.event.id.clone()),
                ("event_type".to_string(), scope.event.event_type.clone()),
            ]),
            annotations: BTreeMap::new(),
            value: 0.0,
            baseline: None,
            volume: None,
            at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            at_us: chrono::Utc::now().timestamp_micros(),
            message: message.clone(),
            pending: n.channels.clone(),
        };
        let mut failed = Vec::new();
        let untold: Vec<&String> = n.channels.iter().filter(|c| !told.contains(*c)).collect();
        for name in untold {
            let Some(channel) = self.channels.get(name) else {
                return Err(Failure::permanent(format!(
                    "no channel {name:?}: add [alerts.channels.{name}] to the settings"
                )));
            };
            match crate::alerts::channels::deliver(name, channel, &note).await {
                Ok(()) => {
                    told.insert(name.clone());
                }
                Err(f) => failed.push(f),
            }
        }
        if failed.is_empty() {
            return Ok(
                serde_json::json!({ "id": key, "message": message, "channels": n.channels }),
            );
        }
        Err(Failure {
            why: failed
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
            transient: failed.iter().all(|f| f.transient),
        })
    }
}

/// The idempotency key of `action` of `trigger` for an event: readable, at
/// most 255 bytes (Stripe's limit), the same on every delivery.
pub fn idempotency_key(trigger: &str, store: &str, event_id: &str, action: &str) -> String {
    let key = format!("settle/{trigger}/{store}/{event_id}/{action}");
    if key.len() <= 200 {
        return key;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{trigger}\0{store}\0{event_id}\0{action}"));
    let short: String = trigger.chars().take(60).collect();
    format!("settle/{short}/{}/{action:.60}", hex::encode(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable_readable_and_short() {
        let k = idempotency_key(
            "refund_returned_prepaid",
            "souk",
            "shopify:1:2026",
            "refund",
        );
        assert_eq!(
            k,
            "settle/refund_returned_prepaid/souk/shopify:1:2026/refund"
        );
        let long = "e".repeat(400);
        let a = idempotency_key("t", "s", &long, "refund");
        assert!(a.len() <= 255, "{}", a.len());
        assert_eq!(a, idempotency_key("t", "s", &long, "refund"));
        assert_ne!(a, idempotency_key("t", "s", &long, "notify"));
        assert_ne!(a, idempotency_key("t", "s", &"f".repeat(400), "refund"));
    }

    #[test]
    fn actions_need_a_name_and_a_known_kind() {
        let t = |s: &str| parse_action(toml::from_str(s).unwrap());
        assert!(t("kind = \"notify\"").unwrap_err().contains("needs a name"));
        assert!(
            t("name = \"A\"\nkind = \"notify\"")
                .unwrap_err()
                .contains("lowercase")
        );
        assert!(
            t("name = \"a\"\nkind = \"fax\"")
                .unwrap_err()
                .contains("unknown kind")
        );
        let e = t("name = \"a\"\nkind = \"notify\"\nchannels = []\nmesage = \"x\"").unwrap_err();
        assert!(e.contains("mesage"), "{e}");
        let ok =
            t("name = \"a\"\nkind = \"notify\"\nchannels = [\"ops\"]\nmessage = \"hi\"").unwrap();
        assert_eq!(ok.kind, "notify");
    }
}
