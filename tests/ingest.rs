//! `settle ingest` on a real Kafka-protocol broker (Tansu, started by
//! `tests/services.sh`): end to end against the embedded path, kill -9 at
//! random moments, two processes in one group, poison messages and duplicate
//! deliveries.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use bytes::Bytes;
use common::daemon::{self, Ingest, Setup};
use indicatif::ProgressBar;
use rand::{Rng, SeedableRng};
use settle::bus::{EventBus, Meta, Record, Topics};
use settle::events::Kind;
use settle::generate::History;
use settle::lake::Lake;
use tokio::sync::OnceCell;

/// Exactly 200,000 mixed generated events: a 15,000-order history with the
/// newest Stripe events trimmed to the round number.
const EVENTS: usize = 200_000;

fn two_hundred_thousand() -> History {
    let mut h = common::history(15_000, 90, 21);
    let total: usize = h.events.values().map(Vec::len).sum();
    assert!(total >= EVENTS, "history has only {total} events");
    let stripe = h.events.get_mut(&Kind::Stripe).unwrap();
    stripe.truncate(stripe.len() - (total - EVENTS));
    h.truth.clear();
    h
}

/// The 200,000 events, produced once per test run and shared by the tests
/// that read them (each with its own group and lake).
async fn produced() -> &'static (Topics, History) {
    static CELL: OnceCell<(Topics, History)> = OnceCell::const_new();
    CELL.get_or_init(|| async {
        let topics = daemon::unique_topics("big");
        let bus = daemon::kafka(&topics).await;
        let history = two_hundred_thousand();
        let n = settle::demo::publish_history(&bus, &topics, &history, &ProgressBar::hidden())
            .await
            .unwrap();
        assert_eq!(n, EVENTS);
        (topics, history)
    })
    .await
}

async fn job_outputs(lake: &Lake) -> BTreeMap<String, Vec<BTreeMap<String, String>>> {
    settle::jobs::run::run(
        lake,
        &settle::jobs::spec::all().unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    let ctx = common::ctx(lake).await;
    let mut out = BTreeMap::new();
    for job in settle::jobs::spec::all().unwrap() {
        let q = format!("SELECT * FROM {}", job.output);
        let mut rows = common::rows(&common::sql(&ctx, &q).await);
        rows.sort();
        out.insert(job.output.clone(), rows);
    }
    out
}

/// (rows, distinct bus positions, distinct event ids) of raw_events.
async fn raw_counts(lake: &Lake) -> (i64, i64, i64) {
    let ctx = common::ctx(lake).await;
    let one = |q: &'static str| {
        let ctx = ctx.clone();
        async move { common::scalar_i64(&common::sql(&ctx, q).await) }
    };
    (
        one("SELECT COUNT(*) FROM raw_events").await,
        one("SELECT COUNT(*) FROM (SELECT DISTINCT topic, \"partition\", \"offset\" FROM raw_events)")
            .await,
        one("SELECT COUNT(DISTINCT event_id) FROM raw_events").await,
    )
}

