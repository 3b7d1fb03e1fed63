//! The lake: rebuild from raw_events, resuming where it left off, finishing
//! a crashed writer's staged files, and the same tables on memory:// and S3.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use settle::bus::memory::MemoryBus;
use settle::bus::{EventBus, Message, Meta, Topics};
use settle::events::Kind;
use settle::intake::load::load_file;
use settle::lake::batch::Rows;
use settle::lake::writer::{self, Encoded};
use settle::lake::{Lake, commit, ingest, parquet_io};

const TYPED: &str = "SELECT 'payments' AS t, COUNT(*) AS n, SUM(amount) AS s FROM payments
  UNION ALL SELECT 'refunds', COUNT(*), SUM(amount) FROM refunds
  UNION ALL SELECT 'customers', COUNT(*), 0 FROM customers
  UNION ALL SELECT 'orders', COUNT(*), SUM(total) FROM orders
  UNION ALL SELECT 'order_lines', COUNT(*), SUM(line_total) FROM order_lines
  UNION ALL SELECT 'tracking_events', COUNT(*), SUM(cod_amount) FROM tracking_events
  UNION ALL SELECT 'cod_remittances', COUNT(*), SUM(net_remitted) FROM cod_remittances";

async fn typed_summary(lake: &Lake) -> String {
    let ctx = common::ctx(lake).await;
    let mut rows = common::rows(&common::sql(&ctx, TYPED).await);
    rows.sort();
    format!("{rows:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rebuild_recreates_typed_tables_from_raw_events() {
    let history = common::history(300, 30, 3);
    let (_dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 400).await;
    let before = typed_summary(&lake).await;
    // Lose a typed table entirely, then rebuild.
    std::fs::remove_dir_all(lake.url.to_file_path().unwrap().join("payments")).unwrap();
    assert_ne!(typed_summary(&lake).await, before);
    let r = settle::lake::rebuild::rebuild(&lake).await.unwrap();
    assert!(r.files > 0 && r.events > 0);
    assert_eq!(typed_summary(&lake).await, before);
}

async fn load_lines(
    lake: &Lake,
    dir: &std::path::Path,
    name: &str,
    lines: &[String],
) -> ingest::Drained {
    let file = dir.join(name);
    std::fs::write(&file, lines.join("\n")).unwrap();
    let topics = Topics::default();
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::with_start_offsets(
        2,
        commit::next_offsets(lake).await.unwrap(),
    ));
    load_file(&*bus, &topics, &file, Kind::Order, "default")
        .await
        .unwrap();
    ingest::drain(
        bus,
        lake,
        &[topics.for_kind(Kind::Order)],
        ingest::DrainOptions::rows(50),
        None,
    )
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_again_appends_after_the_committed_offsets_and_never_overwrites() {
    let history = common::history(200, 20, 9);
    let orders = &history.events[&Kind::Order];
    let (half_a, half_b) = orders.split_at(orders.len() / 2);
    let (dir, lake) = common::temp_lake();
    let a = load_lines(&lake, dir.path(), "a.jsonl", half_a).await;
    let b = load_lines(&lake, dir.path(), "b.jsonl", half_b).await;
    assert_eq!((a.accepted + b.accepted) as usize, orders.len());
    let ctx = common::ctx(&lake).await;
    let n = common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM raw_events").await);
    let distinct = common::scalar_i64(
        &common::sql(&ctx, "SELECT COUNT(DISTINCT event_id) FROM raw_events").await,
    );
    assert_eq!(
        (n as usize, distinct as usize),
        (orders.len(), orders.len())
    );
    // Loading the same file again is a new delivery: kept raw, counted once downstream.
    let again = load_lines(&lake, dir.path(), "a.jsonl", half_a).await;
    assert_eq!(again.accepted as usize, half_a.len());
    let ctx = common::ctx(&lake).await;
    let raw = common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM raw_events").await);
    assert_eq!(raw as usize, orders.len() + half_a.len());
    let distinct_orders =
        common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM order_state").await);
    let want: std::collections::HashSet<_> = orders
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["order_id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(distinct_orders as usize, want.len());
}

/// Stages `lines` as one batch of partition 0 from `from` on, as a writer
/// named `writer` that crashed: with its commit record (crashed before moving
/// the files into place) or without (crashed before committing).
async fn crashed_batch(
    lake: &Lake,
    topic: &str,
    from: i64,
    lines: &[String],
    writer: &str,
    committed: bool,
) {
    let mut rows = Rows::default();
    for (i, line) in lines.iter().enumerate() {
        let m = Message {
            topic: topic.to_string(),
            partition: 0,
            offset: from + i as i64,
            key: format!("k{i}"),
            meta: Meta {
                kind: Kind::Order,
                store_id: "default".into(),
                origin: format!("crash:{i}"),
                received_at: 0,
                refusal: None,
            },
            payload: Bytes::from(line.clone()),
        };
        rows.add_message(m, usize::MAX);
    }
    let last = from + lines.len() as i64 - 1;
    let enc = Encoded::new(topic, 0, from, (from, last), rows).unwrap();
    let mut files = Vec::new();
    for (rel, bytes) in &enc.files {
        parquet_io::put(
            lake,
            &writer::staged(topic, 0, from, writer, rel),
            bytes.clone(),
        )
        .await
        .unwrap();
        files.push(rel.clone());
    }
    if committed {
        let c = commit::Commit {
            topic: topic.to_string(),
            partition: 0,
            from,
            first: from,
            last,
            accepted: enc.accepted,
            rejected: enc.rejected,
            files,
            bytes: 0,
            writer: writer.into(),
            committed_at: 0,
        };
        assert!(commit::create(lake, &c).await.unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_writers_staged_files_roll_forward_or_are_dropped() {
    let history = common::history(100, 20, 4);
    let orders = &history.events[&Kind::Order];
    let (dir, lake) = common::temp_lake();
    let first = load_lines(&lake, dir.path(), "a.jsonl", &orders[..40]).await;
    let topic = Topics::default().for_kind(Kind::Order);
    let from = commit::next_offset(&lake, &topic, 0).await.unwrap();
    // Crashed after its commit record, before moving files: the batch is in the lake.
    crashed_batch(&lake, &topic, from, &orders[40..43], "dead2", true).await;
    // Crashed before its commit record, at the next position: never in the lake.
    crashed_batch(&lake, &topic, from + 3, &orders[43..45], "dead1", false).await;
    let ctx = common::ctx(&lake).await;
    let raw = common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM raw_events").await);
    assert_eq!(raw as u64, first.accepted, "readers never see staged files");

    let second = load_lines(&lake, dir.path(), "b.jsonl", &orders[45..]).await;
    assert!(
        lake.list("_staging").await.unwrap().is_empty(),
        "committed staged files moved into place, the uncommitted ones deleted"
    );
    let ctx = common::ctx(&lake).await;
    let raw = common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM raw_events").await);
    assert_eq!(raw as u64, first.accepted + 3 + second.accepted);
    assert_eq!(raw as usize, orders.len() - 2);
    let crashed = common::scalar_i64(
        &common::sql(
            &ctx,
            "SELECT COUNT(*) FROM raw_events WHERE origin LIKE 'crash:%'",
        )
        .await,
    );
    assert_eq!(crashed, 3, "exactly the committed crashed batch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_lake_holds_the_same_tables() {
    let history = common::history(120, 20, 6);
    let lake = Lake::open("memory://").unwrap();
    let d = common::build_lake(&lake, &history, 300).await;
    let events: usize = history.events.values().map(Vec::len).sum();
    assert_eq!(d.accepted as usize, events);
    let ctx = common::ctx(&lake).await;
    let n = common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM cod_reconciliation").await);
    assert_eq!(n as usize, history.truth.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_lake_on_a_real_s3_server() {
    let endpoint =
        std::env::var("SETTLE_TEST_S3_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:5000".into());
    let bucket = format!("settle-test-{}", std::process::id());
    let status = std::process::Command::new("curl")
        .args(["-sf", "-X", "PUT", &format!("{endpoint}/{bucket}")])
        .status()
        .expect("curl");
    assert!(
        status.success(),
        "creating bucket on {endpoint} failed: start the S3 server with `tests/services.sh start` (moto_server)"
    );
    let lake = Lake::open_with(
        &format!("s3://{bucket}/lake"),
        &[
            ("aws_endpoint", endpoint.as_str()),
            ("aws_allow_http", "true"),
            ("aws_access_key_id", "testing"),
            ("aws_secret_access_key", "testing"),
            ("aws_region", "us-east-1"),
        ],
    )
    .unwrap();
    let history = common::history(120, 20, 6);
    let d = common::build_lake(&lake, &history, 300).await;
    let events: usize = history.events.values().map(Vec::len).sum();
    assert_eq!(d.accepted as usize, events);
    let ctx = common::ctx(&lake).await;
    let n = common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM raw_events").await);
    assert_eq!(n as usize, events);
    let recon =
        common::scalar_i64(&common::sql(&ctx, "SELECT COUNT(*) FROM cod_reconciliation").await);
    assert_eq!(recon as usize, history.truth.len());
}
