-- delivery_success: by ship day, store, carrier and region: parcels shipped, delivered,
-- failed delivery attempts, returned to origin (RTO), success rate among parcels
-- with an outcome, and median days from first scan to delivery.
SELECT CAST(s.shipped_at AS DATE) AS day, s.store_id, s.carrier, COALESCE(o.region, 'unknown') AS region,
       COUNT(*) AS shipped,
       COUNT(s.delivered_at) AS delivered,
       SUM(s.failed_attempts) AS failed_attempts,
       COUNT(s.returned_at) AS rto,
       ROUND(CAST(COUNT(s.delivered_at) AS DOUBLE)
             / NULLIF(COUNT(s.delivered_at) + COUNT(s.returned_at), 0), 4) AS success_rate,
       ROUND(MEDIAN(CAST(CAST(s.delivered_at AS BIGINT) - CAST(s.shipped_at AS BIGINT) AS DOUBLE)
                    / 86400000000.0), 2) AS median_days_to_deliver
FROM shipment_state s
LEFT JOIN order_state o ON o.store_id = s.store_id AND o.order_id = s.order_id
GROUP BY CAST(s.shipped_at AS DATE), s.store_id, s.carrier, COALESCE(o.region, 'unknown')
