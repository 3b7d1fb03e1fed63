//! CSV: a header row, then one line per row (RFC 4180 quoting).

use super::Cell;

/// The file's bytes.
pub fn encode(header: &[String], rows: &[Vec<Cell>]) -> Result<Vec<u8>, String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).map_err(|e| e.to_string())?;
    for row in rows {
        w.write_record(row.iter().map(Cell::text))
            .map_err(|e| e.to_string())?;
    }
    w.into_inner().map_err(|e| e.to_string())
}
