-- alerts/overdue_remittances: per store, carrier and currency, delivered COD
-- orders whose cash the carrier has not remitted past overdue_days (value:
-- the overdue amount in minor units; volume: overdue orders), from the latest
-- reports.cod_reconciliation. info_amount (major units) is for the message only.
SELECT store_id, COALESCE(carrier, '(unknown)') AS carrier, currency,
       CAST(SUM(expected) AS DOUBLE) AS value, COUNT(*) AS volume,
       format_money(SUM(expected), currency) AS info_amount
FROM reports.cod_reconciliation
WHERE payment_method = 'cod' AND status = 'overdue'
GROUP BY store_id, COALESCE(carrier, '(unknown)'), currency
