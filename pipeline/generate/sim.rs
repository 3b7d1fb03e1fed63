//! Simulates one order's life: payment, shipment, tracking, refunds and COD
//! remittance, with any planted discrepancy, emitting only what happened by the
//! history's end.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::truth::Observed;
use super::world::{CHANNELS, Carrier, Store};
use super::{Emitter, Planted, payment, remit};
use crate::events::Kind;
use crate::jobs::contracts::Contract;
use crate::money::Currency;

/// Seconds per hour.
pub const HOUR: i64 = 3_600;
/// Seconds per day.
pub const DAY: i64 = 86_400;

/// Random base-62 id with a Stripe-style prefix.
pub fn id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let tail: String = (0..24)
        .map(|_| A[rng.random_range(0..A.len())] as char)
        .collect();
    format!("{prefix}_{tail}")
}

/// Unix seconds as RFC 3339 text.
pub fn rfc3339(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .expect("in range")
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn pick_weighted<'a, T>(rng: &mut ChaCha8Rng, items: &'a [(T, f64)]) -> &'a T {
    let mut x = rng.random::<f64>() * items.iter().map(|i| i.1).sum::<f64>();
    for (item, w) in items {
        if x < *w {
            return item;
        }
        x -= w;
    }
    &items[items.len() - 1].0
}

/// How a shipment ends, before the history's end cuts it off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Delivered to the customer.
    Delivered,
    /// Returned to origin after failed attempts.
    Returned,
}

/// The plan of one order, fixed before discrepancies are planted.
pub struct Plan {
    /// Index.
    pub n: usize,
    /// Store.
    pub store: &'static Store,
    /// Carrier.
    pub carrier: &'static Carrier,
    /// Order id.
    pub order_id: String,
    /// Cash on delivery.
    pub cod: bool,
    /// Creation time.
    pub created: i64,
    /// Cancelled before shipping.
    pub cancel: bool,
    /// Payment attempts that fail before success (prepaid).
    pub failed_attempts: u32,
    /// All payment attempts failed (prepaid), so the order is cancelled.
    pub payment_abandoned: bool,
    /// Shipment outcome.
    pub outcome: Outcome,
    /// Ship time.
    pub shipped: i64,
    /// Time of the final delivered or returned scan.
    pub final_scan: i64,
    /// Refund after delivery: None, Some(false) one line, Some(true) full (prepaid).
    pub refund_full: Option<bool>,
    /// Days from final scan to the carrier's payment.
    pub remit_lag: i64,
    /// Planted discrepancy.
    pub planted: Option<Planted>,
}

/// Draws an order's plan.
pub fn plan(rng: &mut ChaCha8Rng, n: usize, start: i64, days: i64) -> Plan {
    let weights: Vec<(usize, f64)> = super::world::STORES
        .iter()
        .enumerate()
        .map(|(i, s)| (i, s.weight))
        .collect();
    let store = &super::world::STORES[*pick_weighted(rng, &weights)];
    let carrier = &super::world::CARRIERS[rng.random_range(0..super::world::CARRIERS.len())];
    let cod = rng.random_bool(store.cod_share);
    let created = start + rng.random_range(0..days * DAY);
    let failed_attempts = if !cod && rng.random_bool(0.15) {
        rng.random_range(1..=2)
    } else {
        0
    };
    let payment_abandoned = failed_attempts > 0 && rng.random_bool(0.25);
    let cancel = cod && rng.random_bool(0.05);
    let rto = if cod {
        carrier.cod_rto
    } else {
        carrier.prepaid_rto
    };
    let outcome = if rng.random_bool(rto) {
        Outcome::Returned
    } else {
        Outcome::Delivered
    };
    let shipped = created + rng.random_range(4 * HOUR..48 * HOUR);
    let refund_full = match (cod, outcome) {
        (false, Outcome::Delivered) if rng.random_bool(0.08) => Some(false),
        (false, Outcome::Delivered) if rng.random_bool(0.03) => Some(true),
        _ => None,
    };
    Plan {
        n,
        store,
        carrier,
        order_id: format!("{}-{}", store.prefix, 100_000 + n),
        cod,
        created,
        cancel,
        failed_attempts,
        payment_abandoned,
        outcome,
        shipped,
        final_scan: 0,
        refund_full,
        remit_lag: rng.random_range(7..=15),
        planted: None,
    }
}

