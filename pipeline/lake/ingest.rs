//! Bus to lake: read each topic partition from where the lake left off,
//! decode, write every table's files, then commit.

use std::sync::Arc;

use indicatif::ProgressBar;

use super::batch::Rows;
use super::commit::{self, Commit};
use super::parquet_io::write_table;
use super::{Lake, Result};
use crate::bus::EventBus;

/// Writes all tables of a batch's rows under one file stem. Returns the files.
pub async fn write_rows(lake: &Lake, rows: &Rows, stem: &str) -> Result<Vec<String>> {
    let mut files = write_table(lake, &rows.raw, stem).await?;
    files.extend(write_table(lake, &rows.rejected, stem).await?);
    files.extend(write_typed(lake, rows, stem).await?);
    Ok(files)
}

/// Writes the typed tables of a batch's rows under one file stem.
pub async fn write_typed(lake: &Lake, rows: &Rows, stem: &str) -> Result<Vec<String>> {
    let mut files = write_table(lake, &rows.payments, stem).await?;
    files.extend(write_table(lake, &rows.refunds, stem).await?);
    files.extend(write_table(lake, &rows.invoices, stem).await?);
    files.extend(write_table(lake, &rows.customers, stem).await?);
    files.extend(write_table(lake, &rows.orders, stem).await?);
    files.extend(write_table(lake, &rows.order_lines, stem).await?);
    files.extend(write_table(lake, &rows.tracking, stem).await?);
    files.extend(write_table(lake, &rows.remittances, stem).await?);
    Ok(files)
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

/// Reads every partition of `topics` from the lake's next offset to the bus's
/// current end, in batches of at most `max_rows`, writing and committing each.
pub async fn drain(
    bus: Arc<dyn EventBus>,
    lake: &Lake,
    topics: &[String],
    max_rows: usize,
    progress: Option<ProgressBar>,
) -> Result<Drained> {
    let next = commit::next_offsets(lake).await?;
    let mut tasks = tokio::task::JoinSet::new();
    for topic in topics {
        for partition in 0..bus.partitions(topic).await? {
            let start = next.get(&(topic.clone(), partition)).copied();
            let (bus, lake, topic, progress) =
                (bus.clone(), lake.clone(), topic.clone(), progress.clone());
            tasks.spawn(async move {
                commit::remove_uncommitted(&lake, &topic, partition, start.map(|s| s - 1)).await?;
                drain_partition(
                    &*bus,
                    &lake,
                    &topic,
                    partition,
                    start.unwrap_or(0),
                    max_rows,
                    progress,
                )
                .await
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

async fn drain_partition(
    bus: &dyn EventBus,
    lake: &Lake,
    topic: &str,
    partition: i32,
    mut offset: i64,
    max_rows: usize,
    progress: Option<ProgressBar>,
) -> Result<Drained> {
    let end = bus.end_offset(topic, partition).await?;
    let mut total = Drained::default();
    while offset < end {
        let msgs = bus.fetch(topic, partition, offset, max_rows).await?;
        let (Some(first), Some(last)) = (msgs.first(), msgs.last()) else {
            break;
        };
        let (first, last) = (first.offset, last.offset);
        let count = msgs.len() as u64;
        let rows = tokio::task::spawn_blocking(move || {
            let mut rows = Rows::default();
            for m in &msgs {
                rows.add_message(m);
            }
            rows
        })
        .await
        .expect("decode task panicked");
        let stem = commit::stem(topic, partition, first, last);
        let files = write_rows(lake, &rows, &stem).await?;
        let c = Commit {
            topic: topic.to_string(),
            partition,
            first,
            last,
            accepted: rows.raw.len() as u64,
            rejected: rows.rejected.len() as u64,
            files,
        };
        commit::write(lake, &c).await?;
        total.accepted += c.accepted;
        total.rejected += c.rejected;
        total.batches += 1;
        if let Some(p) = &progress {
            p.inc(count);
        }
        offset = last + 1;
    }
    Ok(total)
}
