//! Carriers: tracking payloads in each carrier's own shape, into the
//! `tracking_update` contract. Every raw status maps to a normalized one
//! through a table you can read (each format's `STATUSES`, plus
//! `[carriers.NAME.statuses]`); an unknown status is refused with the
//! carrier's text and kept in `rejected`, never guessed.
//!
//! Adding a format: a folder here with `fn adapt(...)`, and a line in [`formats`].

pub mod aftership;
pub mod aramex;
pub mod generic;
pub mod settings;
mod time;
pub mod yalidine;

use serde_json::{Value, json};

use self::settings::CarrierSettings;
use crate::events::tracking::STATUSES as NORMALIZED;

/// One update read from a payload, before its status is mapped.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// Tracking number.
    pub tracking_number: String,
    /// Store order id, when the carrier knows it.
    pub order_id: Option<String>,
    /// The carrier's status text or code.
    pub raw_status: String,
    /// A second, finer status (AfterShip subtag), tried before `raw_status`.
    pub sub_status: Option<String>,
    /// RFC 3339, UTC.
    pub occurred_at: String,
    /// Where.
    pub location: Option<String>,
    /// COD amount to collect, major units.
    pub cod_amount: Option<String>,
    /// Its currency.
    pub currency: Option<String>,
    /// The part of the payload this update came from (kept when refused).
    pub raw: Value,
}

/// What one update becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Update {
    /// A `tracking_update` body, keyed by tracking number.
    Tracking {
        /// Event id (carrier, tracking number, status, time).
        event_id: String,
        /// Tracking number (the bus key).
        tracking_number: String,
        /// The body.
        body: Value,
    },
    /// Not mappable: kept in `rejected` with the reason and `raw`.
    Refused {
        /// A stable id for deduplication.
        event_id: String,
        /// Tracking number when it could be read.
        tracking_number: Option<String>,
        /// Why.
        reason: String,
        /// The carrier's own JSON for this update.
        raw: Value,
    },
}

/// A format: its name, its built-in status table, and its reader.
pub struct Format {
    /// Name in `[carriers.NAME] format`.
    pub name: &'static str,
    /// Carrier status -> normalized status.
    pub statuses: &'static [(&'static str, &'static str)],
    /// Reads every update in a payload.
    pub read: fn(&Value, &CarrierSettings) -> Result<Vec<Scan>, String>,
}

/// Every carrier format Settle reads.
pub fn formats() -> Vec<Format> {
    vec![
        yalidine::format(),
        aramex::format(),
        aftership::format(),
        generic::format(),
    ]
}

/// The format `name`, or an error listing the known ones.
pub fn format(name: &str) -> Result<Format, String> {
    let all = formats();
    let known: Vec<&str> = all.iter().map(|f| f.name).collect();
    let known = known.join(", ");
    all.into_iter()
        .find(|f| f.name == name)
        .ok_or_else(|| format!("carrier format {name:?} is unknown; use one of {known}"))
}

/// Reads a payload of carrier `carrier` (configured by `cfg`) into updates.
/// An error means the payload itself cannot be read (400 to the sender).
pub fn adapt(carrier: &str, cfg: &CarrierSettings, body: &[u8]) -> Result<Vec<Update>, String> {
    let fmt = format(&cfg.format)?;
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("body is not JSON ({e})"))?;
    let scans = (fmt.read)(&v, cfg)?;
    if scans.is_empty() {
        return Err(format!(
            "no tracking update found in the {} payload",
            fmt.name
        ));
    }
    Ok(scans
        .into_iter()
        .map(|s| update(carrier, cfg, &fmt, s))
        .collect())
}

/// Maps a status through `[carriers.NAME.statuses]`, then the format's table.
pub fn normalize(cfg: &CarrierSettings, fmt: &Format, raw: &str) -> Option<String> {
    if let Some(s) = cfg.statuses.get(raw) {
        return Some(s.clone());
    }
    fmt.statuses
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(raw) || *k == raw.trim())
        .map(|(_, v)| v.to_string())
}

fn update(carrier: &str, cfg: &CarrierSettings, fmt: &Format, s: Scan) -> Update {
    let event_id = format!(
        "{carrier}:{}:{}:{}",
        s.tracking_number, s.raw_status, s.occurred_at
    );
    let mapped = s
        .sub_status
        .as_deref()
        .and_then(|sub| normalize(cfg, fmt, sub))
        .or_else(|| normalize(cfg, fmt, &s.raw_status));
    let status = match mapped {
        Some(st) if NORMALIZED.contains(&st.as_str()) => st,
        Some(st) => {
            return Update::Refused {
                event_id,
                tracking_number: Some(s.tracking_number),
                reason: format!(
                    "[carriers.{carrier}.statuses] maps {:?} to {st:?}, which is not one of {}",
                    s.raw_status,
                    NORMALIZED.join(", ")
                ),
                raw: s.raw,
            };
        }
        None => {
            return Update::Refused {
                event_id,
                reason: format!(
                    "{carrier} ({}) status {:?} of parcel {} is not in the status table; \
                     add it under [carriers.{carrier}.statuses] and replay it from rejected",
                    fmt.name, s.raw_status, s.tracking_number
                ),
                tracking_number: Some(s.tracking_number),
                raw: s.raw,
            };
        }
    };
    let currency = s.currency.or_else(|| cfg.currency.clone());
    let body = json!({
        "event_id": event_id,
        "store_id": cfg.store_id,
        "carrier": carrier,
        "tracking_number": s.tracking_number,
        "order_id": s.order_id,
        "status": status,
        "raw_status": s.raw_status,
        "occurred_at": s.occurred_at,
        "location": s.location,
        "cod_amount": s.cod_amount,
        "currency": s.cod_amount.as_ref().and(currency),
    });
    Update::Tracking {
        event_id,
        tracking_number: s.tracking_number,
        body,
    }
}

#[cfg(test)]
mod tests;