/// One order's fixed facts while its events are emitted.
pub struct Order<'a> {
    /// The plan.
    pub p: &'a Plan,
    /// Store.
    pub store: &'static Store,
    /// Currency.
    pub cur: Currency,
    /// Lower-case currency, as Stripe writes it.
    pub lower: String,
    /// (region, city).
    pub region: (&'static str, &'static str),
    /// Sales channel.
    pub channel: &'static str,
    /// Customer number.
    pub cust_n: u32,
    /// Customer email.
    pub email: String,
    /// Customer phone.
    pub phone: String,
    /// Lines: (sku, title, quantity, unit price).
    pub lines: Vec<(&'static str, &'static str, i64, i64)>,
    /// Sum of lines.
    pub subtotal: i64,
    /// Discount.
    pub discount: i64,
    /// Total.
    pub total: i64,
    /// Carrier contract for the order's currency.
    pub contract: &'a Contract,
    /// Stripe metadata.
    pub meta: Value,
    /// Payment intent id.
    pub pi: String,
    /// Tracking number.
    pub tracking: String,
}

impl Order<'_> {
    /// The order_change snapshot at `t`.
    pub fn snapshot(
        &self,
        t: i64,
        change: &str,
        fin: &str,
        ful: &str,
        cancel: Option<&str>,
    ) -> Value {
        let (s, p, cur) = (self.store, self.p, self.cur);
        json!({
            "event_id": format!("{}:{}:{}", s.platform, p.order_id, t),
            "change": change, "store_id": s.id, "platform": s.platform, "channel": self.channel,
            "order_id": p.order_id, "created_at": rfc3339(p.created), "updated_at": rfc3339(t),
            "customer": {"email": self.email, "phone": self.phone, "city": self.region.1,
                "region": self.region.0, "country": s.country},
            "currency": s.currency,
            "line_items": self.lines.iter().map(|l| json!({"sku": l.0, "title": l.1, "quantity": l.2,
                "unit_price": cur.format(l.3)})).collect::<Vec<_>>(),
            "totals": {"subtotal": cur.format(self.subtotal), "shipping": cur.format(s.shipping),
                "discount": cur.format(self.discount), "tax": cur.format(0), "total": cur.format(self.total)},
            "payment_method": if p.cod { "cod" } else { "prepaid" },
            "financial_status": fin, "fulfillment_status": ful, "cancel_reason": cancel,
            "stripe_payment_intent": if p.cod { Value::Null } else { json!(self.pi) },
        })
    }

    /// Emits an order_change snapshot; returns whether it was within the history.
    pub fn push_snapshot(
        &self,
        out: &mut Emitter,
        t: i64,
        change: &str,
        fin: &str,
        ful: &str,
        cancel: Option<&str>,
    ) -> bool {
        out.push(Kind::Order, t, self.snapshot(t, change, fin, ful, cancel))
    }

    /// Emits a tracking scan; returns whether it was within the history.
    fn scan(&self, out: &mut Emitter, t: i64, status: &str, location: &str) -> bool {
        let (s, p) = (self.store, self.p);
        let cod_amount = p.cod.then(|| self.cur.format(self.total));
        let body = json!({
            "event_id": format!("{}:{}:{}:{}", p.carrier.name, self.tracking, status, t),
            "store_id": s.id, "carrier": p.carrier.name, "tracking_number": self.tracking, "order_id": p.order_id,
            "status": status, "raw_status": (p.carrier.raw)(status), "occurred_at": rfc3339(t), "location": location,
            "cod_amount": cod_amount, "currency": p.cod.then_some(s.currency),
        });
        out.push(Kind::Tracking, t, body)
    }
}

fn order<'a>(rng: &mut ChaCha8Rng, p: &'a Plan, contracts: &'a [Contract]) -> Order<'a> {
    let s = p.store;
    let cur = Currency::parse(s.currency).expect("store currency");
    let region = s.regions[rng.random_range(0..s.regions.len())];
    let channel = *pick_weighted(rng, CHANNELS);
    let cust_n = rng.random_range(0..5_000);
    let email = format!("customer{cust_n}@{}.example", s.id);
    let phone = format!("{}{:08}", s.phone, rng.random_range(0..100_000_000u32));
    let mut lines = Vec::new();
    for _ in 0..rng.random_range(1..=3) {
        let (sku, title, price) = s.products[rng.random_range(0..s.products.len())];
        lines.push((sku, title, rng.random_range(1..=2i64), price));
    }
    let subtotal: i64 = lines.iter().map(|l| l.2 * l.3).sum();
    let discount = if rng.random_bool(0.15) {
        subtotal / 10
    } else {
        0
    };
    let contract = contracts
        .iter()
        .find(|c| c.carrier == p.carrier.name && c.currency == cur)
        .expect("a contract for every generated carrier and currency");
    Order {
        p,
        store: s,
        cur,
        lower: s.currency.to_ascii_lowercase(),
        region,
        channel,
        cust_n,
        email,
        phone,
        total: subtotal + s.shipping - discount,
        lines,
        subtotal,
        discount,
        contract,
        meta: json!({"store_id": s.id, "order_id": p.order_id}),
        pi: id(rng, "pi"),
        tracking: format!("{}{:09}", p.carrier.prefix, 100_000_000 + p.n),
    }
}

