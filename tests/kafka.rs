//! The Kafka bus on a real Kafka-protocol broker (Tansu, started by
//! `tests/services.sh`): publish acknowledged, read back by partition, drained
//! into the lake with the same results as the in-process bus.

mod common;

use std::sync::Arc;
use std::time::Duration;

use indicatif::ProgressBar;
use settle::bus::kafka::KafkaBus;
use settle::bus::{EventBus, Meta, Record, Topics};
use settle::events::Kind;
use settle::lake::ingest;

/// The sqlite-backed test broker: these tests read end offsets, which
/// Tansu's memory storage gets wrong.
fn brokers() -> String {
    std::env::var("SETTLE_TEST_KAFKA_SQLITE_BROKERS").unwrap_or_else(|_| "127.0.0.1:19093".into())
}

use common::daemon::unique_topics;

async fn bus(topics: &Topics) -> KafkaBus {
    common::daemon::kafka_on(&brokers(), topics).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_through_kafka_equals_the_in_process_path() {
    let topics = unique_topics("history");
    let kafka = Arc::new(bus(&topics).await);
    let history = common::history(250, 30, 12);
    let events: usize = history.events.values().map(Vec::len).sum();
    settle::demo::publish_history(&*kafka, &topics, &history, &ProgressBar::hidden())
        .await
        .unwrap();
    // A poison message: not JSON, on the orders topic.
    let poison = Record {
        key: "poison".into(),
        meta: Meta {
            kind: Kind::Order,
            store_id: "atlas-home".into(),
            origin: "test:1".into(),
            received_at: 0,
            refusal: None,
        },
        payload: bytes::Bytes::from_static(b"\x00not json"),
    };
    kafka
        .publish(&topics.for_kind(Kind::Order), vec![poison])
        .await
        .unwrap();

    let mut end = 0;
    for k in Kind::ALL {
        for p in 0..kafka.partitions(&topics.for_kind(k)).await.unwrap() {
            end += kafka.end_offset(&topics.for_kind(k), p).await.unwrap();
        }
    }
    assert_eq!(
        end as usize,
        events + 1,
        "the broker acknowledged every event"
    );

    let (_dir, lake) = common::temp_lake();
    let names: Vec<String> = Kind::ALL.iter().map(|k| topics.for_kind(*k)).collect();
    let d = ingest::drain(
        kafka.clone(),
        &lake,
        &names,
        ingest::DrainOptions::rows(700),
        None,
    )
    .await
    .unwrap();
    assert_eq!((d.accepted as usize, d.rejected), (events, 1));
    settle::jobs::run::run(
        &lake,
        &settle::jobs::spec::all().unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();

    let (_dir2, reference) = common::temp_lake();
    common::build_lake(&reference, &history, 700).await;
    for job in [
        "cod_reconciliation",
        "revenue_daily",
        "delivery_success",
        "refund_rates",
    ] {
        let q = format!("SELECT * FROM {job}");
        let mut a = common::rows(&common::sql(&common::ctx(&lake).await, &q).await);
        let mut b = common::rows(&common::sql(&common::ctx(&reference).await, &q).await);
        a.sort();
        b.sort();
        assert_eq!(a, b, "{job} differs between Kafka and in-process ingestion");
    }
    let ctx = common::ctx(&lake).await;
    let rejected = common::rows(&common::sql(&ctx, "SELECT origin, reason FROM rejected").await);
    assert_eq!(rejected[0]["origin"], "test:1");
    assert!(
        rejected[0]["reason"].contains("not valid JSON"),
        "{rejected:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_entity_stays_in_one_partition_in_order() {
    let topics = unique_topics("order");
    let kafka = bus(&topics).await;
    let topic = topics.for_kind(Kind::Tracking);
    let records: Vec<Record> = (0..30)
        .map(|i| Record {
            key: format!("SWP{}", i % 3),
            meta: Meta {
                kind: Kind::Tracking,
                store_id: "s".into(),
                origin: format!("seq:{i}"),
                received_at: i,
                refusal: None,
            },
            payload: bytes::Bytes::from(format!("{{\"seq\":{i}}}")),
        })
        .collect();
    kafka.publish(&topic, records).await.unwrap();
    let mut seen = std::collections::HashMap::<String, (i32, Vec<i64>)>::new();
    for p in 0..kafka.partitions(&topic).await.unwrap() {
        for m in kafka.fetch(&topic, p, 0, 100).await.unwrap() {
            let e = seen.entry(m.key.clone()).or_insert((p, vec![]));
            assert_eq!(e.0, p, "key {} in two partitions", m.key);
            e.1.push(m.meta.received_at);
            assert_eq!(m.meta.kind, Kind::Tracking);
        }
    }
    assert_eq!(seen.len(), 3);
    for (key, (_, seqs)) in seen {
        assert_eq!(seqs.len(), 10, "{key}");
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "{key} out of order: {seqs:?}"
        );
    }
}

/// `settle status` columns of one topic partition: (broker_end, lake_last, lag, group).
fn status_row(text: &str, topic: &str, partition: i32) -> (String, String, String, String) {
    let line = text
        .lines()
        .find(|l| {
            let mut w = l.split_whitespace();
            w.next() == Some(topic) && w.next() == Some(&partition.to_string())
        })
        .unwrap_or_else(|| panic!("no {topic}/{partition} in\n{text}"));
    let w: Vec<String> = line.split_whitespace().map(String::from).collect();
    (w[2].clone(), w[3].clone(), w[4].clone(), w[5].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_lag_before_ingest_and_none_after() {
    use common::daemon::{Ingest, Setup};
    let topics = unique_topics("status");
    let kafka = common::daemon::kafka_on(&brokers(), &topics).await;
    let topic = topics.for_kind(Kind::Tracking);
    let records: Vec<Record> = common::history(30, 10, 2).events[&Kind::Tracking]
        .iter()
        .take(40)
        .map(|l| Record {
            key: "one-parcel".into(),
            meta: Meta {
                kind: Kind::Tracking,
                store_id: "s".into(),
                origin: "status".into(),
                received_at: 0,
                refusal: None,
            },
            payload: bytes::Bytes::from(l.clone()),
        })
        .collect();
    kafka.publish(&topic, records).await.unwrap();
    let p = settle::bus::kafka::KafkaBus::partitions(&kafka, &topic)
        .await
        .unwrap();
    let mut part = None;
    for i in 0..p {
        if kafka.end_offset(&topic, i).await.unwrap() == 40 {
            part = Some(i);
        }
    }
    let part = part.expect("one key, one partition");
    let dir = tempfile::tempdir().unwrap();
    let mut setup = Setup::new(&topics, &dir.path().join("lake"));
    setup.brokers = brokers();
    let before = setup.status();
    assert_eq!(
        status_row(&before, &topic, part),
        ("40".into(), "-".into(), "40".into(), "-".into()),
        "{before}"
    );
    let ingest = Ingest::start(&setup);
    let lake = settle::lake::Lake::open(&setup.lake).unwrap();
    common::daemon::wait_for_lake(&lake, 40, Duration::from_secs(60)).await;
    assert!(ingest.stop().success());
    let after = setup.status();
    assert_eq!(
        status_row(&after, &topic, part),
        ("40".into(), "39".into(), "0".into(), "40".into()),
        "{after}"
    );
}
