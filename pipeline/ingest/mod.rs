//! `settle ingest`: the bus-to-lake daemon. One consumer in a consumer group
//! reads every event topic; per partition, events collect until `max_rows` or
//! `max_age`, then a writer task commits the batch to the lake exactly once
//! (see `lake::writer`). The lake, not the group, says where each partition
//! resumes; group offsets are committed after the files, for lag monitoring.

pub mod context;
pub mod encoders;
pub mod http;
pub mod metrics;
pub mod status;
pub mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::Offset;
use rdkafka::consumer::{CommitMode, Consumer, StreamConsumer};
use rdkafka::message::Message as _;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use self::context::{Assignments, IngestContext};
use self::http::Health;
use self::metrics::Metrics;
use self::writer::{Job, Report, Shared};
use crate::bus::kafka::{KafkaBus, KafkaConfig};
use crate::bus::{Message, Topics};
use crate::events::Kind;
use crate::lake::Lake;

/// Errors that stop the daemon.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Kafka refused (brokers down, bad settings).
    #[error("kafka: {0}; check [bus] brokers and librdkafka settings")]
    Kafka(#[from] rdkafka::error::KafkaError),
    /// The bus failed.
    #[error("bus: {0}")]
    Bus(#[from] crate::bus::Error),
    /// The lake failed.
    #[error("lake: {0}")]
    Lake(#[from] crate::lake::Error),
    /// A partition could not be recovered or resynced.
    #[error("{0}")]
    Fatal(String),
    /// The HTTP listener could not start.
    #[error("listening on {addr}: {source}; pick a free address with --listen")]
    Listen {
        /// Address.
        addr: String,
        /// Cause.
        source: std::io::Error,
    },
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How the daemon runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Brokers and client settings.
    pub kafka: KafkaConfig,
    /// Topic names.
    pub topics: Topics,
    /// Consumer group.
    pub group_id: String,
    /// A batch closes at this many events.
    pub max_rows: usize,
    /// A batch closes when its first event has waited this long.
    pub max_age: Duration,
    /// Bodies above this go to the DLQ.
    pub max_event_bytes: usize,
    /// When buffered events of all partitions exceed this, the biggest batch closes.
    pub max_buffered_bytes: usize,
}

/// Totals of one run.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    /// Events committed to raw_events.
    pub written: u64,
    /// Events committed to rejected.
    pub rejected: u64,
    /// Batches committed.
    pub batches: u64,
    /// Batches fenced.
    pub fenced: u64,
}

/// A partition's open batch.
struct Open {
    generation: u64,
    lineage: u64,
    /// Chain position the open batch starts at.
    from: i64,
    /// Offsets below this are in the lake or in this process already.
    next: i64,
    msgs: Vec<Message>,
    bytes: usize,
    opened: Instant,
    /// How far back the last rewind went, while looking for `next` (see `on_gap`).
    rewind: Option<i64>,
}

impl Open {
    fn new(generation: u64, lineage: u64, from: i64) -> Self {
        Open {
            generation,
            lineage,
            from,
            next: from,
            msgs: Vec::new(),
            bytes: 0,
            opened: Instant::now(),
            rewind: None,
        }
    }
}

type Key = (String, i32);

struct Daemon {
    cfg: Config,
    shared: Shared,
    consumer: Arc<StreamConsumer<IngestContext>>,
    assignments: Arc<Assignments>,
    open: HashMap<Key, Open>,
    /// Body bytes in open batches.
    buffered: usize,
    /// Body bytes of batches handed to writers and not yet done.
    in_flight: usize,
    writers: HashMap<Key, mpsc::Sender<Job>>,
    tasks: tokio::task::JoinSet<()>,
    reports_tx: mpsc::UnboundedSender<Report>,
    lineages: u64,
    summary: Summary,
    /// The partition of the previous message, and its topic's consumed counter.
    current: (Key, prometheus_client::metrics::counter::Counter),
}

/// librdkafka settings of the ingest consumer unless `[bus.librdkafka]`
/// says otherwise (all measured with `settle bench ingest`):
/// - `fetch.wait.max.ms` 10: a broker holds a fetch this long when it has
///   less than `fetch.min.bytes`; Tansu holds every fetch the whole time and
///   answers with about one record batch per partition, so the 500 ms
///   default capped reading at ~16k events/s (10 ms: ~260k events/s on one
///   core). Idle consumers then fetch 100 times a second per broker.
/// - `fetch.queue.backoff.ms` 5: when the prefetch queue is full (it is,
///   whenever backpressure pauses reading), librdkafka waits this long before
///   fetching again; its 1 s default cost two thirds of the throughput.
/// - `queued.max.messages.kbytes` 8 MiB of prefetched events per partition:
///   enough to keep one core busy, and part of the memory bound.
pub const CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("fetch.wait.max.ms", "10"),
    ("fetch.queue.backoff.ms", "5"),
    ("queued.max.messages.kbytes", "8192"),
    ("session.timeout.ms", "10000"),
];

