-- alerts/payment_success_rate: per store, the share of Stripe charge attempts
-- that succeeded in the window before the evaluation time (value), the same
-- share over the same window on each of the 7 days before (baseline), and the
-- attempts in the window (volume). Parameters (set by the evaluator):
-- $eval_us, $window_start_us (µs) and $since_date (first day to read; lets
-- DataFusion skip older partitions).
WITH charges AS (
  SELECT store_id, status, t FROM (
    SELECT store_id, status, CAST(created AS BIGINT) AS t,
           ROW_NUMBER() OVER (PARTITION BY payment_id ORDER BY occurred_at DESC, event_id DESC) AS rn
    FROM payments
    WHERE object = 'charge' AND date >= $since_date
  ) latest
  WHERE rn = 1
),
cur AS (
  SELECT store_id, COUNT(*) AS attempts,
         CAST(SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS rate
  FROM charges
  WHERE t >= $window_start_us AND t < $eval_us
  GROUP BY store_id
),
base AS (
  SELECT c.store_id,
         CAST(SUM(CASE WHEN c.status = 'succeeded' THEN 1 ELSE 0 END) AS DOUBLE) / COUNT(*) AS rate
  FROM charges c CROSS JOIN (SELECT value AS k FROM generate_series(1, 7)) d
  WHERE c.t >= $window_start_us - d.k * 86400000000 AND c.t < $eval_us - d.k * 86400000000
  GROUP BY c.store_id
)
SELECT cur.store_id, cur.rate AS value, base.rate AS baseline, cur.attempts AS volume
FROM cur JOIN base ON base.store_id = cur.store_id
