-- dashboards/rto_by_carrier: returned-to-origin share of shipped parcels per
-- carrier and region. Filters: $from, $to, $store, $carrier.
SELECT carrier || ' ' || region AS carrier_region,
       CAST(SUM(rto) AS DOUBLE) / SUM(shipped) AS rto_rate
FROM reports.delivery_success
WHERE day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
  AND ($carrier = '' OR carrier = $carrier)
GROUP BY carrier, region
HAVING SUM(shipped) > 0
ORDER BY rto_rate DESC, carrier_region
LIMIT 20
