//! Stripe event envelopes to typed rows: charges and payment intents to
//! `payments`, refunds to `refunds`, invoices, customers.

use serde_json::{Number, Value};

use super::object::{Envelope, Object, Ref, Text};
use crate::events::decode::{Decoded, Rejection, Typed, parse_json};
use crate::lake::table::Micros;
use crate::lake::tables::{CustomerRow, InvoiceRow, PaymentRow, RefundRow};
use crate::money::Currency;

/// Object types that produce typed rows.
const TABLED: &[&str] = &["charge", "payment_intent", "refund", "invoice", "customer"];

/// Decodes a Stripe event body. The store comes from `data.object.metadata.store_id`,
/// else `default_store`.
pub fn decode(payload: &str, default_store: &str) -> Result<Decoded, Rejection> {
    match serde_json::from_str::<Envelope>(payload) {
        Ok(ev) => decode_envelope(&ev, default_store),
        Err(typed) => untabled(payload, default_store, typed),
    }
}

/// The typed parse failed: either the body is not a Stripe event (rejected),
/// or it is an object type Settle does not table whose fields differ from the
/// tabled ones (kept raw, no typed rows).
fn untabled(
    payload: &str,
    default_store: &str,
    typed: serde_json::Error,
) -> Result<Decoded, Rejection> {
    #[derive(serde::Deserialize)]
    struct Loose {
        id: String,
        #[serde(rename = "type")]
        type_: String,
        created: i64,
        data: LooseData,
    }
    #[derive(serde::Deserialize)]
    struct LooseData {
        object: Value,
    }
    let ev: Loose = parse_json(payload, "stripe_event")?;
    let store_id = ev
        .data
        .object
        .pointer("/metadata/store_id")
        .and_then(Value::as_str)
        .unwrap_or(default_store)
        .to_string();
    let kind = ev.data.object.get("object").and_then(Value::as_str);
    if kind.is_none_or(|k| TABLED.contains(&k)) || !ev.id.starts_with("evt_") {
        return Err(Rejection {
            store_id: Some(store_id),
            event_id: Some(ev.id.clone()),
            reason: format!("stripe event {} ({}): {typed}", ev.id, ev.type_),
        });
    }
    Ok(Decoded {
        store_id,
        event_id: ev.id,
        occurred_at: Micros(ev.created.saturating_mul(1_000_000)),
        rows: vec![],
    })
}

