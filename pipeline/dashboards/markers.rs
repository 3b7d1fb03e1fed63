//! Alert markers: when an alert fired and resolved, drawn on a time chart
//! (a red line when it fired, a green one when it resolved, the message on
//! hover) and listed under it.

use std::fmt::Write as _;

use datafusion::prelude::SessionContext;

use super::data::{Data, run};
use super::svg::{esc, label};
use super::{Filters, Panel, query};
use crate::exports::Cell;

/// One alert transition.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// When it was evaluated (UTC).
    pub at: chrono::NaiveDateTime,
    /// `firing` or `resolved`.
    pub change: String,
    /// What it said.
    pub message: String,
}

/// The markers of `panel` (none when it names no alert query). A lake with
/// no alert evaluated yet has no `alert_events` table: no markers, not an
/// error.
pub async fn load(
    ctx: &SessionContext,
    panel: &Panel,
    filters: &Filters,
) -> Result<Vec<Marker>, String> {
    let Some(name) = &panel.alerts else {
        return Ok(Vec::new());
    };
    if !ctx.table_exist("lake.alert_events").unwrap_or(false) {
        return Ok(Vec::new());
    }
    let data = run(ctx, name, query(name)?, Some(filters)).await?;
    let (Some(at), Some(change), Some(message)) =
        (data.col("at"), data.col("change"), data.col("message"))
    else {
        return Err(format!(
            "{name}: markers need columns at, change and message"
        ));
    };
    Ok(data
        .rows
        .iter()
        .filter_map(|r| match &r[at] {
            Cell::Time(t) => Some(Marker {
                at: *t,
                change: r[change].text(),
                message: r[message].text(),
            }),
            _ => None,
        })
        .collect())
}

/// Where `m` goes among the chart's x values: the first x at or after it
/// (the last one when it is after them all).
fn place(m: &Marker, data: &Data, x: usize, xs: &[String]) -> Option<usize> {
    let row = data
        .rows
        .iter()
        .find(|r| matches!(r[x], Cell::Time(t) if t >= m.at))
        .or_else(|| data.rows.last())?;
    xs.iter().position(|v| *v == label(&row[x]))
}

/// The markers as SVG lines from `top` to `bottom`, at `xc(index)`.
pub fn draw(
    markers: &[Marker],
    data: &Data,
    x: usize,
    xs: &[String],
    xc: impl Fn(usize) -> f64,
    (top, bottom): (f64, f64),
) -> String {
    let mut svg = String::new();
    for m in markers {
        let Some(i) = place(m, data, x, xs) else {
            continue;
        };
        let (px, color) = (xc(i), stroke(&m.change));
        let _ = write!(
            svg,
            "<g class=\"alert-marker\" data-change=\"{}\"><line x1=\"{px:.1}\" x2=\"{px:.1}\" y1=\"{top:.1}\" y2=\"{bottom:.1}\" stroke=\"{color}\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>\
             <path d=\"M{:.1},{top:.1} l5,-8 h-10 z\" fill=\"{color}\"/><title>{} {}: {}</title></g>",
            esc(&m.change),
            px,
            esc(&m.change),
            m.at.format("%Y-%m-%d %H:%M UTC"),
            esc(&m.message)
        );
    }
    svg
}

/// The markers as a list under the chart.
pub fn list(markers: &[Marker]) -> String {
    if markers.is_empty() {
        return String::new();
    }
    let mut out = String::from("<ul class=\"alerts\">");
    for m in markers {
        let _ = write!(
            out,
            "<li><span style=\"background:{}\"></span>{} {} · {}</li>",
            stroke(&m.change),
            m.at.format("%Y-%m-%d %H:%M UTC"),
            esc(&m.change),
            esc(&m.message)
        );
    }
    out.push_str("</ul>");
    out
}

fn stroke(change: &str) -> &'static str {
    if change == "resolved" {
        "#16a34a"
    } else {
        "#dc2626"
    }
}