/// Runs until `shutdown` is cancelled; then closes every open batch, waits
/// for the writers and commits group offsets.
pub async fn run(
    lake: Lake,
    cfg: Config,
    health: Arc<Health>,
    shutdown: CancellationToken,
) -> Result<Summary> {
    let bus = Arc::new(KafkaBus::new(cfg.kafka.clone(), cfg.topics.clone())?);
    let assignments = Arc::new(Assignments::default());
    let context = IngestContext {
        lake: lake.clone(),
        assignments: assignments.clone(),
        metrics: health.clone(),
    };
    let mut client = cfg.kafka.consumer_client();
    client
        .set("group.id", &cfg.group_id)
        .set("enable.auto.commit", "true")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest");
    for (k, v) in CONSUMER_DEFAULTS {
        if !cfg.kafka.options.contains_key(*k) {
            client.set(*k, *v);
        }
    }
    let consumer: StreamConsumer<IngestContext> = client.create_with_context(context)?;
    let consumer = Arc::new(consumer);
    let names: Vec<String> = Kind::ALL.iter().map(|k| cfg.topics.for_kind(*k)).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    consumer.subscribe(&refs)?;
    lake.list("_commits").await?;
    // Not ready until the brokers answer; a daemon waits for them rather than exit.
    loop {
        let c = consumer.clone();
        let md =
            tokio::task::spawn_blocking(move || c.fetch_metadata(None, Duration::from_secs(10)))
                .await
                .expect("metadata task panicked");
        match md {
            Ok(_) => break,
            Err(e) => tracing::warn!(error = %e, "brokers not answering yet; retrying"),
        }
        if shutdown.is_cancelled() {
            return Ok(Summary::default());
        }
    }
    // Rejected events go to the dead-letter topic; producers do not create topics.
    if let Err(e) = bus.create_topics(&cfg.topics.all()).await {
        tracing::warn!(error = %e, "could not check the topics; create them with `settle topics create`");
    }
    health
        .ready
        .store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!(group = %cfg.group_id, topics = ?names, "ingesting");
    let (reports_tx, mut reports) = mpsc::unbounded_channel();
    let shared = Shared {
        lake,
        bus,
        writer_id: crate::lake::ingest::writer_id(),
        max_event_bytes: cfg.max_event_bytes,
        health: health.clone(),
        shutdown: shutdown.clone(),
        encoders: Arc::new(
            encoders::Encoders::start(std::thread::available_parallelism().map_or(1, |n| n.get()))
                .map_err(|e| Error::Fatal(format!("starting encoder threads: {e}")))?,
        ),
    };
    let mut d = Daemon {
        cfg,
        shared,
        consumer: consumer.clone(),
        assignments,
        open: HashMap::new(),
        buffered: 0,
        in_flight: 0,
        writers: HashMap::new(),
        tasks: tokio::task::JoinSet::new(),
        reports_tx,
        lineages: 0,
        summary: Summary::default(),
        current: ((String::new(), -1), Default::default()),
    };
    let tick_every = (d.cfg.max_age / 4).clamp(Duration::from_millis(20), Duration::from_secs(1));
    let mut tick = tokio::time::interval(tick_every);
    loop {
        tokio::select! {
            _ = shutdown.cancelled() => break,
            // Backpressure: while open and in-flight batches hold more than
            // max_buffered_bytes, read nothing until writers finish.
            m = consumer.recv(), if d.buffered + d.in_flight <= d.cfg.max_buffered_bytes => match m {
                Ok(m) => d.on_message(&m).await,
                Err(e) => tracing::warn!(error = %e, "consuming"),
            },
            Some(r) = reports.recv() => d.on_report(r).await?,
            _ = tick.tick() => {
                health.beat();
                if let Some(why) = d.assignments.fatal.lock().expect("fatal lock").take() {
                    return Err(Error::Fatal(why));
                }
                d.close_aged().await;
            }
        }
    }
    health
        .stopping
        .store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::info!("stopping: closing open batches");
    let keys: Vec<Key> = d.open.keys().cloned().collect();
    for k in keys {
        d.close(&k).await;
    }
    d.writers.clear();
    while d.tasks.join_next().await.is_some() {}
    while let Ok(r) = reports.try_recv() {
        d.on_report(r).await?;
    }
    if let Err(e) = consumer.commit_consumer_state(CommitMode::Sync) {
        tracing::debug!(error = %e, "final group offset commit");
    }
    Ok(d.summary)
}

