//! `settle status`: per partition, the broker's end offset, the newest offset
//! committed in the lake (and when), the ingest group's offset and the lag.

use std::time::Duration;

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{Offset, TopicPartitionList};

use super::Result;
use crate::bus::kafka::KafkaConfig;
use crate::lake::{Lake, commit};

/// One partition's position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// The broker's end offset (next offset to be written), if known.
    pub end: Option<i64>,
    /// Newest offset committed in the lake.
    pub lake_last: Option<i64>,
    /// When that commit happened (UTC, RFC 3339).
    pub lake_committed_at: Option<String>,
    /// The ingest group's committed offset.
    pub group: Option<i64>,
}

impl Position {
    /// Events on the broker not yet in the lake.
    pub fn lag(&self) -> Option<i64> {
        Some(self.end? - self.lake_last.map_or(0, |l| l + 1))
    }
}

/// Positions of every partition of `topics`; broker figures when `kafka` is set.
pub async fn positions(
    lake: &Lake,
    topics: &[String],
    kafka: Option<(&KafkaConfig, &str)>,
) -> Result<Vec<Position>> {
    let newest = commit::newest_per_partition(lake).await?;
    let mut out = Vec::new();
    let broker = match kafka {
        Some((cfg, group)) => {
            let consumer: BaseConsumer = cfg
                .consumer_client()
                .set("group.id", group)
                .set("enable.auto.commit", "false")
                .create()?;
            let topics = topics.to_vec();
            Some(
                tokio::task::spawn_blocking(move || broker_positions(&consumer, &topics))
                    .await
                    .expect("status task panicked")?,
            )
        }
        None => None,
    };
    let mut keys: Vec<(String, i32)> = newest.keys().cloned().collect();
    if let Some(b) = &broker {
        keys.extend(b.iter().map(|(t, p, _, _)| (t.clone(), *p)));
    }
    keys.retain(|(t, _)| topics.contains(t));
    keys.sort();
    keys.dedup();
    for (topic, partition) in keys {
        let c = newest.get(&(topic.clone(), partition));
        let b = broker
            .as_ref()
            .and_then(|b| b.iter().find(|(t, p, _, _)| *t == topic && *p == partition));
        out.push(Position {
            end: b.map(|x| x.2),
            group: b.and_then(|x| x.3),
            lake_last: c.map(|c| c.last),
            lake_committed_at: c.and_then(|c| {
                chrono::DateTime::from_timestamp_micros(c.committed_at)
                    .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            }),
            topic,
            partition,
        });
    }
    Ok(out)
}

type BrokerPosition = (String, i32, i64, Option<i64>);

fn broker_positions(consumer: &BaseConsumer, topics: &[String]) -> Result<Vec<BrokerPosition>> {
    let timeout = Duration::from_secs(10);
    let mut tpl = TopicPartitionList::new();
    let mut out = Vec::new();
    for topic in topics {
        let md = consumer.fetch_metadata(Some(topic), timeout)?;
        for t in md.topics() {
            for p in t.partitions() {
                let (_, high) = consumer.fetch_watermarks(topic, p.id(), timeout)?;
                out.push((topic.clone(), p.id(), high, None));
                tpl.add_partition(topic, p.id());
            }
        }
    }
    if tpl.count() > 0 {
        let committed = consumer.committed_offsets(tpl, timeout)?;
        for e in committed.elements() {
            if let Offset::Offset(o) = e.offset()
                && let Some(row) = out
                    .iter_mut()
                    .find(|r| r.0 == e.topic() && r.1 == e.partition())
            {
                row.3 = Some(o);
            }
        }
    }
    Ok(out)
}

/// The positions as an aligned text table.
pub fn render(rows: &[Position]) -> String {
    let opt = |v: Option<i64>| v.map_or("-".to_string(), |v| v.to_string());
    let mut lines = vec![[
        "topic".to_string(),
        "partition".into(),
        "broker_end".into(),
        "lake_last".into(),
        "lag".into(),
        "group_offset".into(),
        "lake_committed_at".into(),
    ]];
    for r in rows {
        lines.push([
            r.topic.clone(),
            r.partition.to_string(),
            opt(r.end),
            opt(r.lake_last),
            opt(r.lag()),
            opt(r.group),
            r.lake_committed_at.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    let widths: Vec<usize> = (0..7)
        .map(|i| lines.iter().map(|l| l[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for l in &lines {
        let cells: Vec<String> = l
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if i == 0 || i == 6 {
                    format!("{c:<w$}", w = widths[i])
                } else {
                    format!("{c:>w$}", w = widths[i])
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lag_counts_events_not_yet_in_the_lake() {
        let p = Position {
            topic: "settle.orders".into(),
            partition: 0,
            end: Some(100),
            lake_last: Some(89),
            lake_committed_at: None,
            group: Some(90),
        };
        assert_eq!(p.lag(), Some(10));
        let empty = Position {
            lake_last: None,
            ..p.clone()
        };
        assert_eq!(empty.lag(), Some(100));
        let text = render(&[p]);
        assert!(text.starts_with("topic"), "{text}");
        assert!(
            text.contains("settle.orders          0         100         89   10            90  -"),
            "{text}"
        );
    }
}
