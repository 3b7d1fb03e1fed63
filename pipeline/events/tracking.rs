//! The `tracking_update` contract: one carrier scan with a normalized status.

use serde::Deserialize;

use super::amount::AmountText;
use super::decode::{Decoded, Rejection, Typed, parse_json};
use super::order::one_of;
use super::parse_timestamp;
use crate::lake::table::Micros;
use crate::lake::tables::TrackingRow;
use crate::money::Currency;

/// Normalized shipment statuses, in the order a parcel usually meets them.
pub const STATUSES: &[&str] = &[
    "info_received",
    "in_transit",
    "out_for_delivery",
    "attempt_failed",
    "delivered",
    "returned_to_origin",
    "exception",
    "cancelled",
];

/// A tracking update (see `schemas/tracking_update.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackingUpdate {
    /// Event id; derived from carrier, tracking number, status and time when absent.
    pub event_id: Option<String>,
    /// Store id.
    pub store_id: String,
    /// Carrier name.
    pub carrier: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Store order id.
    pub order_id: Option<String>,
    /// Normalized status.
    pub status: String,
    /// The carrier's status text.
    pub raw_status: String,
    /// RFC 3339.
    pub occurred_at: String,
    /// Scan location.
    pub location: Option<String>,
    /// COD amount to collect, major units.
    pub cod_amount: Option<AmountText>,
    /// Currency of the COD amount; required with cod_amount.
    pub currency: Option<String>,
}

/// Decodes a `tracking_update` body.
pub fn decode(payload: &str) -> Result<Decoded, Rejection> {
    let t: TrackingUpdate = parse_json(payload, "tracking_update")?;
    let event_id = t.event_id.clone().unwrap_or_else(|| {
        format!(
            "{}:{}:{}:{}",
            t.carrier, t.tracking_number, t.status, t.occurred_at
        )
    });
    row(&t, &event_id).map_err(|reason| Rejection {
        store_id: Some(t.store_id.clone()),
        event_id: Some(event_id.clone()),
        reason: format!(
            "tracking_update for {} {}: {reason}",
            t.carrier, t.tracking_number
        ),
    })
}

fn row(t: &TrackingUpdate, event_id: &str) -> Result<Decoded, String> {
    one_of("status", &t.status, STATUSES)?;
    if t.store_id.is_empty() || t.carrier.is_empty() || t.tracking_number.is_empty() {
        return Err("store_id, carrier and tracking_number must not be empty".into());
    }
    let occurred_at = Micros(parse_timestamp("occurred_at", &t.occurred_at)?);
    let currency = t
        .currency
        .as_deref()
        .map(Currency::parse)
        .transpose()
        .map_err(|e| format!("currency: {e}"))?;
    let cod_amount = match (&t.cod_amount, currency) {
        (None, _) => None,
        (Some(a), Some(c)) => Some(a.minor("cod_amount", c)?),
        (Some(_), None) => return Err("cod_amount needs a currency".into()),
    };
    let row = TrackingRow {
        store_id: t.store_id.clone(),
        event_id: event_id.to_string(),
        occurred_at,
        carrier: t.carrier.clone(),
        tracking_number: t.tracking_number.clone(),
        order_id: t.order_id.clone(),
        status: t.status.clone(),
        raw_status: t.raw_status.clone(),
        location: t.location.clone(),
        cod_amount,
        currency: currency.map(|c| c.code().to_string()),
    };
    Ok(Decoded {
        store_id: t.store_id.clone(),
        event_id: event_id.to_string(),
        occurred_at,
        rows: vec![Typed::Tracking(row)],
    })
}
