-- dashboards/delivery_rate: delivered share of shipped parcels per day and
-- carrier. Filters: $from, $to, $store, $carrier.
SELECT day, carrier,
       CAST(SUM(delivered) AS DOUBLE) / SUM(shipped) AS success_rate
FROM reports.delivery_success
WHERE day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
  AND ($carrier = '' OR carrier = $carrier)
GROUP BY day, carrier
HAVING SUM(shipped) > 0
ORDER BY day, carrier
