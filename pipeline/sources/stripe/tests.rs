//! Stripe decoding against Stripe's own example objects and against bad input.

use serde_json::{Value, json};

use super::decode::decode;
use crate::events::decode::Typed;

fn fixtures() -> Option<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/fixtures/stripe/fixtures3.json"
    );
    match std::fs::read_to_string(path) {
        Ok(text) => Some(serde_json::from_str::<Value>(&text).unwrap()["resources"].clone()),
        Err(e) => {
            println!("SKIP: Stripe fixtures not found at {path} ({e}); these tests need ../shared");
            None
        }
    }
}

fn wrap(obj: &Value, kind: &str) -> String {
    json!({
        "id": "evt_test_1", "object": "event", "type": kind, "created": 1_700_000_000,
        "api_version": "2024-06-20", "livemode": false,
        "data": {"object": obj}, "request": {"id": null, "idempotency_key": null},
    })
    .to_string()
}

#[test]
fn decodes_stripe_example_objects() {
    let Some(f) = fixtures() else { return };
    let d = decode(&wrap(&f["charge"], "charge.succeeded"), "shop").unwrap();
    assert_eq!(d.event_id, "evt_test_1");
    assert_eq!(d.store_id, "shop");
    let Typed::Payment(p) = &d.rows[0] else {
        panic!("{:?}", d.rows)
    };
    assert_eq!(
        (p.payment_id.as_str(), p.amount, p.currency.as_str()),
        ("ch_1PgafuB7WZ01zgkWXYmPNZs8", 100, "USD")
    );
    assert_eq!(p.status, "succeeded");
    assert_eq!(
        p.fee, None,
        "balance_transaction is an unexpanded id in the example"
    );

    let d = decode(&wrap(&f["refund"], "refund.created"), "shop").unwrap();
    let Typed::Refund(r) = &d.rows[0] else {
        panic!()
    };
    assert_eq!(
        (r.amount, r.charge_id.as_deref()),
        (100, Some("ch_1PgafuB7WZ01zgkWXYmPNZs8"))
    );

    let d = decode(
        &wrap(&f["payment_intent"], "payment_intent.created"),
        "shop",
    )
    .unwrap();
    let Typed::Payment(p) = &d.rows[0] else {
        panic!()
    };
    assert_eq!(
        (p.object.as_str(), p.amount, p.status.as_str()),
        ("payment_intent", 1099, "requires_payment_method")
    );

    let d = decode(&wrap(&f["invoice"], "invoice.created"), "shop").unwrap();
    let Typed::Invoice(i) = &d.rows[0] else {
        panic!()
    };
    assert_eq!(
        (i.total, i.amount_due, i.status.as_deref()),
        (1000, 1000, Some("draft"))
    );

    let d = decode(&wrap(&f["customer"], "customer.created"), "shop").unwrap();
    let Typed::Customer(c) = &d.rows[0] else {
        panic!()
    };
    assert_eq!(c.customer_id, "cus_QXg1o8vcGmoR32");
    assert!(!c.deleted);

    let d = decode(&wrap(&f["payout"], "payout.paid"), "shop").unwrap();
    assert!(d.rows.is_empty(), "untabled objects are kept raw only");
}

#[test]
fn store_comes_from_metadata_and_fee_from_expanded_balance_transaction() {
    let charge = json!({"id": "ch_1", "object": "charge", "amount": 12500, "amount_refunded": 0,
        "currency": "kwd", "status": "succeeded", "created": 1_700_000_000,
        "metadata": {"store_id": "gulf", "order_id": "G-1"},
        "balance_transaction": {"id": "txn_1", "object": "balance_transaction", "fee": 400, "net": 12100},
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "wallet": {"type": "apple_pay"}}}});
    let d = decode(&wrap(&charge, "charge.succeeded"), "default").unwrap();
    let Typed::Payment(p) = &d.rows[0] else {
        panic!()
    };
    assert_eq!(d.store_id, "gulf");
    assert_eq!((p.fee, p.net), (Some(400), Some(12100)));
    assert_eq!(p.payment_method.as_deref(), Some("apple_pay"));
    assert_eq!(
        (p.currency.as_str(), p.order_id.as_deref()),
        ("KWD", Some("G-1"))
    );
}

#[test]
fn rejects_bad_stripe_events_with_the_event_id() {
    let base = json!({"id": "ch_1", "object": "charge", "amount": 100, "currency": "usd", "status": "succeeded"});
    let cases: [(&str, Value, &str); 4] = [
        (
            "unknown currency",
            json!({"currency": "zzz"}),
            "unknown currency",
        ),
        ("negative amount", json!({"amount": -5}), "negative"),
        (
            "fractional amount",
            json!({"amount": 10.5}),
            "not an integer number of minor units",
        ),
        (
            "missing status",
            json!({"status": null}),
            "missing required field status",
        ),
    ];
    for (name, patch, want) in cases {
        let mut obj = base.clone();
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                obj.as_object_mut().unwrap().remove(k);
            } else {
                obj[k] = v.clone();
            }
        }
        let err = decode(&wrap(&obj, "charge.succeeded"), "s").unwrap_err();
        assert!(err.reason.contains(want), "{name}: {}", err.reason);
        assert!(err.reason.contains("evt_test_1"), "{name}: {}", err.reason);
        assert_eq!(err.event_id.as_deref(), Some("evt_test_1"));
    }
    let err = decode("{not json", "s").unwrap_err();
    assert!(err.reason.contains("is not valid JSON"), "{}", err.reason);
}
