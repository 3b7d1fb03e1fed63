//! A panel's data: its query run with the filters, as columns of cells.

use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;

use super::{Filters, Panel, query};
use crate::exports::{Cell, rows_of};
use crate::money::Currency;

/// A panel's result.
#[derive(Debug, Clone, Default)]
pub struct Data {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Data {
    /// The index of `column`.
    pub fn col(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// The rows for a file: the panel's value column as money (exact major
    /// units of the row's currency) when the panel names a currency column.
    pub fn for_file(&self, panel: &Panel) -> Vec<Vec<Cell>> {
        let money = panel
            .currency
            .as_deref()
            .and_then(|c| self.col(c))
            .zip(panel.y.as_deref().and_then(|y| self.col(y)));
        let Some((cur, y)) = money else {
            return self.rows.clone();
        };
        self.rows
            .iter()
            .map(|row| {
                let mut row = row.clone();
                if let (Cell::Int(minor), Ok(c)) = (&row[y], Currency::parse(&row[cur].text())) {
                    row[y] = Cell::Money(*minor, c);
                }
                row
            })
            .collect()
    }
}

/// Runs `panel`'s query with `filters`.
pub async fn load(ctx: &SessionContext, panel: &Panel, filters: &Filters) -> Result<Data, String> {
    run(ctx, &panel.query, query(&panel.query)?, Some(filters)).await
}

/// Runs the query `name` (`sql`), with the filters as `$from`, `$to`,
/// `$store`, `$carrier`, `$currency` and `$prev_from` when given.
pub async fn run(
    ctx: &SessionContext,
    name: &str,
    sql: &str,
    filters: Option<&Filters>,
) -> Result<Data, String> {
    let err = |e: datafusion::error::DataFusionError| format!("{name}: {e}");
    let mut df = ctx.sql(sql).await.map_err(err)?;
    if let Some(f) = filters {
        let text = |s: &str| ScalarValue::Utf8(Some(s.to_string()));
        let params: Vec<(&str, ScalarValue)> = vec![
            ("from", text(&f.from.to_string())),
            ("to", text(&f.to.to_string())),
            ("store", text(&f.store)),
            ("carrier", text(&f.carrier)),
            ("currency", text(&f.currency)),
            ("prev_from", text(&f.prev_from().to_string())),
        ];
        df = df.with_param_values(params).map_err(err)?;
    }
    let columns = df
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = df.collect().await.map_err(err)?;
    Ok(Data {
        columns,
        rows: rows_of(&batches, &[]),
    })
}
