//! Kafka through rdkafka: an idempotent, acks=all producer keyed per entity,
//! and partition reads for draining into the lake.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Header, Headers, Message as _, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

use super::{Error, EventBus, Message, Meta, Record, Result, Topics};
use crate::events::Kind;

const KIND: &str = "settle-kind";
const STORE: &str = "settle-store";
const ORIGIN: &str = "settle-origin";
const RECEIVED: &str = "settle-received-at";
const REASON: &str = "settle-reason";
const SOURCE: &str = "settle-source";
const REFUSAL: &str = "settle-refusal";

/// How to reach Kafka.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// `host:port,...`.
    pub brokers: String,
    /// Client id reported to the brokers.
    pub client_id: String,
    /// Partitions for topics Settle creates.
    pub partitions: i32,
    /// Extra librdkafka settings (SASL, SSL, timeouts), passed through as is.
    pub options: BTreeMap<String, String>,
    /// How long a publish may wait for acknowledgement.
    pub ack_timeout: Duration,
    /// Whether the producer is idempotent (no duplicates from its own
    /// retries). `settle serve` turns it off: each request publishes one event
    /// and the sender's retry is the retry, and an idempotent producer whose
    /// messages timed out bumps its epoch, which Tansu's storage does not
    /// survive (it panics in its idempotence check and stops serving).
    pub idempotent: bool,
}

impl KafkaConfig {
    /// librdkafka settings for a producer or admin client: brokers, id and
    /// the pass-through options except consumer-only ones (so librdkafka does
    /// not warn that the producer ignores them).
    pub fn client(&self) -> ClientConfig {
        self.with_options(CONSUMER_ONLY)
    }

    /// The settings of Settle's producer: idempotent unless configured
    /// otherwise, acks=all, Java-compatible key partitioning, the ack timeout
    /// as the message timeout, and a 5 ms linger unless `linger.ms` is set.
    pub fn producer(&self) -> ClientConfig {
        let mut c = self.client();
        c.set("enable.idempotence", self.idempotent.to_string())
            .set("acks", "all")
            .set("partitioner", "murmur2_random")
            .set(
                "message.timeout.ms",
                self.ack_timeout.as_millis().to_string(),
            )
            .set(
                "linger.ms",
                self.options.get("linger.ms").map_or("5", String::as_str),
            );
        c
    }

    /// Like [`KafkaConfig::client`] for a consumer: producer-only settings
    /// (the intake's `linger.ms`, batching, compression) are left out, so
    /// librdkafka does not warn that the consumer ignores them.
    pub fn consumer_client(&self) -> ClientConfig {
        self.with_options(PRODUCER_ONLY)
    }

    fn with_options(&self, except: &[&str]) -> ClientConfig {
        let mut c = ClientConfig::new();
        c.set("bootstrap.servers", &self.brokers)
            .set("client.id", &self.client_id);
        for (k, v) in &self.options {
            if !except.contains(&k.as_str()) {
                c.set(k, v);
            }
        }
        c
    }
}

/// librdkafka properties that only consumers read (CONFIGURATION.md, "C").
const CONSUMER_ONLY: &[&str] = &[
    "group.id",
    "group.instance.id",
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "max.poll.interval.ms",
    "auto.offset.reset",
    "enable.auto.commit",
    "auto.commit.interval.ms",
    "enable.auto.offset.store",
    "enable.partition.eof",
    "partition.assignment.strategy",
    "group.protocol",
    "fetch.wait.max.ms",
    "fetch.min.bytes",
    "fetch.max.bytes",
    "fetch.message.max.bytes",
    "fetch.queue.backoff.ms",
    "fetch.error.backoff.ms",
    "queued.min.messages",
    "queued.max.messages.kbytes",
    "isolation.level",
    "check.crcs",
];

/// librdkafka properties that only producers read (CONFIGURATION.md, "P").
const PRODUCER_ONLY: &[&str] = &[
    "linger.ms",
    "queue.buffering.max.ms",
    "queue.buffering.max.messages",
    "queue.buffering.max.kbytes",
    "batch.num.messages",
    "batch.size",
    "compression.type",
    "compression.codec",
    "compression.level",
    "acks",
    "request.required.acks",
    "message.timeout.ms",
    "delivery.timeout.ms",
    "enable.idempotence",
    "retries",
    "message.send.max.retries",
    "retry.backoff.ms",
    "partitioner",
    "sticky.partitioning.linger.ms",
    "transactional.id",
    "transaction.timeout.ms",
];

/// An [`EventBus`] on Kafka.
pub struct KafkaBus {
    config: KafkaConfig,
    producer: FutureProducer,
    reader: Mutex<BaseConsumer>,
    topics: Topics,
}

fn kafka_err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Kafka(format!("{what}: {e}"))
}

