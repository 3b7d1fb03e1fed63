-- cod_reconciliation: one row per order. What the order should bring in
-- (expected), how much of it is settled, still outstanding or in dispute
-- (exception), money received beyond it (excess), and a status.
-- Statuses and rules: schemas/cod_reconciliation.md. Parameters: job_params
-- (as_of, overdue_days); contract fees: carrier_contracts.
WITH ship AS (
  SELECT * FROM (
    SELECT s.*, ROW_NUMBER() OVER (
             PARTITION BY store_id, order_id ORDER BY shipped_at DESC, tracking_number) AS rn
    FROM shipment_state s WHERE order_id IS NOT NULL
  ) x WHERE rn = 1
),
pay AS (
  SELECT store_id, order_id, SUM(amount) AS paid, COUNT(*) AS paid_count
  FROM charge_state WHERE status = 'succeeded' AND order_id IS NOT NULL
  GROUP BY store_id, order_id
),
ref AS (
  SELECT store_id, order_id, SUM(amount) AS refunded
  FROM refund_state WHERE status = 'succeeded' AND order_id IS NOT NULL
  GROUP BY store_id, order_id
),
rem AS (
  SELECT l.store_id, l.order_id,
         COUNT(CASE WHEN l.currency = o.currency THEN 1 END) AS lines,
         SUM(CASE WHEN l.currency = o.currency THEN l.collected ELSE 0 END) AS collected,
         SUM(CASE WHEN l.currency = o.currency THEN l.fee_shipping ELSE 0 END) AS fee_shipping,
         SUM(CASE WHEN l.currency = o.currency THEN l.fee_cod ELSE 0 END) AS fee_cod,
         SUM(CASE WHEN l.currency = o.currency THEN l.fee_return ELSE 0 END) AS fee_return,
         SUM(CASE WHEN l.currency = o.currency THEN l.fee_other ELSE 0 END) AS fee_other,
         SUM(CASE WHEN l.currency = o.currency THEN l.fees ELSE 0 END) AS fees,
         SUM(CASE WHEN l.currency = o.currency THEN l.net_remitted ELSE 0 END) AS net_remitted,
         MAX(CASE WHEN l.currency <> o.currency THEN l.currency END) AS mismatched_currency,
         SUM(CASE WHEN l.currency <> o.currency THEN l.collected ELSE 0 END) AS mismatched_collected
  FROM remittance_lines l
  JOIN order_state o ON o.store_id = l.store_id AND o.order_id = l.order_id
  GROUP BY l.store_id, l.order_id
),
base AS (
  SELECT o.store_id, o.order_id, o.created_at, o.payment_method, o.currency, o.total,
         o.cancelled, o.payment_method = 'cod' AS cod,
         sh.carrier, sh.tracking_number, sh.delivered_at, sh.returned_at,
         COALESCE(p.paid, 0) AS paid, COALESCE(p.paid_count, 0) AS paid_count,
         COALESCE(rf.refunded, 0) AS refunded,
         COALESCE(rm.lines, 0) AS lines, COALESCE(rm.collected, 0) AS collected,
         COALESCE(rm.fee_shipping, 0) AS fee_shipping, COALESCE(rm.fee_cod, 0) AS fee_cod,
         COALESCE(rm.fee_return, 0) AS fee_return, COALESCE(rm.fee_other, 0) AS fee_other,
         COALESCE(rm.fees, 0) AS fees, COALESCE(rm.net_remitted, 0) AS net_remitted,
         rm.mismatched_currency, COALESCE(rm.mismatched_collected, 0) AS mismatched_collected,
         CASE WHEN sh.returned_at IS NOT NULL THEN c.return_fee
              ELSE c.shipping_fee + (COALESCE(rm.collected, 0) * c.cod_fee_bps + 5000) / 10000
         END AS contract_fees,
         CASE WHEN sh.delivered_at IS NOT NULL
              THEN (CAST(jp.as_of AS BIGINT) - CAST(sh.delivered_at AS BIGINT)) / 86400000000
         END AS days_since_delivery,
         jp.overdue_days
  FROM order_state o
  CROSS JOIN job_params jp
  LEFT JOIN ship sh ON sh.store_id = o.store_id AND sh.order_id = o.order_id
  LEFT JOIN pay p ON p.store_id = o.store_id AND p.order_id = o.order_id
  LEFT JOIN ref rf ON rf.store_id = o.store_id AND rf.order_id = o.order_id
  LEFT JOIN rem rm ON rm.store_id = o.store_id AND rm.order_id = o.order_id
  LEFT JOIN carrier_contracts c ON c.carrier = sh.carrier AND c.currency = o.currency
),
classified AS (
  SELECT b.*,
    CASE WHEN lines > 0 THEN GREATEST(fees - COALESCE(contract_fees, 0), 0) ELSE 0 END AS fee_excess,
    CASE
      WHEN mismatched_currency IS NOT NULL THEN 'currency_mismatch'
      WHEN NOT cod AND paid > 0 AND refunded >= paid AND collected > 0 THEN 'refunded_but_remitted'
      WHEN NOT cod AND collected > 0 THEN 'refund_due'
      WHEN cod AND returned_at IS NOT NULL AND collected > 0 THEN 'remitted_but_returned'
      WHEN NOT cod AND paid_count > 1 AND paid > total THEN 'duplicate_payment'
      WHEN NOT cod AND cancelled AND paid - refunded = 0 THEN 'cancelled'
      WHEN NOT cod AND paid = 0 THEN 'unpaid'
      WHEN NOT cod THEN 'prepaid_settled'
      WHEN cancelled THEN 'cancelled'
      WHEN returned_at IS NOT NULL THEN 'returned'
      WHEN delivered_at IS NULL THEN 'awaiting_delivery'
      WHEN lines > 0 AND collected < total THEN 'short_remitted'
      WHEN lines > 0 AND collected > total THEN 'over_remitted'
      WHEN lines > 0 AND fees > COALESCE(contract_fees, 0) THEN 'fee_mismatch'
      WHEN lines > 0 THEN 'settled'
      WHEN days_since_delivery > overdue_days THEN 'overdue'
      ELSE 'awaiting_remittance'
    END AS status,
    CASE
      WHEN cod AND (cancelled OR returned_at IS NOT NULL) THEN 0
      WHEN cod THEN total
      WHEN paid = 0 AND cancelled THEN 0
      ELSE total - refunded
    END AS expected,
    CASE WHEN cod THEN collected ELSE paid - refunded + collected END AS received
  FROM base b
),
amounts AS (
  SELECT c.*,
    CASE WHEN status IN ('awaiting_delivery', 'awaiting_remittance', 'unpaid') THEN expected ELSE 0 END
      AS outstanding,
    CASE WHEN status IN ('currency_mismatch', 'overdue') THEN 0
         ELSE GREATEST(LEAST(received, expected) - fee_excess, 0) END AS settled,
    CASE WHEN status = 'currency_mismatch' THEN 0 ELSE GREATEST(received - expected, 0) END AS excess
  FROM classified c
)
SELECT store_id, order_id, created_at, payment_method, currency, carrier, tracking_number,
       CASE WHEN cancelled AND tracking_number IS NULL THEN 'cancelled'
            WHEN returned_at IS NOT NULL THEN 'returned'
            WHEN delivered_at IS NOT NULL THEN 'delivered'
            WHEN tracking_number IS NOT NULL THEN 'in_transit'
            ELSE 'not_shipped' END AS delivery_outcome,
       delivered_at, days_since_delivery,
       total AS order_total,
       CASE WHEN cod THEN total ELSE 0 END AS expected_cod,
       collected, fee_shipping, fee_cod, fee_return, fee_other, net_remitted,
       contract_fees, fee_excess, mismatched_currency, mismatched_collected,
       paid AS stripe_paid, refunded AS stripe_refunded,
       expected, settled, outstanding, expected - settled - outstanding AS exception, excess,
       status
FROM amounts