/// Emits every event of a planned order and returns what was observed.
pub fn emit(rng: &mut ChaCha8Rng, p: &Plan, contracts: &[Contract], out: &mut Emitter) -> Observed {
    let o = order(rng, p, contracts);
    let c = o.contract;
    let mut obs = Observed {
        cod: p.cod,
        total: o.total,
        contract: (c.shipping_fee, c.cod_fee_bps, c.return_fee),
        ..Default::default()
    };
    o.push_snapshot(out, p.created, "create", "pending", "unfulfilled", None);
    let paid = if p.cod {
        None
    } else {
        match payment::emit_payment(rng, &o, out, &mut obs) {
            Some(paid) => Some(paid),
            None => return obs, // every attempt failed: cancelled
        }
    };
    if p.cancel {
        let tc = p.created + rng.random_range(HOUR..20 * HOUR);
        obs.cancelled |=
            o.push_snapshot(out, tc, "cancel", "voided", "cancelled", Some("customer"));
        return obs;
    }
    let final_t = shipment(rng, &o, out, &mut obs);
    if let Some(paid) = &paid {
        payment::emit_refund(rng, &o, paid, final_t, out, &mut obs);
    }
    remit::emit_remittance(rng, &o, final_t, out, &mut obs);
    obs
}

/// Emits the fulfilment snapshot and tracking scans; returns the final scan time.
fn shipment(rng: &mut ChaCha8Rng, o: &Order, out: &mut Emitter, obs: &mut Observed) -> i64 {
    let (p, region) = (o.p, o.region);
    let fin = if p.cod { "pending" } else { "paid" };
    o.push_snapshot(out, p.shipped, "update", fin, "fulfilled", None);
    let mut t = p.shipped;
    o.scan(out, t, "info_received", "Origin warehouse");
    let (hops, attempts) = match p.outcome {
        Outcome::Delivered => (rng.random_range(3..=5), rng.random_range(0..=1)),
        Outcome::Returned => (rng.random_range(2..=3), rng.random_range(2..=3)),
    };
    for h in 0..hops {
        t += rng.random_range(3 * HOUR..20 * HOUR);
        let status = if h == 1 && rng.random_bool(0.05) {
            "exception"
        } else {
            "in_transit"
        };
        o.scan(out, t, status, &format!("{} hub {}", region.1, h + 1));
    }
    for _ in 0..attempts {
        t += rng.random_range(8 * HOUR..20 * HOUR);
        o.scan(out, t, "out_for_delivery", region.1);
        t += rng.random_range(2 * HOUR..8 * HOUR);
        o.scan(out, t, "attempt_failed", region.1);
    }
    match p.outcome {
        Outcome::Delivered => {
            t += rng.random_range(8 * HOUR..20 * HOUR);
            o.scan(out, t, "out_for_delivery", region.1);
            t += rng.random_range(HOUR..8 * HOUR);
            if o.scan(out, t, "delivered", region.1) {
                obs.delivered_at = Some(t);
                o.push_snapshot(out, t, "update", "paid", "delivered", None);
            }
        }
        Outcome::Returned => {
            t += rng.random_range(DAY..3 * DAY);
            o.scan(out, t, "in_transit", "Return to origin");
            t += rng.random_range(DAY..2 * DAY);
            if o.scan(out, t, "returned_to_origin", "Origin warehouse") {
                obs.returned = true;
                let fin = if p.cod { "voided" } else { "refunded" };
                o.push_snapshot(out, t, "update", fin, "returned", None);
            }
        }
    }
    t
}

/// The final scan time of a plan (for eligibility of planted discrepancies),
/// drawn with a separate generator so planting does not shift other orders.
pub fn final_scan_estimate(p: &Plan) -> i64 {
    // Upper bound of the scan timeline: ship + hops + attempts + last leg.
    p.shipped + 12 * DAY
}
