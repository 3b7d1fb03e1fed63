//! SQL functions Settle adds to DataFusion.
//!
//! `format_money(amount, currency)`: integer minor units as exact decimal
//! text in the currency's major units (`format_money(12500, 'KWD')` =
//! `'12.500'`), NULL for a NULL input or an unknown currency.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::error::Result;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use crate::money::Currency;

fn format_money(args: &[ColumnarValue]) -> Result<ColumnarValue> {
    let arrays = ColumnarValue::values_to_arrays(args)?;
    let amounts = datafusion::arrow::compute::cast(&arrays[0], &DataType::Int64)?;
    let currencies = datafusion::arrow::compute::cast(&arrays[1], &DataType::Utf8)?;
    let (amounts, currencies) = (
        amounts.as_primitive::<Int64Type>(),
        currencies.as_string::<i32>(),
    );
    let mut out = StringBuilder::with_capacity(amounts.len(), amounts.len() * 8);
    for i in 0..amounts.len() {
        let currency = (!currencies.is_null(i))
            .then(|| Currency::parse(currencies.value(i)).ok())
            .flatten();
        match (amounts.is_null(i), currency) {
            (false, Some(c)) => out.append_value(c.format(amounts.value(i))),
            _ => out.append_null(),
        }
    }
    let array: ArrayRef = Arc::new(out.finish());
    Ok(ColumnarValue::Array(array))
}

/// The `format_money` function.
pub fn format_money_udf() -> ScalarUDF {
    create_udf(
        "format_money",
        vec![DataType::Int64, DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(format_money),
    )
}

#[cfg(test)]
mod tests {
    use datafusion::prelude::SessionContext;

    #[tokio::test]
    async fn formats_minor_units_per_currency_exponent() {
        let ctx = SessionContext::new();
        ctx.register_udf(super::format_money_udf());
        let batches = ctx
            .sql("SELECT format_money(a, c) AS m FROM (VALUES (12500, 'KWD'), (-5, 'MAD'), (3980, 'JPY'), (1, 'XYZ'), (NULL, 'USD')) t(a, c)")
            .await
            .unwrap()
            .collect()
            .await
            .unwrap();
        let text = datafusion::arrow::util::pretty::pretty_format_batches(&batches)
            .unwrap()
            .to_string();
        for want in ["| 12.500 |", "| -0.05  |", "| 3980   |"] {
            assert!(text.contains(want), "{text}");
        }
        assert_eq!(
            text.matches("|        |").count(),
            2,
            "unknown currency and NULL give NULL: {text}"
        );
    }
}
