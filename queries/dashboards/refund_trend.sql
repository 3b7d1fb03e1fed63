-- dashboards/refund_trend: refunded share of orders per day. Filters:
-- $from, $to, $store, $currency.
SELECT day, CAST(SUM(refunded_orders) AS DOUBLE) / SUM(orders) AS refund_rate
FROM reports.refund_rates
WHERE day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
  AND ($currency = '' OR currency = $currency)
GROUP BY day
HAVING SUM(orders) > 0
ORDER BY day
