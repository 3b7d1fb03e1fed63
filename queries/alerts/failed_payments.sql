-- alerts/failed_payments: per store, failed Stripe charge attempts in the
-- window before the evaluation time (value) out of all attempts (volume).
-- Parameters: $eval_us, $window_start_us, $since_date.
WITH charges AS (
  SELECT store_id, status, t FROM (
    SELECT store_id, status, CAST(created AS BIGINT) AS t,
           ROW_NUMBER() OVER (PARTITION BY payment_id ORDER BY occurred_at DESC, event_id DESC) AS rn
    FROM payments
    WHERE object = 'charge' AND date >= $since_date
  ) latest
  WHERE rn = 1
)
SELECT store_id,
       CAST(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END) AS DOUBLE) AS value,
       COUNT(*) AS volume
FROM charges
WHERE t >= $window_start_us AND t < $eval_us
GROUP BY store_id
