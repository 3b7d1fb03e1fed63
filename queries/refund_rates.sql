-- refund_rates: by order day, store, product (sku), region and channel: orders,
-- refunded orders, refunded amount and rate. A refund with metadata.sku counts
-- for that product; a refund without one (a whole-order refund) counts for
-- every product of the order at the line's value.
WITH latest_lines AS (
  SELECT o.store_id, o.order_id, CAST(o.created_at AS DATE) AS day, o.currency,
         COALESCE(o.region, 'unknown') AS region, o.channel, l.sku, l.line_total
  FROM order_state o
  JOIN order_lines l ON l.event_id = o.event_id AND l.order_id = o.order_id
),
per_line AS (
  SELECT ll.day, ll.store_id, ll.currency, ll.sku, ll.region, ll.channel, ll.order_id,
         SUM(CASE WHEN r.sku = ll.sku THEN r.amount ELSE 0 END)
           + CASE WHEN MAX(CASE WHEN r.refund_id IS NOT NULL AND r.sku IS NULL THEN 1 ELSE 0 END) = 1
                  THEN MAX(ll.line_total) ELSE 0 END AS refunded_amount,
         MAX(CASE WHEN r.sku = ll.sku OR (r.refund_id IS NOT NULL AND r.sku IS NULL) THEN 1 ELSE 0 END)
           AS refunded
  FROM latest_lines ll
  LEFT JOIN refund_state r
    ON r.store_id = ll.store_id AND r.order_id = ll.order_id AND r.status = 'succeeded'
  GROUP BY ll.day, ll.store_id, ll.currency, ll.sku, ll.region, ll.channel, ll.order_id, ll.line_total
)
SELECT day, store_id, currency, sku, region, channel,
       COUNT(DISTINCT order_id) AS orders,
       COUNT(DISTINCT CASE WHEN refunded = 1 THEN order_id END) AS refunded_orders,
       SUM(refunded_amount) AS refunded_amount,
       ROUND(CAST(COUNT(DISTINCT CASE WHEN refunded = 1 THEN order_id END) AS DOUBLE)
             / COUNT(DISTINCT order_id), 4) AS refund_rate
FROM per_line
GROUP BY day, store_id, currency, sku, region, channel
