//! `settle bench webhooks`: signed Stripe webhooks of ~1.5 KB through
//! `settle serve`'s route (signature check, bus acknowledgement from a real
//! broker) beside a do-nothing axum handler on the same machine, same
//! client, same run: requests/s, p50/p99 latency and the ratio. A third
//! side runs Settle's route on the in-process bus, to tell Settle's own
//! cost from the broker's acknowledgement.

mod load;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::post;
use bytes::Bytes;
use rdkafka::producer::{FutureProducer, FutureRecord};

use crate::bus::Topics;
use crate::bus::kafka::{KafkaBus, KafkaConfig};
use crate::intake::serve::Intake;
use crate::intake::settings::{IntakeSettings, Secrets};
use crate::sources::secret::Secret;

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
    /// librdkafka settings for every producer (over the intake defaults).
    pub settings: Vec<(String, String)>,
    /// Rounds; each side runs once per round, interleaved, and the round
    /// with the median rate is reported (this machine's rates vary run to run).
    pub rounds: usize,
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
    /// CPU per request, µs: this process (client, server, producer), the
    /// rest of the machine (the broker), and idle. Linux only.
    pub cpu_us: Option<(f64, f64, f64)>,
}

impl Side {
    /// Requests per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.seconds
    }
}

async fn listener() -> Result<(tokio::net::TcpListener, String), String> {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let addr = l.local_addr().map_err(|e| e.to_string())?.to_string();
    Ok((l, addr))
}

/// The peer that does only what any intake must: answer after the broker
/// acknowledged the body (same producer settings as Settle's), with no
/// signature check, parsing or headers. Its rate is the most an intake that
/// acknowledges after the bus can reach on this machine.
fn floor_router(producer: FutureProducer, topic: String) -> Router {
    let next = Arc::new(AtomicU64::new(0));
    Router::new().route(
        "/webhooks/stripe",
        post(move |body: Bytes| {
            let (producer, topic, next) = (producer.clone(), topic.clone(), next.clone());
            async move {
                let key = next.fetch_add(1, Ordering::Relaxed).to_string();
                let record = FutureRecord::to(&topic).key(&key).payload(body.as_ref());
                match producer.send(record, Duration::from_secs(4)).await {
                    Ok(_) => (StatusCode::OK, "ok"),
                    Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "no acknowledgement"),
                }
            }
        }),
    )
}

/// The sides, in report order.
const SIDES: [&str; 5] = [
    "do-nothing axum",
    "axum + Kafka ack",
    "settle serve",
    "settle, no broker",
    "bare rdkafka",
];

/// Runs every side `rounds` times, interleaved, and returns each side's
/// median round (by rate), in the order of [`SIDES`].
pub async fn run(cfg: &Config) -> Result<Vec<Side>, String> {
    let salt = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let stop = tokio_util::sync::CancellationToken::new();
    let topics_prefix = format!("bench-webhooks-{salt}.");
    let topics = Topics {
        prefix: topics_prefix.clone(),
    };
    let topic = format!("{topics_prefix}stripe.events");
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
    let producer = || -> Result<FutureProducer, String> {
        kafka.producer().create().map_err(|e| e.to_string())
    };

    let mut settings = IntakeSettings::default();
    settings.stripe.webhook_secrets = Secrets(vec![Secret::new(load::SECRET)]);
    let memory_bus = Arc::new(crate::bus::memory::MemoryBus::new(4));
    let routers = [
        Router::new().route("/webhooks/stripe", post(|_body: Bytes| async { "ok" })),
        floor_router(producer()?, topic.clone()),
        crate::intake::serve::router(Arc::new(Intake::new(
            Arc::new(bus),
            topics.clone(),
            settings.clone(),
            Default::default(),
        ))),
        crate::intake::serve::router(Arc::new(Intake::new(
            memory_bus,
            topics,
            settings,
            Default::default(),
        ))),
    ];
    let mut addrs = Vec::new();
    for router in routers {
        let (l, addr) = listener().await?;
        let token = stop.clone();
        tokio::spawn(async move {
            axum::serve(l, router)
                .with_graceful_shutdown(token.cancelled_owned())
                .await
        });
        addrs.push(addr);
    }
    let bare_producer = producer()?;

    let mut runs: Vec<Vec<Side>> = vec![Vec::new(); SIDES.len()];
    let mut n = 0u128;
    let mut fresh = |count: usize| {
        n += 1;
        load::requests(count, cfg.body_bytes, salt + n)
    };
    for (i, addr) in addrs.iter().enumerate() {
        load::http(SIDES[i], addr, fresh(cfg.concurrency * 20), cfg.concurrency).await?;
    }
    let progress = crate::output::progress((cfg.rounds * SIDES.len()) as u64, "rounds", true);
    for _ in 0..cfg.rounds.max(1) {
        for (i, addr) in addrs.iter().enumerate() {
            let reqs = fresh(cfg.requests);
            runs[i].push(load::http(SIDES[i], addr, reqs, cfg.concurrency).await?);
            progress.inc(1);
        }
        let reqs = fresh(cfg.requests);
        let side = load::bare(bare_producer.clone(), &topic, reqs, cfg.concurrency).await?;
        runs[SIDES.len() - 1].push(side);
        progress.inc(1);
    }
    progress.finish_and_clear();
    stop.cancel();
    Ok(runs
        .into_iter()
        .map(|mut r| {
            r.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
            r.swap_remove(r.len() / 2)
        })
        .collect())
}

/// The report.
pub fn render(cfg: &Config, sides: &[Side]) -> String {
    let mut out = format!(
        "{} signed webhooks of {} bytes per side and round, {} in flight, median of {} interleaved rounds, \
         client, servers and producers in one process, the broker beside it on this machine\n",
        cfg.requests,
        cfg.body_bytes,
        cfg.concurrency,
        cfg.rounds.max(1)
    );
    out.push_str(
        "side                    req/s    p50 ms   p99 ms   max ms | CPU µs/request: here  broker+rest  idle\n",
    );
    for s in sides {
        let cpu = s
            .cpu_us
            .map_or(String::from("(no /proc)"), |(own, rest, idle)| {
                format!("{own:>6.1}  {rest:>11.1}  {idle:>4.1}")
            });
        out.push_str(&format!(
            "{:<19} {:>9.0} {:>9.2} {:>8.2} {:>8.2} |                 {cpu}\n",
            s.name,
            s.rate(),
            s.p50_ms,
            s.p99_ms,
            s.max_ms
        ));
    }
    if let [noop, floor, settle, no_broker, bare] = sides {
        out.push_str(&format!(
            "settle / do-nothing rate {:.2} (target >= 0.80); settle p99 {:.2} ms (target <= 20)\n\
             axum + Kafka ack / do-nothing {:.2}: the most any intake that answers after the broker's \
             acknowledgement reaches here\n\
             settle / (axum + Kafka ack) {:.2}: what signature checks, parsing and Settle's record cost\n\
             settle without the broker / do-nothing {:.2}; bare rdkafka (no HTTP) {:.0} acks/s\n",
            settle.rate() / noop.rate(),
            settle.p99_ms,
            floor.rate() / noop.rate(),
            settle.rate() / floor.rate(),
            no_broker.rate() / noop.rate(),
            bare.rate()
        ));
    }
    out
}
