-- dashboards/payment_alerts: when the payment-success alert fired and
-- resolved, as markers on the payment-success chart (at, change, message).
-- Filters: $from, $to, $store.
SELECT "at", change, rule,
       CASE WHEN message = '' THEN group_key ELSE message END AS message
FROM lake.alert_events
WHERE rule = 'payment_success_drop'
  AND change IN ('firing', 'resolved')
  AND CAST("at" AS DATE) BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
ORDER BY "at"
