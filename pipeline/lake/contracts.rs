//! Lake table contracts as JSON Schema, generated from the Rust declarations
//! (`schemas/tables/*.schema.json`; a test keeps the checked-in files equal),
//! plus `alert_events`, which the alert evaluator writes, `actions_log`,
//! which the trigger runner writes, and `job_runs`, which the scheduler writes.

use datafusion::arrow::datatypes::DataType;
use serde_json::{Map, Value, json};

use super::table::Table;
use super::tables::*;

fn column_schema(dt: &DataType, doc: &str) -> Value {
    let (ty, format) = match dt {
        DataType::Utf8 => ("string", None),
        DataType::Int64 | DataType::Int32 => ("integer", None),
        DataType::Float64 => ("number", None),
        DataType::Boolean => ("boolean", None),
        DataType::Timestamp(..) => ("string", Some("date-time")),
        DataType::Date32 => ("string", Some("date")),
        other => unreachable!("lake tables use no {other} columns"),
    };
    let mut m = Map::new();
    m.insert("type".into(), json!(ty));
    if let Some(f) = format {
        m.insert("format".into(), json!(f));
    }
    m.insert("x-arrow-type".into(), json!(dt.to_string()));
    m.insert("description".into(), json!(doc));
    Value::Object(m)
}

/// The JSON Schema of one table's rows.
pub fn contract<T: Table>() -> Value {
    let cols = T::columns();
    let mut props = Map::new();
    let mut required = Vec::new();
    for (field, doc) in &cols {
        let mut s = column_schema(field.data_type(), doc);
        if field.is_nullable() {
            let ty = s["type"].clone();
            s["type"] = json!([ty, "null"]);
        } else {
            required.push(json!(field.name()));
        }
        props.insert(field.name().clone(), s);
    }
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("https://settle.dev/schemas/tables/{}.schema.json", T::NAME),
        "title": T::NAME,
        "description": format!("{} Hive-partitioned by date=YYYY-MM-DD (UTC).", T::DOC.trim()),
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": false
    })
}

/// Every event table's contract, by name.
pub fn all() -> Vec<(&'static str, Value)> {
    vec![
        (RawEventRow::NAME, contract::<RawEventRow>()),
        (RejectedRow::NAME, contract::<RejectedRow>()),
        (PaymentRow::NAME, contract::<PaymentRow>()),
        (RefundRow::NAME, contract::<RefundRow>()),
        (InvoiceRow::NAME, contract::<InvoiceRow>()),
        (CustomerRow::NAME, contract::<CustomerRow>()),
        (OrderRow::NAME, contract::<OrderRow>()),
        (OrderLineRow::NAME, contract::<OrderLineRow>()),
        (TrackingRow::NAME, contract::<TrackingRow>()),
        (RemittanceRow::NAME, contract::<RemittanceRow>()),
        (
            crate::alerts::store::AlertEventRow::NAME,
            contract::<crate::alerts::store::AlertEventRow>(),
        ),
        (
            crate::triggers::log::ActionLogRow::NAME,
            contract::<crate::triggers::log::ActionLogRow>(),
        ),
        (
            crate::schedule::runs::JobRunRow::NAME,
            contract::<crate::schedule::runs::JobRunRow>(),
        ),
    ]
}

/// The file text of a contract (pretty JSON with a trailing newline).
pub fn render(v: &Value) -> String {
    serde_json::to_string_pretty(v).expect("json") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checked_in_table_contracts_match_the_rust_declarations() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/schemas/tables");
        let mut names: Vec<_> = all().iter().map(|(n, _)| n.to_string()).collect();
        for (name, v) in all() {
            let path = format!("{dir}/{name}.schema.json");
            let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
            assert_eq!(
                on_disk,
                render(&v),
                "{path} differs from the Rust declaration; run `cargo run -- schemas` and review the diff"
            );
        }
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                e.unwrap()
                    .file_name()
                    .to_string_lossy()
                    .replace(".schema.json", "")
            })
            .collect();
        files.sort();
        names.sort();
        assert_eq!(
            files, names,
            "schemas/tables has a file for every table and no other"
        );
    }

    #[test]
    fn every_event_table_has_a_store_and_an_event_position() {
        for (name, v) in all() {
            let props = v["properties"].as_object().unwrap();
            assert!(props.contains_key("store_id"), "{name}");
            // alert_events and job_runs are derived from the lake, not from events.
            assert!(
                props.contains_key("event_id")
                    || ["rejected", "alert_events", "job_runs"].contains(&name),
                "{name}"
            );
        }
    }
}
