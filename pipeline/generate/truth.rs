//! Ground truth: the reconciliation status and amounts each generated order
//! must get, computed from what the generator emitted with the rules
//! documented in `schemas/cod_reconciliation.md` (an implementation separate
//! from the SQL, so each checks the other).

use serde::{Deserialize, Serialize};

/// What the generator emitted about one order, as of the history's end.
#[derive(Debug, Clone, Default)]
pub struct Observed {
    /// Payment method is COD.
    pub cod: bool,
    /// Order total, minor units.
    pub total: i64,
    /// The order was cancelled.
    pub cancelled: bool,
    /// First delivered scan, Unix seconds.
    pub delivered_at: Option<i64>,
    /// A returned_to_origin scan exists.
    pub returned: bool,
    /// Sum of succeeded charges.
    pub paid: i64,
    /// Number of succeeded charges.
    pub paid_count: u32,
    /// Sum of refunds.
    pub refunded: i64,
    /// Remittance lines in the order's currency: (collected, total fees).
    pub remit: Vec<(i64, i64)>,
    /// A remittance line in another currency exists.
    pub remit_other_currency: bool,
    /// Contract: (shipping fee, COD fee bps, return fee).
    pub contract: (i64, i64, i64),
}

/// The expected reconciliation row of one order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truth {
    /// Store.
    pub store_id: String,
    /// Order id.
    pub order_id: String,
    /// Currency.
    pub currency: String,
    /// cod or prepaid.
    pub payment_method: String,
    /// Reconciliation status.
    pub status: String,
    /// Amount the order should bring in.
    pub expected: i64,
    /// Part of expected received and accepted.
    pub settled: i64,
    /// Part of expected not yet due.
    pub outstanding: i64,
    /// Part of expected in dispute.
    pub exception: i64,
    /// Money received beyond expected (to return or investigate).
    pub excess: i64,
    /// The discrepancy the generator planted, if any.
    pub planted: Option<String>,
}

/// Applies the reconciliation rules. `as_of` and `overdue_days` as in the job.
pub fn reconcile(o: &Observed, as_of: i64, overdue_days: i64) -> (String, [i64; 5]) {
    let has_remit = !o.remit.is_empty();
    let collected: i64 = o.remit.iter().map(|r| r.0).sum();
    let fees: i64 = o.remit.iter().map(|r| r.1).sum();
    let (ship, bps, ret) = o.contract;
    let contract_fees = if o.returned {
        ret
    } else {
        ship + (collected * bps + 5_000) / 10_000
    };
    let fee_excess = if has_remit {
        (fees - contract_fees).max(0)
    } else {
        0
    };
    let net_paid = o.paid - o.refunded;
    let status = if o.remit_other_currency {
        "currency_mismatch"
    } else if !o.cod && o.paid > 0 && o.refunded >= o.paid && collected > 0 {
        "refunded_but_remitted"
    } else if !o.cod && collected > 0 {
        "refund_due"
    } else if o.cod && o.returned && collected > 0 {
        "remitted_but_returned"
    } else if !o.cod && o.paid_count > 1 && o.paid > o.total {
        "duplicate_payment"
    } else if !o.cod {
        if o.cancelled && net_paid == 0 {
            "cancelled"
        } else if o.paid == 0 {
            "unpaid"
        } else {
            "prepaid_settled"
        }
    } else if o.cancelled {
        "cancelled"
    } else if o.returned {
        "returned"
    } else if let Some(d) = o.delivered_at {
        if has_remit && collected < o.total {
            "short_remitted"
        } else if has_remit && collected > o.total {
            "over_remitted"
        } else if has_remit && fee_excess > 0 {
            "fee_mismatch"
        } else if has_remit {
            "settled"
        } else if (as_of - d).div_euclid(86_400) > overdue_days {
            "overdue"
        } else {
            "awaiting_remittance"
        }
    } else {
        "awaiting_delivery"
    };
    let expected = if o.cod {
        if o.cancelled || o.returned {
            0
        } else {
            o.total
        }
    } else if o.paid == 0 && o.cancelled {
        0
    } else {
        o.total - o.refunded
    };
    let received = if o.cod {
        collected
    } else {
        net_paid + collected
    };
    let outstanding = match status {
        "awaiting_delivery" | "awaiting_remittance" | "unpaid" => expected,
        _ => 0,
    };
    let settled = match status {
        "currency_mismatch" | "overdue" => 0,
        _ => (received.min(expected) - fee_excess).max(0),
    };
    let excess = if status == "currency_mismatch" {
        0
    } else {
        (received - expected).max(0)
    };
    let exception = expected - settled - outstanding;
    (
        status.to_string(),
        [expected, settled, outstanding, exception, excess],
    )
}
