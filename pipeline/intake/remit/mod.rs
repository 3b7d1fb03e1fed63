//! `settle import remittances`: a carrier's COD remittance statement (CSV or
//! spreadsheet) into `remittance_line` events. Columns, number style and
//! date format come from `[carriers.NAME.remittance]`; amounts in major
//! units become exact minor units; every line is checked (net = collected −
//! fees) and a bad one is kept for `rejected` with its line number and
//! reason. Event ids are `CARRIER:STATEMENT:TRACKING`, and the file's
//! SHA-256 is recorded in the lake (`_imports/remittances/`), so importing
//! the same file again produces nothing.

pub mod cell;
pub mod sheet;

use std::collections::BTreeMap;
use std::path::Path;

use bytes::Bytes;
use object_store::{ObjectStoreExt, PutMode, PutOptions, PutPayload};
use serde_json::{Value, json};
use sha2::Digest;

use self::cell::{Cell, NumberStyle};
use crate::bus::{EventBus, Meta, Record, Topics};
use crate::events::Kind;
use crate::lake::Lake;
use crate::money::Currency;
use crate::sources::carriers::settings::CarrierSettings;

/// Errors that stop a whole file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The file or its layout cannot be read.
    #[error("{0}")]
    File(String),
    /// The lake could not record or check the import.
    #[error("lake: {0}")]
    Lake(String),
    /// The bus refused the lines.
    #[error("bus: {0}")]
    Bus(#[from] crate::bus::Error),
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Per-currency totals of the accepted lines, minor units.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Lines.
    pub lines: usize,
    /// Cash collected.
    pub collected: i64,
    /// Fees deducted.
    pub fees: i64,
    /// Net remitted.
    pub net: i64,
}

/// What one file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// File name.
    pub file: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Statement id(s) seen.
    pub statements: Vec<String>,
    /// Data lines read.
    pub lines: usize,
    /// Totals per currency code.
    pub totals: BTreeMap<String, Totals>,
    /// (line number, reason) of each rejected line.
    pub rejected: Vec<(usize, String)>,
}

/// A file read and checked, ready to publish.
pub struct Plan {
    /// The summary.
    pub summary: Summary,
    /// One record per line (rejected ones carry their reason).
    pub records: Vec<Record>,
}

const FIELDS: &[&str] = &[
    "tracking_number",
    "collected",
    "paid_date",
    "net_remitted",
    "fee_shipping",
    "fee_cod",
    "fee_return",
    "fee_other",
    "order_id",
    "currency",
    "statement_id",
    "bank_reference",
];

