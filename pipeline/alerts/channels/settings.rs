//! `[alerts.channels.NAME]`: one table per channel, `kind` picks the type.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use crate::sources::secret::Secret;

/// Channels by name.
pub type Channels = BTreeMap<String, ChannelSettings>;

/// One channel.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ChannelSettings {
    /// A Slack incoming webhook; `url` is the webhook URL Slack gave.
    Slack {
        /// `https://hooks.slack.com/services/…` (a secret in itself).
        url: Secret,
    },
    /// A JSON POST of the whole notification, signed with
    /// `Settle-Signature: t=UNIX,v1=HEX(HMAC-SHA256(secret, "t.body"))`.
    Webhook {
        /// Where to POST.
        url: String,
        /// The signing secret.
        secret: Secret,
    },
    /// Email over SMTP.
    Email(EmailSettings),
    /// The Telegram Bot API's `sendMessage`.
    Telegram {
        /// The bot token from BotFather.
        token: Secret,
        /// The chat (or channel) id.
        #[serde(deserialize_with = "crate::config::lenient_string")]
        chat_id: String,
        /// The API's base URL.
        #[serde(default = "telegram_api")]
        api_base: String,
    },
}

/// `[alerts.channels.NAME]` with `kind = "email"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    /// SMTP server.
    pub host: String,
    /// Its port (587 for STARTTLS, 465 for TLS, 25 plain).
    #[serde(default = "smtp_port")]
    pub port: u16,
    /// none, starttls (default) or tls.
    #[serde(default)]
    pub tls: SmtpTls,
    /// A PEM certificate to trust besides the usual roots (an in-house relay's CA).
    pub ca_cert: Option<PathBuf>,
    /// AUTH user, when the server wants one.
    pub username: Option<String>,
    /// AUTH password.
    pub password: Option<Secret>,
    /// Sender, e.g. `Settle <alerts@example.com>`.
    pub from: String,
    /// Recipients.
    pub to: Vec<String>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text (a relay on localhost only).
    None,
    /// Upgrade with STARTTLS, which is required.
    #[default]
    Starttls,
    /// TLS from the first byte.
    Tls,
}

fn smtp_port() -> u16 {
    587
}

fn telegram_api() -> String {
    "https://api.telegram.org".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_from_config() {
        let text = r#"
            [ops]
            kind = "slack"
            url = "https://hooks.slack.com/services/T/B/X"

            [hook]
            kind = "webhook"
            url = "https://example.com/settle"
            secret = "s3"

            [finance]
            kind = "email"
            host = "smtp.example.com"
            username = "alerts"
            password = "pw"
            from = "Settle <alerts@example.com>"
            to = ["finance@example.com"]

            [tg]
            kind = "telegram"
            token = "1:abc"
            chat_id = "-100"
        "#;
        let channels: Channels = toml::from_str(text).unwrap();
        assert!(matches!(channels["ops"], ChannelSettings::Slack { .. }));
        assert!(matches!(channels["hook"], ChannelSettings::Webhook { .. }));
        match &channels["finance"] {
            ChannelSettings::Email(e) => {
                assert_eq!((e.port, e.tls), (587, SmtpTls::Starttls));
            }
            other => panic!("{other:?}"),
        }
        match &channels["tg"] {
            ChannelSettings::Telegram { api_base, .. } => {
                assert_eq!(api_base, "https://api.telegram.org")
            }
            other => panic!("{other:?}"),
        }
        // Secrets stay out of Debug.
        let shown = format!("{channels:?}");
        assert!(!shown.contains("pw\"") && !shown.contains("1:abc") && !shown.contains("s3\""));
        let bad = toml::from_str::<Channels>("[x]\nkind = \"pager\"\n").unwrap_err();
        assert!(bad.to_string().contains("pager"), "{bad}");
    }
}
