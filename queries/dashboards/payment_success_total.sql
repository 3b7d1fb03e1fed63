-- dashboards/payment_success_total: the success rate over the chosen days
-- (value) and over as many days just before (previous). Filters: $from,
-- $to, $store.
WITH span AS (
  SELECT CAST($from AS DATE) AS f, CAST($to AS DATE) AS t
),
rated AS (
  SELECT CASE WHEN CAST(p.hour AS DATE) BETWEEN s.f AND s.t THEN 'cur' ELSE 'prev' END AS period,
         p.succeeded, p.attempts
  FROM reports.payment_success p CROSS JOIN span s
  WHERE ($store = '' OR p.store_id = $store)
    AND CAST(p.hour AS DATE) BETWEEN s.f - (s.t - s.f) - INTERVAL '1' DAY AND s.t
)
SELECT
  CAST(SUM(CASE WHEN period = 'cur' THEN succeeded END) AS DOUBLE)
    / NULLIF(SUM(CASE WHEN period = 'cur' THEN attempts END), 0) AS value,
  CAST(SUM(CASE WHEN period = 'prev' THEN succeeded END) AS DOUBLE)
    / NULLIF(SUM(CASE WHEN period = 'prev' THEN attempts END), 0) AS previous
FROM rated
