//! Arrow rows as typed cells for files people open: money in major units
//! of its currency, dates and UTC times as such, the rest as they are.

use std::collections::BTreeMap;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    TimeUnit, TimestampMicrosecondType, TimestampMillisecondType, TimestampNanosecondType,
    TimestampSecondType, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::money::Currency;

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Empty.
    Null,
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A fraction (rates).
    Float(f64),
    /// True or false.
    Bool(bool),
    /// An amount: minor units and their currency.
    Money(i64, Currency),
    /// A calendar date.
    Date(chrono::NaiveDate),
    /// A UTC time.
    Time(chrono::NaiveDateTime),
}

/// A money column and the column holding its currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MoneyColumn {
    /// The amount column.
    pub column: String,
    /// The currency column.
    pub currency: String,
}

impl MoneyColumn {
    /// `col` (currency in `currency`) or `col:currency_col`.
    pub fn parse(text: &str) -> Self {
        let (column, currency) = text.split_once(':').unwrap_or((text, "currency"));
        MoneyColumn {
            column: column.to_string(),
            currency: currency.to_string(),
        }
    }
}

/// Every row of `batches` as cells; money columns whose row has a known
/// currency become [`Cell::Money`].
pub fn rows_of(batches: &[RecordBatch], money: &[MoneyColumn]) -> Vec<Vec<Cell>> {
    let mut out = Vec::new();
    for b in batches {
        let schema = b.schema();
        let index: BTreeMap<&str, usize> = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name().as_str(), i))
            .collect();
        let currency_of: BTreeMap<usize, usize> = money
            .iter()
            .filter_map(|m| {
                Some((
                    *index.get(m.column.as_str())?,
                    *index.get(m.currency.as_str())?,
                ))
            })
            .collect();
        for r in 0..b.num_rows() {
            let mut row = Vec::with_capacity(b.num_columns());
            for (c, col) in b.columns().iter().enumerate() {
                let cell = cell(col.as_ref(), r);
                let cell = match (cell, currency_of.get(&c)) {
                    (Cell::Int(minor), Some(&cc)) => match self::cell(b.column(cc).as_ref(), r) {
                        Cell::Text(code) => match Currency::parse(&code) {
                            Ok(cur) => Cell::Money(minor, cur),
                            Err(_) => Cell::Int(minor),
                        },
                        _ => Cell::Int(minor),
                    },
                    (cell, _) => cell,
                };
                row.push(cell);
            }
            out.push(row);
        }
    }
    out
}

/// The cell at row `r` of `a`.
pub fn cell(a: &dyn Array, r: usize) -> Cell {
    if a.is_null(r) {
        return Cell::Null;
    }
    let micros = |us: i64| {
        chrono::DateTime::from_timestamp_micros(us)
            .map(|t| Cell::Time(t.naive_utc()))
            .unwrap_or(Cell::Null)
    };
    match a.data_type() {
        DataType::Utf8 => Cell::Text(a.as_string::<i32>().value(r).to_string()),
        DataType::LargeUtf8 => Cell::Text(a.as_string::<i64>().value(r).to_string()),
        DataType::Utf8View => Cell::Text(a.as_string_view().value(r).to_string()),
        DataType::Boolean => Cell::Bool(a.as_boolean().value(r)),
        DataType::Int8 => Cell::Int(a.as_primitive::<Int8Type>().value(r).into()),
        DataType::Int16 => Cell::Int(a.as_primitive::<Int16Type>().value(r).into()),
        DataType::Int32 => Cell::Int(a.as_primitive::<Int32Type>().value(r).into()),
        DataType::Int64 => Cell::Int(a.as_primitive::<Int64Type>().value(r)),
        DataType::UInt8 => Cell::Int(a.as_primitive::<UInt8Type>().value(r).into()),
        DataType::UInt16 => Cell::Int(a.as_primitive::<UInt16Type>().value(r).into()),
        DataType::UInt32 => Cell::Int(a.as_primitive::<UInt32Type>().value(r).into()),
        DataType::UInt64 => match i64::try_from(a.as_primitive::<UInt64Type>().value(r)) {
            Ok(v) => Cell::Int(v),
            Err(_) => Cell::Text(a.as_primitive::<UInt64Type>().value(r).to_string()),
        },
        DataType::Float32 => Cell::Float(a.as_primitive::<Float32Type>().value(r).into()),
        DataType::Float64 => Cell::Float(a.as_primitive::<Float64Type>().value(r)),
        DataType::Date32 => chrono::NaiveDate::from_num_days_from_ce_opt(
            a.as_primitive::<Date32Type>().value(r) + 719_163,
        )
        .map_or(Cell::Null, Cell::Date),
        DataType::Timestamp(unit, _) => match unit {
            TimeUnit::Second => {
                micros(a.as_primitive::<TimestampSecondType>().value(r) * 1_000_000)
            }
            TimeUnit::Millisecond => {
                micros(a.as_primitive::<TimestampMillisecondType>().value(r) * 1_000)
            }
            TimeUnit::Microsecond => micros(a.as_primitive::<TimestampMicrosecondType>().value(r)),
            TimeUnit::Nanosecond => {
                micros(a.as_primitive::<TimestampNanosecondType>().value(r) / 1_000)
            }
        },
        _ => ArrayFormatter::try_new(a, &FormatOptions::default())
            .map(|f| Cell::Text(f.value(r).to_string()))
            .unwrap_or(Cell::Null),
    }
}

impl Cell {
    /// The cell as CSV text: money in major units exactly, times as
    /// `YYYY-MM-DD HH:MM:SS` (UTC).
    pub fn text(&self) -> String {
        match self {
            Cell::Null => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(i) => i.to_string(),
            Cell::Float(f) => f.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Money(minor, cur) => cur.format(*minor),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::Time(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }
}
