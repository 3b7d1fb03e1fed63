//! Statement cells into exact values: amounts written with decimal commas,
//! thousands separators, currency signs or parentheses for negatives, and
//! spreadsheet numbers (read back as the shortest decimal that round-trips,
//! which is what the sheet shows); dates as text in the carrier's format or
//! as spreadsheet dates.

use chrono::NaiveDate;

use crate::money::Currency;

/// One cell of a statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text (every CSV cell; XLSX text cells).
    Text(String),
    /// An XLSX number.
    Number(f64),
    /// An XLSX date.
    Date(NaiveDate),
}

impl Cell {
    /// The cell as text for messages and kept rows.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(f) => f.to_string(),
            Cell::Date(d) => d.to_string(),
        }
    }

    /// Whether the cell holds nothing but spaces.
    pub fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// How a carrier writes numbers.
#[derive(Debug, Clone, Default)]
pub struct NumberStyle {
    /// `1.234,50`: the comma is the decimal mark.
    pub decimal_comma: bool,
    /// Characters that separate thousands (`"."`, `","`, `" "`, `"'"`); spaces
    /// and no-break spaces are always ignored.
    pub thousands: String,
}

/// An amount cell as minor units of `currency` (negatives allowed when `signed`).
pub fn amount(
    cell: &Cell,
    style: &NumberStyle,
    currency: Currency,
    signed: bool,
) -> Result<i64, String> {
    let text = match cell {
        Cell::Empty => return Err("is empty".into()),
        Cell::Date(d) => return Err(format!("is a date ({d}), not an amount")),
        // The shortest decimal that round-trips is what the sheet shows.
        Cell::Number(f) if f.is_finite() => f.to_string(),
        Cell::Number(f) => return Err(format!("is {f}, not an amount")),
        Cell::Text(t) => normalize(t, style)?,
    };
    let minor = currency
        .parse_major(&text)
        .map_err(|e| format!("{:?}: {e}", cell.display()))?;
    if minor < 0 && !signed {
        return Err(format!("{:?} is negative", cell.display()));
    }
    Ok(minor)
}

/// Turns a written amount into plain decimal text (`"-1234.50"`).
pub fn normalize(text: &str, style: &NumberStyle) -> Result<String, String> {
    // A currency code or sign may stand before or after the number, not inside it.
    let t =
        text.trim_matches(|c: char| c.is_alphabetic() || "€$£¥".contains(c) || c.is_whitespace());
    let (negative, t) = match t.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        Some(inner) => (true, inner.trim()),
        None => (false, t),
    };
    let decimal = if style.decimal_comma { ',' } else { '.' };
    let mut out = String::with_capacity(t.len());
    let mut seen_decimal = false;
    for c in t.chars() {
        match c {
            '0'..='9' => out.push(c),
            '-' | '+' if out.is_empty() => out.push(c),
            c if c == decimal => {
                if seen_decimal {
                    return Err(format!("{text:?} has two decimal marks"));
                }
                seen_decimal = true;
                out.push('.');
            }
            c if style.thousands.contains(c)
                || c.is_whitespace()
                || c == '\u{a0}'
                || c == '\u{202f}' =>
            {
                if seen_decimal {
                    return Err(format!(
                        "{text:?} has a thousands separator after the decimal mark; check decimal_comma and thousands for this carrier"
                    ));
                }
            }
            _ => {
                return Err(format!(
                    "{text:?} is not an amount (decimal mark {decimal:?}, thousands {:?})",
                    style.thousands
                ));
            }
        }
    }
    if !out.chars().any(|c| c.is_ascii_digit()) {
        return Err(format!("{text:?} has no digits"));
    }
    Ok(if negative { format!("-{out}") } else { out })
}

/// A date cell, text in `format` (chrono syntax, e.g. `%d/%m/%Y`) or a sheet date.
pub fn date(cell: &Cell, format: &str) -> Result<NaiveDate, String> {
    match cell {
        Cell::Date(d) => Ok(*d),
        Cell::Text(t) => NaiveDate::parse_from_str(t.trim(), format)
            .map_err(|e| format!("{t:?} is not a date in the format {format:?} ({e})")),
        Cell::Number(f) => Err(format!(
            "{f} is a number, not a date; format the column as dates"
        )),
        Cell::Empty => Err("is empty".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn style(decimal_comma: bool, thousands: &str) -> NumberStyle {
        NumberStyle {
            decimal_comma,
            thousands: thousands.into(),
        }
    }

    #[test]
    fn amounts_with_decimal_commas_separators_and_signs_are_exact() {
        let kwd = Currency::parse("KWD").unwrap();
        let eur = Currency::parse("EUR").unwrap();
        let jpy = Currency::parse("JPY").unwrap();
        let t = |s: &str| Cell::Text(s.into());
        let fr = style(true, ".");
        assert_eq!(amount(&t("1.234,567"), &fr, kwd, false), Ok(1_234_567));
        assert_eq!(
            amount(&t("1 234,50 €"), &style(true, ""), eur, false),
            Ok(123_450)
        );
        assert_eq!(
            amount(&t("1\u{a0}234,5"), &style(true, ""), eur, false),
            Ok(123_450)
        );
        assert_eq!(
            amount(&t("1,234.50"), &style(false, ","), eur, false),
            Ok(123_450)
        );
        assert_eq!(amount(&t("(12,50)"), &fr, eur, true), Ok(-1_250));
        assert_eq!(amount(&t("KWD 0,125"), &fr, kwd, false), Ok(125));
        assert_eq!(
            amount(&t("3,980"), &style(false, ","), jpy, false),
            Ok(3_980)
        );
        assert_eq!(amount(&Cell::Number(12.345), &fr, kwd, false), Ok(12_345));
        // A sum that is not exact at the currency's decimals is refused, not rounded.
        let inexact = amount(&Cell::Number(0.1 + 0.2), &fr, eur, false).unwrap_err();
        assert!(inexact.contains("0.30000000000000004"), "{inexact}");
        assert!(
            amount(&t("12,5x3"), &fr, eur, false)
                .unwrap_err()
                .contains("not an amount")
        );
        assert!(
            amount(&t("1,234.5"), &fr, eur, false)
                .unwrap_err()
                .contains("after the decimal mark")
        );
        assert!(
            amount(&t("1,2,3"), &fr, eur, false)
                .unwrap_err()
                .contains("two decimal marks")
        );
        assert!(
            amount(&t("12,50.1"), &style(true, "."), eur, false)
                .unwrap_err()
                .contains("after the decimal mark")
        );
        assert!(
            amount(&t("12,345"), &fr, eur, false)
                .unwrap_err()
                .contains("decimals")
        );
        assert!(
            amount(&t("-5,00"), &fr, eur, false)
                .unwrap_err()
                .contains("negative")
        );
        assert!(amount(&t("n/a"), &fr, eur, false).is_err());
        assert!(amount(&Cell::Empty, &fr, eur, false).is_err());
    }

    #[test]
    fn dates_from_text_or_sheet_cells() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 15).unwrap();
        assert_eq!(date(&Cell::Text("15/10/2026".into()), "%d/%m/%Y"), Ok(d));
        assert_eq!(date(&Cell::Date(d), "%d/%m/%Y"), Ok(d));
        assert!(
            date(&Cell::Text("2026-10-15".into()), "%d/%m/%Y")
                .unwrap_err()
                .contains("%d/%m/%Y")
        );
    }
}
