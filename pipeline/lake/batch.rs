//! One bus batch decoded into rows for every lake table.

use super::table::{Body, Micros};
use super::tables::*;
use crate::bus::Message;
use crate::events::decode::{Rejection, Typed, decode};

/// Rows for every event table, from one batch of bus messages.
#[derive(Debug, Default)]
pub struct Rows {
    /// `raw_events`.
    pub raw: Vec<RawEventRow>,
    /// `rejected`.
    pub rejected: Vec<RejectedRow>,
    /// `payments`.
    pub payments: Vec<PaymentRow>,
    /// `refunds`.
    pub refunds: Vec<RefundRow>,
    /// `invoices`.
    pub invoices: Vec<InvoiceRow>,
    /// `customers`.
    pub customers: Vec<CustomerRow>,
    /// `orders`.
    pub orders: Vec<OrderRow>,
    /// `order_lines`.
    pub order_lines: Vec<OrderLineRow>,
    /// `tracking_events`.
    pub tracking: Vec<TrackingRow>,
    /// `cod_remittances`.
    pub remittances: Vec<RemittanceRow>,
}

impl Rows {
    /// Adds a typed row to its table.
    pub fn push(&mut self, t: Typed) {
        match t {
            Typed::Payment(r) => self.payments.push(r),
            Typed::Refund(r) => self.refunds.push(r),
            Typed::Invoice(r) => self.invoices.push(r),
            Typed::Customer(r) => self.customers.push(r),
            Typed::Order(r) => self.orders.push(r),
            Typed::OrderLine(r) => self.order_lines.push(r),
            Typed::Tracking(r) => self.tracking.push(r),
            Typed::Remittance(r) => self.remittances.push(r),
        }
    }

    /// Decodes one bus message into its raw row and typed rows (the body
    /// stays in its buffer until Arrow), or a `rejected` row. Bodies
    /// above `max_bytes` are rejected without decoding. Returns the message
    /// when it was rejected, for the dead-letter topic.
    pub fn add_message(&mut self, m: Message, max_bytes: usize) -> Option<Message> {
        if m.payload.len() > max_bytes {
            let reason = format!(
                "{} body is {} bytes, above the {max_bytes}-byte limit ([ingest] max_event_bytes); \
                 split the event or raise the limit",
                m.meta.kind.contract(),
                m.payload.len()
            );
            self.reject(&m, Rejection::new(reason));
            return Some(m);
        }
        if let Some(why) = &m.meta.refusal {
            let reason = format!("refused at intake: {why}");
            self.reject(&m, Rejection::new(reason));
            return Some(m);
        }
        let body = match Body::new(m.payload.clone()) {
            Ok(b) => b,
            Err(e) => {
                let reason = format!("{} body is not UTF-8 text ({e})", m.meta.kind.contract());
                self.reject(&m, Rejection::new(reason));
                return Some(m);
            }
        };
        match decode(m.meta.kind, body.as_str(), &m.meta.store_id) {
            Ok(d) => {
                for t in d.rows {
                    self.push(t);
                }
                let Message {
                    topic,
                    partition,
                    offset,
                    key,
                    meta,
                    ..
                } = m;
                self.raw.push(RawEventRow {
                    store_id: d.store_id,
                    source: meta.kind.source().into(),
                    kind: meta.kind.contract().into(),
                    event_id: d.event_id,
                    key,
                    occurred_at: d.occurred_at,
                    received_at: Micros(meta.received_at),
                    origin: meta.origin,
                    payload: body,
                    topic,
                    partition,
                    offset,
                });
                None
            }
            Err(r) => {
                self.reject(&m, r);
                Some(m)
            }
        }
    }

    /// Keeps `m` in `rejected` with the reason.
    pub fn reject(&mut self, m: &Message, r: Rejection) {
        self.rejected.push(RejectedRow {
            store_id: r.store_id,
            source: m.meta.kind.source().into(),
            kind: m.meta.kind.contract().into(),
            event_id: r.event_id,
            origin: m.meta.origin.clone(),
            reason: format!("{}: {}", m.meta.origin, r.reason),
            payload: String::from_utf8_lossy(&m.payload).into_owned(),
            received_at: Micros(m.meta.received_at),
            topic: m.topic.clone(),
            partition: m.partition,
            offset: m.offset,
        })
    }

    /// Messages accounted for (accepted plus rejected).
    pub fn events(&self) -> usize {
        self.raw.len() + self.rejected.len()
    }
}
