//! `stripe.*` actions through async-stripe's request builders
//! (async-stripe-core: customers, charges, payment intents, refunds;
//! async-stripe-billing: invoices and invoice items) and its client, with
//! a configurable base URL. Every write carries the action's idempotency
//! key as `Idempotency-Key` (multi-step actions add a step suffix), so a
//! repeat after a crash gets Stripe's first answer instead of a second
//! object. Results are kept as the JSON Stripe sent (typed structs would
//! refuse objects of other API versions).

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use stripe::{Client, StripeError};
use stripe_billing::invoice::{
    CreateInvoice, CreateInvoicePendingInvoiceItemsBehavior, FinalizeInvoiceInvoice,
    SendInvoiceInvoice,
};
use stripe_billing::invoice_item::CreateInvoiceItem;
use stripe_client_core::{IdempotencyKey, RequestStrategy, StripeRequest};
use stripe_core::charge::CreateCharge;
use stripe_core::customer::{CreateCustomer, ListCustomer, UpdateCustomer};
use stripe_core::payment_intent::CreatePaymentIntent;
use stripe_core::refund::{CreateRefund, CreateRefundReason};

mod spec;

pub use self::spec::*;
use super::Failure;
use crate::sources::secret::Secret;
use crate::sources::stripe::api::{client, redact};
use crate::triggers::template::Scope;

/// Sets a customer request's metadata and the fields that rendered
/// non-empty (`CreateCustomer` and `UpdateCustomer` share the setters).
macro_rules! customer_fields {
    ($req:expr, $r:expr, $c:expr) => {{
        let mut req = $req.metadata($r.metadata(&$c.metadata)?);
        if let Some(v) = $r.opt(&$c.email)? {
            req = req.email(v);
        }
        if let Some(v) = $r.opt(&$c.name)? {
            req = req.name(v);
        }
        if let Some(v) = $r.opt(&$c.phone)? {
            req = req.phone(v);
        }
        if let Some(v) = $r.opt(&$c.description)? {
            req = req.description(v);
        }
        req
    }};
}

/// A Stripe client for actions.
pub struct Stripe {
    client: Client,
    key: Secret,
}

impl Stripe {
    /// A client for `base` (`https://api.stripe.com/`). Each call is sent
    /// once; the trigger runner retries with the same idempotency key.
    pub fn new(key: &Secret, base: &str) -> Result<Self, String> {
        let client = client(key, base, RequestStrategy::Once)?;
        Ok(Stripe {
            client,
            key: key.clone(),
        })
    }

    /// Runs `action`; `key` is the action's idempotency key.
    pub async fn run(
        &self,
        action: &StripeAction,
        scope: &Scope<'_>,
        key: &str,
    ) -> Result<Value, Failure> {
        let r = Render(scope);
        match action {
            StripeAction::FindCustomer(c) => {
                self.find_customer(&r.text(c.email.as_deref().unwrap_or_default())?)
                    .await
            }
            StripeAction::UpsertCustomer(c) => {
                let email = r.text(c.email.as_deref().unwrap_or_default())?;
                match self.find_customer(&email).await? {
                    Value::Null => self.create_customer(&r, c, key).await,
                    found => {
                        let id = found["id"].as_str().unwrap_or_default().to_string();
                        self.update_customer(&r, c, &id, &format!("{key}/update"))
                            .await
                    }
                }
            }
            StripeAction::CreateCustomer(c) => self.create_customer(&r, c, key).await,
            StripeAction::UpdateCustomer(c) => {
                let id = r.text(c.customer.as_deref().unwrap_or_default())?;
                self.update_customer(&r, c, &id, key).await
            }
            StripeAction::CreateInvoice(spec) => self.create_invoice(&r, spec, key).await,
            StripeAction::CreatePaymentIntent(p) => {
                let mut req =
                    CreatePaymentIntent::new(r.int(&p.amount, "amount")?, r.currency(&p.currency)?)
                        .metadata(r.metadata(&p.metadata)?);
                if p.confirm {
                    req = req.confirm(true);
                }
                if let Some(c) = r.opt(&p.customer)? {
                    req = req.customer(c);
                }
                if let Some(m) = r.opt(&p.payment_method)? {
                    req = req.payment_method(m);
                }
                if let Some(d) = r.opt(&p.description)? {
                    req = req.description(d);
                }
                self.call(&req, Some(key)).await
            }
            StripeAction::CreateCharge(p) => {
                let mut req = CreateCharge::new()
                    .amount(r.int(&p.amount, "amount")?)
                    .currency(r.currency(&p.currency)?)
                    .metadata(r.metadata(&p.metadata)?);
                if let Some(c) = r.opt(&p.customer)? {
                    req = req.customer(c);
                }
                if let Some(s) = r.opt(&p.payment_method)? {
                    req = req.source(s);
                }
                if let Some(d) = r.opt(&p.description)? {
                    req = req.description(d);
                }
                self.call(&req, Some(key)).await
            }
            StripeAction::Refund(spec) => {
                let mut req = CreateRefund::new().metadata(r.metadata(&spec.metadata)?);
                if let Some(pi) = r.opt(&spec.payment_intent)? {
                    req = req.payment_intent(pi);
                }
                if let Some(ch) = r.opt(&spec.charge)? {
                    req = req.charge(ch);
                }
                if let Some(a) = &spec.amount {
                    req = req.amount(r.int(a, "amount")?);
                }
                if let Some(reason) = r.opt(&spec.reason)? {
                    req = req.reason(match reason.as_str() {
                        "duplicate" => CreateRefundReason::Duplicate,
                        "fraudulent" => CreateRefundReason::Fraudulent,
                        "requested_by_customer" => CreateRefundReason::RequestedByCustomer,
                        other => {
                            return Err(Failure::permanent(format!(
                                "refund reason {other:?}: use requested_by_customer, duplicate or fraudulent"
                            )));
                        }
                    });
                }
                self.call(&req, Some(key)).await
            }
        }
    }

