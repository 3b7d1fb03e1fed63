//! The HTTP channels: one POST each, errors classified and scrubbed.

use std::sync::LazyLock;
use std::time::Duration;

use serde_json::json;

use super::super::notify::Notification;
use crate::sources::secret::Secret;
use crate::sources::stripe::signature::Verifier;

static CLIENT: LazyLock<reqwest::Client> = LazyLock::new(|| {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("an HTTP client with default TLS")
});

type Outcome = Result<(), (String, bool)>;

/// Posts `body` as JSON; 2xx is success, 429 and 5xx are transient.
async fn post(url: &str, body: String, headers: &[(&str, String)]) -> Outcome {
    let mut req = CLIENT
        .post(url)
        .header("content-type", "application/json")
        .body(body);
    for (k, v) in headers {
        req = req.header(*k, v);
    }
    match req.send().await {
        Ok(resp) if resp.status().is_success() => Ok(()),
        Ok(resp) => {
            let status = resp.status();
            let transient = status.as_u16() == 429 || status.is_server_error();
            Err((format!("answered {status}"), transient))
        }
        // The URL may hold a token: never show it.
        Err(e) => Err((e.without_url().to_string(), true)),
    }
}

/// Slack: `{"text": message}`.
pub async fn slack(url: &Secret, n: &Notification) -> Outcome {
    post(url.expose(), json!({ "text": n.text() }).to_string(), &[]).await
}

/// The generic webhook: the notification as JSON, signed.
pub async fn webhook(url: &str, secret: &Secret, n: &Notification) -> Outcome {
    let body = serde_json::to_string(n).map_err(|e| (e.to_string(), false))?;
    let signature = Verifier::sign(secret, body.as_bytes(), chrono::Utc::now().timestamp());
    post(url, body, &[("settle-signature", signature)]).await
}

/// Telegram: `sendMessage` with the chat id.
pub async fn telegram(api_base: &str, token: &Secret, chat_id: &str, n: &Notification) -> Outcome {
    let url = format!(
        "{}/bot{}/sendMessage",
        api_base.trim_end_matches('/'),
        token.expose()
    );
    let body = json!({ "chat_id": chat_id, "text": n.text() }).to_string();
    post(&url, body, &[]).await
}
