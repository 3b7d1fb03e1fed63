//! Charts as inline SVG (and tables as HTML): no script, no fetch. Every
//! mark carries a `<title>` with its exact value, which browsers show on
//! hover.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::data::Data;
use super::markers::{Marker, draw, list};
use super::widgets::{number, table};
use super::{Chart, Panel};
use crate::exports::Cell;
use crate::money::Currency;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 44.0;
const COLORS: &[&str] = &[
    "#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
];

/// Escapes text for HTML and SVG.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A cell as an axis label.
pub(super) fn label(c: &Cell) -> String {
    match c {
        Cell::Time(t) => t.format("%m-%d %H:%M").to_string(),
        other => other.text(),
    }
}

/// A value of row `r` (money in major units when the panel names a currency column).
pub(super) fn value(panel: &Panel, data: &Data, r: usize, y: usize) -> Option<(f64, String)> {
    let row = &data.rows[r];
    let currency = panel
        .currency
        .as_ref()
        .and_then(|c| data.col(c))
        .and_then(|i| Currency::parse(&row[i].text()).ok());
    match (&row[y], currency) {
        (Cell::Int(minor), Some(cur)) => Some((
            *minor as f64 / 10f64.powi(cur.exponent() as i32),
            format!("{} {}", cur.format(*minor), cur.code()),
        )),
        (Cell::Int(i), None) => Some((*i as f64, i.to_string())),
        (Cell::Float(f), _) if panel.percent => Some((*f, format!("{:.2} %", f * 100.0))),
        (Cell::Float(f), _) => Some((*f, format!("{f:.4}"))),
        (Cell::Money(minor, cur), _) => Some((
            *minor as f64 / 10f64.powi(cur.exponent() as i32),
            format!("{} {}", cur.format(*minor), cur.code()),
        )),
        _ => None,
    }
}

/// The panel's body: a chart, a table or a number; a note when there is no data.
pub fn render(panel: &Panel, data: &Data, markers: &[Marker]) -> String {
    if data.rows.is_empty() {
        return "<p class=\"empty\">No data for these filters.</p>".into();
    }
    match panel.chart {
        Chart::Table => table(data),
        Chart::Number => number(panel, data),
        Chart::Line | Chart::Bar | Chart::StackedBar if panel.split.is_none() => {
            chart(panel, data, &colors(panel, data), markers) + &list(markers)
        }
        Chart::Line | Chart::Bar | Chart::StackedBar => {
            match panel.split.as_deref().and_then(|c| data.col(c)) {
                None => chart(panel, data, &colors(panel, data), markers),
                Some(c) => {
                    let mut groups: Vec<(String, Data)> = Vec::new();
                    for row in &data.rows {
                        let key = row[c].text();
                        let at = match groups.iter().position(|(k, _)| *k == key) {
                            Some(i) => i,
                            None => {
                                groups.push((
                                    key.clone(),
                                    Data {
                                        columns: data.columns.clone(),
                                        rows: Vec::new(),
                                    },
                                ));
                                groups.len() - 1
                            }
                        };
                        groups[at].1.rows.push(row.clone());
                    }
                    groups.sort_by(|a, b| a.0.cmp(&b.0));
                    // One color per series across the split charts.
                    let colors = colors(panel, data);
                    groups
                        .iter()
                        .map(|(k, d)| {
                            format!("<h3>{}</h3>{}", esc(k), chart(panel, d, &colors, &[]))
                        })
                        .collect()
                }
            }
        }
    }
}

/// Series × x values, in the order the query returned them.
struct Grid {
    xs: Vec<String>,
    series: Vec<String>,
    cells: BTreeMap<(usize, usize), (f64, String)>,
}

