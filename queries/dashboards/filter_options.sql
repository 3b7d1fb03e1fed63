-- dashboards/filter_options: the values the filter controls offer: every
-- store, carrier and currency that has an order (kind, value).
SELECT DISTINCT 'store' AS kind, store_id AS value
FROM reports.cod_reconciliation WHERE store_id IS NOT NULL
UNION ALL
SELECT DISTINCT 'carrier' AS kind, carrier AS value
FROM reports.cod_reconciliation WHERE carrier IS NOT NULL
UNION ALL
SELECT DISTINCT 'currency' AS kind, currency AS value
FROM reports.cod_reconciliation WHERE currency IS NOT NULL
ORDER BY kind, value
