//! `settle generate`: a realistic, deterministic store history as JSONL event
//! files, with planted discrepancies and the ground truth for reconciliation.

pub mod payment;
pub mod remit;
pub mod sim;
pub mod stripe_json;
pub mod traffic;
pub mod truth;
pub mod world;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use crate::events::Kind;
use crate::jobs::contracts::Contract;
use sim::{Outcome, Plan};
use truth::{Truth, reconcile};

/// The first day of every generated history (fixed so a seed means one history).
pub const START: &str = "2026-06-01";

/// Discrepancies the generator plants, each on a few orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Planted {
    /// Carrier remits less cash than the COD amount.
    ShortRemittance,
    /// Delivered long ago, never remitted.
    MissingRemittance,
    /// COD fee above the contract.
    FeeAboveContract,
    /// Cash remitted for a parcel returned to origin.
    RemittedButReturned,
    /// Two succeeded Stripe charges for one order.
    DuplicateCharge,
    /// Order refunded in Stripe, yet the carrier remitted cash for it.
    RefundedButRemitted,
    /// Remittance line in a currency other than the order's.
    WrongCurrency,
}

impl Planted {
    /// All kinds.
    pub const ALL: [Planted; 7] = [
        Planted::ShortRemittance,
        Planted::MissingRemittance,
        Planted::FeeAboveContract,
        Planted::RemittedButReturned,
        Planted::DuplicateCharge,
        Planted::RefundedButRemitted,
        Planted::WrongCurrency,
    ];

    /// Name in the ground truth.
    pub fn name(self) -> &'static str {
        match self {
            Planted::ShortRemittance => "short_remittance",
            Planted::MissingRemittance => "missing_remittance",
            Planted::FeeAboveContract => "fee_above_contract",
            Planted::RemittedButReturned => "remitted_but_returned",
            Planted::DuplicateCharge => "duplicate_charge",
            Planted::RefundedButRemitted => "refunded_but_remitted",
            Planted::WrongCurrency => "wrong_currency",
        }
    }

    /// The reconciliation status that must flag it.
    pub fn status(self) -> &'static str {
        match self {
            Planted::ShortRemittance => "short_remitted",
            Planted::MissingRemittance => "overdue",
            Planted::FeeAboveContract => "fee_mismatch",
            Planted::RemittedButReturned => "remitted_but_returned",
            Planted::DuplicateCharge => "duplicate_payment",
            Planted::RefundedButRemitted => "refunded_but_remitted",
            Planted::WrongCurrency => "currency_mismatch",
        }
    }

    fn eligible(self, p: &Plan, end: i64, overdue_days: i64) -> bool {
        const DAY: i64 = 86_400;
        let last = sim::final_scan_estimate(p);
        let shipped_cod = p.cod && !p.cancel;
        let paid_prepaid = !p.cod && !p.payment_abandoned;
        match self {
            Planted::ShortRemittance | Planted::FeeAboveContract | Planted::WrongCurrency => {
                shipped_cod
                    && p.outcome == Outcome::Delivered
                    && last + (p.remit_lag + 1) * DAY < end
            }
            Planted::MissingRemittance => {
                shipped_cod
                    && p.outcome == Outcome::Delivered
                    && last + (overdue_days + 2) * DAY < end
            }
            Planted::RemittedButReturned => {
                shipped_cod
                    && p.outcome == Outcome::Returned
                    && last + (p.remit_lag + 1) * DAY < end
            }
            Planted::DuplicateCharge => paid_prepaid && p.created + DAY < end,
            Planted::RefundedButRemitted => {
                paid_prepaid && p.outcome == Outcome::Delivered && last + 16 * DAY < end
            }
        }
    }
}

/// Collects generated events, dropping those after the history's end.
pub struct Emitter {
    end: i64,
    /// Events per kind: (Unix seconds, sequence, JSON).
    pub events: BTreeMap<Kind, Vec<(i64, u64, String)>>,
    seq: u64,
}

impl Emitter {
    /// Keeps `body` if `t` is within the history; returns whether it was kept.
    pub fn push(&mut self, kind: Kind, t: i64, body: Value) -> bool {
        if t > self.end {
            return false;
        }
        self.seq += 1;
        self.events
            .entry(kind)
            .or_default()
            .push((t, self.seq, body.to_string()));
        true
    }

    /// Wraps a Stripe object in an event envelope and keeps it.
    pub fn stripe(&mut self, rng: &mut ChaCha8Rng, type_: &str, t: i64, object: Value) -> bool {
        let evt = sim::id(rng, "evt");
        self.push(Kind::Stripe, t, stripe_json::event(&evt, type_, t, object))
    }

    /// Time of the newest kept event.
    pub fn newest(&self) -> i64 {
        self.events
            .values()
            .flatten()
            .map(|e| e.0)
            .max()
            .unwrap_or(0)
    }
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Number of orders.
    pub orders: usize,
    /// Days of history.
    pub days: i64,
    /// Seed: one seed, one history.
    pub seed: u64,
    /// Overdue threshold used for planting and the ground truth.
    pub overdue_days: i64,
}

