//! `settle load`: newline-delimited event files onto the bus, each line
//! keyed by its entity and tagged with `file:line` so errors can point at it.

use std::io::BufRead;
use std::path::Path;

use bytes::Bytes;
use serde_json::Value;

use crate::bus::{EventBus, Meta, Record, Topics};
use crate::events::Kind;

/// Errors from loading.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// I/O error.
        source: std::io::Error,
    },
    /// The bus refused the records.
    #[error("bus: {0}")]
    Bus(#[from] crate::bus::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The bus key of an event body: the entity it is about. Bodies that are not
/// JSON are keyed by their origin, so they still travel (to be rejected).
pub fn key_of(kind: Kind, body: &str, origin: &str) -> String {
    let v: Option<Value> = serde_json::from_str(body).ok();
    let field = |path: &str| {
        v.as_ref()
            .and_then(|v| v.pointer(path))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let key = match kind {
        Kind::Stripe => field("/data/object/id"),
        Kind::Order => field("/order_id"),
        Kind::Tracking | Kind::Remittance => field("/tracking_number"),
    };
    key.unwrap_or_else(|| origin.to_string())
}

/// Records for every non-empty line of `path`.
pub fn read_records(path: &Path, kind: Kind, store: &str) -> Result<Vec<Record>> {
    let io = |source| Error::Io {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let now = chrono::Utc::now().timestamp_micros();
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).split(b'\n').enumerate() {
        let line = line.map_err(io)?;
        let line = line.strip_suffix(b"\r").unwrap_or(&line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let origin = format!("{name}:{}", i + 1);
        let text = String::from_utf8_lossy(line);
        out.push(Record {
            key: key_of(kind, &text, &origin),
            meta: Meta {
                kind,
                store_id: store.to_string(),
                origin,
                received_at: now,
                refusal: None,
            },
            payload: Bytes::copy_from_slice(line),
        });
    }
    Ok(out)
}

/// Publishes every line of `path` to the kind's topic; returns how many.
pub async fn load_file(
    bus: &dyn EventBus,
    topics: &Topics,
    path: &Path,
    kind: Kind,
    store: &str,
) -> Result<usize> {
    let records = read_records(path, kind, store)?;
    let n = records.len();
    for chunk in records.chunks(10_000) {
        bus.publish(&topics.for_kind(kind), chunk.to_vec()).await?;
    }
    Ok(n)
}
