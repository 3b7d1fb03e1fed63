//! `kind = "emit"`: a command event to a topic, for systems downstream of
//! Settle (the warehouse, a CRM). The body carries `command_id` (the
//! action's idempotency key, also the `settle-command-id` header): a crash
//! between the send and the journal can send a command twice, so
//! receivers deduplicate on it.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Value, json};

use super::Failure;
use crate::bus::Topics;
use crate::bus::kafka::KafkaBus;
use crate::triggers::template::Scope;

/// `kind = "emit"`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmitSpec {
    /// Topic name without the prefix (`commands` is `settle.commands`).
    pub topic: String,
    /// The command's name, e.g. `dispatch_ready`.
    pub command: String,
    /// The message key template (keeps one entity's commands in order).
    pub key: String,
    /// Fields of the command's `data`, each a template.
    #[serde(default)]
    pub data: BTreeMap<String, String>,
}

/// Sends the command and waits for the bus's acknowledgement.
pub async fn emit(
    bus: &KafkaBus,
    topics: &Topics,
    spec: &EmitSpec,
    scope: &Scope<'_>,
    id: &str,
) -> Result<Value, Failure> {
    let key = scope.render(&spec.key).map_err(Failure::permanent)?;
    let mut data = serde_json::Map::new();
    for (field, template) in &spec.data {
        let text = scope.render(template).map_err(Failure::permanent)?;
        data.insert(field.clone(), Value::String(text));
    }
    let topic = format!("{}{}", topics.prefix, spec.topic);
    let body = json!({
        "command_id": id,
        "command": spec.command,
        "trigger": scope.trigger,
        "store_id": scope.event.store_id,
        "source_event_id": scope.event.id,
        "source_event_type": scope.event.event_type,
        "issued_at": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": data,
    });
    let payload = serde_json::to_vec(&body).expect("JSON");
    bus.send(
        &topic,
        &key,
        &payload,
        &[
            ("settle-command-id", id),
            ("settle-command", spec.command.as_str()),
        ],
    )
    .await
    .map_err(|e| Failure {
        why: e.to_string(),
        transient: true,
    })?;
    Ok(json!({ "id": id, "topic": topic, "key": key, "command": spec.command }))
}
