//! `settle bench webhooks`: signed Stripe webhooks of ~1.5 KB through
//! `settle serve`'s route (signature check, bus acknowledgement from a real
//! broker) beside a do-nothing axum handler on the same machine, same
//! client, same run: requests/s, p50/p99 latency and the ratio. A third
//! side runs Settle's route on the in-process bus, to tell Settle's own
//! cost from the broker's acknowledgement.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::routing::post;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::bus::Topics;
use crate::bus::kafka::{KafkaBus, KafkaConfig};
use crate::intake::serve::{Intake, serve};
use crate::intake::settings::{IntakeSettings, Secrets};
use crate::sources::secret::Secret;
use crate::sources::stripe::signature::Verifier;

/// How to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// Requests per side.
    pub requests: usize,
    /// Requests in flight.
    pub concurrency: usize,
    /// Body size in bytes.
    pub body_bytes: usize,
    /// librdkafka settings for both producers (over the intake defaults).
    pub settings: Vec<(String, String)>,
}

/// One side's figures.
#[derive(Debug, Clone)]
pub struct Side {
    /// Name.
    pub name: &'static str,
    /// Requests answered 200.
    pub ok: usize,
    /// Wall time, seconds.
    pub seconds: f64,
    /// Latency percentiles, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Slowest, ms.
    pub max_ms: f64,
}

impl Side {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

const SECRET: &str = "whsec_bench";

/// Signed requests with distinct event ids, padded to `bytes`.
fn requests(n: usize, bytes: usize, salt: u128) -> Vec<(Bytes, String)> {
    let now = chrono::Utc::now().timestamp();
    let secret = Secret::new(SECRET);
    (0..n)
        .map(|i| {
            let customer = crate::generate::stripe_json::customer(
                &format!("cus_b{salt}x{i}"),
                &format!("buyer{i}@example.com"),
                "Bench Buyer",
                "+212600000000",
                "MA",
                now,
                "bench",
            );
            let mut ev = crate::generate::stripe_json::event(
                &format!("evt_b{salt}x{i:09}"),
                "customer.created",
                now,
                customer,
            );
            let base = ev.to_string().len();
            ev["data"]["object"]["description"] =
                serde_json::Value::String("x".repeat(bytes.saturating_sub(base + 20)));
            let body = Bytes::from(ev.to_string());
            let sig = Verifier::sign(&secret, &body, now);
            (body, sig)
        })
        .collect()
}

async fn load(
    name: &'static str,
    addr: &str,
    reqs: Arc<Vec<(Bytes, String)>>,
    concurrency: usize,
) -> Result<Side, String> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let next = Arc::new(AtomicUsize::new(0));
    let uri: hyper::Uri = format!("http://{addr}/webhooks/stripe")
        .parse()
        .map_err(|e| format!("{e}"))?;
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, next, reqs, uri) = (client.clone(), next.clone(), reqs.clone(), uri.clone());
        tasks.spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, sig)) = reqs.get(i) else {
                    break;
                };
                let req = hyper::Request::post(uri.clone())
                    .header("content-type", "application/json")
                    .header("stripe-signature", sig.as_str())
                    .body(Full::new(body.clone()))
                    .expect("a request");
                let t = Instant::now();
                let resp = client.request(req).await.map_err(|e| format!("{e}"))?;
                let status = resp.status();
                resp.into_body()
                    .collect()
                    .await
                    .map_err(|e| format!("{e}"))?;
                if status != 200 {
                    return Err(format!("answer {status}"));
                }
                lat.push(t.elapsed());
            }
            Ok::<_, String>(lat)
        });
    }
    let mut all: Vec<Duration> = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.map_err(|e| e.to_string())??);
    }
    Ok(summarize(name, all, started.elapsed().as_secs_f64()))
}

/// The broker's ceiling for this workload: a bare rdkafka producer sending
/// the same bodies with `concurrency` acknowledgements awaited at once.
async fn bare_producer(
    kafka: &KafkaConfig,
    topic: &str,
    reqs: Arc<Vec<(Bytes, String)>>,
    concurrency: usize,
) -> Result<Side, String> {
    use rdkafka::producer::{FutureProducer, FutureRecord};
    let producer: FutureProducer = kafka
        .client()
        .set("enable.idempotence", "false")
        .set("acks", "all")
        .set(
            "linger.ms",
            kafka.options.get("linger.ms").map_or("0", String::as_str),
        )
        .create()
        .map_err(|e| e.to_string())?;
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (producer, next, reqs, topic) = (
            producer.clone(),
            next.clone(),
            reqs.clone(),
            topic.to_string(),
        );
        tasks.spawn(async move {
            let mut lat = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((body, _)) = reqs.get(i) else { break };
                let key = i.to_string();
                let t = Instant::now();
                producer
                    .send(
                        FutureRecord::to(&topic).key(&key).payload(body.as_ref()),
                        Duration::from_secs(4),
                    )
                    .await
                    .map_err(|(e, _)| e.to_string())?;
                lat.push(t.elapsed());
            }
            Ok::<_, String>(lat)
        });
    }
    let mut all = Vec::new();
    while let Some(r) = tasks.join_next().await {
        all.extend(r.map_err(|e| e.to_string())??);
    }
    Ok(summarize(
        "bare rdkafka",
        all,
        started.elapsed().as_secs_f64(),
    ))
}

