//! Shared test helpers: build lakes from generated histories, run SQL, call
//! Python peers.
#![allow(dead_code)]

pub mod daemon;
pub mod dashboards;
pub mod http;
pub mod intake;
pub mod pg;
pub mod recorder;
pub mod sheets_server;
pub mod smtp;
pub mod stripe;
pub mod stripe_server;
pub mod triggers;

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::prelude::SessionContext;
use indicatif::ProgressBar;
use settle::bus::memory::MemoryBus;
use settle::bus::{EventBus, Topics};
use settle::events::Kind;
use settle::generate::{self, Config, History};
use settle::jobs::session::{self, Options};
use settle::jobs::{contracts, spec};
use settle::lake::{Lake, commit, ingest};

/// A history of `orders` orders with the shipped overdue threshold.
pub fn history(orders: usize, days: i64, seed: u64) -> History {
    let cfg = Config {
        orders,
        days,
        seed,
        overdue_days: spec::overdue_days(),
    };
    generate::generate(&cfg, &contracts::defaults())
}

/// Pushes a history through the in-process bus into `lake` and runs every job.
pub async fn build_lake(lake: &Lake, history: &History, max_rows: usize) -> ingest::Drained {
    let topics = Topics::default();
    let bus: Arc<dyn EventBus> = Arc::new(MemoryBus::with_start_offsets(
        3,
        commit::next_offsets(lake).await.unwrap(),
    ));
    settle::demo::publish_history(&*bus, &topics, history, &ProgressBar::hidden())
        .await
        .unwrap();
    let names: Vec<String> = Kind::ALL.iter().map(|k| topics.for_kind(*k)).collect();
    let drained = ingest::drain(
        bus,
        lake,
        &names,
        ingest::DrainOptions::rows(max_rows),
        None,
    )
    .await
    .unwrap();
    settle::jobs::run::run(lake, &spec::all().unwrap(), &Options::default())
        .await
        .unwrap();
    drained
}

/// A session over `lake`.
pub async fn ctx(lake: &Lake) -> SessionContext {
    session::open(lake, &Options::default()).await.unwrap()
}

/// Runs SQL and collects; an empty result is one empty batch with the schema.
pub async fn sql(ctx: &SessionContext, q: &str) -> Vec<RecordBatch> {
    let df = ctx.sql(q).await.unwrap();
    let schema = Arc::new(df.schema().as_arrow().clone());
    let batches = df.collect().await.unwrap();
    if batches.is_empty() {
        vec![RecordBatch::new_empty(schema)]
    } else {
        batches
    }
}

/// Rows as maps of column name to display text, for comparisons.
pub fn rows(batches: &[RecordBatch]) -> Vec<BTreeMap<String, String>> {
    let mut out = Vec::new();
    for b in batches {
        let fmt = datafusion::arrow::util::display::FormatOptions::default().with_null("NULL");
        let formatters: Vec<_> = b
            .columns()
            .iter()
            .map(|c| {
                datafusion::arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &fmt).unwrap()
            })
            .collect();
        for i in 0..b.num_rows() {
            let mut row = BTreeMap::new();
            for (f, field) in formatters.iter().zip(b.schema().fields()) {
                row.insert(field.name().clone(), f.value(i).to_string());
            }
            out.push(row);
        }
    }
    out
}

/// One Int64 value from a one-row result.
pub fn scalar_i64(batches: &[RecordBatch]) -> i64 {
    let c = batches[0].column(0);
    match c.data_type() {
        DataType::Int64 => c.as_primitive::<Int64Type>().value(0),
        other => panic!("expected Int64, got {other}"),
    }
}

/// A fresh temporary folder for a lake.
pub fn temp_lake() -> (tempfile::TempDir, Lake) {
    let dir = tempfile::tempdir().unwrap();
    let lake = Lake::open(dir.path().to_str().unwrap()).unwrap();
    (dir, lake)
}

/// Runs a Python peer script from tests/peers with arguments; panics with
/// the script's output (and how to install what it needs) if it fails.
pub fn python(script: &str, args: &[&str]) -> String {
    let path = format!("{}/tests/peers/{script}", env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(&path)
        .args(args)
        .output()
        .expect("python3 must be installed (.ci/run installs the peers)");
    assert!(
        out.status.success(),
        "{script} failed; install the peers with `pip install duckdb polars jsonschema`:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A self-signed server certificate for 127.0.0.1 (not a CA: rustls refuses
/// a CA as the end entity) and its PKCS#8 key, made by openssl in `dir`.
pub fn self_signed(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (
        dir.join(format!("{name}.crt")),
        dir.join(format!("{name}.key")),
    );
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

/// Whether a column is null at row i (helper for ad-hoc checks).
pub fn is_null(b: &RecordBatch, col: &str, i: usize) -> bool {
    b.column_by_name(col).unwrap().is_null(i)
}

/// The stdout of a finished command, which must have succeeded (else its
/// stderr is the failure message).
pub fn stdout_of(out: std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
