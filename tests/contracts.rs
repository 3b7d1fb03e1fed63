//! The event contracts in `schemas/` describe what the decoders accept:
//! every generated event validates against its JSON Schema (checked by the
//! Python `jsonschema` peer), and every generated event decodes.

mod common;

use serde_json::Value;
use settle::events::{Kind, decode::decode};

#[test]
fn generated_events_validate_against_the_json_schemas_and_decode() {
    let history = common::history(400, 40, 21);
    let dir = tempfile::tempdir().unwrap();
    settle::generate::write(&history, dir.path()).unwrap();
    let schemas = format!("{}/schemas", env!("CARGO_MANIFEST_DIR"));
    let report: Value = serde_json::from_str(&common::python(
        "validate_events.py",
        &[&schemas, dir.path().to_str().unwrap()],
    ))
    .unwrap();
    for kind in Kind::ALL {
        let r = &report[kind.file_name()];
        let lines = &history.events[&kind];
        assert_eq!(r["invalid"], Value::Array(vec![]), "{kind}: {r}");
        assert_eq!(r["valid"].as_u64().unwrap() as usize, lines.len(), "{kind}");
        for (i, line) in lines.iter().enumerate() {
            decode(kind, line, "default")
                .unwrap_or_else(|e| panic!("{kind} line {}: {}", i + 1, e.reason));
        }
    }
}
