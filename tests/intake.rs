//! `settle serve` on the real broker: every signature case gets its status,
//! only acknowledged events reach the lake, a stopped broker means 503 and
//! sender retries land once, and localstripe's signed webhooks flow through
//! the binary into the lake.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::daemon::{self, Ingest, Setup};
use common::http::{self, Reply, post};
use common::intake::start_intake;
use settle::events::Kind;
use settle::generate::stripe_json;
use settle::intake::settings::{IntakeSettings, Secrets};
use settle::lake::Lake;
use settle::sources::secret::Secret;
use settle::sources::stripe::signature::Verifier;

const SECRET: &str = "whsec_intake_test_1";
const ROTATED: &str = "whsec_intake_test_2";

fn settings(secrets: &[&str], ack_timeout_ms: u64) -> IntakeSettings {
    let mut s = IntakeSettings::default();
    s.stripe.webhook_secrets = Secrets(secrets.iter().map(|s| Secret::new(*s)).collect());
    s.ack_timeout_ms = ack_timeout_ms;
    s.retry_after_secs = 7;
    s.max_body_bytes = 64 * 1024;
    s
}

/// A `customer.created` event as Stripe sends it.
fn customer_event(n: u32) -> Vec<u8> {
    let now = chrono::Utc::now().timestamp();
    let customer = stripe_json::customer(
        &format!("cus_intake{n:06}"),
        &format!("buyer{n}@example.com"),
        "Test Buyer",
        "+213555000000",
        "DZ",
        now,
        "store-a",
    );
    stripe_json::event(
        &format!("evt_intake{n:06}"),
        "customer.created",
        now,
        customer,
    )
    .to_string()
    .into_bytes()
}

fn signed(secret: &str, body: &[u8], t: i64) -> String {
    Verifier::sign(&Secret::new(secret), body, t)
}

fn send(addr: &str, signature: Option<&str>, body: &[u8]) -> Reply {
    let mut headers = vec![("Content-Type", "application/json")];
    if let Some(s) = signature {
        headers.push(("Stripe-Signature", s));
    }
    post(addr, "/webhooks/stripe", &headers, body)
}

fn assert_refused(r: &Reply, status: u16, code: &str, mentions: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    let v = r.json();
    assert_eq!(v["error"], code, "{}", r.body);
    let message = v["message"].as_str().unwrap();
    assert!(message.contains(mentions), "{message}");
    for secret in [SECRET, ROTATED] {
        assert!(!r.body.contains(secret), "a secret leaked: {}", r.body);
    }
}

#[test]
fn every_stripe_signature_case_gets_its_status_and_only_accepted_events_reach_the_lake() {
    let topics = daemon::unique_topics("intake-sig");
    let running = start_intake(
        &daemon::brokers(),
        &topics,
        settings(&[ROTATED, SECRET], 10_000),
    );
    let addr = running.addr.as_str();
    let now = chrono::Utc::now().timestamp();

    let (a, b) = (customer_event(1), customer_event(2));
    let ok = send(addr, Some(&signed(SECRET, &a, now)), &a);
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["status"], "accepted");
    assert_eq!(ok.json()["id"], "evt_intake000001");
    // Rotation: the other secret is accepted too.
    let rotated = send(addr, Some(&signed(ROTATED, &b, now)), &b);
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    // Stripe re-delivers: answered without producing again.
    let again = send(addr, Some(&signed(SECRET, &a, now + 60)), &a);
    assert_eq!(
        (again.status, again.json()["status"].as_str()),
        (200, Some("duplicate"))
    );

    let c = customer_event(3);
    let mut tampered = c.clone();
    tampered.extend_from_slice(b" ");
    let cases: Vec<(Reply, u16, &str, &str)> = vec![
        (
            send(addr, Some(&signed(SECRET, &c, now)), &tampered),
            401,
            "unauthorized",
            "no v1 signature matches",
        ),
        (
            send(addr, Some(&signed("whsec_wrong", &c, now)), &c),
            401,
            "unauthorized",
            "no v1 signature matches",
        ),
        (
            send(addr, Some(&signed(SECRET, &c, now - 400)), &c),
            401,
            "unauthorized",
            "beyond the 300 s tolerance",
        ),
        (
            send(addr, Some(&signed(SECRET, &c, now + 400)), &c),
            401,
            "unauthorized",
            "in the future",
        ),
        (
            send(addr, None, &c),
            401,
            "unauthorized",
            "no Stripe-Signature header",
        ),
        (
            send(addr, Some("t=abc,v1=00"), &c),
            401,
            "unauthorized",
            "garbled",
        ),
    ];
    for (reply, status, code, mentions) in &cases {
        assert_refused(reply, *status, code, mentions);
    }
    // Validly signed but not a Stripe event: 400, and said why.
    let junk = b"{\"hello\": 1}";
    assert_refused(
        &send(addr, Some(&signed(SECRET, junk, now)), junk),
        400,
        "malformed",
        "needs string fields id and type",
    );
    let not_json = b"<xml/>";
    assert_refused(
        &send(addr, Some(&signed(SECRET, not_json, now)), not_json),
        400,
        "malformed",
        "not JSON",
    );
    // Over the limit: 413 before anything else.
    let big = vec![b' '; 64 * 1024 + 1];
    assert_refused(
        &send(addr, Some(&signed(SECRET, &big, now)), &big),
        413,
        "too_large",
        "65536-byte limit",
    );
    assert_refused(
        &post(addr, "/webhooks/nope", &[], b"{}"),
        404,
        "not_configured",
        "/webhooks/stripe",
    );

    // Exactly the two accepted events reach the lake, each once.
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let ingest = Ingest::start(&Setup::new(&topics, &lake_dir));
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(daemon::wait_for_lake(&lake, 2, Duration::from_secs(60)));
    assert!(ingest.stop().success());
    let ids = rt.block_on(async {
        let ctx = common::ctx(&lake).await;
        common::rows(&common::sql(&ctx, "SELECT event_id FROM customers ORDER BY event_id").await)
    });
    let ids: Vec<&str> = ids.iter().map(|r| r["event_id"].as_str()).collect();
    assert_eq!(ids, ["evt_intake000001", "evt_intake000002"]);
    let metrics = http::request(addr, "GET", "/metrics", &[], b"")
        .unwrap()
        .body;
    assert!(
        metrics.contains("settle_intake_requests_total{source=\"stripe\",outcome=\"accepted\"} 2"),
        "{metrics}"
    );
}

