//! Exports: a lake table written as a CSV or XLSX file, named with the
//! date, into the lake's `exports/` area or a local folder. Money columns
//! (a job's `money` list) are written in major units, converted exactly
//! from minor units with the row's currency exponent; times are UTC.

mod cells;
pub mod csv;
pub mod sheets;
mod xlsx;

use datafusion::prelude::SessionContext;
use serde::Deserialize;

pub use self::cells::{Cell, MoneyColumn, cell, rows_of};
use crate::lake::Lake;

/// File formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// Comma-separated text, UTF-8, a header row.
    Csv,
    /// An Excel workbook with one sheet, typed cells.
    Xlsx,
    /// A tab of a Google Sheets spreadsheet.
    Sheets,
}

impl Format {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::Sheets => "sheet",
        }
    }
}

/// One `[[exports]]` entry of a schedule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// The table: `reports.cod_reconciliation`, `revenue_daily`, …
    pub table: String,
    /// csv or xlsx.
    pub format: Format,
    /// File name before the date (default: the table's name).
    #[serde(default)]
    pub name: Option<String>,
    /// A local folder to write to instead of the lake's `exports/SCHEDULE/`.
    #[serde(default)]
    pub to: Option<String>,
    /// Money columns (`col` in the row's `currency`, or `col:currency_col`);
    /// default: the `money` list of the job whose output the table is.
    #[serde(default)]
    pub money: Option<Vec<String>>,
    /// Sheets: the spreadsheet's id (from its URL).
    #[serde(default)]
    pub spreadsheet_id: Option<String>,
    /// Sheets: the tab (default: the file name without date).
    #[serde(default)]
    pub sheet: Option<String>,
    /// Sheets: replace (clear, then write) or append (daily snapshots).
    #[serde(default)]
    pub mode: sheets::Mode,
    /// CSV and XLSX: also email the file through this `[alerts.channels.NAME]`
    /// email channel.
    #[serde(default)]
    pub email: Option<String>,
}

/// Where exports may go besides files: Google Sheets and email channels.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    /// `[sheets]`.
    pub sheets: sheets::SheetsSettings,
    /// `[alerts.channels]`.
    pub channels: crate::alerts::channels::Channels,
}

/// A written export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    /// The file's name.
    pub file: String,
    /// Where it went: a lake path (`exports/…`) or a local path.
    pub location: String,
    /// Rows written (the header not counted).
    pub rows: usize,
}

impl ExportSpec {
    /// Checks the table name and file name.
    pub fn check(&self) -> Result<(), String> {
        let ok = |s: &str| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.')
        };
        if !ok(&self.table) || self.table.matches('.').count() > 1 {
            return Err(format!(
                "table {:?}: write a table name such as \"reports.cod_reconciliation\"",
                self.table
            ));
        }
        if let Some(n) = &self.name
            && (n.is_empty() || n.contains(['/', '\\']) || n.starts_with('.'))
        {
            return Err(format!("name {n:?}: a file name, without folders"));
        }
        match (self.format, &self.spreadsheet_id, &self.email) {
            (Format::Sheets, None, _) => {
                Err("format sheets needs spreadsheet_id (the long id in the sheet's URL)".into())
            }
            (Format::Csv | Format::Xlsx, Some(_), _) => {
                Err("spreadsheet_id is for format = \"sheets\"".into())
            }
            (Format::Sheets, _, Some(_)) => Err("email takes csv or xlsx files, not sheets".into()),
            _ => Ok(()),
        }
    }

    /// The table's name without its schema.
    pub fn table_name(&self) -> &str {
        self.table.rsplit('.').next().unwrap_or(&self.table)
    }

    /// `NAME-YYYY-MM-DD.EXT`.
    pub fn file_name(&self, date: chrono::NaiveDate) -> String {
        let stem = self.name.as_deref().unwrap_or(self.table_name());
        format!("{stem}-{date}.{}", self.format.extension())
    }

    /// The money columns: as configured, else the job's whose output the table is.
    pub fn money_columns(&self) -> Vec<MoneyColumn> {
        let list = match &self.money {
            Some(m) => m.clone(),
            None => crate::jobs::spec::all()
                .ok()
                .and_then(|jobs| jobs.into_iter().find(|j| j.output == self.table_name()))
                .map(|j| j.money)
                .unwrap_or_default(),
        };
        list.iter().map(|m| MoneyColumn::parse(m)).collect()
    }
}

