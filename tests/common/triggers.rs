//! The trigger runner as tests drive it: settings for a test's topics,
//! lake and Stripe server; order events on the bus; outcomes read back from
//! `actions_log`; messages read back from a topic.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::Bytes;
use serde_json::{Value, json};
use settle::bus::{EventBus, Meta, Record, Topics};
use settle::events::Kind;
use settle::lake::Lake;
use settle::triggers::runner::Summary;
use tokio_util::sync::CancellationToken;

/// `SETTLE__…` settings for a runner of `topics` whose extra triggers are
/// in `dir`, calling Stripe at `stripe_base` with `key`.
pub fn env(
    topics: &Topics,
    dir: &std::path::Path,
    stripe_base: &str,
    key: &str,
) -> Vec<(String, String)> {
    [
        ("SETTLE__BUS__BROKERS", super::daemon::brokers()),
        ("SETTLE__BUS__TOPIC_PREFIX", topics.prefix.clone()),
        ("SETTLE__BUS__PARTITIONS", "3".into()),
        ("SETTLE__TRIGGERS__DIR", dir.display().to_string()),
        ("SETTLE__TRIGGERS__START", "earliest".into()),
        (
            "SETTLE__TRIGGERS__GROUP_ID",
            format!("{}triggers", topics.prefix),
        ),
        ("SETTLE__TRIGGERS__FLUSH_MS", "200".into()),
        ("SETTLE__TRIGGERS__BACKOFF_MS", "50".into()),
        ("SETTLE__STRIPE__API_BASE", stripe_base.into()),
        ("SETTLE__STRIPE__API_KEY", key.into()),
        // Quick failover: a killed runner is out of the group within seconds.
        ("SETTLE__BUS__LIBRDKAFKA__session.timeout.ms", "6000".into()),
        (
            "SETTLE__BUS__LIBRDKAFKA__heartbeat.interval.ms",
            "500".into(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// A runner inside the test process.
pub struct InProcess {
    token: CancellationToken,
    task: tokio::task::JoinHandle<settle::triggers::Result<Summary>>,
}

impl InProcess {
    /// Starts a runner with `env` settings over `lake`.
    pub fn start(lake: &Lake, env: Vec<(String, String)>) -> InProcess {
        let settings = settle::config::Settings::load(None, env.into_iter()).unwrap();
        let (runner, kafka) = settle::triggers::runner(&settings, lake.clone()).unwrap();
        let token = CancellationToken::new();
        let stop = token.clone();
        let task = tokio::spawn(async move { runner.run(&kafka, stop).await });
        InProcess { token, task }
    }

    /// Stops it (the event at hand is finished, outcomes flushed).
    pub async fn stop(self) -> Summary {
        self.token.cancel();
        self.task.await.unwrap().unwrap()
    }
}

/// A wholesale order in KWD (3 decimals): two lines, 2 × 12.345 + 1 × 0.500.
pub fn order(order_id: &str, channel: &str, payment_method: &str) -> Value {
    json!({
        "change": "create", "store_id": "souk", "platform": "generic", "channel": channel,
        "order_id": order_id, "created_at": "2026-12-01T10:00:00Z", "updated_at": "2026-12-01T10:00:00Z",
        "customer": {"email": format!("buyer-{order_id}@example.com"), "phone": null, "city": "Kuwait City", "region": null, "country": "KW"},
        "currency": "KWD",
        "line_items": [
            {"sku": "OUD-50", "title": "Oud 50 ml", "quantity": 2, "unit_price": "12.345"},
            {"sku": "BOX", "title": "Gift box", "quantity": 1, "unit_price": "0.500"}
        ],
        "totals": {"subtotal": "25.190", "shipping": null, "discount": null, "tax": null, "total": "25.190"},
        "payment_method": payment_method, "financial_status": "paid", "fulfillment_status": "unfulfilled",
        "cancel_reason": null, "stripe_payment_intent": null
    })
}

/// Publishes `body` as an order event, `times` times (a sender's retries).
pub async fn deliver(bus: &dyn EventBus, topics: &Topics, body: &Value, times: usize) {
    let rec = Record {
        key: body["order_id"].as_str().unwrap().to_string(),
        meta: Meta {
            kind: Kind::Order,
            store_id: "souk".into(),
            origin: "test".into(),
            received_at: chrono::Utc::now().timestamp_micros(),
            refusal: None,
        },
        payload: Bytes::from(body.to_string()),
    };
    bus.publish(&topics.for_kind(Kind::Order), vec![rec; times])
        .await
        .unwrap();
}

/// Every `actions_log` row (trigger, action, outcome, attempts, object_id, error), oldest first.
pub async fn outcomes(lake: &Lake) -> Vec<BTreeMap<String, String>> {
    let ctx = super::ctx(lake).await;
    if !ctx.table_exist("actions_log").unwrap() {
        return Vec::new();
    }
    super::rows(
        &super::sql(
            &ctx,
            "SELECT trigger, action, kind, outcome, attempts, object_id, error, idempotency_key \
             FROM actions_log ORDER BY at, trigger, action",
        )
        .await,
    )
}

/// Waits until `actions_log` has `n` rows with `outcome`; returns all rows.
pub async fn wait_outcomes(
    lake: &Lake,
    outcome: &str,
    n: usize,
    within: Duration,
) -> Vec<BTreeMap<String, String>> {
    let what = format!("{n} {outcome:?} rows");
    wait_rows(lake, &what, within, |rows| {
        rows.iter().filter(|r| r["outcome"] == outcome).count() >= n
    })
    .await
}

/// Waits until the `actions_log` rows satisfy `done`; returns them.
pub async fn wait_rows(
    lake: &Lake,
    what: &str,
    within: Duration,
    done: impl Fn(&[BTreeMap<String, String>]) -> bool,
) -> Vec<BTreeMap<String, String>> {
    let deadline = Instant::now() + within;
    loop {
        let rows = outcomes(lake).await;
        if done(&rows) {
            return rows;
        }
        assert!(
            Instant::now() < deadline,
            "actions_log has no {what} within {within:?}: {rows:#?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Rows of `rows` with `outcome`, as (action, object_id).
pub fn with_outcome(rows: &[BTreeMap<String, String>], outcome: &str) -> Vec<(String, String)> {
    rows.iter()
        .filter(|r| r["outcome"] == outcome)
        .map(|r| (r["action"].clone(), r["object_id"].clone()))
        .collect()
}

/// One message read back from a topic: key, headers, body.
#[derive(Debug, Clone)]
pub struct Read {
    /// Key.
    pub key: String,
    /// Headers.
    pub headers: BTreeMap<String, String>,
    /// Body.
    pub body: String,
}

/// Reads `topic` from the start until `want` messages or `within`.
pub fn read_topic(topic: &str, want: usize, within: Duration) -> Vec<Read> {
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::{Headers, Message};
    let consumer: BaseConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", super::daemon::brokers())
        .set(
            "group.id",
            format!("{topic}-reader-{}", rand::random::<u32>()),
        )
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + within;
    while out.len() < want && Instant::now() < deadline {
        let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let headers = m
            .headers()
            .map(|h| {
                h.iter()
                    .map(|x| {
                        let v = x.value.map(|v| String::from_utf8_lossy(v).into_owned());
                        (x.key.to_string(), v.unwrap_or_default())
                    })
                    .collect()
            })
            .unwrap_or_default();
        out.push(Read {
            key: m
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default(),
            headers,
            body: String::from_utf8_lossy(m.payload().unwrap_or_default()).into_owned(),
        });
    }
    out
}