#[test]
fn with_the_broker_down_webhooks_get_503_and_sender_retries_land_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let port = http::free_port();
    let mut broker = http::tansu_sqlite(dir.path(), port);
    let brokers = format!("127.0.0.1:{port}");
    let topics = daemon::unique_topics("intake-down");
    let running = start_intake(&brokers, &topics, settings(&[SECRET], 1_500));
    let addr = running.addr.as_str();
    let now = || chrono::Utc::now().timestamp();

    let a = customer_event(11);
    assert_eq!(send(addr, Some(&signed(SECRET, &a, now())), &a).status, 200);

    broker.kill();
    let b = customer_event(12);
    let started = Instant::now();
    let down = send(addr, Some(&signed(SECRET, &b, now())), &b);
    assert_refused(&down, 503, "unavailable", "nothing was accepted");
    assert_eq!(down.header("retry-after"), Some("7"));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "503 took {:?}",
        started.elapsed()
    );
    // A second attempt while down is refused too.
    assert_eq!(send(addr, Some(&signed(SECRET, &b, now())), &b).status, 503);

    let _broker = http::tansu_sqlite(dir.path(), port);
    // The sender retries, as Stripe does, until it gets a 2xx.
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut attempts = 0;
    loop {
        attempts += 1;
        let r = send(addr, Some(&signed(SECRET, &b, now())), &b);
        if r.status == 200 {
            assert_eq!(r.json()["status"], "accepted");
            break;
        }
        assert_eq!(r.status, 503, "{}", r.body);
        assert!(
            Instant::now() < deadline,
            "still 503 after {attempts} retries"
        );
        std::thread::sleep(Duration::from_millis(500));
    }

    // The broker holds a once and b once; the lake agrees.
    let lake_dir = dir.path().join("lake");
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ids = rt.block_on(async {
        let bus = daemon::kafka_on(&brokers, &topics).await;
        let names = [topics.for_kind(Kind::Stripe)];
        settle::lake::ingest::drain(
            Arc::new(bus),
            &lake,
            &names,
            settle::lake::ingest::DrainOptions::rows(1000),
            None,
        )
        .await
        .unwrap();
        let ctx = common::ctx(&lake).await;
        common::rows(&common::sql(&ctx, "SELECT event_id FROM raw_events ORDER BY event_id").await)
    });
    let ids: Vec<&str> = ids.iter().map(|r| r["event_id"].as_str()).collect();
    assert_eq!(
        ids,
        ["evt_intake000011", "evt_intake000012"],
        "after {attempts} retries"
    );
}

/// The benchmark itself is run by hand (figures in the issue note); this
/// only keeps it working: every side answers every request (a side with a
/// non-200 answer fails the run) and it prints each side and the ratios.
#[test]
fn the_webhook_benchmark_runs_every_side_and_prints_the_ratios() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_settle"))
        .args([
            "bench",
            "webhooks",
            "--requests",
            "300",
            "--concurrency",
            "8",
            "--rounds",
            "2",
        ])
        .args(["--brokers", &daemon::brokers()])
        .output()
        .unwrap();
    let text = common::stdout_of(out);
    for side in [
        "do-nothing axum",
        "axum + Kafka ack",
        "settle serve",
        "settle, no broker",
        "bare rdkafka",
    ] {
        let line = text
            .lines()
            .find(|l| l.starts_with(side))
            .unwrap_or_else(|| panic!("no line for {side}: {text}"));
        let rate: f64 = line[side.len()..]
            .split_whitespace()
            .next()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no rate in {line:?}"));
        assert!(rate > 0.0, "{line}");
    }
    assert!(text.contains("median of 2 interleaved rounds"), "{text}");
    assert!(text.contains("settle / do-nothing rate"), "{text}");
    assert!(text.contains("settle / (axum + Kafka ack)"), "{text}");
}
