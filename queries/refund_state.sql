-- refund_state: the latest state of every Stripe refund.
SELECT store_id, refund_id, charge_id, payment_intent_id, order_id, sku,
       amount, currency, status, reason, created
FROM (
  SELECT r.*, ROW_NUMBER() OVER (
           PARTITION BY refund_id ORDER BY occurred_at DESC, event_id DESC) AS rn
  FROM refunds r
) latest
WHERE rn = 1
