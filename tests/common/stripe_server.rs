//! A test Stripe server for what localstripe lacks: invoices with items,
//! finalize and send, and `Idempotency-Key` semantics as Stripe documents
//! them (docs.stripe.com/api/idempotent_requests): a key seen before with
//! the same parameters replays the saved answer (`Idempotent-Replayed:
//! true`); with other parameters it is a 400 `idempotency_error`; while the
//! first request runs, a 409. Objects follow Stripe's documented shapes for
//! the fields Settle reads. Side effects are counted, so tests can say
//! "exactly one invoice was sent".
//!
//! Test knobs: `fail_next(path, n)` answers 503 n times (before anything is
//! executed, so nothing is saved under the key); `hold(suffix, d)` answers
//! requests whose path ends with `suffix` only after `d`, once their effect
//! is done and saved, so a client can be killed mid-request.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// The key the server accepts.
pub const KEY: &str = "sk_test_settle_stripe_server";

/// Counts of what happened.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Effects {
    /// Customers created.
    pub customers: u32,
    /// Customer updates.
    pub customer_updates: u32,
    /// Invoices created.
    pub invoices: u32,
    /// Invoice items created.
    pub items: u32,
    /// Invoices finalized.
    pub finalized: u32,
    /// Invoices sent to customers.
    pub sent: u32,
    /// Refunds made.
    pub refunds: u32,
    /// Payment intents made.
    pub payment_intents: u32,
    /// Answers replayed for a repeated idempotency key.
    pub replays: u32,
    /// Requests answered 503 on purpose.
    pub injected_failures: u32,
}

#[derive(Default)]
struct Inner {
    seq: u64,
    /// key → (fingerprint, saved answer; None while running).
    idem: HashMap<String, (String, Option<(u16, Value)>)>,
    customers: Vec<Value>,
    invoices: BTreeMap<String, Value>,
    payment_intents: BTreeMap<String, Value>,
    effects: Effects,
    fail: Vec<(String, u32)>,
    hold: Option<(String, Duration)>,
    /// Every request: (method, path, Idempotency-Key).
    log: Vec<(String, String, Option<String>)>,
}

/// The server (its task ends with the test's runtime).
#[derive(Clone)]
pub struct StripeServer {
    inner: Arc<Mutex<Inner>>,
    /// `http://127.0.0.1:PORT/`.
    pub base: String,
}

impl StripeServer {
    /// Starts on a free loopback port.
    pub async fn start() -> StripeServer {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        StripeServer { inner, base }
    }

    /// What happened so far.
    pub fn effects(&self) -> Effects {
        self.inner.lock().unwrap().effects.clone()
    }

    /// The invoices.
    pub fn invoices(&self) -> Vec<Value> {
        self.inner
            .lock()
            .unwrap()
            .invoices
            .values()
            .cloned()
            .collect()
    }

    /// The next `n` requests to `path` get 503.
    pub fn fail_next(&self, path: &str, n: u32) {
        self.inner.lock().unwrap().fail.push((path.to_string(), n));
    }

    /// Requests whose path ends with `suffix` are answered `d` after their effect.
    pub fn hold(&self, suffix: &str, d: Duration) {
        self.inner.lock().unwrap().hold = Some((suffix.to_string(), d));
    }

    /// Every request so far: (method, path, Idempotency-Key).
    pub fn log(&self) -> Vec<(String, String, Option<String>)> {
        self.inner.lock().unwrap().log.clone()
    }
}

fn error(status: u16, kind: &str, message: &str) -> (u16, Value) {
    (status, json!({"error": {"type": kind, "message": message}}))
}

fn reply((status, body): (u16, Value), replayed: bool) -> Response {
    let mut r = (StatusCode::from_u16(status).unwrap(), axum::Json(body)).into_response();
    r.headers_mut()
        .insert("request-id", "req_test".parse().unwrap());
    if replayed {
        r.headers_mut()
            .insert("idempotent-replayed", "true".parse().unwrap());
    }
    r
}