fn grid(panel: &Panel, data: &Data) -> Grid {
    let x = panel.x.as_deref().and_then(|c| data.col(c)).unwrap_or(0);
    let y = panel.y.as_deref().and_then(|c| data.col(c)).unwrap_or(1);
    let s = panel.series.as_deref().and_then(|c| data.col(c));
    let mut g = Grid {
        xs: Vec::new(),
        series: Vec::new(),
        cells: BTreeMap::new(),
    };
    for r in 0..data.rows.len() {
        let xl = label(&data.rows[r][x]);
        let sl = s.map_or_else(
            || panel.y.clone().unwrap_or_default(),
            |s| label(&data.rows[r][s]),
        );
        let xi = g.xs.iter().position(|v| *v == xl).unwrap_or_else(|| {
            g.xs.push(xl);
            g.xs.len() - 1
        });
        let si = g.series.iter().position(|v| *v == sl).unwrap_or_else(|| {
            g.series.push(sl);
            g.series.len() - 1
        });
        if let Some(v) = value(panel, data, r, y) {
            g.cells.insert((si, xi), v);
        }
    }
    if let Some(o) = panel.series_order.as_deref().and_then(|c| data.col(c)) {
        // Rank each series by its order column, and renumber the cells.
        let mut rank: Vec<(i64, usize)> = (0..g.series.len())
            .map(|si| {
                let key = (0..data.rows.len())
                    .find(|&r| s.is_some_and(|s| label(&data.rows[r][s]) == g.series[si]))
                    .and_then(|r| match data.rows[r][o] {
                        Cell::Int(i) => Some(i),
                        _ => None,
                    })
                    .unwrap_or(i64::MAX);
                (key, si)
            })
            .collect();
        rank.sort();
        let new_index: BTreeMap<usize, usize> = rank
            .iter()
            .enumerate()
            .map(|(n, (_, si))| (*si, n))
            .collect();
        g.series = rank.iter().map(|(_, si)| g.series[*si].clone()).collect();
        g.cells = std::mem::take(&mut g.cells)
            .into_iter()
            .map(|((si, xi), v)| ((new_index[&si], xi), v))
            .collect();
    }
    g
}

/// Each series' color, by its place among all the panel's series.
fn colors(panel: &Panel, data: &Data) -> BTreeMap<String, &'static str> {
    grid(panel, data)
        .series
        .into_iter()
        .enumerate()
        .map(|(i, s)| (s, COLORS[i % COLORS.len()]))
        .collect()
}