impl KafkaBus {
    /// Connects a producer (idempotent unless configured otherwise, acks=all, Java-compatible key
    /// partitioning) and a group-less reader.
    pub fn new(config: KafkaConfig, topics: Topics) -> Result<Self> {
        let producer: FutureProducer = config
            .producer()
            .create()
            .map_err(|e| kafka_err("creating the producer", e))?;
        let reader: BaseConsumer = config
            .consumer_client()
            .set("group.id", format!("{}-reader", config.client_id))
            .set("enable.auto.commit", "false")
            .set("enable.partition.eof", "true")
            .create()
            .map_err(|e| kafka_err("creating the reader", e))?;
        Ok(KafkaBus {
            config,
            producer,
            reader: Mutex::new(reader),
            topics,
        })
    }

    /// Creates `topics` with the configured partition count; existing topics are kept.
    pub async fn create_topics(&self, topics: &[String]) -> Result<Vec<String>> {
        let admin: AdminClient<DefaultClientContext> = self
            .config
            .client()
            .create()
            .map_err(|e| kafka_err("creating the admin client", e))?;
        let new: Vec<NewTopic> = topics
            .iter()
            .map(|t| NewTopic::new(t, self.config.partitions, TopicReplication::Fixed(1)))
            .collect();
        let results = admin
            .create_topics(
                &new,
                &AdminOptions::new().operation_timeout(Some(Duration::from_secs(10))),
            )
            .await
            .map_err(|e| kafka_err("creating topics", e))?;
        let mut created = Vec::new();
        for r in results {
            match r {
                Ok(t) => created.push(t),
                Err((t, rdkafka::types::RDKafkaErrorCode::TopicAlreadyExists)) => {
                    tracing::debug!(topic = %t, "topic exists");
                }
                Err((t, code)) => return Err(kafka_err(&format!("creating topic {t}"), code)),
            }
        }
        Ok(created)
    }

    fn meta_of(&self, m: &rdkafka::message::BorrowedMessage) -> Meta {
        // Per message: compare the topic's suffix, no names formatted.
        let mut kind = m
            .topic()
            .strip_prefix(self.topics.prefix.as_str())
            .and_then(|rest| Kind::ALL.into_iter().find(|k| k.topic() == rest))
            .unwrap_or(Kind::Stripe);
        let mut received_at = m.timestamp().to_millis().unwrap_or(0) * 1_000;
        let (mut store_id, mut origin, mut refusal) = (None, None, None);
        if let Some(headers) = m.headers() {
            for h in headers.iter() {
                let Some(v) = h.value.and_then(|v| std::str::from_utf8(v).ok()) else {
                    continue;
                };
                match h.key {
                    KIND => {
                        if let Ok(k) = v.parse() {
                            kind = k;
                        }
                    }
                    STORE => store_id = Some(v.to_string()),
                    ORIGIN => origin = Some(v.to_string()),
                    REFUSAL => refusal = Some(v.to_string()),
                    RECEIVED => received_at = v.parse().unwrap_or(received_at),
                    _ => {}
                }
            }
        }
        Meta {
            kind,
            store_id: store_id.unwrap_or_else(|| "default".into()),
            origin: origin
                .unwrap_or_else(|| format!("{}/{}@{}", m.topic(), m.partition(), m.offset())),
            received_at,
            refusal,
        }
    }
}

impl KafkaBus {
    /// Produces `records` to `topic`, each with its own extra headers, and
    /// waits for every acknowledgement.
    async fn produce(&self, topic: &str, records: &[(&Record, Vec<(&str, String)>)]) -> Result<()> {
        let failed = |e| kafka_err(&format!("producing to {topic}"), e);
        if let [(r, extra)] = records {
            // One event per webhook request: no futures list to allocate.
            self.send_record(topic, r, extra)
                .await
                .map_err(|(e, _)| failed(e))?;
            return Ok(());
        }
        let sends = records
            .iter()
            .map(|(r, extra)| self.send_record(topic, r, extra));
        for result in futures::future::join_all(sends).await {
            result.map_err(|(e, _)| failed(e))?;
        }
        Ok(())
    }

