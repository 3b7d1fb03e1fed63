//! XLSX through rust_xlsxwriter: one sheet named after the table, a bold
//! frozen header, numbers as numbers, money as numbers with as many
//! decimals as the currency has (a spreadsheet number is a double: the
//! minor units are exact, the shown decimals are the currency's), dates
//! and UTC times as Excel dates.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::Cell;

/// The file's bytes.
pub fn encode(sheet: &str, header: &[String], rows: &[Vec<Cell>]) -> Result<Vec<u8>, String> {
    build(sheet, header, rows).map_err(|e| e.to_string())
}

fn build(sheet: &str, header: &[String], rows: &[Vec<Cell>]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let ws = book.add_worksheet();
    let name: String = sheet.chars().take(31).collect();
    ws.set_name(&name)?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let time = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let money: Vec<Format> = (0..=4)
        .map(|exp| {
            let pattern = if exp == 0 {
                "#,##0".to_string()
            } else {
                format!("#,##0.{}", "0".repeat(exp))
            };
            Format::new().set_num_format(pattern)
        })
        .collect();
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, col(c), h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let c = col(c);
            match cell {
                Cell::Null => {}
                Cell::Text(s) => {
                    ws.write_string(r, c, s)?;
                }
                Cell::Int(i) => {
                    ws.write_number(r, c, *i as f64)?;
                }
                Cell::Float(f) => {
                    ws.write_number(r, c, *f)?;
                }
                Cell::Bool(b) => {
                    ws.write_boolean(r, c, *b)?;
                }
                Cell::Money(minor, cur) => {
                    let exp = cur.exponent() as usize;
                    let value = *minor as f64 / 10f64.powi(exp as i32);
                    ws.write_number_with_format(r, c, value, &money[exp.min(4)])?;
                }
                Cell::Date(d) => {
                    use chrono::Datelike;
                    let x =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
                    ws.write_datetime_with_format(r, c, &x, &date)?;
                }
                Cell::Time(t) => {
                    use chrono::{Datelike, Timelike};
                    let x =
                        ExcelDateTime::from_ymd(t.year() as u16, t.month() as u8, t.day() as u8)?
                            .and_hms(t.hour() as u16, t.minute() as u8, t.second())?;
                    ws.write_datetime_with_format(r, c, &x, &time)?;
                }
            }
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.autofit();
    book.save_to_buffer()
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}
