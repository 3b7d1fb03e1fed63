-- cli/tables: what `\d` lists in `settle sql`: every table and view of the
-- finance schemas, raw first, then lake, then reports.
SELECT table_schema AS schema,
       table_name AS name,
       CASE table_type WHEN 'BASE TABLE' THEN 'table' WHEN 'VIEW' THEN 'view'
            ELSE lower(table_type) END AS type
FROM information_schema.tables
WHERE table_schema IN ('raw', 'lake', 'reports')
ORDER BY CASE table_schema WHEN 'raw' THEN 1 WHEN 'lake' THEN 2 ELSE 3 END, table_name
