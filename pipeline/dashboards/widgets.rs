//! Tables and single numbers.

use std::fmt::Write as _;

use super::Panel;
use super::data::Data;
use super::svg::{esc, value};
use crate::exports::Cell;

pub(super) fn table(data: &Data) -> String {
    let mut out = String::from("<table><thead><tr>");
    for c in &data.columns {
        let _ = write!(out, "<th>{}</th>", esc(c));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &data.rows {
        out.push_str("<tr>");
        for c in row {
            let num = match c {
                Cell::Int(_) | Cell::Float(_) | Cell::Money(..) => true,
                // Amounts the query formatted exactly (format_money).
                Cell::Text(t) => is_decimal(t),
                _ => false,
            };
            let _ = write!(
                out,
                "<td{}>{}</td>",
                if num { " class=\"num\"" } else { "" },
                esc(&c.text())
            );
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
    out
}

pub(super) fn number(panel: &Panel, data: &Data) -> String {
    let y = panel.y.as_deref().and_then(|y| data.col(y)).unwrap_or(0);
    let Some((v, shown)) = value(panel, data, 0, y) else {
        return "<p class=\"empty\">No data for these filters.</p>".into();
    };
    let previous = data.col("previous").and_then(|p| value(panel, data, 0, p));
    let change = match previous {
        Some((p, _)) if panel.percent => {
            let pts = (v - p) * 100.0;
            format!(
                "{}{pts:.1} pts vs the previous period",
                if pts >= 0.0 { "+" } else { "" }
            )
        }
        Some((p, _)) if p != 0.0 => {
            let pct = (v - p) / p.abs() * 100.0;
            format!(
                "{}{pct:.1} % vs the previous period",
                if pct >= 0.0 { "+" } else { "" }
            )
        }
        _ => "no previous period to compare".into(),
    };
    let class = match previous {
        Some((p, _)) if v < p => "down",
        Some(_) => "up",
        None => "flat",
    };
    format!(
        "<div class=\"number\" data-value=\"{v}\"><span class=\"big\">{}</span><span class=\"change {class}\">{}</span></div>",
        esc(&shown),
        esc(&change)
    )
}

/// "-12.500", "3980": a number written as text.
fn is_decimal(t: &str) -> bool {
    let digits = t.strip_prefix('-').unwrap_or(t);
    let (whole, frac) = digits.split_once('.').unwrap_or((digits, "0"));
    !whole.is_empty()
        && !frac.is_empty()
        && whole.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    #[test]
    fn amounts_written_as_text_are_numbers() {
        for yes in ["0", "3980", "-12.500", "1081.550"] {
            assert!(super::is_decimal(yes), "{yes}");
        }
        for no in ["", "-", "1.", ".5", "AH-100", "12.5.1", "KWD"] {
            assert!(!super::is_decimal(no), "{no}");
        }
    }
}
