-- dashboards/cod_overdue: COD orders whose cash is overdue (delivered more
-- than the contract's days ago and not fully remitted), oldest first, as of
-- the lake's newest data: like the outstanding balance, whatever the dates.
-- Filters: $store, $carrier, $currency.
SELECT order_id, store_id, carrier, currency,
       format_money(outstanding, currency) AS outstanding,
       days_since_delivery, CAST(delivered_at AS DATE) AS delivered
FROM reports.cod_reconciliation
WHERE payment_method = 'cod' AND status = 'overdue'
  AND ($store = '' OR store_id = $store)
  AND ($carrier = '' OR carrier = $carrier)
  AND ($currency = '' OR currency = $currency)
ORDER BY days_since_delivery DESC, order_id
LIMIT 200