/// Reads and checks `file` of `carrier`; `statement` overrides the statement id.
pub fn plan(
    carrier: &str,
    cfg: &CarrierSettings,
    file: &Path,
    statement: Option<&str>,
) -> Result<Plan> {
    let m = &cfg.remittance;
    let name = file.file_name().map_or_else(
        || file.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let bytes = std::fs::read(file).map_err(|e| Error::File(format!("{}: {e}", file.display())))?;
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    if cfg.store_id.is_empty() {
        return Err(Error::File(format!(
            "[carriers.{carrier}] needs store_id: the store these parcels belong to"
        )));
    }
    for field in m.columns.keys() {
        if !FIELDS.contains(&field.as_str()) {
            return Err(Error::File(format!(
                "[carriers.{carrier}.remittance.columns] has {field:?}; fields are {}",
                FIELDS.join(", ")
            )));
        }
    }
    let sheet = sheet::read(
        file,
        m.header_row,
        m.delimiter.as_deref(),
        m.sheet.as_deref(),
    )
    .map_err(Error::File)?;
    let column = |field: &str| -> Option<usize> {
        let header = m.columns.get(field)?;
        sheet
            .headers
            .iter()
            .position(|h| h.eq_ignore_ascii_case(header.trim()))
    };
    let mut index = BTreeMap::new();
    for field in FIELDS {
        if let Some(header) = m.columns.get(*field) {
            let i = column(field).ok_or_else(|| {
                Error::File(format!(
                    "{name}: no column {header:?} (for {field}); the header row has: {}",
                    sheet.headers.join(" | ")
                ))
            })?;
            index.insert(*field, i);
        }
    }
    for required in ["tracking_number", "collected", "paid_date"] {
        if !index.contains_key(required) {
            return Err(Error::File(format!(
                "[carriers.{carrier}.remittance.columns] needs {required} = \"<its column header>\""
            )));
        }
    }
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let style = NumberStyle {
        decimal_comma: m.decimal_comma,
        thousands: m.thousands.clone(),
    };
    let ctx = LineContext {
        carrier,
        cfg,
        index: &index,
        style: &style,
        statement,
        stem: &stem,
    };
    let mut summary = Summary {
        file: name.clone(),
        sha256,
        ..Default::default()
    };
    let mut records = Vec::with_capacity(sheet.rows.len());
    let received_at = chrono::Utc::now().timestamp_micros();
    for (line, cells) in &sheet.rows {
        summary.lines += 1;
        let meta = |refusal: Option<String>| Meta {
            kind: Kind::Remittance,
            store_id: cfg.store_id.clone(),
            origin: format!("{name}:{line}"),
            received_at,
            refusal,
        };
        match ctx.line(cells) {
            Ok(l) => {
                let t = summary.totals.entry(l.currency.clone()).or_default();
                t.lines += 1;
                t.collected += l.collected;
                t.fees += l.fees;
                t.net += l.net;
                if !summary.statements.contains(&l.statement) {
                    summary.statements.push(l.statement.clone());
                }
                records.push(Record {
                    key: l.tracking,
                    meta: meta(None),
                    payload: Bytes::from(l.body.to_string()),
                });
            }
            Err(why) => {
                let kept: serde_json::Map<String, Value> = sheet
                    .headers
                    .iter()
                    .zip(cells.iter().chain(std::iter::repeat(&Cell::Empty)))
                    .map(|(h, c)| (h.clone(), Value::String(c.display())))
                    .collect();
                let reason = format!("{name} line {line}: {why}");
                records.push(Record {
                    key: format!("{name}:{line}"),
                    meta: meta(Some(reason)),
                    payload: Bytes::from(Value::Object(kept).to_string()),
                });
                summary.rejected.push((*line, why));
            }
        }
    }
    Ok(Plan { summary, records })
}

struct LineContext<'a> {
    carrier: &'a str,
    cfg: &'a CarrierSettings,
    index: &'a BTreeMap<&'static str, usize>,
    style: &'a NumberStyle,
    statement: Option<&'a str>,
    stem: &'a str,
}

struct Line {
    tracking: String,
    statement: String,
    currency: String,
    collected: i64,
    fees: i64,
    net: i64,
    body: Value,
}

impl LineContext<'_> {
    fn line(&self, cells: &[Cell]) -> Result<Line, String> {
        let cell = |field: &str| {
            self.index
                .get(field)
                .and_then(|i| cells.get(*i))
                .unwrap_or(&Cell::Empty)
        };
        let text =
            |field: &str| Some(cell(field).display().trim().to_string()).filter(|s| !s.is_empty());
        let tracking = text("tracking_number").ok_or("the tracking number is empty")?;
        let code = text("currency")
            .or_else(|| self.cfg.currency.clone())
            .ok_or_else(|| {
                format!(
                    "no currency: add a currency column or [carriers.{}] currency",
                    self.carrier
                )
            })?;
        let currency = Currency::parse(&code).map_err(|e| format!("currency: {e}"))?;
        let amount = |field: &str, signed: bool| -> Result<i64, String> {
            match cell(field) {
                c if c.is_blank() && field.starts_with("fee_") => Ok(0),
                c => cell::amount(c, self.style, currency, signed)
                    .map_err(|e| format!("{field} {e}")),
            }
        };
        let collected = amount("collected", false)?;
        let fees = ["fee_shipping", "fee_cod", "fee_return", "fee_other"]
            .iter()
            .map(|f| amount(f, false))
            .collect::<Result<Vec<i64>, String>>()?;
        let fee_total: i64 = fees.iter().sum();
        let net = if self.index.contains_key("net_remitted") {
            amount("net_remitted", true)?
        } else {
            collected - fee_total
        };
        let paid = cell::date(cell("paid_date"), &self.cfg.remittance.date_format)
            .map_err(|e| format!("paid_date {e}"))?;
        let statement = text("statement_id")
            .or_else(|| self.statement.map(str::to_string))
            .unwrap_or_else(|| self.stem.to_string());
        let f = |minor: i64| currency.format(minor);
        let body = json!({
            "event_id": format!("{}:{statement}:{tracking}", self.carrier),
            "store_id": self.cfg.store_id,
            "carrier": self.carrier,
            "statement_id": statement,
            "paid_date": paid.format("%Y-%m-%d").to_string(),
            "tracking_number": tracking,
            "order_id": text("order_id"),
            "currency": currency.code(),
            "collected": f(collected),
            "fees": {"shipping": f(fees[0]), "cod": f(fees[1]), "return": f(fees[2]), "other": f(fees[3])},
            "net_remitted": f(net),
            "bank_reference": text("bank_reference"),
        });
        // The same checks the lake applies (net = collected - fees), with this line's number.
        crate::events::remittance::decode(&body.to_string()).map_err(|r| {
            r.reason
                .split_once(": ")
                .map_or(r.reason.clone(), |(_, why)| why.to_string())
        })?;
        Ok(Line {
            tracking,
            statement,
            currency: currency.code().to_string(),
            collected,
            fees: fee_total,
            net,
            body,
        })
    }
}

