//! Every SQL statement Settle runs, loaded by name from `queries/*.sql`.

/// (name, SQL). Views are registered under their name, in this order, so a
/// view may use the ones above it.
pub const VIEWS: &[(&str, &str)] = &[
    ("order_state", include_str!("../../queries/order_state.sql")),
    (
        "charge_state",
        include_str!("../../queries/charge_state.sql"),
    ),
    (
        "refund_state",
        include_str!("../../queries/refund_state.sql"),
    ),
    (
        "shipment_state",
        include_str!("../../queries/shipment_state.sql"),
    ),
    (
        "remittance_lines",
        include_str!("../../queries/remittance_lines.sql"),
    ),
];

/// Queries that jobs run (not registered as views).
pub const JOB_QUERIES: &[(&str, &str)] = &[
    (
        "cod_reconciliation",
        include_str!("../../queries/cod_reconciliation.sql"),
    ),
    (
        "refund_rates",
        include_str!("../../queries/refund_rates.sql"),
    ),
    (
        "delivery_success",
        include_str!("../../queries/delivery_success.sql"),
    ),
    (
        "payment_success",
        include_str!("../../queries/payment_success.sql"),
    ),
    (
        "revenue_daily",
        include_str!("../../queries/revenue_daily.sql"),
    ),
    ("watermark", include_str!("../../queries/watermark.sql")),
];

/// Queries `settle demo` prints from (over job outputs).
pub const DEMO: &[(&str, &str)] = &[
    (
        "demo/status_counts",
        include_str!("../../queries/demo/status_counts.sql"),
    ),
    (
        "demo/outstanding_by_carrier",
        include_str!("../../queries/demo/outstanding_by_carrier.sql"),
    ),
    ("demo/rates", include_str!("../../queries/demo/rates.sql")),
    (
        "demo/explore",
        include_str!("../../queries/demo/explore.sql"),
    ),
];

/// Every query by name.
pub fn all() -> impl Iterator<Item = (&'static str, &'static str)> {
    VIEWS.iter().chain(JOB_QUERIES).chain(DEMO).copied()
}

/// The statements of a multi-statement file: one per line, comments skipped.
pub fn lines(sql: &str) -> impl Iterator<Item = &str> {
    sql.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
}

/// The SQL of query `name`.
pub fn get(name: &str) -> super::Result<&'static str> {
    all()
        .find(|(n, _)| *n == name)
        .map(|(_, sql)| sql)
        .ok_or_else(|| super::Error::Unknown {
            what: "query",
            name: name.to_string(),
            known: all().map(|(n, _)| n).collect::<Vec<_>>().join(", "),
        })
}