fn chart(
    panel: &Panel,
    data: &Data,
    colors: &BTreeMap<String, &'static str>,
    markers: &[Marker],
) -> String {
    let g = grid(panel, data);
    let color = |si: usize| {
        colors
            .get(&g.series[si])
            .copied()
            .unwrap_or(COLORS[si % COLORS.len()])
    };
    let stacked = panel.chart == Chart::StackedBar;
    // The value range: stacks add up, lines and bars do not.
    let (mut lo, mut hi) = (0.0f64, 0.0f64);
    for xi in 0..g.xs.len() {
        let (mut pos, mut neg) = (0.0, 0.0);
        for si in 0..g.series.len() {
            if let Some((v, _)) = g.cells.get(&(si, xi)) {
                if stacked {
                    if *v >= 0.0 { pos += v } else { neg += v }
                } else {
                    hi = hi.max(*v);
                    lo = lo.min(*v);
                }
            }
        }
        hi = hi.max(pos);
        lo = lo.min(neg);
    }
    if hi <= lo {
        hi = lo + 1.0;
    }
    let plot_w = W - LEFT - RIGHT;
    // Long category names (bars) are written slanted, each under its bar.
    let widest = g.xs.iter().map(|x| x.chars().count()).max().unwrap_or(0) as f64;
    let slanted = panel.chart != Chart::Line && widest * 6.0 > plot_w / g.xs.len().max(1) as f64;
    let bottom = if slanted {
        BOTTOM + (widest * 4.0).min(80.0)
    } else {
        BOTTOM
    };
    let h = H - BOTTOM + bottom;
    let plot_h = h - TOP - bottom;
    let ys = |v: f64| TOP + plot_h * (hi - v) / (hi - lo);
    let n = g.xs.len().max(1) as f64;
    let step = plot_w / n;
    let xc = |i: usize| LEFT + step * (i as f64 + 0.5);
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {W} {h}\" role=\"img\" aria-label=\"{}\" data-points=\"{}\">",
        esc(&panel.title),
        g.cells.len()
    );
    // Grid and y labels.
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let y = ys(v);
        let text = if panel.percent {
            format!("{:.0}%", v * 100.0)
        } else {
            compact(v)
        };
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{y:.1}\" y2=\"{y:.1}\"/><text class=\"ylabel\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            esc(&text)
        );
    }
    // X labels: at most ~8 level ones, or every one slanted (up to 40).
    let every = g.xs.len().div_ceil(if slanted { 40 } else { 8 }).max(1);
    for (i, xl) in g.xs.iter().enumerate().filter(|(i, _)| i % every == 0) {
        let (x, y) = (xc(i), h - bottom + 14.0);
        let _ = if slanted {
            write!(
                svg,
                "<text class=\"xlabel\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"end\" transform=\"rotate(-35 {x:.1} {y:.1})\">{}</text>",
                esc(xl)
            )
        } else {
            write!(
                svg,
                "<text class=\"xlabel\" x=\"{x:.1}\" y=\"{y:.1}\" text-anchor=\"middle\">{}</text>",
                esc(xl)
            )
        };
    }
    let zero = ys(0.0);
    match panel.chart {
        Chart::Line => {
            for (si, name) in g.series.iter().enumerate() {
                let color = color(si);
                let pts: Vec<String> = (0..g.xs.len())
                    .filter_map(|xi| {
                        g.cells
                            .get(&(si, xi))
                            .map(|(v, _)| format!("{:.1},{:.1}", xc(xi), ys(*v)))
                    })
                    .collect();
                let _ = write!(
                    svg,
                    "<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
                    pts.join(" "),
                    esc(name)
                );
                for xi in 0..g.xs.len() {
                    if let Some((v, shown)) = g.cells.get(&(si, xi)) {
                        let _ = write!(
                            svg,
                            "<circle class=\"point\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"{color}\"><title>{} · {}: {}</title></circle>",
                            xc(xi),
                            ys(*v),
                            esc(name),
                            esc(&g.xs[xi]),
                            esc(shown)
                        );
                    }
                }
            }
        }
        Chart::Bar | Chart::StackedBar => {
            let width = (step * 0.7).max(1.0);
            let per = if stacked {
                1.0
            } else {
                g.series.len().max(1) as f64
            };
            for xi in 0..g.xs.len() {
                let (mut pos, mut neg) = (0.0, 0.0);
                for (si, name) in g.series.iter().enumerate() {
                    let Some((v, shown)) = g.cells.get(&(si, xi)) else {
                        continue;
                    };
                    let (base, top) = if stacked {
                        if *v >= 0.0 {
                            pos += v;
                            (pos - v, pos)
                        } else {
                            neg += v;
                            (neg - v, neg)
                        }
                    } else {
                        (0.0, *v)
                    };
                    let (y1, y2) = (ys(base.max(top)), ys(base.min(top)));
                    let w = width / per;
                    let x = xc(xi) - width / 2.0 + if stacked { 0.0 } else { w * si as f64 };
                    let _ = write!(
                        svg,
                        "<rect class=\"bar\" x=\"{x:.1}\" y=\"{y1:.1}\" width=\"{w:.1}\" height=\"{:.1}\" fill=\"{}\"><title>{} · {}: {}</title></rect>",
                        (y2 - y1).max(0.5),
                        color(si),
                        esc(name),
                        esc(&g.xs[xi]),
                        esc(shown)
                    );
                }
            }
        }
        Chart::Table | Chart::Number => {}
    }
    if let Some(x) = panel.x.as_deref().and_then(|c| data.col(c)) {
        svg += &draw(markers, data, x, &g.xs, xc, (TOP, h - bottom));
    }
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" x2=\"{}\" y1=\"{zero:.1}\" y2=\"{zero:.1}\"/></svg>",
        W - RIGHT
    );
    if g.series.len() > 1 {
        svg.push_str("<ul class=\"legend\">");
        for (si, name) in g.series.iter().enumerate() {
            let _ = write!(
                svg,
                "<li><span style=\"background:{}\"></span>{}</li>",
                color(si),
                esc(name)
            );
        }
        svg.push_str("</ul>");
    }
    svg
}

/// 1234567 → "1.2M", 2500 → "2.5k", 12.5 → "12.5".
fn compact(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else if a >= 10.0 || a == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}
