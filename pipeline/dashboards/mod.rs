//! Dashboards (`dashboards/*.toml`): panels, each a query in
//! `queries/dashboards/` drawn as a line, bar or stacked-bar chart, a table
//! or a single number with its change against the previous period, under
//! filters (date range, store, carrier, currency). Charts are inline SVG
//! drawn here: a page needs no script, CDN or network fetch, so
//! `settle dashboards render` writes one self-contained HTML file.

pub mod controls;
pub mod data;
pub mod markers;
pub mod page;
pub mod settings;
pub mod svg;
pub mod web;
mod widgets;

pub use settings::DashboardSettings;

use serde::Deserialize;

/// The shipped dashboards: (name, TOML).
pub const SHIPPED: &[(&str, &str)] = &[
    ("cod_cash", include_str!("../../dashboards/cod_cash.toml")),
    ("delivery", include_str!("../../dashboards/delivery.toml")),
    ("refunds", include_str!("../../dashboards/refunds.toml")),
    ("payments", include_str!("../../dashboards/payments.toml")),
    ("revenue", include_str!("../../dashboards/revenue.toml")),
];

/// The panels' queries: (name, SQL).
pub const QUERIES: &[(&str, &str)] = &[
    (
        "cod_outstanding",
        include_str!("../../queries/dashboards/cod_outstanding.sql"),
    ),
    (
        "cod_overdue",
        include_str!("../../queries/dashboards/cod_overdue.sql"),
    ),
    (
        "delivery_rate",
        include_str!("../../queries/dashboards/delivery_rate.sql"),
    ),
    (
        "rto_by_carrier",
        include_str!("../../queries/dashboards/rto_by_carrier.sql"),
    ),
    (
        "refund_trend",
        include_str!("../../queries/dashboards/refund_trend.sql"),
    ),
    (
        "refund_products",
        include_str!("../../queries/dashboards/refund_products.sql"),
    ),
    (
        "payment_rate",
        include_str!("../../queries/dashboards/payment_rate.sql"),
    ),
    (
        "payment_success_total",
        include_str!("../../queries/dashboards/payment_success_total.sql"),
    ),
    (
        "revenue_net",
        include_str!("../../queries/dashboards/revenue_net.sql"),
    ),
    (
        "revenue_totals",
        include_str!("../../queries/dashboards/revenue_totals.sql"),
    ),
    (
        "payment_alerts",
        include_str!("../../queries/dashboards/payment_alerts.sql"),
    ),
    (
        "filter_options",
        include_str!("../../queries/dashboards/filter_options.sql"),
    ),
];

/// How a panel is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Chart {
    /// One line per series over x.
    Line,
    /// One bar per x.
    Bar,
    /// One bar per x, stacked by series.
    StackedBar,
    /// The rows as they are.
    Table,
    /// One value (`y` of the first row) and its change against `previous`.
    Number,
}

/// One panel.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Panel {
    /// Its heading.
    pub title: String,
    /// The query's name in `queries/dashboards/`.
    pub query: String,
    /// How it is drawn.
    pub chart: Chart,
    /// The x column (charts).
    #[serde(default)]
    pub x: Option<String>,
    /// The value column (charts, number).
    #[serde(default)]
    pub y: Option<String>,
    /// The column that splits lines or stacks.
    #[serde(default)]
    pub series: Option<String>,
    /// A numeric column that orders the series (legend and stacking);
    /// default: the order they first appear in.
    #[serde(default)]
    pub series_order: Option<String>,
    /// Values are fractions shown as percentages.
    #[serde(default)]
    pub percent: bool,
    /// Values are minor units of the currency in this column.
    #[serde(default)]
    pub currency: Option<String>,
    /// One chart per value of this column (e.g. `currency`: amounts of
    /// different currencies never share an axis).
    #[serde(default)]
    pub split: Option<String>,
    /// A query of alert transitions (`at`, `change`, `message`) drawn as
    /// markers on a line chart.
    #[serde(default)]
    pub alerts: Option<String>,
}

/// One dashboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dashboard {
    /// The file stem.
    #[serde(skip)]
    pub name: String,
    /// Its heading.
    pub title: String,
    /// What it shows, for people.
    pub description: String,
    /// Its panels, in order.
    pub panels: Vec<Panel>,
}

/// The filters every panel's query receives (`$from`, `$to`, `$store`,
/// `$carrier`, `$currency`; empty text means all; and `$prev_from`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Filters {
    /// First day.
    pub from: chrono::NaiveDate,
    /// Last day.
    pub to: chrono::NaiveDate,
    /// Store id or empty.
    pub store: String,
    /// Carrier or empty.
    pub carrier: String,
    /// Currency code or empty.
    pub currency: String,
}

impl Filters {
    /// The first day of the period of the same length just before this one
    /// (`$prev_from`; it ends the day before `from`).
    pub fn prev_from(&self) -> chrono::NaiveDate {
        self.from - (self.to - self.from) - chrono::Duration::days(1)
    }
}

/// The SQL of a panel query.
pub fn query(name: &str) -> Result<&'static str, String> {
    QUERIES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, sql)| *sql)
        .ok_or_else(|| {
            let known: Vec<&str> = QUERIES.iter().map(|(n, _)| *n).collect();
            format!(
                "unknown dashboard query {name:?}; known: {}",
                known.join(", ")
            )
        })
}

/// Parses one dashboard, checking its panels.
pub fn parse(name: &str, text: &str) -> Result<Dashboard, String> {
    let origin = format!("dashboards/{name}.toml");
    let mut d: Dashboard = toml::from_str(text).map_err(|e| format!("{origin}: {e}"))?;
    d.name = name.to_string();
    for p in &d.panels {
        for q in std::iter::once(&p.query).chain(&p.alerts) {
            query(q).map_err(|e| format!("{origin} panel {:?}: {e}", p.title))?;
        }
        let needs = match p.chart {
            Chart::Line | Chart::Bar | Chart::StackedBar => p.x.is_some() && p.y.is_some(),
            Chart::Number => p.y.is_some(),
            Chart::Table => true,
        };
        if !needs {
            return Err(format!(
                "{origin} panel {:?}: charts need x and y, numbers need y",
                p.title
            ));
        }
    }
    Ok(d)
}

/// Every shipped dashboard.
pub fn all() -> Result<Vec<Dashboard>, String> {
    SHIPPED.iter().map(|(n, t)| parse(n, t)).collect()
}

/// The dashboard named `name`.
pub fn get(name: &str) -> Result<Dashboard, String> {
    all()?.into_iter().find(|d| d.name == name).ok_or_else(|| {
        let known: Vec<&str> = SHIPPED.iter().map(|(n, _)| *n).collect();
        format!("no dashboard {name:?}; known: {}", known.join(", "))
    })
}
