//! Stripe event envelopes to typed rows: charges and payment intents to
//! `payments`, refunds to `refunds`, invoices, customers.

use serde::Deserialize;
use serde_json::Value;

use crate::events::decode::{Decoded, Rejection, Typed, parse_json};
use crate::lake::table::Micros;
use crate::lake::tables::{CustomerRow, InvoiceRow, PaymentRow, RefundRow};
use crate::money::Currency;

/// The Stripe event envelope, as Stripe sends it.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    /// `evt_...`.
    pub id: String,
    /// Event type, e.g. `charge.succeeded`.
    #[serde(rename = "type")]
    pub type_: String,
    /// Unix seconds.
    pub created: i64,
    /// API version the payload was rendered with.
    pub api_version: Option<String>,
    /// Live or test mode.
    #[serde(default)]
    pub livemode: bool,
    /// The object and what changed.
    pub data: Data,
    /// Connected account, when sent through Connect.
    pub account: Option<String>,
}

/// `data` of a Stripe event.
#[derive(Debug, Deserialize)]
pub struct Data {
    /// The object after the event.
    pub object: Value,
    /// Changed attributes' previous values (`*.updated` events).
    pub previous_attributes: Option<Value>,
}

/// Decodes a Stripe event body. The store comes from `data.object.metadata.store_id`,
/// else `default_store`.
pub fn decode(payload: &str, default_store: &str) -> Result<Decoded, Rejection> {
    let ev: Envelope = parse_json(payload, "stripe_event")?;
    let obj = &ev.data.object;
    let store_id = str_at(obj, &["metadata", "store_id"])
        .unwrap_or(default_store)
        .to_string();
    let fail = |reason: String| Rejection {
        store_id: Some(store_id.clone()),
        event_id: Some(ev.id.clone()),
        reason: format!("stripe event {} ({}): {reason}", ev.id, ev.type_),
    };
    if !ev.id.starts_with("evt_") {
        return Err(fail(format!(
            "id {:?} is not a Stripe event id (evt_...)",
            ev.id
        )));
    }
    if !obj.is_object() {
        return Err(fail("data.object must be a JSON object".into()));
    }
    let occurred_at = Micros(ev.created.saturating_mul(1_000_000));
    let ctx = Ctx {
        store_id: &store_id,
        event_id: &ev.id,
        event_type: &ev.type_,
        occurred_at,
    };
    let rows = match obj.get("object").and_then(Value::as_str) {
        Some("charge") => charge(&ctx, obj),
        Some("payment_intent") => payment_intent(&ctx, obj).map(|r| vec![r]),
        Some("refund") => refund(&ctx, obj).map(|r| vec![Typed::Refund(r)]),
        Some("invoice") => invoice(&ctx, obj).map(|r| vec![r]),
        Some("customer") => customer(&ctx, obj).map(|r| vec![r]),
        Some(_) => Ok(vec![]),
        None => Err("data.object has no \"object\" type field".into()),
    }
    .map_err(fail)?;
    Ok(Decoded {
        store_id,
        event_id: ev.id.clone(),
        occurred_at,
        rows,
    })
}

struct Ctx<'a> {
    store_id: &'a str,
    event_id: &'a str,
    event_type: &'a str,
    occurred_at: Micros,
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// A field that holds either an id or the expanded object with an `id`.
fn id_of(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_string),
        _ => None,
    }
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn req_str(v: &Value, key: &str) -> Result<String, String> {
    opt_str(v, key).ok_or_else(|| format!("missing required field {key}"))
}

/// An amount in minor units: a non-negative JSON integer.
fn amount(v: &Value, key: &str, required: bool) -> Result<Option<i64>, String> {
    match v.get(key) {
        None | Some(Value::Null) if !required => Ok(None),
        None | Some(Value::Null) => Err(format!("missing required field {key}")),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(a) if a >= 0 => Ok(Some(a)),
            Some(a) => Err(format!(
                "{key} {a} is negative; amounts must be zero or more"
            )),
            None => Err(format!(
                "{key} {n} is not an integer number of minor units (Stripe sends e.g. 1050 for 10.50)"
            )),
        },
        Some(other) => Err(format!("{key} {other} is not an integer amount")),
    }
}

fn req_amount(v: &Value, key: &str) -> Result<i64, String> {
    Ok(amount(v, key, true)?.unwrap_or_default())
}

fn currency(v: &Value) -> Result<String, String> {
    let code = req_str(v, "currency")?;
    Currency::parse(&code)
        .map(|c| c.code().to_string())
        .map_err(|e| format!("currency: {e}"))
}

fn created(v: &Value) -> Option<Micros> {
    v.get("created")
        .and_then(Value::as_i64)
        .map(|s| Micros(s.saturating_mul(1_000_000)))
}

