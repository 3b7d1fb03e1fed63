//! `settle bench lake`: N Stripe-sized JSON events through decode -> Arrow ->
//! Parquet on one thread, beside DuckDB's read_json -> COPY TO parquet on the
//! same file in the same run, printed as a ratio.

pub mod dashboards;
pub mod ingest;
pub mod webhooks;

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use bytes::Bytes;

use crate::bus::{Message, Meta};
use crate::events::Kind;
use crate::generate::{self, Config};
use crate::jobs::contracts;
use crate::lake::Lake;
use crate::lake::batch::Rows;

/// The DuckDB peer script.
const DUCKDB_PEER: &str = include_str!("../../tests/peers/duckdb_json_to_parquet.py");

/// Writes `n` distinct Stripe events (one generated day of payments, repeated
/// with unique event ids) to `path`.
/// Returns the file size in bytes.
pub fn write_events(path: &Path, n: usize) -> std::io::Result<u64> {
    let history = generate::generate(
        &Config {
            orders: 20_000,
            // One day of trading: a live stream's batches span one or two
            // date partitions, as in production.
            days: 1,
            seed: 1,
            overdue_days: 20,
        },
        &contracts::defaults(),
    );
    let templates = &history.events[&Kind::Stripe];
    let mut f = std::io::BufWriter::new(std::fs::File::create(path)?);
    for i in 0..n {
        let t = &templates[i % templates.len()];
        // Event ids are "evt_" + 24 characters; replace the tail to stay unique.
        let line = match t.find("\"evt_") {
            Some(p) => format!("{}\"evt_{i:024}{}", &t[..p], &t[p + 29..]),
            None => t.clone(),
        };
        writeln!(f, "{line}")?;
    }
    f.flush()?;
    Ok(std::fs::metadata(path)?.len())
}

/// Settle's side: read the file, decode every line, write all lake tables
/// in batches of `batch` events. Returns (events, seconds).
pub async fn settle_side(file: &Path, lake: &Lake, batch: usize) -> std::io::Result<(usize, f64)> {
    let started = Instant::now();
    let text = std::fs::read(file)?;
    let mut offset = 0i64;
    let mut rows = Rows::default();
    let mut first = 0i64;
    let mut events = 0usize;
    for line in text.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
        let m = Message {
            topic: "bench".into(),
            partition: 0,
            offset,
            key: String::new(),
            meta: Meta {
                kind: Kind::Stripe,
                store_id: "bench".into(),
                origin: String::new(),
                received_at: 0,
                refusal: None,
            },
            payload: Bytes::copy_from_slice(line),
        };
        rows.add_message(m, usize::MAX);
        offset += 1;
        events += 1;
        if rows.events() >= batch {
            flush(lake, &mut rows, first, offset - 1).await?;
            first = offset;
        }
    }
    if rows.events() > 0 {
        flush(lake, &mut rows, first, offset - 1).await?;
    }
    Ok((events, started.elapsed().as_secs_f64()))
}

async fn flush(lake: &Lake, rows: &mut Rows, first: i64, last: i64) -> std::io::Result<()> {
    let stem = crate::lake::commit::stem("bench", 0, first, last);
    crate::lake::ingest::write_rows(lake, std::mem::take(rows), &stem)
        .await
        .map_err(std::io::Error::other)?;
    Ok(())
}

/// DuckDB's side, via python3. Returns seconds, or why it could not run.
pub fn duckdb_side(file: &Path, out: &Path, threads: usize) -> Result<f64, String> {
    let args = [
        file.as_os_str(),
        out.as_os_str(),
        std::ffi::OsStr::new(&threads.to_string()),
    ]
    .map(|a| a.to_os_string());
    python_peer(DUCKDB_PEER, &args)?["seconds"]
        .as_f64()
        .ok_or_else(|| "peer printed no seconds".into())
}

/// Runs a Python peer script with `args`; its last line of output is JSON.
pub fn python_peer(script: &str, args: &[std::ffi::OsString]) -> Result<serde_json::Value, String> {
    let output = std::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .map_err(|e| format!("could not start python3: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "DuckDB peer failed (pip install duckdb): {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last).map_err(|e| format!("peer printed {last:?}: {e}"))
}
