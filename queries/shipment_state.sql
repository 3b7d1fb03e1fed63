-- shipment_state: one row per parcel: when it shipped, was delivered or returned,
-- and how many delivery attempts failed.
SELECT store_id, carrier, tracking_number,
       MAX(order_id) AS order_id,
       MIN(occurred_at) AS shipped_at,
       MIN(CASE WHEN status = 'delivered' THEN occurred_at END) AS delivered_at,
       MIN(CASE WHEN status = 'returned_to_origin' THEN occurred_at END) AS returned_at,
       COUNT(DISTINCT CASE WHEN status = 'attempt_failed' THEN event_id END) AS failed_attempts,
       COUNT(DISTINCT event_id) AS scans
FROM tracking_events
GROUP BY store_id, carrier, tracking_number
