//! A trigger's `[when]` table: every entry must hold. The key is a path as
//! in templates (`payment_method`, `data.object.amount`, `$store_id`); the
//! value is either the value the field must equal, or a table of tests:
//! `in = [...]`, `not = x`, `not_in = [...]`, `exists = true|false`, and
//! `gt`, `gte`, `lt`, `lte` comparing numbers exactly (decimal strings such
//! as `"249.00"` included; no floating point).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value;

use super::template::{Scope, text_of};

/// One `[when]` entry's test.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    /// Equals the value.
    Eq(toml::Value),
    /// Equals one of the values.
    In(Vec<toml::Value>),
    /// Differs from the value (or is missing).
    Not(toml::Value),
    /// Equals none of the values (or is missing).
    NotIn(Vec<toml::Value>),
    /// Is present (not missing, not null), or absent.
    Exists(bool),
    /// Compares as a number.
    Cmp(Ordering, bool, toml::Value),
}

/// A parsed `[when]` table: (path, tests).
pub type When = Vec<(String, Vec<Test>)>;

/// Parses `[when]`; the error says which entry is wrong and how to write it.
pub fn parse(table: &BTreeMap<String, toml::Value>) -> Result<When, String> {
    let mut out = Vec::new();
    for (path, v) in table {
        let tests = match v {
            toml::Value::Table(t) => {
                let mut tests = Vec::new();
                for (op, arg) in t {
                    let list = || match arg {
                        toml::Value::Array(a) => Ok(a.clone()),
                        _ => Err(format!(
                            "[when] {path}.{op} takes a list, e.g. {op} = [\"a\", \"b\"]"
                        )),
                    };
                    tests.push(match op.as_str() {
                        "in" => Test::In(list()?),
                        "not_in" => Test::NotIn(list()?),
                        "not" => Test::Not(arg.clone()),
                        "exists" => Test::Exists(arg.as_bool().ok_or_else(|| {
                            format!("[when] {path}.exists takes true or false")
                        })?),
                        "gt" => Test::Cmp(Ordering::Greater, false, number(path, op, arg)?),
                        "gte" => Test::Cmp(Ordering::Greater, true, number(path, op, arg)?),
                        "lt" => Test::Cmp(Ordering::Less, false, number(path, op, arg)?),
                        "lte" => Test::Cmp(Ordering::Less, true, number(path, op, arg)?),
                        other => {
                            return Err(format!(
                                "[when] {path}: unknown test {other:?}; use in, not, not_in, exists, gt, gte, lt or lte"
                            ));
                        }
                    });
                }
                tests
            }
            other => vec![Test::Eq(other.clone())],
        };
        out.push((path.clone(), tests));
    }
    Ok(out)
}

fn number(path: &str, op: &str, v: &toml::Value) -> Result<toml::Value, String> {
    match v {
        toml::Value::Integer(_) => Ok(v.clone()),
        toml::Value::String(s) if decimal(s).is_some() => Ok(v.clone()),
        _ => Err(format!(
            "[when] {path}.{op} takes an integer or a decimal string such as \"100.50\""
        )),
    }
}

/// Whether every entry of `when` holds for the event in `scope`.
pub fn holds(when: &When, scope: &Scope) -> bool {
    when.iter().all(|(path, tests)| {
        let v = scope.value(path);
        tests.iter().all(|t| test(t, v.as_ref()))
    })
}

fn same(v: Option<&Value>, want: &toml::Value) -> bool {
    let Some(v) = v else { return false };
    match (v, want) {
        (Value::Bool(a), toml::Value::Boolean(b)) => a == b,
        (Value::Number(_) | Value::String(_), toml::Value::Integer(_))
        | (Value::Number(_), toml::Value::String(_)) => compare(v, want) == Some(Ordering::Equal),
        (_, toml::Value::String(s)) => text_of(v) == *s,
        _ => false,
    }
}

