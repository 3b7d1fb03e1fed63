-- payment_success: by hour, store and payment method: Stripe charge attempts,
-- succeeded, failed and success rate.
SELECT date_trunc('hour', created) AS hour, store_id, payment_method,
       COUNT(*) AS attempts,
       COUNT(CASE WHEN status = 'succeeded' THEN 1 END) AS succeeded,
       COUNT(CASE WHEN status = 'failed' THEN 1 END) AS failed,
       ROUND(CAST(COUNT(CASE WHEN status = 'succeeded' THEN 1 END) AS DOUBLE) / COUNT(*), 4)
         AS success_rate
FROM charge_state
GROUP BY date_trunc('hour', created), store_id, payment_method
