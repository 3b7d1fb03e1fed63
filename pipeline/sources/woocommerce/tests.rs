//! WooCommerce payloads shaped like the REST API v3 order object its webhooks send.

use serde_json::{Value, json};

use super::*;
use crate::events::decode::Typed;
use crate::lake::tables::OrderRow;

fn order_payload() -> Value {
    serde_json::from_str(include_str!(
        "../../../tests/fixtures/woocommerce/order_created.json"
    ))
    .unwrap()
}

fn adapted(topic: &str, v: &Value) -> Adapted {
    adapt(topic, "ma-shop", Some("9f1c7a7e"), v.to_string().as_bytes()).unwrap()
}

fn decoded(a: &Adapted) -> (OrderRow, Vec<(String, i64, i64)>) {
    let Adapted::Order { body, .. } = a else {
        panic!("refused: {a:?}")
    };
    let d = crate::events::order::decode(&body.to_string()).expect("a valid order_change");
    let mut order = None;
    let mut lines = Vec::new();
    for r in d.rows {
        match r {
            Typed::Order(o) => order = Some(o),
            Typed::OrderLine(l) => lines.push((l.sku, l.quantity, l.unit_price)),
            other => panic!("{other:?}"),
        }
    }
    (order.unwrap(), lines)
}

#[test]
fn a_cod_order_in_processing_is_pending_until_the_cash_is_collected() {
    let (o, lines) = decoded(&adapted("order.created", &order_payload()));
    assert_eq!(o.event_id, "woocommerce:ma-shop:9f1c7a7e");
    assert_eq!(
        (o.order_id.as_str(), o.change.as_str(), o.platform.as_str()),
        ("727", "create", "woocommerce")
    );
    assert_eq!(
        (o.subtotal, o.shipping, o.discount, o.total),
        (45_900, 3_000, 2_000, 46_900)
    );
    assert_eq!(
        (o.payment_method.as_str(), o.financial_status.as_str()),
        ("cod", "pending")
    );
    assert_eq!(
        o.created_at.0, 1_790_847_000_000_000,
        "GMT without a zone is UTC"
    );
    assert_eq!(
        (o.city.as_deref(), o.country.as_deref()),
        (Some("Rabat"), Some("MA"))
    );
    // SKU falls back to the product id; unit prices come from exact subtotals.
    assert_eq!(
        lines,
        [("ARGAN-100".into(), 2, 15_900), ("94".into(), 3, 4_700)]
    );
}

#[test]
fn every_status_in_the_table_maps_for_prepaid_and_cod() {
    for (status, (prepaid, cod, fulfillment)) in STATUSES {
        for (method, want) in [("cod", cod), ("stripe", prepaid)] {
            let mut v = order_payload();
            v["status"] = json!(status);
            v["payment_method"] = json!(method);
            let (o, _) = decoded(&adapted("order.updated", &v));
            assert_eq!(
                (o.financial_status.as_str(), o.fulfillment_status.as_str()),
                (*want, *fulfillment),
                "{status} {method}"
            );
        }
    }
}

#[test]
fn a_stripe_paid_order_keeps_its_payment_intent_and_partial_refunds_show() {
    let mut v = order_payload();
    v["payment_method"] = json!("stripe");
    v["transaction_id"] = json!("pi_3MtwBwLkdIwHu7ix28a3tqPa");
    v["status"] = json!("completed");
    v["refunds"] = json!([{"id": 726, "reason": "", "total": "-47.00"}]);
    let (o, _) = decoded(&adapted("order.updated", &v));
    assert_eq!(
        o.payment_intent_id.as_deref(),
        Some("pi_3MtwBwLkdIwHu7ix28a3tqPa")
    );
    assert_eq!(o.financial_status, "partially_refunded");
}

#[test]
fn indivisible_lines_unknown_statuses_and_deletes_are_handled_without_guessing() {
    let mut v = order_payload();
    v["line_items"][1]["subtotal"] = json!("141.01");
    v["total"] = json!("469.01");
    let (o, lines) = decoded(&adapted("order.created", &v));
    assert_eq!(o.total, 46_901);
    assert_eq!(lines[1], ("94".into(), 1, 14_101));
    v["status"] = json!("wc-shipped-custom");
    let Adapted::Refused(why) = adapted("order.updated", &v) else {
        panic!("guessed a status")
    };
    assert!(
        why.contains("\"wc-shipped-custom\"") && why.contains("completed"),
        "{why}"
    );
    let Adapted::Refused(why) = adapted("order.deleted", &json!({"id": 727})) else {
        panic!("a delete has no snapshot")
    };
    assert!(why.contains("727") && why.contains("kept"), "{why}");
}
