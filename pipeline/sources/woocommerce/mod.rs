//! WooCommerce order webhooks (REST API v3 order objects) into the
//! `order_change` contract.
//!
//! Verified by `X-WC-Webhook-Signature` (base64 HMAC-SHA256 of the raw body
//! with the webhook's secret); topic in `X-WC-Webhook-Topic`; each delivery
//! has an `X-WC-Webhook-Delivery-ID`. Order statuses map through
//! [`STATUSES`]; anything else is refused and kept, never guessed.

use serde_json::{Value, json};

use super::store::{Adapted, amount, required, text, unknown_topic};
use crate::money::Currency;

/// Topics Settle takes.
pub const TOPICS: &[&str] = &["order.created", "order.updated", "order.deleted"];

/// WooCommerce order status -> (financial_status for prepaid, for cod, fulfillment_status).
/// A COD order in `processing` is not paid yet: the carrier collects the cash.
pub const STATUSES: &[(&str, (&str, &str, &str))] = &[
    ("pending", ("pending", "pending", "unfulfilled")),
    ("on-hold", ("pending", "pending", "unfulfilled")),
    ("processing", ("paid", "pending", "unfulfilled")),
    ("completed", ("paid", "paid", "fulfilled")),
    ("cancelled", ("voided", "voided", "cancelled")),
    ("failed", ("voided", "voided", "cancelled")),
    ("refunded", ("refunded", "refunded", "returned")),
    ("trash", ("voided", "voided", "cancelled")),
];

/// Adapts one verified webhook of `topic` from `store`, delivered as `delivery`.
pub fn adapt(
    topic: &str,
    store: &str,
    delivery: Option<&str>,
    body: &[u8],
) -> Result<Adapted, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("body is not JSON ({e}); WooCommerce sends the order as JSON"))?;
    let change = match topic {
        "order.created" => "create",
        "order.updated" => "update",
        "order.deleted" => {
            return Ok(Adapted::Refused(format!(
                "WooCommerce order.deleted for order {} carries only the order id, not a snapshot; \
                 the order keeps its last state (trash it as cancelled to report it); kept for audit",
                text(&v, "/id").unwrap_or_default()
            )));
        }
        other => return Ok(unknown_topic("WooCommerce", other, TOPICS)),
    };
    Ok(order(&v, change, store, delivery)
        .unwrap_or_else(|why| Adapted::Refused(format!("WooCommerce {topic}: {why}"))))
}

fn order(v: &Value, change: &str, store: &str, delivery: Option<&str>) -> Result<Adapted, String> {
    let order_id = required(v, "/id", "WooCommerce order")?;
    let currency = Currency::parse(&required(v, "/currency", "WooCommerce order")?)
        .map_err(|e| e.to_string())?;
    let status = required(v, "/status", "WooCommerce order")?;
    let Some(&(_, (prepaid_fin, cod_fin, fulfillment))) =
        STATUSES.iter().find(|(k, _)| *k == status)
    else {
        let known: Vec<&str> = STATUSES.iter().map(|(k, _)| *k).collect();
        return Err(format!(
            "status {status:?} is not in Settle's table ({})",
            known.join(", ")
        ));
    };
    let cod = text(v, "/payment_method").as_deref() == Some("cod");
    let refunded_some = v
        .pointer("/refunds")
        .and_then(Value::as_array)
        .is_some_and(|r| !r.is_empty());
    let mut financial = if cod { cod_fin } else { prepaid_fin };
    if refunded_some && financial == "paid" {
        financial = "partially_refunded";
    }
    let change = if fulfillment == "cancelled" {
        "cancel"
    } else {
        change
    };
    let mut lines = Vec::new();
    let mut sum = 0i64;
    for (i, li) in v
        .pointer("/line_items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        // `price` is a JSON float; the line's `subtotal` (before coupons) is exact.
        let subtotal =
            amount(li, "/subtotal")?.ok_or(format!("line_items[{i}] has no subtotal"))?;
        let minor = currency
            .parse_non_negative(&subtotal)
            .map_err(|e| format!("line_items[{i}].subtotal: {e}"))?;
        let quantity = li
            .get("quantity")
            .and_then(Value::as_i64)
            .unwrap_or(0)
            .max(1);
        let name = text(li, "/name").unwrap_or_default();
        // Unit price only when it divides exactly; else one line of the whole amount.
        let (quantity, unit, title) = if minor % quantity == 0 {
            (quantity, minor / quantity, name)
        } else {
            (1, minor, format!("{name} (x{quantity})"))
        };
        sum = sum.checked_add(minor).ok_or("line items overflow")?;
        lines.push(json!({
            "sku": text(li, "/sku").or_else(|| text(li, "/product_id")).unwrap_or_default(),
            "title": title,
            "quantity": quantity,
            "unit_price": currency.format(unit),
        }));
    }
    let gmt = |field: &str| -> Result<String, String> {
        let t = required(v, &format!("/{field}_gmt"), "WooCommerce order")?;
        // WooCommerce writes GMT times without a zone.
        Ok(if t.ends_with('Z') || t.contains('+') {
            t
        } else {
            format!("{t}Z")
        })
    };
    let created_at = gmt("date_created")?;
    let updated_at = gmt("date_modified").unwrap_or(created_at.clone());
    let place =
        |f: &str| text(v, &format!("/shipping/{f}")).or_else(|| text(v, &format!("/billing/{f}")));
    let payment_intent = text(v, "/transaction_id").filter(|t| t.starts_with("pi_"));
    let body = json!({
        "event_id": delivery.map(|d| format!("woocommerce:{store}:{d}")),
        "change": change,
        "store_id": store,
        "platform": "woocommerce",
        "channel": text(v, "/created_via").map_or("online_store".to_string(), |c| if c == "checkout" { "online_store".into() } else { c }),
        "order_id": order_id,
        "created_at": created_at,
        "updated_at": updated_at,
        "customer": {
            "email": text(v, "/billing/email"),
            "phone": text(v, "/billing/phone").or_else(|| text(v, "/shipping/phone")),
            "city": place("city"),
            "region": place("state"),
            "country": place("country"),
        },
        "currency": currency.code(),
        "line_items": lines,
        "totals": {
            "subtotal": currency.format(sum),
            "shipping": amount(v, "/shipping_total")?,
            "discount": amount(v, "/discount_total")?,
            "tax": amount(v, "/total_tax")?,
            "total": amount(v, "/total")?.ok_or("WooCommerce order payload has no total")?,
        },
        "payment_method": if cod { "cod" } else { "prepaid" },
        "financial_status": financial,
        "fulfillment_status": fulfillment,
        "cancel_reason": (fulfillment == "cancelled").then_some(status.clone()),
        "stripe_payment_intent": payment_intent,
    });
    Ok(Adapted::Order { order_id, body })
}

#[cfg(test)]
mod tests;
