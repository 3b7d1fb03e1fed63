-- dashboards/cod_outstanding: COD cash carriers still owe, per carrier and
-- currency, by ageing bucket (minor units). Filters: $store, $carrier,
-- $currency ('' = all).
SELECT carrier, ageing_bucket, bucket_order, currency,
       SUM(outstanding) AS outstanding
FROM reports.outstanding_by_carrier
WHERE ($store = '' OR store_id = $store)
  AND ($carrier = '' OR carrier = $carrier)
  AND ($currency = '' OR currency = $currency)
GROUP BY carrier, currency, ageing_bucket, bucket_order
ORDER BY carrier, bucket_order
