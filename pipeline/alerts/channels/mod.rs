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
    retry(name, || async {
        match channel {
            ChannelSettings::Slack { url } => http::slack(url, n).await,
            ChannelSettings::Webhook { url, secret } => http::webhook(url, secret, n).await,
            ChannelSettings::Telegram {
                token,
                chat_id,
                api_base,
            } => http::telegram(api_base, token, chat_id, n).await,
            ChannelSettings::Email(cfg) => email::send(cfg, n).await,
        }
    })
    .await
}

/// Emails `text` with a file attached through channel `name`, which must
/// be an email channel; retries transient failures.
pub async fn deliver_file(
    name: &str,
    channel: &ChannelSettings,
    subject: &str,
    text: &str,
    file: (&str, &str, &[u8]),
) -> Result<(), Failed> {
    let ChannelSettings::Email(cfg) = channel else {
        return Err(Failed {
            channel: name.to_string(),
            why: "files go only to email channels (kind = \"email\")".into(),
            transient: false,
        });
    };
    let (file_name, content_type, bytes) = file;
    retry(name, || {
        email::send_file(
            cfg,
            subject.to_string(),
            text.to_string(),
            file_name,
            content_type,
            bytes.to_vec(),
        )
    })
    .await
}

/// Runs `attempt` until it succeeds, fails for good, or [`BACKOFF`] runs out.
async fn retry<F, Fut>(name: &str, mut attempt: F) -> Result<(), Failed>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), (String, bool)>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Ok(()) => return Ok(()),
            Err((why, transient)) => {
                let failed = Failed {
                    channel: name.to_string(),
                    why,
                    transient,
                };
                match BACKOFF.get(tries) {
                    Some(wait) if transient => {
                        tracing::info!(error = %failed, "delivery failed; retrying");
                        tokio::time::sleep(*wait).await;
                        tries += 1;
                    }
                    _ => return Err(failed),
                }
            }
        }
    }
}
