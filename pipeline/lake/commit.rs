//! Commit records: the lake's own record of which bus positions it holds.
//!
//! A batch's data files are written first, then `_commits/{topic}/{partition}/{last}.json`.
//! On start the writer resumes after the highest committed offset and deletes
//! data files of uncommitted batches, so a crash at any point neither loses nor
//! duplicates an event.

use std::collections::HashMap;

use bytes::Bytes;
use object_store::ObjectStoreExt;
use serde::{Deserialize, Serialize};

use super::parquet_io::put;
use super::tables::EVENT_TABLES;
use super::{Error, Lake, Result};

/// What one committed batch holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Bus topic.
    pub topic: String,
    /// Bus partition.
    pub partition: i32,
    /// First offset in the batch.
    pub first: i64,
    /// Last offset in the batch (inclusive).
    pub last: i64,
    /// Events accepted into raw_events.
    pub accepted: u64,
    /// Events rejected.
    pub rejected: u64,
    /// Data files written, relative to the lake root.
    pub files: Vec<String>,
}

/// The file stem shared by every data file of one batch.
pub fn stem(topic: &str, partition: i32, first: i64, last: i64) -> String {
    format!("{topic}-{partition}-{first:020}-{last:020}")
}

/// Splits a data file name back into (topic, partition, first, last).
pub fn parse_stem(file_name: &str) -> Option<(String, i32, i64, i64)> {
    let stem = file_name.strip_suffix(".parquet")?;
    let mut parts = stem.rsplitn(4, '-');
    let last = parts.next()?.parse().ok()?;
    let first = parts.next()?.parse().ok()?;
    let partition = parts.next()?.parse().ok()?;
    Some((parts.next()?.to_string(), partition, first, last))
}

/// Records a batch as committed (after all its files are written).
pub async fn write(lake: &Lake, c: &Commit) -> Result<()> {
    let rel = format!("_commits/{}/{}/{:020}.json", c.topic, c.partition, c.last);
    let body = serde_json::to_vec(c).expect("commit serializes");
    put(lake, &rel, Bytes::from(body)).await
}

/// Every commit record in the lake.
pub async fn all(lake: &Lake) -> Result<Vec<Commit>> {
    let metas = lake.list("_commits").await?;
    let mut out = Vec::with_capacity(metas.len());
    for m in metas {
        let bytes = lake.store.get(&m.location).await?.bytes().await?;
        let c: Commit = serde_json::from_slice(&bytes).map_err(|e| Error::BadCommit {
            path: m.location.to_string(),
            why: e.to_string(),
        })?;
        out.push(c);
    }
    out.sort_by(|a, b| (&a.topic, a.partition, a.first).cmp(&(&b.topic, b.partition, b.first)));
    Ok(out)
}

/// The highest committed offset per (topic, partition).
pub async fn committed(lake: &Lake) -> Result<HashMap<(String, i32), i64>> {
    let mut out: HashMap<(String, i32), i64> = HashMap::new();
    for c in all(lake).await? {
        let e = out.entry((c.topic, c.partition)).or_insert(c.last);
        *e = (*e).max(c.last);
    }
    Ok(out)
}

/// The next offset to read per (topic, partition): one past the highest committed.
pub async fn next_offsets(lake: &Lake) -> Result<HashMap<(String, i32), i64>> {
    Ok(committed(lake)
        .await?
        .into_iter()
        .map(|(k, v)| (k, v + 1))
        .collect())
}

/// Deletes data files of `topic`/`partition` that start after `committed`
/// (left by a batch that crashed before its commit record). Returns how many.
pub async fn remove_uncommitted(
    lake: &Lake,
    topic: &str,
    partition: i32,
    committed: Option<i64>,
) -> Result<usize> {
    let mut removed = 0;
    for table in EVENT_TABLES {
        for f in lake.list(table).await? {
            let Some(name) = f.location.filename() else {
                continue;
            };
            let Some((t, p, first, _)) = parse_stem(name) else {
                continue;
            };
            if t == topic && p == partition && committed.is_none_or(|c| first > c) {
                lake.store.delete(&f.location).await?;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_round_trip_with_dots_and_dashes_in_topics() {
        let s = stem("settle.stripe-events", 3, 10, 19);
        assert_eq!(
            s,
            "settle.stripe-events-3-00000000000000000010-00000000000000000019"
        );
        assert_eq!(
            parse_stem(&format!("{s}.parquet")),
            Some(("settle.stripe-events".into(), 3, 10, 19))
        );
        assert_eq!(parse_stem("junk.parquet"), None);
    }
}
