-- dashboards/payment_rate: Stripe payment success rate per hour. Filters:
-- $from, $to, $store.
SELECT hour, CAST(SUM(succeeded) AS DOUBLE) / SUM(attempts) AS success_rate
FROM reports.payment_success
WHERE CAST(hour AS DATE) BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
GROUP BY hour
HAVING SUM(attempts) > 0
ORDER BY hour
