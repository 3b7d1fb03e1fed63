-- demo/explore: one statement per line, printed by `settle demo` as next steps.
SELECT status, currency, COUNT(*) AS orders, SUM(exception) AS exception, SUM(excess) AS excess FROM cod_reconciliation GROUP BY status, currency ORDER BY status, currency
SELECT order_id, carrier, currency, expected, settled, exception, status FROM cod_reconciliation WHERE status IN ('short_remitted', 'overdue', 'fee_mismatch', 'currency_mismatch') ORDER BY exception DESC LIMIT 20
SELECT * FROM revenue_daily ORDER BY day DESC, store_id LIMIT 10
SELECT kind, reason FROM rejected LIMIT 10
SHOW TABLES
