//! Printing query results for people and programs: table, CSV, JSON or Parquet.

use std::io::Write;
use std::sync::Arc;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::error::ArrowError;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::{pretty_format_batches, pretty_format_batches_with_schema};

/// How `settle sql` prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table with a row count.
    #[default]
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON object per row (newline-delimited).
    Json,
    /// A Parquet file (needs `--output FILE`).
    Parquet,
}

/// Renders batches in a text format (table, CSV or JSON); Parquet is
/// binary, see [`write`].
pub fn render(batches: &[RecordBatch], format: Format) -> Result<String, ArrowError> {
    match format {
        Format::Table => Ok(pretty_format_batches(batches)?.to_string()),
        Format::Parquet => Err(ArrowError::InvalidArgumentError(
            "Parquet is binary: write it to a file with --output FILE".into(),
        )),
        _ => {
            let schema = batches
                .first()
                .map(|b| b.schema())
                .unwrap_or_else(|| Arc::new(datafusion::arrow::datatypes::Schema::empty()));
            let mut buf = Vec::new();
            write(&mut buf, &schema, batches, format)?;
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
    }
}

/// Writes one result in `format`. A table ends with `(N rows)`; CSV always
/// has its header, even without rows.
pub fn write(
    out: &mut (dyn Write + Send),
    schema: &SchemaRef,
    batches: &[RecordBatch],
    format: Format,
) -> Result<(), ArrowError> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    match format {
        Format::Table => {
            let table = pretty_format_batches_with_schema(schema.clone(), batches)?;
            let noun = if rows == 1 { "row" } else { "rows" };
            writeln!(out, "{table}\n({rows} {noun})")?;
        }
        Format::Csv => {
            let mut w = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(out);
            if batches.is_empty() {
                w.write(&RecordBatch::new_empty(schema.clone()))?;
            }
            for b in batches {
                w.write(b)?;
            }
        }
        Format::Json => {
            let mut w = datafusion::arrow::json::LineDelimitedWriter::new(out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
        }
        Format::Parquet => {
            let mut w = datafusion::parquet::arrow::ArrowWriter::try_new(out, schema.clone(), None)
                .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
            for b in batches {
                w.write(b)
                    .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
            }
            w.close()
                .map_err(|e| ArrowError::ExternalError(Box::new(e)))?;
        }
    }
    Ok(())
}

/// A progress bar of `len` steps labelled `msg` on standard error (drawn only
/// on a terminal), or a hidden one when `show` is false.
pub fn progress(len: u64, msg: &'static str, show: bool) -> indicatif::ProgressBar {
    if !show {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(len).with_message(msg);
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} {per_sec}")
            .expect("static template")
            .progress_chars("=> "),
    );
    b
}
