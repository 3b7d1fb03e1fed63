//! Generated carrier COD remittance lines, with the planted discrepancies.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::sim::{DAY, Order, Outcome};
use super::truth::Observed;
use super::{Emitter, Planted};
use crate::events::Kind;
use crate::money::Currency;

/// Emits the order's remittance line (a COD collection, a return fee, or a
/// planted line), paid `remit_lag` days after the final scan.
pub fn emit_remittance(
    rng: &mut ChaCha8Rng,
    o: &Order,
    final_t: i64,
    out: &mut Emitter,
    obs: &mut Observed,
) {
    let (p, s, c, total) = (o.p, o.store, o.contract, o.total);
    let paid_day = final_t.div_euclid(DAY) + p.remit_lag;
    let (mut currency, mut collected, mut fees) = (o.cur, 0i64, [0i64; 3]);
    let remit = match (p.cod, p.outcome, p.planted) {
        (_, _, Some(Planted::MissingRemittance)) => false,
        (true, Outcome::Delivered, planted) => {
            collected = total;
            if planted == Some(Planted::ShortRemittance) {
                collected = total - (total * rng.random_range(10..=30) / 100).max(1);
            }
            fees = [c.shipping_fee, c.cod_fee(collected), 0];
            if planted == Some(Planted::FeeAboveContract) {
                fees[1] += rng.random_range(1..=5) * 10i64.pow(o.cur.exponent());
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
                fees = [c.shipping_fee, c.cod_fee(total), 0];
            } else {
                fees = [0, 0, c.return_fee];
            }
            true
        }
        (false, Outcome::Delivered, Some(Planted::RefundedButRemitted)) => {
            collected = total;
            fees = [c.shipping_fee, c.cod_fee(total), 0];
            true
        }
        _ => false,
    };
    if !remit {
        return;
    }
    let fmt = |v: i64| currency.format(v);
    let date = chrono::NaiveDate::default() + chrono::Days::new(paid_day as u64);
    let statement = format!(
        "{}-{}-{}",
        p.carrier.prefix,
        s.currency,
        date.format("%Y%m%d")
    );
    let body = json!({
        "event_id": format!("{}:{statement}:{}", p.carrier.name, o.tracking),
        "store_id": s.id, "carrier": p.carrier.name, "statement_id": statement,
        "paid_date": date.format("%Y-%m-%d").to_string(), "tracking_number": o.tracking, "order_id": p.order_id,
        "currency": currency.code(), "collected": fmt(collected),
        "fees": {"shipping": fmt(fees[0]), "cod": fmt(fees[1]), "return": fmt(fees[2]), "other": fmt(0)},
        "net_remitted": fmt(collected - fees.iter().sum::<i64>()),
        "bank_reference": format!("TRF-{statement}"),
    });
    if out.push(Kind::Remittance, paid_day * DAY, body) {
        if currency == o.cur {
            obs.remit.push((collected, fees.iter().sum()));
        } else {
            obs.remit_other_currency = true;
        }
    }
}
