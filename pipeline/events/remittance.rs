//! The `remittance_line` contract: one line of a carrier COD remittance statement.

use serde::Deserialize;

use super::amount::{AmountText, minor_or_zero};
use super::decode::{Decoded, Rejection, Typed, parse_json};
use super::parse_date;
use crate::lake::table::{Days, Micros};
use crate::lake::tables::RemittanceRow;
use crate::money::Currency;

/// A remittance statement line (see `schemas/remittance_line.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemittanceLine {
    /// Event id; derived from carrier, statement and tracking number when absent.
    pub event_id: Option<String>,
    /// Store id.
    pub store_id: String,
    /// Carrier name.
    pub carrier: String,
    /// Statement id.
    pub statement_id: String,
    /// YYYY-MM-DD.
    pub paid_date: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Store order id.
    pub order_id: Option<String>,
    /// ISO 4217 code of the line.
    pub currency: String,
    /// Cash collected, major units.
    pub collected: AmountText,
    /// Fees deducted by kind, major units.
    #[serde(default)]
    pub fees: Fees,
    /// collected minus fees, major units; may be negative.
    pub net_remitted: AmountText,
    /// Bank transfer reference.
    pub bank_reference: Option<String>,
}

/// Fees a carrier deducts from collected cash.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fees {
    /// Shipping.
    pub shipping: Option<AmountText>,
    /// COD handling.
    pub cod: Option<AmountText>,
    /// Return to origin.
    #[serde(rename = "return")]
    pub return_: Option<AmountText>,
    /// Anything else.
    pub other: Option<AmountText>,
}

/// Decodes a `remittance_line` body.
pub fn decode(payload: &str) -> Result<Decoded, Rejection> {
    let r: RemittanceLine = parse_json(payload, "remittance_line")?;
    let event_id = r
        .event_id
        .clone()
        .unwrap_or_else(|| format!("{}:{}:{}", r.carrier, r.statement_id, r.tracking_number));
    row(&r, &event_id).map_err(|reason| Rejection {
        store_id: Some(r.store_id.clone()),
        event_id: Some(event_id.clone()),
        reason: format!(
            "remittance_line {} of statement {}: {reason}",
            r.tracking_number, r.statement_id
        ),
    })
}

fn row(r: &RemittanceLine, event_id: &str) -> Result<Decoded, String> {
    if r.store_id.is_empty()
        || r.carrier.is_empty()
        || r.statement_id.is_empty()
        || r.tracking_number.is_empty()
    {
        return Err("store_id, carrier, statement_id and tracking_number must not be empty".into());
    }
    let currency = Currency::parse(&r.currency).map_err(|e| format!("currency: {e}"))?;
    let paid_date = parse_date("paid_date", &r.paid_date)?;
    let collected = r.collected.minor("collected", currency)?;
    let fee_shipping = minor_or_zero(&r.fees.shipping, "fees.shipping", currency)?;
    let fee_cod = minor_or_zero(&r.fees.cod, "fees.cod", currency)?;
    let fee_return = minor_or_zero(&r.fees.return_, "fees.return", currency)?;
    let fee_other = minor_or_zero(&r.fees.other, "fees.other", currency)?;
    let net_remitted = r.net_remitted.signed_minor("net_remitted", currency)?;
    let expected_net = [fee_shipping, fee_cod, fee_return, fee_other]
        .iter()
        .try_fold(collected, |acc, f| acc.checked_sub(*f))
        .ok_or("collected minus fees overflows")?;
    if net_remitted != expected_net {
        return Err(format!(
            "net_remitted {} differs from collected minus fees {}; check the statement",
            currency.format(net_remitted),
            currency.format(expected_net)
        ));
    }
    let occurred_at = Micros(i64::from(paid_date) * 86_400_000_000);
    let row = RemittanceRow {
        store_id: r.store_id.clone(),
        event_id: event_id.to_string(),
        occurred_at,
        carrier: r.carrier.clone(),
        statement_id: r.statement_id.clone(),
        paid_date: Days(paid_date),
        tracking_number: r.tracking_number.clone(),
        order_id: r.order_id.clone(),
        currency: currency.code().to_string(),
        collected,
        fee_shipping,
        fee_cod,
        fee_return,
        fee_other,
        net_remitted,
        bank_reference: r.bank_reference.clone(),
    };
    Ok(Decoded {
        store_id: r.store_id.clone(),
        event_id: event_id.to_string(),
        occurred_at,
        rows: vec![Typed::Remittance(row)],
    })
}
