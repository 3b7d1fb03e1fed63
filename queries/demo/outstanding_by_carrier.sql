-- demo/outstanding_by_carrier: COD money not yet settled, per carrier and currency.
SELECT COALESCE(carrier, '(none)') AS carrier, currency,
       SUM(expected) AS expected, SUM(settled) AS settled,
       SUM(outstanding) AS outstanding, SUM(exception) AS exception, SUM(excess) AS excess
FROM cod_reconciliation
WHERE payment_method = 'cod'
GROUP BY COALESCE(carrier, '(none)'), currency
ORDER BY carrier, currency
