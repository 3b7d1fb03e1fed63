//! `settle bench ingest`: N Stripe-sized events produced to a real broker,
//! then `settle ingest` pinned to one core drains them into the lake
//! (events/s, peak RSS); then events at a steady rate for the time from
//! produce to visible in the lake (p50/p99); printed beside the decode-only
//! lake benchmark on the same events, as a ratio.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::{Int32Type, Int64Type, TimestampMicrosecondType};

use crate::bus::kafka::{KafkaBus, KafkaConfig};
use crate::bus::{EventBus, Meta, Record, Topics};
use crate::events::Kind;
use crate::intake::load::key_of;
use crate::lake::{Lake, commit};

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Kafka bootstrap servers.
    pub brokers: String,
    /// Events for the throughput phase.
    pub events: usize,
    /// Events for the latency phase.
    pub latency_events: usize,
    /// Events per second in the latency phase.
    pub rate: usize,
    /// Work folder.
    pub dir: PathBuf,
    /// `[ingest] max_age_ms` for the run.
    pub max_age_ms: u64,
}

/// The figures.
#[derive(Debug, Clone)]
pub struct Report {
    /// Events per second produced to the broker.
    pub produce_rate: f64,
    /// Events per second a bare rdkafka consumer on the same core reads.
    pub bare_rate: f64,
    /// Events per second from start of `settle ingest` to all visible.
    pub ingest_rate: f64,
    /// Events per second from the first to the last commit.
    pub ingest_rate_steady: f64,
    /// Peak resident set of `settle ingest`, bytes.
    pub peak_rss: u64,
    /// Produce-to-visible latency percentiles (p50, p99, max), seconds.
    pub latency: (f64, f64, f64),
    /// Decode-only (bench lake) events per second on the same events.
    pub decode_rate: f64,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

fn records(lines: &[&str], start: usize, received_at: i64) -> Vec<Record> {
    lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let origin = format!("bench:{}", start + i + 1);
            Record {
                key: key_of(Kind::Stripe, l, &origin),
                meta: Meta {
                    kind: Kind::Stripe,
                    store_id: "bench".into(),
                    origin,
                    received_at,
                    refusal: None,
                },
                payload: Bytes::copy_from_slice(l.as_bytes()),
            }
        })
        .collect()
}