    async fn find_customer(&self, email: &str) -> Result<Value, Failure> {
        if email.is_empty() {
            return Err(Failure::permanent("the customer's email rendered empty"));
        }
        let list = self
            .call(&ListCustomer::new().email(email).limit(1), None)
            .await?;
        Ok(list["data"].get(0).cloned().unwrap_or(Value::Null))
    }

    async fn create_customer(
        &self,
        r: &Render<'_>,
        c: &CustomerFields,
        key: &str,
    ) -> Result<Value, Failure> {
        let req = customer_fields!(CreateCustomer::new(), r, c);
        self.call(&req, Some(key)).await
    }

    async fn update_customer(
        &self,
        r: &Render<'_>,
        c: &CustomerFields,
        id: &str,
        key: &str,
    ) -> Result<Value, Failure> {
        if id.is_empty() {
            return Err(Failure::permanent("the customer id rendered empty"));
        }
        let req = customer_fields!(UpdateCustomer::new(id), r, c);
        self.call(&req, Some(key)).await
    }

    /// A draft invoice (pending items excluded), its items, then finalize
    /// and send: each step with its own key, so a repeat resumes where the
    /// first run stopped and every step happens once.
    async fn create_invoice(
        &self,
        r: &Render<'_>,
        spec: &InvoiceSpec,
        key: &str,
    ) -> Result<Value, Failure> {
        let customer = r.text(&spec.customer)?;
        let mut req = CreateInvoice::new()
            .customer(customer.clone())
            .collection_method(stripe_billing::InvoiceCollectionMethod::SendInvoice)
            .days_until_due(spec.days_until_due)
            .auto_advance(false)
            .pending_invoice_items_behavior(CreateInvoicePendingInvoiceItemsBehavior::Exclude)
            .metadata(r.metadata(&spec.metadata)?);
        let currency = match &spec.currency {
            Some(c) => Some(r.currency(c)?),
            None => None,
        };
        if let Some(c) = currency.clone() {
            req = req.currency(c);
        }
        if let Some(d) = r.opt(&spec.description)? {
            req = req.description(d);
        }
        // Render every line before anything is created.
        let mut lines = Vec::new();
        let elements: Vec<Value> = match &spec.items_from {
            Some(path) => match r.0.value(path) {
                Some(Value::Array(items)) => items,
                _ => {
                    return Err(Failure::permanent(format!(
                        "items_from {path:?}: the event has no list there"
                    )));
                }
            },
            None => Vec::new(),
        };
        let templates: Vec<(&ItemSpec, Option<&Value>)> = if spec.items_from.is_some() {
            elements.iter().map(|e| (&spec.items[0], Some(e))).collect()
        } else {
            spec.items.iter().map(|i| (i, None)).collect()
        };
        for (item, element) in templates {
            let scope = Scope {
                item: element,
                ..*r.0
            };
            let ir = Render(&scope);
            lines.push((
                ir.text(&item.description)?,
                ir.text(&item.unit_amount)?,
                ir.int(&item.quantity, "quantity")?,
            ));
        }
        let invoice = self.call(&req, Some(&format!("{key}/invoice"))).await?;
        let id = invoice["id"].as_str().unwrap_or_default().to_string();
        for (i, (description, unit, quantity)) in lines.into_iter().enumerate() {
            let mut item = CreateInvoiceItem::new()
                .customer(customer.clone())
                .invoice(id.clone())
                .description(description)
                .unit_amount_decimal(unit)
                .quantity(
                    u64::try_from(quantity)
                        .map_err(|_| Failure::permanent("quantity must be positive"))?,
                );
            if let Some(c) = currency.clone() {
                item = item.currency(c);
            }
            self.call(&item, Some(&format!("{key}/item-{}", i + 1)))
                .await?;
        }
        let mut out = invoice;
        if spec.finalize || spec.send {
            let fin = FinalizeInvoiceInvoice::new(id.as_str()).auto_advance(false);
            out = self.call(&fin, Some(&format!("{key}/finalize"))).await?;
        }
        if spec.send {
            out = self
                .call(
                    &SendInvoiceInvoice::new(id.as_str()),
                    Some(&format!("{key}/send")),
                )
                .await?;
        }
        Ok(out)
    }

