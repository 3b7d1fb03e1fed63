//! Steady Stripe payment traffic for alert rules: charge attempts every hour
//! of every day, busier in the evening than at night, with a success rate
//! that wobbles around its normal level, and planted incidents where it
//! collapses for a while. Deterministic per seed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use super::sim::{HOUR, id};
use super::stripe_json::{self as sj, ChargeSpec};
use super::world::FAILURES;

/// A time when payments mostly failed.
#[derive(Debug, Clone, Copy)]
pub struct Incident {
    /// Start, Unix seconds.
    pub start: i64,
    /// How long, seconds.
    pub seconds: i64,
    /// Success rate meanwhile (0..1).
    pub success: f64,
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Traffic {
    /// The store.
    pub store_id: String,
    /// First day, Unix seconds (midnight UTC).
    pub start: i64,
    /// Days of traffic.
    pub days: i64,
    /// Attempts in an average hour.
    pub per_hour: u32,
    /// Normal success rate (0..1).
    pub success: f64,
    /// Planted incidents.
    pub incidents: Vec<Incident>,
    /// Seed.
    pub seed: u64,
}

/// How busy each hour of the day is, relative to the average.
const SHAPE: [f64; 24] = [
    0.3, 0.2, 0.2, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0, 1.1, 1.2, 1.3, 1.3, 1.2, 1.2, 1.2, 1.3, 1.4, 1.6,
    1.8, 1.8, 1.6, 1.2, 0.6,
];

/// Stripe `charge.succeeded` / `charge.failed` events as JSON lines, in time order.
pub fn payment_traffic(t: &Traffic) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(t.seed);
    let mut out = Vec::new();
    let meta = json!({"store_id": t.store_id});
    for h in 0..t.days * 24 {
        let hour_start = t.start + h * HOUR;
        let shape = SHAPE[(h % 24) as usize];
        let n = (f64::from(t.per_hour) * shape * rng.random_range(0.85..1.15)).round() as i64;
        let mut times: Vec<i64> = (0..n)
            .map(|_| hour_start + rng.random_range(0..HOUR))
            .collect();
        times.sort_unstable();
        for created in times {
            let rate = t
                .incidents
                .iter()
                .find(|i| created >= i.start && created < i.start + i.seconds)
                .map_or(t.success, |i| i.success);
            let ok = rng.random_bool(rate.clamp(0.0, 1.0));
            let (ch, pi, txn) = (id(&mut rng, "ch"), id(&mut rng, "pi"), id(&mut rng, "txn"));
            let amount = rng.random_range(1_000..50_000);
            let spec = ChargeSpec {
                id: &ch,
                payment_intent: &pi,
                customer: None,
                amount,
                amount_refunded: 0,
                currency: "usd",
                status: if ok { "succeeded" } else { "failed" },
                failure: (!ok).then(|| FAILURES[rng.random_range(0..FAILURES.len())]),
                created,
                balance: ok.then_some((txn.as_str(), amount * 29 / 1_000 + 30)),
                wallet: None,
                brand: "visa",
                metadata: &meta,
                email: None,
            };
            let kind = if ok {
                "charge.succeeded"
            } else {
                "charge.failed"
            };
            let evt = id(&mut rng, "evt");
            out.push(sj::event(&evt, kind, created, sj::charge(&spec)).to_string());
        }
    }
    out
}
