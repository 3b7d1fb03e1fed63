-- reports.outstanding_by_carrier: COD cash that carriers collected at the door
-- and have not remitted yet, per store, carrier, currency and ageing bucket of
-- whole days since delivery (0-7, 8-15, 16-30, 30+). Amounts are integer minor
-- units of `currency`; `outstanding_display` is the same amount in major units.
-- Rows: cod_reconciliation orders in status awaiting_remittance or overdue.
-- Contract: schemas/reports.md.
SELECT store_id,
       carrier,
       currency,
       ageing_bucket,
       bucket_order,
       COUNT(*) AS orders,
       SUM(amount) AS outstanding,
       format_money(SUM(amount), currency) AS outstanding_display,
       SUM(CASE WHEN status = 'overdue' THEN 1 ELSE 0 END) AS overdue_orders,
       MIN(delivered_at) AS oldest_delivered_at,
       MAX(days_since_delivery) AS max_days_since_delivery
FROM (
  SELECT store_id, COALESCE(carrier, '(unknown)') AS carrier, currency, status, delivered_at,
         days_since_delivery, expected AS amount,
         CASE WHEN days_since_delivery <= 7 THEN '0-7'
              WHEN days_since_delivery <= 15 THEN '8-15'
              WHEN days_since_delivery <= 30 THEN '16-30'
              ELSE '30+' END AS ageing_bucket,
         CASE WHEN days_since_delivery <= 7 THEN 1
              WHEN days_since_delivery <= 15 THEN 2
              WHEN days_since_delivery <= 30 THEN 3
              ELSE 4 END AS bucket_order
  FROM reports.cod_reconciliation
  WHERE payment_method = 'cod' AND status IN ('awaiting_remittance', 'overdue')
) aged
GROUP BY store_id, carrier, currency, ageing_bucket, bucket_order
