-- alerts/refund_volume: per store and currency, succeeded refunds in the window
-- before the evaluation time (value, a count; volume, the same), against the
-- daily average over the same window on each of the 7 days before (baseline).
-- Parameters: $eval_us, $window_start_us, $since_date.
WITH refunds AS (
  SELECT store_id, currency, t FROM (
    SELECT store_id, currency, status, CAST(created AS BIGINT) AS t,
           ROW_NUMBER() OVER (PARTITION BY refund_id ORDER BY occurred_at DESC, event_id DESC) AS rn
    FROM lake.refunds
    WHERE date >= $since_date
  ) latest
  WHERE rn = 1 AND status = 'succeeded'
),
cur AS (
  SELECT store_id, currency, COUNT(*) AS n
  FROM refunds WHERE t >= $window_start_us AND t < $eval_us
  GROUP BY store_id, currency
),
base AS (
  SELECT r.store_id, r.currency, CAST(COUNT(*) AS DOUBLE) / 7 AS n
  FROM refunds r CROSS JOIN (SELECT value AS k FROM generate_series(1, 7)) d
  WHERE r.t >= $window_start_us - d.k * 86400000000 AND r.t < $eval_us - d.k * 86400000000
  GROUP BY r.store_id, r.currency
)
SELECT cur.store_id, cur.currency, CAST(cur.n AS DOUBLE) AS value,
       COALESCE(base.n, 0.0) AS baseline, cur.n AS volume
FROM cur LEFT JOIN base ON base.store_id = cur.store_id AND base.currency = cur.currency
