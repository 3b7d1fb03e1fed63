//! Stripe through localstripe (PyPI), a stateful fake Stripe API that signs
//! its webhooks: signed webhooks flow through `settle serve` into the lake.

mod common;

use std::time::{Duration, Instant};

use common::daemon::{self, Ingest, Setup};
use common::http;
use common::stripe::{Serve, api};
use settle::lake::Lake;

const SECRET: &str = "whsec_localstripe_e2e";

#[test]
fn localstripe_delivers_signed_webhooks_through_settle_serve_into_the_lake() {
    let ls = http::localstripe();
    let topics = daemon::unique_topics("localstripe");
    let serve = Serve::start(
        &daemon::brokers(),
        &topics.prefix,
        &[
            ("SETTLE__INTAKE__STRIPE__WEBHOOK_SECRETS", SECRET),
            ("SETTLE__INTAKE__STRIPE__STORE_ID", "shop-e2e"),
        ],
    );
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let ingest = Ingest::start(&Setup::new(&topics, &lake_dir));

    let url = format!("http://{}/webhooks/stripe", serve.server.addr());
    api(
        &ls,
        "POST",
        "/_config/webhooks/settle",
        &[("url", &url), ("secret", SECRET)],
    );
    let mut customers = Vec::new();
    let mut intents = Vec::new();
    for (i, (amount, currency)) in [("2500", "kwd"), ("1999", "eur"), ("500", "jpy")]
        .into_iter()
        .enumerate()
    {
        let email = format!("buyer{i}@example.com");
        let c = api(&ls, "POST", "/v1/customers", &[("email", &email)]);
        let cus = c["id"].as_str().unwrap().to_string();
        let pi = api(
            &ls,
            "POST",
            "/v1/payment_intents",
            &[
                ("amount", amount),
                ("currency", currency),
                ("customer", &cus),
                ("payment_method", "pm_card_visa"),
                ("confirm", "true"),
            ],
        );
        assert_eq!(pi["status"], "succeeded", "{pi}");
        customers.push(cus);
        intents.push(pi["id"].as_str().unwrap().to_string());
    }
    // Every event localstripe recorded must reach the lake, signed and acknowledged.
    let events = api(&ls, "GET", "/v1/events?limit=100", &[]);
    let mut want: Vec<String> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    want.sort();
    assert_eq!(want.len(), 6, "{events}");

    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let have = loop {
        let have: Vec<String> = rt.block_on(async {
            let ctx = common::ctx(&lake).await;
            let q = "SELECT DISTINCT event_id FROM raw_events ORDER BY event_id";
            common::rows(&common::sql(&ctx, q).await)
                .into_iter()
                .map(|r| r["event_id"].clone())
                .collect()
        });
        if have.len() >= want.len() || Instant::now() > deadline {
            break have;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!(have, want);
    assert!(ingest.stop().success());

    let typed = rt.block_on(async {
        let ctx = common::ctx(&lake).await;
        let customers = common::sql(
            &ctx,
            "SELECT customer_id, email, store_id FROM customers ORDER BY email",
        )
        .await;
        let payments = common::sql(
            &ctx,
            "SELECT payment_id, amount, currency, status FROM payments ORDER BY amount",
        )
        .await;
        let rejected = common::sql(&ctx, "SELECT reason FROM rejected").await;
        (
            common::rows(&customers),
            common::rows(&payments),
            common::rows(&rejected),
        )
    });
    assert!(typed.2.is_empty(), "rejected: {:?}", typed.2);
    let emails: Vec<(&str, &str)> = typed
        .0
        .iter()
        .map(|r| (r["email"].as_str(), r["store_id"].as_str()))
        .collect();
    assert_eq!(
        emails,
        [
            ("buyer0@example.com", "shop-e2e"),
            ("buyer1@example.com", "shop-e2e"),
            ("buyer2@example.com", "shop-e2e")
        ]
    );
    let payments: Vec<(&str, &str, &str)> = typed
        .1
        .iter()
        .map(|r| {
            (
                r["amount"].as_str(),
                r["currency"].as_str(),
                r["status"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        payments,
        [
            ("500", "JPY", "succeeded"),
            ("1999", "EUR", "succeeded"),
            ("2500", "KWD", "succeeded")
        ]
    );
}
