//! Shopify payloads shaped like Shopify's documented order webhooks.

use serde_json::{Value, json};

use super::*;
use crate::events::decode::Typed;
use crate::lake::tables::OrderRow;

fn order_payload() -> Value {
    serde_json::from_str(include_str!(
        "../../../tests/fixtures/shopify/orders_create.json"
    ))
    .unwrap()
}

fn adapted(topic: &str, v: &Value) -> Adapted {
    adapt(
        topic,
        "shop-ca",
        Some("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043"),
        v.to_string().as_bytes(),
    )
    .unwrap()
}

fn decoded_order(a: &Adapted) -> OrderRow {
    let Adapted::Order { body, .. } = a else {
        panic!("refused: {a:?}")
    };
    let d = crate::events::order::decode(&body.to_string()).expect("a valid order_change");
    match &d.rows[0] {
        Typed::Order(o) => o.clone(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_cod_order_becomes_an_order_change_with_exact_totals() {
    let a = adapted("orders/create", &order_payload());
    let o = decoded_order(&a);
    assert_eq!(o.event_id, "shopify:b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");
    assert_eq!(
        (o.order_id.as_str(), o.change.as_str()),
        ("820982911946154508", "create")
    );
    assert_eq!(
        (o.subtotal, o.shipping, o.discount, o.tax, o.total),
        (39_800, 1_000, 1_000, 2_328, 42_128)
    );
    assert_eq!(o.payment_method, "cod");
    assert_eq!(
        (o.financial_status.as_str(), o.fulfillment_status.as_str()),
        ("pending", "unfulfilled")
    );
    assert_eq!(
        (o.city.as_deref(), o.region.as_deref(), o.country.as_deref()),
        (Some("Ottawa"), Some("Ontario"), Some("CA"))
    );
    assert_eq!(o.channel, "online_store");
    assert_eq!(o.line_count, 2);
}

#[test]
fn every_financial_and_fulfillment_status_in_the_tables_maps() {
    for (raw, want) in FINANCIAL {
        let mut v = order_payload();
        v["financial_status"] = json!(raw);
        assert_eq!(
            decoded_order(&adapted("orders/updated", &v)).financial_status,
            *want,
            "{raw}"
        );
    }
    for (raw, want) in FULFILLMENT {
        let mut v = order_payload();
        v["fulfillment_status"] = json!(raw);
        assert_eq!(
            decoded_order(&adapted("orders/updated", &v)).fulfillment_status,
            *want,
            "{raw}"
        );
    }
}

#[test]
fn a_cancelled_prepaid_order_in_kwd_keeps_three_decimals() {
    let mut v = order_payload();
    v["currency"] = json!("KWD");
    v["cancelled_at"] = json!("2026-10-02T10:00:00+03:00");
    v["cancel_reason"] = json!("customer");
    v["financial_status"] = json!("voided");
    v["payment_gateway_names"] = json!(["shopify_payments"]);
    v["gateway"] = json!("shopify_payments");
    v["line_items"][0]["price"] = json!("12.345");
    v["line_items"][1]["price"] = json!("0.655");
    v["total_line_items_price"] = json!("13.000");
    v["total_discounts"] = json!("0.000");
    v["total_tax"] = json!("0.000");
    v["total_shipping_price_set"]["shop_money"]["amount"] = json!("1.250");
    v["total_price"] = json!("14.250");
    let o = decoded_order(&adapted("orders/cancelled", &v));
    assert_eq!(
        (o.change.as_str(), o.fulfillment_status.as_str()),
        ("cancel", "cancelled")
    );
    assert_eq!(
        (o.currency.as_str(), o.subtotal, o.total),
        ("KWD", 13_000, 14_250)
    );
    assert_eq!(
        (o.payment_method.as_str(), o.cancel_reason.as_deref()),
        ("prepaid", Some("customer"))
    );
}

#[test]
fn unknown_statuses_refunds_and_foreign_topics_are_refused_with_the_reason() {
    let mut v = order_payload();
    v["financial_status"] = json!("on_layaway");
    let Adapted::Refused(why) = adapted("orders/updated", &v) else {
        panic!("guessed a status")
    };
    assert!(
        why.contains("\"on_layaway\"") && why.contains("paid"),
        "{why}"
    );
    let refund = json!({"id": 509562969, "order_id": 820982911946154508u64, "transactions": []});
    let Adapted::Refused(why) = adapted("refunds/create", &refund) else {
        panic!("a refund is not an order")
    };
    assert!(
        why.contains("820982911946154508") && why.contains("kept"),
        "{why}"
    );
    assert!(matches!(
        adapted("products/create", &json!({})),
        Adapted::Refused(_)
    ));
    let mut float = order_payload();
    float["total_price"] = json!(421.28);
    let Adapted::Refused(why) = adapted("orders/create", &float) else {
        panic!("a float amount was taken")
    };
    assert!(why.contains("not a decimal string"), "{why}");
    assert!(adapt("orders/create", "s", None, b"not json").is_err());
}
