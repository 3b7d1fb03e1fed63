-- remittance_lines: carrier statement lines, each once, matched to their order
-- by order id or else by tracking number.
SELECT r.store_id, r.carrier, r.statement_id, r.paid_date, r.tracking_number,
       COALESCE(r.order_id, s.order_id) AS order_id, r.currency,
       r.collected, r.fee_shipping, r.fee_cod, r.fee_return, r.fee_other,
       r.fee_shipping + r.fee_cod + r.fee_return + r.fee_other AS fees,
       r.net_remitted, r.bank_reference
FROM (
  SELECT c.*, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY occurred_at) AS rn
  FROM cod_remittances c
) r
LEFT JOIN shipment_state s
  ON s.store_id = r.store_id AND s.carrier = r.carrier AND s.tracking_number = r.tracking_number
WHERE r.rn = 1
