//! Generated Stripe activity for prepaid orders: customer, payment intent,
//! failed and succeeded charges (a planted duplicate), refunds.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::sim::{DAY, HOUR, Order, Outcome, id};
use super::stripe_json::{self as sj, ChargeSpec};
use super::truth::Observed;
use super::world::FAILURES;
use super::{Emitter, Planted};

/// The succeeded charge of a prepaid order.
pub struct Paid {
    /// Customer id.
    pub customer: String,
    /// Charge id.
    pub charge: String,
    /// Charge creation time.
    pub created: i64,
    /// Wallet used, if any.
    pub wallet: Option<&'static str>,
    /// Card brand.
    pub brand: &'static str,
}

fn fee(o: &Order) -> i64 {
    o.total * 29 / 1_000 + o.store.stripe_fixed_fee
}

/// Emits a succeeded charge and its payment intent, counting the payment when
/// it falls within the history.
fn succeeded(
    rng: &mut ChaCha8Rng,
    out: &mut Emitter,
    obs: &mut Observed,
    t: i64,
    charge: serde_json::Value,
    intent: serde_json::Value,
    amount: i64,
) {
    if out.stripe(rng, "charge.succeeded", t, charge) {
        obs.paid += amount;
        obs.paid_count += 1;
    }
    out.stripe(rng, "payment_intent.succeeded", t, intent);
}

/// Emits the customer, payment intent and charge attempts. Returns the
/// succeeded charge, or None when every attempt failed (the order is cancelled).
pub fn emit_payment(
    rng: &mut ChaCha8Rng,
    o: &Order,
    out: &mut Emitter,
    obs: &mut Observed,
) -> Option<Paid> {
    let (p, s, total, lower, meta, pi) = (
        o.p,
        o.store,
        o.total,
        o.lower.as_str(),
        &o.meta,
        o.pi.as_str(),
    );
    let mut t = p.created + 20;
    let cus = id(rng, "cus");
    let name = format!("Customer {}", o.cust_n);
    let intent =
        |status: &str, created: i64, ch: Option<&str>, err: Option<(&str, &str)>, pi: &str| {
            sj::payment_intent(pi, total, lower, status, created, ch, err, Some(&cus), meta)
        };
    out.stripe(
        rng,
        "customer.created",
        t,
        sj::customer(&cus, &o.email, &name, &o.phone, s.country, t, s.id),
    );
    out.stripe(
        rng,
        "payment_intent.created",
        t,
        intent("requires_payment_method", t, None, None, pi),
    );
    let mut paid = None;
    let attempts = p.failed_attempts + u32::from(!p.payment_abandoned);
    for a in 0..attempts {
        t += rng.random_range(30..600);
        let ch = id(rng, "ch");
        let wallet = [None, None, Some("apple_pay"), Some("google_pay")][rng.random_range(0..4)];
        let brand = ["visa", "mastercard", "amex"][rng.random_range(0..3)];
        let failed = a < p.failed_attempts;
        let failure = failed.then(|| FAILURES[rng.random_range(0..FAILURES.len())]);
        let txn = id(rng, "txn");
        let spec = ChargeSpec {
            id: &ch,
            payment_intent: pi,
            customer: Some(&cus),
            amount: total,
            amount_refunded: 0,
            currency: lower,
            status: if failed { "failed" } else { "succeeded" },
            failure,
            created: t,
            balance: (!failed).then_some((txn.as_str(), fee(o))),
            wallet,
            brand,
            metadata: meta,
            email: Some(&o.email),
        };
        if failed {
            out.stripe(rng, "charge.failed", t, sj::charge(&spec));
            let body = intent(
                "requires_payment_method",
                p.created + 20,
                Some(&ch),
                failure,
                pi,
            );
            out.stripe(rng, "payment_intent.payment_failed", t, body);
            continue;
        }
        let pi_body = intent("succeeded", p.created + 20, Some(&ch), None, pi);
        succeeded(rng, out, obs, t, sj::charge(&spec), pi_body, total);
        if p.planted == Some(Planted::DuplicateCharge) {
            let (ch2, pi2, txn2) = (id(rng, "ch"), id(rng, "pi"), id(rng, "txn"));
            let t2 = t + rng.random_range(5..120);
            let dup = ChargeSpec {
                id: &ch2,
                payment_intent: &pi2,
                balance: Some((txn2.as_str(), fee(o))),
                created: t2,
                ..spec
            };
            let pi_body = intent("succeeded", t2, Some(&ch2), None, &pi2);
            succeeded(rng, out, obs, t2, sj::charge(&dup), pi_body, total);
        }
        paid = Some(Paid {
            customer: cus.clone(),
            charge: ch,
            created: t,
            wallet,
            brand,
        });
    }
    if p.payment_abandoned {
        let tc = t + rng.random_range(HOUR..6 * HOUR);
        obs.cancelled |= o.push_snapshot(
            out,
            tc,
            "cancel",
            "voided",
            "cancelled",
            Some("payment_failed"),
        );
        return None;
    }
    o.push_snapshot(out, t, "update", "paid", "unfulfilled", None);
    paid
}

/// Emits a refund after a return, a requested (one-line or full) refund, or
/// the planted full refund of a prepaid order.
pub fn emit_refund(
    rng: &mut ChaCha8Rng,
    o: &Order,
    paid: &Paid,
    final_t: i64,
    out: &mut Emitter,
    obs: &mut Observed,
) {
    let p = o.p;
    let full = p.outcome == Outcome::Returned
        || p.refund_full == Some(true)
        || p.planted == Some(Planted::RefundedButRemitted);
    if !full && p.refund_full != Some(false) {
        return;
    }
    let tr = final_t + rng.random_range(DAY..10 * DAY);
    let (amount, sku, meta) = if full {
        (o.total, None, o.meta.clone())
    } else {
        let l = o.lines[rng.random_range(0..o.lines.len())];
        (
            l.3,
            Some(l.0),
            json!({"store_id": o.store.id, "order_id": p.order_id, "sku": l.0}),
        )
    };
    let re = id(rng, "re");
    let refund = sj::refund(
        &re,
        &paid.charge,
        &o.pi,
        amount,
        &o.lower,
        tr,
        "requested_by_customer",
        &meta,
    );
    if out.stripe(rng, "refund.created", tr, refund) {
        obs.refunded += amount;
    }
    let txn = id(rng, "txn");
    let spec = ChargeSpec {
        id: &paid.charge,
        payment_intent: &o.pi,
        customer: Some(&paid.customer),
        amount: o.total,
        amount_refunded: amount,
        currency: &o.lower,
        status: "succeeded",
        failure: None,
        created: paid.created,
        balance: Some((txn.as_str(), fee(o))),
        wallet: paid.wallet,
        brand: paid.brand,
        metadata: &o.meta,
        email: Some(&o.email),
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
    o.push_snapshot(out, tr, "update", fin, ful, None);
}
