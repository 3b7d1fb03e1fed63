//! Stripe-shaped JSON for generated payments, following Stripe's documented objects.

use serde_json::{Value, json};

/// Inputs for one charge object.
pub struct ChargeSpec<'a> {
    /// ch_ id.
    pub id: &'a str,
    /// pi_ id.
    pub payment_intent: &'a str,
    /// cus_ id.
    pub customer: Option<&'a str>,
    /// Minor units.
    pub amount: i64,
    /// Minor units refunded so far.
    pub amount_refunded: i64,
    /// Lower-case currency.
    pub currency: &'a str,
    /// succeeded or failed.
    pub status: &'a str,
    /// (code, message) when failed.
    pub failure: Option<(&'a str, &'a str)>,
    /// Unix seconds.
    pub created: i64,
    /// (txn id, fee) when succeeded.
    pub balance: Option<(&'a str, i64)>,
    /// Wallet type or None for a plain card.
    pub wallet: Option<&'a str>,
    /// Card brand.
    pub brand: &'a str,
    /// Metadata.
    pub metadata: &'a Value,
    /// Receipt email.
    pub email: Option<&'a str>,
}

/// A charge object.
pub fn charge(c: &ChargeSpec) -> Value {
    let balance = c.balance.map(|(txn, fee)| {
        json!({"id": txn, "object": "balance_transaction", "amount": c.amount, "available_on": c.created + 7 * 86_400,
               "created": c.created, "currency": c.currency, "description": null, "exchange_rate": null,
               "fee": fee, "fee_details": [{"amount": fee, "application": null, "currency": c.currency,
               "description": "Stripe processing fees", "type": "stripe_fee"}], "net": c.amount - fee,
               "reporting_category": "charge", "source": c.id, "status": "pending", "type": "charge"})
    });
    let succeeded = c.status == "succeeded";
    let details = json!({"card": {"amount_authorized": c.amount, "brand": c.brand,
        "checks": {"address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass"},
        "country": "US", "exp_month": 8, "exp_year": 2029, "funding": "credit", "last4": "4242",
        "network": c.brand, "three_d_secure": null,
        "wallet": c.wallet.map(|w| json!({"type": w}))}, "type": "card"});
    let outcome = json!({"network_status": if succeeded { "approved_by_network" } else { "declined_by_network" },
        "reason": c.failure.map(|f| f.0), "risk_level": "normal", "risk_score": 32,
        "seller_message": if succeeded { "Payment complete." } else { "The bank did not return any further details with this decline." },
        "type": if succeeded { "authorized" } else { "issuer_declined" }});
    let billing = json!({"address": {"city": null, "country": null, "line1": null, "line2": null,
        "postal_code": null, "state": null}, "email": c.email, "name": null, "phone": null});
    let mut v = json!({
        "id": c.id, "object": "charge", "amount": c.amount, "amount_captured": if succeeded { c.amount } else { 0 },
        "amount_refunded": c.amount_refunded, "application": null, "application_fee": null,
        "application_fee_amount": null, "balance_transaction": balance, "billing_details": billing,
        "calculated_statement_descriptor": "SETTLE STORE", "captured": succeeded, "created": c.created,
        "currency": c.currency, "customer": c.customer, "description": null, "disputed": false,
        "failure_balance_transaction": null, "failure_code": c.failure.map(|f| f.0),
        "failure_message": c.failure.map(|f| f.1), "fraud_details": {}, "livemode": false,
        "metadata": c.metadata, "on_behalf_of": null, "outcome": outcome,
        "paid": succeeded, "payment_intent": c.payment_intent, "payment_method": format!("pm_{}", &c.id[3..]),
        "payment_method_details": details
    });
    let rest = json!({
        "receipt_email": c.email, "receipt_number": null, "receipt_url": null,
        "refunded": c.amount_refunded >= c.amount && c.amount_refunded > 0,
        "review": null, "shipping": null, "source_transfer": null, "statement_descriptor": null,
        "statement_descriptor_suffix": null, "status": c.status, "transfer_data": null, "transfer_group": null
    });
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), rest) {
        obj.extend(more);
    }
    v
}

/// A payment intent object.
#[allow(clippy::too_many_arguments)]
pub fn payment_intent(
    id: &str,
    amount: i64,
    currency: &str,
    status: &str,
    created: i64,
    latest_charge: Option<&str>,
    error: Option<(&str, &str)>,
    customer: Option<&str>,
    metadata: &Value,
) -> Value {
    json!({
        "id": id, "object": "payment_intent", "amount": amount,
        "amount_capturable": 0, "amount_received": if status == "succeeded" { amount } else { 0 },
        "application": null, "automatic_payment_methods": {"enabled": true},
        "canceled_at": null, "cancellation_reason": null, "capture_method": "automatic",
        "client_secret": format!("{id}_secret_x"), "confirmation_method": "automatic", "created": created,
        "currency": currency, "customer": customer, "description": null,
        "last_payment_error": error.map(|(code, message)| json!({"code": code, "message": message, "type": "card_error"})),
        "latest_charge": latest_charge, "livemode": false, "metadata": metadata,
        "payment_method": null, "payment_method_types": ["card"], "receipt_email": null,
        "status": status
    })
}

/// A refund object.
#[allow(clippy::too_many_arguments)]
pub fn refund(
    id: &str,
    charge: &str,
    payment_intent: &str,
    amount: i64,
    currency: &str,
    created: i64,
    reason: &str,
    metadata: &Value,
) -> Value {
    json!({
        "id": id, "object": "refund", "amount": amount, "balance_transaction": format!("txn_{}", &id[3..]),
        "charge": charge, "created": created, "currency": currency, "destination_details": null,
        "metadata": metadata, "payment_intent": payment_intent, "reason": reason,
        "receipt_number": null, "source_transfer_reversal": null, "status": "succeeded",
        "transfer_reversal": null
    })
}

/// A customer object.
pub fn customer(
    id: &str,
    email: &str,
    name: &str,
    phone: &str,
    country: &str,
    created: i64,
    store: &str,
) -> Value {
    json!({
        "id": id, "object": "customer", "address": {"city": null, "country": country, "line1": null,
            "line2": null, "postal_code": null, "state": null},
        "balance": 0, "created": created, "currency": null, "default_source": null, "delinquent": false,
        "description": null, "email": email, "invoice_prefix": "ABC123", "livemode": false,
        "metadata": {"store_id": store}, "name": name, "phone": phone, "preferred_locales": [],
        "shipping": null, "tax_exempt": "none"
    })
}

/// An event envelope around `object`.
pub fn event(id: &str, type_: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id, "object": "event", "api_version": "2024-06-20", "created": created,
        "data": {"object": object}, "livemode": false, "pending_webhooks": 1,
        "request": {"id": null, "idempotency_key": null}, "type": type_
    })
}
