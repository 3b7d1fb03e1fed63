//! Stripe through localstripe (PyPI), a stateful fake Stripe API that signs
//! its webhooks: signed webhooks flow through `settle serve` into the lake.

mod common;

use std::time::{Duration, Instant};

use common::daemon::{self, Ingest, Setup};
use common::http;
use common::stripe::{Serve, api};
use settle::bus::EventBus as _;
use settle::lake::Lake;

const SECRET: &str = "whsec_localstripe_e2e";

/// What [`shop`] created in localstripe.
struct Shop {
    customers: Vec<String>,
    intents: Vec<String>,
    charges: Vec<String>,
}

/// Three customers (`PREFIX0@example.com`, …), each paying once by card in
/// KWD, EUR and JPY (3, 2 and 0 decimals).
fn shop(ls: &http::Server, prefix: &str) -> Shop {
    let mut made = Shop {
        customers: Vec::new(),
        intents: Vec::new(),
        charges: Vec::new(),
    };
    for (i, (amount, currency)) in [("2500", "kwd"), ("1999", "eur"), ("500", "jpy")]
        .into_iter()
        .enumerate()
    {
        let email = format!("{prefix}{i}@example.com");
        let c = api(ls, "POST", "/v1/customers", &[("email", &email)]);
        let cus = c["id"].as_str().unwrap().to_string();
        let pi = api(
            ls,
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
        made.charges
            .push(pi["charges"]["data"][0]["id"].as_str().unwrap().to_string());
        made.intents.push(pi["id"].as_str().unwrap().to_string());
        made.customers.push(cus);
    }
    made
}

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
    let made = shop(&ls, "buyer");
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
    let customers: Vec<&str> = typed.0.iter().map(|r| r["customer_id"].as_str()).collect();
    assert_eq!(
        customers, made.customers,
        "emails were numbered in creation order"
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
    let mut paid: Vec<&str> = typed.1.iter().map(|r| r["payment_id"].as_str()).collect();
    let mut intents: Vec<&str> = made.intents.iter().map(String::as_str).collect();
    paid.sort();
    intents.sort();
    assert_eq!(paid, intents);
    assert_eq!(
        payments,
        [
            ("500", "JPY", "succeeded"),
            ("1999", "EUR", "succeeded"),
            ("2500", "KWD", "succeeded")
        ]
    );
}

const KEY: &str = common::stripe::KEY;

fn backfill(ls: &http::Server, lake: &std::path::Path) -> (String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
        .args(["--lake", lake.to_str().unwrap()])
        .args(["backfill", "stripe", "--since", "2020-01-01", "--quiet"])
        .env("STRIPE_API_KEY", KEY)
        .env("SETTLE__STRIPE__API_BASE", format!("http://{}/", ls.addr()))
        .env("SETTLE__STRIPE__PAGE_SIZE", "2")
        .env_remove("SETTLE__BUS__BROKERS")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = common::stdout_of(out);
    assert!(
        !stdout.contains(KEY) && !stderr.contains(KEY),
        "the key leaked"
    );
    (stdout, stderr)
}

fn produced(stdout: &str, list: &str) -> u64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(list))
        .unwrap_or_else(|| panic!("no {list} in {stdout}"));
    line.split_whitespace().nth(3).unwrap().parse().unwrap()
}

