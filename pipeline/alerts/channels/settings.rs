//! `[alerts.channels.NAME]`: one table per channel, `kind` picks the type.

use std::collections::BTreeMap;

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
    /// The Telegram Bot API's `sendMessage`.
    Telegram {
        /// The bot token from BotFather.
        token: Secret,
        /// The chat (or channel) id.
        chat_id: String,
        /// The API's base URL.
        #[serde(default = "telegram_api")]
        api_base: String,
    },
}

fn telegram_api() -> String {
    "https://api.telegram.org".into()
}
