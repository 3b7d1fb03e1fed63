//! Any carrier's JSON, read through `[carriers.NAME.fields]` (JSON pointers)
//! and `[carriers.NAME.statuses]` (its status texts). Fields:
//! `items` (optional: a list of updates; else the body is one update),
//! `tracking_number`, `status`, `occurred_at` (required), `order_id`,
//! `location`, `cod_amount`, `currency` (optional).
//!
//! ```toml
//! [carriers.ameex]
//! format = "generic"
//! store_id = "shop1"
//! currency = "MAD"
//! utc_offset = "+01:00"
//! fields = { items = "/colis", tracking_number = "/code", status = "/etat", occurred_at = "/date" }
//! statuses = { "LIVRE" = "delivered", "RETOURNE" = "returned_to_origin" }
//! ```

use serde_json::Value;

use super::settings::CarrierSettings;
use super::{Format, Scan, time};
use crate::sources::store::{amount, text};

/// The generic format has no built-in statuses: all come from config.
pub const STATUSES: &[(&str, &str)] = &[];

/// The format.
pub fn format() -> Format {
    Format {
        name: "generic",
        statuses: STATUSES,
        read,
    }
}

fn read(v: &Value, cfg: &CarrierSettings) -> Result<Vec<Scan>, String> {
    let field = |name: &str| cfg.fields.get(name).map(String::as_str);
    let need = |name: &str| {
        field(name).ok_or_else(|| {
            format!(
                "[carriers] generic format needs fields.{name} (a JSON pointer like \"/status\")"
            )
        })
    };
    let items: Vec<&Value> = match field("items") {
        Some(p) => v
            .pointer(p)
            .and_then(Value::as_array)
            .ok_or_else(|| format!("fields.items {p:?} is not a list in this payload"))?
            .iter()
            .collect(),
        None => vec![v],
    };
    let offset = cfg.utc_offset.as_deref().unwrap_or("+00:00");
    let (tn, st, at_field) = (
        need("tracking_number")?,
        need("status")?,
        need("occurred_at")?,
    );
    items
        .into_iter()
        .enumerate()
        .map(|(i, u)| {
            let at = |f: &str| format!("update {i} {f}");
            let opt = |name: &str| field(name).and_then(|p| text(u, p));
            Ok(Scan {
                tracking_number: text(u, tn).ok_or_else(|| at(&format!("has nothing at {tn}")))?,
                raw_status: text(u, st).ok_or_else(|| at(&format!("has nothing at {st}")))?,
                occurred_at: time::utc(
                    u.pointer(at_field).unwrap_or(&Value::Null),
                    offset,
                    &at(at_field),
                )?,
                order_id: opt("order_id"),
                sub_status: None,
                location: opt("location"),
                cod_amount: match field("cod_amount") {
                    Some(p) => amount(u, p).map_err(|e| at(&e))?,
                    None => None,
                },
                currency: opt("currency"),
                raw: u.clone(),
            })
        })
        .collect()
}
