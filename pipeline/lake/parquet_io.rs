//! Rows to Arrow to Parquet (zstd) in object storage, one file per date partition.

use std::collections::BTreeMap;

use bytes::Bytes;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::{EnabledStatistics, WriterProperties};
use datafusion::parquet::schema::types::ColumnPath;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};

use super::table::{Micros, Table};
use super::{Lake, Result};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// The `YYYY-MM-DD` (UTC) of a timestamp.
pub fn date_of(t: Micros) -> String {
    let days = t.0.div_euclid(MICROS_PER_DAY);
    let date = chrono::NaiveDate::default() + chrono::Days::new(days.max(0) as u64);
    date.format("%Y-%m-%d").to_string()
}

/// Rows of one table as an Arrow batch with the table's schema.
pub fn to_batch<T: Table>(rows: &[&T]) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(T::schema(), T::arrays(rows))?)
}

/// Writer settings shared by every lake file. Event bodies (`payload`) are
/// unique, large text: no dictionary and no min/max statistics for them,
/// which would only cost hashing and comparisons. Event ids and origins are
/// unique per row too: no dictionary (statistics stay, for id lookups).
pub fn writer_properties() -> WriterProperties {
    let payload = ColumnPath::from("payload");
    let mut b = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(128 * 1024))
        .set_column_statistics_enabled(payload, EnabledStatistics::None);
    for unique in ["payload", "event_id", "origin"] {
        b = b.set_column_dictionary_enabled(ColumnPath::from(unique), false);
    }
    b.build()
}

/// Encodes batches as one Parquet file in memory.
pub fn encode(batches: &[RecordBatch]) -> Result<Bytes> {
    let schema = batches.first().map(|b| b.schema()).ok_or_else(|| {
        datafusion::parquet::errors::ParquetError::General("no batches to encode".into())
    })?;
    let mut w = ArrowWriter::try_new(Vec::new(), schema, Some(writer_properties()))?;
    for b in batches {
        w.write(b)?;
    }
    Ok(Bytes::from(w.into_inner()?))
}

/// Rows turned into Arrow at a time while encoding a file: the Arrow columns
/// of a chunk stay small enough for the allocator to reuse their memory,
/// instead of mapping (and the kernel zeroing) fresh pages for every batch.
const ENCODE_CHUNK: usize = 4096;

/// Encodes rows of table `T` as one Parquet file in memory, a chunk at a
/// time; each chunk's rows are freed once they are in Arrow.
pub fn encode_rows<T: Table>(rows: Vec<T>) -> Result<Bytes> {
    let mut w = ArrowWriter::try_new(Vec::new(), T::schema(), Some(writer_properties()))?;
    let mut rows = rows.into_iter();
    loop {
        let chunk: Vec<T> = rows.by_ref().take(ENCODE_CHUNK).collect();
        if chunk.is_empty() {
            break;
        }
        w.write(&to_batch(&chunk.iter().collect::<Vec<_>>())?)?;
    }
    Ok(Bytes::from(w.into_inner()?))
}

/// Decodes a Parquet file held in memory.
pub fn decode(bytes: Bytes) -> Result<Vec<RecordBatch>> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)?.build()?;
    Ok(reader.collect::<Result<Vec<_>, _>>()?)
}

/// Puts a whole object at `rel` under the lake root, replacing any older copy.
/// A single PUT is atomic: readers see the old object or the complete new one.
pub async fn put(lake: &Lake, rel: &str, bytes: Bytes) -> Result<()> {
    let opts = PutOptions {
        mode: PutMode::Overwrite,
        ..Default::default()
    };
    lake.store
        .put_opts(&lake.path(rel), PutPayload::from_bytes(bytes), opts)
        .await?;
    Ok(())
}

/// The whole object at `rel` under the lake root, or None when there is none.
pub async fn get_optional(lake: &Lake, rel: &str) -> Result<Option<Bytes>> {
    match lake.store.get(&lake.path(rel)).await {
        Ok(got) => Ok(Some(got.bytes().await?)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Encodes `rows` of table `T` as `T/date=D/{stem}.parquet`, one file per
/// date. Returns (relative path, file bytes) pairs; CPU only, no I/O.
pub fn encode_table<T: Table>(rows: Vec<T>, stem: &str) -> Result<Vec<(String, Bytes)>> {
    let day_of = |r: &T| r.partition_time().0.div_euclid(MICROS_PER_DAY);
    let mut by_day: BTreeMap<i64, Vec<T>> = BTreeMap::new();
    match rows.first().map(day_of) {
        None => {}
        // A live batch usually falls on one day: keep its rows where they are.
        Some(day) if rows.iter().all(|r| day_of(r) == day) => {
            by_day.insert(day, rows);
        }
        Some(_) => {
            for r in rows {
                by_day.entry(day_of(&r)).or_default().push(r);
            }
        }
    }
    let mut out = Vec::with_capacity(by_day.len());
    for (day, rows) in by_day {
        let bytes = encode_rows(rows)?;
        let date = date_of(Micros(day * MICROS_PER_DAY));
        out.push((format!("{}/date={date}/{stem}.parquet", T::NAME), bytes));
    }
    Ok(out)
}

/// Writes `rows` of table `T` as `T/date=D/{stem}.parquet`, one file per date.
/// Returns the relative paths written.
pub async fn write_table<T: Table>(lake: &Lake, rows: Vec<T>, stem: &str) -> Result<Vec<String>> {
    let mut written = Vec::new();
    for (rel, bytes) in encode_table(rows, stem)? {
        put(lake, &rel, bytes).await?;
        written.push(rel);
    }
    Ok(written)
}

/// Reads a whole lake file.
pub async fn read(lake: &Lake, rel: &str) -> Result<Vec<RecordBatch>> {
    let bytes = lake.store.get(&lake.path(rel)).await?.bytes().await?;
    decode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::table::Micros;

    #[test]
    fn dates_are_utc_days() {
        assert_eq!(date_of(Micros(0)), "1970-01-01");
        assert_eq!(date_of(Micros(1_700_000_000_000_000)), "2023-11-14");
        assert_eq!(date_of(Micros(MICROS_PER_DAY - 1)), "1970-01-01");
    }
}