fn distinct_event_ids(history: &History) -> i64 {
    let mut ids = std::collections::HashSet::new();
    for (kind, lines) in &history.events {
        for l in lines {
            let d = settle::events::decode::decode(*kind, l, "default").unwrap();
            ids.insert(d.event_id);
        }
    }
    ids.len() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_thousand_events_end_to_end_equal_the_embedded_path() {
    let (topics, history) = produced().await;
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let setup = Setup::new(topics, &lake_dir).with("MAX_ROWS", 20_000);
    let ingest = Ingest::start(&setup);
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    daemon::wait_for_lake(&lake, EVENTS as u64, Duration::from_secs(600)).await;
    let written = ingest.metric("settle_ingest_events_written_total", "");
    assert_eq!(written as usize, EVENTS, "metrics count what was written");
    assert!(ingest.stop().success());

    let (rows, positions, ids) = raw_counts(&lake).await;
    assert_eq!((rows, positions), (EVENTS as i64, EVENTS as i64));
    assert_eq!(ids, distinct_event_ids(history));

    let (_ref_dir, reference) = common::temp_lake();
    common::build_lake(&reference, history, 50_000).await;
    let (a, b) = (job_outputs(&lake).await, job_outputs(&reference).await);
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (job, rows) in &a {
        assert!(!rows.is_empty(), "{job} is empty");
        assert_eq!(
            rows, &b[job],
            "{job} differs between settle ingest and the embedded path"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_moments_loses_and_duplicates_nothing() {
    let (topics, history) = produced().await;
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    // Small batches and ages: many commits for the kills to land between.
    let setup = Setup::new(topics, &lake_dir)
        .with("MAX_ROWS", 4_000)
        .with("MAX_AGE_MS", 100);
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let seed: u64 = std::env::var("SETTLE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    println!("kill -9 moments from seed {seed} (SETTLE_TEST_SEED={seed} repeats them)");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut progress = Vec::new();
    for _ in 0..10 {
        let ingest = Ingest::start(&setup);
        // A random moment while it works: after it owns partitions.
        ingest.wait_assigned(Duration::from_secs(60)).await;
        // Within 400 ms: ten kills land before a debug build (~30k events/s
        // here) could finish the 200k events.
        let wait = rng.random_range(0..400);
        tokio::time::sleep(Duration::from_millis(wait)).await;
        ingest.kill9();
        progress.push(daemon::committed_events(&lake).await);
    }
    println!("events in the lake after each kill: {progress:?}");
    assert!(
        progress.last() < Some(&(EVENTS as u64)),
        "the kills all happened after ingest finished; nothing was tested"
    );
    let ingest = Ingest::start(&setup);
    daemon::wait_for_lake(&lake, EVENTS as u64, Duration::from_secs(600)).await;
    assert!(ingest.stop().success());

    let (rows, positions, ids) = raw_counts(&lake).await;
    assert_eq!(rows, EVENTS as i64, "every event exactly once");
    assert_eq!(positions, EVENTS as i64);
    assert_eq!(ids, distinct_event_ids(history));
    assert!(
        lake.list("_staging").await.unwrap().is_empty(),
        "no staged file outlives its batch"
    );
    // The chain of commit records is contiguous per partition.
    let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
    for c in settle::lake::commit::all(&lake).await.unwrap() {
        let n = next.entry((c.topic.clone(), c.partition)).or_insert(0);
        assert_eq!((c.from, c.first), (*n, *n), "{c:?}");
        *n = c.last + 1;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_in_one_group_split_partitions_and_hand_over() {
    let topics = daemon::unique_topics("pair");
    let bus = daemon::kafka(&topics).await;
    let history = common::history(1_500, 30, 5);
    let total: usize = history.events.values().map(Vec::len).sum();
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let setup = Setup::new(&topics, &lake_dir);
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let a = Ingest::start(&setup);
    let b = Ingest::start(&setup);
    // Both own partitions before any event arrives.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (pa, pb) = (
            a.metric("settle_ingest_assigned_partitions", ""),
            b.metric("settle_ingest_assigned_partitions", ""),
        );
        if pa > 0.0 && pb > 0.0 && pa + pb == 12.0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "group never split: {pa} + {pb}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // First half of each kind, then stop b, then the rest.
    let mut first = History {
        events: BTreeMap::new(),
        truth: vec![],
        as_of: history.as_of,
    };
    let mut second = first.clone();
    for (kind, lines) in &history.events {
        let (x, y) = lines.split_at(lines.len() / 2);
        first.events.insert(*kind, x.to_vec());
        second.events.insert(*kind, y.to_vec());
    }
    let n1 = settle::demo::publish_history(&bus, &topics, &first, &ProgressBar::hidden())
        .await
        .unwrap();
    daemon::wait_for_lake(&lake, n1 as u64, Duration::from_secs(120)).await;
    let writers: std::collections::BTreeSet<String> = settle::lake::commit::all(&lake)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.writer)
        .collect();
    assert_eq!(writers.len(), 2, "both processes wrote: {writers:?}");
    assert!(b.stop().success());
    let n2 = settle::demo::publish_history(&bus, &topics, &second, &ProgressBar::hidden())
        .await
        .unwrap();
    assert_eq!(n1 + n2, total);
    daemon::wait_for_lake(&lake, total as u64, Duration::from_secs(120)).await;
    assert_eq!(a.metric("settle_ingest_assigned_partitions", ""), 12.0);
    assert!(a.stop().success());
    let (rows, positions, _) = raw_counts(&lake).await;
    assert_eq!((rows, positions), (total as i64, total as i64));
}

/// A buffer budget far below one batch: consumption pauses while writers
/// work (backpressure) instead of holding more, batches close early, and
/// still every event lands exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tiny_buffer_budget_pauses_reading_and_loses_nothing() {
    let topics = daemon::unique_topics("budget");
    let bus = daemon::kafka(&topics).await;
    let history = common::history(300, 20, 8);
    let mut total = 0;
    for (kind, events) in &history.events {
        let records: Vec<Record> = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                record(
                    *kind,
                    &format!("k{}", i % 7),
                    &format!("budget:{i}"),
                    e.clone().into_bytes(),
                )
            })
            .collect();
        total += records.len();
        bus.publish(&topics.for_kind(*kind), records).await.unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let setup = Setup::new(&topics, &lake_dir)
        .with("MAX_BUFFERED_BYTES", 32 * 1024)
        .with("MAX_AGE_MS", 200);
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    let ingest = Ingest::start(&setup);
    daemon::wait_for_lake(&lake, total as u64, Duration::from_secs(120)).await;
    let batches = ingest.metric("settle_ingest_batch_seconds_count", "");
    assert!(ingest.stop().success());
    // Bodies are ~0.5-1.5 KB: a 32 KiB budget closes batches of a few dozen.
    assert!(
        batches > (total / 100) as f64,
        "{batches} batches for {total} events: the budget did not close batches early"
    );
    let (rows, positions, _) = raw_counts(&lake).await;
    assert_eq!((rows, positions), (total as i64, total as i64));
}

fn record(kind: Kind, key: &str, origin: &str, payload: Vec<u8>) -> Record {
    Record {
        key: key.into(),
        meta: Meta {
            kind,
            store_id: "atlas-home".into(),
            origin: origin.into(),
            received_at: 1_780_000_000_000_000,
            refusal: None,
        },
        payload: Bytes::from(payload),
    }
}

/// (reason header, source header) of every message on the DLQ.
fn dead_letters(topics: &Topics) -> Vec<(String, String)> {
    common::triggers::read_topic(&topics.dlq(), 3, Duration::from_secs(20))
        .into_iter()
        .map(|m| {
            let h = |k: &str| m.headers.get(k).cloned().unwrap_or_default();
            (h("settle-reason"), h("settle-source"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_go_to_dlq_and_rejected_without_stalling_and_sigterm_flushes() {
    let topics = daemon::unique_topics("poison");
    let bus = daemon::kafka(&topics).await;
    let history = common::history(20, 10, 8);
    let good = &history.events[&Kind::Order];
    let oversize = format!("{{\"pad\":\"{}\"}}", "x".repeat(10_000)).into_bytes();
    // One key, so one partition: poison sits between good events.
    let records = vec![
        record(Kind::Order, "k", "good:1", good[0].clone().into_bytes()),
        record(Kind::Order, "k", "poison:json", b"\x00not json".to_vec()),
        record(
            Kind::Order,
            "k",
            "poison:schema",
            br#"{"hello":"world"}"#.to_vec(),
        ),
        record(Kind::Order, "k", "poison:size", oversize),
        record(Kind::Order, "k", "good:2", good[1].clone().into_bytes()),
    ];
    bus.publish(&topics.for_kind(Kind::Order), records)
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    // Batches close only on SIGTERM: the flush on stop is what writes them.
    let setup = Setup::new(&topics, &lake_dir)
        .with("MAX_AGE_MS", 600_000)
        .with("MAX_EVENT_BYTES", 4_096);
    let ingest = Ingest::start(&setup);
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while ingest.metric("settle_ingest_events_consumed_total", "") < 5.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "poison stalled the partition"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    assert_eq!(
        daemon::committed_events(&lake).await,
        0,
        "nothing closed the batch yet"
    );
    assert_eq!(ingest.get("/healthz").unwrap().0, 200);
    assert!(ingest.stop().success(), "SIGTERM exits cleanly");
    assert_eq!(
        daemon::committed_events(&lake).await,
        5,
        "SIGTERM flushed the open batch"
    );

    let ctx = common::ctx(&lake).await;
    let raw =
        common::rows(&common::sql(&ctx, "SELECT origin FROM raw_events ORDER BY \"offset\"").await);
    let origins: Vec<&str> = raw.iter().map(|r| r["origin"].as_str()).collect();
    assert_eq!(origins, ["good:1", "good:2"]);
    let rejected = common::rows(
        &common::sql(
            &ctx,
            "SELECT origin, reason FROM rejected ORDER BY \"offset\"",
        )
        .await,
    );
    let got: Vec<(&str, &str)> = rejected
        .iter()
        .map(|r| (r["origin"].as_str(), r["reason"].as_str()))
        .collect();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(got[0].0, "poison:json");
    assert!(got[0].1.contains("not valid JSON"), "{got:?}");
    assert_eq!(got[1].0, "poison:schema");
    assert!(got[1].1.contains("order_change"), "{got:?}");
    assert_eq!(got[2].0, "poison:size");
    assert!(got[2].1.contains("4096-byte limit"), "{got:?}");

    let letters = dead_letters(&topics);
    assert_eq!(letters.len(), 3, "{letters:?}");
    for ((reason, source), (_, want)) in letters.iter().zip(&got) {
        assert_eq!(reason, want);
        assert!(
            source.starts_with(&topics.for_kind(Kind::Order)),
            "{source}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redelivered_stripe_event_is_kept_raw_and_counted_once() {
    let topics = daemon::unique_topics("dup");
    let bus = daemon::kafka(&topics).await;
    let history = common::history(200, 20, 9);
    settle::demo::publish_history(&bus, &topics, &history, &ProgressBar::hidden())
        .await
        .unwrap();
    // Stripe retries a charge.succeeded it already delivered, twice.
    let stripe = &history.events[&Kind::Stripe];
    let again = stripe
        .iter()
        .find(|l| l.contains("\"charge.succeeded\""))
        .unwrap()
        .clone();
    let id = serde_json::from_str::<serde_json::Value>(&again).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let key = settle::intake::load::key_of(Kind::Stripe, &again, "retry");
    let retries = (0..2)
        .map(|i| {
            record(
                Kind::Stripe,
                &key,
                &format!("retry:{i}"),
                again.clone().into_bytes(),
            )
        })
        .collect();
    bus.publish(&topics.for_kind(Kind::Stripe), retries)
        .await
        .unwrap();
    let total: usize = history.events.values().map(Vec::len).sum::<usize>() + 2;

    let dir = tempfile::tempdir().unwrap();
    let lake_dir = dir.path().join("lake");
    let ingest = Ingest::start(&Setup::new(&topics, &lake_dir));
    let lake = Lake::open(lake_dir.to_str().unwrap()).unwrap();
    daemon::wait_for_lake(&lake, total as u64, Duration::from_secs(120)).await;
    assert!(ingest.stop().success());

    let ctx = common::ctx(&lake).await;
    let count = |q: String| {
        let ctx = ctx.clone();
        async move { common::scalar_i64(&common::sql(&ctx, &q).await) }
    };
    let raw = count(format!(
        "SELECT COUNT(*) FROM raw_events WHERE event_id = '{id}'"
    ))
    .await;
    assert_eq!(raw, 3, "raw_events keeps every delivery");
    let typed = count(format!(
        "SELECT COUNT(*) FROM payments WHERE event_id = '{id}'"
    ))
    .await;
    assert_eq!(typed, 1, "the typed table counts it once");
    let all = count(format!(
        "SELECT COUNT(*) FROM payments_deliveries WHERE event_id = '{id}'"
    ))
    .await;
    assert_eq!(all, 3, "every delivery's row is on disk");

    let (_ref_dir, reference) = common::temp_lake();
    common::build_lake(&reference, &history, 50_000).await;
    let (a, b) = (job_outputs(&lake).await, job_outputs(&reference).await);
    assert_eq!(a, b, "jobs count the redelivered event once");
}