async fn handle(
    State(inner): State<Arc<Mutex<Inner>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok());
    if auth != Some(&format!("Bearer {KEY}")) {
        return reply(
            error(401, "invalid_request_error", "Invalid API Key provided"),
            false,
        );
    }
    let mut form: BTreeMap<String, String> =
        url::form_urlencoded::parse(&body).into_owned().collect();
    form.extend(url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes()).into_owned());
    let fingerprint = format!("{method} {path} {form:?}");
    let hold;
    let answer = {
        let mut guard = inner.lock().unwrap();
        let st = &mut *guard;
        st.log.push((method.to_string(), path.clone(), key.clone()));
        if let Some(f) = st.fail.iter_mut().find(|(p, n)| *p == path && *n > 0) {
            f.1 -= 1;
            st.effects.injected_failures += 1;
            return reply(error(503, "api_error", "injected outage: try again"), false);
        }
        if let Some(k) = &key
            && method == Method::POST
        {
            match st.idem.get(k) {
                Some((fp, _)) if *fp != fingerprint => {
                    return reply(
                        error(
                            400,
                            "idempotency_error",
                            "Keys for idempotent requests can only be used with the same parameters they were first used with.",
                        ),
                        false,
                    );
                }
                Some((_, None)) => {
                    return reply(
                        error(
                            409,
                            "idempotency_error",
                            "There is currently another in-progress request using this Stripe API Idempotency Key.",
                        ),
                        false,
                    );
                }
                Some((_, Some(saved))) => {
                    let saved = saved.clone();
                    st.effects.replays += 1;
                    return reply(saved, true);
                }
                None => {
                    st.idem.insert(k.clone(), (fingerprint.clone(), None));
                }
            }
        }
        let answer = execute(st, &method, &path, &form);
        if let Some(k) = &key
            && method == Method::POST
        {
            st.idem
                .insert(k.clone(), (fingerprint, Some(answer.clone())));
        }
        hold = st
            .hold
            .as_ref()
            .filter(|(suffix, _)| path.ends_with(suffix.as_str()))
            .map(|(_, d)| *d);
        answer
    };
    if let Some(d) = hold {
        tokio::time::sleep(d).await;
    }
    reply(answer, false)
}

fn metadata(form: &BTreeMap<String, String>) -> Value {
    let m: serde_json::Map<String, Value> = form
        .iter()
        .filter_map(|(k, v)| {
            let inner = k.strip_prefix("metadata[")?.strip_suffix(']')?;
            Some((inner.to_string(), json!(v)))
        })
        .collect();
    Value::Object(m)
}

fn opt(form: &BTreeMap<String, String>, k: &str) -> Value {
    form.get(k).map_or(Value::Null, |v| json!(v))
}

fn int(form: &BTreeMap<String, String>, k: &str) -> Option<i64> {
    form.get(k).and_then(|v| v.parse().ok())
}

