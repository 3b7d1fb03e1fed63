//! Store webhooks on the real broker: Shopify, WooCommerce and generic
//! orders are verified with their store's secret, adapted into
//! `order_change`, re-deliveries count once, and payloads Settle cannot
//! table land in `rejected` with the reason and the sender's body.

mod common;

use std::time::Duration;

use common::daemon::{self, Ingest, Setup};
use common::http::{Reply, post};
use common::intake::start_intake;
use serde_json::{Value, json};
use settle::intake::settings::{IntakeSettings, Secrets, StoreIntake};
use settle::lake::Lake;
use settle::sources::secret::Secret;

const SHOPIFY: &str = "shpss_store_test";
const WOO: &str = "wc_secret_test";
const GENERIC: &str = "generic_secret_test";

fn store(secret: &str) -> StoreIntake {
    StoreIntake {
        secret: Secrets(vec![Secret::new(secret)]),
    }
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn shopify(addr: &str, store: &str, topic: &str, id: &str, body: &[u8], secret: &str) -> Reply {
    let sig = Secret::new(secret).sign_base64(body);
    post(
        addr,
        &format!("/webhooks/shopify/{store}"),
        &[
            ("X-Shopify-Hmac-SHA256", &sig),
            ("X-Shopify-Topic", topic),
            ("X-Shopify-Webhook-Id", id),
            ("X-Shopify-Shop-Domain", "shop1.myshopify.com"),
        ],
        body,
    )
}

fn status(r: &Reply) -> (u16, String) {
    let v = r.json();
    let s = v["status"]
        .as_str()
        .or(v["error"].as_str())
        .unwrap_or_default();
    (r.status, s.to_string())
}

#[test]
fn store_webhooks_are_verified_adapted_deduplicated_and_unusable_ones_kept_in_rejected() {
    let topics = daemon::unique_topics("stores");
    let mut settings = IntakeSettings::default();
    settings.shopify.insert("shop1".into(), store(SHOPIFY));
    settings.woocommerce.insert("wc1".into(), store(WOO));
    settings.orders.insert("gen1".into(), store(GENERIC));
    let running = start_intake(&daemon::brokers(), &topics, settings);
    let addr = running.addr.as_str();

    // Shopify: accepted, a re-delivery is a duplicate, a bad signature 401,
    // an unconfigured store 404, an unknown status kept.
    let order = fixture("shopify/orders_create.json").to_string();
    let ok = shopify(
        addr,
        "shop1",
        "orders/create",
        "wh-1",
        order.as_bytes(),
        SHOPIFY,
    );
    assert_eq!(status(&ok), (200, "accepted".into()), "{}", ok.body);
    let again = shopify(
        addr,
        "shop1",
        "orders/create",
        "wh-1",
        order.as_bytes(),
        SHOPIFY,
    );
    assert_eq!(status(&again), (200, "duplicate".into()));
    let forged = shopify(
        addr,
        "shop1",
        "orders/create",
        "wh-2",
        order.as_bytes(),
        "shpss_wrong",
    );
    assert_eq!(status(&forged), (401, "unauthorized".into()));
    assert!(
        forged.json()["message"]
            .as_str()
            .unwrap()
            .contains("X-Shopify-Hmac-SHA256")
    );
    let nobody = shopify(
        addr,
        "shop9",
        "orders/create",
        "wh-3",
        order.as_bytes(),
        SHOPIFY,
    );
    assert_eq!(status(&nobody), (404, "not_configured".into()));
    let mut odd = fixture("shopify/orders_create.json");
    odd["id"] = json!(1001);
    odd["financial_status"] = json!("on_layaway");
    let odd = odd.to_string();
    let kept = shopify(
        addr,
        "shop1",
        "orders/updated",
        "wh-4",
        odd.as_bytes(),
        SHOPIFY,
    );
    assert_eq!(status(&kept), (200, "kept".into()), "{}", kept.body);
    assert!(
        kept.json()["reason"]
            .as_str()
            .unwrap()
            .contains("on_layaway")
    );

    // WooCommerce: the ping is answered, an order accepted, a bad signature 401.
    let ping = post(addr, "/webhooks/woocommerce/wc1", &[], b"webhook_id=17");
    assert_eq!(status(&ping), (200, "ping".into()));
    let woo = fixture("woocommerce/order_created.json").to_string();
    let woo_sig = Secret::new(WOO).sign_base64(woo.as_bytes());
    let woo_post = |sig: &str| {
        post(
            addr,
            "/webhooks/woocommerce/wc1",
            &[
                ("X-WC-Webhook-Signature", sig),
                ("X-WC-Webhook-Topic", "order.created"),
                ("X-WC-Webhook-Delivery-ID", "d-77"),
            ],
            woo.as_bytes(),
        )
    };
    assert_eq!(status(&woo_post(&woo_sig)), (200, "accepted".into()));
    assert_eq!(status(&woo_post("AAAA")), (401, "unauthorized".into()));

    // Generic: the contract is checked at once, and a store signs only its own orders.
    let generic = json!({
        "event_id": "gen1-o-5-v1", "change": "create", "store_id": "gen1", "platform": "generic",
        "channel": "whatsapp", "order_id": "o-5", "created_at": "2026-10-01T09:30:00Z",
        "updated_at": "2026-10-01T09:30:00Z", "currency": "KWD",
        "line_items": [{"sku": "S1", "title": "Dates box", "quantity": 2, "unit_price": "3.250"}],
        "totals": {"subtotal": "6.500", "shipping": "1.000", "total": "7.500"},
        "payment_method": "cod", "financial_status": "pending", "fulfillment_status": "unfulfilled"
    });
    let send_generic = |store: &str, body: &Value| {
        let text = body.to_string();
        let sig = format!("sha256={}", Secret::new(GENERIC).sign_hex(text.as_bytes()));
        post(
            addr,
            &format!("/webhooks/orders/{store}"),
            &[("X-Settle-Signature", &sig)],
            text.as_bytes(),
        )
    };
    assert_eq!(
        status(&send_generic("gen1", &generic)),
        (200, "accepted".into())
    );
    let mut wrong_total = generic.clone();
    wrong_total["totals"]["total"] = json!("7.499");
    let bad = send_generic("gen1", &wrong_total);
    assert_eq!(status(&bad), (400, "malformed".into()));
    assert!(
        bad.json()["message"]
            .as_str()
            .unwrap()
            .contains("totals.total 7.499"),
        "{}",
        bad.body
    );
    let mut other_store = generic.clone();
    other_store["store_id"] = json!("gen2");
    assert_eq!(
        status(&send_generic("gen1", &other_store)),
        (400, "malformed".into())
    );

    // The lake: three orders, one kept in rejected with the reason and the body as sent.
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let ingest = Ingest::start(&Setup::new(&topics, &lake_dir));
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(daemon::wait_for_lake(&lake, 4, Duration::from_secs(60)));
    assert!(ingest.stop().success());
    let (orders, rejected) = rt.block_on(async {
        let ctx = common::ctx(&lake).await;
        let q = "SELECT platform, store_id, order_id, total, currency, payment_method FROM orders ORDER BY platform";
        let orders = common::rows(&common::sql(&ctx, q).await);
        let rejected = common::rows(&common::sql(&ctx, "SELECT reason, payload FROM rejected").await);
        (orders, rejected)
    });
    let got: Vec<Vec<&str>> = orders
        .iter()
        .map(|r| {
            [
                "platform",
                "store_id",
                "order_id",
                "total",
                "currency",
                "payment_method",
            ]
            .iter()
            .map(|k| r[*k].as_str())
            .collect()
        })
        .collect();
    assert_eq!(
        got,
        [
            ["generic", "gen1", "o-5", "7500", "KWD", "cod"],
            [
                "shopify",
                "shop1",
                "820982911946154508",
                "42128",
                "USD",
                "cod"
            ],
            ["woocommerce", "wc1", "727", "46900", "MAD", "cod"],
        ]
    );
    assert_eq!(rejected.len(), 1);
    assert!(
        rejected[0]["reason"].contains("refused at intake")
            && rejected[0]["reason"].contains("on_layaway")
    );
    assert_eq!(
        rejected[0]["payload"], odd,
        "the sender's body is kept as sent"
    );
}
