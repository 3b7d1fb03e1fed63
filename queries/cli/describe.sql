-- cli/describe: what `\d TABLE` shows in `settle sql`: the columns of one
-- table ($1 schema, $2 name) in order.
SELECT column_name AS column,
       data_type AS type,
       CASE is_nullable WHEN 'YES' THEN 'yes' ELSE 'no' END AS nullable
FROM information_schema.columns
WHERE table_schema = $1 AND table_name = $2
ORDER BY ordinal_position
