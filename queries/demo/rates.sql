-- demo/rates: overall refund rate, delivery success and payment success.
SELECT 'refund_rate (orders with a refund)' AS metric,
       ROUND(CAST(SUM(refunded_orders) AS DOUBLE) / SUM(orders), 4) AS value
FROM refund_rates
UNION ALL
SELECT 'delivery_success (delivered / outcome)',
       ROUND(CAST(SUM(delivered) AS DOUBLE) / NULLIF(SUM(delivered) + SUM(rto), 0), 4)
FROM delivery_success
UNION ALL
SELECT 'rto_rate (returned / shipped)', ROUND(CAST(SUM(rto) AS DOUBLE) / SUM(shipped), 4)
FROM delivery_success
UNION ALL
SELECT 'payment_success (succeeded / attempts)',
       ROUND(CAST(SUM(succeeded) AS DOUBLE) / SUM(attempts), 4)
FROM payment_success
