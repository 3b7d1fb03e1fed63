-- revenue_daily: cash-basis revenue by day, store and currency. Prepaid gross
-- and Stripe fees on the charge's day, refunds on the refund's day, COD cash
-- and carrier fees on the statement's paid date.
-- net = gross - stripe_fees - refunds - cod_fees.
WITH flows AS (
  SELECT CAST(created AS DATE) AS day, store_id, currency,
         amount AS gross_prepaid, COALESCE(fee, 0) AS stripe_fees,
         CAST(0 AS BIGINT) AS refunds, CAST(0 AS BIGINT) AS gross_cod, CAST(0 AS BIGINT) AS cod_fees
  FROM charge_state WHERE status = 'succeeded'
  UNION ALL
  SELECT CAST(created AS DATE), store_id, currency, 0, 0, amount, 0, 0
  FROM refund_state WHERE status = 'succeeded'
  UNION ALL
  SELECT paid_date, store_id, currency, 0, 0, 0, collected, fees
  FROM remittance_lines
)
SELECT day, store_id, currency,
       SUM(gross_prepaid) AS gross_prepaid,
       SUM(gross_cod) AS gross_cod,
       SUM(gross_prepaid) + SUM(gross_cod) AS gross,
       SUM(stripe_fees) AS stripe_fees,
       SUM(refunds) AS refunds,
       SUM(cod_fees) AS cod_fees,
       SUM(gross_prepaid) + SUM(gross_cod) - SUM(stripe_fees) - SUM(refunds) - SUM(cod_fees) AS net
FROM flows
GROUP BY day, store_id, currency