fn peak_rss(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

async fn wait_for(lake: &Lake, want: u64, child: &mut Child) -> Result<(), BoxError> {
    loop {
        let have: u64 = commit::all(lake)
            .await?
            .iter()
            .map(|c| c.accepted + c.rejected)
            .sum();
        if have >= want {
            return Ok(());
        }
        if let Some(status) = child.try_wait()? {
            return Err(format!(
                "settle ingest exited early ({status}) with {have} of {want} events"
            )
            .into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the benchmark; `progress` prints a line per phase.
pub async fn run(cfg: &Config, progress: &dyn Fn(&str)) -> Result<Report, BoxError> {
    std::fs::create_dir_all(&cfg.dir)?;
    let total = cfg.events + cfg.latency_events;
    let file = cfg.dir.join(format!("stripe_events_{total}.jsonl"));
    if !file.exists() {
        progress(&format!(
            "writing {total} Stripe events to {}",
            file.display()
        ));
        super::write_events(&file, total)?;
    }
    let text = std::fs::read_to_string(&file)?;
    let lines: Vec<&str> = text.lines().collect();
    let topics = Topics {
        prefix: format!("bench{}.", now_micros()),
    };
    let kafka = KafkaConfig {
        brokers: cfg.brokers.clone(),
        client_id: "settle-bench".into(),
        partitions: 4,
        options: Default::default(),
        ack_timeout: Duration::from_secs(60),
        idempotent: true,
    };
    let bus = KafkaBus::new(kafka, topics.clone())?;
    bus.create_topics(&topics.all()).await?;
    let topic = topics.for_kind(Kind::Stripe);

    progress(&format!("producing {} events to {topic}", cfg.events));
    let started = Instant::now();
    for (i, chunk) in lines[..cfg.events].chunks(50_000).enumerate() {
        bus.publish(&topic, records(chunk, i * 50_000, now_micros()))
            .await?;
    }
    let produce_rate = cfg.events as f64 / started.elapsed().as_secs_f64();

    progress("bare rdkafka consumer (taskset -c 0) reading the backlog");
    let exe = std::env::current_exe()?;
    let out = Command::new("taskset")
        .args(["-c", "0"])
        .arg(&exe)
        .args([
            "bench",
            "consume",
            "--brokers",
            &cfg.brokers,
            "--topic",
            &topic,
        ])
        .args(["--events", &cfg.events.to_string()])
        .output()?;
    if !out.status.success() {
        return Err(format!(
            "bare consumer failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )
        .into());
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let bare_rate = cfg.events as f64 / v["seconds"].as_f64().unwrap_or(f64::INFINITY);

    let lake_dir = cfg.dir.join("ingest-lake");
    let _ = std::fs::remove_dir_all(&lake_dir);
    let lake = Lake::open(lake_dir.to_str().ok_or("lake path is not UTF-8")?)?;
    progress("settle ingest (taskset -c 0) draining the backlog");
    let started = Instant::now();
    let mut child = Command::new("taskset")
        .args(["-c", "0"])
        .arg(&exe)
        .args(["ingest", "--listen", "127.0.0.1:0"])
        .env("SETTLE__BUS__BROKERS", &cfg.brokers)
        .env("SETTLE__BUS__TOPIC_PREFIX", &topics.prefix)
        .env("SETTLE__LAKE__URL", &lake_dir)
        .env(
            "SETTLE__INGEST__GROUP_ID",
            format!("{}group", topics.prefix),
        )
        .env("SETTLE__INGEST__MAX_AGE_MS", cfg.max_age_ms.to_string())
        .env("SETTLE_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let result = phases(
        cfg, &bus, &topic, &lines, &lake, &mut child, started, progress,
    )
    .await;
    let rss = peak_rss(child.id());
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    let (ingest_rate, ingest_rate_steady, latency) = result?;

    progress("decode-only reference (settle bench lake's settle side)");
    let ref_dir = cfg.dir.join("decode-lake");
    let _ = std::fs::remove_dir_all(&ref_dir);
    let ref_lake = Lake::open(ref_dir.to_str().ok_or("lake path is not UTF-8")?)?;
    let only = cfg.dir.join(format!("stripe_events_{}.jsonl", cfg.events));
    if !only.exists() {
        std::fs::write(&only, lines[..cfg.events].join("\n") + "\n")?;
    }
    let (n, secs) = super::settle_side(&only, &ref_lake, 50_000).await?;
    Ok(Report {
        produce_rate,
        bare_rate,
        ingest_rate,
        ingest_rate_steady,
        peak_rss: rss,
        latency,
        decode_rate: n as f64 / secs,
    })
}

#[allow(clippy::too_many_arguments)]
async fn phases(
    cfg: &Config,
    bus: &KafkaBus,
    topic: &str,
    lines: &[&str],
    lake: &Lake,
    child: &mut Child,
    started: Instant,
    progress: &dyn Fn(&str),
) -> Result<(f64, f64, (f64, f64, f64)), BoxError> {
    wait_for(lake, cfg.events as u64, child).await?;
    let elapsed = started.elapsed().as_secs_f64();
    let commits = commit::all(lake).await?;
    let first = commits.iter().map(|c| c.committed_at).min().unwrap_or(0);
    let last = commits.iter().map(|c| c.committed_at).max().unwrap_or(0);
    let first_batch = commits
        .iter()
        .min_by_key(|c| c.committed_at)
        .map_or(0, |c| c.accepted + c.rejected);
    let steady = (cfg.events as u64 - first_batch) as f64 / ((last - first).max(1) as f64 / 1e6);

    progress(&format!(
        "latency: {} events at {} events/s",
        cfg.latency_events, cfg.rate
    ));
    let tick = Duration::from_millis(50);
    let per_tick = (cfg.rate / 20).max(1);
    let since = now_micros();
    let mut next = Instant::now();
    for (i, chunk) in lines[cfg.events..].chunks(per_tick).enumerate() {
        tokio::time::sleep_until(next.into()).await;
        next += tick;
        bus.publish(
            topic,
            records(chunk, cfg.events + i * per_tick, now_micros()),
        )
        .await?;
    }
    wait_for(lake, (cfg.events + cfg.latency_events) as u64, child).await?;
    let latency = latencies(lake, since).await?;
    Ok((cfg.events as f64 / elapsed, steady, latency))
}

/// Produce-to-visible seconds of every event received after `since`:
/// its batch's commit time minus its received_at.
async fn latencies(lake: &Lake, since: i64) -> Result<(f64, f64, f64), BoxError> {
    let commits = commit::all(lake).await?;
    let ctx = crate::jobs::session::open(lake, &Default::default()).await?;
    let batches = ctx
        .table("raw_events")
        .await?
        .select_columns(&["partition", "offset", "received_at"])?
        .collect()
        .await?;
    let mut out = Vec::new();
    for b in &batches {
        let p = b.column(0).as_primitive::<Int32Type>();
        let o = b.column(1).as_primitive::<Int64Type>();
        let r = b.column(2).as_primitive::<TimestampMicrosecondType>();
        for i in 0..b.num_rows() {
            let received = r.value(i);
            if received < since {
                continue;
            }
            let (part, off) = (p.value(i), o.value(i));
            if let Some(c) = commits
                .iter()
                .find(|c| c.partition == part && c.first <= off && off <= c.last)
            {
                out.push((c.committed_at - received) as f64 / 1e6);
            }
        }
    }
    if out.is_empty() {
        return Err("no latency-phase events found in the lake".into());
    }
    out.sort_by(f64::total_cmp);
    let at = |q: f64| out[((out.len() - 1) as f64 * q).round() as usize];
    Ok((at(0.5), at(0.99), at(1.0)))
}

/// The report as text.
pub fn render(cfg: &Config, r: &Report) -> String {
    format!(
        "broker {}: produced {} events at {:.0} events/s\n\
         bare rdkafka consumer, one core: {:.0} events/s (the broker's and librdkafka's ceiling)\n\
         settle ingest, one core (taskset -c 0), max_rows 50000, max_age {} ms:\n  \
         {:.0} events/s from process start to all visible ({:.0} events/s between first and last commit)\n  \
         peak RSS {:.0} MiB\n  \
         produce -> visible at {} events/s: p50 {:.2} s, p99 {:.2} s, max {:.2} s\n\
         decode-only (settle bench lake, 1 thread): {:.0} events/s; ingest/decode-only ratio {:.2}; \
         ingest/bare consumer ratio {:.2}\n",
        cfg.brokers,
        cfg.events,
        r.produce_rate,
        r.bare_rate,
        cfg.max_age_ms,
        r.ingest_rate,
        r.ingest_rate_steady,
        r.peak_rss as f64 / (1024.0 * 1024.0),
        cfg.rate,
        r.latency.0,
        r.latency.1,
        r.latency.2,
        r.decode_rate,
        r.ingest_rate / r.decode_rate,
        r.ingest_rate / r.bare_rate,
    )
}

/// Reads `events` messages from every partition of `topic`, from the
/// beginning, with a bare consumer (no group, no decoding) with the ingest
/// consumer's settings; returns seconds from the first poll to the last message.
pub fn bare_consume(
    brokers: &str,
    topic: &str,
    events: usize,
    settings: &[String],
) -> Result<f64, BoxError> {
    use rdkafka::config::ClientConfig;
    use rdkafka::consumer::{BaseConsumer, Consumer};
    use rdkafka::message::Message as _;
    let mut client = ClientConfig::new();
    client
        .set("bootstrap.servers", brokers)
        .set("group.id", "settle-bench-bare")
        .set("enable.auto.commit", "false");
    for (k, v) in crate::ingest::CONSUMER_DEFAULTS {
        client.set(*k, *v);
    }
    for s in settings {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| format!("--set {s}: expected KEY=VALUE"))?;
        client.set(k, v);
    }
    let consumer: BaseConsumer = client.create()?;
    let md = consumer.fetch_metadata(Some(topic), Duration::from_secs(10))?;
    let parts = md
        .topics()
        .iter()
        .flat_map(|t| t.partitions().iter().map(|p| p.id()))
        .collect::<Vec<_>>();
    let mut tpl = rdkafka::TopicPartitionList::new();
    for p in parts {
        tpl.add_partition_offset(topic, p, rdkafka::Offset::Beginning)?;
    }
    consumer.assign(&tpl)?;
    let started = Instant::now();
    let (mut n, mut bytes) = (0usize, 0usize);
    while n < events {
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("read only {n} of {events} events in 600 s").into());
        }
        if let Some(m) = consumer.poll(Duration::from_millis(100)) {
            bytes += m?.payload().map_or(0, <[u8]>::len);
            n += 1;
        }
    }
    std::hint::black_box(bytes);
    Ok(started.elapsed().as_secs_f64())
}
