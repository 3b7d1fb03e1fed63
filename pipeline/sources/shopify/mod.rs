//! Shopify order webhooks into the `order_change` contract.
//!
//! Verified by `X-Shopify-Hmac-SHA256` (base64 HMAC-SHA256 of the raw body
//! with the app's secret); topics in `X-Shopify-Topic`; each delivery has an
//! `X-Shopify-Webhook-Id`, which becomes the event id (so a re-delivery is
//! one event). Statuses map through the tables below; anything else is
//! refused and kept, never guessed.

use serde_json::{Value, json};

use super::store::{Adapted, amount, lookup, required, text, unknown_topic};
use crate::money::Currency;

/// Topics Settle takes.
pub const TOPICS: &[&str] = &[
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "refunds/create",
];

/// Shopify `financial_status` -> `order_change.financial_status`.
pub const FINANCIAL: &[(&str, &str)] = &[
    ("pending", "pending"),
    ("authorized", "pending"),
    ("partially_paid", "pending"),
    ("paid", "paid"),
    ("partially_refunded", "partially_refunded"),
    ("refunded", "refunded"),
    ("voided", "voided"),
];

/// Shopify `fulfillment_status` -> `order_change.fulfillment_status`
/// (null means unfulfilled; a cancelled order is `cancelled` whatever it says).
pub const FULFILLMENT: &[(&str, &str)] = &[
    ("unfulfilled", "unfulfilled"),
    ("partial", "unfulfilled"),
    ("fulfilled", "fulfilled"),
    ("restocked", "returned"),
];

/// Adapts one verified webhook of `topic` from `store`, delivered as `webhook_id`.
pub fn adapt(
    topic: &str,
    store: &str,
    webhook_id: Option<&str>,
    body: &[u8],
) -> Result<Adapted, String> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| format!("body is not JSON ({e}); Shopify sends the order as JSON"))?;
    let change = match topic {
        "orders/create" => "create",
        "orders/updated" => "update",
        "orders/cancelled" => "cancel",
        "refunds/create" => {
            return Ok(Adapted::Refused(format!(
                "Shopify refunds/create for order {} carries a refund, not an order snapshot; \
                 the refund counts through the orders/updated snapshot Shopify sends with it \
                 (financial_status partially_refunded or refunded); kept for audit",
                text(&v, "/order_id").unwrap_or_default()
            )));
        }
        other => return Ok(unknown_topic("Shopify", other, TOPICS)),
    };
    Ok(order(&v, change, store, webhook_id)
        .unwrap_or_else(|why| Adapted::Refused(format!("Shopify {topic}: {why}"))))
}

fn order(
    v: &Value,
    change: &str,
    store: &str,
    webhook_id: Option<&str>,
) -> Result<Adapted, String> {
    let order_id = required(v, "/id", "Shopify order")?;
    let currency_code = required(v, "/currency", "Shopify order")?;
    let currency = Currency::parse(&currency_code).map_err(|e| e.to_string())?;
    let cancelled = !matches!(v.pointer("/cancelled_at"), None | Some(Value::Null));
    let change = if cancelled { "cancel" } else { change };
    let financial_raw = text(v, "/financial_status").unwrap_or_else(|| "pending".into());
    let financial = lookup(FINANCIAL, &financial_raw, "financial_status")?;
    let fulfillment_raw = text(v, "/fulfillment_status").unwrap_or_else(|| "unfulfilled".into());
    let fulfillment = if cancelled {
        "cancelled"
    } else {
        lookup(FULFILLMENT, &fulfillment_raw, "fulfillment_status")?
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
        let price = amount(li, "/price")?.ok_or(format!("line_items[{i}] has no price"))?;
        let quantity = li.get("quantity").and_then(Value::as_i64).unwrap_or(0);
        let unit = currency
            .parse_non_negative(&price)
            .map_err(|e| format!("line_items[{i}].price: {e}"))?;
        sum = unit
            .checked_mul(quantity)
            .and_then(|t| sum.checked_add(t))
            .ok_or("line items overflow")?;
        lines.push(json!({
            "sku": text(li, "/sku").or_else(|| text(li, "/variant_id")).unwrap_or_default(),
            "title": text(li, "/title").unwrap_or_default(),
            "quantity": quantity,
            "unit_price": price,
        }));
    }
    let subtotal = amount(v, "/total_line_items_price")?.unwrap_or_else(|| currency.format(sum));
    let shipping = amount(v, "/total_shipping_price_set/shop_money/amount")?;
    // With tax-inclusive prices the tax is already inside the lines.
    let taxes_included = v
        .get("taxes_included")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let tax = if taxes_included {
        None
    } else {
        amount(v, "/total_tax")?
    };
    let gateways: Vec<String> = v
        .pointer("/payment_gateway_names")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.as_str().map(str::to_ascii_lowercase))
        .chain(text(v, "/gateway").map(|g| g.to_ascii_lowercase()))
        .collect();
    let cod = gateways
        .iter()
        .any(|g| g.contains("cash on delivery") || g.contains("(cod)") || g == "cod");
    let channel = match text(v, "/source_name").as_deref() {
        None | Some("web") => "online_store".to_string(),
        Some(other) => other.to_string(),
    };
    let place = |f: &str| text(v, &format!("/shipping_address/{f}"));
    let created_at = required(v, "/created_at", "Shopify order")?;
    let body = json!({
        "event_id": webhook_id.map(|id| format!("shopify:{id}")),
        "change": change,
        "store_id": store,
        "platform": "shopify",
        "channel": channel,
        "order_id": order_id,
        "created_at": created_at,
        "updated_at": text(v, "/updated_at").unwrap_or(created_at.clone()),
        "customer": {
            "email": text(v, "/email").or_else(|| text(v, "/customer/email")),
            "phone": text(v, "/phone").or_else(|| place("phone")).or_else(|| text(v, "/customer/phone")),
            "city": place("city"),
            "region": place("province"),
            "country": place("country_code"),
        },
        "currency": currency.code(),
        "line_items": lines,
        "totals": {
            "subtotal": subtotal,
            "shipping": shipping,
            "discount": amount(v, "/total_discounts")?,
            "tax": tax,
            "total": amount(v, "/total_price")?.ok_or("Shopify order payload has no total_price")?,
        },
        "payment_method": if cod { "cod" } else { "prepaid" },
        "financial_status": financial,
        "fulfillment_status": fulfillment,
        "cancel_reason": text(v, "/cancel_reason"),
        "stripe_payment_intent": null,
    });
    Ok(Adapted::Order { order_id, body })
}

#[cfg(test)]
mod tests;
