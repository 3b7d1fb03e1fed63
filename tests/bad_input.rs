//! Must show 5: malformed events land in `rejected` with a reason naming the
//! file and line (or event id), and never stop a run. One test per case.

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::{Value, json};
use settle::bus::memory::MemoryBus;
use settle::bus::{EventBus, Topics};
use settle::events::Kind;
use settle::intake::load::load_file;
use settle::lake::ingest;

fn good_order(id: &str) -> Value {
    json!({
        "change": "create", "store_id": "atlas-home", "platform": "shopify", "channel": "online_store",
        "order_id": id, "created_at": "2026-10-01T09:00:00Z", "updated_at": "2026-10-01T09:00:00Z",
        "customer": {"email": "a@example.com", "phone": "+212600000000", "city": "Rabat", "region": "Rabat-Sale-Kenitra", "country": "MA"},
        "currency": "MAD",
        "line_items": [{"sku": "AH-TAG-04", "title": "Ceramic tagine", "quantity": 2, "unit_price": "199.00"}],
        "totals": {"subtotal": "398.00", "shipping": "30.00", "discount": "0", "tax": "0", "total": "428.00"},
        "payment_method": "cod", "financial_status": "pending", "fulfillment_status": "unfulfilled",
        "cancel_reason": null, "stripe_payment_intent": null
    })
}

/// Loads `lines` of `kind` from a file named bad.jsonl; returns
/// (accepted, rejected rows as column maps).
async fn load(kind: Kind, lines: &[String]) -> (u64, Vec<BTreeMap<String, String>>) {
    let (dir, lake) = common::temp_lake();
    let file = dir.path().join("bad.jsonl");
    std::fs::write(&file, lines.join("\n") + "\n").unwrap();
    let topics = Topics::default();
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::new(2));
    load_file(&*bus, &topics, &file, kind, "default")
        .await
        .unwrap();
    let d = ingest::drain(
        bus,
        &lake,
        &[topics.for_kind(kind)],
        ingest::DrainOptions::rows(1_000),
        None,
    )
    .await
    .unwrap();
    let ctx = common::ctx(&lake).await;
    let rejected = common::rows(&common::sql(&ctx, "SELECT * FROM rejected").await);
    assert_eq!(d.rejected as usize, rejected.len());
    (d.accepted, rejected)
}

fn assert_one_rejection(accepted: u64, rejected: &[BTreeMap<String, String>], wants: &[&str]) {
    assert_eq!(accepted, 1, "the good line is still accepted");
    assert_eq!(rejected.len(), 1, "{rejected:#?}");
    let reason = &rejected[0]["reason"];
    assert!(
        reason.starts_with("bad.jsonl:2: "),
        "reason names file and line: {reason}"
    );
    for w in wants {
        assert!(reason.contains(w), "reason {reason:?} should contain {w:?}");
    }
    assert!(!rejected[0]["payload"].is_empty(), "the bad body is kept");
}

#[tokio::test]
async fn bad_json_is_rejected_with_file_and_line() {
    let lines = [
        good_order("AH-1").to_string(),
        r#"{"order_id": "AH-2", "#.to_string(),
    ];
    let (accepted, rejected) = load(Kind::Order, &lines).await;
    assert_one_rejection(
        accepted,
        &rejected,
        &["order_change is not valid JSON", "EOF"],
    );
    assert_eq!(rejected[0]["payload"], r#"{"order_id": "AH-2", "#);
}

#[tokio::test]
async fn missing_required_field_is_rejected() {
    let mut bad = good_order("AH-2");
    bad.as_object_mut().unwrap().remove("currency");
    let (accepted, rejected) = load(
        Kind::Order,
        &[good_order("AH-1").to_string(), bad.to_string()],
    )
    .await;
    assert_one_rejection(
        accepted,
        &rejected,
        &[
            "missing field `currency`",
            "schemas/order_change.schema.json",
        ],
    );
}

#[tokio::test]
async fn unknown_currency_is_rejected_with_the_event_id() {
    let tracking = |id: &str, currency: &str| {
        json!({"event_id": id, "store_id": "najd-style", "carrier": "swiftpost", "tracking_number": "SWP1",
               "order_id": "NS-1", "status": "in_transit", "raw_status": "In transit", "occurred_at": "2026-10-02T10:00:00Z",
               "location": "Riyadh hub", "cod_amount": "120.00", "currency": currency})
        .to_string()
    };
    let (accepted, rejected) = load(
        Kind::Tracking,
        &[tracking("t-1", "SAR"), tracking("t-2", "XYZ")],
    )
    .await;
    assert_one_rejection(accepted, &rejected, &["unknown currency \"XYZ\"", "SWP1"]);
    assert_eq!(rejected[0]["event_id"], "t-2");

    let stripe = |id: &str, currency: &str| {
        json!({"id": id, "object": "event", "type": "charge.succeeded", "created": 1_790_000_000,
               "data": {"object": {"id": "ch_1", "object": "charge", "amount": 1000, "currency": currency, "status": "succeeded"}}})
        .to_string()
    };
    let (accepted, rejected) = load(
        Kind::Stripe,
        &[stripe("evt_1", "sar"), stripe("evt_2", "zzz")],
    )
    .await;
    assert_one_rejection(
        accepted,
        &rejected,
        &["stripe event evt_2", "unknown currency"],
    );
}

#[tokio::test]
async fn negative_amount_is_rejected() {
    let line = |collected: &str, net: &str| {
        json!({"store_id": "atlas-home", "carrier": "swiftpost", "statement_id": "SWP-MAD-20261015",
               "paid_date": "2026-10-15", "tracking_number": "SWP9", "order_id": "AH-9", "currency": "MAD",
               "collected": collected, "fees": {"shipping": "25.00", "cod": "0", "return": "0", "other": "0"},
               "net_remitted": net, "bank_reference": "TRF-1"})
        .to_string()
    };
    let (accepted, rejected) = load(
        Kind::Remittance,
        &[line("100.00", "75.00"), line("-5.00", "-30.00")],
    )
    .await;
    assert_one_rejection(
        accepted,
        &rejected,
        &["collected: amount \"-5.00\" is negative", "SWP9"],
    );
}

#[tokio::test]
async fn amount_with_too_many_decimals_is_rejected() {
    let mut bad = good_order("AH-2");
    bad["line_items"][0]["unit_price"] = json!("199.999");
    let (accepted, rejected) = load(
        Kind::Order,
        &[good_order("AH-1").to_string(), bad.to_string()],
    )
    .await;
    assert_one_rejection(
        accepted,
        &rejected,
        &[
            "line_items[0].unit_price",
            "has 3 decimals but MAD has 2",
            "AH-2",
        ],
    );

    // The same digits are fine in a 3-decimal currency.
    let mut kwd = good_order("GG-1");
    kwd["currency"] = json!("KWD");
    kwd["line_items"][0]["unit_price"] = json!("199.999");
    kwd["totals"] = json!({"subtotal": "399.998", "shipping": "30", "discount": "0", "tax": "0", "total": "429.998"});
    let (accepted, rejected) = load(Kind::Order, &[kwd.to_string()]).await;
    assert_eq!((accepted, rejected.len()), (1, 0), "{rejected:#?}");
}

#[tokio::test]
async fn fractional_json_numbers_are_refused_not_rounded() {
    let mut bad = good_order("AH-2");
    bad["line_items"][0]["unit_price"] = json!(199.5);
    let (accepted, rejected) = load(
        Kind::Order,
        &[good_order("AH-1").to_string(), bad.to_string()],
    )
    .await;
    assert_one_rejection(accepted, &rejected, &["JSON number with a fraction"]);
}