/// A generated history.
#[derive(Debug, Clone)]
pub struct History {
    /// Events per kind in time order, as JSON lines.
    pub events: BTreeMap<Kind, Vec<String>>,
    /// Ground truth per order.
    pub truth: Vec<Truth>,
    /// The history's watermark (newest event), Unix seconds.
    pub as_of: i64,
}

/// Generates a history.
pub fn generate(cfg: &Config, contracts: &[Contract]) -> History {
    let start = chrono::NaiveDate::parse_from_str(START, "%Y-%m-%d")
        .expect("static date")
        .and_hms_opt(0, 0, 0)
        .expect("midnight")
        .and_utc()
        .timestamp();
    let end = start + cfg.days * 86_400;
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut plans: Vec<Plan> = (0..cfg.orders)
        .map(|n| sim::plan(&mut rng, n, start, cfg.days))
        .collect();
    plant(&mut rng, &mut plans, end, cfg.overdue_days);
    let mut out = Emitter {
        end,
        events: BTreeMap::new(),
        seq: 0,
    };
    let observed: Vec<_> = plans
        .iter()
        .map(|p| sim::emit(&mut rng, p, contracts, &mut out))
        .collect();
    let as_of = out.newest();
    let truth = plans
        .iter()
        .zip(&observed)
        .map(|(p, o)| {
            let (status, [expected, settled, outstanding, exception, excess]) =
                reconcile(o, as_of, cfg.overdue_days);
            Truth {
                store_id: p.store.id.into(),
                order_id: p.order_id.clone(),
                currency: p.store.currency.into(),
                payment_method: if p.cod { "cod" } else { "prepaid" }.into(),
                status,
                expected,
                settled,
                outstanding,
                exception,
                excess,
                planted: p.planted.map(|k| k.name().to_string()),
            }
        })
        .collect();
    let events = out
        .events
        .into_iter()
        .map(|(k, mut v)| {
            v.sort_by_key(|e| (e.0, e.1));
            (k, v.into_iter().map(|e| e.2).collect())
        })
        .collect();
    History {
        events,
        truth,
        as_of,
    }
}

/// Plants each discrepancy on about 1 % of eligible orders (at least 3 when
/// possible), never two on one order.
fn plant(rng: &mut ChaCha8Rng, plans: &mut [Plan], end: i64, overdue_days: i64) {
    for kind in Planted::ALL {
        let eligible: Vec<usize> = plans
            .iter()
            .filter(|p| p.planted.is_none() && kind.eligible(p, end, overdue_days))
            .map(|p| p.n)
            .collect();
        let want = (eligible.len() / 80).max(3).min(eligible.len());
        let mut chosen = 0;
        let mut pool = eligible;
        while chosen < want && !pool.is_empty() {
            let i = pool.swap_remove(rng.random_range(0..pool.len()));
            plans[i].planted = Some(kind);
            if kind == Planted::RefundedButRemitted {
                plans[i].refund_full = Some(true);
            }
            chosen += 1;
        }
    }
}

/// Writes a history as `DIR/{stripe_events,orders,tracking,remittances}.jsonl`
/// and `DIR/truth.jsonl`.
pub fn write(history: &History, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for kind in Kind::ALL {
        let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join(kind.file_name()))?);
        for line in history.events.get(&kind).into_iter().flatten() {
            writeln!(f, "{line}")?;
        }
        f.flush()?;
    }
    let mut f = std::io::BufWriter::new(std::fs::File::create(dir.join("truth.jsonl"))?);
    for t in &history.truth {
        writeln!(f, "{}", serde_json::to_string(t).expect("truth serializes"))?;
    }
    f.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression: `charge.refunded` carried the shipment time as the charge's
    /// `created` and a different wallet, so the latest charge state moved
    /// prepaid revenue to the wrong day and payment method.
    #[test]
    fn regression_refunded_charge_keeps_its_creation_time_and_method() {
        let h = generate(
            &Config {
                orders: 400,
                days: 40,
                seed: 3,
                overdue_days: 20,
            },
            &crate::jobs::contracts::defaults(),
        );
        let mut seen: std::collections::HashMap<String, (i64, Value)> = Default::default();
        let mut refunded = 0;
        for line in &h.events[&Kind::Stripe] {
            let v: Value = serde_json::from_str(line).unwrap();
            let obj = &v["data"]["object"];
            if obj["object"] != "charge" {
                continue;
            }
            refunded += usize::from(v["type"] == "charge.refunded");
            let key = (
                obj["created"].as_i64().unwrap(),
                obj["payment_method_details"].clone(),
            );
            let first = seen
                .entry(obj["id"].as_str().unwrap().to_string())
                .or_insert(key.clone());
            assert_eq!(*first, key, "charge {} changed", obj["id"]);
        }
        assert!(refunded > 0, "the history has refunded charges");
    }
}
