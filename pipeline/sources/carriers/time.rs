//! Carrier timestamps into RFC 3339 UTC: RFC 3339 with any offset, local
//! times without a zone (read at the carrier's UTC offset), Microsoft JSON
//! dates (`/Date(1601539200000+0300)/`) and Unix seconds.

use chrono::{DateTime, FixedOffset, NaiveDateTime, SecondsFormat, TimeZone, Utc};
use serde_json::Value;

/// Reads `v` as a time; `offset` (like `"+01:00"`) applies to times without a zone.
pub fn utc(v: &Value, offset: &str, field: &str) -> Result<String, String> {
    let out = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, true);
    if let Some(n) = v.as_i64() {
        return Utc
            .timestamp_opt(n, 0)
            .single()
            .map(out)
            .ok_or_else(|| format!("{field} {n} is not a Unix time"));
    }
    let text = v
        .as_str()
        .ok_or_else(|| format!("{field} is missing or not a string"))?
        .trim();
    if let Some(ms) = text
        .strip_prefix("/Date(")
        .and_then(|r| r.strip_suffix(")/"))
    {
        // The offset after the milliseconds only says where it was shown; the instant is UTC.
        let digits: String = ms
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '-'))
            .map(|(_, c)| c)
            .collect();
        let ms: i64 = digits
            .parse()
            .map_err(|_| format!("{field} {text:?} is not a /Date(ms)/ time"))?;
        return Utc
            .timestamp_millis_opt(ms)
            .single()
            .map(out)
            .ok_or_else(|| format!("{field} {text:?} is out of range"));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(out(t.with_timezone(&Utc)));
    }
    let tz: FixedOffset = format!("2000-01-01T00:00:00{offset}")
        .parse::<DateTime<FixedOffset>>()
        .map(|t| *t.offset())
        .map_err(|_| format!("UTC offset {offset:?} is not like \"+01:00\""))?;
    for pattern in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%d/%m/%Y %H:%M:%S",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(text, pattern) {
            let local = tz
                .from_local_datetime(&naive)
                .single()
                .ok_or_else(|| format!("{field} {text:?} does not exist at {offset}"))?;
            return Ok(out(local.with_timezone(&Utc)));
        }
    }
    Err(format!(
        "{field} {text:?} is not a time Settle reads (RFC 3339, \"YYYY-MM-DD HH:MM:SS\", \"DD/MM/YYYY HH:MM\", /Date(ms)/ or Unix seconds)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_carrier_time_shape_becomes_utc() {
        let cases = [
            (json!("2026-10-01T10:00:00+04:00"), "2026-10-01T06:00:00Z"),
            (json!("2026-10-01 10:00:00"), "2026-10-01T09:00:00Z"),
            (json!("01/10/2026 10:00"), "2026-10-01T09:00:00Z"),
            (json!("/Date(1790841600000+0300)/"), "2026-10-01T08:00:00Z"),
            (json!(1_790_841_600), "2026-10-01T08:00:00Z"),
        ];
        for (v, want) in cases {
            assert_eq!(utc(&v, "+01:00", "t").unwrap(), want, "{v}");
        }
        assert!(
            utc(&json!("yesterday"), "+01:00", "t")
                .unwrap_err()
                .contains("\"yesterday\"")
        );
        assert!(utc(&json!(null), "+01:00", "t").is_err());
    }
}
