//! Issue 6, channels: Slack, the signed generic webhook and Telegram against
//! a local server, each with a failing endpoint: 5xx and 429 are retried,
//! other answers are final, and a token never shows in an error.

mod common;

use std::collections::BTreeMap;

use common::recorder::Recorder;
use settle::alerts::channels::{ChannelSettings, deliver};
use settle::alerts::notify::Notification;
use settle::alerts::rules;
use settle::alerts::state::{Change, Group, Status, Transition};
use settle::sources::secret::Secret;
use settle::sources::stripe::signature::Verifier;

const TOKEN: &str = "123456:AAF-telegram-bot-token-secret";

fn notification() -> Notification {
    let rule = rules::select(&["payment_success_drop".into()])
        .unwrap()
        .remove(0);
    let labels: BTreeMap<String, String> = [("store_id".to_string(), "acme".to_string())].into();
    let t = Transition {
        key: "store_id=acme".into(),
        change: Change::Firing,
        group: Group {
            status: Status::Firing,
            labels,
            annotations: BTreeMap::new(),
            since: 0,
            last_sent: Some(0),
            value: 0.412,
            baseline: Some(0.93),
            volume: Some(57),
        },
    };
    Notification::of(&rule, &t, 1_782_000_000_000_000)
}

#[tokio::test]
async fn slack_gets_the_text_after_transient_failures() {
    let server = Recorder::start().await;
    server.answer(&[503, 429]);
    let slack = ChannelSettings::Slack {
        url: Secret::new(format!("{}/services/T000/B000/XXXX", server.base)),
    };
    deliver("ops", &slack, &notification()).await.unwrap();
    let got = server.received();
    assert_eq!(got.len(), 3, "two retries, then delivered");
    let text = got[2].json()["text"].as_str().unwrap().to_string();
    assert_eq!(
        text,
        "[FIRING] acme: payment success 41.2% over the last hour, usually 93.0% (-55.7%, 57 attempts) (payment_success_drop)"
    );
    assert_eq!(got[2].path, "/services/T000/B000/XXXX");
}

#[tokio::test]
async fn the_webhook_is_signed_and_a_4xx_is_final() {
    let server = Recorder::start().await;
    let secret = "whsec_channel";
    let hook = ChannelSettings::Webhook {
        url: format!("{}/alerts", server.base),
        secret: Secret::new(secret),
    };
    let n = notification();
    deliver("hook", &hook, &n).await.unwrap();
    let got = server.received();
    assert_eq!(got.len(), 1);
    let sig = got[0]
        .headers
        .get("settle-signature")
        .and_then(|v| v.to_str().ok());
    Verifier::new(vec![Secret::new(secret)], 300)
        .verify(sig, got[0].body.as_bytes(), chrono::Utc::now().timestamp())
        .expect("signed with the channel's secret");
    let body = got[0].json();
    assert_eq!(body["rule"], "payment_success_drop");
    assert_eq!(body["state"], "firing");
    assert_eq!(body["volume"], 57);
    assert_eq!(body["labels"]["severity"], "critical");
    // A wrong secret does not verify.
    assert!(
        Verifier::new(vec![Secret::new("other")], 300)
            .verify(sig, got[0].body.as_bytes(), chrono::Utc::now().timestamp())
            .is_err()
    );

    server.answer(&[400]);
    let e = deliver("hook", &hook, &n).await.unwrap_err();
    assert!(!e.transient, "{e}");
    assert!(e.to_string().contains("400"), "{e}");
    assert_eq!(server.received().len(), 2, "a 400 is not retried");
}

#[tokio::test]
async fn telegram_posts_to_the_bot_api_and_never_shows_the_token() {
    let server = Recorder::start().await;
    let telegram = ChannelSettings::Telegram {
        token: Secret::new(TOKEN),
        chat_id: "-1001234567890".into(),
        api_base: server.base.clone(),
    };
    deliver("tg", &telegram, &notification()).await.unwrap();
    let got = server.received();
    assert_eq!(got[0].path, format!("/bot{TOKEN}/sendMessage"));
    assert_eq!(got[0].json()["chat_id"], "-1001234567890");
    assert!(
        got[0].json()["text"]
            .as_str()
            .unwrap()
            .starts_with("[FIRING] acme")
    );

    // Unreachable: retried, then a transient failure without the token.
    let port = common::http::free_port();
    let down = ChannelSettings::Telegram {
        token: Secret::new(TOKEN),
        chat_id: "1".into(),
        api_base: format!("http://127.0.0.1:{port}"),
    };
    let e = deliver("tg", &down, &notification()).await.unwrap_err();
    assert!(e.transient);
    assert!(!e.to_string().contains(TOKEN), "{e}");
    assert!(!format!("{e:?}").contains("AAF-telegram"), "{e:?}");
    // Nor does the channel's Debug.
    assert!(!format!("{down:?}").contains("AAF-telegram"));
}
