//! Templates over an event: `{path}` is replaced by the value at `path` in
//! the event body (`totals.total`, `data.object.customer`,
//! `line_items.0.sku`); `{$event_id}`, `{$event_type}`, `{$store_id}`,
//! `{$source}` and `{$trigger}` by the event's own facts; and
//! `{$actions.NAME.path}` by an earlier action's result. Filters follow a
//! `|`: `minor` turns a major-unit amount into exact minor units using the
//! `currency` field (`minor:PATH` names another), `lower`, `upper`, and
//! `default:TEXT` for a field that may be missing. A missing field without
//! a default is an error: nothing is sent with a hole in it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::event::Event;
use crate::money::Currency;

/// What a template can see.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    /// The event.
    pub event: &'a Event,
    /// The trigger's name.
    pub trigger: &'a str,
    /// Results of the trigger's earlier actions, by action name.
    pub outputs: &'a BTreeMap<String, Value>,
    /// The current item, inside an action's `items_from` list: paths look
    /// here first, then in the event.
    pub item: Option<&'a Value>,
}

/// The value at a dotted `path` in `v` (array elements by index).
pub fn lookup<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        cur = match cur {
            Value::Object(m) => m.get(seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// A JSON value as template text: strings as they are, other scalars as
/// JSON, objects and arrays as compact JSON.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

impl Scope<'_> {
    /// The value at `path` (see the module docs), if any.
    pub fn value(&self, path: &str) -> Option<Value> {
        let fact = |s: &str| Some(Value::String(s.to_string()));
        match path {
            "$event_id" => return fact(&self.event.id),
            "$event_type" => return fact(&self.event.event_type),
            "$store_id" => return fact(&self.event.store_id),
            "$source" => return fact(&self.event.source),
            "$trigger" => return fact(self.trigger),
            _ => {}
        }
        if let Some(rest) = path.strip_prefix("$actions.") {
            let (name, inner) = rest.split_once('.').unwrap_or((rest, ""));
            return lookup(self.outputs.get(name)?, inner).cloned();
        }
        self.item
            .and_then(|item| lookup(item, path))
            .or_else(|| lookup(&self.event.body, path))
            .cloned()
    }

    /// Renders `template`; the error names the placeholder and what is wrong.
    pub fn render(&self, template: &str) -> Result<String, String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("template {template:?} has a '{{' without a '}}'"))?;
            out.push_str(&self.placeholder(after[..close].trim())?);
            rest = &after[close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn placeholder(&self, inner: &str) -> Result<String, String> {
        let mut parts = inner.split('|');
        let path = parts.next().unwrap_or_default().trim();
        let mut value = self.value(path);
        let mut text: Option<String> = None;
        for filter in parts {
            let (name, arg) = filter.split_once(':').unwrap_or((filter, ""));
            match name.trim() {
                "default" => {
                    if value.is_none() && text.is_none() {
                        text = Some(arg.to_string());
                    }
                }
                "lower" | "upper" | "minor" if value.is_none() && text.is_none() => {}
                "lower" => text = Some(self.current(&value, &text).to_lowercase()),
                "upper" => text = Some(self.current(&value, &text).to_uppercase()),
                "minor" => {
                    let amount = self.current(&value, &text);
                    text = Some(self.minor(path, &amount, arg.trim())?);
                    value = None;
                }
                other => {
                    return Err(format!(
                        "{{{inner}}}: unknown filter {other:?}; use minor, lower, upper or default:TEXT"
                    ));
                }
            }
        }
        match (text, value) {
            (Some(t), _) => Ok(t),
            (None, Some(v)) => Ok(text_of(&v)),
            (None, None) => Err(format!(
                "{{{inner}}}: the event has no {path:?} (write {{{path}|default:}} if it may be missing)"
            )),
        }
    }

    fn current(&self, value: &Option<Value>, text: &Option<String>) -> String {
        match (text, value) {
            (Some(t), _) => t.clone(),
            (None, Some(v)) => text_of(v),
            (None, None) => String::new(),
        }
    }

    /// A major-unit amount at `path` as minor units of the currency at
    /// `currency_path` (default `currency`), exactly.
    fn minor(&self, path: &str, amount: &str, currency_path: &str) -> Result<String, String> {
        let currency_path = if currency_path.is_empty() {
            "currency"
        } else {
            currency_path
        };
        let code = self
            .value(currency_path)
            .map(|v| text_of(&v))
            .ok_or_else(|| format!("{{{path}|minor}}: the event has no currency at {currency_path:?}; name it with minor:PATH"))?;
        let currency = Currency::parse(&code).map_err(|e| format!("{{{path}|minor}}: {e}"))?;
        currency
            .parse_major(amount)
            .map(|m| m.to_string())
            .map_err(|e| format!("{{{path}|minor}}: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Kind;
    use serde_json::json;

    fn event(body: Value) -> Event {
        Event {
            kind: Kind::Order,
            event_type: "order.create".into(),
            id: "shopify:1001:2026-06-01T08:00:00Z".into(),
            store_id: "souk".into(),
            body,
            source: "settle.orders/0@7".into(),
        }
    }

    #[test]
    fn paths_facts_outputs_and_filters() {
        let ev = event(json!({
            "order_id": "1001", "currency": "KWD",
            "totals": {"total": "12.345"},
            "line_items": [{"sku": "A-1", "unit_price": "1.5", "quantity": 2}],
            "customer": {"email": "Rim@Example.com", "phone": null}
        }));
        let outputs = BTreeMap::from([("customer".to_string(), json!({"id": "cus_1"}))]);
        let s = Scope {
            event: &ev,
            trigger: "t",
            outputs: &outputs,
            item: None,
        };
        let r = |t: &str| s.render(t);
        assert_eq!(
            r("order {order_id} for {$actions.customer.id}").unwrap(),
            "order 1001 for cus_1"
        );
        assert_eq!(r("{totals.total|minor}").unwrap(), "12345");
        assert_eq!(r("{currency|lower}").unwrap(), "kwd");
        assert_eq!(r("{customer.email|lower}").unwrap(), "rim@example.com");
        assert_eq!(r("{line_items.0.quantity}").unwrap(), "2");
        assert_eq!(r("[{customer.phone|default:}]").unwrap(), "[]");
        assert_eq!(
            r("{$store_id}/{$event_id}").unwrap(),
            "souk/shopify:1001:2026-06-01T08:00:00Z"
        );
        let missing = r("{customer.phone}").unwrap_err();
        assert!(missing.contains("no \"customer.phone\""), "{missing}");
        assert!(
            r("{order_id|shout}")
                .unwrap_err()
                .contains("unknown filter")
        );
        assert!(r("{order_id").unwrap_err().contains("without"));
        let item = json!({"unit_price": "1.5"});
        let s = Scope {
            item: Some(&item),
            ..s
        };
        assert_eq!(s.render("{unit_price|minor}").unwrap(), "1500");
        // Too many decimals for the currency: refused, never rounded.
        let ev = event(json!({"amount": "1.005", "currency": "USD"}));
        let s = Scope { event: &ev, ..s };
        assert!(s.render("{amount|minor}").is_err());
    }
}