fn ledger(lake: &Lake, carrier: &str, sha256: &str) -> object_store::path::Path {
    lake.path(&format!("_imports/remittances/{carrier}/{sha256}.json"))
}

/// When this exact file was imported before: the recorded summary.
pub async fn previous(lake: &Lake, carrier: &str, sha256: &str) -> Result<Option<Summary>> {
    match lake.store.get(&ledger(lake, carrier, sha256)).await {
        Ok(r) => {
            let bytes = r.bytes().await.map_err(|e| Error::Lake(e.to_string()))?;
            let v: Value =
                serde_json::from_slice(&bytes).map_err(|e| Error::Lake(e.to_string()))?;
            Ok(Some(Summary {
                file: v["file"].as_str().unwrap_or_default().to_string(),
                sha256: sha256.to_string(),
                lines: v["lines"].as_u64().unwrap_or(0) as usize,
                ..Default::default()
            }))
        }
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(e) => Err(Error::Lake(e.to_string())),
    }
}

/// Publishes a plan's records; returns once the bus acknowledged every one.
pub async fn publish(bus: &dyn EventBus, topics: &Topics, plan: Plan) -> Result<Summary> {
    let topic = topics.for_kind(Kind::Remittance);
    for chunk in plan.records.chunks(5_000) {
        bus.publish(&topic, chunk.to_vec()).await?;
    }
    Ok(plan.summary)
}

/// Records in the lake that this file was imported (once its lines are
/// durable: acknowledged by Kafka, or written to the lake in process).
pub async fn remember(lake: &Lake, carrier: &str, summary: &Summary) -> Result<()> {
    let mut doc = serde_json::to_value(summary).map_err(|e| Error::Lake(e.to_string()))?;
    doc["imported_at"] = json!(chrono::Utc::now().to_rfc3339());
    let put = lake
        .store
        .put_opts(
            &ledger(lake, carrier, &summary.sha256),
            PutPayload::from(doc.to_string()),
            PutOptions {
                mode: PutMode::Create,
                ..Default::default()
            },
        )
        .await;
    match put {
        Ok(_) | Err(object_store::Error::AlreadyExists { .. }) => Ok(()),
        Err(e) => Err(Error::Lake(e.to_string())),
    }
}

/// The summary as the command prints it.
pub fn render(s: &Summary) -> String {
    let mut out = format!(
        "{}: {} lines, {} accepted, {} rejected (statement {})\n",
        s.file,
        s.lines,
        s.lines - s.rejected.len(),
        s.rejected.len(),
        s.statements.join(", ")
    );
    for (code, t) in &s.totals {
        let c = Currency::parse(code).expect("parsed before");
        out.push_str(&format!(
            "  {code}  {:>5} lines  collected {:>14}  fees {:>12}  net remitted {:>14}\n",
            t.lines,
            c.format(t.collected),
            c.format(t.fees),
            c.format(t.net)
        ));
    }
    for (line, why) in &s.rejected {
        out.push_str(&format!("  rejected line {line}: {why}\n"));
    }
    out
}