fn execute(
    st: &mut Inner,
    method: &Method,
    path: &str,
    form: &BTreeMap<String, String>,
) -> (u16, Value) {
    st.seq += 1;
    let n = st.seq;
    let now = chrono::Utc::now().timestamp();
    let parts: Vec<&str> = path.trim_start_matches("/v1/").split('/').collect();
    match (method.as_str(), parts.as_slice()) {
        ("GET", ["customers"]) => {
            let email = form.get("email");
            let data: Vec<Value> = st
                .customers
                .iter()
                .rev()
                .filter(|c| email.is_none_or(|e| c["email"] == json!(e)))
                .take(int(form, "limit").unwrap_or(10) as usize)
                .cloned()
                .collect();
            (
                200,
                json!({"object": "list", "url": "/v1/customers", "has_more": false, "data": data}),
            )
        }
        ("POST", ["customers"]) => {
            let c = json!({
                "id": format!("cus_T{n:06}"), "object": "customer", "created": now, "livemode": false,
                "email": opt(form, "email"), "name": opt(form, "name"), "phone": opt(form, "phone"),
                "description": opt(form, "description"), "metadata": metadata(form),
                "balance": 0, "currency": null, "delinquent": false, "invoice_prefix": format!("T{n:04}"),
            });
            st.customers.push(c.clone());
            st.effects.customers += 1;
            (200, c)
        }
        ("POST", ["customers", id]) => {
            let Some(c) = st.customers.iter_mut().find(|c| c["id"] == json!(id)) else {
                return error(
                    404,
                    "invalid_request_error",
                    &format!("No such customer: '{id}'"),
                );
            };
            for f in ["email", "name", "phone", "description"] {
                if let Some(v) = form.get(f) {
                    c[f] = json!(v);
                }
            }
            if let (Value::Object(m), Value::Object(new)) = (&mut c["metadata"], metadata(form)) {
                m.extend(new);
            }
            st.effects.customer_updates += 1;
            (200, c.clone())
        }
        ("POST", ["invoices"]) => {
            let Some(customer) = form.get("customer") else {
                return error(
                    400,
                    "invalid_request_error",
                    "Missing required param: customer.",
                );
            };
            if !st.customers.iter().any(|c| c["id"] == json!(customer)) {
                return error(
                    404,
                    "invalid_request_error",
                    &format!("No such customer: '{customer}'"),
                );
            }
            let id = format!("in_T{n:06}");
            let days = int(form, "days_until_due");
            let inv = json!({
                "id": id, "object": "invoice", "created": now, "livemode": false, "customer": customer,
                "currency": form.get("currency").cloned().unwrap_or_else(|| "usd".into()),
                "status": "draft", "collection_method": opt(form, "collection_method"),
                "days_until_due": days, "due_date": days.map(|d| now + d * 86_400),
                "auto_advance": form.get("auto_advance").map(|v| v == "true"),
                "description": opt(form, "description"), "metadata": metadata(form),
                "number": null, "hosted_invoice_url": null, "amount_due": 0, "subtotal": 0, "total": 0,
                "lines": {"object": "list", "url": format!("/v1/invoices/{id}/lines"), "has_more": false, "total_count": 0, "data": []},
            });
            st.invoices.insert(id, inv.clone());
            st.effects.invoices += 1;
            (200, inv)
        }
        ("POST", ["invoiceitems"]) => {
            let invoice = form.get("invoice").cloned().unwrap_or_default();
            let unit: i64 = form
                .get("unit_amount_decimal")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let qty = int(form, "quantity").unwrap_or(1);
            let Some(inv) = st.invoices.get_mut(&invoice) else {
                return error(
                    404,
                    "invalid_request_error",
                    &format!("No such invoice: '{invoice}'"),
                );
            };
            if inv["status"] != "draft" {
                return error(
                    400,
                    "invalid_request_error",
                    "You can only add invoice items to draft invoices.",
                );
            }
            let amount = unit * qty;
            let item = json!({
                "id": format!("ii_T{n:06}"), "object": "invoiceitem", "invoice": invoice,
                "customer": opt(form, "customer"), "amount": amount, "quantity": qty,
                "unit_amount_decimal": opt(form, "unit_amount_decimal"),
                "currency": inv["currency"], "description": opt(form, "description"), "date": now,
            });
            let line = json!({"id": format!("il_T{n:06}"), "object": "line_item", "amount": amount, "currency": inv["currency"], "description": item["description"], "quantity": qty});
            inv["lines"]["data"].as_array_mut().unwrap().push(line);
            inv["lines"]["total_count"] = json!(inv["lines"]["data"].as_array().unwrap().len());
            for f in ["amount_due", "subtotal", "total"] {
                inv[f] = json!(inv[f].as_i64().unwrap() + amount);
            }
            st.effects.items += 1;
            (200, item)
        }
        ("POST", ["invoices", id, "finalize"]) => {
            let Some(inv) = st.invoices.get_mut(*id) else {
                return error(
                    404,
                    "invalid_request_error",
                    &format!("No such invoice: '{id}'"),
                );
            };
            if inv["status"] != "draft" {
                return error(
                    400,
                    "invalid_request_error",
                    "This invoice is already finalized, you can't re-finalize a non-draft invoice.",
                );
            }
            inv["status"] = json!("open");
            inv["number"] = json!(format!("SETTLE-{n:04}"));
            inv["hosted_invoice_url"] = json!(format!("https://invoice.test/{id}"));
            st.effects.finalized += 1;
            (200, inv.clone())
        }
        ("POST", ["invoices", id, "send"]) => {
            let Some(inv) = st.invoices.get_mut(*id) else {
                return error(
                    404,
                    "invalid_request_error",
                    &format!("No such invoice: '{id}'"),
                );
            };
            if inv["status"] != "open" || inv["collection_method"] != "send_invoice" {
                return error(
                    400,
                    "invalid_request_error",
                    "Only open invoices with collection_method send_invoice can be sent.",
                );
            }
            st.effects.sent += 1;
            (200, inv.clone())
        }
        ("POST", ["payment_intents"]) => {
            let Some(amount) = int(form, "amount").filter(|a| *a > 0) else {
                return error(
                    400,
                    "invalid_request_error",
                    "amount must be a positive integer",
                );
            };
            let id = format!("pi_T{n:06}");
            let pi = json!({
                "id": id, "object": "payment_intent", "created": now, "livemode": false, "amount": amount,
                "amount_received": amount, "currency": opt(form, "currency"), "customer": opt(form, "customer"),
                "status": "succeeded", "latest_charge": format!("ch_T{n:06}"), "metadata": metadata(form),
            });
            st.payment_intents.insert(id, pi.clone());
            st.effects.payment_intents += 1;
            (200, pi)
        }
        ("POST", ["refunds"]) => {
            let pi = form.get("payment_intent").cloned().unwrap_or_default();
            let Some(paid) = st.payment_intents.get(&pi) else {
                return (
                    404,
                    json!({"error": {"type": "invalid_request_error", "code": "resource_missing", "param": "payment_intent", "message": format!("No such payment_intent: '{pi}'")}}),
                );
            };
            let amount = int(form, "amount").unwrap_or(paid["amount"].as_i64().unwrap());
            st.effects.refunds += 1;
            (
                200,
                json!({
                    "id": format!("re_T{n:06}"), "object": "refund", "created": now, "amount": amount,
                    "currency": paid["currency"], "payment_intent": pi, "charge": paid["latest_charge"],
                    "status": "succeeded", "reason": opt(form, "reason"), "metadata": metadata(form),
                }),
            )
        }
        _ => error(
            404,
            "invalid_request_error",
            &format!("Unrecognized request URL ({method}: {path})"),
        ),
    }
}
