//! Filters from a page's address (`?from=&to=&store=&carrier=&currency=`),
//! their defaults from the lake, and the form that changes them.

use std::fmt::Write as _;

use datafusion::prelude::SessionContext;

use super::svg::esc;
use super::{Dashboard, Filters, data, query};
use crate::exports::Cell;

/// What a page's address asks for; every field may be missing or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked {
    /// `from` (YYYY-MM-DD).
    pub from: Option<chrono::NaiveDate>,
    /// `to` (YYYY-MM-DD).
    pub to: Option<chrono::NaiveDate>,
    /// `store`.
    pub store: String,
    /// `carrier`.
    pub carrier: String,
    /// `currency`.
    pub currency: String,
}

impl Asked {
    /// Reads a query string; a day that is not YYYY-MM-DD is an error
    /// naming the parameter, unknown parameters are ignored.
    pub fn parse(query: &str) -> Result<Self, String> {
        let mut a = Asked::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let v = v.trim().to_string();
            let day = |v: &str| {
                if v.is_empty() {
                    return Ok(None);
                }
                chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| format!("{k}={v:?} is not a day: write YYYY-MM-DD"))
            };
            match k.as_ref() {
                "from" => a.from = day(&v)?,
                "to" => a.to = day(&v)?,
                "store" => a.store = v,
                "carrier" => a.carrier = v,
                "currency" => a.currency = v.to_uppercase(),
                _ => {}
            }
        }
        Ok(a)
    }

    /// The filters: `to` defaults to the lake's newest day, `from` to
    /// `days` before it.
    pub async fn resolve(self, ctx: &SessionContext, days: u64) -> Result<Filters, String> {
        let to = match self.to {
            Some(t) => t,
            None => newest_day(ctx).await,
        };
        let from = self.from.unwrap_or(to - chrono::Days::new(days));
        if from > to {
            return Err(format!("from {from} is after to {to}"));
        }
        Ok(Filters {
            from,
            to,
            store: self.store,
            carrier: self.carrier,
            currency: self.currency.to_uppercase(),
        })
    }
}

/// The filters as a query string.
pub fn query_string(f: &Filters) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("from", &f.from.to_string())
        .append_pair("to", &f.to.to_string())
        .append_pair("store", &f.store)
        .append_pair("carrier", &f.carrier)
        .append_pair("currency", &f.currency)
        .finish()
}

/// The newest day with an order in the lake (today when there is none).
pub async fn newest_day(ctx: &SessionContext) -> chrono::NaiveDate {
    let today = chrono::Utc::now().date_naive();
    let sql = "SELECT CAST(MAX(created_at) AS DATE) AS d FROM reports.cod_reconciliation";
    let Ok(df) = ctx.sql(sql).await else {
        return today;
    };
    let Ok(batches) = df.collect().await else {
        return today;
    };
    match batches
        .first()
        .filter(|b| b.num_rows() > 0)
        .map(|b| crate::exports::cell(b.column(0).as_ref(), 0))
    {
        Some(Cell::Date(d)) => d,
        _ => today,
    }
}

/// The values each filter offers.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    /// Stores.
    pub stores: Vec<String>,
    /// Carriers.
    pub carriers: Vec<String>,
    /// Currencies.
    pub currencies: Vec<String>,
}

/// Every store, carrier and currency in the lake (none when the reports
/// have not been built yet: the controls then take any text).
pub async fn choices(ctx: &SessionContext) -> Choices {
    let mut c = Choices::default();
    let Ok(sql) = query("filter_options") else {
        return c;
    };
    let Ok(rows) = data::run(ctx, "filter_options", sql, None).await else {
        return c;
    };
    for row in rows.rows {
        let (kind, value) = (row[0].text(), row[1].text());
        match kind.as_str() {
            "store" => c.stores.push(value),
            "carrier" => c.carriers.push(value),
            "currency" => c.currencies.push(value),
            _ => {}
        }
    }
    c
}

/// The filter form: dates, a choice per filter, Apply and Reset.
pub fn form(d: &Dashboard, f: &Filters, choices: &Choices, refresh_secs: u64) -> String {
    let mut out = format!(
        "<form class=\"controls\" method=\"get\" action=\"/dashboards/{}\">\
         <label>From <input type=\"date\" name=\"from\" value=\"{}\"></label>\
         <label>To <input type=\"date\" name=\"to\" value=\"{}\"></label>",
        esc(&d.name),
        f.from,
        f.to
    );
    for (name, label, current, values) in [
        ("store", "Store", &f.store, &choices.stores),
        ("carrier", "Carrier", &f.carrier, &choices.carriers),
        ("currency", "Currency", &f.currency, &choices.currencies),
    ] {
        let _ = write!(
            out,
            "<label>{label} <select name=\"{name}\"><option value=\"\">All</option>"
        );
        let mut listed = false;
        for v in values {
            let sel = if v == current { " selected" } else { "" };
            listed |= v == current;
            let _ = write!(out, "<option{sel}>{}</option>", esc(v));
        }
        if !listed && !current.is_empty() {
            let _ = write!(out, "<option selected>{}</option>", esc(current));
        }
        out.push_str("</select></label>");
    }
    let _ = write!(
        out,
        "<button type=\"submit\">Apply</button><a class=\"reset\" href=\"/dashboards/{}\">Reset</a>{}</form>",
        esc(&d.name),
        if refresh_secs > 0 {
            format!("<span class=\"refresh\">Refreshes every {refresh_secs} s</span>")
        } else {
            String::new()
        }
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_days_and_filters_and_names_a_bad_day() {
        let a = Asked::parse("from=2026-06-01&to=&store=acme&carrier=yalidine&currency=kwd&x=1")
            .unwrap();
        assert_eq!(a.from, chrono::NaiveDate::from_ymd_opt(2026, 6, 1));
        assert_eq!(a.to, None);
        assert_eq!((a.store.as_str(), a.currency.as_str()), ("acme", "KWD"));
        let e = Asked::parse("from=01/06/2026").unwrap_err();
        assert!(
            e.contains("from=\"01/06/2026\"") && e.contains("YYYY-MM-DD"),
            "{e}"
        );
    }

    #[test]
    fn the_previous_period_has_the_same_length_and_ends_the_day_before() {
        let day = |m, d| chrono::NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let f = Filters {
            from: day(1, 10),
            to: day(1, 19),
            store: String::new(),
            carrier: String::new(),
            currency: String::new(),
        };
        assert_eq!(f.prev_from(), day(1, 10) - chrono::Days::new(10));
        let one = Filters { to: f.from, ..f };
        assert_eq!(one.prev_from(), day(1, 9));
    }

    #[test]
    fn the_query_string_round_trips() {
        let f = Filters {
            from: chrono::NaiveDate::from_ymd_opt(2026, 1, 2).unwrap(),
            to: chrono::NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
            store: "a&b store".into(),
            carrier: String::new(),
            currency: "JPY".into(),
        };
        let a = Asked::parse(&query_string(&f)).unwrap();
        assert_eq!(a.from, Some(f.from));
        assert_eq!(a.to, Some(f.to));
        assert_eq!(a.store, "a&b store");
        assert_eq!(a.currency, "JPY");
    }
}
