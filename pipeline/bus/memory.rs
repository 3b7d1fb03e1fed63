//! In-process bus for the embedded default and tests: partitioned, ordered,
//! acknowledged on return. Offsets can start where the lake left off.

use std::collections::HashMap;

use async_trait::async_trait;
use tokio::sync::RwLock;

use super::{Error, EventBus, Message, Record, Result, partition_for};

#[derive(Default)]
struct Log {
    base: i64,
    messages: Vec<Message>,
}

/// An in-memory partitioned log.
pub struct MemoryBus {
    partitions: i32,
    start: HashMap<(String, i32), i64>,
    topics: RwLock<HashMap<String, Vec<Log>>>,
}

impl MemoryBus {
    /// A bus whose topics have `partitions` partitions, all starting at offset 0.
    pub fn new(partitions: i32) -> Self {
        Self::with_start_offsets(partitions, HashMap::new())
    }

    /// A bus whose partitions start at the given offsets (the lake's next offsets),
    /// so positions never repeat across runs writing to one lake.
    pub fn with_start_offsets(partitions: i32, start: HashMap<(String, i32), i64>) -> Self {
        MemoryBus {
            partitions: partitions.max(1),
            start,
            topics: RwLock::new(HashMap::new()),
        }
    }

    fn new_logs(&self, topic: &str) -> Vec<Log> {
        (0..self.partitions)
            .map(|p| Log {
                base: self
                    .start
                    .get(&(topic.to_string(), p))
                    .copied()
                    .unwrap_or(0),
                messages: Vec::new(),
            })
            .collect()
    }
}

#[async_trait]
impl EventBus for MemoryBus {
    async fn publish(&self, topic: &str, records: Vec<Record>) -> Result<()> {
        let mut topics = self.topics.write().await;
        if !topics.contains_key(topic) {
            let logs = self.new_logs(topic);
            topics.insert(topic.to_string(), logs);
        }
        let logs = topics.get_mut(topic).expect("inserted above");
        for r in records {
            let partition = partition_for(&r.key, self.partitions);
            let log = &mut logs[partition as usize];
            let offset = log.base + log.messages.len() as i64;
            log.messages.push(Message {
                topic: topic.to_string(),
                partition,
                offset,
                key: r.key,
                meta: r.meta,
                payload: r.payload,
            });
        }
        Ok(())
    }

    async fn partitions(&self, _topic: &str) -> Result<i32> {
        Ok(self.partitions)
    }

    async fn fetch(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max: usize,
    ) -> Result<Vec<Message>> {
        let topics = self.topics.read().await;
        let Some(logs) = topics.get(topic) else {
            return Ok(Vec::new());
        };
        let log = logs
            .get(partition as usize)
            .ok_or_else(|| Error::UnknownPartition {
                topic: topic.to_string(),
                partition,
            })?;
        let from = (offset - log.base).max(0) as usize;
        Ok(log.messages.iter().skip(from).take(max).cloned().collect())
    }

    async fn end_offset(&self, topic: &str, partition: i32) -> Result<i64> {
        let topics = self.topics.read().await;
        Ok(
            match topics.get(topic).and_then(|l| l.get(partition as usize)) {
                Some(log) => log.base + log.messages.len() as i64,
                None => self
                    .start
                    .get(&(topic.to_string(), partition))
                    .copied()
                    .unwrap_or(0),
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::Meta;
    use crate::events::Kind;

    fn rec(key: &str) -> Record {
        Record {
            key: key.into(),
            meta: Meta {
                kind: Kind::Order,
                store_id: "s".into(),
                origin: "t".into(),
                received_at: 0,
                refusal: None,
            },
            payload: bytes::Bytes::from_static(b"{}"),
        }
    }

    #[tokio::test]
    async fn keeps_one_key_in_one_partition_in_order_from_the_start_offset() {
        let p = partition_for("order-1", 4);
        let bus = MemoryBus::with_start_offsets(4, HashMap::from([(("t".to_string(), p), 100)]));
        bus.publish("t", vec![rec("order-1"), rec("order-2"), rec("order-1")])
            .await
            .unwrap();
        let got = bus.fetch("t", p, 0, 10).await.unwrap();
        let mine: Vec<_> = got
            .iter()
            .filter(|m| m.key == "order-1")
            .map(|m| m.offset)
            .collect();
        assert_eq!(mine.len(), 2);
        assert!(mine[0] >= 100 && mine[0] < mine[1]);
        assert_eq!(
            bus.end_offset("t", p).await.unwrap(),
            100 + got.len() as i64
        );
    }
}
