-- dashboards/revenue_totals: gross, fees, refunds and net per currency over
-- the chosen days, in major units. Filters: $from, $to, $store, $currency.
SELECT currency,
       format_money(SUM(gross), currency) AS gross,
       format_money(SUM(stripe_fees), currency) AS stripe_fees,
       format_money(SUM(cod_fees), currency) AS cod_fees,
       format_money(SUM(refunds), currency) AS refunds,
       format_money(SUM(net), currency) AS net
FROM reports.revenue_daily
WHERE day BETWEEN CAST($from AS DATE) AND CAST($to AS DATE)
  AND ($store = '' OR store_id = $store)
  AND ($currency = '' OR currency = $currency)
GROUP BY currency
ORDER BY currency