/// Errors from exports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The table could not be read.
    #[error("export of {table}: {source}")]
    Sql {
        /// Table.
        table: String,
        /// DataFusion's error.
        source: datafusion::error::DataFusionError,
    },
    /// The file could not be made or written.
    #[error("export {file}: {why}")]
    Write {
        /// File.
        file: String,
        /// What went wrong.
        why: String,
    },
}

/// Writes `spec`'s table as of now, for `date`, into `exports/AREA/` of the
/// lake or the spec's folder.
pub async fn export(
    ctx: &SessionContext,
    lake: &Lake,
    spec: &ExportSpec,
    area: &str,
    date: chrono::NaiveDate,
    dest: &Destinations,
) -> Result<Written, Error> {
    let sql_err = |source| Error::Sql {
        table: spec.table.clone(),
        source,
    };
    let df = ctx
        .sql(&format!("SELECT * FROM {}", spec.table))
        .await
        .map_err(sql_err)?;
    let header: Vec<String> = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = df.collect().await.map_err(sql_err)?;
    let rows = rows_of(&batches, &spec.money_columns());
    let file = spec.file_name(date);
    let write_err = |why: String| Error::Write {
        file: file.clone(),
        why,
    };
    let bytes = match spec.format {
        Format::Csv => csv::encode(&header, &rows).map_err(write_err)?,
        Format::Xlsx => xlsx::encode(spec.table_name(), &header, &rows).map_err(write_err)?,
        Format::Sheets => {
            let id = spec.spreadsheet_id.as_deref().unwrap_or_default();
            let tab = spec.sheet.clone().unwrap_or_else(|| {
                spec.name
                    .clone()
                    .unwrap_or_else(|| spec.table_name().to_string())
            });
            let mut client = sheets::Sheets::new(&dest.sheets).map_err(write_err)?;
            let n = client
                .write(id, &tab, spec.mode, date, &header, &rows)
                .await
                .map_err(write_err)?;
            return Ok(Written {
                file: tab.clone(),
                location: format!("sheets:{id}/{tab}"),
                rows: n,
            });
        }
    };
    let content_type = match spec.format {
        Format::Csv => "text/csv; charset=utf-8",
        _ => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    };
    let attachment = spec.email.as_ref().map(|_| bytes.clone());
    let location = match &spec.to {
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| write_err(format!("creating {dir}: {e}")))?;
            let path = std::path::Path::new(dir).join(&file);
            std::fs::write(&path, &bytes)
                .map_err(|e| write_err(format!("writing {}: {e}", path.display())))?;
            path.display().to_string()
        }
        None => {
            let rel = format!("exports/{area}/{file}");
            crate::lake::parquet_io::put(lake, &rel, bytes.into())
                .await
                .map_err(|e| write_err(e.to_string()))?;
            rel
        }
    };
    if let (Some(channel), Some(bytes)) = (&spec.email, attachment) {
        let settings = dest.channels.get(channel).ok_or_else(|| {
            write_err(format!(
                "written to {location}, but not emailed: no channel {channel:?} in [alerts.channels]"
            ))
        })?;
        let subject = format!("Settle export: {file}");
        let text = format!(
            "{} ({} rows) as of {date}, attached.\nAlso at {location}.\n",
            spec.table,
            rows.len()
        );
        crate::alerts::channels::deliver_file(
            channel,
            settings,
            &subject,
            &text,
            (&file, content_type, &bytes),
        )
        .await
        .map_err(|e| write_err(format!("written to {location}, but not emailed: {e}")))?;
    }
    Ok(Written {
        file,
        location,
        rows: rows.len(),
    })
}
