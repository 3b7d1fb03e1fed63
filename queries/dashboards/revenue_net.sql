-- dashboards/revenue_net: net revenue per day and currency (minor units).
-- Filters: $from, $to, $store, $currency.
SELECT day, currency, SUM(net) AS net
FROM reports.revenue_daily
WHERE day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
  AND ($currency = '' OR currency = $currency)
GROUP BY day, currency
ORDER BY day, currency
