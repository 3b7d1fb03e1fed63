//! Printing query results for people and programs: table, CSV or JSON.

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::pretty::pretty_format_batches;

/// How `settle sql` prints results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// An aligned text table.
    #[default]
    Table,
    /// CSV with a header row.
    Csv,
    /// One JSON object per row (newline-delimited).
    Json,
}

/// Renders batches in `format`.
pub fn render(
    batches: &[RecordBatch],
    format: Format,
) -> Result<String, datafusion::arrow::error::ArrowError> {
    match format {
        Format::Table => Ok(pretty_format_batches(batches)?.to_string()),
        Format::Csv => {
            let mut buf = Vec::new();
            {
                let mut w = datafusion::arrow::csv::WriterBuilder::new()
                    .with_header(true)
                    .build(&mut buf);
                for b in batches {
                    w.write(b)?;
                }
            }
            Ok(String::from_utf8_lossy(&buf).into_owned())
        }
        Format::Json => {
            let mut w = datafusion::arrow::json::LineDelimitedWriter::new(Vec::new());
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            Ok(String::from_utf8_lossy(&w.into_inner()).into_owned())
        }
    }
}
