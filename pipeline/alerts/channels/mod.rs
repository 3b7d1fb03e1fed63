//! Where notifications go: Slack incoming webhooks, a generic JSON webhook
//! (HMAC-signed like Stripe's `t=…,v1=…`), email over SMTP, and the
//! Telegram Bot API. Every
//! endpoint is configurable so tests (and proxies) can stand in. Transient
//! failures (connection, timeout, 429, 5xx) are retried with backoff; other
//! answers are permanent. Secrets (tokens, signing keys) never appear in
//! errors or logs.

mod email;
mod http;
pub mod settings;

use std::time::Duration;

pub use self::settings::{ChannelSettings, Channels, EmailSettings, SmtpTls};
use super::notify::Notification;

/// Why a delivery failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{channel}: {why}")]
pub struct Failed {
    /// The channel's name.
    pub channel: String,
    /// What went wrong (no secrets).
    pub why: String,
    /// Whether trying again later may work.
    pub transient: bool,
}

/// Attempts per delivery, and the waits between them.
const BACKOFF: &[Duration] = &[Duration::from_millis(250), Duration::from_secs(1)];

/// Delivers `n` to channel `name`, retrying transient failures.
pub async fn deliver(
    name: &str,
    channel: &ChannelSettings,
    n: &Notification,
) -> Result<(), Failed> {
    let mut attempt = 0;
    loop {
        let result = match channel {
            ChannelSettings::Slack { url } => http::slack(url, n).await,
            ChannelSettings::Webhook { url, secret } => http::webhook(url, secret, n).await,
            ChannelSettings::Telegram {
                token,
                chat_id,
                api_base,
            } => http::telegram(api_base, token, chat_id, n).await,
            ChannelSettings::Email(cfg) => email::send(cfg, n).await,
        };
        match result {
            Ok(()) => return Ok(()),
            Err((why, transient)) => {
                let failed = Failed {
                    channel: name.to_string(),
                    why,
                    transient,
                };
                match BACKOFF.get(attempt) {
                    Some(wait) if transient => {
                        tracing::info!(error = %failed, "notification failed; retrying");
                        tokio::time::sleep(*wait).await;
                        attempt += 1;
                    }
                    _ => return Err(failed),
                }
            }
        }
    }
}
