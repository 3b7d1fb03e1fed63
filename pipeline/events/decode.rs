//! Decoding one event body into its typed lake rows, or a rejection reason.

use super::Kind;
use crate::lake::table::Micros;
use crate::lake::tables::*;

/// A typed row produced from one event.
#[derive(Debug, Clone, PartialEq)]
pub enum Typed {
    /// A `payments` row.
    Payment(PaymentRow),
    /// A `refunds` row.
    Refund(RefundRow),
    /// An `invoices` row.
    Invoice(InvoiceRow),
    /// A `customers` row.
    Customer(CustomerRow),
    /// An `orders` row.
    Order(OrderRow),
    /// An `order_lines` row.
    OrderLine(OrderLineRow),
    /// A `tracking_events` row.
    Tracking(TrackingRow),
    /// A `cod_remittances` row.
    Remittance(RemittanceRow),
}

/// What decoding one event yields.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Store the event belongs to.
    pub store_id: String,
    /// Event id, given or derived.
    pub event_id: String,
    /// When it happened at the source.
    pub occurred_at: Micros,
    /// Typed rows (possibly none, e.g. a Stripe event type Settle does not table).
    pub rows: Vec<Typed>,
}

/// Why an event was rejected; kept in the `rejected` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Store, when it could be read.
    pub store_id: Option<String>,
    /// Event id, when it could be read.
    pub event_id: Option<String>,
    /// What was wrong and what to do.
    pub reason: String,
}

impl Rejection {
    /// A rejection with only a reason.
    pub fn new(reason: impl Into<String>) -> Self {
        Rejection {
            store_id: None,
            event_id: None,
            reason: reason.into(),
        }
    }
}

/// Decodes one event body of `kind`; `default_store` applies when the body names none.
pub fn decode(kind: Kind, payload: &str, default_store: &str) -> Result<Decoded, Rejection> {
    match kind {
        Kind::Stripe => crate::sources::stripe::decode::decode(payload, default_store),
        Kind::Order => super::order::decode(payload),
        Kind::Tracking => super::tracking::decode(payload),
        Kind::Remittance => super::remittance::decode(payload),
    }
}

/// Parses JSON into `T`, turning serde's message into a rejection that says what to do.
pub(crate) fn parse_json<'a, T: serde::Deserialize<'a>>(
    payload: &'a str,
    contract: &str,
) -> Result<T, Rejection> {
    serde_json::from_str(payload).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            "is not valid JSON"
        } else {
            "does not match the contract"
        };
        Rejection::new(format!(
            "{contract} {what}: {e}; see schemas/{contract}.schema.json"
        ))
    })
}
