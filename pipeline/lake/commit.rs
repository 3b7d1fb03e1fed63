//! Commit records: the lake's own record of which bus positions it holds.
//!
//! Per topic partition the records form a chain: each batch starts (`from`)
//! one past the previous batch's `last`, and its record is created at
//! `_commits/{topic}/{partition}/{from:020}.json` with a create-if-absent PUT.
//! Two writers that both think they own a partition (a rebalance in flight, a
//! stale process) race for the same name; exactly one wins, the other drops
//! its batch. The record lists the batch's files, which are staged first and
//! moved into the table folders only after the record exists (see
//! [`super::writer`]), so readers never see a file of an uncommitted batch.

use std::collections::HashMap;

use bytes::Bytes;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde::{Deserialize, Serialize};

use super::{Error, Lake, Result};

/// What one committed batch holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commit {
    /// Bus topic.
    pub topic: String,
    /// Bus partition.
    pub partition: i32,
    /// Where the batch starts in the chain: one past the previous batch's `last`.
    pub from: i64,
    /// First offset in the batch.
    pub first: i64,
    /// Last offset in the batch (inclusive).
    pub last: i64,
    /// Events accepted into raw_events.
    pub accepted: u64,
    /// Events rejected.
    pub rejected: u64,
    /// Data files, relative to the lake root (their final places).
    pub files: Vec<String>,
    /// Bytes of all data files.
    pub bytes: u64,
    /// The writer that staged the files (names its staging files).
    pub writer: String,
    /// When the record was written, microseconds since the epoch.
    pub committed_at: i64,
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

/// The folder of one partition's records.
pub fn dir(topic: &str, partition: i32) -> String {
    format!("_commits/{topic}/{partition}")
}

/// The record of the batch starting at `from`.
pub fn path(topic: &str, partition: i32, from: i64) -> String {
    format!("{}/{from:020}.json", dir(topic, partition))
}

/// Creates `c`'s record unless one already starts at `c.from`. Returns false
/// when another writer got there first (this batch must be dropped).
pub async fn create(lake: &Lake, c: &Commit) -> Result<bool> {
    let body = serde_json::to_vec(c).expect("commit serializes");
    let opts = PutOptions {
        mode: PutMode::Create,
        ..Default::default()
    };
    let at = lake.path(&path(&c.topic, c.partition, c.from));
    match lake
        .store
        .put_opts(&at, PutPayload::from_bytes(Bytes::from(body)), opts)
        .await
    {
        Ok(_) => Ok(true),
        Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

async fn read(lake: &Lake, location: &object_store::path::Path) -> Result<Commit> {
    let bytes = lake.store.get(location).await?.bytes().await?;
    serde_json::from_slice(&bytes).map_err(|e| Error::BadCommit {
        path: location.to_string(),
        why: e.to_string(),
    })
}

/// The record of the batch starting at `from`, if any.
pub async fn get(lake: &Lake, topic: &str, partition: i32, from: i64) -> Result<Option<Commit>> {
    match read(lake, &lake.path(&path(topic, partition, from))).await {
        Ok(c) => Ok(Some(c)),
        Err(Error::Store(object_store::Error::NotFound { .. })) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The newest record of one partition (the end of its chain), if any:
/// one LIST and one GET, however long the chain.
pub async fn newest(lake: &Lake, topic: &str, partition: i32) -> Result<Option<Commit>> {
    let metas = lake.list(&dir(topic, partition)).await?;
    match metas.iter().max_by(|a, b| a.location.cmp(&b.location)) {
        Some(m) => Ok(Some(read(lake, &m.location).await?)),
        None => Ok(None),
    }
}

/// Where the next batch of a partition starts: one past the chain's end.
pub async fn next_offset(lake: &Lake, topic: &str, partition: i32) -> Result<i64> {
    Ok(newest(lake, topic, partition)
        .await?
        .map_or(0, |c| c.last + 1))
}

/// Every commit record in the lake.
pub async fn all(lake: &Lake) -> Result<Vec<Commit>> {
    let metas = lake.list("_commits").await?;
    let mut out = Vec::with_capacity(metas.len());
    for m in metas {
        out.push(read(lake, &m.location).await?);
    }
    out.sort_by(|a, b| (&a.topic, a.partition, a.first).cmp(&(&b.topic, b.partition, b.first)));
    Ok(out)
}

/// The highest committed offset per (topic, partition).
pub async fn committed(lake: &Lake) -> Result<HashMap<(String, i32), i64>> {
    Ok(newest_per_partition(lake)
        .await?
        .into_iter()
        .map(|(k, c)| (k, c.last))
        .collect())
}

/// The newest record per (topic, partition).
pub async fn newest_per_partition(lake: &Lake) -> Result<HashMap<(String, i32), Commit>> {
    let metas = lake.list("_commits").await?;
    let mut newest: HashMap<(String, i32), object_store::path::Path> = HashMap::new();
    for m in metas {
        let parts: Vec<_> = m.location.parts().collect();
        let n = parts.len();
        if n < 3 {
            continue;
        }
        let (Some(topic), Ok(partition)) = (
            Some(parts[n - 3].as_ref().to_string()),
            parts[n - 2].as_ref().parse::<i32>(),
        ) else {
            continue;
        };
        let e = newest
            .entry((topic, partition))
            .or_insert(m.location.clone());
        if m.location > *e {
            *e = m.location;
        }
    }
    let mut out = HashMap::with_capacity(newest.len());
    for (k, loc) in newest {
        out.insert(k, read(lake, &loc).await?);
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

    fn record(from: i64, last: i64, writer: &str) -> Commit {
        Commit {
            topic: "t.x".into(),
            partition: 2,
            from,
            first: from,
            last,
            accepted: (last - from + 1) as u64,
            rejected: 0,
            files: vec![],
            bytes: 0,
            writer: writer.into(),
            committed_at: 0,
        }
    }

    #[tokio::test]
    async fn only_one_writer_creates_a_chain_position() {
        let lake = Lake::open("memory://").unwrap();
        assert!(create(&lake, &record(0, 9, "a")).await.unwrap());
        assert!(!create(&lake, &record(0, 4, "b")).await.unwrap());
        assert!(create(&lake, &record(10, 19, "a")).await.unwrap());
        assert_eq!(get(&lake, "t.x", 2, 0).await.unwrap().unwrap().writer, "a");
        assert_eq!(next_offset(&lake, "t.x", 2).await.unwrap(), 20);
        assert_eq!(next_offset(&lake, "t.x", 3).await.unwrap(), 0);
        assert_eq!(committed(&lake).await.unwrap()[&("t.x".into(), 2)], 19);
    }
}
