-- demo/outstanding_by_carrier: COD money per carrier and currency, in major units.
SELECT COALESCE(carrier, '(not shipped)') AS carrier, currency,
       format_money(SUM(expected), currency) AS expected,
       format_money(SUM(settled), currency) AS settled,
       format_money(SUM(outstanding), currency) AS outstanding,
       format_money(SUM(exception), currency) AS exception,
       format_money(SUM(excess), currency) AS excess
FROM cod_reconciliation
WHERE payment_method = 'cod'
GROUP BY COALESCE(carrier, '(not shipped)'), currency
ORDER BY carrier, currency
