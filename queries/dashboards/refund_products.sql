-- dashboards/refund_products: products with the most refunded orders.
-- Filters: $from, $to, $store, $currency.
SELECT sku, currency, SUM(orders) AS orders, SUM(refunded_orders) AS refunded_orders,
       ROUND(CAST(SUM(refunded_orders) AS DOUBLE) / SUM(orders), 4) AS refund_rate,
       format_money(SUM(refunded_amount), currency) AS refunded
FROM reports.refund_rates
WHERE day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
  AND ($currency = '' OR currency = $currency)
GROUP BY sku, currency
HAVING SUM(refunded_orders) > 0
ORDER BY refunded_orders DESC, sku
LIMIT 15