impl Daemon {
    async fn on_message(&mut self, m: &rdkafka::message::BorrowedMessage<'_>) {
        let (topic, partition) = (m.topic(), m.partition());
        // Messages come in runs per partition: the key and counter are made
        // once per run, not per message.
        if self.current.0.1 != partition || self.current.0.0 != topic {
            let consumed = self
                .shared
                .health
                .metrics
                .consumed
                .get_or_create(&Metrics::topic(topic))
                .clone();
            self.current = ((topic.to_string(), partition), consumed);
        }
        let Some(a) = self.assignments.get(&self.current.0) else {
            return; // revoked meanwhile
        };
        let key = std::mem::take(&mut self.current.0);
        self.take(&key, a, m).await;
        self.current.0 = key;
    }

    /// Buffers `m` of partition `key` (assigned as `a`) in its open batch,
    /// closing the batch when it is full.
    async fn take(
        &mut self,
        key: &Key,
        a: context::Assigned,
        m: &rdkafka::message::BorrowedMessage<'_>,
    ) {
        let offset = m.offset();
        if !self.open.contains_key(key) {
            self.lineages += 1;
            let open = Open::new(a.generation, self.lineages, a.from);
            self.open.insert(key.clone(), open);
        }
        let lineages = &mut self.lineages;
        let Some(open) = self.open.get_mut(key) else {
            return;
        };
        if open.generation != a.generation {
            // Reassigned: whatever was buffered is read again from the lake's position.
            self.buffered -= open.bytes;
            *lineages += 1;
            *open = Open::new(a.generation, *lineages, a.from);
        }
        if offset > open.next && !self.on_gap(key, offset) {
            return;
        }
        let Some(open) = self.open.get_mut(key) else {
            return;
        };
        if offset < open.next {
            return; // in the lake or in this batch already
        }
        open.rewind = None;
        let msg = self.shared.bus.message_of(m);
        if open.msgs.is_empty() {
            open.opened = Instant::now();
        }
        open.next = offset + 1;
        open.bytes += msg.payload.len();
        self.buffered += msg.payload.len();
        open.msgs.push(msg);
        self.current.1.inc();
        if open.msgs.len() >= self.cfg.max_rows {
            self.close(key).await;
        } else if self.buffered > self.cfg.max_buffered_bytes {
            let biggest = self
                .open
                .iter()
                .max_by_key(|(_, o)| o.bytes)
                .map(|(k, _)| k.clone());
            if let Some(k) = biggest {
                self.close(&k).await;
            }
        }
    }

    /// A message beyond the next expected offset. Kafka never skips offsets
    /// of an idempotent, non-transactional producer, so this is a stale
    /// prefetched message or a broker that answered a fetch from the middle
    /// of a record batch with the next batch (Tansu does). Rewind (further
    /// each time) and read up to the expected offset again; only when a rewind
    /// to offset 0 still lands beyond it is the gap real (log truncated):
    /// then accept it, loudly. Returns whether to take the message.
    fn on_gap(&mut self, key: &Key, offset: i64) -> bool {
        let Some(open) = self.open.get_mut(key) else {
            return false;
        };
        let expected = open.next;
        let step = open.rewind.map_or(1_024, |s| s.saturating_mul(4));
        if open.rewind.is_some_and(|s| s >= expected) {
            tracing::error!(
                topic = %key.0, partition = key.1, expected, got = offset,
                "offsets {expected}..{} are not on the broker (retention or compaction); continuing after them",
                offset - 1
            );
            self.shared.health.metrics.gaps.inc();
            open.rewind = None;
            return true;
        }
        open.rewind = Some(step);
        let target = (expected - step).max(0);
        tracing::debug!(topic = %key.0, partition = key.1, expected, got = offset, target, "offset gap; rewinding");
        let c = self.consumer.clone();
        let seek = tokio::task::block_in_place(|| {
            c.seek(
                &key.0,
                key.1,
                Offset::Offset(target),
                Duration::from_secs(10),
            )
        });
        if let Err(e) = seek {
            tracing::warn!(topic = %key.0, partition = key.1, error = %e, "rewinding; will retry");
            open.rewind = None;
        }
        false
    }

