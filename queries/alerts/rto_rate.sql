-- alerts/rto_rate: per store and carrier, the share of parcels whose outcome
-- (delivered or returned to origin) came in the window before the evaluation
-- time that were returned (value), the same share over the 4 windows before
-- it (baseline), and the parcels with an outcome in the window (volume).
-- Parameters: $eval_us, $window_start_us, $window_secs, $since_date.
WITH outcomes AS (
  SELECT store_id, carrier, tracking_number,
         CAST(MIN(occurred_at) AS BIGINT) AS t,
         MAX(CASE WHEN status = 'returned_to_origin' THEN 1 ELSE 0 END) AS rto
  FROM tracking_events
  WHERE date >= $since_date AND status IN ('delivered', 'returned_to_origin')
  GROUP BY store_id, carrier, tracking_number
),
cur AS (
  SELECT store_id, carrier, COUNT(*) AS n, CAST(SUM(rto) AS DOUBLE) / COUNT(*) AS rate
  FROM outcomes WHERE t >= $window_start_us AND t < $eval_us
  GROUP BY store_id, carrier
),
base AS (
  SELECT store_id, carrier, CAST(SUM(rto) AS DOUBLE) / COUNT(*) AS rate
  FROM outcomes
  WHERE t >= $window_start_us - 4 * $window_secs * 1000000 AND t < $window_start_us
  GROUP BY store_id, carrier
)
SELECT cur.store_id, cur.carrier, cur.rate AS value, base.rate AS baseline, cur.n AS volume
FROM cur JOIN base ON base.store_id = cur.store_id AND base.carrier = cur.carrier
