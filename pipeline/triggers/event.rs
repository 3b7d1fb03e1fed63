//! An event as triggers see it: its kind, type, id, store and JSON body.
//!
//! Types: Stripe events keep theirs (`payment_intent.succeeded`); store
//! orders are `order.create`, `order.update` or `order.cancel`; carrier
//! scans `tracking.<status>` (`tracking.returned_to_origin`); remittance
//! lines `remittance.line`. Ids are the ones the lake keeps (given or
//! derived by the contract's decoder), so an event resent by its source
//! has the same id.

use serde_json::Value;

use crate::bus::Message;
use crate::events::Kind;
use crate::events::decode::decode;

/// One event, decoded.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its contract.
    pub kind: Kind,
    /// Its type (see the module docs).
    pub event_type: String,
    /// Its id.
    pub id: String,
    /// Its store.
    pub store_id: String,
    /// The body.
    pub body: Value,
    /// `topic/partition@offset`.
    pub source: String,
}

impl Event {
    /// Reads a bus message; `Err` says why the event is unusable (the lake
    /// keeps such events in `rejected`, so triggers only skip them).
    pub fn of(m: &Message) -> Result<Event, String> {
        if let Some(why) = &m.meta.refusal {
            return Err(why.clone());
        }
        let text = std::str::from_utf8(&m.payload).map_err(|e| format!("not UTF-8: {e}"))?;
        let decoded = decode(m.meta.kind, text, &m.meta.store_id).map_err(|r| r.reason)?;
        let body: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let event_type = type_of(m.meta.kind, &body);
        Ok(Event {
            kind: m.meta.kind,
            event_type,
            id: decoded.event_id,
            store_id: decoded.store_id,
            body,
            source: format!("{}/{}@{}", m.topic, m.partition, m.offset),
        })
    }
}

/// The event type of a body of `kind`.
pub fn type_of(kind: Kind, body: &Value) -> String {
    let text = |k: &str| body.get(k).and_then(Value::as_str).unwrap_or("unknown");
    match kind {
        Kind::Stripe => text("type").to_string(),
        Kind::Order => format!("order.{}", text("change")),
        Kind::Tracking => format!("tracking.{}", text("status")),
        Kind::Remittance => "remittance.line".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn types_follow_the_contract() {
        assert_eq!(
            type_of(Kind::Stripe, &json!({"type": "charge.refunded"})),
            "charge.refunded"
        );
        assert_eq!(
            type_of(Kind::Order, &json!({"change": "cancel"})),
            "order.cancel"
        );
        assert_eq!(
            type_of(Kind::Tracking, &json!({"status": "returned_to_origin"})),
            "tracking.returned_to_origin"
        );
        assert_eq!(type_of(Kind::Remittance, &json!({})), "remittance.line");
    }
}
