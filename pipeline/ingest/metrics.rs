//! Ingest metrics in the Prometheus text format, named
//! `settle_ingest_<what>_<unit>`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// Per-topic label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TopicLabel {
    /// Topic.
    pub topic: String,
}

/// Per-partition label.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartitionLabel {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
}

/// Every ingest metric.
pub struct Metrics {
    registry: Registry,
    /// Events read from the bus (duplicates of already-written offsets excluded).
    pub consumed: Family<TopicLabel, Counter>,
    /// Events committed to raw_events.
    pub written: Family<TopicLabel, Counter>,
    /// Events committed to rejected (and sent to the DLQ).
    pub rejected: Family<TopicLabel, Counter>,
    /// Data files committed.
    pub files: Counter,
    /// Bytes of data files committed.
    pub bytes: Counter,
    /// Batches dropped because another writer held their chain position.
    pub fenced: Counter,
    /// Seconds from a batch's close to its files being visible.
    pub batch_seconds: Histogram,
    /// Broker end offset minus the lake's next offset.
    pub lag: Family<PartitionLabel, Gauge>,
    /// Newest offset committed in the lake.
    pub committed: Family<PartitionLabel, Gauge>,
    /// Partitions this process owns.
    pub assigned: Gauge,
    /// Offsets missing on the broker that were skipped (retention, compaction).
    pub gaps: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let m = Metrics {
            consumed: Family::default(),
            written: Family::default(),
            rejected: Family::default(),
            files: Counter::default(),
            bytes: Counter::default(),
            fenced: Counter::default(),
            batch_seconds: Histogram::new(exponential_buckets(0.005, 2.0, 14)),
            lag: Family::default(),
            committed: Family::default(),
            assigned: Gauge::default(),
            gaps: Counter::default(),
            registry: Registry::default(),
        };
        let r = &mut registry;
        r.register(
            "settle_ingest_events_consumed",
            "Events read from the bus",
            m.consumed.clone(),
        );
        r.register(
            "settle_ingest_events_written",
            "Events committed to raw_events",
            m.written.clone(),
        );
        r.register(
            "settle_ingest_events_rejected",
            "Events committed to rejected and sent to the DLQ",
            m.rejected.clone(),
        );
        r.register(
            "settle_ingest_files_written",
            "Parquet files committed",
            m.files.clone(),
        );
        r.register(
            "settle_ingest_bytes_written",
            "Bytes of Parquet files committed",
            m.bytes.clone(),
        );
        r.register(
            "settle_ingest_batches_fenced",
            "Batches dropped because another writer committed their position first",
            m.fenced.clone(),
        );
        r.register(
            "settle_ingest_batch_seconds",
            "Time from a batch closing to its files being visible in the lake",
            m.batch_seconds.clone(),
        );
        r.register(
            "settle_ingest_consumer_lag_events",
            "Broker end offset minus the lake's next offset",
            m.lag.clone(),
        );
        r.register(
            "settle_ingest_committed_offset",
            "Newest offset committed in the lake",
            m.committed.clone(),
        );
        r.register(
            "settle_ingest_assigned_partitions",
            "Partitions this process owns",
            m.assigned.clone(),
        );
        r.register(
            "settle_ingest_offset_gaps",
            "Offset ranges missing on the broker and skipped",
            m.gaps.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The Prometheus/OpenMetrics text exposition.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }

    /// Labels for a topic.
    pub fn topic(topic: &str) -> TopicLabel {
        TopicLabel {
            topic: topic.to_string(),
        }
    }

    /// Labels for a partition.
    pub fn partition(topic: &str, partition: i32) -> PartitionLabel {
        PartitionLabel {
            topic: topic.to_string(),
            partition,
        }
    }
}