fn decode_envelope(ev: &Envelope, default_store: &str) -> Result<Decoded, Rejection> {
    let obj = &ev.data.object;
    let store_id = obj
        .metadata
        .as_ref()
        .and_then(|m| m.store_id.as_deref())
        .unwrap_or(default_store)
        .to_string();
    let fail = |reason: String| Rejection {
        store_id: Some(store_id.clone()),
        event_id: Some(ev.id.to_string()),
        reason: format!("stripe event {} ({}): {reason}", ev.id, ev.type_),
    };
    if !ev.id.starts_with("evt_") {
        return Err(fail(format!(
            "id {:?} is not a Stripe event id (evt_...)",
            ev.id
        )));
    }
    let occurred_at = Micros(ev.created.saturating_mul(1_000_000));
    let ctx = Ctx {
        store_id: &store_id,
        event_id: &ev.id,
        event_type: &ev.type_,
        occurred_at,
    };
    let rows = match obj.object.as_deref() {
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
        event_id: ev.id.to_string(),
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

fn owned(v: &Option<Text>) -> Option<String> {
    v.as_deref().map(str::to_string)
}

fn ref_id(v: &Option<Ref>) -> Option<String> {
    v.as_ref().and_then(|r| owned(&r.id))
}

fn required(v: &Option<Text>, key: &str) -> Result<String, String> {
    owned(v).ok_or_else(|| format!("missing required field {key}"))
}

fn meta<'a>(
    o: &'a Object,
    f: impl Fn(&'a super::object::Metadata) -> &'a Option<Text<'a>>,
) -> Option<String> {
    o.metadata.as_ref().and_then(|m| owned(f(m)))
}

/// An amount in minor units: a non-negative JSON integer.
fn amount(v: &Option<Number>, key: &str) -> Result<Option<i64>, String> {
    let Some(n) = v else { return Ok(None) };
    match n.as_i64() {
        Some(a) if a >= 0 => Ok(Some(a)),
        Some(a) => Err(format!(
            "{key} {a} is negative; amounts must be zero or more"
        )),
        None => Err(format!(
            "{key} {n} is not an integer number of minor units (Stripe sends e.g. 1050 for 10.50)"
        )),
    }
}

fn req_amount(v: &Option<Number>, key: &str) -> Result<i64, String> {
    amount(v, key)?.ok_or_else(|| format!("missing required field {key}"))
}

fn currency(o: &Object) -> Result<String, String> {
    let code = required(&o.currency, "currency")?;
    Currency::parse(&code)
        .map(|c| c.code().to_string())
        .map_err(|e| format!("currency: {e}"))
}

fn created(o: &Object) -> Option<Micros> {
    o.created.map(|s| Micros(s.saturating_mul(1_000_000)))
}

fn charge(ctx: &Ctx, c: &Object) -> Result<Vec<Typed>, String> {
    let bt = c.balance_transaction.as_ref().filter(|b| b.expanded);
    let fee = bt
        .map(|b| amount(&b.fee, "balance_transaction.fee"))
        .transpose()?
        .flatten();
    let net = bt.and_then(|b| b.net.as_ref()).and_then(Number::as_i64);
    let method = c.payment_method_details.as_ref().and_then(|d| {
        let wallet = d
            .card
            .as_ref()
            .and_then(|c| c.wallet.as_ref())
            .and_then(|w| owned(&w.type_));
        wallet.or_else(|| owned(&d.type_))
    });
    let payment = PaymentRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        payment_id: required(&c.id, "id")?,
        object: "charge".into(),
        payment_intent_id: ref_id(&c.payment_intent),
        order_id: meta(c, |m| &m.order_id),
        customer_id: ref_id(&c.customer),
        amount: req_amount(&c.amount, "amount")?,
        amount_refunded: amount(&c.amount_refunded, "amount_refunded")?.unwrap_or(0),
        currency: currency(c)?,
        status: required(&c.status, "status")?,
        failure_code: owned(&c.failure_code),
        failure_message: owned(&c.failure_message),
        fee,
        net,
        payment_method: method,
        created: created(c).unwrap_or(ctx.occurred_at),
    };
    let mut rows = vec![Typed::Payment(payment)];
    for r in c.refunds.iter().flat_map(|l| &l.data) {
        rows.push(Typed::Refund(refund(ctx, r)?));
    }
    Ok(rows)
}

fn payment_intent(ctx: &Ctx, p: &Object) -> Result<Typed, String> {
    let err = p.last_payment_error.as_ref();
    Ok(Typed::Payment(PaymentRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        payment_id: required(&p.id, "id")?,
        object: "payment_intent".into(),
        payment_intent_id: owned(&p.id),
        order_id: meta(p, |m| &m.order_id),
        customer_id: ref_id(&p.customer),
        amount: req_amount(&p.amount, "amount")?,
        amount_refunded: 0,
        currency: currency(p)?,
        status: required(&p.status, "status")?,
        failure_code: err.and_then(|e| owned(&e.code)),
        failure_message: err.and_then(|e| owned(&e.message)),
        fee: None,
        net: None,
        payment_method: p
            .payment_method_types
            .as_ref()
            .and_then(|t| t.first())
            .map(|t| t.to_string()),
        created: created(p).unwrap_or(ctx.occurred_at),
    }))
}

fn refund(ctx: &Ctx, r: &Object) -> Result<RefundRow, String> {
    Ok(RefundRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        occurred_at: ctx.occurred_at,
        refund_id: required(&r.id, "id")?,
        charge_id: ref_id(&r.charge),
        payment_intent_id: ref_id(&r.payment_intent),
        order_id: meta(r, |m| &m.order_id),
        sku: meta(r, |m| &m.sku),
        amount: req_amount(&r.amount, "amount")?,
        currency: currency(r)?,
        status: owned(&r.status).unwrap_or_else(|| "succeeded".into()),
        reason: owned(&r.reason),
        created: created(r).unwrap_or(ctx.occurred_at),
    })
}

fn invoice(ctx: &Ctx, i: &Object) -> Result<Typed, String> {
    let total = i.total.as_ref().and_then(Number::as_i64).ok_or(
        "total must be an integer number of minor units (it may be negative with credits)",
    )?;
    Ok(Typed::Invoice(InvoiceRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        invoice_id: required(&i.id, "id")?,
        customer_id: ref_id(&i.customer),
        order_id: meta(i, |m| &m.order_id),
        status: owned(&i.status),
        currency: currency(i)?,
        total,
        amount_due: req_amount(&i.amount_due, "amount_due")?,
        amount_paid: req_amount(&i.amount_paid, "amount_paid")?,
        amount_remaining: req_amount(&i.amount_remaining, "amount_remaining")?,
        created: created(i).unwrap_or(ctx.occurred_at),
        due_date: i.due_date.map(|s| Micros(s.saturating_mul(1_000_000))),
    }))
}

fn customer(ctx: &Ctx, c: &Object) -> Result<Typed, String> {
    Ok(Typed::Customer(CustomerRow {
        store_id: ctx.store_id.to_string(),
        event_id: ctx.event_id.to_string(),
        event_type: ctx.event_type.to_string(),
        occurred_at: ctx.occurred_at,
        customer_id: required(&c.id, "id")?,
        email: owned(&c.email),
        name: owned(&c.name),
        phone: owned(&c.phone),
        country: c.address.as_ref().and_then(|a| owned(&a.country)),
        deleted: ctx.event_type == "customer.deleted" || c.deleted.unwrap_or(false),
        created: created(c),
    }))
}
