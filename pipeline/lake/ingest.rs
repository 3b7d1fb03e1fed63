//! Bus to lake, once through: read each topic partition from where the lake
//! left off to the bus's current end, decode, and write batch by batch
//! (the embedded default and `settle load`; `settle ingest` is the daemon).

use std::sync::Arc;

use indicatif::ProgressBar;

use super::batch::Rows;
use super::parquet_io::put;
use super::writer::{self, Encoded, Outcome, encode_rows, encode_typed};
use super::{Error, Lake, Result};
use crate::bus::EventBus;

/// Writes all tables of a batch's rows under one file stem, directly into
/// the table folders (no commit). Returns the files.
pub async fn write_rows(lake: &Lake, rows: Rows, stem: &str) -> Result<Vec<String>> {
    put_all(lake, encode_rows(rows, stem)?).await
}

/// Writes the typed tables of a batch's rows under one file stem, directly.
pub async fn write_typed(lake: &Lake, rows: Rows, stem: &str) -> Result<Vec<String>> {
    put_all(lake, encode_typed(rows, stem)?).await
}

async fn put_all(lake: &Lake, files: Vec<(String, bytes::Bytes)>) -> Result<Vec<String>> {
    let mut out = Vec::with_capacity(files.len());
    for (rel, bytes) in files {
        put(lake, &rel, bytes).await?;
        out.push(rel);
    }
    Ok(out)
}

/// Totals of one drain.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drained {
    /// Events written to raw_events.
    pub accepted: u64,
    /// Events written to rejected.
    pub rejected: u64,
    /// Batches committed.
    pub batches: u64,
}

/// How a drain batches and limits events.
#[derive(Debug, Clone, Copy)]
pub struct DrainOptions {
    /// A batch holds at most this many events.
    pub max_rows: usize,
    /// Bodies above this many bytes are rejected.
    pub max_event_bytes: usize,
}

impl DrainOptions {
    /// Batches of `max_rows`, the default body limit.
    pub fn rows(max_rows: usize) -> Self {
        DrainOptions {
            max_rows,
            max_event_bytes: crate::config::IngestSettings::default().max_event_bytes,
        }
    }
}

/// A fresh writer name: names this process's staged files.
pub fn writer_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Reads every partition of `topics` from the lake's next offset to the bus's
/// current end, in batches, writing and committing each.
pub async fn drain(
    bus: Arc<dyn EventBus>,
    lake: &Lake,
    topics: &[String],
    opts: DrainOptions,
    progress: Option<ProgressBar>,
) -> Result<Drained> {
    let me = writer_id();
    let mut tasks = tokio::task::JoinSet::new();
    for topic in topics {
        for partition in 0..bus.partitions(topic).await? {
            let (bus, lake, topic, progress, me) = (
                bus.clone(),
                lake.clone(),
                topic.clone(),
                progress.clone(),
                me.clone(),
            );
            tasks.spawn(async move {
                let start = writer::recover(&lake, &topic, partition).await?.next;
                let part = Partition {
                    bus: &*bus,
                    lake: &lake,
                    topic: &topic,
                    partition,
                    writer: &me,
                };
                part.drain(start, opts, progress).await
            });
        }
    }
    let mut total = Drained::default();
    while let Some(joined) = tasks.join_next().await {
        let d = joined.expect("drain task panicked")?;
        total.accepted += d.accepted;
        total.rejected += d.rejected;
        total.batches += d.batches;
    }
    Ok(total)
}

struct Partition<'a> {
    bus: &'a dyn EventBus,
    lake: &'a Lake,
    topic: &'a str,
    partition: i32,
    writer: &'a str,
}

impl Partition<'_> {
    async fn drain(
        &self,
        mut from: i64,
        opts: DrainOptions,
        progress: Option<ProgressBar>,
    ) -> Result<Drained> {
        let end = self.bus.end_offset(self.topic, self.partition).await?;
        let mut total = Drained::default();
        while from < end {
            let msgs = self
                .bus
                .fetch(self.topic, self.partition, from, opts.max_rows)
                .await?;
            let (Some(first), Some(last)) = (msgs.first(), msgs.last()) else {
                break;
            };
            let range = (first.offset, last.offset);
            let count = msgs.len() as u64;
            let (topic, partition) = (self.topic.to_string(), self.partition);
            let batch = tokio::task::spawn_blocking(move || {
                let mut rows = Rows::default();
                for m in msgs {
                    rows.add_message(m, opts.max_event_bytes);
                }
                Encoded::new(&topic, partition, from, range, rows)
            })
            .await
            .expect("encode task panicked")?;
            match writer::write_batch(self.lake, batch, self.writer).await? {
                Outcome::Committed(c) => {
                    total.accepted += c.accepted;
                    total.rejected += c.rejected;
                    total.batches += 1;
                }
                Outcome::Fenced => {
                    return Err(Error::Fenced {
                        topic: self.topic.to_string(),
                        partition: self.partition,
                        from,
                    });
                }
            }
            if let Some(p) = &progress {
                p.inc(count);
            }
            from = range.1 + 1;
        }
        // Staged files of a crashed writer at a position this drain now holds.
        writer::cleanup(self.lake, self.topic, self.partition).await?;
        Ok(total)
    }
}