fn test(t: &Test, v: Option<&Value>) -> bool {
    match t {
        Test::Eq(want) => same(v, want),
        Test::In(list) => list.iter().any(|w| same(v, w)),
        Test::Not(want) => !same(v, want),
        Test::NotIn(list) => !list.iter().any(|w| same(v, w)),
        Test::Exists(want) => v.is_some() == *want,
        Test::Cmp(ord, or_equal, bound) => v
            .and_then(|v| compare(v, bound))
            .is_some_and(|o| o == *ord || (*or_equal && o == Ordering::Equal)),
    }
}

/// Compares a field with a bound as exact decimals.
fn compare(v: &Value, bound: &toml::Value) -> Option<Ordering> {
    let left = decimal(&text_of(v))?;
    let right = match bound {
        toml::Value::Integer(i) => (i128::from(*i), 0),
        toml::Value::String(s) => decimal(s)?,
        _ => return None,
    };
    let scale = left.1.max(right.1);
    let widen = |(m, s): (i128, u32)| m.checked_mul(10i128.checked_pow(scale - s)?);
    Some(widen(left)?.cmp(&widen(right)?))
}

/// `"-12.50"` as (mantissa, decimals): (-1250, 2).
fn decimal(text: &str) -> Option<(i128, u32)> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || int.len() + frac.len() > 30
    {
        return None;
    }
    let m: i128 = format!("{int}{frac}").parse().ok()?;
    Some((if neg { -m } else { m }, frac.len() as u32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Kind;
    use crate::triggers::event::Event;
    use serde_json::json;

    fn check(when: &str, body: Value) -> bool {
        let table: BTreeMap<String, toml::Value> = toml::from_str(when).unwrap();
        let when = parse(&table).unwrap();
        let ev = Event {
            kind: Kind::Order,
            event_type: "order.update".into(),
            id: "e1".into(),
            store_id: "souk".into(),
            body,
            source: String::new(),
        };
        let outputs = BTreeMap::new();
        let scope = Scope {
            event: &ev,
            trigger: "t",
            outputs: &outputs,
            item: None,
        };
        holds(&when, &scope)
    }

    #[test]
    fn equality_lists_presence_and_exact_numbers() {
        let order = json!({
            "payment_method": "prepaid", "fulfillment_status": "returned",
            "stripe_payment_intent": "pi_1", "cancel_reason": null,
            "totals": {"total": "249.00"}, "attempts": 3, "paid": true
        });
        assert!(check(r#"payment_method = "prepaid""#, order.clone()));
        assert!(!check(r#"payment_method = "cod""#, order.clone()));
        assert!(check(
            r#"fulfillment_status = { in = ["returned", "cancelled"] }"#,
            order.clone()
        ));
        assert!(check(
            r#"payment_method = { not_in = ["cod"] }"#,
            order.clone()
        ));
        assert!(check(
            r#"stripe_payment_intent = { exists = true }"#,
            order.clone()
        ));
        assert!(check(
            r#"cancel_reason = { exists = false }"#,
            order.clone()
        ));
        assert!(check(r#"missing = { not = "x" }"#, order.clone()));
        assert!(check(
            r#""totals.total" = { gte = 249, lt = "249.01" }"#,
            order.clone()
        ));
        assert!(!check(
            r#""totals.total" = { gt = "249.00" }"#,
            order.clone()
        ));
        assert!(check(r#"attempts = 3"#, order.clone()));
        assert!(check(r#""totals.total" = "249.00""#, order.clone()));
        assert!(check(r#"paid = true"#, order.clone()));
        assert!(check(r#""$store_id" = "souk""#, order.clone()));
        assert!(!check(r#"missing = { gt = 0 }"#, order));
    }

    #[test]
    fn bad_tests_are_explained() {
        let bad = |s: &str| {
            let t: BTreeMap<String, toml::Value> = toml::from_str(s).unwrap();
            parse(&t).unwrap_err()
        };
        assert!(bad(r#"a = { like = "x" }"#).contains("unknown test"));
        assert!(bad(r#"a = { in = "x" }"#).contains("takes a list"));
        assert!(bad(r#"a = { gt = "ten" }"#).contains("decimal string"));
    }
}
