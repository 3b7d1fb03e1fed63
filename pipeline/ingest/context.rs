//! The consumer's side of rebalances: on assignment, each partition is
//! recovered in the lake and the consumer starts at the lake's next offset
//! (not the group's); on revocation the partition is forgotten, so buffered
//! events of it are dropped (the next owner reads them again from the lake's
//! position).

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaResult;
use rdkafka::types::RDKafkaRespErr;
use rdkafka::{ClientContext, Offset, TopicPartitionList};

use super::metrics::Metrics;
use crate::lake::{Lake, writer};

/// A partition this process owns, since which assignment, from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assigned {
    /// Distinguishes successive assignments of the same partition.
    pub generation: u64,
    /// Where the lake's chain continues (the first offset to write).
    pub from: i64,
}

/// The partitions this process owns now; shared by the rebalance callback
/// and the consume loop.
#[derive(Debug, Default)]
pub struct Assignments {
    owned: Mutex<HashMap<(String, i32), Assigned>>,
    generation: AtomicU64,
    /// Set when a partition could not be recovered; the loop stops on it.
    pub fatal: Mutex<Option<String>>,
    /// Where the lake's chain continues per partition, as far as this process knows.
    pub lake_next: Mutex<HashMap<(String, i32), i64>>,
}

impl Assignments {
    /// The current assignment of a partition.
    pub fn get(&self, key: &(String, i32)) -> Option<Assigned> {
        let owned = self.owned.lock().expect("assignments lock");
        owned.get(key).copied()
    }

    /// Every owned partition.
    pub fn all(&self) -> Vec<((String, i32), Assigned)> {
        let owned = self.owned.lock().expect("assignments lock");
        owned.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    /// Moves a partition's start after a resync, keeping its generation.
    pub fn resync(&self, topic: &str, partition: i32, generation: u64, from: i64) -> bool {
        let mut owned = self.owned.lock().expect("assignments lock");
        match owned.get_mut(&(topic.to_string(), partition)) {
            Some(a) if a.generation == generation => {
                a.from = from;
                true
            }
            _ => false,
        }
    }

    /// Records that the lake holds a partition up to `next` (exclusive).
    pub fn committed(&self, topic: &str, partition: i32, next: i64) {
        let mut map = self.lake_next.lock().expect("lake_next lock");
        let n = map.entry((topic.to_string(), partition)).or_insert(next);
        *n = (*n).max(next);
    }

    fn assign(&self, topic: &str, partition: i32, from: i64) {
        self.committed(topic, partition, from);
        let generation = self.generation.fetch_add(1, Ordering::Relaxed) + 1;
        let mut owned = self.owned.lock().expect("assignments lock");
        owned.insert(
            (topic.to_string(), partition),
            Assigned { generation, from },
        );
    }

    fn revoke(&self, topic: &str, partition: i32) {
        let mut owned = self.owned.lock().expect("assignments lock");
        owned.remove(&(topic.to_string(), partition));
    }
}

/// rdkafka context of the ingest consumer.
pub struct IngestContext {
    /// The lake partitions are recovered in.
    pub lake: Lake,
    /// Shared with the consume loop.
    pub assignments: std::sync::Arc<Assignments>,
    /// Where lag and assignment gauges go.
    pub metrics: std::sync::Arc<super::http::Health>,
}

impl ClientContext for IngestContext {
    /// librdkafka's statistics carry each partition's high watermark from
    /// fetch responses: lag without asking the brokers for offsets.
    fn stats(&self, stats: rdkafka::Statistics) {
        let owned = self.assignments.all();
        let next = self
            .assignments
            .lake_next
            .lock()
            .expect("lake_next lock")
            .clone();
        for ((topic, partition), _) in owned {
            let hi = stats
                .topics
                .get(&topic)
                .and_then(|t| t.partitions.get(&partition))
                .map_or(-1, |p| p.hi_offset);
            if let (true, Some(n)) = (hi >= 0, next.get(&(topic.clone(), partition))) {
                self.metrics
                    .metrics
                    .lag
                    .get_or_create(&Metrics::partition(&topic, partition))
                    .set((hi - n).max(0));
            }
        }
    }
}

impl IngestContext {
    /// Recovers each partition (with retries) and returns where each starts.
    fn recover_all(&self, parts: &[(String, i32)]) -> Result<Vec<i64>, String> {
        let lake = self.lake.clone();
        let run = async move {
            let mut out = Vec::with_capacity(parts.len());
            for (topic, partition) in parts {
                let mut delay = Duration::from_millis(200);
                let mut attempt = 0;
                loop {
                    match writer::recover(&lake, topic, *partition).await {
                        Ok(r) => {
                            if r.published + r.removed > 0 {
                                tracing::info!(
                                    topic = %topic, partition, published = r.published,
                                    removed = r.removed, "finished staged files"
                                );
                            }
                            out.push(r.next);
                            break;
                        }
                        Err(e) if attempt < 5 => {
                            tracing::warn!(topic = %topic, partition, error = %e, "recovering, will retry");
                            tokio::time::sleep(delay).await;
                            delay *= 2;
                            attempt += 1;
                        }
                        Err(e) => {
                            return Err(format!(
                                "recovering {topic}/{partition} in the lake failed: {e}"
                            ));
                        }
                    }
                }
            }
            Ok(out)
        };
        // The callback runs inside the consume loop's poll; lake I/O is async.
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(run))
    }

    fn count_assigned(&self) {
        let n = self.assignments.all().len();
        self.metrics.metrics.assigned.set(n as i64);
    }

    fn on_assign(&self, consumer: &BaseConsumer<Self>, tpl: &mut TopicPartitionList) {
        let parts: Vec<(String, i32)> = tpl
            .elements()
            .iter()
            .map(|e| (e.topic().to_string(), e.partition()))
            .collect();
        match self.recover_all(&parts) {
            Ok(starts) => {
                for ((topic, partition), from) in parts.iter().zip(starts) {
                    // An explicit offset, even 0: no ListOffsets round trip (slow on
                    // some brokers); a log truncated past it resets to earliest.
                    if let Err(e) =
                        tpl.set_partition_offset(topic, *partition, Offset::Offset(from))
                    {
                        tracing::error!(topic = %topic, partition, error = %e, "setting start offset");
                    }
                    self.assignments.assign(topic, *partition, from);
                    tracing::info!(topic = %topic, partition, from, "assigned; resuming from the lake");
                }
            }
            Err(why) => {
                tracing::error!(error = %why, "assignment not recovered; stopping");
                *self.assignments.fatal.lock().expect("fatal lock") = Some(why);
            }
        }
        if let Err(e) = consumer.assign(tpl) {
            tracing::error!(error = %e, "assigning partitions");
        }
        self.count_assigned();
    }
}

impl ConsumerContext for IngestContext {
    fn rebalance(
        &self,
        consumer: &BaseConsumer<Self>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.on_assign(consumer, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => {
                for e in tpl.elements() {
                    self.assignments.revoke(e.topic(), e.partition());
                    tracing::info!(topic = e.topic(), partition = e.partition(), "revoked");
                }
                if let Err(e) = consumer.unassign() {
                    tracing::error!(error = %e, "unassigning partitions");
                }
                self.count_assigned();
            }
            other => {
                tracing::error!(error = ?other, "rebalance failed");
                let _ = consumer.unassign();
            }
        }
    }

    fn commit_callback(&self, result: KafkaResult<()>, _offsets: &TopicPartitionList) {
        if let Err(e) = result {
            tracing::warn!(error = %e, "committing group offsets (lag reporting only)");
        }
    }
}
