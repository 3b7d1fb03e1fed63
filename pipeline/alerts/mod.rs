//! Alert rules over the lake (`jobs/alerts/*.toml`, queries in
//! `queries/alerts/`): evaluated once by `settle alerts run`, or every
//! `[alerts] every` by `settle serve`; pending → firing → resolved per group,
//! kept in the lake; notifications to Slack, webhooks and Telegram.

pub mod channels;
pub mod evaluate;
pub mod notify;
pub mod rules;
pub mod state;
pub mod store;

use serde::Deserialize;

/// `[alerts]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AlertSettings {
    /// Whether `settle serve` evaluates the rules on a schedule.
    pub enabled: bool,
    /// How often `settle serve` evaluates them ("1m", "30s").
    pub every: String,
    /// `[alerts.channels.NAME]`: where notifications go.
    pub channels: channels::Channels,
}

impl Default for AlertSettings {
    fn default() -> Self {
        AlertSettings {
            enabled: true,
            every: "1m".into(),
            channels: Default::default(),
        }
    }
}

/// Errors from alerting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A rule, query or setting is wrong.
    #[error("{origin}: {why}")]
    Config {
        /// Where.
        origin: String,
        /// What.
        why: String,
    },
    /// A rule's query failed.
    #[error("alert query {query}: {source}")]
    Sql {
        /// Query name.
        query: String,
        /// DataFusion's error.
        source: datafusion::error::DataFusionError,
    },
    /// The lake failed.
    #[error(transparent)]
    Lake(#[from] crate::lake::Error),
}

/// Result alias for alerting.
pub type Result<T, E = Error> = std::result::Result<T, E>;