    /// Hands a partition's open batch to its writer.
    async fn close(&mut self, key: &Key) {
        let Some(open) = self.open.get_mut(key) else {
            return;
        };
        if open.msgs.is_empty() {
            return;
        }
        let job = Job {
            generation: open.generation,
            lineage: open.lineage,
            from: open.from,
            msgs: std::mem::take(&mut open.msgs),
            closed: Instant::now(),
            bytes: open.bytes,
        };
        self.in_flight += open.bytes;
        self.buffered -= open.bytes;
        open.bytes = 0;
        open.from = open.next;
        let sender = match self.writers.get(key) {
            Some(s) => s.clone(),
            None => {
                let (tx, rx) = mpsc::channel(1);
                self.tasks.spawn(writer::run(
                    self.shared.clone(),
                    rx,
                    self.reports_tx.clone(),
                ));
                self.writers.insert(key.clone(), tx.clone());
                tx
            }
        };
        if sender.send(job).await.is_err() {
            tracing::error!(topic = %key.0, partition = key.1, "writer task gone");
        }
    }

    async fn close_aged(&mut self) {
        let max_age = self.cfg.max_age;
        let aged: Vec<Key> = self
            .open
            .iter()
            .filter(|(_, o)| !o.msgs.is_empty() && o.opened.elapsed() >= max_age)
            .map(|(k, _)| k.clone())
            .collect();
        for k in aged {
            self.close(&k).await;
        }
    }

    async fn on_report(&mut self, r: Report) -> Result<()> {
        match r {
            Report::Released { bytes } => self.in_flight = self.in_flight.saturating_sub(bytes),
            Report::Committed { generation, commit } => {
                self.summary.written += commit.accepted;
                self.summary.rejected += commit.rejected;
                self.summary.batches += 1;
                self.assignments
                    .committed(&commit.topic, commit.partition, commit.last + 1);
                let current = self
                    .assignments
                    .get(&(commit.topic.clone(), commit.partition));
                if current.is_some_and(|a| a.generation == generation) {
                    // The group's offset is the next to read (offsets_store keeps it as is).
                    let mut tpl = rdkafka::TopicPartitionList::new();
                    let at = tpl.add_partition_offset(
                        &commit.topic,
                        commit.partition,
                        Offset::Offset(commit.last + 1),
                    );
                    let store = at.and_then(|_| self.consumer.store_offsets(&tpl));
                    if let Err(e) = store {
                        tracing::debug!(error = %e, "storing group offset");
                    }
                }
            }
            Report::Fenced {
                topic,
                partition,
                generation,
                lineage,
            } => {
                self.summary.fenced += 1;
                let key = (topic.clone(), partition);
                let current = self.open.get(&key).map(|o| (o.generation, o.lineage));
                if current != Some((generation, lineage)) {
                    return Ok(()); // that run is over already
                }
                self.resync(&key, generation).await?;
            }
        }
        Ok(())
    }

    /// Starts a partition again at the lake's position after a fenced batch.
    async fn resync(&mut self, key: &Key, generation: u64) -> Result<()> {
        let next = crate::lake::writer::recover(&self.shared.lake, &key.0, key.1)
            .await?
            .next;
        if !self.assignments.resync(&key.0, key.1, generation, next) {
            return Ok(()); // revoked meanwhile
        }
        if let Some(open) = self.open.get_mut(key) {
            self.buffered -= open.bytes;
            self.lineages += 1;
            *open = Open::new(generation, self.lineages, next);
        }
        let c = self.consumer.clone();
        let (topic, partition) = key.clone();
        let seek = tokio::task::spawn_blocking(move || {
            c.seek(
                &topic,
                partition,
                Offset::Offset(next),
                Duration::from_secs(10),
            )
        })
        .await
        .expect("seek task panicked");
        seek.map_err(|e| {
            Error::Fatal(format!(
                "resyncing {}/{} to the lake's offset {next} failed ({e}); restart settle ingest",
                key.0, key.1
            ))
        })?;
        tracing::info!(topic = %key.0, partition = key.1, next, "resynced to the lake");
        Ok(())
    }
}
