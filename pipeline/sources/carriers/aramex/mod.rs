//! Aramex: shipment tracking results as its TrackShipments API returns them
//! (`TrackingResults[].Value[]` with `WaybillNumber`, `UpdateCode`,
//! `UpdateDescription`, `UpdateDateTime`, `UpdateLocation`, `Comments`), or a
//! bare list of those updates. Statuses are update codes; the description is
//! kept as the location's comment, never used to guess.

use serde_json::Value;

use super::settings::CarrierSettings;
use super::{Format, Scan, time};
use crate::sources::store::text;

/// Aramex update code -> normalized status.
pub const STATUSES: &[(&str, &str)] = &[
    ("SH014", "info_received"),      // Record created
    ("SH012", "in_transit"),         // Shipment picked up
    ("SH047", "in_transit"),         // Received at origin facility
    ("SH001", "in_transit"),         // Received at operations facility
    ("SH022", "in_transit"),         // Departed operations facility
    ("SH203", "in_transit"),         // Arrived at destination facility
    ("SH003", "out_for_delivery"),   // Out for delivery
    ("SH033", "attempt_failed"),     // Attempted delivery, consignee not available
    ("SH043", "attempt_failed"),     // Attempted delivery, address incorrect
    ("SH005", "delivered"),          // Delivered
    ("SH006", "delivered"),          // Collected by consignee
    ("SH007", "delivered"),          // Delivered to a third party
    ("SH069", "returned_to_origin"), // Returned to shipper
    ("SH008", "returned_to_origin"), // Return to shipper initiated
    ("SH161", "exception"),          // Held: customs or security
    ("SH076", "cancelled"),          // Shipment cancelled
];

/// The format.
pub fn format() -> Format {
    Format {
        name: "aramex",
        statuses: STATUSES,
        read,
    }
}

fn read(v: &Value, cfg: &CarrierSettings) -> Result<Vec<Scan>, String> {
    let mut updates: Vec<&Value> = Vec::new();
    if let Some(results) = v.get("TrackingResults").and_then(Value::as_array) {
        for r in results {
            updates.extend(r["Value"].as_array().into_iter().flatten());
        }
    } else if let Some(list) = v.as_array() {
        updates.extend(list);
    } else {
        updates.push(v);
    }
    let offset = cfg.utc_offset.as_deref().unwrap_or("+00:00");
    updates
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            let at = |f: &str| format!("update {i} {f}");
            let comments = text(u, "/Comments");
            let description = text(u, "/UpdateDescription");
            Ok(Scan {
                tracking_number: text(u, "/WaybillNumber")
                    .ok_or_else(|| at("has no WaybillNumber"))?,
                order_id: text(u, "/Reference1"),
                raw_status: text(u, "/UpdateCode").ok_or_else(|| at("has no UpdateCode"))?,
                sub_status: None,
                occurred_at: time::utc(&u["UpdateDateTime"], offset, &at("UpdateDateTime"))?,
                location: match (text(u, "/UpdateLocation"), description.or(comments)) {
                    (Some(l), Some(d)) => Some(format!("{l}: {d}")),
                    (l, d) => l.or(d),
                },
                cod_amount: None,
                currency: None,
                raw: u.clone(),
            })
        })
        .collect()
}
