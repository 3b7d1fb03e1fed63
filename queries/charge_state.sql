-- charge_state: the latest state of every Stripe charge; a charge is one payment attempt.
-- Duplicate deliveries of one Stripe event collapse here.
SELECT store_id, payment_id AS charge_id, payment_intent_id, order_id, customer_id,
       amount, amount_refunded, currency, status, failure_code, fee, net,
       COALESCE(payment_method, 'unknown') AS payment_method, created
FROM (
  SELECT p.*, ROW_NUMBER() OVER (
           PARTITION BY payment_id ORDER BY occurred_at DESC, event_id DESC) AS rn
  FROM payments p
  WHERE object = 'charge'
) latest
WHERE rn = 1
