//! The `order_change` contract: a store order snapshot after create, update or cancel.

use serde::Deserialize;

use super::amount::{AmountText, minor_or_zero};
use super::decode::{Decoded, Rejection, Typed, parse_json};
use super::parse_timestamp;
use crate::lake::table::Micros;
use crate::lake::tables::{OrderLineRow, OrderRow};
use crate::money::Currency;

/// An order snapshot as sent by a store adapter (see `schemas/order_change.md`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderChange {
    /// Event id; derived from platform, order id and updated_at when absent.
    pub event_id: Option<String>,
    /// create, update or cancel.
    pub change: String,
    /// Store id.
    pub store_id: String,
    /// shopify, woocommerce or generic.
    pub platform: String,
    /// Sales channel.
    pub channel: String,
    /// Store order id.
    pub order_id: String,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
    /// Customer contact and shipping place.
    #[serde(default)]
    pub customer: Customer,
    /// ISO 4217 code.
    pub currency: String,
    /// Line items.
    pub line_items: Vec<LineItem>,
    /// Order totals.
    pub totals: Totals,
    /// cod or prepaid.
    pub payment_method: String,
    /// pending, paid, partially_refunded, refunded or voided.
    pub financial_status: String,
    /// unfulfilled, fulfilled, delivered, returned or cancelled.
    pub fulfillment_status: String,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Stripe payment intent for prepaid orders.
    pub stripe_payment_intent: Option<String>,
}

/// Customer contact and shipping place.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Customer {
    /// Email.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Region or province.
    pub region: Option<String>,
    /// ISO 3166 alpha-2 country.
    pub country: Option<String>,
}

/// One line item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineItem {
    /// SKU.
    pub sku: String,
    /// Title.
    pub title: String,
    /// Units, at least 1.
    pub quantity: i64,
    /// Unit price in major units.
    pub unit_price: AmountText,
}

/// Order totals in major units.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Totals {
    /// Sum of lines.
    pub subtotal: AmountText,
    /// Shipping charged.
    pub shipping: Option<AmountText>,
    /// Discount given.
    pub discount: Option<AmountText>,
    /// Tax charged.
    pub tax: Option<AmountText>,
    /// What the customer pays.
    pub total: AmountText,
}

const CHANGES: &[&str] = &["create", "update", "cancel"];
const METHODS: &[&str] = &["cod", "prepaid"];
const FINANCIAL: &[&str] = &[
    "pending",
    "paid",
    "partially_refunded",
    "refunded",
    "voided",
];
const FULFILLMENT: &[&str] = &[
    "unfulfilled",
    "fulfilled",
    "delivered",
    "returned",
    "cancelled",
];

/// Checks that `value` of `field` is one of `allowed`.
pub(crate) fn one_of(field: &str, value: &str, allowed: &[&str]) -> Result<(), String> {
    if allowed.contains(&value) {
        Ok(())
    } else {
        Err(format!(
            "{field} {value:?} is not one of {}",
            allowed.join(", ")
        ))
    }
}

/// Decodes an `order_change` body.
pub fn decode(payload: &str) -> Result<Decoded, Rejection> {
    let o: OrderChange = parse_json(payload, "order_change")?;
    let event_id = o
        .event_id
        .clone()
        .unwrap_or_else(|| format!("{}:{}:{}", o.platform, o.order_id, o.updated_at));
    let fail = |reason: String| Rejection {
        store_id: Some(o.store_id.clone()),
        event_id: Some(event_id.clone()),
        reason: format!("order_change for order {}: {reason}", o.order_id),
    };
    rows(&o, &event_id).map_err(fail)
}

fn rows(o: &OrderChange, event_id: &str) -> Result<Decoded, String> {
    one_of("change", &o.change, CHANGES)?;
    one_of("payment_method", &o.payment_method, METHODS)?;
    one_of("financial_status", &o.financial_status, FINANCIAL)?;
    one_of("fulfillment_status", &o.fulfillment_status, FULFILLMENT)?;
    if o.order_id.is_empty() || o.store_id.is_empty() {
        return Err("order_id and store_id must not be empty".into());
    }
    let currency = Currency::parse(&o.currency).map_err(|e| format!("currency: {e}"))?;
    let created_at = Micros(parse_timestamp("created_at", &o.created_at)?);
    let updated_at = Micros(parse_timestamp("updated_at", &o.updated_at)?);
    let mut lines = Vec::with_capacity(o.line_items.len());
    let mut sum = 0i64;
    for (i, li) in o.line_items.iter().enumerate() {
        let field = format!("line_items[{i}]");
        if li.quantity < 1 {
            return Err(format!(
                "{field}.quantity {} must be at least 1",
                li.quantity
            ));
        }
        let unit_price = li
            .unit_price
            .minor(&format!("{field}.unit_price"), currency)?;
        let line_total = unit_price
            .checked_mul(li.quantity)
            .ok_or_else(|| format!("{field}: quantity x unit_price overflows"))?;
        sum = sum
            .checked_add(line_total)
            .ok_or("sum of line items overflows")?;
        lines.push(OrderLineRow {
            store_id: o.store_id.clone(),
            event_id: event_id.to_string(),
            occurred_at: updated_at,
            order_id: o.order_id.clone(),
            line_no: i as i32 + 1,
            sku: li.sku.clone(),
            title: li.title.clone(),
            quantity: li.quantity,
            unit_price,
            line_total,
            currency: currency.code().to_string(),
        });
    }
    let t = &o.totals;
    let subtotal = t.subtotal.minor("totals.subtotal", currency)?;
    let shipping = minor_or_zero(&t.shipping, "totals.shipping", currency)?;
    let discount = minor_or_zero(&t.discount, "totals.discount", currency)?;
    let tax = minor_or_zero(&t.tax, "totals.tax", currency)?;
    let total = t.total.minor("totals.total", currency)?;
    if subtotal != sum {
        return Err(format!(
            "totals.subtotal {} differs from the sum of line items {}",
            currency.format(subtotal),
            currency.format(sum)
        ));
    }
    let computed = subtotal
        .checked_add(shipping)
        .and_then(|v| v.checked_sub(discount))
        .and_then(|v| v.checked_add(tax))
        .ok_or("totals overflow")?;
    if total != computed {
        return Err(format!(
            "totals.total {} differs from subtotal + shipping - discount + tax = {}",
            currency.format(total),
            currency.format(computed)
        ));
    }
    let c = &o.customer;
    let order = OrderRow {
        store_id: o.store_id.clone(),
        event_id: event_id.to_string(),
        occurred_at: updated_at,
        order_id: o.order_id.clone(),
        change: o.change.clone(),
        platform: o.platform.clone(),
        channel: o.channel.clone(),
        created_at,
        updated_at,
        customer_email: c.email.clone(),
        customer_phone: c.phone.clone(),
        city: c.city.clone(),
        region: c.region.clone(),
        country: c.country.clone(),
        currency: currency.code().to_string(),
        subtotal,
        shipping,
        discount,
        tax,
        total,
        payment_method: o.payment_method.clone(),
        financial_status: o.financial_status.clone(),
        fulfillment_status: o.fulfillment_status.clone(),
        cancel_reason: o.cancel_reason.clone(),
        payment_intent_id: o.stripe_payment_intent.clone(),
        line_count: lines.len() as i32,
    };
    let mut rows = vec![Typed::Order(order)];
    rows.extend(lines.into_iter().map(Typed::OrderLine));
    Ok(Decoded {
        store_id: o.store_id.clone(),
        event_id: event_id.to_string(),
        occurred_at: updated_at,
        rows,
    })
}
