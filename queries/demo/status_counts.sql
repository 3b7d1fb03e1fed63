-- demo/status_counts: orders per reconciliation status.
SELECT status, COUNT(*) AS orders
FROM cod_reconciliation
GROUP BY status
ORDER BY orders DESC, status
