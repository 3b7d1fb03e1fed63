//! The event bus: every event goes through it, keyed per entity.
//!
//! [`EventBus`] is the boundary; [`memory::MemoryBus`] is the in-process
//! implementation the embedded default uses. Kafka (rdkafka) implements the
//! same trait.

pub mod kafka;
pub mod memory;

use async_trait::async_trait;
use bytes::Bytes;

use crate::events::Kind;

/// Errors from the bus.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The topic or partition does not exist.
    #[error("unknown topic partition {topic}/{partition}")]
    UnknownPartition {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
    },
    /// Kafka refused or timed out (brokers down, topic missing, auth).
    #[error("kafka: {0}; check [bus] brokers and that the broker is up")]
    Kafka(String),
    /// A header needed to decode the message is missing or malformed.
    #[error("message {topic}/{partition}@{offset} has a bad header: {what}")]
    BadHeader {
        /// Topic.
        topic: String,
        /// Partition.
        partition: i32,
        /// Offset.
        offset: i64,
        /// What was wrong.
        what: String,
    },
}

/// Result alias for the bus.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What travels with each event besides its body (Kafka headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// Contract the body should follow.
    pub kind: Kind,
    /// Store the intake attributed it to (Stripe events may override via metadata).
    pub store_id: String,
    /// Where it came from: `file.jsonl:17`, an HTTP request id, an API page.
    pub origin: String,
    /// When Settle received it, microseconds since the epoch.
    pub received_at: i64,
    /// Set when the intake already found the event unusable (a carrier
    /// status no table maps, a store payload that cannot be read): the body
    /// is the sender's, kept as it came, and the ingest puts it in `rejected`
    /// with this reason instead of decoding it.
    pub refusal: Option<String>,
}

/// An event to publish.
#[derive(Debug, Clone)]
pub struct Record {
    /// Entity key: Stripe object id, order id, tracking number.
    pub key: String,
    /// Headers.
    pub meta: Meta,
    /// The event body exactly as received.
    pub payload: Bytes,
}

/// An event read back from the bus, with its position.
#[derive(Debug, Clone)]
pub struct Message {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Offset within the partition.
    pub offset: i64,
    /// Entity key.
    pub key: String,
    /// Headers.
    pub meta: Meta,
    /// Body.
    pub payload: Bytes,
}

/// Topic names with the configured prefix.
#[derive(Debug, Clone)]
pub struct Topics {
    /// Prefix, default `settle.`.
    pub prefix: String,
}

impl Default for Topics {
    fn default() -> Self {
        Topics {
            prefix: "settle.".into(),
        }
    }
}

impl Topics {
    /// The topic for events of `kind`.
    pub fn for_kind(&self, kind: Kind) -> String {
        format!("{}{}", self.prefix, kind.topic())
    }

    /// The dead-letter topic.
    pub fn dlq(&self) -> String {
        format!("{}dlq", self.prefix)
    }

    /// Every topic Settle uses: one per kind, then the dead-letter topic.
    pub fn all(&self) -> Vec<String> {
        let mut names: Vec<String> = Kind::ALL.iter().map(|k| self.for_kind(*k)).collect();
        names.push(self.dlq());
        names
    }
}

/// A partitioned, ordered, acknowledged event log.
#[async_trait]
pub trait EventBus: Send + Sync {
    /// Publishes records to `topic`; returns only once the bus acknowledged every one.
    async fn publish(&self, topic: &str, records: Vec<Record>) -> Result<()>;
    /// Number of partitions of `topic`.
    async fn partitions(&self, topic: &str) -> Result<i32>;
    /// Reads up to `max` messages of `topic`/`partition` from `offset` on.
    async fn fetch(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max: usize,
    ) -> Result<Vec<Message>>;
    /// The offset the next published message of the partition will get.
    async fn end_offset(&self, topic: &str, partition: i32) -> Result<i64>;
}

/// The partition for `key` among `partitions` (stable across runs and processes).
pub fn partition_for(key: &str, partitions: i32) -> i32 {
    // FNV-1a: stable, fast, and the same in every build.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h % partitions.max(1) as u64) as i32
}
