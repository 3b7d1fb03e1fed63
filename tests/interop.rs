//! Must show 4: the lake (raw, typed and job outputs) is read by Python DuckDB
//! and polars with row counts and money sums equal to Settle's.

mod common;

use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duckdb_and_polars_read_the_lake_with_equal_counts_and_sums() {
    let history = common::history(800, 60, 5);
    let (dir, lake) = common::temp_lake();
    common::build_lake(&lake, &history, 2_000).await;
    let spec = json!({
        "raw_events": [], "payments": ["amount", "fee"], "refunds": ["amount"], "customers": [],
        "orders": ["total", "subtotal"], "order_lines": ["line_total", "quantity"],
        "tracking_events": ["cod_amount"], "cod_remittances": ["collected", "net_remitted"],
        "cod_reconciliation": ["expected", "settled", "outstanding", "exception", "excess"],
        "refund_rates": ["refunded_amount"], "revenue_daily": ["gross", "net"],
        "delivery_success": ["shipped"], "payment_success": ["attempts"],
    });
    let ctx = common::ctx(&lake).await;
    let mut ours = serde_json::Map::new();
    for (table, cols) in spec.as_object().unwrap() {
        let rows =
            common::scalar_i64(&common::sql(&ctx, &format!("SELECT COUNT(*) FROM {table}")).await);
        assert!(rows > 0, "{table} is empty");
        let mut sums = serde_json::Map::new();
        for c in cols.as_array().unwrap() {
            let c = c.as_str().unwrap();
            let s = common::scalar_i64(
                &common::sql(
                    &ctx,
                    &format!("SELECT CAST(COALESCE(SUM({c}), 0) AS BIGINT) FROM {table}"),
                )
                .await,
            );
            sums.insert(c.to_string(), json!(s));
        }
        ours.insert(table.clone(), json!({"rows": rows, "sums": sums}));
    }
    let ours = Value::Object(ours);
    let peers: Value = serde_json::from_str(&common::python(
        "read_lake.py",
        &[dir.path().to_str().unwrap(), &spec.to_string()],
    ))
    .unwrap();
    for engine in ["duckdb", "polars"] {
        assert_eq!(peers[engine], ours, "{engine} disagrees with Settle");
    }
}
