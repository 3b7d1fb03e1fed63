//! `[dashboards]` settings of `settle serve`.

use serde::Deserialize;

/// `[dashboards]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DashboardSettings {
    /// Whether `settle serve` serves `/dashboards` (on `[intake] listen`).
    pub enabled: bool,
    /// Seconds between a page's reloads (0: never).
    pub refresh_secs: u64,
    /// Days shown when a page names no `from`.
    pub default_days: u64,
}

impl Default for DashboardSettings {
    fn default() -> Self {
        DashboardSettings {
            enabled: true,
            refresh_secs: 60,
            default_days: 30,
        }
    }
}