fn summarize(name: &'static str, mut all: Vec<Duration>, seconds: f64) -> Side {
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    Side {
        name,
        ok: all.len(),
        seconds,
        p50_ms: pct(0.50),
        p99_ms: pct(0.99),
        max_ms: pct(1.0),
    }
}

async fn listener() -> Result<(tokio::net::TcpListener, String), String> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = l.local_addr().map_err(|e| e.to_string())?.to_string();
    Ok((l, addr))
}

/// Runs both sides: the do-nothing handler first, then Settle's route.
pub async fn run(cfg: &Config) -> Result<Vec<Side>, String> {
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let stop = tokio_util::sync::CancellationToken::new();

    let (l, noop_addr) = listener().await?;
    let noop = Router::new().route("/webhooks/stripe", post(|_body: Bytes| async { "ok" }));
    let token = stop.clone();
    tokio::spawn(async move {
        axum::serve(l, noop)
            .with_graceful_shutdown(token.cancelled_owned())
            .await
    });

    let topics_prefix = format!("bench-webhooks-{salt}.");
    let topics = Topics {
        prefix: topics_prefix.clone(),
    };
    let kafka = KafkaConfig {
        brokers: cfg.brokers.clone(),
        client_id: "settle-bench-webhooks".into(),
        partitions: 4,
        options: crate::intake::serve::PRODUCER_DEFAULTS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .chain(cfg.settings.iter().cloned())
            .collect(),
        ack_timeout: Duration::from_secs(4),
        idempotent: false,
    };
    let bus = KafkaBus::new(kafka.clone(), topics.clone()).map_err(|e| e.to_string())?;
    bus.create_topics(&topics.all())
        .await
        .map_err(|e| e.to_string())?;
    let mut settings = IntakeSettings::default();
    settings.stripe.webhook_secrets = Secrets(vec![Secret::new(SECRET)]);
    let in_process = Arc::new(Intake::new(
        Arc::new(crate::bus::memory::MemoryBus::new(4)),
        topics.clone(),
        settings.clone(),
        Default::default(),
    ));
    let intake = Arc::new(Intake::new(
        Arc::new(bus),
        topics,
        settings,
        Default::default(),
    ));
    let (l, settle_addr) = listener().await?;
    tokio::spawn(serve(l, intake, stop.clone()));
    let (l, memory_addr) = listener().await?;
    tokio::spawn(serve(l, in_process, stop.clone()));

    let warm = Arc::new(requests(cfg.concurrency * 20, cfg.body_bytes, salt + 1));
    load("warm-up", &settle_addr, warm.clone(), cfg.concurrency).await?;
    load("warm-up", &noop_addr, warm, cfg.concurrency).await?;
    let noop_side = load(
        "do-nothing axum",
        &noop_addr,
        Arc::new(requests(cfg.requests, cfg.body_bytes, salt + 2)),
        cfg.concurrency,
    )
    .await?;
    let settle_side = load(
        "settle serve",
        &settle_addr,
        Arc::new(requests(cfg.requests, cfg.body_bytes, salt + 3)),
        cfg.concurrency,
    )
    .await?;
    // Settle's own cost without a broker: verification, parsing, the route.
    let memory_side = load(
        "settle, no broker",
        &memory_addr,
        Arc::new(requests(cfg.requests, cfg.body_bytes, salt + 4)),
        cfg.concurrency,
    )
    .await?;
    let bare = bare_producer(
        &kafka,
        &format!("{topics_prefix}stripe.events"),
        Arc::new(requests(cfg.requests, cfg.body_bytes, salt + 5)),
        cfg.concurrency,
    )
    .await?;
    stop.cancel();
    Ok(vec![noop_side, settle_side, memory_side, bare])
}

/// The report.
pub fn render(cfg: &Config, sides: &[Side]) -> String {
    let mut out = format!(
        "{} signed webhooks of {} bytes per side, {} in flight, one process on this machine\n",
        cfg.requests, cfg.body_bytes, cfg.concurrency
    );
    for s in sides {
        out.push_str(&format!(
            "{:<16} {:>9.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms   max {:>7.2} ms\n",
            s.name,
            s.rate(),
            s.p50_ms,
            s.p99_ms,
            s.max_ms
        ));
    }
    if let [noop, settle, no_broker, bare] = sides {
        out.push_str(&format!(
            "settle/do-nothing rate ratio {:.2} (target >= 0.80); settle p99 {:.2} ms (target <= 20)\n\
             settle without the broker / do-nothing {:.2}; settle / bare rdkafka producer (the broker's ceiling) {:.2}\n",
            settle.rate() / noop.rate(),
            settle.p99_ms,
            no_broker.rate() / noop.rate(),
            settle.rate() / bare.rate()
        ));
    }
    out
}
