//! Simulates one order's life: payment, shipment, tracking, refunds and COD
//! remittance, with any planted discrepancy, emitting only what happened by the
//! history's end.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

use super::stripe_json::{self as sj, ChargeSpec};
use super::truth::Observed;
use super::world::{CHANNELS, Carrier, FAILURES, Store};
use super::{Emitter, Planted};
use crate::events::Kind;
use crate::jobs::contracts::Contract;
use crate::money::Currency;

const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

/// Random base-62 id with a Stripe-style prefix.
pub fn id(rng: &mut ChaCha8Rng, prefix: &str) -> String {
    const A: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let tail: String = (0..24)
        .map(|_| A[rng.random_range(0..A.len())] as char)
        .collect();
    format!("{prefix}_{tail}")
}

fn rfc3339(t: i64) -> String {
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

/// Emits every event of a planned order and returns what was observed.
pub fn emit(rng: &mut ChaCha8Rng, p: &Plan, contracts: &[Contract], out: &mut Emitter) -> Observed {
    let s = p.store;
    let cur = Currency::parse(s.currency).expect("store currency");
    let lower = s.currency.to_ascii_lowercase();
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
    let total = subtotal + s.shipping - discount;
    let contract = contracts
        .iter()
        .find(|c| c.carrier == p.carrier.name && c.currency == cur)
        .expect("a contract for every generated carrier and currency");
    let mut obs = Observed {
        cod: p.cod,
        total,
        contract: (
            contract.shipping_fee,
            contract.cod_fee_bps,
            contract.return_fee,
        ),
        ..Default::default()
    };
    let meta = json!({"store_id": s.id, "order_id": p.order_id});
    let pi = id(rng, "pi");
    let tracking = format!("{}{:09}", p.carrier.prefix, 100_000_000 + p.n);
    let order_json = |t: i64, change: &str, fin: &str, ful: &str, cancel: Option<&str>| -> Value {
        json!({
            "event_id": format!("{}:{}:{}", s.platform, p.order_id, t),
            "change": change, "store_id": s.id, "platform": s.platform, "channel": channel,
            "order_id": p.order_id, "created_at": rfc3339(p.created), "updated_at": rfc3339(t),
            "customer": {"email": email, "phone": phone, "city": region.1, "region": region.0, "country": s.country},
            "currency": s.currency,
            "line_items": lines.iter().map(|l| json!({"sku": l.0, "title": l.1, "quantity": l.2,
                "unit_price": cur.format(l.3)})).collect::<Vec<_>>(),
            "totals": {"subtotal": cur.format(subtotal), "shipping": cur.format(s.shipping),
                "discount": cur.format(discount), "tax": cur.format(0), "total": cur.format(total)},
            "payment_method": if p.cod { "cod" } else { "prepaid" },
            "financial_status": fin, "fulfillment_status": ful, "cancel_reason": cancel,
            "stripe_payment_intent": if p.cod { Value::Null } else { json!(pi) },
        })
    };
    out.push(
        Kind::Order,
        p.created,
        order_json(p.created, "create", "pending", "unfulfilled", None),
    );

    // Payment (prepaid).
    let mut t = p.created + 20;
    let mut charge_id = None;
    let customer = (!p.cod).then(|| id(rng, "cus"));
    if let Some(cus) = &customer {
        let name = format!("Customer {cust_n}");
        out.stripe(
            rng,
            "customer.created",
            t,
            sj::customer(cus, &email, &name, &phone, s.country, t, s.id),
        );
        out.stripe(
            rng,
            "payment_intent.created",
            t,
            sj::payment_intent(
                &pi,
                total,
                &lower,
                "requires_payment_method",
                t,
                None,
                None,
                Some(cus),
                &meta,
            ),
        );
        let attempts = p.failed_attempts + u32::from(!p.payment_abandoned);
        for a in 0..attempts {
            t += rng.random_range(30..600);
            let ch = id(rng, "ch");
            let wallet =
                [None, None, Some("apple_pay"), Some("google_pay")][rng.random_range(0..4)];
            let brand = ["visa", "mastercard", "amex"][rng.random_range(0..3)];
            let failed = a < p.failed_attempts;
            let failure = failed.then(|| FAILURES[rng.random_range(0..FAILURES.len())]);
            let fee = total * 29 / 1_000 + s.stripe_fixed_fee;
            let txn = id(rng, "txn");
            let spec = ChargeSpec {
                id: &ch,
                payment_intent: &pi,
                customer: Some(cus),
                amount: total,
                amount_refunded: 0,
                currency: &lower,
                status: if failed { "failed" } else { "succeeded" },
                failure,
                created: t,
                balance: (!failed).then_some((txn.as_str(), fee)),
                wallet,
                brand,
                metadata: &meta,
                email: Some(&email),
            };
            if failed {
                out.stripe(rng, "charge.failed", t, sj::charge(&spec));
                out.stripe(
                    rng,
                    "payment_intent.payment_failed",
                    t,
                    sj::payment_intent(
                        &pi,
                        total,
                        &lower,
                        "requires_payment_method",
                        p.created + 20,
                        Some(&ch),
                        failure,
                        Some(cus),
                        &meta,
                    ),
                );
            } else {
                if out.stripe(rng, "charge.succeeded", t, sj::charge(&spec)) {
                    obs.paid += total;
                    obs.paid_count += 1;
                }
                out.stripe(
                    rng,
                    "payment_intent.succeeded",
                    t,
                    sj::payment_intent(
                        &pi,
                        total,
                        &lower,
                        "succeeded",
                        p.created + 20,
                        Some(&ch),
                        None,
                        Some(cus),
                        &meta,
                    ),
                );
                charge_id = Some(ch.clone());
                if p.planted == Some(Planted::DuplicateCharge) {
                    let (ch2, pi2, txn2) = (id(rng, "ch"), id(rng, "pi"), id(rng, "txn"));
                    let t2 = t + rng.random_range(5..120);
                    let dup = ChargeSpec {
                        id: &ch2,
                        payment_intent: &pi2,
                        balance: Some((txn2.as_str(), fee)),
                        created: t2,
                        ..spec
                    };
                    if out.stripe(rng, "charge.succeeded", t2, sj::charge(&dup)) {
                        obs.paid += total;
                        obs.paid_count += 1;
                    }
                    out.stripe(
                        rng,
                        "payment_intent.succeeded",
                        t2,
                        sj::payment_intent(
                            &pi2,
                            total,
                            &lower,
                            "succeeded",
                            t2,
                            Some(&ch2),
                            None,
                            Some(cus),
                            &meta,
                        ),
                    );
                }
            }
        }
        if p.payment_abandoned {
            let tc = t + rng.random_range(HOUR..6 * HOUR);
            obs.cancelled |= out.push(
                Kind::Order,
                tc,
                order_json(tc, "cancel", "voided", "cancelled", Some("payment_failed")),
            );
            return obs;
        }
        if out.push(
            Kind::Order,
            t,
            order_json(t, "update", "paid", "unfulfilled", None),
        ) {
            // paid snapshot
        }
    }
    if p.cancel {
        let tc = p.created + rng.random_range(HOUR..20 * HOUR);
        obs.cancelled |= out.push(
            Kind::Order,
            tc,
            order_json(tc, "cancel", "voided", "cancelled", Some("customer")),
        );
        return obs;
    }

    // Shipment and tracking.
    let fin = if p.cod { "pending" } else { "paid" };
    out.push(
        Kind::Order,
        p.shipped,
        order_json(p.shipped, "update", fin, "fulfilled", None),
    );
    let cod_amount = p.cod.then(|| cur.format(total));
    let scan = |out: &mut Emitter, t: i64, status: &str, location: &str| -> bool {
        let body = json!({
            "event_id": format!("{}:{}:{}:{}", p.carrier.name, tracking, status, t),
            "store_id": s.id, "carrier": p.carrier.name, "tracking_number": tracking, "order_id": p.order_id,
            "status": status, "raw_status": (p.carrier.raw)(status), "occurred_at": rfc3339(t), "location": location,
            "cod_amount": cod_amount, "currency": cod_amount.as_ref().map(|_| s.currency),
        });
        out.push(Kind::Tracking, t, body)
    };
    let mut t = p.shipped;
    scan(out, t, "info_received", "Origin warehouse");
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
        scan(out, t, status, &format!("{} hub {}", region.1, h + 1));
    }
    for _ in 0..attempts {
        t += rng.random_range(8 * HOUR..20 * HOUR);
        scan(out, t, "out_for_delivery", region.1);
        t += rng.random_range(2 * HOUR..8 * HOUR);
        scan(out, t, "attempt_failed", region.1);
    }
    let final_t;
    match p.outcome {
        Outcome::Delivered => {
            t += rng.random_range(8 * HOUR..20 * HOUR);
            scan(out, t, "out_for_delivery", region.1);
            t += rng.random_range(HOUR..8 * HOUR);
            final_t = t;
            if scan(out, t, "delivered", region.1) {
                obs.delivered_at = Some(t);
                out.push(
                    Kind::Order,
                    t,
                    order_json(t, "update", "paid", "delivered", None),
                );
            }
        }
        Outcome::Returned => {
            t += rng.random_range(DAY..3 * DAY);
            scan(out, t, "in_transit", "Return to origin");
            t += rng.random_range(DAY..2 * DAY);
            final_t = t;
            if scan(out, t, "returned_to_origin", "Origin warehouse") {
                obs.returned = true;
                let fin = if p.cod { "voided" } else { "refunded" };
                out.push(
                    Kind::Order,
                    t,
                    order_json(t, "update", fin, "returned", None),
                );
            }
        }
    }

    // Refunds (prepaid): after a return, a requested refund, or a planted full refund.
    let full_refund = p.outcome == Outcome::Returned
        || p.refund_full == Some(true)
        || p.planted == Some(Planted::RefundedButRemitted);
    if let (Some(ch), false) = (&charge_id, p.cod)
        && (full_refund || p.refund_full == Some(false))
    {
        let tr = final_t + rng.random_range(DAY..10 * DAY);
        let (amount, sku, meta_r) = if full_refund {
            (total, None, meta.clone())
        } else {
            let l = lines[rng.random_range(0..lines.len())];
            (
                l.3,
                Some(l.0),
                json!({"store_id": s.id, "order_id": p.order_id, "sku": l.0}),
            )
        };
        let re = id(rng, "re");
        if out.stripe(
            rng,
            "refund.created",
            tr,
            sj::refund(
                &re,
                ch,
                &pi,
                amount,
                &lower,
                tr,
                "requested_by_customer",
                &meta_r,
            ),
        ) {
            obs.refunded += amount;
        }
        let txn = id(rng, "txn");
        let fee = total * 29 / 1_000 + s.stripe_fixed_fee;
        let spec = ChargeSpec {
            id: ch,
            payment_intent: &pi,
            customer: customer.as_deref(),
            amount: total,
            amount_refunded: amount,
            currency: &lower,
            status: "succeeded",
            failure: None,
            created: t,
            balance: Some((txn.as_str(), fee)),
            wallet: None,
            brand: "visa",
            metadata: &meta,
            email: Some(&email),
        };
        out.stripe(rng, "charge.refunded", tr, sj::charge(&spec));
        let fin = if sku.is_some() {
            "partially_refunded"
        } else {
            "refunded"
        };
        let ful = if p.outcome == Outcome::Returned {
            "returned"
        } else {
            "delivered"
        };
        out.push(Kind::Order, tr, order_json(tr, "update", fin, ful, None));
    }

    // COD remittance (and the planted lines on prepaid orders).
    let final_day = final_t.div_euclid(DAY);
    let paid_day = final_day + p.remit_lag;
    let (mut currency, mut collected, mut fees) = (cur, 0i64, [0i64; 3]);
    let remit = match (p.cod, p.outcome, p.planted) {
        (_, _, Some(Planted::MissingRemittance)) => false,
        (true, Outcome::Delivered, planted) => {
            collected = total;
            if planted == Some(Planted::ShortRemittance) {
                collected = total - (total * rng.random_range(10..=30) / 100).max(1);
            }
            fees = [contract.shipping_fee, contract.cod_fee(collected), 0];
            if planted == Some(Planted::FeeAboveContract) {
                fees[1] += rng.random_range(1..=5) * 10i64.pow(cur.exponent());
            }
            if planted == Some(Planted::WrongCurrency) {
                currency = Currency::parse(if s.currency == "USD" { "EUR" } else { "USD" })
                    .expect("known");
            }
            true
        }
        (true, Outcome::Returned, planted) => {
            if planted == Some(Planted::RemittedButReturned) {
                collected = total;
                fees = [contract.shipping_fee, contract.cod_fee(total), 0];
            } else {
                fees = [0, 0, contract.return_fee];
            }
            true
        }
        (false, Outcome::Delivered, Some(Planted::RefundedButRemitted)) => {
            collected = total;
            fees = [contract.shipping_fee, contract.cod_fee(total), 0];
            true
        }
        _ => false,
    };
    if remit {
        let fmt = |v: i64| currency.format(v);
        let date = chrono::NaiveDate::default() + chrono::Days::new(paid_day as u64);
        let statement = format!(
            "{}-{}-{}",
            p.carrier.prefix,
            s.currency,
            date.format("%Y%m%d")
        );
        let body = json!({
            "event_id": format!("{}:{statement}:{tracking}", p.carrier.name),
            "store_id": s.id, "carrier": p.carrier.name, "statement_id": statement,
            "paid_date": date.format("%Y-%m-%d").to_string(), "tracking_number": tracking, "order_id": p.order_id,
            "currency": currency.code(), "collected": fmt(collected),
            "fees": {"shipping": fmt(fees[0]), "cod": fmt(fees[1]), "return": fmt(fees[2]), "other": fmt(0)},
            "net_remitted": fmt(collected - fees.iter().sum::<i64>()),
            "bank_reference": format!("TRF-{statement}"),
        });
        if out.push(Kind::Remittance, paid_day * DAY, body) {
            if currency == cur {
                obs.remit.push((collected, fees.iter().sum()));
            } else {
                obs.remit_other_currency = true;
            }
        }
    }
    obs
}

/// The final scan time of a plan (for eligibility of planted discrepancies),
/// drawn with a separate generator so planting does not shift other orders.
pub fn final_scan_estimate(p: &Plan) -> i64 {
    // Upper bound of the scan timeline: ship + hops + attempts + last leg.
    p.shipped + 12 * DAY
}
