//! Statement files into header names and numbered rows: CSV (delimiter
//! detected or configured, UTF-8 with or without BOM, else read as
//! Windows-1252/Latin-1) and spreadsheets (XLSX, XLS, ODS via calamine).

use std::path::Path;

use calamine::{Data, Reader};

use super::cell::Cell;

/// A statement's table.
#[derive(Debug, Clone, PartialEq)]
pub struct Sheet {
    /// Column names from the header row, trimmed.
    pub headers: Vec<String>,
    /// (line or row number as the user sees it, cells).
    pub rows: Vec<(usize, Vec<Cell>)>,
}

/// Reads `path`; `header_row` is 1-based; `delimiter` and `sheet` apply to CSV and spreadsheets.
pub fn read(
    path: &Path,
    header_row: usize,
    delimiter: Option<&str>,
    sheet: Option<&str>,
) -> Result<Sheet, String> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let grid = match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => spreadsheet(path, sheet)?,
        _ => csv_grid(path, delimiter)?,
    };
    let header_row = header_row.max(1);
    let mut headers = Vec::new();
    let mut rows = Vec::new();
    for (line, cells) in grid {
        if line < header_row {
            continue;
        }
        if line == header_row {
            headers = cells
                .iter()
                .map(|c| {
                    c.display()
                        .trim()
                        .trim_start_matches('\u{feff}')
                        .to_string()
                })
                .collect();
            continue;
        }
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        rows.push((line, cells));
    }
    if headers.is_empty() {
        return Err(format!(
            "{}: no header row at line {header_row}; set header_row for this carrier",
            path.display()
        ));
    }
    Ok(Sheet { headers, rows })
}

fn csv_grid(path: &Path, delimiter: Option<&str>) -> Result<Vec<(usize, Vec<Cell>)>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        // Excel's "CSV" in Europe: Windows-1252, whose letters match Latin-1.
        Err(e) => e.into_bytes().iter().map(|b| *b as char).collect(),
    };
    let delimiter = match delimiter {
        Some(d) if d == "\\t" || d == "tab" => b'\t',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => return Err(format!("delimiter {d:?} must be one character")),
        None => {
            let first = text.lines().next().unwrap_or_default();
            [b';', b'\t', b',']
                .into_iter()
                .max_by_key(|d| first.matches(*d as char).count())
                .unwrap_or(b',')
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut out = Vec::new();
    // The csv crate does not count blank lines; count newlines up to each record instead.
    let (mut counted_to, mut line) = (0usize, 1usize);
    for record in reader.records() {
        let record = record.map_err(|e| format!("{}: {e}", path.display()))?;
        let mut start = record.position().map_or(counted_to, |p| p.byte() as usize);
        // A record's position may be the blank lines before it.
        while matches!(text.as_bytes().get(start), Some(b'\n' | b'\r')) {
            start += 1;
        }
        line += text.as_bytes()[counted_to..start]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted_to = start;
        out.push((
            line,
            record.iter().map(|c| Cell::Text(c.to_string())).collect(),
        ));
    }
    Ok(out)
}

fn spreadsheet(path: &Path, sheet: Option<&str>) -> Result<Vec<(usize, Vec<Cell>)>, String> {
    let at = |e: String| format!("{}: {e}", path.display());
    let mut book = calamine::open_workbook_auto(path).map_err(|e| at(e.to_string()))?;
    let names = book.sheet_names();
    let name = match sheet {
        Some(s) => s.to_string(),
        None => names
            .first()
            .cloned()
            .ok_or_else(|| at("has no sheets".into()))?,
    };
    let range = book.worksheet_range(&name).map_err(|e| {
        at(format!(
            "sheet {name:?}: {e} (sheets: {})",
            names.join(", ")
        ))
    })?;
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let first_col = range.start().map_or(0, |(_, c)| c as usize);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let mut cells = vec![Cell::Empty; first_col];
            cells.extend(row.iter().map(cell));
            (first_row + i + 1, cells)
        })
        .collect())
}

fn cell(d: &Data) -> Cell {
    match d {
        Data::Empty => Cell::Empty,
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(b) => Cell::Text(b.to_string()),
        Data::DateTime(t) => match t.as_datetime() {
            Some(dt) => Cell::Date(dt.date()),
            None => Cell::Number(t.as_f64()),
        },
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}
