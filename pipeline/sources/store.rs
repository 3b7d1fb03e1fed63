//! Helpers shared by the store adapters (Shopify, WooCommerce): reading
//! loosely typed JSON fields and the outcome of adapting one webhook.

use serde_json::Value;

/// What a store webhook becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Adapted {
    /// An `order_change` body for the orders topic, keyed by order id.
    Order {
        /// Store order id (the bus key).
        order_id: String,
        /// The `order_change` JSON.
        body: Value,
    },
    /// Nothing Settle can table; kept in `rejected` with this reason.
    Refused(String),
}

/// A store adapter: (topic, store, delivery id, body) to what it becomes;
/// an error means the body cannot be read at all (400).
pub type Adapter = fn(&str, &str, Option<&str>, &[u8]) -> Result<Adapted, String>;

/// The refusal for a topic a platform sends that Settle does not take.
pub fn unknown_topic(platform: &str, topic: &str, topics: &[&str]) -> Adapted {
    Adapted::Refused(format!(
        "{platform} topic {topic:?} is not one Settle takes ({}); unsubscribe it from the webhook",
        topics.join(", ")
    ))
}

/// A field as text: strings as they are, numbers in their JSON form; None for null or absent.
pub fn text(v: &Value, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A required field as text, or a reason naming it.
pub fn required(v: &Value, pointer: &str, what: &str) -> Result<String, String> {
    text(v, pointer).ok_or_else(|| format!("{what} payload has no {}", &pointer[1..]))
}

/// An amount field as decimal text, refusing JSON fractions (float rounding).
pub fn amount(v: &Value, pointer: &str) -> Result<Option<String>, String> {
    match v.pointer(pointer) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(n.to_string())),
        Some(other) => Err(format!(
            "{} is {other}, not a decimal string; amounts must be exact",
            &pointer[1..]
        )),
    }
}

/// Maps a sender's status through `table`; an unknown one is an error that
/// quotes it and lists the known ones (never guessed).
pub fn lookup(
    table: &[(&str, &'static str)],
    raw: &str,
    field: &str,
) -> Result<&'static str, String> {
    table
        .iter()
        .find(|(k, _)| *k == raw)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let known: Vec<&str> = table.iter().map(|(k, _)| *k).collect();
            format!(
                "{field} {raw:?} is not in Settle's table ({})",
                known.join(", ")
            )
        })
}