    /// Sends one request (with `Idempotency-Key` when `key` is given) and
    /// returns Stripe's JSON.
    async fn call<R: StripeRequest>(&self, req: &R, key: Option<&str>) -> Result<Value, Failure> {
        let mut c = req.build().customize::<miniserde::json::Value>();
        if let Some(k) = key {
            let k = IdempotencyKey::new(k).map_err(|e| Failure::permanent(e.to_string()))?;
            c = c.request_strategy(RequestStrategy::Idempotent(k));
        }
        let raw = c.send(&self.client).await.map_err(|e| self.classify(e))?;
        serde_json::from_str(&miniserde::json::to_string(&raw))
            .map_err(|e| Failure::permanent(format!("unreadable answer: {e}")))
    }

    /// 409 (a request with the same key still running), 429 and 5xx and
    /// lost connections may pass later; other answers will not.
    fn classify(&self, e: StripeError) -> Failure {
        let (why, transient) = match e {
            StripeError::Stripe(err, status) => (
                format!(
                    "Stripe answered {status} {}: {}",
                    err.type_.as_str(),
                    err.message.as_deref().unwrap_or("no message")
                ),
                status == 409 || status == 429 || status >= 500,
            ),
            StripeError::ClientError(m) => (format!("Stripe unreachable: {m}"), true),
            StripeError::Timeout => ("Stripe did not answer in time".to_string(), true),
            other => (other.to_string(), false),
        };
        Failure {
            why: redact(&why, &self.key),
            transient,
        }
    }
}

/// Template rendering with the conversions Stripe parameters need.
struct Render<'a>(&'a Scope<'a>);

impl Render<'_> {
    fn text(&self, t: &str) -> Result<String, Failure> {
        self.0.render(t).map_err(Failure::permanent)
    }

    /// An optional field: absent or rendered empty means not sent.
    fn opt(&self, t: &Option<String>) -> Result<Option<String>, Failure> {
        match t {
            Some(t) => Ok(Some(self.text(t)?).filter(|s| !s.is_empty())),
            None => Ok(None),
        }
    }

    fn int(&self, t: &str, what: &str) -> Result<i64, Failure> {
        let s = self.text(t)?;
        s.trim().parse().map_err(|_| {
            Failure::permanent(format!(
                "{what} {s:?} is not a whole number (amounts are minor units: use {{field|minor}} for major-unit amounts)"
            ))
        })
    }

    fn currency(&self, t: &str) -> Result<stripe_types::Currency, Failure> {
        let s = self.text(t)?.to_ascii_lowercase();
        crate::money::Currency::parse(&s).map_err(|e| Failure::permanent(e.to_string()))?;
        Ok(s.parse().unwrap_or(stripe_types::Currency::Unknown(s)))
    }

    /// Metadata with `settle_trigger` and `settle_event_id` added, so every
    /// object says which trigger and event made it.
    fn metadata(&self, m: &BTreeMap<String, String>) -> Result<HashMap<String, String>, Failure> {
        let mut out = HashMap::new();
        for (k, v) in m {
            out.insert(k.clone(), self.text(v)?);
        }
        out.insert("settle_trigger".into(), self.0.trigger.to_string());
        out.insert("settle_event_id".into(), self.0.event.id.clone());
        Ok(out)
    }
}
