-- dashboards/payment_success_total: the success rate over the chosen days
-- (value) and over as many days just before them (previous, from
-- $prev_from). Filters: $from, $to, $prev_from, $store.
WITH rated AS (
  SELECT CASE WHEN CAST(hour AS DATE) >= CAST($from AS DATE) THEN 'cur' ELSE 'prev' END AS period,
         succeeded, attempts
  FROM reports.payment_success
  WHERE ($store = '' OR store_id = $store)
    AND CAST(hour AS DATE) BETWEEN CAST($prev_from AS DATE) AND CAST($to AS DATE)
)
SELECT
  CAST(SUM(CASE WHEN period = 'cur' THEN succeeded END) AS DOUBLE)
    / NULLIF(SUM(CASE WHEN period = 'cur' THEN attempts END), 0) AS value,
  CAST(SUM(CASE WHEN period = 'prev' THEN succeeded END) AS DOUBLE)
    / NULLIF(SUM(CASE WHEN period = 'prev' THEN attempts END), 0) AS previous
FROM rated
