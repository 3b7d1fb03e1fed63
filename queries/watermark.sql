-- watermark: the newest event time in the lake; jobs measure ages to it by default.
SELECT MAX(occurred_at) AS as_of FROM raw_events
