//! Event triggers (`jobs/triggers/*.toml`): a runner in its own consumer
//! group reads the event topics; for each event that matches a trigger's
//! kind, types and `[when]` conditions it runs the trigger's actions in
//! order: Stripe calls (through async-stripe), notifications through the
//! alert channels, command events to a topic.
//!
//! Nothing is done twice. Every action has an idempotency key derived from
//! (trigger, store, event id, action), sent to Stripe as `Idempotency-Key`;
//! a finished action is journaled in the lake (`_triggers/done/…`) before
//! the event's offset is committed, so a redelivered event finds it done.
//! A crash between the side effect and the journal repeats the call with
//! the same key, and Stripe answers with the first result. Every attempt
//! and outcome is a row of the `actions_log` table; permanent failures go
//! to the dead-letter topic with the reason.

pub mod actions;
pub mod event;
pub mod journal;
pub mod log;
pub mod runner;
pub mod spec;
pub mod template;
pub mod when;

use serde::Deserialize;

/// `[triggers]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TriggerSettings {
    /// Whether `settle serve` runs the trigger runner (it needs [bus] brokers).
    pub enabled: bool,
    /// A folder of trigger files (`NAME.toml`) besides the shipped ones; a
    /// file named like a shipped trigger replaces it.
    pub dir: Option<String>,
    /// The runner's consumer group.
    pub group_id: String,
    /// Where a new consumer group starts: `latest` (only events from now
    /// on: a new runner does not act on history) or `earliest`.
    pub start: String,
    /// Attempts per action while failures are transient (timeouts, 409,
    /// 429, 5xx); then the event goes to the dead-letter topic.
    pub max_attempts: u32,
    /// The first wait between attempts (ms); it doubles each time.
    pub backoff_ms: u64,
    /// How often outcomes are written to `actions_log` and offsets committed (ms).
    pub flush_ms: u64,
}

impl Default for TriggerSettings {
    fn default() -> Self {
        TriggerSettings {
            enabled: true,
            dir: None,
            group_id: "settle-triggers".into(),
            start: "latest".into(),
            max_attempts: 5,
            backoff_ms: 500,
            flush_ms: 1_000,
        }
    }
}

/// Errors from triggers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A trigger file is wrong.
    #[error("{origin}: {why}")]
    Config {
        /// File (and action) at fault.
        origin: String,
        /// What is wrong and what to do.
        why: String,
    },
    /// The lake failed (journal or `actions_log`).
    #[error(transparent)]
    Lake(#[from] crate::lake::Error),
    /// The bus failed.
    #[error(transparent)]
    Bus(#[from] crate::bus::Error),
    /// Kafka refused (brokers down, bad settings).
    #[error("kafka: {0}; check [bus] brokers and librdkafka settings")]
    Kafka(#[from] rdkafka::error::KafkaError),
}

/// Result alias for triggers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The runner for `settings`: its enabled triggers, Stripe (when an action
/// needs it), channels and bus, checked before anything is consumed.
pub fn runner(
    settings: &crate::config::Settings,
    lake: crate::lake::Lake,
) -> Result<(runner::Runner, crate::bus::kafka::KafkaConfig)> {
    use std::sync::Arc;
    let kafka = settings.bus.kafka().ok_or_else(|| Error::Config {
        origin: "[bus] brokers".into(),
        why: "triggers run in their own consumer group on Kafka: set [bus] brokers or SETTLE__BUS__BROKERS=host:port".into(),
    })?;
    let topics = crate::bus::Topics {
        prefix: settings.bus.topic_prefix.clone(),
    };
    let cfg = &settings.triggers;
    let triggers: Vec<spec::Trigger> = spec::load(cfg.dir.as_deref())?
        .into_iter()
        .filter(|t| t.enabled)
        .collect();
    let mut needs_stripe = false;
    for t in &triggers {
        for a in &t.actions {
            match &a.spec {
                actions::ActionSpec::Stripe(_) => needs_stripe = true,
                actions::ActionSpec::Notify(n) => {
                    if let Some(missing) = n
                        .channels
                        .iter()
                        .find(|c| !settings.alerts.channels.contains_key(*c))
                    {
                        return Err(Error::Config {
                            origin: format!("{} action {}", t.origin, a.name),
                            why: format!(
                                "no channel {missing:?}: add [alerts.channels.{missing}] to the settings"
                            ),
                        });
                    }
                }
                actions::ActionSpec::Emit(_) => {}
            }
        }
    }
    let stripe = if needs_stripe {
        let key = settings.stripe.key().ok_or_else(|| Error::Config {
            origin: "[stripe] api_key".into(),
            why: "an enabled trigger calls Stripe: set STRIPE_API_KEY or [stripe] api_key".into(),
        })?;
        let client =
            actions::stripe::Stripe::new(&key, &settings.stripe.api_base).map_err(|why| {
                Error::Config {
                    origin: "[stripe]".into(),
                    why,
                }
            })?;
        Some(client)
    } else {
        None
    };
    let bus = Arc::new(crate::bus::kafka::KafkaBus::new(
        kafka.clone(),
        topics.clone(),
    )?);
    let runtime = actions::Runtime {
        stripe,
        channels: settings.alerts.channels.clone(),
        bus: bus.clone(),
        topics: topics.clone(),
        max_attempts: cfg.max_attempts,
        backoff: std::time::Duration::from_millis(cfg.backoff_ms),
    };
    let runner = runner::Runner {
        lake,
        triggers,
        runtime,
        bus,
        topics,
        settings: cfg.clone(),
    };
    Ok((runner, kafka))
}