    /// Enqueues one record with Settle's headers (and `extra`) and returns
    /// its acknowledgement.
    fn send_record<'a>(
        &'a self,
        topic: &'a str,
        r: &'a Record,
        extra: &[(&str, String)],
    ) -> impl Future<Output = rdkafka::producer::future_producer::OwnedDeliveryResult> + use<'a>
    {
        let received = r.meta.received_at.to_string();
        let mut headers = OwnedHeaders::new_with_capacity(5 + extra.len())
            .insert(Header {
                key: KIND,
                value: Some(r.meta.kind.name()),
            })
            .insert(Header {
                key: STORE,
                value: Some(r.meta.store_id.as_str()),
            })
            .insert(Header {
                key: ORIGIN,
                value: Some(r.meta.origin.as_str()),
            })
            .insert(Header {
                key: RECEIVED,
                value: Some(received.as_str()),
            });
        if let Some(why) = &r.meta.refusal {
            headers = headers.insert(Header {
                key: REFUSAL,
                value: Some(why.as_str()),
            });
        }
        for (key, value) in extra {
            headers = headers.insert(Header {
                key,
                value: Some(value.as_str()),
            });
        }
        let record = FutureRecord::to(topic)
            .key(r.key.as_str())
            .payload(r.payload.as_ref())
            .headers(headers);
        self.producer.send(record, self.config.ack_timeout)
    }

    /// Produces one message that is not a Settle event (a command for
    /// systems downstream) with its own headers, and waits for the acknowledgement.
    pub async fn send(
        &self,
        topic: &str,
        key: &str,
        payload: &[u8],
        headers: &[(&str, &str)],
    ) -> Result<()> {
        let mut owned = OwnedHeaders::new_with_capacity(headers.len());
        for &(key, value) in headers {
            owned = owned.insert(Header {
                key,
                value: Some(value),
            });
        }
        let record = FutureRecord::to(topic)
            .key(key)
            .payload(payload)
            .headers(owned);
        self.producer
            .send(record, self.config.ack_timeout)
            .await
            .map_err(|(e, _)| kafka_err(&format!("producing to {topic}"), e))?;
        Ok(())
    }

    /// Produces rejected events to the dead-letter topic: the original key,
    /// body and headers plus `settle-reason` and `settle-source` (topic/partition@offset).
    pub async fn dead_letters(&self, letters: &[DeadLetter]) -> Result<()> {
        let items: Vec<(&Record, Vec<(&str, String)>)> = letters
            .iter()
            .map(|l| {
                (
                    &l.record,
                    vec![(REASON, l.reason.clone()), (SOURCE, l.source.clone())],
                )
            })
            .collect();
        self.produce(&self.topics.dlq(), &items).await
    }

    /// Decodes a consumed message's key, headers and body (copied out of librdkafka).
    pub fn message_of(&self, m: &rdkafka::message::BorrowedMessage) -> Message {
        Message {
            topic: m.topic().to_string(),
            partition: m.partition(),
            offset: m.offset(),
            key: m
                .key()
                .map(|k| String::from_utf8_lossy(k).into_owned())
                .unwrap_or_default(),
            meta: self.meta_of(m),
            payload: Bytes::copy_from_slice(m.payload().unwrap_or_default()),
        }
    }
}

/// A rejected event on its way to the dead-letter topic.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    /// The event as it arrived.
    pub record: Record,
    /// Why it was rejected.
    pub reason: String,
    /// Where it was read: `topic/partition@offset`.
    pub source: String,
}

#[async_trait]
impl EventBus for KafkaBus {
    async fn publish(&self, topic: &str, records: Vec<Record>) -> Result<()> {
        let items: Vec<(&Record, Vec<(&str, String)>)> =
            records.iter().map(|r| (r, Vec::new())).collect();
        self.produce(topic, &items).await
    }

    async fn partitions(&self, topic: &str) -> Result<i32> {
        let md = self
            .producer
            .client()
            .fetch_metadata(Some(topic), Duration::from_secs(10))
            .map_err(|e| kafka_err(&format!("metadata of {topic}"), e))?;
        let n = md
            .topics()
            .first()
            .map_or(0, |t| t.partitions().len() as i32);
        Ok(if n == 0 { self.config.partitions } else { n })
    }

    async fn fetch(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max: usize,
    ) -> Result<Vec<Message>> {
        let reader = self.reader.lock().expect("reader lock");
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(topic, partition, Offset::Offset(offset))
            .map_err(|e| kafka_err("assigning", e))?;
        reader.assign(&tpl).map_err(|e| kafka_err("assigning", e))?;
        let mut out = Vec::new();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while out.len() < max && std::time::Instant::now() < deadline {
            match reader.poll(Duration::from_millis(200)) {
                None => {
                    if !out.is_empty() {
                        break;
                    }
                }
                Some(Err(rdkafka::error::KafkaError::PartitionEOF(_))) => break,
                Some(Err(e)) => return Err(kafka_err(&format!("reading {topic}/{partition}"), e)),
                Some(Ok(m)) => out.push(self.message_of(&m)),
            }
        }
        Ok(out)
    }

    async fn end_offset(&self, topic: &str, partition: i32) -> Result<i64> {
        let (_, high) = self
            .producer
            .client()
            .fetch_watermarks(topic, partition, Duration::from_secs(10))
            .map_err(|e| kafka_err(&format!("end offset of {topic}/{partition}"), e))?;
        Ok(high)
    }
}

impl Drop for KafkaBus {
    fn drop(&mut self) {
        let _ = self.producer.flush(Duration::from_secs(5));
    }
}
