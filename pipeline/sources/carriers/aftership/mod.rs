//! AfterShip: its tracking webhook (`{"event": "tracking_update", "msg":
//! {tracking_number, slug, tag, subtag, order_id, checkpoints[...]}}`),
//! signed with `aftership-hmac-sha256` (base64 HMAC-SHA256 of the body).
//! The tag is the status; a subtag in the table wins over its tag (a
//! parcel returned to sender is an `Exception` tag with subtag `Exception_011`).

use serde_json::Value;

use super::settings::CarrierSettings;
use super::{Format, Scan, time};
use crate::sources::store::text;

/// AfterShip tag or subtag -> normalized status.
pub const STATUSES: &[(&str, &str)] = &[
    ("Pending", "info_received"),
    ("InfoReceived", "info_received"),
    ("InTransit", "in_transit"),
    ("OutForDelivery", "out_for_delivery"),
    ("AvailableForPickup", "out_for_delivery"),
    ("AttemptFail", "attempt_failed"),
    ("Delivered", "delivered"),
    ("Exception", "exception"),
    ("Expired", "exception"),
    ("Exception_010", "returned_to_origin"), // on the way back to the sender
    ("Exception_011", "returned_to_origin"), // returned to the sender
];

/// The format.
pub fn format() -> Format {
    Format {
        name: "aftership",
        statuses: STATUSES,
        read,
    }
}

fn read(v: &Value, cfg: &CarrierSettings) -> Result<Vec<Scan>, String> {
    let msg = v.get("msg").unwrap_or(v);
    let tracking_number =
        text(msg, "/tracking_number").ok_or("AfterShip msg has no tracking_number")?;
    let raw_status = text(msg, "/tag").ok_or("AfterShip msg has no tag")?;
    // The newest checkpoint says when and where; without one, the tracking's update time.
    let last = msg
        .get("checkpoints")
        .and_then(Value::as_array)
        .and_then(|c| c.last());
    let offset = cfg.utc_offset.as_deref().unwrap_or("+00:00");
    let when = last
        .map(|c| &c["checkpoint_time"])
        .filter(|t| !t.is_null())
        .unwrap_or(&msg["updated_at"]);
    Ok(vec![Scan {
        occurred_at: time::utc(when, offset, "checkpoint_time")?,
        order_id: text(msg, "/order_id"),
        sub_status: text(msg, "/subtag"),
        location: last.and_then(|c| text(c, "/location").or_else(|| text(c, "/city"))),
        cod_amount: None,
        currency: None,
        raw: v.clone(),
        tracking_number,
        raw_status,
    }])
}