#[test]
fn backfill_finds_everything_created_in_localstripe_and_a_second_run_doubles_nothing() {
    let ls = http::localstripe();
    let Shop {
        customers,
        intents,
        charges,
    } = shop(&ls, "backfill");
    let refund = api(
        &ls,
        "POST",
        "/v1/refunds",
        &[("charge", &charges[0]), ("amount", "1000")],
    );
    let refund_id = refund["id"].as_str().unwrap().to_string();

    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let (first, _) = backfill(&ls, &lake_dir);
    assert_eq!(produced(&first, "customers"), 3, "{first}");
    assert_eq!(produced(&first, "payment_intents"), 3, "{first}");
    assert_eq!(produced(&first, "charges"), 3, "{first}");
    assert_eq!(produced(&first, "refunds"), 1, "{first}");

    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let snapshot = || {
        rt.block_on(async {
            let ctx = common::ctx(&lake).await;
            let ids = |q: &'static str| {
                let ctx = ctx.clone();
                async move {
                    common::rows(&common::sql(&ctx, q).await)
                        .into_iter()
                        .map(|r| r.into_values().next().unwrap())
                        .collect::<Vec<String>>()
                }
            };
            (
                ids("SELECT DISTINCT customer_id FROM customers ORDER BY customer_id").await,
                ids("SELECT DISTINCT payment_id FROM payments ORDER BY payment_id").await,
                ids("SELECT DISTINCT refund_id FROM refunds ORDER BY refund_id").await,
                ids("SELECT CAST(COUNT(*) AS VARCHAR) FROM raw_events").await,
                ids("SELECT reason FROM rejected").await,
            )
        })
    };
    let before = snapshot();
    let mut want_customers = customers.clone();
    want_customers.sort();
    assert_eq!(before.0, want_customers);
    for id in intents.iter().chain(&charges) {
        assert!(before.1.contains(id), "{id} not in payments {:?}", before.1);
    }
    assert_eq!(before.2, [refund_id]);
    assert!(before.4.is_empty(), "rejected: {:?}", before.4);

    // Again: nothing new, nothing produced, the lake unchanged.
    let (second, _) = backfill(&ls, &lake_dir);
    for (_, list) in settle::intake::backfill::LISTS {
        assert_eq!(produced(&second, list), 0, "{list}: {second}");
    }
    assert_eq!(snapshot(), before);

    // A new customer is found by the next run, and only it.
    let late = api(
        &ls,
        "POST",
        "/v1/customers",
        &[("email", "late@example.com")],
    );
    let (third, _) = backfill(&ls, &lake_dir);
    assert_eq!(produced(&third, "customers"), 1, "{third}");
    assert!(
        snapshot()
            .0
            .contains(&late["id"].as_str().unwrap().to_string())
    );
}

/// A bus that refuses the `fail_at`-th publish once, like a broker outage mid-run.
struct FlakyBus {
    inner: settle::bus::memory::MemoryBus,
    calls: std::sync::atomic::AtomicUsize,
    fail_at: usize,
}

#[async_trait::async_trait]
impl settle::bus::EventBus for FlakyBus {
    async fn publish(
        &self,
        topic: &str,
        records: Vec<settle::bus::Record>,
    ) -> settle::bus::Result<()> {
        let n = self.calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        if n == self.fail_at {
            return Err(settle::bus::Error::Kafka("broker away (test)".into()));
        }
        self.inner.publish(topic, records).await
    }
    async fn partitions(&self, topic: &str) -> settle::bus::Result<i32> {
        self.inner.partitions(topic).await
    }
    async fn fetch(
        &self,
        topic: &str,
        partition: i32,
        offset: i64,
        max: usize,
    ) -> settle::bus::Result<Vec<settle::bus::Message>> {
        self.inner.fetch(topic, partition, offset, max).await
    }
    async fn end_offset(&self, topic: &str, partition: i32) -> settle::bus::Result<i64> {
        self.inner.end_offset(topic, partition).await
    }
}

#[tokio::test]
async fn an_interrupted_backfill_resumes_from_its_cursor_and_produces_each_object_once() {
    let ls = http::localstripe();
    let mut created = Vec::new();
    for i in 0..7 {
        let c = api(
            &ls,
            "POST",
            "/v1/customers",
            &[("email", &format!("resume{i}@example.com"))],
        );
        created.push(c["id"].as_str().unwrap().to_string());
    }
    let (_dir, lake) = common::temp_lake();
    let topics = settle::bus::Topics::default();
    let bus = FlakyBus {
        inner: settle::bus::memory::MemoryBus::new(1),
        calls: Default::default(),
        fail_at: 3,
    };
    let key = settle::sources::secret::Secret::new(KEY);
    let stripe =
        settle::sources::stripe::api::Api::new(&key, &format!("http://{}/", ls.addr()), 1).unwrap();
    let run = settle::intake::backfill::Backfill {
        api: &stripe,
        bus: &bus,
        topics: &topics,
        lake: &lake,
        store: "default",
        since: 1_500_000_000,
        page_size: 2,
        progress: false,
    };
    let err = run.run().await.unwrap_err().to_string();
    assert!(err.contains("broker away"), "{err}");
    let counts = run.run().await.unwrap();
    assert_eq!(
        (counts[0].list, counts[0].produced),
        ("customers", 3),
        "pages 1-2 were acknowledged before the failure"
    );
    let topic = topics.for_kind(settle::events::Kind::Stripe);
    let messages = bus.fetch(&topic, 0, 0, 10_000).await.unwrap();
    let mut snapshots: Vec<String> = messages
        .iter()
        .filter(|m| m.meta.origin.starts_with("backfill:stripe:customers:"))
        .map(|m| m.key.clone())
        .collect();
    snapshots.sort();
    created.sort();
    assert_eq!(snapshots, created, "every customer once");
}
