-- order_state: the latest snapshot of every order (ties broken by event id).
SELECT store_id, order_id, event_id, platform, channel, created_at, updated_at,
       city, region, country, currency, subtotal, shipping, discount, tax, total,
       payment_method, financial_status, fulfillment_status, cancel_reason, payment_intent_id,
       (change = 'cancel' OR fulfillment_status = 'cancelled') AS cancelled
FROM (
  SELECT o.*, ROW_NUMBER() OVER (
           PARTITION BY store_id, order_id ORDER BY updated_at DESC, event_id DESC) AS rn
  FROM orders o
) latest
WHERE rn = 1