fn charge(ctx: &Ctx, c: &Value) -> Result<Vec<Typed>, String> {
    let bt = c.get("balance_transaction").filter(|b| b.is_object());
    let fee = bt.map(|b| amount(b, "fee", false)).transpose()?.flatten();
    let net = bt.and_then(|b| b.get("net")).and_then(Value::as_i64);
    let details = c.get("payment_method_details");
    let method = details
        .and_then(|d| str_at(d, &["card", "wallet", "type"]).or_else(|| str_at(d, &["type"])))
        .map(str::to_string);
    let payment = PaymentRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        payment_id: req_str(c, "id")?,
        object: "charge".into(),
        payment_intent_id: id_of(c, "payment_intent"),
        order_id: str_at(c, &["metadata", "order_id"]).map(str::to_string),
        customer_id: id_of(c, "customer"),
        amount: req_amount(c, "amount")?,
        amount_refunded: amount(c, "amount_refunded", false)?.unwrap_or(0),
        currency: currency(c)?,
        status: req_str(c, "status")?,
        failure_code: opt_str(c, "failure_code"),
        failure_message: opt_str(c, "failure_message"),
        fee,
        net,
        payment_method: method,
        created: created(c).unwrap_or(ctx.occurred_at),
    };
    let mut rows = vec![Typed::Payment(payment)];
    if let Some(list) = c.pointer("/refunds/data").and_then(Value::as_array) {
        for r in list {
            rows.push(Typed::Refund(refund(ctx, r)?));
        }
    }
    Ok(rows)
}

fn payment_intent(ctx: &Ctx, p: &Value) -> Result<Typed, String> {
    let err = p.get("last_payment_error").filter(|e| e.is_object());
    Ok(Typed::Payment(PaymentRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        payment_id: req_str(p, "id")?,
        object: "payment_intent".into(),
        payment_intent_id: opt_str(p, "id"),
        order_id: str_at(p, &["metadata", "order_id"]).map(str::to_string),
        customer_id: id_of(p, "customer"),
        amount: req_amount(p, "amount")?,
        amount_refunded: 0,
        currency: currency(p)?,
        status: req_str(p, "status")?,
        failure_code: err.and_then(|e| opt_str(e, "code")),
        failure_message: err.and_then(|e| opt_str(e, "message")),
        fee: None,
        net: None,
        payment_method: p
            .get("payment_method_types")
            .and_then(|t| t.get(0))
            .and_then(Value::as_str)
            .map(str::to_string),
        created: created(p).unwrap_or(ctx.occurred_at),
    }))
}

fn refund(ctx: &Ctx, r: &Value) -> Result<RefundRow, String> {
    Ok(RefundRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        occurred_at: ctx.occurred_at,
        refund_id: req_str(r, "id")?,
        charge_id: id_of(r, "charge"),
        payment_intent_id: id_of(r, "payment_intent"),
        order_id: str_at(r, &["metadata", "order_id"]).map(str::to_string),
        sku: str_at(r, &["metadata", "sku"]).map(str::to_string),
        amount: req_amount(r, "amount")?,
        currency: currency(r)?,
        status: opt_str(r, "status").unwrap_or_else(|| "succeeded".into()),
        reason: opt_str(r, "reason"),
        created: created(r).unwrap_or(ctx.occurred_at),
    })
}

fn invoice(ctx: &Ctx, i: &Value) -> Result<Typed, String> {
    Ok(Typed::Invoice(InvoiceRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        invoice_id: req_str(i, "id")?,
        customer_id: id_of(i, "customer"),
        order_id: str_at(i, &["metadata", "order_id"]).map(str::to_string),
        status: opt_str(i, "status"),
        currency: currency(i)?,
        total: i.get("total").and_then(Value::as_i64).ok_or(
            "total must be an integer number of minor units (it may be negative with credits)",
        )?,
        amount_due: req_amount(i, "amount_due")?,
        amount_paid: req_amount(i, "amount_paid")?,
        amount_remaining: req_amount(i, "amount_remaining")?,
        created: created(i).unwrap_or(ctx.occurred_at),
        due_date: i
            .get("due_date")
            .and_then(Value::as_i64)
            .map(|s| Micros(s.saturating_mul(1_000_000))),
    }))
}

fn customer(ctx: &Ctx, c: &Value) -> Result<Typed, String> {
    Ok(Typed::Customer(CustomerRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        customer_id: req_str(c, "id")?,
        email: opt_str(c, "email"),
        name: opt_str(c, "name"),
        phone: opt_str(c, "phone"),
        country: str_at(c, &["address", "country"]).map(str::to_string),
        deleted: ctx.event_type == "customer.deleted"
            || c.get("deleted").and_then(Value::as_bool).unwrap_or(false),
        created: created(c),
    }))
}
