//! One batch into the lake, exactly once: encode every table's files, stage
//! them, create the batch's commit record (only one writer can), then move
//! the files into their table folders. [`recover`] finishes what a crashed or
//! fenced writer left behind.

use bytes::Bytes;
use object_store::ObjectStoreExt;

use super::batch::Rows;
use super::commit::{self, Commit};
use super::parquet_io::{encode_table, put};
use super::{Lake, Result};

/// Encodes all tables of a batch's rows under one file stem: (path, bytes).
/// Each table's rows are freed as soon as its files are encoded.
pub fn encode_rows(mut rows: Rows, stem: &str) -> Result<Vec<(String, Bytes)>> {
    let mut files = encode_table(std::mem::take(&mut rows.raw), stem)?;
    files.extend(encode_table(std::mem::take(&mut rows.rejected), stem)?);
    files.extend(encode_typed(rows, stem)?);
    Ok(files)
}

/// Encodes the typed tables of a batch's rows under one file stem.
pub fn encode_typed(rows: Rows, stem: &str) -> Result<Vec<(String, Bytes)>> {
    let mut files = encode_table(rows.payments, stem)?;
    files.extend(encode_table(rows.refunds, stem)?);
    files.extend(encode_table(rows.invoices, stem)?);
    files.extend(encode_table(rows.customers, stem)?);
    files.extend(encode_table(rows.orders, stem)?);
    files.extend(encode_table(rows.order_lines, stem)?);
    files.extend(encode_table(rows.tracking, stem)?);
    files.extend(encode_table(rows.remittances, stem)?);
    Ok(files)
}

/// The staging folder of one partition.
pub fn staging_dir(topic: &str, partition: i32) -> String {
    format!("_staging/{topic}/{partition}")
}

/// Where a batch's file waits until its commit record exists: one flat
/// folder per partition, `{from}.{writer}.{final path with / as +}`.
pub fn staged(topic: &str, partition: i32, from: i64, writer: &str, rel: &str) -> String {
    format!(
        "{}/{from:020}.{writer}.{}",
        staging_dir(topic, partition),
        rel.replace('/', "+")
    )
}

fn parse_staged(name: &str) -> Option<(i64, &str, String)> {
    let mut parts = name.splitn(3, '.');
    let from = parts.next()?.parse().ok()?;
    let writer = parts.next()?;
    Some((from, writer, parts.next()?.replace('+', "/")))
}

/// A batch of one partition, decoded and encoded, ready to commit.
#[derive(Debug, Clone)]
pub struct Encoded {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Chain position the batch starts at.
    pub from: i64,
    /// First offset in the batch.
    pub first: i64,
    /// Last offset in the batch.
    pub last: i64,
    /// Accepted events.
    pub accepted: u64,
    /// Rejected events.
    pub rejected: u64,
    /// (final path, bytes) of every data file.
    pub files: Vec<(String, Bytes)>,
}

impl Encoded {
    /// Decodes nothing itself: encodes `rows` for the batch `from..=last`.
    pub fn new(
        topic: &str,
        partition: i32,
        from: i64,
        range: (i64, i64),
        rows: Rows,
    ) -> Result<Self> {
        let (first, last) = range;
        Ok(Encoded {
            topic: topic.to_string(),
            partition,
            from,
            first,
            last,
            accepted: rows.raw.len() as u64,
            rejected: rows.rejected.len() as u64,
            files: encode_rows(rows, &commit::stem(topic, partition, first, last))?,
        })
    }
}

/// What became of a batch.
#[derive(Debug)]
pub enum Outcome {
    /// The batch is in the lake.
    Committed(Commit),
    /// Another writer committed this chain position first; nothing was kept.
    Fenced,
}

/// Stages, commits and publishes one batch as `writer`.
pub async fn write_batch(lake: &Lake, batch: Encoded, writer: &str) -> Result<Outcome> {
    let Encoded {
        topic,
        partition,
        from,
        first,
        last,
        accepted,
        rejected,
        files,
    } = batch;
    let mut names = Vec::with_capacity(files.len());
    let mut bytes = 0;
    for (rel, body) in files {
        bytes += body.len() as u64;
        put(lake, &staged(&topic, partition, from, writer, &rel), body).await?;
        names.push(rel);
    }
    let c = Commit {
        topic,
        partition,
        from,
        first,
        last,
        accepted,
        rejected,
        files: names,
        bytes,
        writer: writer.to_string(),
        committed_at: chrono::Utc::now().timestamp_micros(),
    };
    if !commit::create(lake, &c).await? {
        for rel in &c.files {
            delete_if_present(lake, &staged(&c.topic, partition, from, writer, rel)).await?;
        }
        return Ok(Outcome::Fenced);
    }
    publish(lake, &c).await?;
    Ok(Outcome::Committed(c))
}

/// Moves a committed batch's staged files into their table folders. Safe to
/// run twice or from two processes at once.
pub async fn publish(lake: &Lake, c: &Commit) -> Result<()> {
    for rel in &c.files {
        let from = lake.path(&staged(&c.topic, c.partition, c.from, &c.writer, rel));
        let to = lake.path(rel);
        match lake.store.rename(&from, &to).await {
            Ok(()) => {}
            Err(object_store::Error::NotFound { .. }) => {
                // Moved already (by us before a crash, or by another process).
                lake.store.head(&to).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

async fn delete_if_present(lake: &Lake, rel: &str) -> Result<()> {
    match lake.store.delete(&lake.path(rel)).await {
        Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// What [`recover`] found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Recovered {
    /// Where the partition's next batch starts.
    pub next: i64,
    /// Staged files of committed batches moved into place.
    pub published: usize,
    /// Staged files of batches that lost their chain position, deleted.
    pub removed: usize,
}

/// Finishes a partition's staging (see [`cleanup`]) and returns where its
/// next batch starts.
pub async fn recover(lake: &Lake, topic: &str, partition: i32) -> Result<Recovered> {
    let mut out = cleanup(lake, topic, partition).await?;
    out.next = commit::next_offset(lake, topic, partition).await?;
    Ok(out)
}

/// Finishes a partition's staging: files of committed batches are moved into
/// place; files of batches whose chain position another writer holds are
/// deleted. Files of batches not yet decided (a writer may still be at work)
/// are left alone.
pub async fn cleanup(lake: &Lake, topic: &str, partition: i32) -> Result<Recovered> {
    let mut out = Recovered::default();
    // (from, writer) -> staged files, in chain order.
    let mut groups: std::collections::BTreeMap<(i64, String), Vec<String>> = Default::default();
    for m in lake.list(&staging_dir(topic, partition)).await? {
        if let Some((from, writer, rel)) = m.location.filename().and_then(parse_staged) {
            groups
                .entry((from, writer.to_string()))
                .or_default()
                .push(rel);
        }
    }
    for ((from, writer), files) in groups {
        match commit::get(lake, topic, partition, from).await? {
            Some(c) if c.writer == writer => {
                publish(lake, &c).await?;
                out.published += files.len();
            }
            Some(_) => {
                for rel in &files {
                    delete_if_present(lake, &staged(topic, partition, from, &writer, rel)).await?;
                }
                out.removed += files.len();
            }
            None => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_names_round_trip() {
        let s = staged(
            "settle.orders",
            1,
            42,
            "w1",
            "orders/date=2026-01-02/x-1-2.parquet",
        );
        let name = s.rsplit('/').next().unwrap();
        assert_eq!(
            parse_staged(name),
            Some((42, "w1", "orders/date=2026-01-02/x-1-2.parquet".to_string()))
        );
    }
}
